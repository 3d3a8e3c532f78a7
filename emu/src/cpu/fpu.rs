//! IEEE 754 arithmetic with RISC-V semantics.
//!
//! Values are raw bit patterns (`u32` singles, `u64` doubles; NaN boxing is the caller's
//! job). `rm` is an already-resolved RISC-V rounding mode (0 RNE, 1 RTZ, 2 RDN, 3 RUP,
//! 4 RMM). `flags` accumulates fflags bits (NV 0x10, DZ 0x08, OF 0x04, UF 0x02, NX 0x01).
//!
//! Rounded arithmetic goes through Berkeley SoftFloat 3e built with its RISC-V
//! specialization, which already produces canonical NaNs. Its rounding-mode and flag
//! encodings are the RISC-V ones, so both pass through unchanged.
//!
//! The common cases avoid SoftFloat's FFI and thread-local traffic where the host can
//! produce the very same bits and flags: operations that cannot round (comparisons,
//! min/max, classification, fcvt.d.s) and float-to-integer conversions (the host's
//! integral rounding functions are exact) are done in Rust; add, sub, mul, fcvt.s.d and
//! integer-to-float conversions under RNE use the host's RNE arithmetic and derive the
//! flags exactly, handing anything near overflow, underflow or a NaN to SoftFloat. The
//! unit tests check every fast path against SoftFloat.
//!
//! SoftFloat keeps its state in C thread-locals. This module assumes it is the only code
//! that changes that state on a thread, which lets it skip reprogramming the rounding mode
//! when it has not changed.

use softfloat_sys as sf;
use std::cell::Cell;

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

// SoftFloat's flag and rounding-mode encodings coincide with RISC-V's; the mapping below is
// the identity, and these checks keep it honest if the bindings ever change.
const _: () = {
    assert!(sf::softfloat_flag_invalid == NV);
    assert!(sf::softfloat_flag_infinite == DZ);
    assert!(sf::softfloat_flag_overflow == OF);
    assert!(sf::softfloat_flag_underflow == UF);
    assert!(sf::softfloat_flag_inexact == NX);
    assert!(sf::softfloat_round_near_even == 0);
    assert!(sf::softfloat_round_minMag == 1);
    assert!(sf::softfloat_round_min == 2);
    assert!(sf::softfloat_round_max == 3);
    assert!(sf::softfloat_round_near_maxMag == 4);
};

const ALL_FLAGS: u8 = NV | DZ | OF | UF | NX;

/// Round to nearest, ties to even: the mode the host's own arithmetic uses.
const RNE: u8 = 0;

/// No rounding mode has been programmed into this thread's SoftFloat state yet.
const RM_UNSET: u8 = u8::MAX;

thread_local! {
    /// The rounding mode last written to this thread's SoftFloat state.
    static SF_RM: Cell<u8> = const { Cell::new(RM_UNSET) };
}

/// Points this thread's SoftFloat state at `rm`.
#[inline(always)]
fn set_rounding(rm: u8) {
    debug_assert!(rm <= 4, "unresolved rounding mode {rm}");
    SF_RM.with(|cur| {
        if cur.get() != rm {
            if cur.get() == RM_UNSET {
                // RISC-V detects tininess after rounding. The RISC-V specialization starts
                // that way, but the result bits of UF depend on it, so it is not left to a
                // build-time default.
                // SAFETY: writes this thread's SoftFloat global.
                unsafe {
                    sf::softfloat_detectTininess_write_helper(sf::softfloat_tininess_afterRounding)
                };
            }
            // SAFETY: writes this thread's SoftFloat global.
            unsafe { sf::softfloat_roundingMode_write_helper(rm) };
            cur.set(rm);
        }
    });
}

/// Runs `op` with cleared SoftFloat exceptions and ORs what it raised into `flags`.
#[inline(always)]
fn collect_flags<R>(flags: &mut u8, op: impl FnOnce() -> R) -> R {
    // SAFETY: the helpers only touch this thread's SoftFloat globals, and `op` calls
    // SoftFloat functions, which are pure apart from those globals.
    unsafe { sf::softfloat_exceptionFlags_write_helper(0) };
    let r = op();
    // SAFETY: as above.
    *flags |= unsafe { sf::softfloat_exceptionFlags_read_helper() } & ALL_FLAGS;
    r
}

/// Runs a rounding SoftFloat operation under `rm`.
#[inline(always)]
fn rounded<R>(rm: u8, flags: &mut u8, op: impl FnOnce() -> R) -> R {
    set_rounding(rm);
    collect_flags(flags, op)
}

macro_rules! fpu_family {
    (
        bits: $t:ty, wide: $w:ty, host: $h:ty, sf: $sft:ident,
        softfloat: [$sf_add:ident, $sf_sub:ident, $sf_mul:ident, $sf_div:ident,
            $sf_sqrt:ident, $sf_fma:ident, $sf_to_i32:ident, $sf_to_u32:ident,
            $sf_to_i64:ident, $sf_to_u64:ident, $sf_from_i32:ident, $sf_from_u32:ident,
            $sf_from_i64:ident, $sf_from_u64:ident],
        helpers: $m:ident,
        api: [$add:ident, $sub:ident, $mul:ident, $div:ident, $sqrt:ident, $fma:ident,
            $min:ident, $max:ident, $eq:ident, $lt:ident, $le:ident, $class:ident,
            $to_i32:ident, $to_u32:ident, $to_i64:ident, $to_u64:ident, $from_i32:ident,
            $from_u32:ident, $from_i64:ident, $from_u64:ident]
    ) => {
        mod $m {
            #[cfg(test)]
            use super::collect_flags;
            use super::{rounded, NV, NX, RNE};
            use softfloat_sys as sf;

            const FRAC_BITS: u32 = <$h>::MANTISSA_DIGITS - 1;
            const SIGN: $t = 1 << (<$t>::BITS - 1);
            const FRAC: $t = (1 << FRAC_BITS) - 1;
            const EXP: $t = !SIGN & !FRAC;
            const QUIET: $t = 1 << (FRAC_BITS - 1);
            const CANONICAL_NAN: $t = EXP | QUIET;
            const MIN_NORMAL: $t = FRAC + 1;

            #[inline(always)]
            pub(super) fn is_nan(a: $t) -> bool {
                a & !SIGN > EXP
            }

            #[inline(always)]
            pub(super) fn is_snan(a: $t) -> bool {
                is_nan(a) && a & QUIET == 0
            }

            /// Callers filter out NaNs, so the host comparison is exact and raises nothing.
            #[inline(always)]
            pub(super) fn lt(a: $t, b: $t) -> bool {
                <$h>::from_bits(a) < <$h>::from_bits(b)
            }

            /// Callers filter out NaNs, so the host comparison is exact and raises nothing.
            #[inline(always)]
            pub(super) fn eq(a: $t, b: $t) -> bool {
                <$h>::from_bits(a) == <$h>::from_bits(b)
            }

            /// minimumNumber (`pick_min`) or maximumNumber.
            #[inline(always)]
            pub(super) fn min_max(a: $t, b: $t, pick_min: bool, flags: &mut u8) -> $t {
                if is_nan(a) || is_nan(b) {
                    if is_snan(a) || is_snan(b) {
                        *flags |= NV;
                    }
                    return match (is_nan(a), is_nan(b)) {
                        (true, true) => CANONICAL_NAN,
                        (true, false) => b,
                        _ => a,
                    };
                }
                if eq(a, b) {
                    // Equal values differ in bits only for -0/+0, where the sign decides:
                    // OR yields -0 (the minimum), AND yields +0 (the maximum).
                    return if pick_min { a | b } else { a & b };
                }
                if lt(a, b) == pick_min {
                    a
                } else {
                    b
                }
            }

            #[inline(always)]
            pub(super) fn class(a: $t) -> u64 {
                let neg = a & SIGN != 0;
                let exp = a & EXP;
                let bit = if exp == EXP {
                    match (a & FRAC == 0, a & QUIET != 0) {
                        (true, _) if neg => 0,
                        (true, _) => 7,
                        (false, false) => 8,
                        (false, true) => 9,
                    }
                } else if exp == 0 {
                    match (a & FRAC == 0, neg) {
                        (true, true) => 3,
                        (true, false) => 4,
                        (false, true) => 2,
                        (false, false) => 5,
                    }
                } else if neg {
                    1
                } else {
                    6
                };
                1 << bit
            }

            /// Rounds `a` to an integral value for a conversion whose range is `[lo, hi)`;
            /// `None` means the conversion is invalid (NaN or out of range after rounding).
            /// The host rounding functions are exact, so this matches SoftFloat's
            /// conversions bit for bit while staying off the FFI path.
            #[inline(always)]
            pub(super) fn round_to_int(
                a: $t,
                rm: u8,
                lo: $h,
                hi: $h,
                flags: &mut u8,
            ) -> Option<$h> {
                let x = <$h>::from_bits(a);
                let r = match rm {
                    0 => x.round_ties_even(),
                    1 => x.trunc(),
                    2 => x.floor(),
                    3 => x.ceil(),
                    _ => x.round(),
                };
                // NaN fails both comparisons; -0.0 passes `lo == 0.0`, as it should.
                if r >= lo && r < hi {
                    if r != x {
                        *flags |= NX;
                    }
                    Some(r)
                } else {
                    *flags |= NV;
                    None
                }
            }

            /// Which saturation bound an invalid conversion of `a` returns.
            #[inline(always)]
            pub(super) fn saturates_low(a: $t) -> bool {
                a & SIGN != 0 && !is_nan(a)
            }

            /// Integer-to-float conversion on the host, given `a` and its RNE conversion
            /// `r` (what `as` yields); `None` where SoftFloat must round.
            #[inline(always)]
            #[allow(clippy::cast_possible_truncation)] // the round trip checks exactness
            pub(super) fn from_int(a: i128, r: $h, rm: u8, flags: &mut u8) -> Option<$t> {
                // Conversions below 2^MANTISSA_DIGITS are always exact; the round trip
                // settles the rest (no integer here can overflow a float).
                if a.unsigned_abs() <= 1 << <$h>::MANTISSA_DIGITS || r as i128 == a {
                    return Some(r.to_bits());
                }
                if rm == RNE {
                    *flags |= NX;
                    return Some(r.to_bits());
                }
                None
            }

            /// a + b under RNE on the host FPU, whose arithmetic is IEEE RNE. `None` where
            /// the flags are not derivable here (overflow, infinities, NaNs).
            #[inline(always)]
            pub(super) fn add_rne(x: $h, y: $h) -> Option<($t, u8)> {
                let s = x + y;
                // 2Sum: `e` is exactly x + y - s. Any overflow along the way makes `e`
                // non-finite. A sum is never tiny and inexact at once, so UF cannot arise.
                let yv = s - x;
                let e = (x - (s - yv)) + (y - yv);
                if !s.is_finite() || !e.is_finite() {
                    return None;
                }
                Some((s.to_bits(), if e == 0.0 { 0 } else { NX }))
            }

            /// a * b under RNE on the host FPU. `None` where the flags are not derivable
            /// here: results at or below the smallest normal (underflow depends on
            /// tininess after rounding), overflow, infinities and NaNs.
            #[inline(always)]
            pub(super) fn mul_rne(a: $t, b: $t) -> Option<($t, u8)> {
                let p = (<$h>::from_bits(a) * <$h>::from_bits(b)).to_bits();
                let mag = p & !SIGN;
                if mag == 0 && (a & !SIGN == 0 || b & !SIGN == 0) {
                    return Some((p, 0));
                }
                // A result above the smallest normal means the exact product is not tiny.
                if mag <= MIN_NORMAL || mag >= EXP {
                    return None;
                }
                // A normal result is exact iff the product of the significands fits in
                // the significand.
                let prod = <$w>::from(significand(a)) * <$w>::from(significand(b));
                let span = <$w>::BITS - prod.leading_zeros() - prod.trailing_zeros();
                Some((p, if span > <$h>::MANTISSA_DIGITS { NX } else { 0 }))
            }

            /// The integer significand, with the implicit bit for normal numbers.
            #[inline(always)]
            fn significand(a: $t) -> $t {
                if a & EXP == 0 {
                    a & FRAC
                } else {
                    a & FRAC | (FRAC + 1)
                }
            }

            // SoftFloat versions of every rounded operation: the general path, and the
            // reference the fast paths are tested against.

            #[inline]
            pub(super) fn soft_add(a: $t, b: $t, rm: u8, flags: &mut u8) -> $t {
                // SAFETY: SoftFloat functions are pure but for this thread's SoftFloat state.
                rounded(rm, flags, || unsafe {
                    sf::$sf_add(sf::$sft { v: a }, sf::$sft { v: b })
                })
                .v
            }

            #[inline]
            pub(super) fn soft_sub(a: $t, b: $t, rm: u8, flags: &mut u8) -> $t {
                // SAFETY: SoftFloat functions are pure but for this thread's SoftFloat state.
                rounded(rm, flags, || unsafe {
                    sf::$sf_sub(sf::$sft { v: a }, sf::$sft { v: b })
                })
                .v
            }

            #[inline]
            pub(super) fn soft_mul(a: $t, b: $t, rm: u8, flags: &mut u8) -> $t {
                // SAFETY: SoftFloat functions are pure but for this thread's SoftFloat state.
                rounded(rm, flags, || unsafe {
                    sf::$sf_mul(sf::$sft { v: a }, sf::$sft { v: b })
                })
                .v
            }

            #[inline]
            pub(super) fn soft_div(a: $t, b: $t, rm: u8, flags: &mut u8) -> $t {
                // SAFETY: SoftFloat functions are pure but for this thread's SoftFloat state.
                rounded(rm, flags, || unsafe {
                    sf::$sf_div(sf::$sft { v: a }, sf::$sft { v: b })
                })
                .v
            }

            #[inline]
            pub(super) fn soft_sqrt(a: $t, rm: u8, flags: &mut u8) -> $t {
                // SAFETY: SoftFloat functions are pure but for this thread's SoftFloat state.
                rounded(rm, flags, || unsafe { sf::$sf_sqrt(sf::$sft { v: a }) }).v
            }

            #[inline]
            pub(super) fn soft_fma(a: $t, b: $t, c: $t, rm: u8, flags: &mut u8) -> $t {
                // SAFETY: SoftFloat functions are pure but for this thread's SoftFloat state.
                rounded(rm, flags, || unsafe {
                    sf::$sf_fma(sf::$sft { v: a }, sf::$sft { v: b }, sf::$sft { v: c })
                })
                .v
            }

            #[cfg(test)]
            #[allow(clippy::cast_possible_truncation)] // SoftFloat's result is in range
            pub(super) fn soft_to_i32(a: $t, rm: u8, flags: &mut u8) -> i32 {
                // SAFETY: SoftFloat functions are pure but for this thread's SoftFloat state.
                collect_flags(flags, || unsafe {
                    sf::$sf_to_i32(sf::$sft { v: a }, rm, true)
                }) as i32
            }

            #[cfg(test)]
            #[allow(clippy::cast_possible_truncation)] // SoftFloat's result is in range
            pub(super) fn soft_to_u32(a: $t, rm: u8, flags: &mut u8) -> u32 {
                // SAFETY: SoftFloat functions are pure but for this thread's SoftFloat state.
                collect_flags(flags, || unsafe {
                    sf::$sf_to_u32(sf::$sft { v: a }, rm, true)
                }) as u32
            }

            #[cfg(test)]
            pub(super) fn soft_to_i64(a: $t, rm: u8, flags: &mut u8) -> i64 {
                // SAFETY: SoftFloat functions are pure but for this thread's SoftFloat state.
                collect_flags(flags, || unsafe {
                    sf::$sf_to_i64(sf::$sft { v: a }, rm, true)
                }) as i64
            }

            #[cfg(test)]
            pub(super) fn soft_to_u64(a: $t, rm: u8, flags: &mut u8) -> u64 {
                // SAFETY: SoftFloat functions are pure but for this thread's SoftFloat state.
                collect_flags(flags, || unsafe {
                    sf::$sf_to_u64(sf::$sft { v: a }, rm, true)
                }) as u64
            }

            #[inline]
            pub(super) fn soft_from_i32(a: i32, rm: u8, flags: &mut u8) -> $t {
                // SAFETY: SoftFloat functions are pure but for this thread's SoftFloat state.
                rounded(rm, flags, || unsafe { sf::$sf_from_i32(a) }).v
            }

            #[inline]
            pub(super) fn soft_from_u32(a: u32, rm: u8, flags: &mut u8) -> $t {
                // SAFETY: SoftFloat functions are pure but for this thread's SoftFloat state.
                rounded(rm, flags, || unsafe { sf::$sf_from_u32(a) }).v
            }

            #[inline]
            pub(super) fn soft_from_i64(a: i64, rm: u8, flags: &mut u8) -> $t {
                // SAFETY: SoftFloat functions are pure but for this thread's SoftFloat state.
                rounded(rm, flags, || unsafe { sf::$sf_from_i64(a) }).v
            }

            #[inline]
            pub(super) fn soft_from_u64(a: u64, rm: u8, flags: &mut u8) -> $t {
                // SAFETY: SoftFloat functions are pure but for this thread's SoftFloat state.
                rounded(rm, flags, || unsafe { sf::$sf_from_u64(a) }).v
            }
        }

        /// a + b.
        #[inline]
        pub fn $add(a: $t, b: $t, rm: u8, flags: &mut u8) -> $t {
            if rm == RNE {
                if let Some((r, f)) = $m::add_rne(<$h>::from_bits(a), <$h>::from_bits(b)) {
                    *flags |= f;
                    return r;
                }
            }
            $m::soft_add(a, b, rm, flags)
        }

        /// a - b.
        #[inline]
        pub fn $sub(a: $t, b: $t, rm: u8, flags: &mut u8) -> $t {
            if rm == RNE {
                if let Some((r, f)) = $m::add_rne(<$h>::from_bits(a), -<$h>::from_bits(b)) {
                    *flags |= f;
                    return r;
                }
            }
            $m::soft_sub(a, b, rm, flags)
        }

        /// a * b.
        #[inline]
        pub fn $mul(a: $t, b: $t, rm: u8, flags: &mut u8) -> $t {
            if rm == RNE {
                if let Some((r, f)) = $m::mul_rne(a, b) {
                    *flags |= f;
                    return r;
                }
            }
            $m::soft_mul(a, b, rm, flags)
        }

        /// a / b.
        #[inline]
        pub fn $div(a: $t, b: $t, rm: u8, flags: &mut u8) -> $t {
            $m::soft_div(a, b, rm, flags)
        }

        /// sqrt(a).
        #[inline]
        pub fn $sqrt(a: $t, rm: u8, flags: &mut u8) -> $t {
            $m::soft_sqrt(a, rm, flags)
        }

        /// a * b + c with a single rounding. NV is raised for ∞ × 0 even when `c` is a
        /// quiet NaN, as RISC-V requires.
        #[inline]
        pub fn $fma(a: $t, b: $t, c: $t, rm: u8, flags: &mut u8) -> $t {
            $m::soft_fma(a, b, c, rm, flags)
        }

        /// fmin (IEEE 754-2019 minimumNumber; -0 < +0).
        #[inline]
        pub fn $min(a: $t, b: $t, flags: &mut u8) -> $t {
            $m::min_max(a, b, true, flags)
        }

        /// fmax (IEEE 754-2019 maximumNumber; -0 < +0).
        #[inline]
        pub fn $max(a: $t, b: $t, flags: &mut u8) -> $t {
            $m::min_max(a, b, false, flags)
        }

        /// feq (quiet).
        #[inline]
        pub fn $eq(a: $t, b: $t, flags: &mut u8) -> bool {
            if $m::is_nan(a) || $m::is_nan(b) {
                if $m::is_snan(a) || $m::is_snan(b) {
                    *flags |= NV;
                }
                return false;
            }
            $m::eq(a, b)
        }

        /// flt (signaling).
        #[inline]
        pub fn $lt(a: $t, b: $t, flags: &mut u8) -> bool {
            if $m::is_nan(a) || $m::is_nan(b) {
                *flags |= NV;
                return false;
            }
            $m::lt(a, b)
        }

        /// fle (signaling).
        #[inline]
        pub fn $le(a: $t, b: $t, flags: &mut u8) -> bool {
            if $m::is_nan(a) || $m::is_nan(b) {
                *flags |= NV;
                return false;
            }
            !$m::lt(b, a)
        }

        /// fclass: the one-hot class mask.
        #[inline]
        pub fn $class(a: $t) -> u64 {
            $m::class(a)
        }

        /// fcvt.w: saturating conversion to i32 (result sign-extended by the caller).
        #[inline]
        #[allow(clippy::cast_possible_truncation)] // rounded to an integer within range first
        pub fn $to_i32(a: $t, rm: u8, flags: &mut u8) -> i32 {
            match $m::round_to_int(a, rm, -2147483648.0, 2147483648.0, flags) {
                Some(r) => r as i32,
                None if $m::saturates_low(a) => i32::MIN,
                None => i32::MAX,
            }
        }

        /// fcvt.wu: saturating conversion to u32.
        #[inline]
        #[allow(clippy::cast_possible_truncation)] // rounded to an integer within range first
        pub fn $to_u32(a: $t, rm: u8, flags: &mut u8) -> u32 {
            match $m::round_to_int(a, rm, 0.0, 4294967296.0, flags) {
                Some(r) => r as u32,
                None if $m::saturates_low(a) => 0,
                None => u32::MAX,
            }
        }

        /// fcvt.l: saturating conversion to i64.
        #[inline]
        #[allow(clippy::cast_possible_truncation)] // rounded to an integer within range first
        pub fn $to_i64(a: $t, rm: u8, flags: &mut u8) -> i64 {
            match $m::round_to_int(a, rm, -9223372036854775808.0, 9223372036854775808.0, flags) {
                Some(r) => r as i64,
                None if $m::saturates_low(a) => i64::MIN,
                None => i64::MAX,
            }
        }

        /// fcvt.lu: saturating conversion to u64.
        #[inline]
        #[allow(clippy::cast_possible_truncation)] // rounded to an integer within range first
        pub fn $to_u64(a: $t, rm: u8, flags: &mut u8) -> u64 {
            match $m::round_to_int(a, rm, 0.0, 18446744073709551616.0, flags) {
                Some(r) => r as u64,
                None if $m::saturates_low(a) => 0,
                None => u64::MAX,
            }
        }

        /// fcvt from i32.
        #[inline]
        pub fn $from_i32(a: i32, rm: u8, flags: &mut u8) -> $t {
            if let Some(r) = $m::from_int(i128::from(a), a as $h, rm, flags) {
                return r;
            }
            $m::soft_from_i32(a, rm, flags)
        }

        /// fcvt from u32.
        #[inline]
        pub fn $from_u32(a: u32, rm: u8, flags: &mut u8) -> $t {
            if let Some(r) = $m::from_int(i128::from(a), a as $h, rm, flags) {
                return r;
            }
            $m::soft_from_u32(a, rm, flags)
        }

        /// fcvt from i64.
        #[inline]
        pub fn $from_i64(a: i64, rm: u8, flags: &mut u8) -> $t {
            if let Some(r) = $m::from_int(i128::from(a), a as $h, rm, flags) {
                return r;
            }
            $m::soft_from_i64(a, rm, flags)
        }

        /// fcvt from u64.
        #[inline]
        pub fn $from_u64(a: u64, rm: u8, flags: &mut u8) -> $t {
            if let Some(r) = $m::from_int(i128::from(a), a as $h, rm, flags) {
                return r;
            }
            $m::soft_from_u64(a, rm, flags)
        }
    };
}

fpu_family! {
    bits: u32, wide: u64, host: f32, sf: float32_t,
    softfloat: [f32_add, f32_sub, f32_mul, f32_div, f32_sqrt, f32_mulAdd, f32_to_i32,
        f32_to_ui32, f32_to_i64, f32_to_ui64, i32_to_f32, ui32_to_f32, i64_to_f32, ui64_to_f32],
    helpers: single,
    api: [add_s, sub_s, mul_s, div_s, sqrt_s, fma_s, min_s, max_s, eq_s, lt_s, le_s, class_s,
        s_to_i32, s_to_u32, s_to_i64, s_to_u64, i32_to_s, u32_to_s, i64_to_s, u64_to_s]
}

fpu_family! {
    bits: u64, wide: u128, host: f64, sf: float64_t,
    softfloat: [f64_add, f64_sub, f64_mul, f64_div, f64_sqrt, f64_mulAdd, f64_to_i32,
        f64_to_ui32, f64_to_i64, f64_to_ui64, i32_to_f64, ui32_to_f64, i64_to_f64, ui64_to_f64],
    helpers: double,
    api: [add_d, sub_d, mul_d, div_d, sqrt_d, fma_d, min_d, max_d, eq_d, lt_d, le_d, class_d,
        d_to_i32, d_to_u32, d_to_i64, d_to_u64, i32_to_d, u32_to_d, i64_to_d, u64_to_d]
}

/// SoftFloat's fcvt.s.d.
#[inline]
fn soft_d_to_s(a: u64, rm: u8, flags: &mut u8) -> u32 {
    // SAFETY: a pure function of its argument and this thread's SoftFloat state.
    rounded(rm, flags, || unsafe {
        sf::f64_to_f32(sf::float64_t { v: a })
    })
    .v
}

/// fcvt.s.d: double to single, rounded.
#[inline]
#[allow(clippy::cast_possible_truncation)] // rounding to single is the instruction
pub fn d_to_s(a: u64, rm: u8, flags: &mut u8) -> u32 {
    let x = f64::from_bits(a);
    let r = x as f32;
    // A value that survives the round trip converts exactly in every mode and raises
    // nothing; NaNs never compare equal and take the slow path.
    if f64::from(r) == x {
        return r.to_bits();
    }
    // Otherwise the host result is the RNE one; it raises NX alone unless it overflowed or
    // may be tiny.
    let mag = r.to_bits() & 0x7fff_ffff;
    if rm == RNE && mag > 0x0080_0000 && mag < 0x7f80_0000 {
        *flags |= NX;
        return r.to_bits();
    }
    soft_d_to_s(a, rm, flags)
}

/// fcvt.d.s: single to double (exact; NV for signaling NaN; NaN results canonical).
#[inline]
pub fn s_to_d(a: u32, flags: &mut u8) -> u64 {
    if single::is_nan(a) {
        if single::is_snan(a) {
            *flags |= NV;
        }
        return CANONICAL_NAN_D;
    }
    // Every single is exactly representable as a double.
    f64::from(f32::from_bits(a)).to_bits()
}

#[cfg(test)]
mod tests;
