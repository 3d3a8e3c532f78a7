//! The RV64GC core: decoding (including compressed instructions), execution, the F/D
//! floating-point unit and the user-level CSRs.
//!
//! The core is generic over [`HartEnv`], everything it needs from the hart around it:
//! memory through the hart's TLB, the request flag it polls at block boundaries, the
//! decoded-code generation and the time base. The emulator implements it on top of
//! `mmu::HartMem`; unit tests implement it on a flat buffer.

mod alu;
mod atomic;
pub mod compressed;
pub mod csr;
pub mod decode;
mod decoded_cache;
mod exec;
mod float;
pub mod fpu;
mod fused;
mod handlers;
pub mod insn;
mod pacing;
mod slot;
#[cfg(test)]
mod tests;

pub use compressed::expand_compressed;
pub use decode::decode;
pub use insn::{Insn, Op};
pub use pacing::Pacing;

use atomic::Reservation;
use decoded_cache::DecodedCache;
use devices::cast::low_u8;
use mmu::MemFault;
use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64};

/// What the core needs from the hart it runs on.
pub trait HartEnv {
    /// Loads `size` (1, 2, 4, 8) bytes little-endian, zero-extended.
    fn load(&mut self, addr: u64, size: u32) -> Result<u64, MemFault>;
    /// Stores the low `size` bytes of `val`.
    fn store(&mut self, addr: u64, size: u32, val: u64) -> Result<(), MemFault>;
    /// [`load`](Self::load) where it can be done at once (a TLB hit), else `None`: the
    /// caller then calls `load` out of line, so that the common case saves no registers.
    fn load_hit(&mut self, addr: u64, size: u32) -> Option<u64>;
    /// [`store`](Self::store) where it can be done at once, returning whether it was; as
    /// for [`load_hit`](Self::load_hit).
    fn store_hit(&mut self, addr: u64, size: u32, val: u64) -> bool;
    /// Fetches the 16-bit instruction parcel at `addr` (execute permission).
    fn fetch_u16(&mut self, addr: u64) -> Result<u16, MemFault>;
    /// The host atomic behind the aligned, writable u32 at `addr`.
    fn atomic_u32(&mut self, addr: u64) -> Result<&AtomicU32, MemFault>;
    /// The host atomic behind the aligned, writable u64 at `addr`.
    fn atomic_u64(&mut self, addr: u64) -> Result<&AtomicU64, MemFault>;
    /// Whether the hart must stop at the next block boundary: the hart's one stop word,
    /// which every change of [`icache_epoch`](Self::icache_epoch) also raises.
    fn interrupt_pending(&self) -> bool;
    /// Changes whenever decoded code may be stale (munmap, mprotect, code writes, remote
    /// icache flushes); each change raises [`interrupt_pending`](Self::interrupt_pending)
    /// after it, so the run loop reads the epoch only when it stops or starts.
    fn icache_epoch(&self) -> u64;
    /// Nanoseconds of the hart's clock, for the `time` CSR.
    fn now_ns(&self) -> u64;
    /// The thread's CPU time in nanoseconds where the clock schedules threads and so
    /// measures it (the virtual clock), for the `cycle` CSR; `None` elsewhere.
    fn cpu_time_ns(&self) -> Option<u64>;
}

/// Why [`Cpu::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// An ecall: `pc` already points past it; a7 holds the system call number.
    Ecall,
    /// An ebreak or c.ebreak: `pc` points at it (the guest gets SIGTRAP).
    Breakpoint,
    /// [`HartEnv::interrupt_pending`] was seen: `pc` is the next instruction to run.
    Interrupt,
    /// The budget the hart loop set in [`Cpu::pacing`] ran out: the run reached
    /// [`Pacing::stop_at`] at a block boundary, or an operation other harts can observe
    /// lies beyond [`Pacing::exact_until`]. `pc` is the next instruction to run, not yet
    /// retired; the LR reservation is kept, so that a hart stopped between LR and SC is
    /// not made to fail its SC.
    Quantum,
    /// A load, store, fetch or atomic faulted: `pc` points at the instruction.
    Fault(MemFault),
    /// An illegal or unsupported instruction: `pc` points at it (the guest gets SIGILL).
    /// `insn` holds its encoding (16 bits for a compressed one).
    IllegalInstruction {
        /// The instruction's encoding.
        insn: u32,
    },
}

/// One hart's architectural state plus its decoded-code cache.
pub struct Cpu {
    /// Integer registers; `x[0]` reads as zero.
    pub x: [u64; 32],
    /// Floating-point registers; singles are NaN-boxed.
    pub f: [u64; 32],
    /// Address of the next instruction.
    pub pc: u64,
    /// Instructions retired (exact whenever [`Cpu::run`] has returned).
    pub instret: u64,
    /// Where the run must stop for the clock, and what the counters need of it.
    pub pacing: Pacing,
    /// Accrued exception flags (5 bits).
    fflags: u8,
    /// Dynamic rounding mode (3 bits; 5-7 make dynamic-rounding instructions illegal).
    frm: u8,
    reservation: Option<Reservation>,
    /// Why the instruction running now traps, for the run loop.
    trap: Option<Exit>,
    /// How many instructions of the block follow the one that left it by a jump or
    /// a trap, for the run loop.
    unrun: usize,
    /// The link of the jump that left the block, for the run loop.
    taken_link: u32,
    /// How many more times the block running may start over by a loop branch before
    /// the run loop sees it again: bounds the chain of handler calls where the compiler
    /// keeps them as calls.
    loops: u32,
    /// Decoded code (a `DecodedCache` for the [`HartEnv`] type the hart runs on, whose
    /// handlers it holds); `None` until the first run, and while a run holds it.
    icache: Option<Box<dyn Any + Send>>,
}

impl Cpu {
    /// A hart about to run at `pc`, every register zero.
    pub fn new(pc: u64) -> Cpu {
        Cpu {
            x: [0; 32],
            f: [0; 32],
            pc,
            instret: 0,
            pacing: Pacing::UNLIMITED,
            fflags: 0,
            frm: 0,
            reservation: None,
            trap: None,
            unrun: 0,
            taken_link: 0,
            loops: 0,
            icache: None,
        }
    }

    /// Runs guest code until an ecall, a trap, a pending request
    /// ([`HartEnv::interrupt_pending`]) or the end of the budget in [`Cpu::pacing`].
    /// Requests and the budget are checked between decoded blocks: at every taken branch
    /// or jump and at least every 64 instructions. The first block runs before the first
    /// check.
    ///
    /// Returning is like a trap into the kernel: the LR reservation is dropped, except
    /// at the end of a budget ([`Exit::Quantum`]).
    pub fn run<E: HartEnv + 'static>(&mut self, env: &mut E) -> Exit {
        // The cache is moved out for the run so that the code it lends and the
        // registers can be borrowed at the same time. One decoded for another
        // environment type is dropped.
        let mut cache: Box<DecodedCache<E>> = self
            .icache
            .take()
            .and_then(|cache| cache.downcast().ok())
            .unwrap_or_default();
        let exit = self.run_blocks(&mut cache, env);
        self.icache = Some(cache);
        if exit != Exit::Quantum {
            self.drop_reservation();
        }
        exit
    }

    /// Drops all decoded code, so that the next run decodes from memory again.
    pub fn flush_icache(&mut self) {
        self.icache = None;
    }

    /// A copy for a new thread (clone): the same registers, pc, instret and fcsr; no
    /// decoded code, no reservation and no limits.
    pub fn fork_thread(&self) -> Cpu {
        Cpu {
            x: self.x,
            f: self.f,
            pc: self.pc,
            instret: self.instret,
            pacing: Pacing::UNLIMITED,
            fflags: self.fflags,
            frm: self.frm,
            reservation: None,
            trap: None,
            unrun: 0,
            taken_link: 0,
            loops: 0,
            icache: None,
        }
    }

    /// The hart of a thread that execve'd a new image, starting at `pc`: every register
    /// and fcsr zero, no decoded code and no reservation; the retired-instruction count
    /// and the clock's limits go on.
    pub fn exec(&mut self, pc: u64) {
        *self = Cpu {
            instret: self.instret,
            pacing: self.pacing,
            ..Cpu::new(pc)
        };
    }

    /// The fcsr CSR: fflags | frm << 5.
    pub fn fcsr(&self) -> u32 {
        u32::from(self.fflags) | u32::from(self.frm) << 5
    }

    /// Sets fcsr (fflags and frm), e.g. when restoring a signal frame.
    pub fn set_fcsr(&mut self, fcsr: u32) {
        self.fflags = low_u8(u64::from(fcsr)) & 0x1f;
        self.frm = low_u8(u64::from(fcsr >> 5)) & 7;
    }
}

impl fmt::Debug for Cpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cpu")
            .field("pc", &format_args!("{:#x}", self.pc))
            .field("x", &format_args!("{:x?}", self.x))
            .field("f", &format_args!("{:x?}", self.f))
            .field("fcsr", &format_args!("{:#x}", self.fcsr()))
            .field("instret", &self.instret)
            .finish()
    }
}
