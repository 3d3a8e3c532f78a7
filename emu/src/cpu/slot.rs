//! The decoded form the run loop executes: a slot per instruction holding its handler
//! and operands, and what a handler tells the loop.

use super::insn::Insn;
use super::Cpu;
use std::cell::Cell;

/// How a block's run ended, from the handler that ended it. A plain byte, so that
/// handlers can chain by tail calls (the compiler turns calls returning a pair of
/// registers into real calls); the target of a jump is in the pc, a trap's reason in
/// the hart's pending trap.
#[derive(Clone, Copy)]
pub(super) enum Flow {
    /// Past the block's last instruction.
    FellThrough,
    /// A taken branch or jump, to the address now in the pc.
    Jump,
    /// Stop the run at this instruction, which does not retire; the reason is in
    /// the hart's pending trap.
    Trap,
    /// The instruction is an ecall: it retires and the run stops.
    Ecall,
    /// The instruction is fence.i: it retires and the decoded code is dropped.
    FenceI,
    /// The instruction is a CSR access, which the loop runs itself because reading the
    /// counters needs the exact number of instructions retired.
    Csr,
}

/// Executes decoded instruction `slot`, followed in its block by `rest`, then (by a
/// call in tail position, see [`next`]) the rest of the block up to the instruction
/// that leaves it. While a block runs, `cpu.pc` holds the address its last
/// instruction falls through to.
pub(super) type Handler<E> = fn(&mut Cpu, &Slot<E>, &[Slot<E>], &mut E) -> Flow;

/// Goes on with the first instruction of `rest`, if any. Called in tail position, so
/// handlers chain by jumps; the chain is at most a block long even where the compiler
/// keeps the calls.
#[inline(always)]
pub(super) fn next<E>(cpu: &mut Cpu, rest: &[Slot<E>], env: &mut E) -> Flow {
    match rest.split_first() {
        Some((slot, rest)) => (slot.run)(cpu, slot, rest, env),
        None => Flow::FellThrough,
    }
}

/// One decoded instruction in the form the run loop executes.
pub(super) struct Slot<E> {
    /// Executes the instruction.
    pub(super) run: Handler<E>,
    /// The immediate, sign-extended; for auipc the value it computes, and for jal and
    /// conditional branches the absolute target.
    pub(super) imm: u64,
    /// The instruction as decoded (operands, and the raw fields that slow paths use).
    pub(super) insn: Insn,
    /// The block that last followed this instruction's taken transfer, checked by
    /// address before use.
    pub(super) link: Cell<u32>,
}

impl<E> Slot<E> {
    /// Destination register number.
    #[inline(always)]
    pub(super) fn rd(&self) -> usize {
        usize::from(self.insn.rd) & 31
    }

    /// First source register number.
    #[inline(always)]
    pub(super) fn rs1(&self) -> usize {
        usize::from(self.insn.rs1) & 31
    }

    /// Second source register number.
    #[inline(always)]
    pub(super) fn rs2(&self) -> usize {
        usize::from(self.insn.rs2) & 31
    }
}
