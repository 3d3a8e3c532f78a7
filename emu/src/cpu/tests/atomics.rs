//! LR/SC and AMOs: results, reservation rules, alignment faults, and no lost updates
//! between harts on real threads.

use super::asm::*;
use super::flat::{setup, FlatEnv, FlatMem, CODE, DATA};
use crate::cpu::{Cpu, Exit};
use mmu::fault::{Access, FaultKind};
use proptest::prelude::*;

/// Runs `code` with a1 = DATA and memory at DATA = `init`; returns (a0, a2, memory).
fn run_atomic(code: &[u32], init: u64, a0: u64) -> (u64, u64, u64, Exit) {
    let (mut env, mut cpu) = setup(code);
    env.mem.write_u64(DATA, init);
    cpu.x[A0 as usize] = a0;
    cpu.x[A1 as usize] = DATA;
    let exit = cpu.run(&mut env);
    (
        cpu.x[A0 as usize],
        cpu.x[A2 as usize],
        env.mem.read_u64(DATA),
        exit,
    )
}

proptest! {
    #[test]
    fn amo_doubleword_results(m: u64, v: u64) {
        let cases: [(u32, u64); 9] = [
            (AMOSWAP, v),
            (AMOADD, m.wrapping_add(v)),
            (AMOXOR, m ^ v),
            (AMOAND, m & v),
            (AMOOR, m | v),
            (AMOMIN, (m as i64).min(v as i64) as u64),
            (AMOMAX, (m as i64).max(v as i64) as u64),
            (AMOMINU, m.min(v)),
            (AMOMAXU, m.max(v)),
        ];
        for (funct5, want) in cases {
            let (_, old, mem, exit) = run_atomic(&[amo(funct5, true, A2, A1, A0), ECALL], m, v);
            prop_assert_eq!(exit, Exit::Ecall);
            prop_assert_eq!(old, m);
            prop_assert_eq!(mem, want, "funct5 {:#x}", funct5);
        }
    }

    #[test]
    fn amo_word_results(m: u32, v: u32, high: u32) {
        let cases: [(u32, u32); 9] = [
            (AMOSWAP, v),
            (AMOADD, m.wrapping_add(v)),
            (AMOXOR, m ^ v),
            (AMOAND, m & v),
            (AMOOR, m | v),
            (AMOMIN, (m as i32).min(v as i32) as u32),
            (AMOMAX, (m as i32).max(v as i32) as u32),
            (AMOMINU, m.min(v)),
            (AMOMAXU, m.max(v)),
        ];
        // The upper half of the doubleword must be left alone; the operand's upper
        // half must be ignored.
        let init = u64::from(high) << 32 | u64::from(m);
        let operand = 0xdead_beef_0000_0000 | u64::from(v);
        for (funct5, want) in cases {
            let (_, old, mem, exit) =
                run_atomic(&[amo(funct5, false, A2, A1, A0), ECALL], init, operand);
            prop_assert_eq!(exit, Exit::Ecall);
            prop_assert_eq!(old, m as i32 as i64 as u64, "sign-extended old value");
            prop_assert_eq!(mem, u64::from(high) << 32 | u64::from(want), "funct5 {:#x}", funct5);
        }
    }
}

#[test]
fn lr_sc_succeeds_on_an_untouched_reservation() {
    // lr.d a0, (a1); addi a0, a0, 1; sc.d a2, a0, (a1)
    let code = [
        amo(LR, true, A0, A1, 0),
        addi(A0, A0, 1),
        amo(SC, true, A2, A1, A0),
        ECALL,
    ];
    assert_eq!(run_atomic(&code, 41, 0), (42, 0, 42, Exit::Ecall));
    // Word form: sign-extends what it loads.
    let code = [
        amo(LR, false, A0, A1, 0),
        addi(A3, A0, 1),
        amo(SC, false, A2, A1, A3),
        ECALL,
    ];
    let (a0, a2, mem, _) = run_atomic(&code, 0x1_ffff_fffe, 0);
    assert_eq!((a0, a2, mem), (u64::MAX - 1, 0, 0x1_ffff_ffff));
}

#[test]
fn sc_fails_without_a_matching_reservation() {
    let t = |code: &[u32]| {
        let (_, a2, mem, exit) = run_atomic(code, 7, 99);
        assert_eq!(exit, Exit::Ecall);
        (a2, mem)
    };
    // No LR at all.
    assert_eq!(t(&[amo(SC, true, A2, A1, A0), ECALL]), (1, 7));
    // A store of another value in between (what another hart's store looks like).
    let store_between = [
        amo(LR, true, A3, A1, 0),
        addi(T0, ZERO, 8),
        sd(T0, A1, 0),
        amo(SC, true, A2, A1, A0),
        ECALL,
    ];
    assert_eq!(t(&store_between), (1, 8));
    // Another address.
    let other_address = [
        amo(LR, true, A3, A1, 0),
        addi(A1, A1, 8),
        amo(SC, true, A2, A1, A0),
        addi(A1, A1, -8),
        ECALL,
    ];
    assert_eq!(t(&other_address), (1, 7));
    // Another width.
    let other_width = [amo(LR, false, A3, A1, 0), amo(SC, true, A2, A1, A0), ECALL];
    assert_eq!(t(&other_width), (1, 7));
    // Any SC clears the reservation.
    let twice = [
        amo(LR, true, A3, A1, 0),
        amo(SC, true, A2, A1, A3),
        amo(SC, true, A2, A1, A0),
        ECALL,
    ];
    assert_eq!(t(&twice), (1, 7));
}

#[test]
fn leaving_run_drops_the_reservation() {
    let code = [
        amo(LR, true, A3, A1, 0),
        ECALL,
        amo(SC, true, A2, A1, A0),
        ECALL,
    ];
    let (mut env, mut cpu) = setup(&code);
    cpu.x[A1 as usize] = DATA;
    cpu.x[A0 as usize] = 5;
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!(cpu.x[A2 as usize], 1);
    assert_eq!(env.mem.read_u64(DATA), 0);
}

#[test]
fn misaligned_atomics_fault() {
    for insn in [
        amo(AMOADD, false, A2, A1, A0),
        amo(AMOSWAP, true, A2, A1, A0),
        amo(LR, true, A2, A1, 0),
        amo(LR, false, A2, A1, 0),
        amo(SC, true, A2, A1, A0),
        amo(SC, false, A2, A1, A0),
    ] {
        let (mut env, mut cpu) = setup(&[NOP, insn, ECALL]);
        cpu.x[A1 as usize] = DATA + 2;
        let exit = cpu.run(&mut env);
        let Exit::Fault(f) = exit else {
            panic!("{insn:#x}: {exit:?}")
        };
        assert_eq!(
            (f.addr, f.kind),
            (DATA + 2, FaultKind::Misaligned),
            "{insn:#x}"
        );
        assert_eq!(f.signal(), 7);
        assert_eq!((cpu.pc, cpu.instret), (CODE + 4, 1));
    }
}

#[test]
fn atomics_on_read_only_memory_fault() {
    let (mut env, mut cpu) = setup(&[amo(AMOADD, true, A2, A1, A0), ECALL]);
    env.fault_ranges
        .push((DATA..DATA + 8, FaultKind::Protection));
    cpu.x[A1 as usize] = DATA;
    let Exit::Fault(f) = cpu.run(&mut env) else {
        panic!("must fault")
    };
    assert_eq!((f.access, f.kind), (Access::Write, FaultKind::Protection));
}

/// Runs `threads` harts on host threads, each executing `code`, sharing memory; returns
/// the doubleword at DATA afterwards.
fn run_harts(threads: usize, code: &[u32], iterations: u64) -> u64 {
    let mem = FlatMem::new(CODE, 0x2_0000);
    mem.write_code(CODE, code);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let mem = mem.clone();
            std::thread::spawn(move || {
                let mut env = FlatEnv::new(mem);
                let mut cpu = Cpu::new(CODE);
                cpu.x[A0 as usize] = iterations;
                cpu.x[A1 as usize] = DATA;
                loop {
                    match cpu.run(&mut env) {
                        Exit::Ecall => break,
                        Exit::Interrupt => continue,
                        other => panic!("{other:?}"),
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    mem.read_u64(DATA)
}

#[test]
fn amoadd_loses_no_updates_across_threads() {
    // loop: amoadd.d zero, t0, (a1); addi a0, a0, -1; bnez a0, loop; ecall
    let code = [
        addi(T0, ZERO, 1),
        amo(AMOADD, true, ZERO, A1, T0),
        addi(A0, A0, -1),
        bne(A0, ZERO, -8),
        ECALL,
    ];
    assert_eq!(run_harts(6, &code, 50_000), 6 * 50_000);
}

#[test]
fn lr_sc_loop_loses_no_updates_across_threads() {
    // loop: lr.w t0, (a1); addi t0, t0, 1; sc.w t1, t0, (a1); bnez t1, loop;
    //       addi a0, a0, -1; bnez a0, loop; ecall
    let code = [
        amo(LR, false, T0, A1, 0),
        addi(T0, T0, 1),
        amo(SC, false, T1, A1, T0),
        bne(T1, ZERO, -12),
        addi(A0, A0, -1),
        bne(A0, ZERO, -20),
        ECALL,
    ];
    assert_eq!(run_harts(6, &code, 30_000), 6 * 30_000);
    // Same with doublewords.
    let code = [
        amo(LR, true, T0, A1, 0),
        addi(T0, T0, 1),
        amo(SC, true, T1, A1, T0),
        bne(T1, ZERO, -12),
        addi(A0, A0, -1),
        bne(A0, ZERO, -20),
        ECALL,
    ];
    assert_eq!(run_harts(4, &code, 30_000), 4 * 30_000);
}
