//! Fused pairs: two adjacent instructions of a block run by one handler, installed on
//! the first slot, which saves the second's dispatch. The second slot stays as it was
//! (a block's slots still match its instructions one to one, which the counts of
//! retired instructions and the pcs of traps rely on), and the fused handler goes on
//! after it.
//!
//! The pairs are the shapes compiled loops end with, and constants built in two steps:
//! - an immediate operation then a conditional branch (`addi`/`addiw`/`andi`, then
//!   `bne`, `beq`, ...): a loop counter and its test, a masked bit and its test;
//! - a register operation (`add`, `sub`, `and`, `xor`, `addw`, `subw`) then a
//!   conditional branch;
//! - an integer load then a conditional branch: a list walk's next pointer, a
//!   character and its class. The load's TLB hit runs inline; a miss runs the load's
//!   own handler, which may trap with the load's pc, and the branch after it;
//! - `lui` or `auipc` then `addi`/`addiw` of the same register: a 32-bit constant or a
//!   pc-relative address, folded into one value when the block is decoded.
//!
//! Only a pair's first instruction can trap (a load), and then the pair's handler is
//! the load's own: the second instruction is run as usual, so counts and pcs stay
//! exact.

use super::alu::sext32;
use super::handlers::{handler_for, take};
use super::insn::Op;
use super::slot::{next, At, Flow, Handler, Slot};
use super::{Cpu, HartEnv};
use devices::cast::{low_u16, low_u8};

/// An operation of a register and an immediate.
trait ImmOp {
    /// rd's new value from rs1's value and the immediate.
    fn apply(a: u64, imm: u64) -> u64;
}

/// An operation of two registers.
trait RegOp {
    /// rd's new value from rs1's and rs2's values.
    fn apply(a: u64, b: u64) -> u64;
}

/// An integer load: its size, and how the value loaded is extended.
trait Load {
    /// Bytes loaded.
    const SIZE: u32;
    /// rd's new value from the bytes loaded (zero-extended).
    fn extend(v: u64) -> u64;
}

/// A branch condition on rs1's and rs2's values.
trait Cond {
    /// Whether the branch is taken.
    fn taken(a: u64, b: u64) -> bool;
}

/// Defines zero-sized types naming operations or conditions, for the generic fused
/// handlers to be specialised with.
macro_rules! ops {
    ($trait:ident, $method:ident -> $ret:ty: $($name:ident: |$a:ident, $b:ident| $body:expr;)*) => {$(
        #[doc = concat!("`", stringify!($body), "`.")]
        struct $name;
        impl $trait for $name {
            #[inline(always)]
            fn $method($a: u64, $b: u64) -> $ret {
                $body
            }
        }
    )*};
}

ops! { ImmOp, apply -> u64:
    AddI: |a, imm| a.wrapping_add(imm);
    AddIW: |a, imm| sext32(a.wrapping_add(imm));
    AndI: |a, imm| a & imm;
}

ops! { RegOp, apply -> u64:
    AddR: |a, b| a.wrapping_add(b);
    SubR: |a, b| a.wrapping_sub(b);
    AndR: |a, b| a & b;
    XorR: |a, b| a ^ b;
    AddWR: |a, b| sext32(a.wrapping_add(b));
    SubWR: |a, b| sext32(a.wrapping_sub(b));
}

/// Defines the integer loads, as [`ops!`] does operations.
macro_rules! loads {
    ($($name:ident: $size:literal, |$v:ident| $body:expr;)*) => {$(
        #[doc = concat!("A load of ", stringify!($size), " bytes: `", stringify!($body), "`.")]
        struct $name;
        impl Load for $name {
            const SIZE: u32 = $size;
            #[inline(always)]
            fn extend($v: u64) -> u64 {
                $body
            }
        }
    )*};
}

loads! {
    LoadB: 1, |v| low_u8(v) as i8 as i64 as u64;
    LoadH: 2, |v| low_u16(v) as i16 as i64 as u64;
    LoadW: 4, |v| sext32(v);
    LoadD: 8, |v| v;
    LoadBu: 1, |v| v;
    LoadHu: 2, |v| v;
    LoadWu: 4, |v| v;
}

ops! { Cond, taken -> bool:
    Eq: |a, b| a == b;
    Ne: |a, b| a != b;
    Lt: |a, b| (a as i64) < (b as i64);
    Ge: |a, b| (a as i64) >= (b as i64);
    Ltu: |a, b| a < b;
    Geu: |a, b| a >= b;
}

/// An immediate operation `O` then a conditional branch on `C`.
fn imm_branch<E: HartEnv, O: ImmOp, C: Cond>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
    let s = at.slot();
    cpu.x[s.rd()] = O::apply(cpu.x[s.rs1()], s.imm);
    branch::<E, C>(cpu, at.following(), env)
}

/// Ends a pair with its branch, the slot at `at`.
#[inline(always)]
fn branch<E: HartEnv, C: Cond>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
    let b = at.slot();
    // x0 reads as zero: no handler leaves anything else in it.
    if C::taken(cpu.x[b.rs1()], cpu.x[b.rs2()]) {
        take(cpu, at, env)
    } else {
        next(cpu, at, env)
    }
}

/// A register operation `O` then a conditional branch on `C`.
fn reg_branch<E: HartEnv, O: RegOp, C: Cond>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
    let s = at.slot();
    cpu.x[s.rd()] = O::apply(cpu.x[s.rs1()], cpu.x[s.rs2()]);
    branch::<E, C>(cpu, at.following(), env)
}

/// A load `L` then a conditional branch on `C`; a TLB miss runs the load's own handler.
fn load_branch<E: HartEnv, L: Load, C: Cond>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
    let s = at.slot();
    match env.load_hit(cpu.x[s.rs1()].wrapping_add(s.imm), L::SIZE) {
        Some(v) => {
            // rd may be x0 (a load's access happens even then).
            cpu.x[s.rd()] = L::extend(v);
            cpu.x[0] = 0;
            branch::<E, C>(cpu, at.following(), env)
        }
        None => load_miss(cpu, at, env),
    }
}

/// A fused load that missed the TLB: the load's own handler runs it, and the branch.
#[cold]
#[inline(never)]
fn load_miss<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
    (handler_for::<E>(&at.slot().insn))(cpu, at, env)
}

/// A constant built in two steps, folded into the first slot's immediate.
fn constant<E: HartEnv>(cpu: &mut Cpu, at: At<'_, E>, env: &mut E) -> Flow {
    let s = at.slot();
    cpu.x[s.rd()] = s.imm;
    next(cpu, at.following(), env)
}

/// Picks the handler specialised to the condition of the branch `op`, if it is one.
macro_rules! by_condition {
    ($op:expr, $handler:ident::<$($arg:ty),*>) => {{
        use Op::*;
        let handler: Handler<E> = match $op {
            Beq => $handler::<$($arg,)* Eq>,
            Bne => $handler::<$($arg,)* Ne>,
            Blt => $handler::<$($arg,)* Lt>,
            Bge => $handler::<$($arg,)* Ge>,
            Bltu => $handler::<$($arg,)* Ltu>,
            Bgeu => $handler::<$($arg,)* Geu>,
            _ => return None,
        };
        handler
    }};
}

/// The fused handler of the first instruction `first` then the branch `branch`, if
/// they make a pair.
fn with_branch<E: HartEnv>(first: Op, branch: Op) -> Option<Handler<E>> {
    use Op::*;
    Some(match first {
        Addi => by_condition!(branch, imm_branch::<E, AddI>),
        Addiw => by_condition!(branch, imm_branch::<E, AddIW>),
        Andi => by_condition!(branch, imm_branch::<E, AndI>),
        Add => by_condition!(branch, reg_branch::<E, AddR>),
        Sub => by_condition!(branch, reg_branch::<E, SubR>),
        And => by_condition!(branch, reg_branch::<E, AndR>),
        Xor => by_condition!(branch, reg_branch::<E, XorR>),
        Addw => by_condition!(branch, reg_branch::<E, AddWR>),
        Subw => by_condition!(branch, reg_branch::<E, SubWR>),
        Lb => by_condition!(branch, load_branch::<E, LoadB>),
        Lh => by_condition!(branch, load_branch::<E, LoadH>),
        Lw => by_condition!(branch, load_branch::<E, LoadW>),
        Ld => by_condition!(branch, load_branch::<E, LoadD>),
        Lbu => by_condition!(branch, load_branch::<E, LoadBu>),
        Lhu => by_condition!(branch, load_branch::<E, LoadHu>),
        Lwu => by_condition!(branch, load_branch::<E, LoadWu>),
        _ => return None,
    })
}

/// Installs fused handlers on the pairs of `code` (a block's instructions) that have
/// one. A slot that is the second of a pair is not the first of another.
pub(super) fn fuse<E: HartEnv>(code: &mut [Slot<E>]) {
    let mut k = 0;
    while k + 1 < code.len() {
        let (first, second) = (&code[k], &code[k + 1]);
        if let Some((run, imm)) = fused(first, second) {
            code[k].run = run;
            code[k].imm = imm;
            k += 2;
        } else {
            k += 1;
        }
    }
}

/// The handler and immediate of `first` fused with `second`, if they make a pair.
fn fused<E: HartEnv>(first: &Slot<E>, second: &Slot<E>) -> Option<(Handler<E>, u64)> {
    use Op::*;
    let (a, b) = (&first.insn, &second.insn);
    match (a.op, b.op) {
        (Lui | Auipc, Addi | Addiw) if b.rd == a.rd && b.rs1 == a.rd => {
            let sum = first.imm.wrapping_add(second.imm);
            let value = match b.op {
                Addiw => sext32(sum),
                _ => sum,
            };
            Some((constant::<E>, value))
        }
        _ => Some((with_branch::<E>(a.op, b.op)?, first.imm)),
    }
}
