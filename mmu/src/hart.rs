//! [`HartMem`]: a hart's private path to guest memory through its software TLB.

use crate::{AddressSpace, HartStats, MemFault};
use std::sync::atomic::{AtomicU32, AtomicU64};
use std::sync::Arc;

/// Requests another thread may raise on a hart: it sees them at its next block boundary.
#[derive(Debug, Default)]
pub struct HartSignal {
    _private: (),
}

impl HartSignal {
    /// Raises the emulator-level request bit `bit` (bits 0..=15 are the emulator's; the
    /// memory manager uses the others for TLB shootdowns).
    pub fn raise(&self, _bit: u32) {
        unimplemented!()
    }

    /// Takes (clears and returns) the emulator-level request bits.
    pub fn take(&self) -> u32 {
        unimplemented!()
    }
}

/// One hart's handle on its address space: TLB, statistics, shootdown acknowledgement.
pub struct HartMem {
    _private: (),
}

impl HartMem {
    /// Loads `size` (1, 2, 4 or 8) bytes, little-endian, zero-extended. Misaligned and
    /// page-crossing accesses work (Linux emulates misaligned scalar accesses).
    pub fn load(&mut self, _addr: u64, _size: u32) -> Result<u64, MemFault> {
        unimplemented!()
    }

    /// Stores the low `size` (1, 2, 4 or 8) bytes of `val`, little-endian.
    pub fn store(&mut self, _addr: u64, _size: u32, _val: u64) -> Result<(), MemFault> {
        unimplemented!()
    }

    /// Fetches the 16-bit parcel at `addr` for execution (needs PROT_EXEC).
    pub fn fetch_u16(&mut self, _addr: u64) -> Result<u16, MemFault> {
        unimplemented!()
    }

    /// The host atomic behind the naturally aligned u32 at `addr`, with write permission.
    pub fn atomic_u32(&mut self, _addr: u64) -> Result<&AtomicU32, MemFault> {
        unimplemented!()
    }

    /// The host atomic behind the naturally aligned u64 at `addr`, with write permission.
    pub fn atomic_u64(&mut self, _addr: u64) -> Result<&AtomicU64, MemFault> {
        unimplemented!()
    }

    /// Whether a request (shootdown or emulator bit) waits; one relaxed load.
    #[inline]
    pub fn interrupt_pending(&self) -> bool {
        unimplemented!()
    }

    /// Acknowledges pending shootdowns (flushing the TLB) and returns the emulator-level
    /// request bits that were raised, clearing them.
    pub fn service_interrupts(&mut self) -> u32 {
        unimplemented!()
    }

    /// Marks the hart as outside guest code (in a system call or blocked): shootdowns no
    /// longer wait for it. [`enter_guest`](Self::enter_guest) flushes what they invalidated.
    pub fn leave_guest(&mut self) {
        unimplemented!()
    }

    /// Marks the hart as running guest code again.
    pub fn enter_guest(&mut self) {
        unimplemented!()
    }

    /// The generation of decoded code: it changes whenever cached decodes may be stale.
    #[inline]
    pub fn icache_epoch(&self) -> u64 {
        unimplemented!()
    }

    /// The signal handle other threads use to interrupt this hart.
    pub fn signal(&self) -> Arc<HartSignal> {
        unimplemented!()
    }

    /// The address space this hart runs in.
    pub fn space(&self) -> &Arc<AddressSpace> {
        unimplemented!()
    }

    /// This hart's counters.
    pub fn stats(&self) -> &HartStats {
        unimplemented!()
    }
}
