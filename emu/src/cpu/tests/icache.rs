//! The decoded-code cache: reuse, invalidation (fence.i, epoch, flush_icache),
//! instructions at and across page boundaries, and exact counts and pcs in blocks that
//! run through untaken branches.

use super::asm::*;
use super::flat::{setup, FlatEnv, FlatMem, CODE, DATA};
use crate::cpu::{Cpu, Exit};
use mmu::fault::{Access, FaultKind};
use std::sync::atomic::Ordering;

/// Code at CODE: `addi a0, zero, 1; ecall`; a stub at CODE + 0x100: `fence.i; j CODE`.
fn patched_program() -> (FlatEnv, Cpu) {
    let (env, cpu) = setup(&[addi(A0, ZERO, 1), ECALL]);
    env.mem
        .write_code(CODE + 0x100, &[FENCE_I, jal(ZERO, -0x104)]);
    (env, cpu)
}

fn rerun(env: &mut FlatEnv, cpu: &mut Cpu, pc: u64) -> u64 {
    cpu.pc = pc;
    assert_eq!(cpu.run(env), Exit::Ecall);
    cpu.x[A0 as usize]
}

#[test]
fn decoded_code_is_reused() {
    let (mut env, mut cpu) = patched_program();
    assert_eq!(rerun(&mut env, &mut cpu, CODE), 1);
    let fetches = env.fetches;
    assert_eq!(rerun(&mut env, &mut cpu, CODE), 1);
    assert_eq!(env.fetches, fetches, "nothing fetched again");
}

#[test]
fn modified_code_needs_fence_i() {
    let (mut env, mut cpu) = patched_program();
    assert_eq!(rerun(&mut env, &mut cpu, CODE), 1);
    env.mem.write_code(CODE, &[addi(A0, ZERO, 2)]);
    // Without fence.i the old decode may run (and here does).
    assert_eq!(rerun(&mut env, &mut cpu, CODE), 1);
    // After fence.i the new one runs.
    assert_eq!(rerun(&mut env, &mut cpu, CODE + 0x100), 2);
}

#[test]
fn epoch_change_invalidates() {
    let (mut env, mut cpu) = patched_program();
    assert_eq!(rerun(&mut env, &mut cpu, CODE), 1);
    env.mem.write_code(CODE, &[addi(A0, ZERO, 3)]);
    env.epoch.fetch_add(1, Ordering::Relaxed);
    assert_eq!(rerun(&mut env, &mut cpu, CODE), 3);
}

#[test]
fn epoch_change_is_seen_at_a_taken_branch() {
    // The loop ends only once its first instruction is re-decoded after the patch. The
    // environment raises the stop word after the epoch, as `HartEnv` asks: the run stops
    // at a block boundary, and the next one decodes afresh.
    let code = [addi(A1, ZERO, 0), addi(A0, A0, 1), beq(A1, ZERO, -8), ECALL];
    let (mut env, mut cpu) = setup(&code);
    let (mem, epoch, interrupt) = (env.mem.clone(), env.epoch.clone(), env.interrupt.clone());
    let patcher = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(20));
        mem.write_code(CODE, &[addi(A1, ZERO, 1)]);
        epoch.fetch_add(1, Ordering::SeqCst);
        interrupt.store(true, Ordering::SeqCst);
    });
    let mut stops = 0;
    loop {
        match cpu.run(&mut env) {
            Exit::Interrupt => {
                stops += 1;
                env.interrupt.store(false, Ordering::SeqCst);
            }
            exit => {
                assert_eq!(exit, Exit::Ecall);
                break;
            }
        }
    }
    patcher.join().unwrap();
    assert!(stops <= 1, "stopped at most once, for the patch: {stops}");
    assert!(cpu.x[A0 as usize] > 1);
}

#[test]
fn flush_icache_invalidates() {
    let (mut env, mut cpu) = patched_program();
    assert_eq!(rerun(&mut env, &mut cpu, CODE), 1);
    env.mem.write_code(CODE, &[addi(A0, ZERO, 4)]);
    cpu.flush_icache();
    assert_eq!(rerun(&mut env, &mut cpu, CODE), 4);
}

#[test]
fn self_modifying_code_with_fence_i() {
    // Overwrite the instruction at `target` with a1, fence.i, then run it.
    let target = CODE + 16;
    let (mut env, mut cpu) = setup(&[
        store(2, A1, A2, 0),
        FENCE_I,
        NOP,
        NOP,
        addi(A0, ZERO, 1),
        ECALL,
    ]);
    // Decode the target first, so that a stale copy exists.
    assert_eq!(rerun(&mut env, &mut cpu, target), 1);
    cpu.x[A1 as usize] = u64::from(addi(A0, ZERO, 5));
    cpu.x[A2 as usize] = target;
    assert_eq!(rerun(&mut env, &mut cpu, CODE), 5);
}

#[test]
fn instruction_straddling_a_page_boundary() {
    let mem = FlatMem::new(CODE, 0x3000);
    // c.nop at 0xffc, a 4-byte instruction at 0xffe straddling into the next page.
    let end = mem.write_code(
        CODE + 0xffc,
        &[0x0001, addi(A0, ZERO, 7), addi(A1, ZERO, 8), ECALL],
    );
    assert_eq!(end, CODE + 0x100a);
    let mut env = FlatEnv::new(mem);
    let mut cpu = Cpu::new(CODE + 0xffc);
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!((cpu.x[A0 as usize], cpu.x[A1 as usize]), (7, 8));
    assert_eq!((cpu.pc, cpu.instret), (CODE + 0x100a, 4));

    // Jumping straight to it works too, including from the cache.
    for _ in 0..2 {
        cpu.x[A0 as usize] = 0;
        assert_eq!(rerun(&mut env, &mut cpu, CODE + 0xffe), 7);
    }

    // Its second half not executable: a fetch fault at the second page, reported at
    // the instruction.
    let mut cpu = Cpu::new(CODE + 0xffc);
    env.no_exec.push(CODE + 0x1000..CODE + 0x2000);
    let exit = cpu.run(&mut env);
    let Exit::Fault(f) = exit else {
        panic!("{exit:?}")
    };
    assert_eq!(
        (f.addr, f.access, f.kind),
        (CODE + 0x1000, Access::Exec, FaultKind::Protection)
    );
    assert_eq!(cpu.pc, CODE + 0xffe);
}

#[test]
fn code_crossing_pages_sequentially_and_by_branches() {
    let mem = FlatMem::new(CODE, 0x3000);
    // A loop whose body spans a page boundary: 4 instructions before and 4 after.
    let start = CODE + 0x1000 - 16;
    mem.write_code(
        start,
        &[
            addi(A0, A0, 1),
            addi(A0, A0, 1),
            addi(A0, A0, 1),
            addi(A0, A0, 1),
            addi(A0, A0, 1),
            addi(A1, A1, 1),
            addi(T0, ZERO, 100),
            blt(A1, T0, -28),
            ECALL,
        ],
    );
    let mut env = FlatEnv::new(mem);
    let mut cpu = Cpu::new(start);
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!(cpu.x[A0 as usize], 500);
    assert_eq!(cpu.instret, 8 * 100 + 1);
}

#[test]
fn entering_a_decoded_block_in_its_middle() {
    let (mut env, mut cpu) = setup(&[addi(A0, A0, 1), addi(A0, A0, 2), addi(A0, A0, 4), ECALL]);
    assert_eq!(rerun(&mut env, &mut cpu, CODE), 7);
    cpu.x[A0 as usize] = 0;
    assert_eq!(rerun(&mut env, &mut cpu, CODE + 8), 4);
    cpu.x[A0 as usize] = 0;
    assert_eq!(rerun(&mut env, &mut cpu, CODE + 4), 6);
}

#[test]
fn branch_taken_in_the_middle_of_a_block_retires_what_ran() {
    // One block: the bne is taken, so the addi after it never runs.
    let (mut env, mut cpu) = setup(&[
        addi(A0, ZERO, 1),
        bne(A0, ZERO, 8),
        addi(A0, A0, 100),
        ECALL,
    ]);
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!(cpu.x[A0 as usize], 1);
    assert_eq!((cpu.pc, cpu.instret), (CODE + 16, 3));
}

#[test]
fn fault_after_an_untaken_branch_is_precise() {
    let (mut env, mut cpu) = setup(&[addi(A0, ZERO, 1), beq(A0, ZERO, 8), ld(A1, A2, 0), ECALL]);
    env.fault_ranges
        .push((DATA..DATA + 8, FaultKind::Protection));
    cpu.x[A2 as usize] = DATA;
    let exit = cpu.run(&mut env);
    let Exit::Fault(f) = exit else {
        panic!("{exit:?}")
    };
    assert_eq!((f.addr, f.access), (DATA, Access::Read));
    assert_eq!((cpu.pc, cpu.instret), (CODE + 8, 2));
}

#[test]
fn instret_read_after_an_untaken_branch_counts_it() {
    // csrrs a1, instret, zero
    let (mut env, mut cpu) = setup(&[
        addi(A0, ZERO, 1),
        beq(A0, ZERO, 8),
        csr(2, A1, ZERO, 0xc02),
        addi(A0, A0, 1),
        ECALL,
    ]);
    assert_eq!(cpu.run(&mut env), Exit::Ecall);
    assert_eq!((cpu.x[A0 as usize], cpu.x[A1 as usize]), (2, 2));
    assert_eq!((cpu.pc, cpu.instret), (CODE + 20, 5));
}
