//! The RV64GC core: decoding (including compressed instructions), execution, the F/D
//! floating-point unit and the user-level CSRs.
//!
//! The core is generic over [`HartEnv`], everything it needs from the hart around it:
//! memory through the hart's TLB, the request flag it polls at block boundaries, the
//! decoded-code generation and the time base. The emulator implements it on top of
//! `mmu::HartMem`; unit tests implement it on a flat buffer.

pub mod fpu;

use mmu::MemFault;
use std::sync::atomic::{AtomicU32, AtomicU64};

/// What the core needs from the hart it runs on.
pub trait HartEnv {
    /// Loads `size` (1, 2, 4, 8) bytes little-endian, zero-extended.
    fn load(&mut self, addr: u64, size: u32) -> Result<u64, MemFault>;
    /// Stores the low `size` bytes of `val`.
    fn store(&mut self, addr: u64, size: u32, val: u64) -> Result<(), MemFault>;
    /// Fetches the 16-bit instruction parcel at `addr` (execute permission).
    fn fetch_u16(&mut self, addr: u64) -> Result<u16, MemFault>;
    /// The host atomic behind the aligned, writable u32 at `addr`.
    fn atomic_u32(&mut self, addr: u64) -> Result<&AtomicU32, MemFault>;
    /// The host atomic behind the aligned, writable u64 at `addr`.
    fn atomic_u64(&mut self, addr: u64) -> Result<&AtomicU64, MemFault>;
    /// Whether the hart must stop at the next block boundary.
    fn interrupt_pending(&self) -> bool;
    /// Changes whenever decoded code may be stale (munmap, mprotect, code writes, remote
    /// icache flushes).
    fn icache_epoch(&self) -> u64;
    /// Nanoseconds of the hart's clock, for the `time` CSR.
    fn now_ns(&self) -> u64;
}
