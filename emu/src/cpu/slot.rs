//! The decoded form the run loop executes: a slot per instruction holding its handler
//! and operands, a block's code as an array of slots ending in a terminator, and what a
//! handler tells the loop.

use super::insn::{Insn, Op};
use super::Cpu;
use std::cell::Cell;
use std::marker::PhantomData;

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

/// Executes the decoded instruction at `at`, then (by a call in tail position, see
/// [`next`]) the rest of its block up to the instruction that leaves it. While a block
/// runs, `cpu.pc` holds the address its last instruction falls through to.
pub(super) type Handler<E> = for<'a> fn(&mut Cpu, At<'a, E>, &mut E) -> Flow;

/// A register number, as a type whose every value indexes a register file: handlers
/// index `x` and `f` with it without a mask or a bounds check.
#[rustfmt::skip]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(super) enum Reg {
    R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13, R14, R15,
    R16, R17, R18, R19, R20, R21, R22, R23, R24, R25, R26, R27, R28, R29, R30, R31,
}

impl Reg {
    /// Every register, by number.
    #[rustfmt::skip]
    const ALL: [Reg; 32] = {
        use Reg::*;
        [
            R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, R13, R14, R15,
            R16, R17, R18, R19, R20, R21, R22, R23, R24, R25, R26, R27, R28, R29, R30, R31,
        ]
    };

    /// Register `n` (the low five bits of it, which is all a decoded field holds).
    pub(super) fn new(n: u8) -> Reg {
        Reg::ALL[usize::from(n & 31)]
    }

    /// The register's index into a register file.
    #[inline(always)]
    pub(super) fn index(self) -> usize {
        self as usize
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
    /// Destination register.
    pub(super) rd: Reg,
    /// First source register.
    pub(super) rs1: Reg,
    /// Second source register.
    pub(super) rs2: Reg,
    /// How many instructions of the block follow this one (the terminator not counted).
    pub(super) rest: u16,
    /// For a branch or jal back to the start of its own block (a loop), its index in
    /// the block plus one: the instructions one pass retires up to it; else 0.
    pub(super) back: u16,
}

impl<E> Slot<E> {
    /// The slot executing `insn` by `run`, whose link is `link` (none yet).
    pub(super) fn new(run: Handler<E>, imm: u64, insn: Insn, link: u32) -> Slot<E> {
        Slot {
            run,
            imm,
            rd: Reg::new(insn.rd),
            rs1: Reg::new(insn.rs1),
            rs2: Reg::new(insn.rs2),
            insn,
            link: Cell::new(link),
            rest: 0,
            back: 0,
        }
    }

    /// Destination register number.
    #[inline(always)]
    pub(super) fn rd(&self) -> usize {
        self.rd.index()
    }

    /// First source register number.
    #[inline(always)]
    pub(super) fn rs1(&self) -> usize {
        self.rs1.index()
    }

    /// Second source register number.
    #[inline(always)]
    pub(super) fn rs2(&self) -> usize {
        self.rs2.index()
    }
}

/// A block's instructions as slots, followed by a terminator slot whose handler ends the
/// run by falling through. Every handler but the terminator's goes on to the next slot
/// without checking for the end: the terminator is always there.
pub(super) struct Code<E> {
    /// The instructions, then the terminator (always last, and only there).
    slots: Box<[Slot<E>]>,
}

impl<E> Code<E> {
    /// The code of `slots` (none of which is a terminator), a block starting at `start`,
    /// each told how many follow it and, for a branch or jal back to `start`, how many
    /// one pass retires; the terminator's link, that of falling through, is `fall_link`.
    pub(super) fn new(mut slots: Vec<Slot<E>>, start: u64, fall_link: u32) -> Code<E> {
        use Op::*;
        let len = slots.len();
        for (k, slot) in slots.iter_mut().enumerate() {
            slot.rest = u16::try_from(len - 1 - k).expect("blocks hold fewer than 2^16 slots");
            // Their immediates are absolute targets.
            let loops = matches!(slot.insn.op, Jal | Beq | Bne | Blt | Bge | Bltu | Bgeu)
                && slot.imm == start;
            if loops {
                slot.back = u16::try_from(k + 1).expect("blocks hold fewer than 2^16 slots");
            }
        }
        slots.push(Slot::new(
            fell_through::<E>,
            0,
            Insn::bare(Op::Nop, 0),
            fall_link,
        ));
        Code {
            slots: slots.into_boxed_slice(),
        }
    }

    /// The number of instructions (the terminator not counted).
    #[inline(always)]
    pub(super) fn len(&self) -> usize {
        self.slots.len() - 1
    }

    /// The slot of instruction `k`, or the terminator for `k == len()` (whose link is
    /// that of falling through).
    pub(super) fn get(&self, k: usize) -> Option<&Slot<E>> {
        self.slots.get(k)
    }

    /// The instructions (the terminator not included).
    pub(super) fn insns(&self) -> &[Slot<E>] {
        &self.slots[..self.len()]
    }

    /// Runs the code from its first instruction to the one that leaves it.
    #[inline(always)]
    pub(super) fn run(&self, cpu: &mut Cpu, env: &mut E) -> Flow {
        let at = At {
            ptr: self.slots.as_ptr(),
            code: PhantomData,
        };
        (at.slot().run)(cpu, at, env)
    }
}

/// The position of a running instruction in its block's [`Code`]: one pointer, which
/// the next position is one slot on from, so going on costs no bounds check.
pub(super) struct At<'a, E> {
    /// The slot, inside the slots of a live `Code`.
    ptr: *const Slot<E>,
    /// The code the slot belongs to, borrowed while the block runs.
    code: PhantomData<&'a Code<E>>,
}

impl<E> Clone for At<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for At<'_, E> {}

impl<'a, E> At<'a, E> {
    /// The position of the block's first instruction, from the branch or jal back to it
    /// at this position.
    #[inline(always)]
    pub(super) fn block_start(self) -> At<'a, E> {
        let k = usize::from(self.slot().back).saturating_sub(1);
        At {
            // SAFETY: `Code::new` sets `back` to a slot's index plus one (or 0, giving the
            // slot itself), so `k` slots back is the first slot of the same `Code`.
            ptr: unsafe { self.ptr.sub(k) },
            code: self.code,
        }
    }

    /// The slot at this position.
    #[inline(always)]
    pub(super) fn slot(self) -> &'a Slot<E> {
        // SAFETY: an `At` is made only by `Code::run`, pointing at the first slot, and by
        // `next`, one slot further from a slot that is not the terminator; both stay
        // inside the slots of a `Code` borrowed for 'a, which nothing mutates meanwhile
        // (the link cells aside).
        unsafe { &*self.ptr }
    }
}

impl<'a, E> At<'a, E> {
    /// The position one slot on. Only the handlers of instructions call it: never the
    /// terminator's, which is the last slot, and a fused pair's (see `super::fused`) only
    /// where an instruction of the block follows its first.
    #[inline(always)]
    pub(super) fn following(self) -> At<'a, E> {
        At {
            // SAFETY: this slot is not the terminator (see above), and the terminator is
            // the last slot, so one slot on is still inside the same `Code`.
            ptr: unsafe { self.ptr.add(1) },
            code: self.code,
        }
    }
}

/// Goes on with the next instruction of the block (the terminator after the last).
/// Called in tail position, so handlers chain by jumps; the chain is at most a block
/// long even where the compiler keeps the calls.
#[inline(always)]
pub(super) fn next<E>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
    let at = at.following();
    (at.slot().run)(cpu, at, env)
}

/// The terminator's handler: the block ran to its end.
fn fell_through<E>(_: &mut Cpu, _: At<'_, E>, _: &mut E) -> Flow {
    Flow::FellThrough
}
