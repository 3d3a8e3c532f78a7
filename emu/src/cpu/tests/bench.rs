//! Run-loop micro-benchmarks, ignored by default. Run with
//! `cargo test --release -p emu --lib cpu -- --ignored --nocapture`.

use super::asm::*;
use super::flat::{setup, FlatMem, DATA};
use crate::cpu::Exit;
use std::sync::Arc;
use std::time::Instant;

/// Runs `code` to its ecall, after `init` prepared memory, and prints the instruction
/// rate; returns the memory.
fn measure(
    name: &str,
    code: &[u32],
    regs: &[(u32, u64)],
    init: impl FnOnce(&FlatMem),
) -> Arc<FlatMem> {
    let (mut env, mut cpu) = setup(code);
    init(&env.mem);
    for &(r, v) in regs {
        cpu.x[r as usize] = v;
    }
    let start = Instant::now();
    loop {
        match cpu.run(&mut env) {
            Exit::Ecall => break,
            Exit::Interrupt => continue,
            other => panic!("{name}: {other:?}"),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let mips = cpu.instret as f64 / secs / 1e6;
    println!(
        "{name}: {} instructions in {secs:.3} s: {mips:.0} MIPS",
        cpu.instret
    );
    env.mem
}

#[test]
#[ignore]
fn bench_integer_loop() {
    // 25M iterations of a 4-instruction loop.
    let code = [
        lui(A0, 0x017d_8000),
        addiw(A0, A0, -1984),
        addi(A1, A1, 3),
        r(0x33, 4, 0, A2, A2, A1),
        addi(A0, A0, -1),
        bne(A0, ZERO, -12),
        ECALL,
    ];
    measure("integer loop", &code, &[], |_| ());
}

#[test]
#[ignore]
fn bench_memory_loop() {
    // 80000 passes of a load/add/store loop over 255 doublewords.
    let code = [
        lui(T2, 0x14000),
        addiw(T2, T2, -1920),
        // outer:
        addi(A3, A1, 0),
        addi(A4, A1, 255 * 8),
        // inner:
        ld(T0, A3, 0),
        add(A2, A2, T0),
        sd(A2, A3, 0),
        addi(A3, A3, 8),
        bne(A3, A4, -16),
        addi(T2, T2, -1),
        bne(T2, ZERO, -32),
        ECALL,
    ];
    measure("memory loop", &code, &[(A1, DATA)], |_| ());
}

#[test]
#[ignore]
fn bench_compressed_calls() {
    // loop: jal ra, f; c.addi a0, -1; c.bnez a0, loop; ecall.  f: c.addi a1, 1; c.jr ra
    let code = [jal(RA, 12), 0x157d, 0xfd6d, ECALL, 0x0585, 0x8082];
    measure("compressed calls", &code, &[(A0, 20_000_000)], |_| ());
}

#[test]
#[ignore]
fn bench_sort() {
    // Bubble sort of 3000 descending doublewords: loads, stores, compares, branches.
    const N: u64 = 3000;
    let code = [
        // outer: t2 = swapped, a3 = cursor, a4 = last element
        addi(T2, ZERO, 0),
        addi(A3, A1, 0),
        add(A4, A1, A2),
        // inner:
        ld(T0, A3, 0),
        ld(T1, A3, 8),
        b(5, T1, T0, 16), // bge t1, t0, noswap
        sd(T1, A3, 0),
        sd(T0, A3, 8),
        addi(T2, ZERO, 1),
        // noswap:
        addi(A3, A3, 8),
        bne(A3, A4, -28),
        bne(T2, ZERO, -44),
        ECALL,
    ];
    let mem = measure(
        "bubble sort",
        &code,
        &[(A1, DATA), (A2, (N - 1) * 8)],
        |mem| {
            for i in 0..N {
                mem.write_u64(DATA + 8 * i, (N - i) * 7);
            }
        },
    );
    for i in 0..N {
        assert_eq!(mem.read_u64(DATA + 8 * i), (i + 1) * 7);
    }
}
