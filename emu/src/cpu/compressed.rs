//! Expansion of RV64C compressed instructions to their 32-bit equivalents.

/// Expands the 16-bit instruction `raw` to the 32-bit instruction it stands for.
///
/// Returns `None` for encodings that are not compressed instructions of RV64GC: the
/// defined-illegal all-zero parcel, reserved encodings (c.addi4spn with a zero
/// immediate, c.lwsp/c.ldsp with rd = x0, c.addiw with rd = x0, c.addi16sp and c.lui
/// with a zero immediate, c.jr with rs1 = x0, the reserved c.subw/c.addw neighbours and
/// quadrant-0 slot 4) and anything whose low two bits are 11 (a 32-bit instruction).
/// HINT encodings (c.nop with an immediate, c.addi with a zero immediate, c.li/c.lui/
/// c.mv/c.add/c.slli with rd = x0, shifts by zero) are legal and expand to
/// instructions that write x0 or do nothing.
pub fn expand_compressed(raw: u16) -> Option<u32> {
    let c = u32::from(raw);
    let funct3 = c >> 13;
    match c & 3 {
        0 => quadrant0(c, funct3),
        1 => quadrant1(c, funct3),
        2 => quadrant2(c, funct3),
        _ => None,
    }
}

const LOAD: u32 = 0x03;
const LOAD_FP: u32 = 0x07;
const OP_IMM: u32 = 0x13;
const OP_IMM_32: u32 = 0x1b;
const STORE: u32 = 0x23;
const STORE_FP: u32 = 0x27;
const OP: u32 = 0x33;
const OP_32: u32 = 0x3b;
const LUI: u32 = 0x37;
const BRANCH: u32 = 0x63;
const JALR: u32 = 0x67;
const JAL: u32 = 0x6f;
const EBREAK: u32 = 0x0010_0073;
const SP: u32 = 2;
const RA: u32 = 1;

/// Bits `hi..=lo` of `c`, shifted down to bit 0.
fn bits(c: u32, hi: u32, lo: u32) -> u32 {
    (c >> lo) & ((1 << (hi - lo + 1)) - 1)
}

/// Sign-extends the low `width` bits of `v`.
fn sext(v: u32, width: u32) -> i32 {
    let shift = 32 - width;
    ((v << shift) as i32) >> shift
}

/// The full register number of a 3-bit compressed register field (x8-x15).
fn creg(c: u32, lo: u32) -> u32 {
    bits(c, lo + 2, lo) + 8
}

fn i_type(opcode: u32, funct3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    (imm as u32) << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode
}

fn s_type(opcode: u32, funct3: u32, rs1: u32, rs2: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    (imm >> 5) << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | (imm & 31) << 7 | opcode
}

fn r_type(opcode: u32, funct7: u32, funct3: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    funct7 << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode
}

fn b_type(funct3: u32, rs1: u32, rs2: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    ((imm >> 12) & 1) << 31
        | ((imm >> 5) & 0x3f) << 25
        | rs2 << 20
        | rs1 << 15
        | funct3 << 12
        | ((imm >> 1) & 0xf) << 8
        | ((imm >> 11) & 1) << 7
        | BRANCH
}

fn j_type(rd: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    ((imm >> 20) & 1) << 31
        | ((imm >> 1) & 0x3ff) << 21
        | ((imm >> 11) & 1) << 20
        | ((imm >> 12) & 0xff) << 12
        | rd << 7
        | JAL
}

/// Zero-extended offset scaled by 8 used by c.ld/c.sd/c.fld/c.fsd.
fn d_offset(c: u32) -> i32 {
    (bits(c, 12, 10) << 3 | bits(c, 6, 5) << 6) as i32
}

/// Zero-extended offset scaled by 4 used by c.lw/c.sw.
fn w_offset(c: u32) -> i32 {
    (bits(c, 12, 10) << 3 | bits(c, 6, 6) << 2 | bits(c, 5, 5) << 6) as i32
}

/// The 6-bit signed immediate of c.addi, c.addiw, c.li and c.andi.
fn imm6(c: u32) -> i32 {
    sext(bits(c, 12, 12) << 5 | bits(c, 6, 2), 6)
}

/// The 6-bit shift amount of c.slli, c.srli and c.srai.
fn shamt(c: u32) -> i32 {
    (bits(c, 12, 12) << 5 | bits(c, 6, 2)) as i32
}

fn quadrant0(c: u32, funct3: u32) -> Option<u32> {
    let rd = creg(c, 2);
    let rs1 = creg(c, 7);
    Some(match funct3 {
        0 => {
            let nzuimm = bits(c, 12, 11) << 4
                | bits(c, 10, 7) << 6
                | bits(c, 6, 6) << 2
                | bits(c, 5, 5) << 3;
            if nzuimm == 0 {
                return None;
            }
            i_type(OP_IMM, 0, rd, SP, nzuimm as i32)
        }
        1 => i_type(LOAD_FP, 3, rd, rs1, d_offset(c)),
        2 => i_type(LOAD, 2, rd, rs1, w_offset(c)),
        3 => i_type(LOAD, 3, rd, rs1, d_offset(c)),
        5 => s_type(STORE_FP, 3, rs1, rd, d_offset(c)),
        6 => s_type(STORE, 2, rs1, rd, w_offset(c)),
        7 => s_type(STORE, 3, rs1, rd, d_offset(c)),
        _ => return None,
    })
}

fn quadrant1(c: u32, funct3: u32) -> Option<u32> {
    let rd = bits(c, 11, 7);
    Some(match funct3 {
        0 => i_type(OP_IMM, 0, rd, rd, imm6(c)),
        1 if rd == 0 => return None,
        1 => i_type(OP_IMM_32, 0, rd, rd, imm6(c)),
        2 => i_type(OP_IMM, 0, rd, 0, imm6(c)),
        3 if rd == SP => {
            let imm = sext(
                bits(c, 12, 12) << 9
                    | bits(c, 6, 6) << 4
                    | bits(c, 5, 5) << 6
                    | bits(c, 4, 3) << 7
                    | bits(c, 2, 2) << 5,
                10,
            );
            if imm == 0 {
                return None;
            }
            i_type(OP_IMM, 0, SP, SP, imm)
        }
        3 => {
            let imm = sext(bits(c, 12, 12) << 17 | bits(c, 6, 2) << 12, 18);
            if imm == 0 {
                return None;
            }
            imm as u32 & 0xffff_f000 | rd << 7 | LUI
        }
        4 => return misc_alu(c),
        5 => {
            let imm = sext(
                bits(c, 12, 12) << 11
                    | bits(c, 11, 11) << 4
                    | bits(c, 10, 9) << 8
                    | bits(c, 8, 8) << 10
                    | bits(c, 7, 7) << 6
                    | bits(c, 6, 6) << 7
                    | bits(c, 5, 3) << 1
                    | bits(c, 2, 2) << 5,
                12,
            );
            j_type(0, imm)
        }
        _ => {
            let imm = sext(
                bits(c, 12, 12) << 8
                    | bits(c, 11, 10) << 3
                    | bits(c, 6, 5) << 6
                    | bits(c, 4, 3) << 1
                    | bits(c, 2, 2) << 5,
                9,
            );
            b_type(funct3 - 6, creg(c, 7), 0, imm)
        }
    })
}

/// c.srli, c.srai, c.andi and the register-register group (c.sub .. c.addw).
fn misc_alu(c: u32) -> Option<u32> {
    let rd = creg(c, 7);
    let rs2 = creg(c, 2);
    Some(match (bits(c, 11, 10), bits(c, 12, 12), bits(c, 6, 5)) {
        (0, _, _) => i_type(OP_IMM, 5, rd, rd, shamt(c)),
        (1, _, _) => i_type(OP_IMM, 5, rd, rd, 0x400 | shamt(c)),
        (2, _, _) => i_type(OP_IMM, 7, rd, rd, imm6(c)),
        (_, 0, 0) => r_type(OP, 0x20, 0, rd, rd, rs2),
        (_, 0, 1) => r_type(OP, 0, 4, rd, rd, rs2),
        (_, 0, 2) => r_type(OP, 0, 6, rd, rd, rs2),
        (_, 0, _) => r_type(OP, 0, 7, rd, rd, rs2),
        (_, _, 0) => r_type(OP_32, 0x20, 0, rd, rd, rs2),
        (_, _, 1) => r_type(OP_32, 0, 0, rd, rd, rs2),
        _ => return None,
    })
}

fn quadrant2(c: u32, funct3: u32) -> Option<u32> {
    let rd = bits(c, 11, 7);
    let rs2 = bits(c, 6, 2);
    let sp_d_offset = (bits(c, 12, 12) << 5 | bits(c, 6, 5) << 3 | bits(c, 4, 2) << 6) as i32;
    let sp_d_store_offset = (bits(c, 12, 10) << 3 | bits(c, 9, 7) << 6) as i32;
    Some(match funct3 {
        0 => i_type(OP_IMM, 1, rd, rd, shamt(c)),
        1 => i_type(LOAD_FP, 3, rd, SP, sp_d_offset),
        2 if rd == 0 => return None,
        2 => {
            let offset = bits(c, 12, 12) << 5 | bits(c, 6, 4) << 2 | bits(c, 3, 2) << 6;
            i_type(LOAD, 2, rd, SP, offset as i32)
        }
        3 if rd == 0 => return None,
        3 => i_type(LOAD, 3, rd, SP, sp_d_offset),
        4 => match (bits(c, 12, 12), rd, rs2) {
            (0, 0, 0) => return None,
            (0, _, 0) => i_type(JALR, 0, 0, rd, 0),
            (0, _, _) => r_type(OP, 0, 0, rd, 0, rs2),
            (_, 0, 0) => EBREAK,
            (_, _, 0) => i_type(JALR, 0, RA, rd, 0),
            _ => r_type(OP, 0, 0, rd, rd, rs2),
        },
        5 => s_type(STORE_FP, 3, SP, rs2, sp_d_store_offset),
        6 => {
            let offset = bits(c, 12, 9) << 2 | bits(c, 8, 7) << 6;
            s_type(STORE, 2, SP, rs2, offset as i32)
        }
        _ => s_type(STORE, 3, SP, rs2, sp_d_store_offset),
    })
}
