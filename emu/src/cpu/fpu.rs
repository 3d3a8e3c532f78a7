//! IEEE 754 arithmetic with RISC-V semantics (API fixed; being written).
//!
//! Values are raw bit patterns (`u32` singles, `u64` doubles; NaN boxing is the caller's
//! job). `rm` is an already-resolved RISC-V rounding mode (0 RNE, 1 RTZ, 2 RDN, 3 RUP,
//! 4 RMM). `flags` accumulates fflags bits (NV 0x10, DZ 0x08, OF 0x04, UF 0x02, NX 0x01).
#![allow(unused_variables)]

/// fflags bit: invalid operation.
pub const NV: u8 = 0x10;
/// fflags bit: divide by zero.
pub const DZ: u8 = 0x08;
/// fflags bit: overflow.
pub const OF: u8 = 0x04;
/// fflags bit: underflow.
pub const UF: u8 = 0x02;
/// fflags bit: inexact.
pub const NX: u8 = 0x01;
/// The canonical single-precision NaN.
pub const CANONICAL_NAN_S: u32 = 0x7fc0_0000;
/// The canonical double-precision NaN.
pub const CANONICAL_NAN_D: u64 = 0x7ff8_0000_0000_0000;

macro_rules! fpu_api {
    ($t:ty, $add:ident, $sub:ident, $mul:ident, $div:ident, $sqrt:ident, $fma:ident, $min:ident,
     $max:ident, $eq:ident, $lt:ident, $le:ident, $class:ident, $to_i32:ident, $to_u32:ident,
     $to_i64:ident, $to_u64:ident, $from_i32:ident, $from_u32:ident, $from_i64:ident,
     $from_u64:ident) => {
        /// a + b.
        pub fn $add(a: $t, b: $t, rm: u8, flags: &mut u8) -> $t { unimplemented!() }
        /// a - b.
        pub fn $sub(a: $t, b: $t, rm: u8, flags: &mut u8) -> $t { unimplemented!() }
        /// a * b.
        pub fn $mul(a: $t, b: $t, rm: u8, flags: &mut u8) -> $t { unimplemented!() }
        /// a / b.
        pub fn $div(a: $t, b: $t, rm: u8, flags: &mut u8) -> $t { unimplemented!() }
        /// sqrt(a).
        pub fn $sqrt(a: $t, rm: u8, flags: &mut u8) -> $t { unimplemented!() }
        /// a * b + c with a single rounding.
        pub fn $fma(a: $t, b: $t, c: $t, rm: u8, flags: &mut u8) -> $t { unimplemented!() }
        /// fmin (IEEE 754-2019 minimumNumber; -0 < +0).
        pub fn $min(a: $t, b: $t, flags: &mut u8) -> $t { unimplemented!() }
        /// fmax (IEEE 754-2019 maximumNumber; -0 < +0).
        pub fn $max(a: $t, b: $t, flags: &mut u8) -> $t { unimplemented!() }
        /// feq (quiet).
        pub fn $eq(a: $t, b: $t, flags: &mut u8) -> bool { unimplemented!() }
        /// flt (signaling).
        pub fn $lt(a: $t, b: $t, flags: &mut u8) -> bool { unimplemented!() }
        /// fle (signaling).
        pub fn $le(a: $t, b: $t, flags: &mut u8) -> bool { unimplemented!() }
        /// fclass: the one-hot class mask.
        pub fn $class(a: $t) -> u64 { unimplemented!() }
        /// fcvt.w: saturating conversion to i32 (result sign-extended by the caller).
        pub fn $to_i32(a: $t, rm: u8, flags: &mut u8) -> i32 { unimplemented!() }
        /// fcvt.wu: saturating conversion to u32.
        pub fn $to_u32(a: $t, rm: u8, flags: &mut u8) -> u32 { unimplemented!() }
        /// fcvt.l: saturating conversion to i64.
        pub fn $to_i64(a: $t, rm: u8, flags: &mut u8) -> i64 { unimplemented!() }
        /// fcvt.lu: saturating conversion to u64.
        pub fn $to_u64(a: $t, rm: u8, flags: &mut u8) -> u64 { unimplemented!() }
        /// fcvt from i32.
        pub fn $from_i32(a: i32, rm: u8, flags: &mut u8) -> $t { unimplemented!() }
        /// fcvt from u32.
        pub fn $from_u32(a: u32, rm: u8, flags: &mut u8) -> $t { unimplemented!() }
        /// fcvt from i64.
        pub fn $from_i64(a: i64, rm: u8, flags: &mut u8) -> $t { unimplemented!() }
        /// fcvt from u64.
        pub fn $from_u64(a: u64, rm: u8, flags: &mut u8) -> $t { unimplemented!() }
    };
}

fpu_api!(u32, add_s, sub_s, mul_s, div_s, sqrt_s, fma_s, min_s, max_s, eq_s, lt_s, le_s,
    class_s, s_to_i32, s_to_u32, s_to_i64, s_to_u64, i32_to_s, u32_to_s, i64_to_s, u64_to_s);
fpu_api!(u64, add_d, sub_d, mul_d, div_d, sqrt_d, fma_d, min_d, max_d, eq_d, lt_d, le_d,
    class_d, d_to_i32, d_to_u32, d_to_i64, d_to_u64, i32_to_d, u32_to_d, i64_to_d, u64_to_d);

/// fcvt.s.d: double to single, rounded.
pub fn d_to_s(a: u64, rm: u8, flags: &mut u8) -> u32 { unimplemented!() }
/// fcvt.d.s: single to double (exact; NV for signaling NaN; NaN results canonical).
pub fn s_to_d(a: u32, flags: &mut u8) -> u64 { unimplemented!() }
