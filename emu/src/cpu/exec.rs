//! The run loop: executes decoded blocks, following each block's links to the next,
//! until something must be reported to the caller.

use super::alu::{self, sext32};
use super::decoded_cache::DecodedCache;
use super::float::box_s;
use super::insn::{Insn, Op};
use super::{Cpu, Exit, HartEnv};
use devices::cast::{low_i32, low_u16, low_u32, low_u8};
use std::sync::atomic::{fence, Ordering};

/// What the run loop does after an instruction.
enum Flow {
    /// Go on with the next instruction of the block.
    Next,
    /// A taken branch or jump to this address.
    Jump(u64),
    /// Stop the run at this instruction, which does not retire.
    Trap(Exit),
    /// The instruction is an ecall: it retires and the run stops.
    Ecall,
    /// The instruction is fence.i: it retires and the decoded code is dropped.
    FenceI,
    /// The instruction is a CSR access, which the loop runs itself because reading the
    /// counters needs the exact number of instructions retired.
    Csr,
}

/// How control left a block.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Left {
    /// Past its last instruction.
    FellThrough,
    /// By a taken branch or jump.
    Taken,
    /// After a fence.i, which drops all decoded code.
    FenceI,
}

impl Cpu {
    /// Runs decoded code from `self.pc` until an exit.
    ///
    /// The request flag and the icache epoch are polled between blocks, that is at every
    /// taken branch or jump and at least every [`super::decoded_cache::MAX_BLOCK`] instructions.
    pub(super) fn run_blocks<E: HartEnv>(&mut self, cache: &mut DecodedCache, env: &mut E) -> Exit {
        let mut epoch = env.icache_epoch();
        cache.sync_epoch(epoch);
        let mut id = match cache.block_at(self.pc, env) {
            Ok(id) => id,
            Err(fault) => return Exit::Fault(fault),
        };
        'blocks: loop {
            let (base, fallthrough, code) = cache.block(id);
            let (next, how) = 'block: {
                // Leaves the block for `next`, through the block's link if it still
                // points there and nothing needs attention.
                macro_rules! leave {
                    ($next:expr, $how:expr) => {{
                        let next = $next;
                        self.instret += code.len() as u64;
                        if !env.interrupt_pending() && env.icache_epoch() == epoch {
                            if let Some(linked) = cache.linked(id, $how == Left::Taken, next) {
                                id = linked;
                                continue 'blocks;
                            }
                        }
                        break 'block (next, $how);
                    }};
                }
                for insn in code {
                    match self.execute(insn, base, fallthrough, env) {
                        Flow::Next => {}
                        Flow::Jump(target) => leave!(target, Left::Taken),
                        Flow::Trap(exit) => {
                            // The instruction does not retire; the run stops at it.
                            let k = index_of(code, insn);
                            self.pc = base.wrapping_add(code_bytes(&code[..k]));
                            self.instret += k as u64;
                            return exit;
                        }
                        Flow::Ecall => {
                            self.pc = fallthrough;
                            self.instret += code.len() as u64;
                            return Exit::Ecall;
                        }
                        Flow::FenceI => {
                            self.instret += code.len() as u64;
                            break 'block (fallthrough, Left::FenceI);
                        }
                        Flow::Csr => {
                            let retired = index_of(code, insn) as u64;
                            self.exec_csr(insn, env, retired);
                        }
                    }
                }
                leave!(fallthrough, Left::FellThrough)
            };
            let from = match how {
                Left::FenceI => {
                    cache.clear();
                    None
                }
                _ => Some((id, how == Left::Taken)),
            };
            match self.enter_block(cache, env, &mut epoch, from, next) {
                Ok(next_id) => id = next_id,
                Err(exit) => return exit,
            }
        }
    }

    /// Executes one decoded instruction of the block at `base` that falls through to
    /// `fallthrough` (pc-relative immediates are relative to `base`, see the cache).
    #[inline(always)]
    fn execute<E: HartEnv>(
        &mut self,
        insn: &Insn,
        base: u64,
        fallthrough: u64,
        env: &mut E,
    ) -> Flow {
        let rd = insn.rd as usize & 31;
        let rs1 = insn.rs1 as usize & 31;
        let rs2 = insn.rs2 as usize & 31;
        let imm = insn.imm as i64 as u64;
        macro_rules! load {
            ($size:expr, $extend:expr) => {
                match env.load(self.x[rs1].wrapping_add(imm), $size) {
                    Ok(v) => {
                        self.x[rd] = $extend(v);
                        self.x[0] = 0;
                    }
                    Err(f) => return Flow::Trap(Exit::Fault(f)),
                }
            };
        }
        macro_rules! store {
            ($size:expr, $value:expr) => {
                if let Err(f) = env.store(self.x[rs1].wrapping_add(imm), $size, $value) {
                    return Flow::Trap(Exit::Fault(f));
                }
            };
        }
        let x1 = self.x[rs1];
        let x2 = self.x[rs2];
        // Branches, jumps, ecall, ebreak, fence.i and illegal instructions are always
        // last in their block (see the cache).
        match insn.op {
            Op::Illegal => {
                return Flow::Trap(Exit::IllegalInstruction {
                    insn: insn.imm as u32,
                })
            }
            Op::Nop => {}

            // Operations that only write rd are specialised to Nop when rd is x0,
            // so they can write rd without restoring x0.
            Op::Lui => self.x[rd] = imm,
            Op::Auipc => self.x[rd] = base.wrapping_add(imm),
            Op::Addi => self.x[rd] = x1.wrapping_add(imm),
            Op::Slti => self.x[rd] = u64::from((x1 as i64) < (imm as i64)),
            Op::Sltiu => self.x[rd] = u64::from(x1 < imm),
            Op::Xori => self.x[rd] = x1 ^ imm,
            Op::Ori => self.x[rd] = x1 | imm,
            Op::Andi => self.x[rd] = x1 & imm,
            Op::Slli => self.x[rd] = x1.wrapping_shl(low_u32(imm)),
            Op::Srli => self.x[rd] = x1.wrapping_shr(low_u32(imm)),
            Op::Srai => self.x[rd] = (x1 as i64).wrapping_shr(low_u32(imm)) as u64,
            Op::Add => self.x[rd] = x1.wrapping_add(x2),
            Op::Sub => self.x[rd] = x1.wrapping_sub(x2),
            Op::Sll => self.x[rd] = x1.wrapping_shl(low_u32(x2)),
            Op::Slt => self.x[rd] = u64::from((x1 as i64) < (x2 as i64)),
            Op::Sltu => self.x[rd] = u64::from(x1 < x2),
            Op::Xor => self.x[rd] = x1 ^ x2,
            Op::Srl => self.x[rd] = x1.wrapping_shr(low_u32(x2)),
            Op::Sra => self.x[rd] = (x1 as i64).wrapping_shr(low_u32(x2)) as u64,
            Op::Or => self.x[rd] = x1 | x2,
            Op::And => self.x[rd] = x1 & x2,
            Op::Addiw => self.x[rd] = sext32(x1.wrapping_add(imm)),
            Op::Slliw => self.x[rd] = sext32(u64::from(low_u32(x1).wrapping_shl(low_u32(imm)))),
            Op::Srliw => self.x[rd] = sext32(u64::from(low_u32(x1).wrapping_shr(low_u32(imm)))),
            Op::Sraiw => self.x[rd] = low_i32(x1).wrapping_shr(low_u32(imm)) as i64 as u64,
            Op::Addw => self.x[rd] = sext32(x1.wrapping_add(x2)),
            Op::Subw => self.x[rd] = sext32(x1.wrapping_sub(x2)),
            Op::Sllw => self.x[rd] = sext32(u64::from(low_u32(x1).wrapping_shl(low_u32(x2)))),
            Op::Srlw => self.x[rd] = sext32(u64::from(low_u32(x1).wrapping_shr(low_u32(x2)))),
            Op::Sraw => self.x[rd] = low_i32(x1).wrapping_shr(low_u32(x2)) as i64 as u64,
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
                self.x[rd] = fallthrough;
                self.x[0] = 0;
                return Flow::Jump(base.wrapping_add(imm));
            }
            Op::Jalr => {
                let target = x1.wrapping_add(imm) & !1;
                self.x[rd] = fallthrough;
                self.x[0] = 0;
                return Flow::Jump(target);
            }
            Op::Beq => {
                if x1 == x2 {
                    return Flow::Jump(base.wrapping_add(imm));
                }
            }
            Op::Bne => {
                if x1 != x2 {
                    return Flow::Jump(base.wrapping_add(imm));
                }
            }
            Op::Blt => {
                if (x1 as i64) < (x2 as i64) {
                    return Flow::Jump(base.wrapping_add(imm));
                }
            }
            Op::Bge => {
                if (x1 as i64) >= (x2 as i64) {
                    return Flow::Jump(base.wrapping_add(imm));
                }
            }
            Op::Bltu => {
                if x1 < x2 {
                    return Flow::Jump(base.wrapping_add(imm));
                }
            }
            Op::Bgeu => {
                if x1 >= x2 {
                    return Flow::Jump(base.wrapping_add(imm));
                }
            }

            Op::Lb => load!(1, |v| low_u8(v) as i8 as i64 as u64),
            Op::Lh => load!(2, |v| low_u16(v) as i16 as i64 as u64),
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
                Ok(v) => self.f[rd] = box_s(low_u32(v)),
                Err(f) => return Flow::Trap(Exit::Fault(f)),
            },
            Op::Fld => match env.load(x1.wrapping_add(imm), 8) {
                Ok(v) => self.f[rd] = v,
                Err(f) => return Flow::Trap(Exit::Fault(f)),
            },
            // fsw stores the low word as is, boxed or not.
            Op::Fsw => store!(4, self.f[rs2]),
            Op::Fsd => store!(8, self.f[rs2]),

            Op::Fence => fence(Ordering::SeqCst),
            Op::FenceI => return Flow::FenceI,
            Op::Ecall => return Flow::Ecall,
            Op::Ebreak => return Flow::Trap(Exit::Breakpoint),
            Op::Csrrw | Op::Csrrs | Op::Csrrc | Op::Csrrwi | Op::Csrrsi | Op::Csrrci => {
                return Flow::Csr
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
                if let Err(f) = self.exec_atomic(insn, env) {
                    return Flow::Trap(Exit::Fault(f));
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
                if let Err(exit) = self.exec_float(insn) {
                    return Flow::Trap(exit);
                }
            }
        }
        Flow::Next
    }

    /// The slow way to the block at `next`: reports a pending request, drops the cache
    /// for a new epoch, looks the block up or decodes it, and links it from the block
    /// `from` (left by a taken transfer if its flag is set) that led there.
    #[inline(never)]
    fn enter_block<E: HartEnv>(
        &mut self,
        cache: &mut DecodedCache,
        env: &mut E,
        epoch: &mut u64,
        mut from: Option<(u32, bool)>,
        next: u64,
    ) -> Result<u32, Exit> {
        self.pc = next;
        if env.interrupt_pending() {
            return Err(Exit::Interrupt);
        }
        *epoch = env.icache_epoch();
        if cache.sync_epoch(*epoch) {
            from = None;
        }
        let id = cache.block_at(next, env).map_err(Exit::Fault)?;
        if let Some((from, taken)) = from {
            cache.link(from, taken, id);
        }
        Ok(id)
    }
}

/// The index of `insn` in `code`, which holds it.
#[cold]
fn index_of(code: &[Insn], insn: &Insn) -> usize {
    code.iter()
        .position(|other| std::ptr::eq(other, insn))
        .unwrap_or_else(|| unreachable!("the instruction is in its block"))
}

/// The length of `code` in bytes.
fn code_bytes(code: &[Insn]) -> u64 {
    code.iter().map(|insn| u64::from(insn.len)).sum()
}
