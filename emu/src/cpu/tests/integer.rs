//! Integer execution: arithmetic against host reference math, control flow, memory,
//! traps, counters and request polling.

use super::asm::*;
use super::flat::{run_code, setup, CODE, DATA};
use crate::cpu::Exit;
use devices::cast::{low_i32, low_u32};
use mmu::fault::{Access, FaultKind};
use mmu::MemFault;
use proptest::prelude::*;

/// Runs the R-type instruction `insn` (rd = a2, rs1 = a0, rs2 = a1) on `a` and `b`.
fn exec_rr(insn: u32, a: u64, b: u64) -> u64 {
    let (cpu, exit) = run_code(&[insn, ECALL], &[(A0 as usize, a), (A1 as usize, b)]);
    assert_eq!(exit, Exit::Ecall);
    cpu.x[A2 as usize]
}

fn op(funct3: u32, funct7: u32) -> u32 {
    r(0x33, funct3, funct7, A2, A0, A1)
}

fn op32(funct3: u32, funct7: u32) -> u32 {
    r(0x3b, funct3, funct7, A2, A0, A1)
}

fn sext32(v: u64) -> u64 {
    low_i32(v) as i64 as u64
}

proptest! {
    #[test]
    fn base_arithmetic(a: u64, b: u64) {
        prop_assert_eq!(exec_rr(op(0, 0), a, b), a.wrapping_add(b));
        prop_assert_eq!(exec_rr(op(0, 0x20), a, b), a.wrapping_sub(b));
        prop_assert_eq!(exec_rr(op(2, 0), a, b), ((a as i64) < (b as i64)) as u64);
        prop_assert_eq!(exec_rr(op(3, 0), a, b), (a < b) as u64);
        prop_assert_eq!(exec_rr(op(4, 0), a, b), a ^ b);
        prop_assert_eq!(exec_rr(op(6, 0), a, b), a | b);
        prop_assert_eq!(exec_rr(op(7, 0), a, b), a & b);
        prop_assert_eq!(exec_rr(op32(0, 0), a, b), sext32(a.wrapping_add(b) & 0xffff_ffff));
        prop_assert_eq!(exec_rr(op32(0, 0x20), a, b), sext32(a.wrapping_sub(b) & 0xffff_ffff));
    }

    #[test]
    fn shifts_mask_their_amount(a: u64, b: u64) {
        let (s64, s32) = (b % 64, b % 32);
        prop_assert_eq!(exec_rr(op(1, 0), a, b), a << s64);
        prop_assert_eq!(exec_rr(op(5, 0), a, b), a >> s64);
        prop_assert_eq!(exec_rr(op(5, 0x20), a, b), ((a as i64) >> s64) as u64);
        prop_assert_eq!(exec_rr(op32(1, 0), a, b), sext32((low_u32(a) << s32) as u64));
        prop_assert_eq!(exec_rr(op32(5, 0), a, b), sext32((low_u32(a) >> s32) as u64));
        prop_assert_eq!(exec_rr(op32(5, 0x20), a, b), (low_i32(a) >> s32) as i64 as u64);
        // Immediate forms.
        let sh = (b % 64) as i32;
        prop_assert_eq!(exec_rr(i(0x13, 1, A2, A0, sh), a, 0), a << sh);
        prop_assert_eq!(exec_rr(i(0x13, 5, A2, A0, sh), a, 0), a >> sh);
        prop_assert_eq!(exec_rr(i(0x13, 5, A2, A0, 0x400 | sh), a, 0), ((a as i64) >> sh) as u64);
        let sh = (b % 32) as i32;
        prop_assert_eq!(exec_rr(i(0x1b, 1, A2, A0, sh), a, 0), sext32((low_u32(a) << sh) as u64));
        prop_assert_eq!(exec_rr(i(0x1b, 5, A2, A0, sh), a, 0), sext32((low_u32(a) >> sh) as u64));
        prop_assert_eq!(
            exec_rr(i(0x1b, 5, A2, A0, 0x400 | sh), a, 0),
            (low_i32(a) >> sh) as i64 as u64
        );
    }

    #[test]
    fn multiplication_matches_128_bit_math(a: u64, b: u64) {
        let (sa, sb) = (a as i64 as i128, b as i64 as i128);
        let ub = b as i128;
        prop_assert_eq!(exec_rr(op(0, 1), a, b), a.wrapping_mul(b));
        prop_assert_eq!(exec_rr(op(1, 1), a, b), ((sa * sb) >> 64) as u64);
        prop_assert_eq!(exec_rr(op(2, 1), a, b), ((sa * ub) >> 64) as u64);
        prop_assert_eq!(exec_rr(op(3, 1), a, b), (((a as u128) * (b as u128)) >> 64) as u64);
        prop_assert_eq!(exec_rr(op32(0, 1), a, b), sext32(low_u32(a).wrapping_mul(low_u32(b)) as u64));
    }

    #[test]
    fn division_matches_host_math(a: u64, b in prop_oneof![any::<u64>(), Just(0), Just(u64::MAX), 0u64..8]) {
        let (sa, sb) = (a as i64, b as i64);
        let div = sa.checked_div(sb).unwrap_or(if sb == 0 { -1 } else { i64::MIN });
        let rem = sa.checked_rem(sb).unwrap_or(if sb == 0 { sa } else { 0 });
        prop_assert_eq!(exec_rr(op(4, 1), a, b), div as u64);
        prop_assert_eq!(exec_rr(op(5, 1), a, b), a.checked_div(b).unwrap_or(u64::MAX));
        prop_assert_eq!(exec_rr(op(6, 1), a, b), rem as u64);
        prop_assert_eq!(exec_rr(op(7, 1), a, b), a.checked_rem(b).unwrap_or(a));
        let (wa, wb) = (low_i32(a), low_i32(b));
        let divw = wa.checked_div(wb).unwrap_or(if wb == 0 { -1 } else { i32::MIN });
        let remw = wa.checked_rem(wb).unwrap_or(if wb == 0 { wa } else { 0 });
        let (ua, ub) = (low_u32(a), low_u32(b));
        prop_assert_eq!(exec_rr(op32(4, 1), a, b), divw as i64 as u64);
        prop_assert_eq!(exec_rr(op32(5, 1), a, b), ua.checked_div(ub).unwrap_or(u32::MAX) as i32 as i64 as u64);
        prop_assert_eq!(exec_rr(op32(6, 1), a, b), remw as i64 as u64);
        prop_assert_eq!(exec_rr(op32(7, 1), a, b), ua.checked_rem(ub).unwrap_or(ua) as i32 as i64 as u64);
    }

    #[test]
    fn immediate_arithmetic(a: u64, imm in -2048i32..2048) {
        let v = imm as i64 as u64;
        prop_assert_eq!(exec_rr(i(0x13, 0, A2, A0, imm), a, 0), a.wrapping_add(v));
        prop_assert_eq!(exec_rr(i(0x13, 2, A2, A0, imm), a, 0), ((a as i64) < imm as i64) as u64);
        prop_assert_eq!(exec_rr(i(0x13, 3, A2, A0, imm), a, 0), (a < v) as u64);
        prop_assert_eq!(exec_rr(i(0x13, 4, A2, A0, imm), a, 0), a ^ v);
        prop_assert_eq!(exec_rr(i(0x13, 6, A2, A0, imm), a, 0), a | v);
        prop_assert_eq!(exec_rr(i(0x13, 7, A2, A0, imm), a, 0), a & v);
        prop_assert_eq!(exec_rr(addiw(A2, A0, imm), a, 0), sext32(a.wrapping_add(v) & 0xffff_ffff));
    }
}

#[test]
fn division_corner_cases() {
    let min = i64::MIN as u64;
    let neg1 = u64::MAX;
    assert_eq!(exec_rr(op(4, 1), 7, 0), neg1, "div by zero");
    assert_eq!(exec_rr(op(5, 1), 7, 0), u64::MAX, "divu by zero");
    assert_eq!(exec_rr(op(6, 1), 7, 0), 7, "rem by zero");
    assert_eq!(exec_rr(op(7, 1), 7, 0), 7, "remu by zero");
    assert_eq!(exec_rr(op(4, 1), min, neg1), min, "div overflow");
    assert_eq!(exec_rr(op(6, 1), min, neg1), 0, "rem overflow");
    let wmin = 0x8000_0000u64;
    assert_eq!(
        exec_rr(op32(4, 1), wmin, neg1),
        sext32(wmin),
        "divw overflow"
    );
    assert_eq!(exec_rr(op32(6, 1), wmin, neg1), 0, "remw overflow");
    assert_eq!(exec_rr(op32(4, 1), 5, 0), neg1, "divw by zero");
    assert_eq!(
        exec_rr(op32(5, 1), 5, 1 << 32),
        neg1,
        "divuw by a zero low word"
    );
    assert_eq!(
        exec_rr(op32(6, 1), 0xffff_ffff_8000_0001, 0),
        sext32(0x8000_0001),
        "remw by 0"
    );
    assert_eq!(
        exec_rr(op32(7, 1), 0x1_8000_0001, 0),
        sext32(0x8000_0001),
        "remuw by 0"
    );
}

#[test]
fn upper_immediates_and_auipc() {
    let code = [
        lui(A0, 0x8000_0000),
        auipc(A1, 0xfffff000),
        lui(A2, 0x7ffff000),
        ECALL,
    ];
    let (cpu, exit) = run_code(&code, &[]);
    assert_eq!(exit, Exit::Ecall);
    assert_eq!(cpu.x[A0 as usize], 0xffff_ffff_8000_0000);
    assert_eq!(cpu.x[A1 as usize], (CODE + 4).wrapping_sub(0x1000));
    assert_eq!(cpu.x[A2 as usize], 0x7fff_f000);
}

#[test]
fn x0_stays_zero() {
    let code = [
        addi(ZERO, ZERO, 5),
        lui(ZERO, 0x1000),
        ld(ZERO, A1, 0),
        jal(ZERO, 4),
        csr(2, ZERO, 0, 0xc02),
        amo(AMOADD, true, ZERO, A1, A1),
        add(A0, ZERO, ZERO),
        ECALL,
    ];
    let (cpu, exit) = run_code(&code, &[(A0 as usize, 9), (A1 as usize, DATA)]);
    assert_eq!(exit, Exit::Ecall);
    assert_eq!(cpu.x[0], 0);
    assert_eq!(cpu.x[A0 as usize], 0);
}

#[test]
fn loop_with_branches() {
    // a0 = sum of 1..=100.
    let code = [
        addi(A0, ZERO, 0),
        addi(A1, ZERO, 100),
        add(A0, A0, A1),
        addi(A1, A1, -1),
        bne(A1, ZERO, -8),
        ECALL,
    ];
    let (cpu, exit) = run_code(&code, &[]);
    assert_eq!(exit, Exit::Ecall);
    assert_eq!(cpu.x[A0 as usize], 5050);
    assert_eq!(cpu.instret, 2 + 3 * 100 + 1);
    assert_eq!(cpu.pc, CODE + 24);
}

#[test]
fn branch_conditions() {
    let cases: [(u32, u64, u64, bool); 12] = [
        (0, 5, 5, true),
        (0, 5, 6, false),
        (1, 5, 6, true),
        (1, 5, 5, false),
        (4, u64::MAX, 0, true),
        (4, 0, u64::MAX, false),
        (5, 0, u64::MAX, true),
        (5, u64::MAX, 0, false),
        (6, 0, u64::MAX, true),
        (6, u64::MAX, 0, false),
        (7, u64::MAX, 0, true),
        (7, 3, 3, true),
    ];
    for (funct3, a, b_val, taken) in cases {
        // Taken: skips the addi that sets a2.
        let code = [b(funct3, A0, A1, 8), addi(A2, ZERO, 1), ECALL];
        let (cpu, _) = run_code(&code, &[(A0 as usize, a), (A1 as usize, b_val)]);
        assert_eq!(
            cpu.x[A2 as usize] == 0,
            taken,
            "funct3 {funct3} {a:#x} {b_val:#x}"
        );
    }
}

#[test]
fn calls_and_returns() {
    // main: jal ra, f; addi a0, a0, 1; ecall.  f: addi a0, zero, 41; jalr zero, 0(ra)
    // jalr clears bit 0 of the target.
    let code = [
        jal(RA, 12),
        addi(A0, A0, 1),
        ECALL,
        addi(A0, ZERO, 41),
        addi(RA, RA, 1),
        jalr(ZERO, RA, 0),
    ];
    let (cpu, exit) = run_code(&code, &[]);
    assert_eq!(exit, Exit::Ecall);
    assert_eq!(cpu.x[A0 as usize], 42);
    assert_eq!(cpu.x[RA as usize], CODE + 5);
}

#[test]
fn jalr_with_rd_equal_rs1() {
    let code = [
        auipc(T0, 0),
        jalr(T0, T0, 12),
        ECALL,
        addi(A0, T0, 0),
        ECALL,
    ];
    let (cpu, _) = run_code(&code, &[]);
    assert_eq!(cpu.x[A0 as usize], CODE + 8);
}

#[test]
fn compressed_code_runs() {
    // c.li a0, 0; c.li a1, 10; loop: c.add a0, a1; c.addi a1, -1; c.bnez a1, loop;
    // c.mv a2, a0; c.slli a2, 1; ecall
    let code = [
        0x4501, 0x45a9, 0x952e, 0x15fd, 0xfdf5, 0x862a, 0x0606, ECALL,
    ];
    let (cpu, exit) = run_code(&code, &[]);
    assert_eq!(exit, Exit::Ecall);
    assert_eq!(cpu.x[A0 as usize], 55);
    assert_eq!(cpu.x[A2 as usize], 110);
    assert_eq!(cpu.pc, CODE + 18);
}

#[test]
fn loads_and_stores() {
    let (mut env, mut cpu) = setup(&[
        store(3, A1, A0, 0),
        load(0, T0, A0, 7),
        load(1, T1, A0, 6),
        load(2, T2, A0, 4),
        load(4, A2, A0, 7),
        load(5, A3, A0, 6),
        load(6, A4, A0, 4),
        store(0, A1, A0, 16),
        store(1, A1, A0, 24),
        store(2, A1, A0, 32),
        // misaligned: legal, the environment splits it.
        ld(A5, A0, 1),
        ECALL,
    ]);
    cpu.x[A0 as usize] = DATA;
    cpu.x[A1 as usize] = 0x8182_8384_8586_8788;
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    let x = |r: u32| cpu.x[r as usize];
    assert_eq!(x(T0), 0xffff_ffff_ffff_ff81);
    assert_eq!(x(T1), 0xffff_ffff_ffff_8182);
    assert_eq!(x(T2), 0xffff_ffff_8182_8384);
    assert_eq!(x(A2), 0x81);
    assert_eq!(x(A3), 0x8182);
    assert_eq!(x(A4), 0x8182_8384);
    assert_eq!(x(A5), 0x0081_8283_8485_8687);
    assert_eq!(env.mem.read_u64(DATA + 16), 0x88);
    assert_eq!(env.mem.read_u64(DATA + 24), 0x8788);
    assert_eq!(env.mem.read_u64(DATA + 32), 0x8586_8788);
}

#[test]
fn ecall_and_ebreak() {
    let (mut env, mut cpu) = setup(&[ECALL, EBREAK, 0x9002, ECALL]);
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!(cpu.pc, CODE + 4);
    assert_eq!(cpu.instret, 1);
    assert_eq!(cpu.run(&mut env), Exit::Breakpoint);
    assert_eq!(cpu.pc, CODE + 4);
    cpu.pc += 4;
    assert_eq!(cpu.run(&mut env), Exit::Breakpoint, "c.ebreak");
    assert_eq!(cpu.pc, CODE + 8);
    assert_eq!(cpu.instret, 1);
}

#[test]
fn illegal_instructions_stop_at_the_instruction() {
    for (code, insn) in [
        (vec![NOP, 0x0000_0000], 0x0000),
        (vec![NOP, 0x1020_0073], 0x1020_0073),
        (vec![NOP, csr(1, A0, A1, 0xc00)], csr(1, A0, A1, 0xc00)),
        (vec![NOP, 0x0000_6002 /* c.ldsp x0 */], 0x6002),
        (vec![NOP, 0x0000_0007 | 7 << 12], 0x7007),
    ] {
        let (cpu, exit) = run_code(&code, &[]);
        assert_eq!(exit, Exit::IllegalInstruction { insn }, "{insn:#x}");
        assert_eq!(cpu.pc, CODE + 4);
        assert_eq!(cpu.instret, 1);
    }
}

#[test]
fn memory_faults_stop_at_the_instruction() {
    let (mut env, mut cpu) = setup(&[NOP, ld(A0, A1, 8), ECALL]);
    env.fault_ranges
        .push((DATA..DATA + 0x100, FaultKind::Protection));
    cpu.x[A1 as usize] = DATA;
    let exit = cpu.run(&mut env);
    assert_eq!(
        exit,
        Exit::Fault(MemFault {
            addr: DATA + 8,
            access: Access::Read,
            kind: FaultKind::Protection
        })
    );
    assert_eq!((cpu.pc, cpu.instret), (CODE + 4, 1));

    let (mut env, mut cpu) = setup(&[sd(A0, A1, -8), ECALL]);
    cpu.x[A1 as usize] = 0x10;
    let Exit::Fault(f) = cpu.run(&mut env) else {
        panic!("store to unmapped memory must fault")
    };
    assert_eq!(
        (f.addr, f.access, f.kind),
        (8, Access::Write, FaultKind::Unmapped)
    );
    assert_eq!(cpu.pc, CODE);
}

#[test]
fn fetch_faults() {
    // Jump to unmapped memory.
    let (mut env, mut cpu) = setup(&[lui(A0, 0x4000_0000), jalr(RA, A0, 0)]);
    let Exit::Fault(f) = cpu.run(&mut env) else {
        panic!("fetch from unmapped memory must fault")
    };
    assert_eq!(
        (f.addr, f.access, f.kind),
        (0x4000_0000, Access::Exec, FaultKind::Unmapped)
    );
    assert_eq!(cpu.pc, 0x4000_0000);
    assert_eq!(cpu.x[RA as usize], CODE + 8);

    // Execute permission missing.
    let (mut env, mut cpu) = setup(&[NOP, ECALL]);
    env.no_exec.push(CODE + 4..CODE + 8);
    let Exit::Fault(f) = cpu.run(&mut env) else {
        panic!("fetch from non-executable memory must fault")
    };
    assert_eq!((f.addr, f.kind), (CODE + 4, FaultKind::Protection));
    assert_eq!(cpu.pc, CODE + 4);
}

#[test]
fn interrupts_are_seen_at_taken_branches() {
    // loop: addi a0, a0, 1; j loop
    let (mut env, mut cpu) = setup(&[addi(A0, A0, 1), jal(ZERO, -4)]);
    env.interrupt
        .store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(cpu.run(&mut env), Exit::Interrupt);
    assert_eq!((cpu.pc, cpu.instret, cpu.x[A0 as usize]), (CODE, 2, 1));

    // Released by another thread while the loop spins.
    env.interrupt
        .store(false, std::sync::atomic::Ordering::Relaxed);
    let flag = env.interrupt.clone();
    let setter = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(20));
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    assert_eq!(cpu.run(&mut env), Exit::Interrupt);
    setter.join().unwrap();
    assert_eq!(cpu.pc, CODE);
    assert_eq!(cpu.instret, 2 * cpu.x[A0 as usize]);
}

#[test]
fn interrupts_are_seen_in_long_straight_line_code() {
    let mem = super::flat::FlatMem::new(CODE, 0x4000);
    let nops = vec![NOP; 1024];
    mem.write_code(CODE, &nops);
    mem.write_code(CODE + 0x1000, &[ECALL]);
    let mut env = super::flat::FlatEnv::new(mem);
    let mut cpu = crate::cpu::Cpu::new(CODE);
    env.interrupt
        .store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(cpu.run(&mut env), Exit::Interrupt);
    assert_eq!((cpu.pc, cpu.instret), (CODE + 64 * 4, 64));
}

#[test]
fn counters() {
    let (mut env, mut cpu) = setup(&[
        NOP,
        NOP,
        csr(2, A0, 0, 0xc02), // rdinstret
        csr(2, A1, 0, 0xc00), // rdcycle
        csr(2, A2, 0, 0xc01), // rdtime
        ECALL,
    ]);
    env.now_ns = 123_456_789;
    cpu.instret = 1000;
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!(cpu.x[A0 as usize], 1002);
    assert_eq!(cpu.x[A1 as usize], 1003);
    assert_eq!(cpu.x[A2 as usize], 1_234_567);
    assert_eq!(cpu.instret, 1006);
}

#[test]
fn floating_point_csrs() {
    let code = [
        csr(1, A0, A1, 0x003),    // csrrw a0, fcsr, a1
        csr(2, A2, 0, 0x001),     // frflags a2
        csr(2, A3, 0, 0x002),     // frrm a3
        csr(5, ZERO, 3, 0x002),   // fsrmi 3
        csr(6, ZERO, 0x4, 0x001), // csrsi fflags, 4
        csr(3, A4, A5, 0x003),    // csrrc a4, fcsr, a5
        csr(7, T0, 1, 0x001),     // csrrci t0, fflags, 1
        csr(2, T1, 0, 0x003),     // frcsr t1
        ECALL,
    ];
    let (cpu, exit) = run_code(&code, &[(A1 as usize, 0xfff), (A5 as usize, 0x10)]);
    assert_eq!(exit, Exit::Ecall);
    let x = |r: u32| cpu.x[r as usize];
    assert_eq!(x(A0), 0);
    assert_eq!(x(A2), 0x1f);
    assert_eq!(x(A3), 7);
    assert_eq!(x(A4), 0x1f | 3 << 5);
    assert_eq!(x(T0), 0x0f);
    assert_eq!(x(T1), 0x0e | 3 << 5);
    assert_eq!(cpu.fcsr(), 0x0e | 3 << 5);
}

#[test]
fn fork_thread_copies_state_without_reservation() {
    let (mut env, mut cpu) = setup(&[
        amo(LR, true, A0, A1, 0),
        ECALL,
        amo(SC, true, A2, A1, A0),
        ECALL,
    ]);
    cpu.x[A1 as usize] = DATA;
    cpu.set_fcsr(0x45);
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    let mut child = cpu.fork_thread();
    assert_eq!(
        (child.x, child.f, child.pc, child.fcsr()),
        (cpu.x, cpu.f, cpu.pc, 0x45)
    );
    assert_eq!(child.run(&mut env), Exit::Ecall);
    assert_eq!(child.x[A2 as usize], 1, "no reservation in the child");
    assert!(format!("{child:?}").contains("fcsr: 0x45"));
}

#[test]
fn returns_reach_each_call_site() {
    // A loop calling f (which adds 1 to a0) from two sites; each return must come back
    // to its own site.
    let code = [
        jal(RA, 28),        // 0: call f
        addi(A1, A1, 10),   // 4
        jal(RA, 20),        // 8: call f
        addi(A1, A1, 100),  // 12
        addi(A2, A2, -1),   // 16
        bne(A2, ZERO, -20), // 20: loop to 0
        ECALL,              // 24
        addi(A0, A0, 1),    // 28: f
        jalr(ZERO, RA, 0),  // 32
    ];
    let (cpu, exit) = run_code(&code, &[(A2 as usize, 50)]);
    assert_eq!(exit, Exit::Ecall);
    assert_eq!(cpu.x[A0 as usize], 100);
    assert_eq!(cpu.x[A1 as usize], 50 * 110);
    assert_eq!(cpu.instret, 50 * 10 + 1);
}
