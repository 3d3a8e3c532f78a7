//! F/D register handling: NaN boxing, loads and stores, moves, sign injection,
//! classification and rounding-mode legality.

use super::asm::*;
use super::flat::{setup, CODE, DATA};
use crate::cpu::{Cpu, Exit};
use devices::cast::low_u32;

const FA0: u32 = 10;
const FA1: u32 = 11;
const FA2: u32 = 12;
const CANONICAL_NAN_S: u64 = 0xffff_ffff_7fc0_0000;

/// Runs `code` with the given F registers, a1 = DATA; returns the hart.
fn run_fp(code: &[u32], f: &[(u32, u64)], x: &[(u32, u64)]) -> (Cpu, Exit) {
    let (mut env, mut cpu) = setup(code);
    for &(r, v) in f {
        cpu.f[r as usize] = v;
    }
    for &(r, v) in x {
        cpu.x[r as usize] = v;
    }
    cpu.x[A1 as usize] = DATA;
    env.mem.write_u64(DATA, 0x4049_0fdb_4000_0000);
    let exit = cpu.run(&mut env);
    (cpu, exit)
}

#[test]
fn loads_box_singles_and_stores_move_raw_bits() {
    let code = [
        flw(FA0, A1, 0),
        flw(FA1, A1, 4),
        fld(FA2, A1, 0),
        fsw(FA0, A1, 8),
        fsd(FA2, A1, 16),
        ECALL,
    ];
    let (mut env, mut cpu) = setup(&code);
    cpu.x[A1 as usize] = DATA;
    env.mem.write_u64(DATA, 0x4049_0fdb_4000_0000);
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!(cpu.f[FA0 as usize], 0xffff_ffff_4000_0000);
    assert_eq!(cpu.f[FA1 as usize], 0xffff_ffff_4049_0fdb);
    assert_eq!(cpu.f[FA2 as usize], 0x4049_0fdb_4000_0000);
    assert_eq!(low_u32(env.mem.read_u64(DATA + 8)), 0x4000_0000);
    assert_eq!(env.mem.read_u64(DATA + 16), 0x4049_0fdb_4000_0000);
}

#[test]
fn moves_between_register_files() {
    let code = [
        fp(0x70, 0, A2, FA0, 0), // fmv.x.w a2, fa0
        fp(0x71, 0, A3, FA1, 0), // fmv.x.d a3, fa1
        fp(0x78, 0, FA2, A4, 0), // fmv.w.x fa2, a4
        fp(0x79, 0, 13, A4, 0),  // fmv.d.x fa3, a4
        fp(0x70, 0, T0, FA1, 0), // fmv.x.w t0, fa1 (unboxed: raw low word)
        ECALL,
    ];
    let (cpu, exit) = run_fp(
        &code,
        &[(FA0, 0xffff_ffff_bf80_0000), (FA1, 0x1234_5678_0000_0001)],
        &[(A4, 0x1122_3344_8899_aabb)],
    );
    assert_eq!(exit, Exit::Ecall);
    assert_eq!(
        cpu.x[A2 as usize], 0xffff_ffff_bf80_0000,
        "fmv.x.w sign-extends"
    );
    assert_eq!(cpu.x[A3 as usize], 0x1234_5678_0000_0001);
    assert_eq!(cpu.f[FA2 as usize], 0xffff_ffff_8899_aabb, "fmv.w.x boxes");
    assert_eq!(cpu.f[13], 0x1122_3344_8899_aabb);
    assert_eq!(cpu.x[T0 as usize], 1);
}

#[test]
fn sign_injection() {
    // fsgnj.s / fsgnjn.s / fsgnjx.s fa2.., fa0, fa1, then the double forms.
    let code = [
        fp(0x10, 0, 12, FA0, FA1),
        fp(0x10, 1, 13, FA0, FA1),
        fp(0x10, 2, 14, FA0, FA1),
        fp(0x10, 0, 15, 16, FA0), // fsgnj.s from an unboxed register
        fp(0x11, 0, 20, 21, 22),
        fp(0x11, 1, 23, 21, 22),
        fp(0x11, 2, 24, 21, 22),
        ECALL,
    ];
    let (cpu, _) = run_fp(
        &code,
        &[
            (FA0, 0xffff_ffff_3f80_0000), // 1.0
            (FA1, 0xffff_ffff_c000_0000), // -2.0
            (16, 0x0000_0000_3f80_0000),  // not boxed
            (21, 0xbff0_0000_0000_0000),  // -1.0
            (22, 0xc000_0000_0000_0000),  // -2.0
        ],
        &[(A4, 0)],
    );
    assert_eq!(cpu.f[12], 0xffff_ffff_bf80_0000);
    assert_eq!(cpu.f[13], 0xffff_ffff_3f80_0000);
    assert_eq!(cpu.f[14], 0xffff_ffff_bf80_0000);
    assert_eq!(
        cpu.f[15], CANONICAL_NAN_S,
        "unboxed input reads as the canonical NaN"
    );
    assert_eq!(cpu.f[20], 0xbff0_0000_0000_0000);
    assert_eq!(cpu.f[23], 0x3ff0_0000_0000_0000);
    assert_eq!(cpu.f[24], 0x3ff0_0000_0000_0000);
}

#[test]
fn classification() {
    let single = [
        (0xff80_0000u32, 0), // -inf
        (0xbf80_0000, 1),    // -1
        (0x8000_0001, 2),    // -subnormal
        (0x8000_0000, 3),    // -0
        (0x0000_0000, 4),    // +0
        (0x0000_0001, 5),    // +subnormal
        (0x3f80_0000, 6),    // +1
        (0x7f80_0000, 7),    // +inf
        (0x7f80_0001, 8),    // sNaN
        (0x7fc0_0000, 9),    // qNaN
    ];
    for (bits, class) in single {
        let (cpu, _) = run_fp(
            &[fp(0x70, 1, A2, FA0, 0), ECALL],
            &[(FA0, 0xffff_ffff_0000_0000 | u64::from(bits))],
            &[],
        );
        assert_eq!(cpu.x[A2 as usize], 1 << class, "{bits:#x}");
    }
    let (cpu, _) = run_fp(
        &[fp(0x70, 1, A2, FA0, 0), ECALL],
        &[(FA0, 0x3f80_0000)],
        &[],
    );
    assert_eq!(cpu.x[A2 as usize], 1 << 9, "unboxed is the canonical NaN");
    let double = [
        (0xfff0_0000_0000_0000u64, 0),
        (0xbff0_0000_0000_0000, 1),
        (0x8000_0000_0000_0001, 2),
        (0x8000_0000_0000_0000, 3),
        (0, 4),
        (1, 5),
        (0x3ff0_0000_0000_0000, 6),
        (0x7ff0_0000_0000_0000, 7),
        (0x7ff0_0000_0000_0001, 8),
        (0x7ff8_0000_0000_0000, 9),
    ];
    for (bits, class) in double {
        let (cpu, _) = run_fp(&[fp(0x71, 1, A2, FA0, 0), ECALL], &[(FA0, bits)], &[]);
        assert_eq!(cpu.x[A2 as usize], 1 << class, "{bits:#x}");
    }
}

#[test]
fn invalid_dynamic_rounding_mode_is_illegal() {
    // fsrmi 5; fadd.d fa0, fa0, fa0 (dynamic rounding)
    let fadd = fp(0x01, 7, FA0, FA0, FA0);
    let (cpu, exit) = run_fp(&[csr(5, ZERO, 5, 0x002), fadd, ECALL], &[], &[]);
    assert_eq!(exit, Exit::IllegalInstruction { insn: fadd });
    assert_eq!(cpu.pc, CODE + 4);
    // fcvt.d.s has a rounding-mode field too.
    let fcvt = fp(0x21, 7, FA0, FA1, 0);
    let (_, exit) = run_fp(&[csr(5, ZERO, 7, 0x002), fcvt, ECALL], &[], &[]);
    assert_eq!(exit, Exit::IllegalInstruction { insn: fcvt });
    // Operations without one do not care.
    let (_, exit) = run_fp(
        &[csr(5, ZERO, 6, 0x002), fp(0x11, 0, FA0, FA1, FA1), ECALL],
        &[],
        &[],
    );
    assert_eq!(exit, Exit::Ecall);
}

#[test]
fn compressed_floating_point_loads_and_stores() {
    // c.fld fa0, 0(a1); c.fsd fa0, 8(a1); c.fsdsp fa0, 0(sp); c.fldsp fa1, 0(sp)
    let code = [0x2188, 0xa588, 0xa02a, 0x2582, ECALL];
    let (mut env, mut cpu) = setup(&code);
    cpu.x[A1 as usize] = DATA;
    cpu.x[SP as usize] = DATA + 64;
    env.mem.write_u64(DATA, 0x4009_21fb_5444_2d18);
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!(env.mem.read_u64(DATA + 8), 0x4009_21fb_5444_2d18);
    assert_eq!(env.mem.read_u64(DATA + 64), 0x4009_21fb_5444_2d18);
    assert_eq!(cpu.f[FA1 as usize], 0x4009_21fb_5444_2d18);
}

/// Dynamic rounding mode field.
const DYN: u32 = 7;

fn d(v: f64) -> u64 {
    v.to_bits()
}

fn s(v: f32) -> u64 {
    0xffff_ffff_0000_0000 | u64::from(v.to_bits())
}

/// Runs one instruction with fa1/fa2/fa3 set; returns (fa0, a0, fflags).
fn run_one(insn: u32, fa1: u64, fa2: u64, fa3: u64) -> (u64, u64, u32) {
    let (cpu, exit) = run_fp(&[insn, ECALL], &[(FA1, fa1), (FA2, fa2), (13, fa3)], &[]);
    assert_eq!(exit, Exit::Ecall);
    (cpu.f[FA0 as usize], cpu.x[A0 as usize], cpu.fcsr() & 0x1f)
}

/// Runs one instruction reading a1 = `a1`; returns (fa0, fflags).
fn run_int_source(insn: u32, a1: u64) -> (u64, u32) {
    let (mut env, mut cpu) = setup(&[insn, ECALL]);
    cpu.x[A1 as usize] = a1;
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    (cpu.f[FA0 as usize], cpu.fcsr() & 0x1f)
}

#[test]
fn double_arithmetic() {
    let op = |funct7: u32| fp(funct7, DYN, FA0, FA1, FA2);
    assert_eq!(run_one(op(0x01), d(1.5), d(2.25), 0).0, d(3.75));
    assert_eq!(run_one(op(0x05), d(1.5), d(2.25), 0).0, d(-0.75));
    assert_eq!(run_one(op(0x09), d(1.5), d(2.25), 0).0, d(3.375));
    assert_eq!(run_one(op(0x0d), d(3.0), d(2.0), 0).0, d(1.5));
    assert_eq!(run_one(fp(0x2d, DYN, FA0, FA1, 0), d(2.25), 0, 0).0, d(1.5));
    let (q, _, flags) = run_one(op(0x0d), d(1.0), d(3.0), 0);
    assert_eq!((q, flags), (d(1.0 / 3.0), 0x01), "inexact");
    let (q, _, flags) = run_one(op(0x0d), d(1.0), d(0.0), 0);
    assert_eq!((q, flags), (d(f64::INFINITY), 0x08), "divide by zero");
}

#[test]
fn single_arithmetic_boxes_results() {
    let op = |funct7: u32| fp(funct7, DYN, FA0, FA1, FA2);
    assert_eq!(run_one(op(0x00), s(1.5), s(2.25), 0).0, s(3.75));
    assert_eq!(run_one(op(0x08), s(1.5), s(2.25), 0).0, s(3.375));
    assert_eq!(run_one(fp(0x2c, DYN, FA0, FA1, 0), s(2.25), 0, 0).0, s(1.5));
    // An unboxed operand is the canonical NaN, and so is the result.
    let (r, _, flags) = run_one(op(0x00), 0x3fc0_0000, s(1.0), 0);
    assert_eq!((r, flags), (CANONICAL_NAN_S, 0));
}

#[test]
fn fused_multiply_add_signs() {
    for (fmt, v) in [(1, d as fn(f64) -> u64), (0, |x: f64| s(to_single(x)))] {
        let run = |opcode| {
            run_one(
                fma(opcode, fmt, DYN, FA0, FA1, FA2, 13),
                v(2.0),
                v(3.0),
                v(1.0),
            )
            .0
        };
        assert_eq!(run(0x43), v(7.0), "fmadd");
        assert_eq!(run(0x47), v(5.0), "fmsub");
        assert_eq!(run(0x4b), v(-5.0), "fnmsub");
        assert_eq!(run(0x4f), v(-7.0), "fnmadd");
        // Signed zeros: fnmadd(0, 1, 0) = -0, fmsub(0, 1, 0) = +0.
        let zero = |opcode| {
            run_one(
                fma(opcode, fmt, 0, FA0, FA1, FA2, 13),
                v(0.0),
                v(1.0),
                v(0.0),
            )
            .0
        };
        assert_eq!(zero(0x4f), v(-0.0));
        assert_eq!(zero(0x47), v(0.0));
    }
}

#[test]
fn conversions_to_integers_sign_extend() {
    // fcvt.w.s a0, fa1, rtz
    let (_, a0, _) = run_one(fp(0x60, 1, A0, FA1, 0), s(-1.5), 0, 0);
    assert_eq!(a0, u64::MAX);
    // fcvt.wu.s of 3e9: the 32-bit result is sign-extended.
    let (_, a0, _) = run_one(fp(0x60, 1, A0, FA1, 1), s(3e9), 0, 0);
    assert_eq!(a0, 0xffff_ffff_b2d0_5e00);
    // fcvt.w.d of NaN saturates with NV.
    let (_, a0, flags) = run_one(fp(0x61, 1, A0, FA1, 0), d(f64::NAN), 0, 0);
    assert_eq!((a0, flags), (0x7fff_ffff, 0x10));
    // fcvt.l.d and fcvt.lu.d.
    let (_, a0, _) = run_one(fp(0x61, 1, A0, FA1, 2), d(-1e18), 0, 0);
    assert_eq!(a0, (-1_000_000_000_000_000_000i64) as u64);
    let (_, a0, _) = run_one(fp(0x61, 1, A0, FA1, 3), d(1.8e19), 0, 0);
    assert_eq!(a0, 18_000_000_000_000_000_000);
}

#[test]
fn conversions_from_integers() {
    // fcvt.d.wu fa0, a1 uses the low word only.
    assert_eq!(
        run_int_source(fp(0x69, 0, FA0, A1, 1), 0x1_ffff_ffff).0,
        d(4_294_967_295.0)
    );
    // fcvt.d.w sign-extends the low word.
    assert_eq!(
        run_int_source(fp(0x69, 0, FA0, A1, 0), 0xffff_ffff).0,
        d(-1.0)
    );
    // fcvt.s.l rounds and boxes.
    let (r, flags) = run_int_source(fp(0x68, DYN, FA0, A1, 2), (1 << 60) + 1);
    assert_eq!((r, flags), (s(1.152_921_5e18), 0x01));
    // fcvt.s.lu
    assert_eq!(
        run_int_source(fp(0x68, DYN, FA0, A1, 3), u64::MAX).0,
        s(1.844_674_4e19)
    );
}

#[test]
fn rounding_modes_static_and_dynamic() {
    // fcvt.w.d a0, fa1 with static RDN and RUP, then dynamic with frm = RUP.
    let cvt = |rm| fp(0x61, rm, A0, FA1, 0);
    assert_eq!(run_one(cvt(2), d(1.1), 0, 0).1, 1);
    assert_eq!(run_one(cvt(3), d(1.1), 0, 0).1, 2);
    let (cpu, _) = run_fp(
        &[csr(5, ZERO, 3, 0x002), cvt(DYN), ECALL],
        &[(FA1, d(1.1))],
        &[],
    );
    assert_eq!(cpu.x[A0 as usize], 2);
    assert_eq!(cpu.fcsr(), 3 << 5 | 0x01);
}

#[test]
fn precision_conversions() {
    // fcvt.s.d fa0, fa1 then fcvt.d.s fa2, fa0.
    let code = [
        fp(0x20, DYN, FA0, FA1, 1),
        fp(0x21, DYN, FA2, FA0, 0),
        ECALL,
    ];
    let (cpu, _) = run_fp(&code, &[(FA1, d(0.1))], &[]);
    assert_eq!(cpu.f[FA0 as usize], s(0.1));
    assert_eq!(cpu.f[FA2 as usize], d(f64::from(0.1f32)));
    assert_eq!(cpu.fcsr(), 0x01);
}

#[test]
fn comparisons_and_min_max() {
    let qnan = d(f64::NAN);
    // feq.d is quiet, flt.d signals on a quiet NaN.
    assert_eq!(run_one(fp(0x51, 2, A0, FA1, FA2), d(1.0), d(1.0), 0).1, 1);
    assert_eq!(
        low_u32(run_one(fp(0x51, 2, A0, FA1, FA2), qnan, d(1.0), 0).1),
        0
    );
    assert_eq!(run_one(fp(0x51, 2, A0, FA1, FA2), qnan, d(1.0), 0).2, 0);
    assert_eq!(run_one(fp(0x51, 1, A0, FA1, FA2), qnan, d(1.0), 0).2, 0x10);
    assert_eq!(run_one(fp(0x51, 0, A0, FA1, FA2), d(1.0), d(1.0), 0).1, 1);
    assert_eq!(run_one(fp(0x50, 1, A0, FA1, FA2), s(1.0), s(2.0), 0).1, 1);
    // fmin/fmax order -0 below +0 and ignore a quiet NaN.
    assert_eq!(
        run_one(fp(0x15, 0, FA0, FA1, FA2), d(0.0), d(-0.0), 0).0,
        d(-0.0)
    );
    assert_eq!(
        run_one(fp(0x15, 1, FA0, FA1, FA2), d(0.0), d(-0.0), 0).0,
        d(0.0)
    );
    assert_eq!(
        run_one(fp(0x14, 0, FA0, FA1, FA2), s(2.0), CANONICAL_NAN_S, 0).0,
        s(2.0)
    );
}

/// `x` rounded to single precision, as a test input.
#[allow(clippy::cast_possible_truncation)] // the rounding is the point
fn to_single(x: f64) -> f32 {
    x as f32
}
