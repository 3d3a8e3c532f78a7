//! Input generators for the bounded runs: random bytes shaped like what each target
//! reads, so that a few thousand inputs reach past the first syntax check.

use fuzz_targets::guest_paths;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The major opcodes of RV64GC: a random word with one of them is rarely illegal.
const OPCODES: [u32; 18] = [
    0x37, 0x17, 0x6f, 0x67, 0x63, 0x03, 0x23, 0x13, 0x1b, 0x33, 0x3b, 0x0f, 0x73, 0x2f, 0x07, 0x27,
    0x43, 0x53,
];

/// Sixteen instruction words, most with a real major opcode.
pub(crate) fn instruction_words(rng: &mut ChaCha8Rng) -> Vec<u8> {
    (0..16)
        .flat_map(|_| {
            let word: u32 = rng.gen();
            let word = if rng.gen_bool(0.8) {
                (word & !0x7f) | OPCODES.choose(rng).copied().unwrap_or(0x13)
            } else {
                word
            };
            word.to_le_bytes()
        })
        .collect()
}

/// Pieces of the storage options' syntax, put together at random.
const OPTION_TOKENS: [&str; 34] = [
    "fixed:",
    "uniform:",
    "exp:",
    "lognormal:",
    "mix:",
    "every:",
    "p:",
    "for:",
    "range:",
    "deadline",
    "deadline:",
    "read=",
    "write=",
    "fifo",
    "prio",
    "none",
    "..",
    ",",
    "+",
    "*",
    ".",
    "ns",
    "us",
    "µs",
    "ms",
    "s",
    "B",
    "KiB",
    "MiB",
    "GiB",
    "TiB",
    "GB",
    "/s",
    " ",
];

/// A parser choice and text made of the options' syntax and numbers of any size.
pub(crate) fn option_text(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut text = String::new();
    for _ in 0..rng.gen_range(1..10) {
        if rng.gen_bool(0.45) {
            let digits = if rng.gen_bool(0.1) {
                rng.gen_range(15..45)
            } else {
                rng.gen_range(1..5)
            };
            for _ in 0..digits {
                text.push(char::from(b'0' + rng.gen_range(0..10)));
            }
        } else {
            text.push_str(OPTION_TOKENS.choose(rng).copied().unwrap_or(""));
        }
    }
    // The body picks the parser by this byte modulo the number of parsers.
    let mut input = vec![rng.gen::<u8>()];
    input.extend_from_slice(text.as_bytes());
    input
}

/// A call choice and a guest path made of the sandbox's names, `.`, `..` and slashes.
pub(crate) fn guest_path(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut input = vec![rng.gen::<u8>()];
    if rng.gen_bool(0.5) {
        input.push(b'/');
    }
    for i in 0..rng.gen_range(0..8) {
        if i > 0 {
            input.extend_from_slice(if rng.gen_bool(0.1) { b"//" } else { b"/" });
        }
        let name = match rng.gen_range(0..10) {
            0..=2 => "..",
            3 => ".",
            4 => "missing",
            _ => guest_paths::NAMES.choose(rng).copied().unwrap_or("a"),
        };
        input.extend_from_slice(name.as_bytes());
    }
    if rng.gen_bool(0.2) {
        input.push(b'/');
    }
    input
}

const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;
const PT_PHDR: u32 = 6;
const PT_GNU_STACK: u32 = 0x6474_e551;

/// An ELF file: a real guest with a few bytes changed, or a small RISC-V ELF built from
/// random header and program-header fields.
pub(crate) fn elf_file(rng: &mut ChaCha8Rng, guest: &[u8]) -> Vec<u8> {
    let mut file = if rng.gen_bool(0.3) {
        guest.to_vec()
    } else {
        small_elf(rng)
    };
    if rng.gen_bool(0.7) {
        let header_end = file.len().min(512);
        for _ in 0..rng.gen_range(1..6) {
            let at = rng.gen_range(0..header_end);
            file[at] = rng.gen();
        }
    }
    if rng.gen_bool(0.1) {
        let len = rng.gen_range(0..file.len());
        file.truncate(len);
    }
    file
}

fn small_elf(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let phnum: u16 = rng.gen_range(0..5);
    let payload_len = rng.gen_range(0..8192usize);
    let payload_at = 64 + 56 * u64::from(phnum);
    let file_len = payload_at + payload_len as u64;
    let mut out = Vec::new();
    out.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&[2u16, 3].choose(rng).copied().unwrap_or(2).to_le_bytes());
    out.extend_from_slice(&243u16.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    let entry = if rng.gen_bool(0.8) {
        0x10000 + rng.gen_range(0..0x4000)
    } else {
        rng.gen()
    };
    out.extend_from_slice(&u64::to_le_bytes(entry));
    out.extend_from_slice(&64u64.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&5u32.to_le_bytes());
    for half in [64u16, 56, phnum, 64, 0, 0] {
        out.extend_from_slice(&half.to_le_bytes());
    }
    let mut vaddr = 0x10000u64;
    for _ in 0..phnum {
        let p_type = match rng.gen_range(0..10) {
            0..=5 => PT_LOAD,
            6 => PT_INTERP,
            7 => PT_PHDR,
            8 => PT_GNU_STACK,
            _ => rng.gen(),
        };
        let offset = if rng.gen_bool(0.9) {
            rng.gen_range(0..file_len.max(1))
        } else {
            rng.gen()
        };
        let filesz = if rng.gen_bool(0.9) {
            rng.gen_range(0..=file_len - offset.min(file_len))
        } else {
            rng.gen()
        };
        let memsz = if rng.gen_bool(0.9) {
            filesz + rng.gen_range(0..0x3000)
        } else {
            rng.gen()
        };
        let p_vaddr = if rng.gen_bool(0.9) {
            vaddr + offset % 0x1000
        } else {
            rng.gen()
        };
        vaddr = (vaddr + memsz.min(1 << 30) + 0x1fff) & !0xfff;
        let align = [0x1000u64, 0, 1, 0x10000, rng.gen()]
            .choose(rng)
            .copied()
            .unwrap_or(0x1000);
        out.extend_from_slice(&p_type.to_le_bytes());
        out.extend_from_slice(&rng.gen_range(0..8u32).to_le_bytes());
        for field in [offset, p_vaddr, p_vaddr, filesz, memsz, align] {
            out.extend_from_slice(&field.to_le_bytes());
        }
    }
    out.extend((0..payload_len).map(|_| rng.gen::<u8>()));
    out
}
