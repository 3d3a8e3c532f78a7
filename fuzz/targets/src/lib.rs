//! The bodies of faultline's fuzz targets. Each takes arbitrary bytes, feeds them to one
//! input-facing part of faultline and panics when a property fails, so that the same
//! functions serve libFuzzer (the `fuzz/` cargo-fuzz crate, on nightly) and the bounded,
//! seeded runs of this crate's tests on every CI run.
//!
//! - [`decoder`]: 32-bit and compressed instruction decoding against re-encoding.
//! - [`elf_loader`]: the ELF loader over arbitrary files.
//! - [`options`]: the storage option parsers, and their printed forms parsing back.
//! - [`guest_paths`]: the `--root` path resolver, whose results never leave the root.

pub mod decoder;
pub mod elf_loader;
pub mod guest_paths;
pub mod options;
