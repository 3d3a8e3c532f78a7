//! The integer conversions faultline makes on purpose, audited once here so that the
//! `cast_possible_truncation` lint can stay on everywhere else.
//!
//! faultline runs on 64-bit hosts only (the guest is RV64 and guest frames are host
//! memory), so `usize` and `u64` are the same width; the assertion below makes that a
//! build error elsewhere.

const _: () = assert!(usize::BITS == 64, "faultline needs a 64-bit host");

/// A guest-sized quantity (address, length, count) as a host index: lossless on the
/// 64-bit hosts faultline builds for.
#[inline(always)]
#[allow(clippy::cast_possible_truncation)]
pub const fn u64_to_usize(v: u64) -> usize {
    v as usize
}

/// The low 32 bits of `v` (RV64's W-suffixed operations, 32-bit fields of the ABI).
#[inline(always)]
#[allow(clippy::cast_possible_truncation)]
pub const fn low_u32(v: u64) -> u32 {
    v as u32
}

/// The low 16 bits of `v`.
#[inline(always)]
#[allow(clippy::cast_possible_truncation)]
pub const fn low_u16(v: u64) -> u16 {
    v as u16
}

/// The low 8 bits of `v`.
#[inline(always)]
#[allow(clippy::cast_possible_truncation)]
pub const fn low_u8(v: u64) -> u8 {
    v as u8
}

/// A count of nanoseconds (from a `Duration` or a product of rates) as `u64`,
/// saturating: 2^64 ns is 584 years, so saturation only clamps absurd inputs.
#[inline]
pub fn saturating_u64(v: u128) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// A non-negative floating-point quantity rounded to the nearest `u64`, saturating at
/// both ends (NaN is 0), as Rust's float-to-int `as` does, but named.
#[inline]
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn f64_to_u64(v: f64) -> u64 {
    v.round() as u64
}

/// The low 32 bits of `v` as a C `int`: how a 64-bit register carries an `int` argument
/// (a file descriptor, flags) to a system call.
#[inline(always)]
#[allow(clippy::cast_possible_truncation)]
pub const fn low_i32(v: u64) -> i32 {
    v as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_keep_or_drop_exactly_what_they_say() {
        assert_eq!(u64_to_usize(u64::MAX), usize::MAX);
        assert_eq!(low_u32(0x1_2345_6789), 0x2345_6789);
        assert_eq!(low_u16(0x1_2345), 0x2345);
        assert_eq!(low_u8(0x1ff), 0xff);
        assert_eq!(low_i32(0xffff_ffff), -1);
        assert_eq!(saturating_u64(u128::MAX), u64::MAX);
        assert_eq!(saturating_u64(7), 7);
        assert_eq!(f64_to_u64(2.5), 3);
        assert_eq!(f64_to_u64(-1.0), 0);
        assert_eq!(f64_to_u64(f64::NAN), 0);
        assert_eq!(f64_to_u64(1e30), u64::MAX);
    }
}
