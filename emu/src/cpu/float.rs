//! F and D computational instructions: register access with NaN boxing, sign injection,
//! moves and classification done here, arithmetic through [`super::fpu`].

use super::alu::sext32;
use super::fpu;
use super::insn::{Insn, Op};
use super::{Cpu, Exit};
use devices::cast::{low_i32, low_u32};

/// The upper half of a properly NaN-boxed single.
const BOX: u64 = 0xffff_ffff_0000_0000;
const SIGN_S: u32 = 1 << 31;
const SIGN_D: u64 = 1 << 63;

/// NaN-boxes a single for an F register.
#[inline]
pub(super) fn box_s(v: u32) -> u64 {
    BOX | u64::from(v)
}

/// The single an F register holds: the canonical NaN unless it is properly boxed.
#[inline]
pub(super) fn unbox_s(v: u64) -> u32 {
    if v & BOX == BOX {
        low_u32(v)
    } else {
        fpu::CANONICAL_NAN_S
    }
}

/// The one-hot fclass mask from the decomposed value.
fn class_mask(negative: bool, exp_max: bool, exp_zero: bool, mant_zero: bool, quiet: bool) -> u64 {
    let bit = match (exp_max, exp_zero, mant_zero) {
        (true, _, true) => [7, 0][negative as usize],
        (true, _, false) => [8, 9][quiet as usize],
        (false, true, true) => [4, 3][negative as usize],
        (false, true, false) => [5, 2][negative as usize],
        (false, false, _) => [6, 1][negative as usize],
    };
    1 << bit
}

/// fclass.s.
pub(super) fn class_s(v: u32) -> u64 {
    let exp = (v >> 23) & 0xff;
    let mant = v & 0x7f_ffff;
    class_mask(
        v & SIGN_S != 0,
        exp == 0xff,
        exp == 0,
        mant == 0,
        mant >> 22 != 0,
    )
}

/// fclass.d.
pub(super) fn class_d(v: u64) -> u64 {
    let exp = (v >> 52) & 0x7ff;
    let mant = v & ((1 << 52) - 1);
    class_mask(
        v & SIGN_D != 0,
        exp == 0x7ff,
        exp == 0,
        mant == 0,
        mant >> 51 != 0,
    )
}

/// Where a floating-point instruction's result goes.
enum Dest {
    F(u64),
    X(u64),
}

impl Cpu {
    /// The rounding mode `insn` uses: its static mode, or frm for the dynamic mode (7).
    /// An invalid frm makes the instruction illegal.
    fn rounding_mode(&self, insn: &Insn) -> Result<u8, Exit> {
        let rm = if insn.rm == 7 { self.frm } else { insn.rm };
        if rm > 4 {
            Err(Exit::IllegalInstruction {
                insn: insn.imm as u32,
            })
        } else {
            Ok(rm)
        }
    }

    /// Executes an F/D instruction other than a load or store. Exceptions accrue into
    /// fflags.
    #[inline(never)]
    pub(super) fn exec_float(&mut self, insn: &Insn) -> Result<(), Exit> {
        use Dest::{F, X};
        let rm = self.rounding_mode(insn);
        let (d1, d2, d3) = (
            self.f[insn.rs1 as usize & 31],
            self.f[insn.rs2 as usize & 31],
            self.f[insn.rs3 as usize & 31],
        );
        let (s1, s2, s3) = (unbox_s(d1), unbox_s(d2), unbox_s(d3));
        let x1 = self.x[insn.rs1 as usize & 31];
        let mut fl = 0u8;
        let fl = &mut fl;
        let result = match insn.op {
            Op::FaddS => F(box_s(fpu::add_s(s1, s2, rm?, fl))),
            Op::FsubS => F(box_s(fpu::sub_s(s1, s2, rm?, fl))),
            Op::FmulS => F(box_s(fpu::mul_s(s1, s2, rm?, fl))),
            Op::FdivS => F(box_s(fpu::div_s(s1, s2, rm?, fl))),
            Op::FsqrtS => F(box_s(fpu::sqrt_s(s1, rm?, fl))),
            // Negating an input is exact, and NaN results are canonical either way.
            Op::FmaddS => F(box_s(fpu::fma_s(s1, s2, s3, rm?, fl))),
            Op::FmsubS => F(box_s(fpu::fma_s(s1, s2, s3 ^ SIGN_S, rm?, fl))),
            Op::FnmsubS => F(box_s(fpu::fma_s(s1 ^ SIGN_S, s2, s3, rm?, fl))),
            Op::FnmaddS => F(box_s(fpu::fma_s(s1 ^ SIGN_S, s2, s3 ^ SIGN_S, rm?, fl))),
            Op::FsgnjS => F(box_s(s1 & !SIGN_S | s2 & SIGN_S)),
            Op::FsgnjnS => F(box_s(s1 & !SIGN_S | !s2 & SIGN_S)),
            Op::FsgnjxS => F(box_s(s1 ^ s2 & SIGN_S)),
            Op::FminS => F(box_s(fpu::min_s(s1, s2, fl))),
            Op::FmaxS => F(box_s(fpu::max_s(s1, s2, fl))),
            Op::FeqS => X(u64::from(fpu::eq_s(s1, s2, fl))),
            Op::FltS => X(u64::from(fpu::lt_s(s1, s2, fl))),
            Op::FleS => X(u64::from(fpu::le_s(s1, s2, fl))),
            Op::FclassS => X(class_s(s1)),
            // fmv.x.w moves the raw low word, boxed or not.
            Op::FmvXW => X(sext32(d1)),
            Op::FmvWX => F(box_s(low_u32(x1))),
            Op::FcvtWS => X(fpu::s_to_i32(s1, rm?, fl) as i64 as u64),
            Op::FcvtWuS => X(sext32(u64::from(fpu::s_to_u32(s1, rm?, fl)))),
            Op::FcvtLS => X(fpu::s_to_i64(s1, rm?, fl) as u64),
            Op::FcvtLuS => X(fpu::s_to_u64(s1, rm?, fl)),
            Op::FcvtSW => F(box_s(fpu::i32_to_s(low_i32(x1), rm?, fl))),
            Op::FcvtSWu => F(box_s(fpu::u32_to_s(low_u32(x1), rm?, fl))),
            Op::FcvtSL => F(box_s(fpu::i64_to_s(x1 as i64, rm?, fl))),
            Op::FcvtSLu => F(box_s(fpu::u64_to_s(x1, rm?, fl))),

            Op::FaddD => F(fpu::add_d(d1, d2, rm?, fl)),
            Op::FsubD => F(fpu::sub_d(d1, d2, rm?, fl)),
            Op::FmulD => F(fpu::mul_d(d1, d2, rm?, fl)),
            Op::FdivD => F(fpu::div_d(d1, d2, rm?, fl)),
            Op::FsqrtD => F(fpu::sqrt_d(d1, rm?, fl)),
            Op::FmaddD => F(fpu::fma_d(d1, d2, d3, rm?, fl)),
            Op::FmsubD => F(fpu::fma_d(d1, d2, d3 ^ SIGN_D, rm?, fl)),
            Op::FnmsubD => F(fpu::fma_d(d1 ^ SIGN_D, d2, d3, rm?, fl)),
            Op::FnmaddD => F(fpu::fma_d(d1 ^ SIGN_D, d2, d3 ^ SIGN_D, rm?, fl)),
            Op::FsgnjD => F(d1 & !SIGN_D | d2 & SIGN_D),
            Op::FsgnjnD => F(d1 & !SIGN_D | !d2 & SIGN_D),
            Op::FsgnjxD => F(d1 ^ d2 & SIGN_D),
            Op::FminD => F(fpu::min_d(d1, d2, fl)),
            Op::FmaxD => F(fpu::max_d(d1, d2, fl)),
            Op::FeqD => X(u64::from(fpu::eq_d(d1, d2, fl))),
            Op::FltD => X(u64::from(fpu::lt_d(d1, d2, fl))),
            Op::FleD => X(u64::from(fpu::le_d(d1, d2, fl))),
            Op::FclassD => X(class_d(d1)),
            Op::FmvXD => X(d1),
            Op::FmvDX => F(x1),
            Op::FcvtSD => F(box_s(fpu::d_to_s(d1, rm?, fl))),
            Op::FcvtDS => {
                // Exact, but the rounding-mode field must still be valid.
                rm?;
                F(fpu::s_to_d(s1, fl))
            }
            Op::FcvtWD => X(fpu::d_to_i32(d1, rm?, fl) as i64 as u64),
            Op::FcvtWuD => X(sext32(u64::from(fpu::d_to_u32(d1, rm?, fl)))),
            Op::FcvtLD => X(fpu::d_to_i64(d1, rm?, fl) as u64),
            Op::FcvtLuD => X(fpu::d_to_u64(d1, rm?, fl)),
            Op::FcvtDW => F(fpu::i32_to_d(low_i32(x1), rm?, fl)),
            Op::FcvtDWu => F(fpu::u32_to_d(low_u32(x1), rm?, fl)),
            Op::FcvtDL => F(fpu::i64_to_d(x1 as i64, rm?, fl)),
            Op::FcvtDLu => F(fpu::u64_to_d(x1, rm?, fl)),
            other => unreachable!("{other:?} is not a floating-point computational instruction"),
        };
        self.fflags |= *fl;
        match result {
            F(v) => self.f[insn.rd as usize & 31] = v,
            X(v) => {
                self.x[insn.rd as usize & 31] = v;
                self.x[0] = 0;
            }
        }
        Ok(())
    }
}
