//! The interpreter loop: runs the decoded instructions of one page until control leaves
//! it, something must be reported, or a taken branch finds work for the dispatcher.

use super::alu::{self, sext32};
use super::cache::{fetch_and_decode, DecodedPage, PAGE_SIZE, SLOTS};
use super::float::box_s;
use super::insn::Op;
use super::{Cpu, Exit, HartEnv};
use std::sync::atomic::{fence, Ordering};

/// Why [`Cpu::run_page`] returned.
pub(super) enum PageExit {
    /// Control left the page, or a taken branch saw a pending request or a new icache
    /// epoch: the dispatcher must look.
    Boundary,
    /// A fence.i retired: this hart's decoded code must be dropped.
    FlushIcache,
    /// The run ends with this exit.
    Stop(Exit),
}

impl Cpu {
    /// Runs from `self.pc`, which lies in `page`, decoded in icache epoch `epoch`.
    ///
    /// Requests and the epoch are polled at taken branches and jumps; straight-line code
    /// cannot run further than the page end (2048 instructions) without returning to the
    /// dispatcher, which polls there.
    #[inline(always)]
    pub(super) fn run_page<E: HartEnv>(
        &mut self,
        page: &mut DecodedPage,
        env: &mut E,
        epoch: u64,
    ) -> PageExit {
        let slots = page.slots();
        let mut pc = self.pc;
        // Instructions retired in this call, added to `instret` on the way out.
        let mut retired = 0u64;
        let end = loop {
            let index = (pc >> 1) as usize % SLOTS;
            let insn = slots[index];
            let rd = insn.rd as usize & 31;
            let rs1 = insn.rs1 as usize & 31;
            let rs2 = insn.rs2 as usize & 31;
            let imm = insn.imm as i64 as u64;
            let len = u64::from(insn.len);
            let next = pc.wrapping_add(len);

            // A taken control transfer: stay in this loop only while on the same page and
            // nothing needs the dispatcher.
            macro_rules! jump {
                ($target:expr) => {{
                    let target = $target;
                    let same_page = (target ^ pc) < PAGE_SIZE;
                    pc = target;
                    retired += 1;
                    if !same_page || env.interrupt_pending() || env.icache_epoch() != epoch {
                        break PageExit::Boundary;
                    }
                    continue;
                }};
            }
            macro_rules! fault {
                ($fault:expr) => {
                    break PageExit::Stop(Exit::Fault($fault))
                };
            }
            macro_rules! load {
                ($size:expr, $extend:expr) => {
                    match env.load(self.x[rs1].wrapping_add(imm), $size) {
                        Ok(v) => {
                            self.x[rd] = $extend(v);
                            self.x[0] = 0;
                        }
                        Err(f) => fault!(f),
                    }
                };
            }
            macro_rules! store {
                ($size:expr, $value:expr) => {
                    if let Err(f) = env.store(self.x[rs1].wrapping_add(imm), $size, $value) {
                        fault!(f);
                    }
                };
            }

            let x1 = self.x[rs1];
            let x2 = self.x[rs2];
            match insn.op {
                Op::Undecoded => match fetch_and_decode(pc, env) {
                    Ok(decoded) => {
                        slots[index] = decoded;
                        continue;
                    }
                    Err(f) => fault!(f),
                },
                Op::Illegal => {
                    break PageExit::Stop(Exit::IllegalInstruction {
                        insn: insn.imm as u32,
                    })
                }
                Op::Nop => {}

                // Operations that only write rd are specialised to Nop when rd is x0,
                // so they can write rd without restoring x0.
                Op::Lui => self.x[rd] = imm,
                Op::Auipc => self.x[rd] = pc.wrapping_add(imm),
                Op::Addi => self.x[rd] = x1.wrapping_add(imm),
                Op::Slti => self.x[rd] = u64::from((x1 as i64) < (imm as i64)),
                Op::Sltiu => self.x[rd] = u64::from(x1 < imm),
                Op::Xori => self.x[rd] = x1 ^ imm,
                Op::Ori => self.x[rd] = x1 | imm,
                Op::Andi => self.x[rd] = x1 & imm,
                Op::Slli => self.x[rd] = x1.wrapping_shl(imm as u32),
                Op::Srli => self.x[rd] = x1.wrapping_shr(imm as u32),
                Op::Srai => self.x[rd] = (x1 as i64).wrapping_shr(imm as u32) as u64,
                Op::Add => self.x[rd] = x1.wrapping_add(x2),
                Op::Sub => self.x[rd] = x1.wrapping_sub(x2),
                Op::Sll => self.x[rd] = x1.wrapping_shl(x2 as u32),
                Op::Slt => self.x[rd] = u64::from((x1 as i64) < (x2 as i64)),
                Op::Sltu => self.x[rd] = u64::from(x1 < x2),
                Op::Xor => self.x[rd] = x1 ^ x2,
                Op::Srl => self.x[rd] = x1.wrapping_shr(x2 as u32),
                Op::Sra => self.x[rd] = (x1 as i64).wrapping_shr(x2 as u32) as u64,
                Op::Or => self.x[rd] = x1 | x2,
                Op::And => self.x[rd] = x1 & x2,
                Op::Addiw => self.x[rd] = sext32(x1.wrapping_add(imm)),
                Op::Slliw => self.x[rd] = sext32(u64::from((x1 as u32).wrapping_shl(imm as u32))),
                Op::Srliw => self.x[rd] = sext32(u64::from((x1 as u32).wrapping_shr(imm as u32))),
                Op::Sraiw => self.x[rd] = (x1 as i32).wrapping_shr(imm as u32) as i64 as u64,
                Op::Addw => self.x[rd] = sext32(x1.wrapping_add(x2)),
                Op::Subw => self.x[rd] = sext32(x1.wrapping_sub(x2)),
                Op::Sllw => self.x[rd] = sext32(u64::from((x1 as u32).wrapping_shl(x2 as u32))),
                Op::Srlw => self.x[rd] = sext32(u64::from((x1 as u32).wrapping_shr(x2 as u32))),
                Op::Sraw => self.x[rd] = (x1 as i32).wrapping_shr(x2 as u32) as i64 as u64,
                Op::Mul => self.x[rd] = x1.wrapping_mul(x2),
                Op::Mulh => self.x[rd] = alu::mulh(x1, x2),
                Op::Mulhsu => self.x[rd] = alu::mulhsu(x1, x2),
                Op::Mulhu => self.x[rd] = alu::mulhu(x1, x2),
                Op::Div => self.x[rd] = alu::div(x1, x2),
                Op::Divu => self.x[rd] = alu::divu(x1, x2),
                Op::Rem => self.x[rd] = alu::rem(x1, x2),
                Op::Remu => self.x[rd] = alu::remu(x1, x2),
                Op::Mulw => self.x[rd] = sext32(x1.wrapping_mul(x2)),
                Op::Divw => self.x[rd] = alu::divw(x1, x2),
                Op::Divuw => self.x[rd] = alu::divuw(x1, x2),
                Op::Remw => self.x[rd] = alu::remw(x1, x2),
                Op::Remuw => self.x[rd] = alu::remuw(x1, x2),

                Op::Jal => {
                    self.x[rd] = next;
                    self.x[0] = 0;
                    jump!(pc.wrapping_add(imm))
                }
                Op::Jalr => {
                    let target = x1.wrapping_add(imm) & !1;
                    self.x[rd] = next;
                    self.x[0] = 0;
                    jump!(target)
                }
                Op::Beq => {
                    if x1 == x2 {
                        jump!(pc.wrapping_add(imm))
                    }
                }
                Op::Bne => {
                    if x1 != x2 {
                        jump!(pc.wrapping_add(imm))
                    }
                }
                Op::Blt => {
                    if (x1 as i64) < (x2 as i64) {
                        jump!(pc.wrapping_add(imm))
                    }
                }
                Op::Bge => {
                    if (x1 as i64) >= (x2 as i64) {
                        jump!(pc.wrapping_add(imm))
                    }
                }
                Op::Bltu => {
                    if x1 < x2 {
                        jump!(pc.wrapping_add(imm))
                    }
                }
                Op::Bgeu => {
                    if x1 >= x2 {
                        jump!(pc.wrapping_add(imm))
                    }
                }

                Op::Lb => load!(1, |v| v as i8 as i64 as u64),
                Op::Lh => load!(2, |v| v as i16 as i64 as u64),
                Op::Lw => load!(4, sext32),
                Op::Ld => load!(8, |v| v),
                Op::Lbu | Op::Lhu | Op::Lwu => {
                    let size = match insn.op {
                        Op::Lbu => 1,
                        Op::Lhu => 2,
                        _ => 4,
                    };
                    load!(size, |v| v)
                }
                Op::Sb => store!(1, x2),
                Op::Sh => store!(2, x2),
                Op::Sw => store!(4, x2),
                Op::Sd => store!(8, x2),
                Op::Flw => match env.load(x1.wrapping_add(imm), 4) {
                    Ok(v) => self.f[rd] = box_s(v as u32),
                    Err(f) => fault!(f),
                },
                Op::Fld => match env.load(x1.wrapping_add(imm), 8) {
                    Ok(v) => self.f[rd] = v,
                    Err(f) => fault!(f),
                },
                // fsw stores the low word as is, boxed or not.
                Op::Fsw => store!(4, self.f[rs2]),
                Op::Fsd => store!(8, self.f[rs2]),

                Op::Fence => fence(Ordering::SeqCst),
                Op::FenceI => {
                    pc = next;
                    retired += 1;
                    break PageExit::FlushIcache;
                }
                Op::Ecall => {
                    pc = next;
                    retired += 1;
                    break PageExit::Stop(Exit::Ecall);
                }
                Op::Ebreak => break PageExit::Stop(Exit::Breakpoint),
                Op::Csrrw | Op::Csrrs | Op::Csrrc | Op::Csrrwi | Op::Csrrsi | Op::Csrrci => {
                    self.exec_csr(&slots[index], env, retired)
                }

                Op::LrW
                | Op::ScW
                | Op::AmoSwapW
                | Op::AmoAddW
                | Op::AmoXorW
                | Op::AmoAndW
                | Op::AmoOrW
                | Op::AmoMinW
                | Op::AmoMaxW
                | Op::AmoMinuW
                | Op::AmoMaxuW
                | Op::LrD
                | Op::ScD
                | Op::AmoSwapD
                | Op::AmoAddD
                | Op::AmoXorD
                | Op::AmoAndD
                | Op::AmoOrD
                | Op::AmoMinD
                | Op::AmoMaxD
                | Op::AmoMinuD
                | Op::AmoMaxuD => {
                    if let Err(f) = self.exec_atomic(&slots[index], env) {
                        fault!(f);
                    }
                }

                Op::FmaddS
                | Op::FmsubS
                | Op::FnmsubS
                | Op::FnmaddS
                | Op::FaddS
                | Op::FsubS
                | Op::FmulS
                | Op::FdivS
                | Op::FsqrtS
                | Op::FsgnjS
                | Op::FsgnjnS
                | Op::FsgnjxS
                | Op::FminS
                | Op::FmaxS
                | Op::FcvtWS
                | Op::FcvtWuS
                | Op::FcvtLS
                | Op::FcvtLuS
                | Op::FmvXW
                | Op::FeqS
                | Op::FltS
                | Op::FleS
                | Op::FclassS
                | Op::FcvtSW
                | Op::FcvtSWu
                | Op::FcvtSL
                | Op::FcvtSLu
                | Op::FmvWX
                | Op::FmaddD
                | Op::FmsubD
                | Op::FnmsubD
                | Op::FnmaddD
                | Op::FaddD
                | Op::FsubD
                | Op::FmulD
                | Op::FdivD
                | Op::FsqrtD
                | Op::FsgnjD
                | Op::FsgnjnD
                | Op::FsgnjxD
                | Op::FminD
                | Op::FmaxD
                | Op::FcvtSD
                | Op::FcvtDS
                | Op::FeqD
                | Op::FltD
                | Op::FleD
                | Op::FclassD
                | Op::FcvtWD
                | Op::FcvtWuD
                | Op::FcvtLD
                | Op::FcvtLuD
                | Op::FmvXD
                | Op::FcvtDW
                | Op::FcvtDWu
                | Op::FcvtDL
                | Op::FcvtDLu
                | Op::FmvDX => {
                    if let Err(exit) = self.exec_float(&slots[index]) {
                        break PageExit::Stop(exit);
                    }
                }
            }
            pc = next;
            retired += 1;
            // Falling through off the end of the page.
            if next % PAGE_SIZE < len {
                break PageExit::Boundary;
            }
        };
        self.pc = pc;
        self.instret += retired;
        end
    }
}
