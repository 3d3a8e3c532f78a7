//! Micro-benchmark of the instruction decoder: decoding a real program's code, 32-bit
//! and compressed instructions mixed as the compiler left them. `cargo bench -p emu`;
//! not run in CI.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use emu::cpu::{decode, expand_compressed, Insn};
use goblin::elf::{program_header::PF_X, Elf};
use std::hint::black_box;

/// The instruction parcels of the compute guest's executable segment.
fn guest_code() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../guests/bin/compute");
    let bytes = std::fs::read(path).expect("read guests/bin/compute");
    let elf = Elf::parse(&bytes).expect("parse guests/bin/compute");
    let text = elf
        .program_headers
        .iter()
        .find(|ph| ph.p_flags & PF_X != 0)
        .expect("an executable segment");
    let start = usize::try_from(text.p_offset).expect("offset fits");
    let len = usize::try_from(text.p_filesz).expect("size fits");
    bytes[start..start + len].to_vec()
}

/// Decodes every instruction of `code` in sequence, as a block decoder walks it.
fn decode_all(code: &[u8], out: &mut Vec<Insn>) {
    out.clear();
    let mut at = 0;
    while at + 2 <= code.len() {
        let low = u16::from_le_bytes([code[at], code[at + 1]]);
        if low & 3 != 3 {
            out.push(decode(expand_compressed(low).unwrap_or(0)));
            at += 2;
        } else if at + 4 <= code.len() {
            let raw = u32::from_le_bytes([code[at], code[at + 1], code[at + 2], code[at + 3]]);
            out.push(decode(raw));
            at += 4;
        } else {
            break;
        }
    }
}

fn decode_program(c: &mut Criterion) {
    let code = guest_code();
    let mut out = Vec::with_capacity(code.len() / 2);
    decode_all(&code, &mut out);
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(out.len() as u64));
    group.bench_function("compute_text", |b| {
        b.iter(|| {
            decode_all(black_box(&code), &mut out);
            out.len()
        })
    });
    group.finish();
}

criterion_group!(decoder, decode_program);
criterion_main!(decoder);
