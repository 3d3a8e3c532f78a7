//! The instruction handlers: one small function per operation, chosen once when the
//! instruction is decoded and reached through its slot. Each handler ends by jumping
//! to the next instruction's handler (threaded code), so running an instruction costs
//! one indirect jump and only the operands it uses.
//!
//! Handlers of the same shape (register-immediate, register-register, branch, load,
//! store) are generated from one template each. Floating-point computation, atomics
//! and CSR accesses go through one handler per group to their slow paths.

use super::alu::{self, sext32};
use super::float::box_s;
use super::insn::{Insn, Op};
use super::slot::{next, At, Flow, Handler, Slot};
use super::{Cpu, Exit, HartEnv};
use devices::cast::{low_i32, low_u16, low_u32, low_u8};
use std::sync::atomic::{fence, Ordering};

impl Cpu {
    /// Stops the run for `exit` at instruction `s`.
    #[cold]
    fn trap<E>(&mut self, exit: Exit, s: &Slot<E>) -> Flow {
        self.trap = Some(exit);
        self.unrun = usize::from(s.rest);
        Flow::Trap
    }

    /// Whether an operation other harts can observe, instruction `s`, lies beyond
    /// [`super::Pacing::exact_until`] and so must wait for the clock.
    #[inline(always)]
    fn beyond_exact<E>(&self, s: &Slot<E>) -> bool {
        self.position(s) > self.pacing.exact_until
    }

    /// The count of instructions retired before instruction `s` (while a block runs,
    /// `instret` counts the whole block).
    #[inline(always)]
    fn position<E>(&self, s: &Slot<E>) -> u64 {
        self.instret - u64::from(s.rest) - 1
    }

    /// Whether a load or store `s` that missed the TLB may go on: it is not beyond the
    /// exact window. Its page walk and any fault it takes charge the clock for time the
    /// window did not count, so a limited window then closes at it: the next operation
    /// others can observe goes back to the clock first.
    #[cold]
    fn miss_may_run<E>(&mut self, s: &Slot<E>) -> bool {
        if self.beyond_exact(s) {
            return false;
        }
        if self.pacing.exact_until != u64::MAX {
            self.pacing.exact_until = self.position(s);
        }
        true
    }

    /// Whether the block running may start over at once from a loop branch `s`: the
    /// budget is not spent, no request waits and the bound on chained passes allows it.
    #[inline(always)]
    fn may_loop<E: HartEnv>(&mut self, s: &Slot<E>, env: &E) -> bool {
        let retired = self.instret - u64::from(s.rest);
        if self.loops == 0 || retired >= self.pacing.stop_at || env.interrupt_pending() {
            return false;
        }
        self.loops -= 1;
        true
    }

    /// Leaves the block for `target` from instruction `s`.
    #[inline(always)]
    pub(super) fn jump<E>(&mut self, s: &Slot<E>, target: u64) -> Flow {
        self.unrun = usize::from(s.rest);
        self.taken_link = s.link.get();
        self.pc = target;
        Flow::Jump
    }
}

/// Takes the branch or jal at `at` to the target in its immediate. One back to the
/// start of its own block runs the block again at once, counting the pass, unless the
/// run loop must look (as it would between blocks); any other leaves the block.
#[inline(always)]
pub(super) fn take<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
    let s = at.slot();
    if s.back != 0 && cpu.may_loop(s, env) {
        cpu.instret += u64::from(s.back);
        let start = at.block_start();
        return (start.slot().run)(cpu, start, env);
    }
    cpu.jump(s, s.imm)
}

/// Defines handlers computing rd from rs1 and the immediate.
macro_rules! reg_imm {
    ($($name:ident: |$a:ident, $imm:ident| $value:expr;)*) => {$(
        fn $name<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
            let s = at.slot();
            let $a = cpu.x[s.rs1()];
            let $imm = s.imm;
            cpu.x[s.rd()] = $value;
            next(cpu, at, env)
        }
    )*};
}

/// Defines handlers computing rd from rs1 and rs2.
macro_rules! reg_reg {
    ($($name:ident: |$a:ident, $b:ident| $value:expr;)*) => {$(
        fn $name<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
            let s = at.slot();
            let $a = cpu.x[s.rs1()];
            let $b = cpu.x[s.rs2()];
            cpu.x[s.rd()] = $value;
            next(cpu, at, env)
        }
    )*};
}

/// Defines conditional branches to the absolute target in the immediate.
macro_rules! branch {
    ($($name:ident: |$a:ident, $b:ident| $taken:expr;)*) => {$(
        fn $name<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
            let s = at.slot();
            let $a = cpu.x[s.rs1()];
            let $b = cpu.x[s.rs2()];
            if $taken {
                take(cpu, at, env)
            } else {
                next(cpu, at, env)
            }
        }
    )*};
}

/// Defines conditional branches comparing rs1 with zero (rs2 = x0), which need not
/// read rs2.
macro_rules! branch_zero {
    ($($name:ident: |$a:ident| $taken:expr;)*) => {$(
        fn $name<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
            let s = at.slot();
            let $a = cpu.x[s.rs1()];
            if $taken {
                take(cpu, at, env)
            } else {
                next(cpu, at, env)
            }
        }
    )*};
}

/// Defines loads of `size` bytes at rs1 + imm into a register of `file`, converted by
/// `extend`. A TLB hit runs inline; a miss goes to a cold copy out of line, so that the
/// hit path is a leaf ending in a tail call and saves no registers. A miss may fault,
/// which other harts can observe, so only the miss waits for the clock's exact window.
macro_rules! load {
    ($($name:ident: $size:literal, $file:ident, $extend:expr;)*) => {$(
        fn $name<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
            let s = at.slot();
            #[inline(always)]
            fn done<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E, v: u64) -> Flow {
                let s = at.slot();
                cpu.$file[s.rd()] = $extend(v);
                cpu.x[0] = 0;
                next(cpu, at, env)
            }
            #[cold]
            #[inline(never)]
            fn miss<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
                let s = at.slot();
                if !cpu.miss_may_run(s) {
                    return cpu.trap(Exit::Quantum, s);
                }
                match env.load(cpu.x[s.rs1()].wrapping_add(s.imm), $size) {
                    Ok(v) => done(cpu, at, env, v),
                    Err(fault) => cpu.trap(Exit::Fault(fault), s),
                }
            }
            match env.load_hit(cpu.x[s.rs1()].wrapping_add(s.imm), $size) {
                Some(v) => done(cpu, at, env, v),
                None => miss(cpu, at, env),
            }
        }
    )*};
}

/// Defines stores of the low `size` bytes of rs2 of register file `file` at rs1 + imm,
/// with the miss out of line as for loads.
macro_rules! store {
    ($($name:ident: $size:literal, $file:ident;)*) => {$(
        fn $name<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
            let s = at.slot();
            #[cold]
            #[inline(never)]
            fn miss<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
                let s = at.slot();
                if !cpu.miss_may_run(s) {
                    return cpu.trap(Exit::Quantum, s);
                }
                match env.store(cpu.x[s.rs1()].wrapping_add(s.imm), $size, cpu.$file[s.rs2()]) {
                    Ok(()) => next(cpu, at, env),
                    Err(fault) => cpu.trap(Exit::Fault(fault), s),
                }
            }
            match env.store_hit(cpu.x[s.rs1()].wrapping_add(s.imm), $size, cpu.$file[s.rs2()]) {
                true => next(cpu, at, env),
                false => miss(cpu, at, env),
            }
        }
    )*};
}

reg_imm! {
    // For lui and auipc the slot's immediate is the value itself.
    lui: |_a, imm| imm;
    addi: |a, imm| a.wrapping_add(imm);
    slti: |a, imm| u64::from((a as i64) < (imm as i64));
    sltiu: |a, imm| u64::from(a < imm);
    xori: |a, imm| a ^ imm;
    ori: |a, imm| a | imm;
    andi: |a, imm| a & imm;
    slli: |a, imm| a.wrapping_shl(low_u32(imm));
    srli: |a, imm| a.wrapping_shr(low_u32(imm));
    srai: |a, imm| (a as i64).wrapping_shr(low_u32(imm)) as u64;
    addiw: |a, imm| sext32(a.wrapping_add(imm));
    slliw: |a, imm| sext32(u64::from(low_u32(a).wrapping_shl(low_u32(imm))));
    srliw: |a, imm| sext32(u64::from(low_u32(a).wrapping_shr(low_u32(imm))));
    sraiw: |a, imm| low_i32(a).wrapping_shr(low_u32(imm)) as i64 as u64;
}

reg_reg! {
    add: |a, b| a.wrapping_add(b);
    sub: |a, b| a.wrapping_sub(b);
    sll: |a, b| a.wrapping_shl(low_u32(b));
    slt: |a, b| u64::from((a as i64) < (b as i64));
    sltu: |a, b| u64::from(a < b);
    xor: |a, b| a ^ b;
    srl: |a, b| a.wrapping_shr(low_u32(b));
    sra: |a, b| (a as i64).wrapping_shr(low_u32(b)) as u64;
    or: |a, b| a | b;
    and: |a, b| a & b;
    addw: |a, b| sext32(a.wrapping_add(b));
    subw: |a, b| sext32(a.wrapping_sub(b));
    sllw: |a, b| sext32(u64::from(low_u32(a).wrapping_shl(low_u32(b))));
    srlw: |a, b| sext32(u64::from(low_u32(a).wrapping_shr(low_u32(b))));
    sraw: |a, b| low_i32(a).wrapping_shr(low_u32(b)) as i64 as u64;
    mul: |a, b| a.wrapping_mul(b);
    mulh: |a, b| alu::mulh(a, b);
    mulhsu: |a, b| alu::mulhsu(a, b);
    mulhu: |a, b| alu::mulhu(a, b);
    div: |a, b| alu::div(a, b);
    divu: |a, b| alu::divu(a, b);
    rem: |a, b| alu::rem(a, b);
    remu: |a, b| alu::remu(a, b);
    mulw: |a, b| sext32(a.wrapping_mul(b));
    divw: |a, b| alu::divw(a, b);
    divuw: |a, b| alu::divuw(a, b);
    remw: |a, b| alu::remw(a, b);
    remuw: |a, b| alu::remuw(a, b);
}

branch! {
    beq: |a, b| a == b;
    bne: |a, b| a != b;
    blt: |a, b| (a as i64) < (b as i64);
    bge: |a, b| (a as i64) >= (b as i64);
    bltu: |a, b| a < b;
    bgeu: |a, b| a >= b;
}

branch_zero! {
    beqz: |a| a == 0;
    bnez: |a| a != 0;
    bltz: |a| (a as i64) < 0;
    bgez: |a| (a as i64) >= 0;
}

load! {
    lb: 1, x, |v| low_u8(v) as i8 as i64 as u64;
    lh: 2, x, |v| low_u16(v) as i16 as i64 as u64;
    lw: 4, x, sext32;
    ld: 8, x, |v| v;
    lbu: 1, x, |v| v;
    lhu: 2, x, |v| v;
    lwu: 4, x, |v| v;
    flw: 4, f, |v| box_s(low_u32(v));
    fld: 8, f, |v| v;
}

store! {
    sb: 1, x;
    sh: 2, x;
    sw: 4, x;
    sd: 8, x;
    // fsw stores the low word as is, boxed or not.
    fsw: 4, f;
    fsd: 8, f;
}

/// jal: the link is the block's fall-through address, since a jump ends its block.
fn jal<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
    let s = at.slot();
    cpu.x[s.rd()] = cpu.pc;
    cpu.x[0] = 0;
    take(cpu, at, env)
}

/// jalr: the target is read before rd is written, which may be the same register.
fn jalr<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, _: &mut E) -> Flow {
    let s = at.slot();
    let target = cpu.x[s.rs1()].wrapping_add(s.imm) & !1;
    cpu.x[s.rd()] = cpu.pc;
    cpu.x[0] = 0;
    cpu.jump(s, target)
}

fn nop<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
    next(cpu, at, env)
}

fn illegal<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, _: &mut E) -> Flow {
    let s = at.slot();
    cpu.trap(
        Exit::IllegalInstruction {
            insn: s.insn.imm as u32,
        },
        s,
    )
}

fn ebreak<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, _: &mut E) -> Flow {
    cpu.trap(Exit::Breakpoint, at.slot())
}

fn ecall<E: HartEnv>(_: &mut Cpu, _: At<'_, E>, _: &mut E) -> Flow {
    Flow::Ecall
}

fn fence_i<E: HartEnv>(_: &mut Cpu, _: At<'_, E>, _: &mut E) -> Flow {
    Flow::FenceI
}

fn fence_rw<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
    fence(Ordering::SeqCst);
    next(cpu, at, env)
}

fn csr<E: HartEnv>(_: &mut Cpu, _: At<'_, E>, _: &mut E) -> Flow {
    Flow::Csr
}

/// An LR, SC or AMO: other harts observe it, so it runs only inside the clock's exact
/// window.
fn atomic<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
    let s = at.slot();
    if cpu.beyond_exact(s) {
        return cpu.trap(Exit::Quantum, s);
    }
    match cpu.exec_atomic(&s.insn, env) {
        Ok(()) => next(cpu, at, env),
        Err(fault) => cpu.trap(Exit::Fault(fault), s),
    }
}

fn float<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
    let s = at.slot();
    match cpu.exec_float(&s.insn) {
        Ok(()) => next(cpu, at, env),
        Err(exit) => cpu.trap(exit, s),
    }
}

/// The handler of `insn`: one specialised to its operands' shape where that saves
/// reading a register that is x0, else the one of its operation.
pub(super) fn handler_for<E: HartEnv>(insn: &Insn) -> Handler<E> {
    use Op::*;
    if insn.rs2 == 0 {
        match insn.op {
            Beq => return beqz,
            Bne => return bnez,
            Blt => return bltz,
            Bge => return bgez,
            _ => {}
        }
    }
    if insn.op == Addi && insn.rs1 == 0 {
        // li: the value is the immediate.
        return lui;
    }
    match insn.op {
        Illegal => illegal,
        Nop => nop,
        Lui | Auipc => lui,
        Jal => jal,
        Jalr => jalr,
        Beq => beq,
        Bne => bne,
        Blt => blt,
        Bge => bge,
        Bltu => bltu,
        Bgeu => bgeu,
        Lb => lb,
        Lh => lh,
        Lw => lw,
        Ld => ld,
        Lbu => lbu,
        Lhu => lhu,
        Lwu => lwu,
        Sb => sb,
        Sh => sh,
        Sw => sw,
        Sd => sd,
        Addi => addi,
        Slti => slti,
        Sltiu => sltiu,
        Xori => xori,
        Ori => ori,
        Andi => andi,
        Slli => slli,
        Srli => srli,
        Srai => srai,
        Add => add,
        Sub => sub,
        Sll => sll,
        Slt => slt,
        Sltu => sltu,
        Xor => xor,
        Srl => srl,
        Sra => sra,
        Or => or,
        And => and,
        Addiw => addiw,
        Slliw => slliw,
        Srliw => srliw,
        Sraiw => sraiw,
        Addw => addw,
        Subw => subw,
        Sllw => sllw,
        Srlw => srlw,
        Sraw => sraw,
        Fence => fence_rw,
        FenceI => fence_i,
        Ecall => ecall,
        Ebreak => ebreak,
        Csrrw | Csrrs | Csrrc | Csrrwi | Csrrsi | Csrrci => csr,
        Mul => mul,
        Mulh => mulh,
        Mulhsu => mulhsu,
        Mulhu => mulhu,
        Div => div,
        Divu => divu,
        Rem => rem,
        Remu => remu,
        Mulw => mulw,
        Divw => divw,
        Divuw => divuw,
        Remw => remw,
        Remuw => remuw,
        LrW | ScW | AmoSwapW | AmoAddW | AmoXorW | AmoAndW | AmoOrW | AmoMinW | AmoMaxW
        | AmoMinuW | AmoMaxuW | LrD | ScD | AmoSwapD | AmoAddD | AmoXorD | AmoAndD | AmoOrD
        | AmoMinD | AmoMaxD | AmoMinuD | AmoMaxuD => atomic,
        Flw => flw,
        Fld => fld,
        Fsw => fsw,
        Fsd => fsd,
        FmaddS | FmsubS | FnmsubS | FnmaddS | FaddS | FsubS | FmulS | FdivS | FsqrtS | FsgnjS
        | FsgnjnS | FsgnjxS | FminS | FmaxS | FcvtWS | FcvtWuS | FcvtLS | FcvtLuS | FmvXW
        | FeqS | FltS | FleS | FclassS | FcvtSW | FcvtSWu | FcvtSL | FcvtSLu | FmvWX | FmaddD
        | FmsubD | FnmsubD | FnmaddD | FaddD | FsubD | FmulD | FdivD | FsqrtD | FsgnjD
        | FsgnjnD | FsgnjxD | FminD | FmaxD | FcvtSD | FcvtDS | FeqD | FltD | FleD | FclassD
        | FcvtWD | FcvtWuD | FcvtLD | FcvtLuD | FmvXD | FcvtDW | FcvtDWu | FcvtDL | FcvtDLu
        | FmvDX => float,
    }
}
