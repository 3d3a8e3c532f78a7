//! The clock's budget in the core: a run ends at a block boundary once `stop_at` is
//! reached, operations other harts can observe wait when they lie beyond
//! `exact_until`, and a resumed run ends as an unlimited one would.

use super::asm::*;
use super::flat::{setup, FlatEnv, CODE, DATA};
use crate::cpu::{Cpu, Exit, Pacing};

/// The loop's start: it counts a0 up to 1000, adding 3 to a2 each time.
const LOOP: u64 = CODE + 8;

fn counting_loop() -> (FlatEnv, Cpu) {
    setup(&[
        addi(A0, ZERO, 0),
        addi(A1, ZERO, 1000),
        addi(A0, A0, 1),
        addi(A2, A2, 3),
        bne(A0, A1, -8),
        ECALL,
    ])
}

#[test]
fn stop_at_ends_runs_at_block_boundaries_and_resuming_finishes_the_same() {
    let (mut env, mut unlimited) = counting_loop();
    assert_eq!(
        unlimited.pacing,
        Pacing::UNLIMITED,
        "a new core has no limits"
    );
    assert_eq!(unlimited.run(&mut env), Exit::Ecall);
    assert_eq!(unlimited.instret, 2 + 3 * 1000 + 1);

    let (mut env, mut cpu) = counting_loop();
    let mut quanta = 0;
    let exit = loop {
        let stop_at = cpu.instret + 100;
        cpu.pacing.stop_at = stop_at;
        match cpu.run(&mut env) {
            Exit::Quantum => {
                quanta += 1;
                // The first boundary at or past the limit: blocks here are 5
                // instructions (the first) or 3 long.
                assert!(
                    (stop_at..stop_at + 5).contains(&cpu.instret),
                    "stopped at {} for a limit of {stop_at}",
                    cpu.instret
                );
                assert_eq!(cpu.pc, LOOP, "a block boundary");
            }
            other => break other,
        }
    };
    assert_eq!(exit, Exit::Ecall);
    assert!(
        (29..=30).contains(&quanta),
        "{quanta} quanta for 3003 instructions"
    );
    assert_eq!(cpu.x, unlimited.x);
    assert_eq!(cpu.pc, unlimited.pc);
    assert_eq!(cpu.instret, unlimited.instret);
}

#[test]
fn a_stop_at_already_passed_still_runs_one_block() {
    let (mut env, mut cpu) = counting_loop();
    cpu.pacing.stop_at = 0;
    assert_eq!(cpu.run(&mut env), Exit::Quantum);
    assert_eq!((cpu.instret, cpu.pc), (5, LOOP));
    assert_eq!(cpu.x[A0 as usize], 1);
}

/// Three plain instructions, then `op` (the fourth, at position 3), then an ecall.
fn after_three(op: u32) -> (FlatEnv, Cpu) {
    let (env, mut cpu) = setup(&[addi(T0, T0, 1), addi(T0, T0, 1), addi(T0, T0, 1), op, ECALL]);
    env.mem.write_u64(DATA, 40);
    cpu.x[A0 as usize] = 2;
    cpu.x[A1 as usize] = DATA;
    (env, cpu)
}

/// Runs with `op` just beyond the exact window: the run must stop before it, not
/// retired; then runs again with the window reaching it.
fn stops_before(env: &mut FlatEnv, cpu: &mut Cpu) {
    cpu.pacing.exact_until = 2;
    assert_eq!(cpu.run(env), Exit::Quantum);
    assert_eq!(
        (cpu.pc, cpu.instret),
        (CODE + 12, 3),
        "stopped at the operation"
    );
    assert_eq!(cpu.x[T0 as usize], 3, "what came before it ran");
    cpu.pacing.exact_until = cpu.instret;
    assert_eq!(cpu.run(env), Exit::Ecall);
    assert_eq!((cpu.pc, cpu.instret), (CODE + 20, 5));
}

#[test]
fn an_amo_beyond_the_exact_window_waits_and_then_runs_once() {
    let (mut env, mut cpu) = after_three(amo(AMOADD, true, A2, A1, A0));
    cpu.pacing.exact_until = 2;
    assert_eq!(cpu.run(&mut env), Exit::Quantum);
    assert_eq!(env.mem.read_u64(DATA), 40, "the AMO did not run");
    assert_eq!(cpu.x[A2 as usize], 0);
    let (mut env, mut cpu) = after_three(amo(AMOADD, true, A2, A1, A0));
    stops_before(&mut env, &mut cpu);
    assert_eq!(env.mem.read_u64(DATA), 42, "the AMO ran once");
    assert_eq!(cpu.x[A2 as usize], 40);
}

#[test]
fn an_amo_at_the_window_s_end_runs() {
    let (mut env, mut cpu) = after_three(amo(AMOADD, true, A2, A1, A0));
    cpu.pacing.exact_until = 3;
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!(env.mem.read_u64(DATA), 42);
}

#[test]
fn lr_and_sc_wait_for_the_window_and_the_reservation_survives_the_wait() {
    let (mut env, mut cpu) = after_three(amo(LR, true, A2, A1, 0));
    stops_before(&mut env, &mut cpu);
    assert_eq!(cpu.x[A2 as usize], 40);

    // lr.d a2, (a1); addi a2, a2, 1; sc.d a3, a2, (a1) with the window ending before
    // the SC: it waits, and after the wait still succeeds.
    let (mut env, mut cpu) = setup(&[
        amo(LR, true, A2, A1, 0),
        addi(A2, A2, 1),
        amo(SC, true, A3, A1, A2),
        ECALL,
    ]);
    env.mem.write_u64(DATA, 7);
    cpu.x[A1 as usize] = DATA;
    cpu.x[A3 as usize] = 99;
    cpu.pacing.exact_until = 1;
    assert_eq!(cpu.run(&mut env), Exit::Quantum);
    assert_eq!((cpu.pc, cpu.instret), (CODE + 8, 2));
    assert_eq!(cpu.x[A3 as usize], 99, "the SC did not run");
    cpu.pacing.exact_until = cpu.instret;
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!(cpu.x[A3 as usize], 0, "the SC succeeded");
    assert_eq!(env.mem.read_u64(DATA), 8);
}

#[test]
fn a_load_or_store_missing_the_tlb_waits_but_a_hit_does_not() {
    let (mut env, mut cpu) = after_three(ld(A2, A1, 0));
    env.tlb_miss.push(DATA..DATA + 8);
    stops_before(&mut env, &mut cpu);
    assert_eq!(cpu.x[A2 as usize], 40);

    let (mut env, mut cpu) = after_three(sd(A0, A1, 0));
    env.tlb_miss.push(DATA..DATA + 8);
    cpu.pacing.exact_until = 2;
    assert_eq!(cpu.run(&mut env), Exit::Quantum);
    assert_eq!(env.mem.read_u64(DATA), 40, "the store did not run");
    let (mut env, mut cpu) = after_three(sd(A0, A1, 0));
    env.tlb_miss.push(DATA..DATA + 8);
    stops_before(&mut env, &mut cpu);
    assert_eq!(env.mem.read_u64(DATA), 2);

    // Hits are not held back: they cannot be observed by other harts.
    let (mut env, mut cpu) = after_three(ld(A2, A1, 0));
    cpu.pacing.exact_until = 0;
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!(cpu.x[A2 as usize], 40);
}

#[test]
fn without_limits_nothing_stops_early() {
    let (mut env, mut cpu) = after_three(amo(AMOADD, true, A2, A1, A0));
    env.tlb_miss.push(DATA..DATA + 8);
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!(env.mem.read_u64(DATA), 42);
    let (mut env, mut cpu) = after_three(ld(A3, A1, 0));
    env.tlb_miss.push(DATA..DATA + 8);
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!(cpu.x[A3 as usize], 40);
}

#[test]
fn counters_include_the_instructions_not_yet_charged() {
    let mut code = vec![NOP; 10];
    code.extend([
        csr(2, A0, 0, 0xc02), // rdinstret
        csr(2, A1, 0, 0xc00), // rdcycle
        csr(2, A2, 0, 0xc01), // rdtime
        ECALL,
    ]);
    let (mut env, mut cpu) = setup(&code);
    cpu.instret = 1000;
    cpu.pacing.charged_instret = 1000;
    cpu.pacing.insn_ps = 500;
    env.now_ns = 1_000_000 - 5;
    env.cpu_time_ns = Some(95);
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!(cpu.x[A0 as usize], 1010);
    // 11 instructions not yet charged at 0.5 ns: 5 ns (whole nanoseconds).
    assert_eq!(
        cpu.x[A1 as usize],
        (95 + 5) * 2,
        "CPU time in cycles at 2 GHz"
    );
    // 12 uncharged: 6 ns, and ticks of 100 ns.
    assert_eq!(cpu.x[A2 as usize], 10_000);
}

#[test]
fn a_tlb_miss_closes_the_exact_window_behind_it() {
    // ld a2, (a1) missing the TLB; addi; amoadd.d a3, a0, (a1): the AMO, well inside
    // the window set, must still go back to the clock after the miss.
    let (mut env, mut cpu) = setup(&[
        ld(A2, A1, 0),
        addi(T0, T0, 1),
        amo(AMOADD, true, A3, A1, A0),
        ECALL,
    ]);
    env.tlb_miss.push(DATA..DATA + 8);
    env.mem.write_u64(DATA, 40);
    cpu.x[A0 as usize] = 2;
    cpu.x[A1 as usize] = DATA;
    cpu.pacing.exact_until = 100;
    assert_eq!(cpu.run(&mut env), Exit::Quantum);
    assert_eq!((cpu.pc, cpu.instret), (CODE + 8, 2), "stopped at the AMO");
    assert_eq!(cpu.x[A2 as usize], 40, "the load ran");
    assert_eq!(env.mem.read_u64(DATA), 40, "the AMO did not");
    cpu.pacing.exact_until = cpu.instret + 100;
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!(env.mem.read_u64(DATA), 42);

    // Without limits the window stays open.
    let (mut env, mut cpu) = setup(&[ld(A2, A1, 0), amo(AMOADD, true, A3, A1, A0), ECALL]);
    env.tlb_miss.push(DATA..DATA + 8);
    cpu.x[A1 as usize] = DATA;
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!(cpu.pacing, Pacing::UNLIMITED);
}
