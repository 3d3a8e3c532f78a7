//! F/D register handling: NaN boxing, loads and stores, moves, sign injection,
//! classification and rounding-mode legality.

use super::asm::*;
use super::flat::{setup, CODE, DATA};
use crate::cpu::{Cpu, Exit};

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
    assert_eq!(env.mem.read_u64(DATA + 8) as u32, 0x4000_0000);
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
