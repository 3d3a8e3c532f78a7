//! The A extension on host atomics, so that harts on different host threads see each
//! other's atomics as the guest expects.
//!
//! A reservation remembers the value LR loaded; SC succeeds only if a host
//! compare-exchange from that value still succeeds. Another hart's intervening store of
//! a different value therefore fails the SC; one that restores the same value (ABA) does
//! not, the usual limitation of LR/SC built on compare-and-swap.

use super::alu::sext32;
use super::insn::{Insn, Op};
use super::{Cpu, HartEnv};
use devices::cast::low_u32;
use mmu::{Access, FaultKind, MemFault};
use std::sync::atomic::Ordering::SeqCst;

/// The reservation set by the last LR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Reservation {
    addr: u64,
    /// The value LR loaded (zero-extended for a word).
    value: u64,
    /// Access size in bytes: 4 or 8.
    width: u8,
}

impl Cpu {
    /// Executes an LR, SC or AMO. Every one is sequentially consistent, which satisfies
    /// any combination of the aq and rl bits.
    #[inline(never)]
    pub(super) fn exec_atomic<E: HartEnv>(
        &mut self,
        insn: &Insn,
        env: &mut E,
    ) -> Result<(), MemFault> {
        let addr = self.x[insn.rs1 as usize & 31];
        let src = self.x[insn.rs2 as usize & 31];
        let old = match insn.op {
            Op::LrW => {
                let value = low_u32(load_reserved(env, addr, 4)?);
                self.reservation = Some(Reservation {
                    addr,
                    value: u64::from(value),
                    width: 4,
                });
                sext32(u64::from(value))
            }
            Op::LrD => {
                let value = load_reserved(env, addr, 8)?;
                self.reservation = Some(Reservation {
                    addr,
                    value,
                    width: 8,
                });
                value
            }
            Op::ScW => {
                let reservation = self.reservation.take();
                let cell = env.atomic_u32(addr)?;
                let stored = match reservation {
                    Some(r) if r.addr == addr && r.width == 4 => cell
                        .compare_exchange(low_u32(r.value), low_u32(src), SeqCst, SeqCst)
                        .is_ok(),
                    _ => false,
                };
                u64::from(!stored)
            }
            Op::ScD => {
                let reservation = self.reservation.take();
                let cell = env.atomic_u64(addr)?;
                let stored = match reservation {
                    Some(r) if r.addr == addr && r.width == 8 => {
                        cell.compare_exchange(r.value, src, SeqCst, SeqCst).is_ok()
                    }
                    _ => false,
                };
                u64::from(!stored)
            }
            Op::AmoSwapW
            | Op::AmoAddW
            | Op::AmoXorW
            | Op::AmoAndW
            | Op::AmoOrW
            | Op::AmoMinW
            | Op::AmoMaxW
            | Op::AmoMinuW
            | Op::AmoMaxuW => {
                let cell = env.atomic_u32(addr)?;
                let v = low_u32(src);
                let old = match insn.op {
                    Op::AmoSwapW => cell.swap(v, SeqCst),
                    Op::AmoAddW => cell.fetch_add(v, SeqCst),
                    Op::AmoXorW => cell.fetch_xor(v, SeqCst),
                    Op::AmoAndW => cell.fetch_and(v, SeqCst),
                    Op::AmoOrW => cell.fetch_or(v, SeqCst),
                    Op::AmoMinuW => cell.fetch_min(v, SeqCst),
                    Op::AmoMaxuW => cell.fetch_max(v, SeqCst),
                    signed => update(cell, |old| {
                        let (a, b) = (old as i32, v as i32);
                        (if signed == Op::AmoMinW {
                            a.min(b)
                        } else {
                            a.max(b)
                        }) as u32
                    }),
                };
                sext32(u64::from(old))
            }
            Op::AmoSwapD
            | Op::AmoAddD
            | Op::AmoXorD
            | Op::AmoAndD
            | Op::AmoOrD
            | Op::AmoMinD
            | Op::AmoMaxD
            | Op::AmoMinuD
            | Op::AmoMaxuD => {
                let cell = env.atomic_u64(addr)?;
                match insn.op {
                    Op::AmoSwapD => cell.swap(src, SeqCst),
                    Op::AmoAddD => cell.fetch_add(src, SeqCst),
                    Op::AmoXorD => cell.fetch_xor(src, SeqCst),
                    Op::AmoAndD => cell.fetch_and(src, SeqCst),
                    Op::AmoOrD => cell.fetch_or(src, SeqCst),
                    Op::AmoMinuD => cell.fetch_min(src, SeqCst),
                    Op::AmoMaxuD => cell.fetch_max(src, SeqCst),
                    signed => update64(cell, |old| {
                        let (a, b) = (old as i64, src as i64);
                        (if signed == Op::AmoMinD {
                            a.min(b)
                        } else {
                            a.max(b)
                        }) as u64
                    }),
                }
            }
            other => unreachable!("{other:?} is not an atomic memory operation"),
        };
        self.x[insn.rd as usize & 31] = old;
        self.x[0] = 0;
        Ok(())
    }

    /// Forgets the reservation, as any trap into the kernel does.
    pub(super) fn drop_reservation(&mut self) {
        self.reservation = None;
    }
}

/// Atomically replaces the word with `f(old)`, returning `old`.
/// The load half of LR: a load (read permission is enough, as on Linux, where LR on
/// read-only data succeeds and only the SC faults), but naturally aligned or SIGBUS.
fn load_reserved<E: HartEnv>(env: &mut E, addr: u64, size: u32) -> Result<u64, MemFault> {
    if !addr.is_multiple_of(u64::from(size)) {
        return Err(MemFault {
            addr,
            access: Access::Read,
            kind: FaultKind::Misaligned,
        });
    }
    std::sync::atomic::fence(SeqCst);
    env.load(addr, size)
}

fn update(cell: &std::sync::atomic::AtomicU32, f: impl Fn(u32) -> u32) -> u32 {
    match cell.fetch_update(SeqCst, SeqCst, |old| Some(f(old))) {
        Ok(old) | Err(old) => old,
    }
}

/// Atomically replaces the doubleword with `f(old)`, returning `old`.
fn update64(cell: &std::sync::atomic::AtomicU64, f: impl Fn(u64) -> u64) -> u64 {
    match cell.fetch_update(SeqCst, SeqCst, |old| Some(f(old))) {
        Ok(old) | Err(old) => old,
    }
}
