//! Decoding of 32-bit encodings (RV64 I, M, A, F, D, Zicsr, Zifencei at user level).

use super::csr;
use super::insn::{Insn, Op};

/// Decodes a 32-bit encoding. Anything this core does not implement at user level
/// (unknown opcodes, reserved fields, privileged instructions, unknown CSRs, writes to
/// read-only CSRs, reserved static rounding modes) decodes to [`Op::Illegal`].
pub fn decode(raw: u32) -> Insn {
    let f = Fields::new(raw);
    let op = match raw & 0x7f {
        0x37 => return f.u(Op::Lui),
        0x17 => return f.u(Op::Auipc),
        0x6f => return f.with_imm(Op::Jal, j_imm(raw)).without_sources(),
        0x67 if f.funct3 == 0 => return f.i(Op::Jalr, i_imm(raw)),
        0x63 => return branch(&f),
        0x03 => return load(&f),
        0x23 => return store(&f),
        0x13 => return op_imm(&f),
        0x1b => return op_imm_32(&f),
        0x33 => op_reg(&f),
        0x3b => op_reg_32(&f),
        0x0f => return misc_mem(&f),
        0x73 => return system(&f),
        0x2f => return amo(&f),
        0x07 => return load_fp(&f),
        0x27 => return store_fp(&f),
        0x43 | 0x47 | 0x4b | 0x4f => return fused_multiply_add(&f),
        0x53 => return op_fp(&f),
        _ => None,
    };
    match op {
        Some(op) => f.r(op),
        None => f.illegal(),
    }
}

/// The fixed-position fields of an encoding.
struct Fields {
    raw: u32,
    rd: u8,
    rs1: u8,
    rs2: u8,
    funct3: u32,
    funct7: u32,
}

impl Fields {
    fn new(raw: u32) -> Fields {
        Fields {
            raw,
            rd: ((raw >> 7) & 31) as u8,
            rs1: ((raw >> 15) & 31) as u8,
            rs2: ((raw >> 20) & 31) as u8,
            funct3: (raw >> 12) & 7,
            funct7: raw >> 25,
        }
    }

    fn illegal(&self) -> Insn {
        Insn::illegal(self.raw, 4)
    }

    /// All register fields, no immediate.
    fn r(&self, op: Op) -> Insn {
        self.with_imm(op, 0)
    }

    fn with_imm(&self, op: Op, imm: i32) -> Insn {
        Insn {
            imm,
            op,
            rd: self.rd,
            rs1: self.rs1,
            rs2: self.rs2,
            rs3: 0,
            rm: 0,
            len: 4,
        }
    }

    fn u(&self, op: Op) -> Insn {
        self.with_imm(op, (self.raw & 0xffff_f000) as i32)
            .without_sources()
    }

    /// An I-type instruction: no rs2 (its field is part of the immediate).
    fn i(&self, op: Op, imm: i32) -> Insn {
        Insn {
            rs2: 0,
            ..self.with_imm(op, imm)
        }
    }

    /// An S- or B-type instruction: no rd.
    fn s(&self, op: Op, imm: i32) -> Insn {
        Insn {
            rd: 0,
            ..self.with_imm(op, imm)
        }
    }

    /// A floating-point computational instruction: keeps the rounding-mode field and
    /// the raw encoding (see [`Insn`]). Reserved static rounding modes are illegal.
    fn fp(&self, op: Op, uses_rm: bool) -> Insn {
        #[allow(clippy::cast_possible_truncation)] // funct3 is 3 bits wide
        let rm = self.funct3 as u8;
        if uses_rm && (rm == 5 || rm == 6) {
            return self.illegal();
        }
        Insn {
            rm: if uses_rm { rm } else { 0 },
            ..self.with_imm(op, self.raw as i32)
        }
    }
}

impl Insn {
    /// Clears the source fields of a U- or J-type instruction (they hold immediate bits).
    fn without_sources(self) -> Insn {
        Insn {
            rs1: 0,
            rs2: 0,
            ..self
        }
    }
}

fn i_imm(raw: u32) -> i32 {
    raw as i32 >> 20
}

fn s_imm(raw: u32) -> i32 {
    (raw as i32 >> 25) << 5 | ((raw >> 7) & 0x1f) as i32
}

fn b_imm(raw: u32) -> i32 {
    (raw as i32 >> 31) << 12
        | ((raw << 4) & 0x800) as i32
        | ((raw >> 20) & 0x7e0) as i32
        | ((raw >> 7) & 0x1e) as i32
}

fn j_imm(raw: u32) -> i32 {
    (raw as i32 >> 31) << 20
        | (raw & 0xf_f000) as i32
        | ((raw >> 9) & 0x800) as i32
        | ((raw >> 20) & 0x7fe) as i32
}

fn branch(f: &Fields) -> Insn {
    let op = match f.funct3 {
        0 => Op::Beq,
        1 => Op::Bne,
        4 => Op::Blt,
        5 => Op::Bge,
        6 => Op::Bltu,
        7 => Op::Bgeu,
        _ => return f.illegal(),
    };
    f.s(op, b_imm(f.raw))
}

fn load(f: &Fields) -> Insn {
    let op = match f.funct3 {
        0 => Op::Lb,
        1 => Op::Lh,
        2 => Op::Lw,
        3 => Op::Ld,
        4 => Op::Lbu,
        5 => Op::Lhu,
        6 => Op::Lwu,
        _ => return f.illegal(),
    };
    f.i(op, i_imm(f.raw))
}

fn store(f: &Fields) -> Insn {
    let op = match f.funct3 {
        0 => Op::Sb,
        1 => Op::Sh,
        2 => Op::Sw,
        3 => Op::Sd,
        _ => return f.illegal(),
    };
    f.s(op, s_imm(f.raw))
}

fn op_imm(f: &Fields) -> Insn {
    let imm = i_imm(f.raw);
    let shamt = imm & 63;
    let op = match (f.funct3, f.raw >> 26) {
        (0, _) => Op::Addi,
        (2, _) => Op::Slti,
        (3, _) => Op::Sltiu,
        (4, _) => Op::Xori,
        (6, _) => Op::Ori,
        (7, _) => Op::Andi,
        (1, 0) => return f.i(Op::Slli, shamt),
        (5, 0) => return f.i(Op::Srli, shamt),
        (5, 0x10) => return f.i(Op::Srai, shamt),
        _ => return f.illegal(),
    };
    f.i(op, imm)
}

fn op_imm_32(f: &Fields) -> Insn {
    let shamt = ((f.raw >> 20) & 31) as i32;
    match (f.funct3, f.funct7) {
        (0, _) => f.i(Op::Addiw, i_imm(f.raw)),
        (1, 0) => f.i(Op::Slliw, shamt),
        (5, 0) => f.i(Op::Srliw, shamt),
        (5, 0x20) => f.i(Op::Sraiw, shamt),
        _ => f.illegal(),
    }
}

fn op_reg(f: &Fields) -> Option<Op> {
    Some(match (f.funct7, f.funct3) {
        (0x00, 0) => Op::Add,
        (0x20, 0) => Op::Sub,
        (0x00, 1) => Op::Sll,
        (0x00, 2) => Op::Slt,
        (0x00, 3) => Op::Sltu,
        (0x00, 4) => Op::Xor,
        (0x00, 5) => Op::Srl,
        (0x20, 5) => Op::Sra,
        (0x00, 6) => Op::Or,
        (0x00, 7) => Op::And,
        (0x01, 0) => Op::Mul,
        (0x01, 1) => Op::Mulh,
        (0x01, 2) => Op::Mulhsu,
        (0x01, 3) => Op::Mulhu,
        (0x01, 4) => Op::Div,
        (0x01, 5) => Op::Divu,
        (0x01, 6) => Op::Rem,
        (0x01, 7) => Op::Remu,
        _ => return None,
    })
}

fn op_reg_32(f: &Fields) -> Option<Op> {
    Some(match (f.funct7, f.funct3) {
        (0x00, 0) => Op::Addw,
        (0x20, 0) => Op::Subw,
        (0x00, 1) => Op::Sllw,
        (0x00, 5) => Op::Srlw,
        (0x20, 5) => Op::Sraw,
        (0x01, 0) => Op::Mulw,
        (0x01, 4) => Op::Divw,
        (0x01, 5) => Op::Divuw,
        (0x01, 6) => Op::Remw,
        (0x01, 7) => Op::Remuw,
        _ => return None,
    })
}

/// fence (any predecessor/successor sets and fm, including fence.tso and pause) and
/// fence.i. Their reserved register and immediate fields are ignored, as the base ISA
/// requires.
fn misc_mem(f: &Fields) -> Insn {
    match f.funct3 {
        0 => Insn::bare(Op::Fence, 4),
        1 => Insn::bare(Op::FenceI, 4),
        _ => f.illegal(),
    }
}

fn system(f: &Fields) -> Insn {
    let op = match f.funct3 {
        0 => {
            return match f.raw {
                0x0000_0073 => Insn::bare(Op::Ecall, 4),
                0x0010_0073 => Insn::bare(Op::Ebreak, 4),
                // wfi is legal in U-mode while mstatus.TW is clear, and may just return.
                0x1050_0073 => Insn::bare(Op::Nop, 4),
                _ => f.illegal(),
            };
        }
        1 => Op::Csrrw,
        2 => Op::Csrrs,
        3 => Op::Csrrc,
        5 => Op::Csrrwi,
        6 => Op::Csrrsi,
        7 => Op::Csrrci,
        _ => return f.illegal(),
    };
    let number = (f.raw >> 20) as u16;
    // csrrw(i) always writes; csrrs(i)/csrrc(i) write unless the source is x0 / zero.
    let writes = matches!(op, Op::Csrrw | Op::Csrrwi) || f.rs1 != 0;
    if !csr::is_accessible(number, writes) {
        return f.illegal();
    }
    f.i(op, number as i32)
}

fn amo(f: &Fields) -> Insn {
    let double = match f.funct3 {
        2 => false,
        3 => true,
        _ => return f.illegal(),
    };
    let funct5 = f.raw >> 27;
    let (w, d) = match funct5 {
        0x02 if f.rs2 == 0 => (Op::LrW, Op::LrD),
        0x03 => (Op::ScW, Op::ScD),
        0x01 => (Op::AmoSwapW, Op::AmoSwapD),
        0x00 => (Op::AmoAddW, Op::AmoAddD),
        0x04 => (Op::AmoXorW, Op::AmoXorD),
        0x0c => (Op::AmoAndW, Op::AmoAndD),
        0x08 => (Op::AmoOrW, Op::AmoOrD),
        0x10 => (Op::AmoMinW, Op::AmoMinD),
        0x14 => (Op::AmoMaxW, Op::AmoMaxD),
        0x18 => (Op::AmoMinuW, Op::AmoMinuD),
        0x1c => (Op::AmoMaxuW, Op::AmoMaxuD),
        _ => return f.illegal(),
    };
    // aq/rl are not kept: every atomic is sequentially consistent on the host.
    f.r(if double { d } else { w })
}

fn load_fp(f: &Fields) -> Insn {
    match f.funct3 {
        2 => f.i(Op::Flw, i_imm(f.raw)),
        3 => f.i(Op::Fld, i_imm(f.raw)),
        _ => f.illegal(),
    }
}

fn store_fp(f: &Fields) -> Insn {
    match f.funct3 {
        2 => f.s(Op::Fsw, s_imm(f.raw)),
        3 => f.s(Op::Fsd, s_imm(f.raw)),
        _ => f.illegal(),
    }
}

fn fused_multiply_add(f: &Fields) -> Insn {
    let ops = match f.raw & 0x7f {
        0x43 => [Op::FmaddS, Op::FmaddD],
        0x47 => [Op::FmsubS, Op::FmsubD],
        0x4b => [Op::FnmsubS, Op::FnmsubD],
        _ => [Op::FnmaddS, Op::FnmaddD],
    };
    let op = match f.funct7 & 3 {
        0 => ops[0],
        1 => ops[1],
        _ => return f.illegal(),
    };
    let insn = f.fp(op, true);
    if insn.op == Op::Illegal {
        return insn;
    }
    Insn {
        rs3: (f.raw >> 27) as u8,
        ..insn
    }
}

fn op_fp(f: &Fields) -> Insn {
    let double = match f.funct7 & 3 {
        0 => false,
        1 => true,
        _ => return f.illegal(),
    };
    let pick = |s: Op, d: Op| if double { d } else { s };
    let (op, uses_rm) = match (f.funct7 >> 2, f.rs2, f.funct3) {
        (0x00, _, _) => (pick(Op::FaddS, Op::FaddD), true),
        (0x01, _, _) => (pick(Op::FsubS, Op::FsubD), true),
        (0x02, _, _) => (pick(Op::FmulS, Op::FmulD), true),
        (0x03, _, _) => (pick(Op::FdivS, Op::FdivD), true),
        (0x0b, 0, _) => (pick(Op::FsqrtS, Op::FsqrtD), true),
        (0x04, _, 0) => (pick(Op::FsgnjS, Op::FsgnjD), false),
        (0x04, _, 1) => (pick(Op::FsgnjnS, Op::FsgnjnD), false),
        (0x04, _, 2) => (pick(Op::FsgnjxS, Op::FsgnjxD), false),
        (0x05, _, 0) => (pick(Op::FminS, Op::FminD), false),
        (0x05, _, 1) => (pick(Op::FmaxS, Op::FmaxD), false),
        (0x08, 1, _) if !double => (Op::FcvtSD, true),
        (0x08, 0, _) if double => (Op::FcvtDS, true),
        (0x14, _, 2) => (pick(Op::FeqS, Op::FeqD), false),
        (0x14, _, 1) => (pick(Op::FltS, Op::FltD), false),
        (0x14, _, 0) => (pick(Op::FleS, Op::FleD), false),
        (0x18, 0, _) => (pick(Op::FcvtWS, Op::FcvtWD), true),
        (0x18, 1, _) => (pick(Op::FcvtWuS, Op::FcvtWuD), true),
        (0x18, 2, _) => (pick(Op::FcvtLS, Op::FcvtLD), true),
        (0x18, 3, _) => (pick(Op::FcvtLuS, Op::FcvtLuD), true),
        (0x1a, 0, _) => (pick(Op::FcvtSW, Op::FcvtDW), true),
        (0x1a, 1, _) => (pick(Op::FcvtSWu, Op::FcvtDWu), true),
        (0x1a, 2, _) => (pick(Op::FcvtSL, Op::FcvtDL), true),
        (0x1a, 3, _) => (pick(Op::FcvtSLu, Op::FcvtDLu), true),
        (0x1c, 0, 0) => (pick(Op::FmvXW, Op::FmvXD), false),
        (0x1c, 0, 1) => (pick(Op::FclassS, Op::FclassD), false),
        (0x1e, 0, 0) => (pick(Op::FmvWX, Op::FmvDX), false),
        _ => return f.illegal(),
    };
    let insn = f.fp(op, uses_rm);
    // Unary operations use the rs2 field to select the operation, not as an operand.
    let unary = matches!(f.funct7 >> 2, 0x08 | 0x0b | 0x18 | 0x1a | 0x1c | 0x1e);
    if unary && insn.op != Op::Illegal {
        Insn { rs2: 0, ..insn }
    } else {
        insn
    }
}
