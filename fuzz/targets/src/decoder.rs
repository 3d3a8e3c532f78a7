//! The instruction decoder against a second path.
//!
//! A 32-bit encoding that decodes to a legal instruction is re-encoded from its decoded
//! form (the register, rounding-mode and immediate fields rebuilt from the `Insn`, the
//! opcode and function bits kept) and must decode the same again: every field the
//! decoder reports is the one the encoding holds. A compressed instruction that expands
//! must expand to a legal 32-bit encoding that passes the same check, and may only name
//! registers its own fields (or the fixed x0, ra and sp) can name.

use emu::cpu::{decode, expand_compressed, Insn, Op};

/// Decodes every 32-bit word and every 16-bit parcel of `data` (little-endian, as in
/// memory) and checks each.
pub fn run(data: &[u8]) {
    for word in data.chunks_exact(4) {
        check_32(u32::from_le_bytes([word[0], word[1], word[2], word[3]]));
    }
    for parcel in data.chunks_exact(2) {
        check_compressed(u16::from_le_bytes([parcel[0], parcel[1]]));
    }
}

/// Checks the decoding of 32-bit encoding `raw`.
pub fn check_32(raw: u32) {
    let insn = decode(raw);
    assert_eq!(insn.len, 4, "{raw:#010x}: {insn:?}");
    assert!(
        insn.rd < 32 && insn.rs1 < 32 && insn.rs2 < 32 && insn.rs3 < 32 && insn.rm < 8,
        "{raw:#010x}: field out of range in {insn:?}"
    );
    if insn.op == Op::Illegal {
        assert_eq!(
            insn.imm.cast_unsigned(),
            raw,
            "{raw:#010x}: illegal without its encoding"
        );
        return;
    }
    let again = re_encode(raw, &insn);
    assert_eq!(
        decode(again),
        insn,
        "{raw:#010x} decodes to {insn:?}, but its re-encoding {again:#010x} does not"
    );
}

/// Checks the expansion of 16-bit parcel `c`, if it is a compressed instruction.
pub fn check_compressed(c: u16) {
    if c & 3 == 3 {
        return;
    }
    let Some(raw) = expand_compressed(c) else {
        return;
    };
    assert_eq!(
        raw & 3,
        3,
        "{c:#06x} expands to a compressed encoding {raw:#010x}"
    );
    let insn = decode(raw);
    assert_ne!(
        insn.op,
        Op::Illegal,
        "{c:#06x} expands to illegal {raw:#010x}"
    );
    check_32(raw);
    let c = u32::from(c);
    let nameable = [
        0,
        1,
        2,
        (c >> 7) & 31,
        (c >> 2) & 31,
        8 + ((c >> 7) & 7),
        8 + ((c >> 2) & 7),
    ];
    for reg in [insn.rd, insn.rs1, insn.rs2] {
        assert!(
            nameable.contains(&u32::from(reg)),
            "{c:#06x} expands to {insn:?}, naming x{reg}, which no field of it holds"
        );
    }
}

const OPCODE: u32 = 0x7f;
const FUNCT3: u32 = 7 << 12;
const FUNCT7: u32 = 0x7f << 25;
const RS2: u32 = 31 << 20;

/// `raw` with every operand field rebuilt from `insn`, by the format of `raw`'s opcode.
fn re_encode(raw: u32, insn: &Insn) -> u32 {
    let rd = u32::from(insn.rd) << 7;
    let rs1 = u32::from(insn.rs1) << 15;
    let rs2 = u32::from(insn.rs2) << 20;
    let rs3 = u32::from(insn.rs3) << 27;
    let imm = insn.imm.cast_unsigned();
    let funct3 = (raw >> 12) & 7;
    let i_type = (raw & (OPCODE | FUNCT3)) | rd | rs1 | imm << 20;
    match raw & OPCODE {
        0x37 | 0x17 => (raw & OPCODE) | rd | (imm & 0xffff_f000),
        0x6f => (raw & OPCODE) | rd | j_imm(imm),
        0x67 | 0x03 | 0x07 => i_type,
        // Shifts: the upper immediate bits select the operation; only the shift amount
        // is an operand.
        0x13 if funct3 == 1 || funct3 == 5 => {
            (raw & (OPCODE | FUNCT3 | 0xfc00_0000)) | rd | rs1 | (imm & 63) << 20
        }
        0x1b if funct3 == 1 || funct3 == 5 => {
            (raw & (OPCODE | FUNCT3 | FUNCT7)) | rd | rs1 | (imm & 31) << 20
        }
        0x13 | 0x1b => i_type,
        0x23 | 0x27 => (raw & (OPCODE | FUNCT3)) | rs1 | rs2 | s_imm(imm),
        0x63 => (raw & (OPCODE | FUNCT3)) | rs1 | rs2 | b_imm(imm),
        0x33 | 0x3b | 0x2f => (raw & (OPCODE | FUNCT3 | FUNCT7)) | rd | rs1 | rs2,
        0x73 if funct3 != 0 => (raw & (OPCODE | FUNCT3)) | rd | rs1 | (imm & 0xfff) << 20,
        0x43 | 0x47 | 0x4b | 0x4f => {
            (raw & (OPCODE | 3 << 25)) | rd | rm(raw, insn) | rs1 | rs2 | rs3
        }
        0x53 => {
            // Unary operations use the rs2 field to select the operation.
            let unary = matches!(raw >> 27, 0x08 | 0x0b | 0x18 | 0x1a | 0x1c | 0x1e);
            let operands = if unary { (raw & RS2) | rs1 } else { rs1 | rs2 };
            (raw & (OPCODE | FUNCT7)) | rd | rm(raw, insn) | operands
        }
        // fence, fence.i, ecall, ebreak, wfi: no operand fields.
        _ => raw,
    }
}

/// The funct3 field: the rounding mode `insn` reports, or `raw`'s own where it reports
/// none (funct3 then selects the operation).
fn rm(raw: u32, insn: &Insn) -> u32 {
    if insn.rm == 0 {
        raw & FUNCT3
    } else {
        u32::from(insn.rm) << 12
    }
}

fn s_imm(imm: u32) -> u32 {
    (imm & 0xfe0) << 20 | (imm & 0x1f) << 7
}

fn b_imm(imm: u32) -> u32 {
    (imm & 0x1000) << 19 | (imm & 0x7e0) << 20 | (imm & 0x1e) << 7 | (imm & 0x800) >> 4
}

fn j_imm(imm: u32) -> u32 {
    (imm & 0x10_0000) << 11 | (imm & 0x7fe) << 20 | (imm & 0x800) << 9 | (imm & 0xf_f000)
}
