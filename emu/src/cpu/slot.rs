//! The decoded form the run loop executes: a slot per instruction holding its handler
//! and operands, and what a handler tells the loop.

use super::insn::Insn;
use super::Cpu;
use std::cell::Cell;

/// What the run loop does after a handler. Small enough to come back in registers;
/// a trap's reason waits in the hart's pending trap.
#[derive(Clone, Copy)]
pub(super) enum Flow {
    /// Go on with the next instruction of the block.
    Next,
    /// A taken branch or jump to this address.
    Jump(u64),
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

/// Executes one decoded instruction. While a block runs, `cpu.pc` holds the address
/// its last instruction falls through to.
pub(super) type Handler<E> = fn(&mut Cpu, &Slot<E>, &mut E) -> Flow;

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
