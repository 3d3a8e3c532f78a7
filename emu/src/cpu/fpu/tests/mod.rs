//! Tests of the floating-point unit: directed cases of the RISC-V rules, and a
//! differential comparison with SoftFloat.

use super::*;

const RNE: u8 = 0;
const RTZ: u8 = 1;
const RDN: u8 = 2;
const RUP: u8 = 3;
const RMM: u8 = 4;
const MODES: [u8; 5] = [RNE, RTZ, RDN, RUP, RMM];

// Single-precision patterns.
const S_ONE: u32 = 0x3f80_0000;
const S_TWO: u32 = 0x4000_0000;
const S_THREE: u32 = 0x4040_0000;
const S_PZERO: u32 = 0x0000_0000;
const S_NZERO: u32 = 0x8000_0000;
const S_PINF: u32 = 0x7f80_0000;
const S_NINF: u32 = 0xff80_0000;
const S_QNAN: u32 = 0x7fc0_1234;
const S_NQNAN: u32 = 0xffc0_0000;
const S_SNAN: u32 = 0x7f80_0001;
const S_MAX: u32 = 0x7f7f_ffff;
const S_MIN_NORMAL: u32 = 0x0080_0000;
const S_MIN_SUB: u32 = 0x0000_0001;

// Double-precision patterns.
const D_ONE: u64 = 0x3ff0_0000_0000_0000;
const D_TWO: u64 = 0x4000_0000_0000_0000;
const D_THREE: u64 = 0x4008_0000_0000_0000;
const D_PZERO: u64 = 0;
const D_NZERO: u64 = 0x8000_0000_0000_0000;
const D_PINF: u64 = 0x7ff0_0000_0000_0000;
const D_NINF: u64 = 0xfff0_0000_0000_0000;
const D_QNAN: u64 = 0x7ff8_0000_0000_5678;
const D_SNAN: u64 = 0x7ff0_0000_0000_0001;
const D_MAX: u64 = 0x7fef_ffff_ffff_ffff;
const D_MIN_NORMAL: u64 = 0x0010_0000_0000_0000;

fn s(x: f32) -> u32 {
    x.to_bits()
}

fn d(x: f64) -> u64 {
    x.to_bits()
}

/// Runs `op` with fresh flags and returns its result and the flags it raised.
fn run<T>(op: impl FnOnce(&mut u8) -> T) -> (T, u8) {
    let mut flags = 0;
    let r = op(&mut flags);
    (r, flags)
}

/// Checks an inexact operation in every rounding mode: `want[i]` is the result under
/// `MODES[i]`, and each must raise exactly NX.
fn check_modes<T: PartialEq + std::fmt::LowerHex + Copy>(
    what: &str,
    want: [T; 5],
    op: impl Fn(u8, &mut u8) -> T,
) {
    for (rm, want) in MODES.into_iter().zip(want) {
        let (got, flags) = run(|f| op(rm, f));
        assert!(got == want, "{what} rm={rm}: got {got:#x}, want {want:#x}");
        assert_eq!(flags, NX, "{what} rm={rm}: flags");
    }
}

mod differential;
mod directed;
