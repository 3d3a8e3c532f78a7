//! A minimal assembler for test programs: encoders for the formats and the
//! instructions the tests use. The decoder tables check these encoders indirectly:
//! programs built with them must run as the toolchain's encodings decode.

pub(super) const ZERO: u32 = 0;
pub(super) const RA: u32 = 1;
pub(super) const SP: u32 = 2;
pub(super) const T0: u32 = 5;
pub(super) const T1: u32 = 6;
pub(super) const T2: u32 = 7;
pub(super) const A0: u32 = 10;
pub(super) const A1: u32 = 11;
pub(super) const A2: u32 = 12;
pub(super) const A3: u32 = 13;
pub(super) const A4: u32 = 14;
pub(super) const A5: u32 = 15;

pub(super) fn r(opcode: u32, funct3: u32, funct7: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    funct7 << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode
}

pub(super) fn i(opcode: u32, funct3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    ((imm as u32) & 0xfff) << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode
}

pub(super) fn s(opcode: u32, funct3: u32, rs1: u32, rs2: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    ((imm >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | (imm & 31) << 7 | opcode
}

pub(super) fn b(funct3: u32, rs1: u32, rs2: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    ((imm >> 12) & 1) << 31
        | ((imm >> 5) & 0x3f) << 25
        | rs2 << 20
        | rs1 << 15
        | funct3 << 12
        | ((imm >> 1) & 0xf) << 8
        | ((imm >> 11) & 1) << 7
        | 0x63
}

pub(super) fn jal(rd: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    ((imm >> 20) & 1) << 31
        | ((imm >> 1) & 0x3ff) << 21
        | ((imm >> 11) & 1) << 20
        | ((imm >> 12) & 0xff) << 12
        | rd << 7
        | 0x6f
}

pub(super) fn jalr(rd: u32, rs1: u32, imm: i32) -> u32 {
    i(0x67, 0, rd, rs1, imm)
}

pub(super) fn lui(rd: u32, imm: u32) -> u32 {
    imm & 0xffff_f000 | rd << 7 | 0x37
}

pub(super) fn auipc(rd: u32, imm: u32) -> u32 {
    imm & 0xffff_f000 | rd << 7 | 0x17
}

pub(super) fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i(0x13, 0, rd, rs1, imm)
}

pub(super) fn addiw(rd: u32, rs1: u32, imm: i32) -> u32 {
    i(0x1b, 0, rd, rs1, imm)
}

pub(super) fn add(rd: u32, rs1: u32, rs2: u32) -> u32 {
    r(0x33, 0, 0, rd, rs1, rs2)
}

pub(super) fn beq(rs1: u32, rs2: u32, imm: i32) -> u32 {
    b(0, rs1, rs2, imm)
}

pub(super) fn bne(rs1: u32, rs2: u32, imm: i32) -> u32 {
    b(1, rs1, rs2, imm)
}

pub(super) fn blt(rs1: u32, rs2: u32, imm: i32) -> u32 {
    b(4, rs1, rs2, imm)
}

/// Loads: funct3 0 lb, 1 lh, 2 lw, 3 ld, 4 lbu, 5 lhu, 6 lwu.
pub(super) fn load(funct3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    i(0x03, funct3, rd, rs1, imm)
}

/// Stores: funct3 0 sb, 1 sh, 2 sw, 3 sd.
pub(super) fn store(funct3: u32, rs2: u32, rs1: u32, imm: i32) -> u32 {
    s(0x23, funct3, rs1, rs2, imm)
}

pub(super) fn ld(rd: u32, rs1: u32, imm: i32) -> u32 {
    load(3, rd, rs1, imm)
}

pub(super) fn sd(rs2: u32, rs1: u32, imm: i32) -> u32 {
    store(3, rs2, rs1, imm)
}

/// An AMO/LR/SC: `funct5` as in the spec, `double` for the .d form, aq/rl bits set.
pub(super) fn amo(funct5: u32, double: bool, rd: u32, rs1: u32, rs2: u32) -> u32 {
    r(0x2f, 2 + u32::from(double), funct5 << 2 | 3, rd, rs1, rs2)
}

pub(super) const AMOADD: u32 = 0x00;
pub(super) const AMOSWAP: u32 = 0x01;
pub(super) const LR: u32 = 0x02;
pub(super) const SC: u32 = 0x03;
pub(super) const AMOXOR: u32 = 0x04;
pub(super) const AMOOR: u32 = 0x08;
pub(super) const AMOAND: u32 = 0x0c;
pub(super) const AMOMIN: u32 = 0x10;
pub(super) const AMOMAX: u32 = 0x14;
pub(super) const AMOMINU: u32 = 0x18;
pub(super) const AMOMAXU: u32 = 0x1c;

/// csrr* with funct3 1-3 (register) or 5-7 (immediate in `rs1`).
pub(super) fn csr(funct3: u32, rd: u32, rs1: u32, number: u32) -> u32 {
    number << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | 0x73
}

pub(super) const ECALL: u32 = 0x0000_0073;
pub(super) const EBREAK: u32 = 0x0010_0073;
pub(super) const FENCE_I: u32 = 0x0000_100f;
pub(super) const NOP: u32 = 0x0000_0013;

/// An OP-FP instruction: `funct7` includes the format bits.
pub(super) fn fp(funct7: u32, rm: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    r(0x53, rm, funct7, rd, rs1, rs2)
}

pub(super) fn flw(rd: u32, rs1: u32, imm: i32) -> u32 {
    i(0x07, 2, rd, rs1, imm)
}

pub(super) fn fld(rd: u32, rs1: u32, imm: i32) -> u32 {
    i(0x07, 3, rd, rs1, imm)
}

pub(super) fn fsw(rs2: u32, rs1: u32, imm: i32) -> u32 {
    s(0x27, 2, rs1, rs2, imm)
}

pub(super) fn fsd(rs2: u32, rs1: u32, imm: i32) -> u32 {
    s(0x27, 3, rs1, rs2, imm)
}

/// A fused multiply-add: `opcode` 0x43/0x47/0x4b/0x4f, `fmt` 0 single, 1 double.
#[allow(clippy::too_many_arguments)] // an R4-type instruction has seven fields
pub(super) fn fma(opcode: u32, fmt: u32, rm: u32, rd: u32, rs1: u32, rs2: u32, rs3: u32) -> u32 {
    rs3 << 27 | fmt << 25 | rs2 << 20 | rs1 << 15 | rm << 12 | rd << 7 | opcode
}
