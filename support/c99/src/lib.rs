//! The `<stdint.h>` "fast" integer types that Berkeley SoftFloat's interface uses, as glibc
//! and musl define them on 64-bit Linux (x86_64, aarch64, riscv64).
//!
//! faultline takes SoftFloat through `softfloat-sys`, whose `c99` dependency discovers
//! these types by running CMake and a C program at build time. That would make CMake a
//! requirement of `cargo run`; the types are fixed by the platform ABI, so faultline
//! patches `c99` with this crate instead (see `[patch.crates-io]` in the root manifest).
#![allow(non_camel_case_types)]

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
compile_error!("faultline's c99 types are those of 64-bit Linux; other targets are unsupported");

/// C `int_fast8_t`.
pub type int_fast8_t = i8;
/// C `int_fast16_t`.
pub type int_fast16_t = i64;
/// C `int_fast32_t`.
pub type int_fast32_t = i64;
/// C `int_fast64_t`.
pub type int_fast64_t = i64;
/// C `uint_fast8_t`.
pub type uint_fast8_t = u8;
/// C `uint_fast16_t`.
pub type uint_fast16_t = u64;
/// C `uint_fast32_t`.
pub type uint_fast32_t = u64;
/// C `uint_fast64_t`.
pub type uint_fast64_t = u64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_lp64_abi() {
        assert_eq!(std::mem::size_of::<uint_fast8_t>(), 1);
        assert_eq!(std::mem::size_of::<uint_fast32_t>(), 8);
        assert_eq!(std::mem::size_of::<int_fast32_t>(), 8);
        assert_eq!(std::mem::size_of::<uint_fast64_t>(), 8);
    }
}
