//! libFuzzer driver for [`fuzz_targets::elf_loader`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::elf_loader::run(data));
