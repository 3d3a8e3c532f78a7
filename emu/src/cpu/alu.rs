//! Integer arithmetic whose RISC-V semantics differ from Rust's operators: the high
//! halves of products and division without traps (by zero and on overflow).

use devices::cast::{low_i32, low_u32};

/// Sign-extends the low 32 bits.
#[inline(always)]
pub(super) fn sext32(v: u64) -> u64 {
    low_i32(v) as i64 as u64
}

/// High 64 bits of signed × signed.
pub(super) fn mulh(a: u64, b: u64) -> u64 {
    ((i128::from(a as i64) * i128::from(b as i64)) >> 64) as u64
}

/// High 64 bits of signed × unsigned.
pub(super) fn mulhsu(a: u64, b: u64) -> u64 {
    ((i128::from(a as i64) * i128::from(b)) >> 64) as u64
}

/// High 64 bits of unsigned × unsigned.
pub(super) fn mulhu(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) >> 64) as u64
}

/// Signed division: x / 0 = -1, MIN / -1 = MIN.
pub(super) fn div(a: u64, b: u64) -> u64 {
    if b == 0 {
        u64::MAX
    } else {
        (a as i64).wrapping_div(b as i64) as u64
    }
}

/// Unsigned division: x / 0 = all ones.
pub(super) fn divu(a: u64, b: u64) -> u64 {
    a.checked_div(b).unwrap_or(u64::MAX)
}

/// Signed remainder: x % 0 = x, MIN % -1 = 0.
pub(super) fn rem(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        (a as i64).wrapping_rem(b as i64) as u64
    }
}

/// Unsigned remainder: x % 0 = x.
pub(super) fn remu(a: u64, b: u64) -> u64 {
    a.checked_rem(b).unwrap_or(a)
}

/// divw: signed division of the low words, sign-extended.
pub(super) fn divw(a: u64, b: u64) -> u64 {
    let (a, b) = (low_i32(a), low_i32(b));
    if b == 0 {
        u64::MAX
    } else {
        a.wrapping_div(b) as i64 as u64
    }
}

/// divuw: unsigned division of the low words, sign-extended.
pub(super) fn divuw(a: u64, b: u64) -> u64 {
    let (a, b) = (low_u32(a), low_u32(b));
    sext32(u64::from(a.checked_div(b).unwrap_or(u32::MAX)))
}

/// remw: signed remainder of the low words, sign-extended.
pub(super) fn remw(a: u64, b: u64) -> u64 {
    let (a, b) = (low_i32(a), low_i32(b));
    if b == 0 {
        a as i64 as u64
    } else {
        a.wrapping_rem(b) as i64 as u64
    }
}

/// remuw: unsigned remainder of the low words, sign-extended.
pub(super) fn remuw(a: u64, b: u64) -> u64 {
    let (a, b) = (low_u32(a), low_u32(b));
    sext32(u64::from(a.checked_rem(b).unwrap_or(a)))
}
