//! The decoded form of an instruction: what the decoder produces and the run loop
//! executes from the decoded-code cache.

/// An operation. Variants are named after the instruction they implement; the operands
/// live in [`Insn`]. Compressed instructions decode to the operation of their 32-bit
/// expansion.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// An illegal or unsupported encoding; `imm` holds its raw bits.
    Illegal,
    /// An instruction without architectural effect (wfi, hints, writes to x0).
    Nop,

    /// rd = imm (imm already shifted and sign-extended).
    Lui,
    /// rd = pc + imm.
    Auipc,
    /// rd = pc + len; pc += imm.
    Jal,
    /// rd = pc + len; pc = (rs1 + imm) & !1.
    Jalr,
    /// Branch by imm if rs1 == rs2.
    Beq,
    /// Branch by imm if rs1 != rs2.
    Bne,
    /// Branch by imm if rs1 < rs2 (signed).
    Blt,
    /// Branch by imm if rs1 >= rs2 (signed).
    Bge,
    /// Branch by imm if rs1 < rs2 (unsigned).
    Bltu,
    /// Branch by imm if rs1 >= rs2 (unsigned).
    Bgeu,
    /// rd = sign-extended byte at rs1 + imm.
    Lb,
    /// rd = sign-extended halfword at rs1 + imm.
    Lh,
    /// rd = sign-extended word at rs1 + imm.
    Lw,
    /// rd = doubleword at rs1 + imm.
    Ld,
    /// rd = zero-extended byte at rs1 + imm.
    Lbu,
    /// rd = zero-extended halfword at rs1 + imm.
    Lhu,
    /// rd = zero-extended word at rs1 + imm.
    Lwu,
    /// Store the low byte of rs2 at rs1 + imm.
    Sb,
    /// Store the low halfword of rs2 at rs1 + imm.
    Sh,
    /// Store the low word of rs2 at rs1 + imm.
    Sw,
    /// Store rs2 at rs1 + imm.
    Sd,
    /// rd = rs1 + imm.
    Addi,
    /// rd = rs1 < imm (signed).
    Slti,
    /// rd = rs1 < imm (unsigned, imm sign-extended).
    Sltiu,
    /// rd = rs1 ^ imm.
    Xori,
    /// rd = rs1 | imm.
    Ori,
    /// rd = rs1 & imm.
    Andi,
    /// rd = rs1 << imm.
    Slli,
    /// rd = rs1 >> imm (logical).
    Srli,
    /// rd = rs1 >> imm (arithmetic).
    Srai,
    /// rd = rs1 + rs2.
    Add,
    /// rd = rs1 - rs2.
    Sub,
    /// rd = rs1 << (rs2 & 63).
    Sll,
    /// rd = rs1 < rs2 (signed).
    Slt,
    /// rd = rs1 < rs2 (unsigned).
    Sltu,
    /// rd = rs1 ^ rs2.
    Xor,
    /// rd = rs1 >> (rs2 & 63) (logical).
    Srl,
    /// rd = rs1 >> (rs2 & 63) (arithmetic).
    Sra,
    /// rd = rs1 | rs2.
    Or,
    /// rd = rs1 & rs2.
    And,
    /// rd = sext32(rs1 + imm).
    Addiw,
    /// rd = sext32(rs1 << imm).
    Slliw,
    /// rd = sext32(rs1 as u32 >> imm).
    Srliw,
    /// rd = sext32(rs1 as i32 >> imm).
    Sraiw,
    /// rd = sext32(rs1 + rs2).
    Addw,
    /// rd = sext32(rs1 - rs2).
    Subw,
    /// rd = sext32(rs1 << (rs2 & 31)).
    Sllw,
    /// rd = sext32(rs1 as u32 >> (rs2 & 31)).
    Srlw,
    /// rd = sext32(rs1 as i32 >> (rs2 & 31)).
    Sraw,
    /// Memory fence (also fence.tso and pause).
    Fence,
    /// Instruction-stream fence: drops this hart's decoded code.
    FenceI,
    /// System call.
    Ecall,
    /// Breakpoint.
    Ebreak,
    /// rd = csr; csr = rs1 (csr number in imm).
    Csrrw,
    /// rd = csr; csr |= rs1.
    Csrrs,
    /// rd = csr; csr &= !rs1.
    Csrrc,
    /// rd = csr; csr = zimm (zimm in the rs1 field).
    Csrrwi,
    /// rd = csr; csr |= zimm.
    Csrrsi,
    /// rd = csr; csr &= !zimm.
    Csrrci,

    /// rd = low 64 bits of rs1 * rs2.
    Mul,
    /// rd = high 64 bits of signed rs1 * signed rs2.
    Mulh,
    /// rd = high 64 bits of signed rs1 * unsigned rs2.
    Mulhsu,
    /// rd = high 64 bits of unsigned rs1 * unsigned rs2.
    Mulhu,
    /// rd = rs1 / rs2 (signed).
    Div,
    /// rd = rs1 / rs2 (unsigned).
    Divu,
    /// rd = rs1 % rs2 (signed).
    Rem,
    /// rd = rs1 % rs2 (unsigned).
    Remu,
    /// rd = sext32(rs1 * rs2).
    Mulw,
    /// rd = sext32(rs1 / rs2) on the low words (signed).
    Divw,
    /// rd = sext32(rs1 / rs2) on the low words (unsigned).
    Divuw,
    /// rd = sext32(rs1 % rs2) on the low words (signed).
    Remw,
    /// rd = sext32(rs1 % rs2) on the low words (unsigned).
    Remuw,

    /// Load-reserved word at rs1.
    LrW,
    /// Store-conditional word rs2 at rs1; rd = 0 on success.
    ScW,
    /// Atomic swap word.
    AmoSwapW,
    /// Atomic add word.
    AmoAddW,
    /// Atomic xor word.
    AmoXorW,
    /// Atomic and word.
    AmoAndW,
    /// Atomic or word.
    AmoOrW,
    /// Atomic signed min word.
    AmoMinW,
    /// Atomic signed max word.
    AmoMaxW,
    /// Atomic unsigned min word.
    AmoMinuW,
    /// Atomic unsigned max word.
    AmoMaxuW,
    /// Load-reserved doubleword at rs1.
    LrD,
    /// Store-conditional doubleword rs2 at rs1; rd = 0 on success.
    ScD,
    /// Atomic swap doubleword.
    AmoSwapD,
    /// Atomic add doubleword.
    AmoAddD,
    /// Atomic xor doubleword.
    AmoXorD,
    /// Atomic and doubleword.
    AmoAndD,
    /// Atomic or doubleword.
    AmoOrD,
    /// Atomic signed min doubleword.
    AmoMinD,
    /// Atomic signed max doubleword.
    AmoMaxD,
    /// Atomic unsigned min doubleword.
    AmoMinuD,
    /// Atomic unsigned max doubleword.
    AmoMaxuD,

    /// frd = single at rs1 + imm (NaN-boxed).
    Flw,
    /// Store the low word of frs2 at rs1 + imm.
    Fsw,
    /// frd = frs1 * frs2 + frs3 (single).
    FmaddS,
    /// frd = frs1 * frs2 - frs3 (single).
    FmsubS,
    /// frd = -(frs1 * frs2) + frs3 (single).
    FnmsubS,
    /// frd = -(frs1 * frs2) - frs3 (single).
    FnmaddS,
    /// frd = frs1 + frs2 (single).
    FaddS,
    /// frd = frs1 - frs2 (single).
    FsubS,
    /// frd = frs1 * frs2 (single).
    FmulS,
    /// frd = frs1 / frs2 (single).
    FdivS,
    /// frd = sqrt(frs1) (single).
    FsqrtS,
    /// frd = frs1 with the sign of frs2 (single).
    FsgnjS,
    /// frd = frs1 with the negated sign of frs2 (single).
    FsgnjnS,
    /// frd = frs1 with the sign of frs1 ^ frs2 (single).
    FsgnjxS,
    /// frd = min(frs1, frs2) (single).
    FminS,
    /// frd = max(frs1, frs2) (single).
    FmaxS,
    /// rd = sext32(i32 from single).
    FcvtWS,
    /// rd = sext32(u32 from single).
    FcvtWuS,
    /// rd = i64 from single.
    FcvtLS,
    /// rd = u64 from single.
    FcvtLuS,
    /// rd = sext32(raw bits of the single in frs1).
    FmvXW,
    /// rd = frs1 == frs2 (single).
    FeqS,
    /// rd = frs1 < frs2 (single).
    FltS,
    /// rd = frs1 <= frs2 (single).
    FleS,
    /// rd = class mask of frs1 (single).
    FclassS,
    /// frd = single from i32 rs1.
    FcvtSW,
    /// frd = single from u32 rs1.
    FcvtSWu,
    /// frd = single from i64 rs1.
    FcvtSL,
    /// frd = single from u64 rs1.
    FcvtSLu,
    /// frd = NaN-boxed low word of rs1.
    FmvWX,

    /// frd = double at rs1 + imm.
    Fld,
    /// Store frs2 at rs1 + imm.
    Fsd,
    /// frd = frs1 * frs2 + frs3 (double).
    FmaddD,
    /// frd = frs1 * frs2 - frs3 (double).
    FmsubD,
    /// frd = -(frs1 * frs2) + frs3 (double).
    FnmsubD,
    /// frd = -(frs1 * frs2) - frs3 (double).
    FnmaddD,
    /// frd = frs1 + frs2 (double).
    FaddD,
    /// frd = frs1 - frs2 (double).
    FsubD,
    /// frd = frs1 * frs2 (double).
    FmulD,
    /// frd = frs1 / frs2 (double).
    FdivD,
    /// frd = sqrt(frs1) (double).
    FsqrtD,
    /// frd = frs1 with the sign of frs2 (double).
    FsgnjD,
    /// frd = frs1 with the negated sign of frs2 (double).
    FsgnjnD,
    /// frd = frs1 with the sign of frs1 ^ frs2 (double).
    FsgnjxD,
    /// frd = min(frs1, frs2) (double).
    FminD,
    /// frd = max(frs1, frs2) (double).
    FmaxD,
    /// frd = single from the double frs1.
    FcvtSD,
    /// frd = double from the single frs1.
    FcvtDS,
    /// rd = frs1 == frs2 (double).
    FeqD,
    /// rd = frs1 < frs2 (double).
    FltD,
    /// rd = frs1 <= frs2 (double).
    FleD,
    /// rd = class mask of frs1 (double).
    FclassD,
    /// rd = sext32(i32 from double).
    FcvtWD,
    /// rd = sext32(u32 from double).
    FcvtWuD,
    /// rd = i64 from double.
    FcvtLD,
    /// rd = u64 from double.
    FcvtLuD,
    /// rd = raw bits of frs1.
    FmvXD,
    /// frd = double from i32 rs1.
    FcvtDW,
    /// frd = double from u32 rs1.
    FcvtDWu,
    /// frd = double from i64 rs1.
    FcvtDL,
    /// frd = double from u64 rs1.
    FcvtDLu,
    /// frd = rs1.
    FmvDX,
}

impl Op {
    /// Whether the operation only computes a value into integer register rd, so that
    /// with rd = x0 it has no effect at all.
    pub fn only_writes_rd(self) -> bool {
        use Op::*;
        matches!(
            self,
            Lui | Auipc
                | Addi
                | Slti
                | Sltiu
                | Xori
                | Ori
                | Andi
                | Slli
                | Srli
                | Srai
                | Add
                | Sub
                | Sll
                | Slt
                | Sltu
                | Xor
                | Srl
                | Sra
                | Or
                | And
                | Addiw
                | Slliw
                | Srliw
                | Sraiw
                | Addw
                | Subw
                | Sllw
                | Srlw
                | Sraw
                | Mul
                | Mulh
                | Mulhsu
                | Mulhu
                | Div
                | Divu
                | Rem
                | Remu
                | Mulw
                | Divw
                | Divuw
                | Remw
                | Remuw
        )
    }
}

/// A decoded instruction: an operation and its operands, in 12 bytes so that a page of
/// them stays cache-friendly.
///
/// Register fields hold register numbers (0-31). `imm` holds the sign-extended
/// immediate, the CSR number for CSR instructions, or the raw encoding for illegal and
/// floating-point computational instructions (so that a dynamic rounding mode found
/// invalid at run time can still report the instruction).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Insn {
    /// The immediate (see the type's documentation).
    pub imm: i32,
    /// The operation.
    pub op: Op,
    /// Destination register.
    pub rd: u8,
    /// First source register (the 5-bit immediate of csrr*i).
    pub rs1: u8,
    /// Second source register.
    pub rs2: u8,
    /// Third source register (fused multiply-add).
    pub rs3: u8,
    /// Rounding-mode field of floating-point instructions (7 = dynamic).
    pub rm: u8,
    /// Length of the encoding in bytes: 4, or 2 for a compressed instruction.
    pub len: u8,
}

impl Insn {
    /// An instruction with no operands.
    pub const fn bare(op: Op, len: u8) -> Insn {
        Insn {
            imm: 0,
            op,
            rd: 0,
            rs1: 0,
            rs2: 0,
            rs3: 0,
            rm: 0,
            len,
        }
    }

    /// The illegal instruction with encoding `raw` of `len` bytes.
    pub const fn illegal(raw: u32, len: u8) -> Insn {
        Insn {
            imm: raw as i32,
            ..Insn::bare(Op::Illegal, len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insn_is_twelve_bytes() {
        assert_eq!(std::mem::size_of::<Insn>(), 12);
    }
}
