//! A minimal assembler for test programs: encoders for the formats and the
//! instructions the tests use. The decoder tables check these encoders indirectly:
//! programs built with them must run as the toolchain's encodings decode.

pub const ZERO: u32 = 0;
pub const RA: u32 = 1;
pub const SP: u32 = 2;
pub const T0: u32 = 5;
pub const T1: u32 = 6;
pub const T2: u32 = 7;
pub const A0: u32 = 10;
pub const A1: u32 = 11;
pub const A2: u32 = 12;
pub const A3: u32 = 13;
pub const A4: u32 = 14;
pub const A5: u32 = 15;

pub fn r(opcode: u32, funct3: u32, funct7: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    funct7 << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode
}

pub fn i(opcode: u32, funct3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    ((imm as u32) & 0xfff) << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode
}

pub fn s(opcode: u32, funct3: u32, rs1: u32, rs2: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    ((imm >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | (imm & 31) << 7 | opcode
}

pub fn b(funct3: u32, rs1: u32, rs2: u32, imm: i32) -> u32 {
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

pub fn jal(rd: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    ((imm >> 20) & 1) << 31
        | ((imm >> 1) & 0x3ff) << 21
        | ((imm >> 11) & 1) << 20
        | ((imm >> 12) & 0xff) << 12
        | rd << 7
        | 0x6f
}

pub fn jalr(rd: u32, rs1: u32, imm: i32) -> u32 {
    i(0x67, 0, rd, rs1, imm)
}

pub fn lui(rd: u32, imm: u32) -> u32 {
    imm & 0xffff_f000 | rd << 7 | 0x37
}

pub fn auipc(rd: u32, imm: u32) -> u32 {
    imm & 0xffff_f000 | rd << 7 | 0x17
}

pub fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i(0x13, 0, rd, rs1, imm)
}

pub fn addiw(rd: u32, rs1: u32, imm: i32) -> u32 {
    i(0x1b, 0, rd, rs1, imm)
}

pub fn add(rd: u32, rs1: u32, rs2: u32) -> u32 {
    r(0x33, 0, 0, rd, rs1, rs2)
}

pub fn beq(rs1: u32, rs2: u32, imm: i32) -> u32 {
    b(0, rs1, rs2, imm)
}

pub fn bne(rs1: u32, rs2: u32, imm: i32) -> u32 {
    b(1, rs1, rs2, imm)
}

pub fn blt(rs1: u32, rs2: u32, imm: i32) -> u32 {
    b(4, rs1, rs2, imm)
}

/// Loads: funct3 0 lb, 1 lh, 2 lw, 3 ld, 4 lbu, 5 lhu, 6 lwu.
pub fn load(funct3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    i(0x03, funct3, rd, rs1, imm)
}

/// Stores: funct3 0 sb, 1 sh, 2 sw, 3 sd.
pub fn store(funct3: u32, rs2: u32, rs1: u32, imm: i32) -> u32 {
    s(0x23, funct3, rs1, rs2, imm)
}

pub fn ld(rd: u32, rs1: u32, imm: i32) -> u32 {
    load(3, rd, rs1, imm)
}

pub fn sd(rs2: u32, rs1: u32, imm: i32) -> u32 {
    store(3, rs2, rs1, imm)
}

/// An AMO/LR/SC: `funct5` as in the spec, `double` for the .d form, aq/rl bits set.
pub fn amo(funct5: u32, double: bool, rd: u32, rs1: u32, rs2: u32) -> u32 {
    r(0x2f, 2 + u32::from(double), funct5 << 2 | 3, rd, rs1, rs2)
}

pub const AMOADD: u32 = 0x00;
pub const AMOSWAP: u32 = 0x01;
pub const LR: u32 = 0x02;
pub const SC: u32 = 0x03;
pub const AMOXOR: u32 = 0x04;
pub const AMOOR: u32 = 0x08;
pub const AMOAND: u32 = 0x0c;
pub const AMOMIN: u32 = 0x10;
pub const AMOMAX: u32 = 0x14;
pub const AMOMINU: u32 = 0x18;
pub const AMOMAXU: u32 = 0x1c;

/// csrr* with funct3 1-3 (register) or 5-7 (immediate in `rs1`).
pub fn csr(funct3: u32, rd: u32, rs1: u32, number: u32) -> u32 {
    number << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | 0x73
}

pub const ECALL: u32 = 0x0000_0073;
pub const EBREAK: u32 = 0x0010_0073;
pub const FENCE_I: u32 = 0x0000_100f;
pub const NOP: u32 = 0x0000_0013;

/// An OP-FP instruction: `funct7` includes the format bits.
pub fn fp(funct7: u32, rm: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    r(0x53, rm, funct7, rd, rs1, rs2)
}

pub fn flw(rd: u32, rs1: u32, imm: i32) -> u32 {
    i(0x07, 2, rd, rs1, imm)
}

pub fn fld(rd: u32, rs1: u32, imm: i32) -> u32 {
    i(0x07, 3, rd, rs1, imm)
}

pub fn fsw(rs2: u32, rs1: u32, imm: i32) -> u32 {
    s(0x27, 2, rs1, rs2, imm)
}

pub fn fsd(rs2: u32, rs1: u32, imm: i32) -> u32 {
    s(0x27, 3, rs1, rs2, imm)
}

/// A fused multiply-add: `opcode` 0x43/0x47/0x4b/0x4f, `fmt` 0 single, 1 double.
pub fn fma(opcode: u32, fmt: u32, rm: u32, rd: u32, rs1: u32, rs2: u32, rs3: u32) -> u32 {
    rs3 << 27 | fmt << 25 | rs2 << 20 | rs1 << 15 | rm << 12 | rd << 7 | opcode
}
