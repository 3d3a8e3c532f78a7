//! Run-loop micro-benchmarks, ignored by default. Run with
//! `cargo test --release -p emu --lib cpu -- --ignored --nocapture`.

use super::asm::*;
use super::flat::{setup, DATA};
use crate::cpu::Exit;
use std::time::Instant;

/// Runs `code` to its ecall and prints the instruction rate.
fn measure(name: &str, code: &[u32], regs: &[(u32, u64)]) -> f64 {
    let (mut env, mut cpu) = setup(code);
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
    mips
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
    measure("integer loop", &code, &[]);
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
    measure("memory loop", &code, &[(A1, DATA)]);
}

#[test]
#[ignore]
fn bench_compressed_calls() {
    // loop: jal ra, f; c.addi a0, -1; c.bnez a0, loop; ecall.  f: c.addi a1, 1; c.jr ra
    let code = [jal(RA, 12), 0x157d, 0xfd6d, ECALL, 0x0585, 0x8082];
    measure("compressed calls", &code, &[(A0, 20_000_000)]);
}
