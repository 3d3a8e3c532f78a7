//! [`AddressSpace`]: one guest process's memory, shared by all its harts.

use crate::{Errno, HartMem, MmStats};
use std::sync::Arc;

/// Configuration of an address space.
#[derive(Clone, Debug)]
pub struct MmConfig {
    /// Bytes of host virtual memory reserved for guest frames (lazily backed by the host).
    pub frame_pool_bytes: u64,
    /// Lowest address a non-fixed mmap may return.
    pub mmap_min_addr: u64,
    /// Top of the region non-fixed mmaps are placed below (they grow down from here).
    pub mmap_base: u64,
}

impl Default for MmConfig {
    fn default() -> Self {
        MmConfig {
            frame_pool_bytes: 16 << 30,
            mmap_min_addr: 0x10000,
            mmap_base: 0x3f_a000_0000,
        }
    }
}

/// A guest address space: VMAs, page table, frames, `mmap_lock`, and the harts using it.
pub struct AddressSpace {
    _private: (),
}

impl AddressSpace {
    /// Creates an empty address space.
    pub fn new(_cfg: MmConfig) -> std::io::Result<Arc<Self>> {
        unimplemented!()
    }

    /// Registers a hart (guest thread `tid`) and returns its private access handle. The hart
    /// takes part in TLB shootdowns from now until the handle is dropped.
    pub fn attach_hart(self: &Arc<Self>, _tid: u32) -> HartMem {
        unimplemented!()
    }

    /// mmap(2) of anonymous memory (file mappings come with the page cache): returns the
    /// address. `flags` are [`crate::map`] bits, `prot` are [`crate::prot`] bits.
    pub fn mmap(&self, _addr: u64, _len: u64, _prot: u32, _flags: u32) -> Result<u64, Errno> {
        unimplemented!()
    }

    /// munmap(2).
    pub fn munmap(&self, _addr: u64, _len: u64) -> Result<(), Errno> {
        unimplemented!()
    }

    /// mprotect(2).
    pub fn mprotect(&self, _addr: u64, _len: u64, _prot: u32) -> Result<(), Errno> {
        unimplemented!()
    }

    /// mremap(2): `flags` are MREMAP_MAYMOVE (1) and MREMAP_FIXED (2).
    pub fn mremap(
        &self,
        _old_addr: u64,
        _old_len: u64,
        _new_len: u64,
        _flags: u32,
        _new_addr: u64,
    ) -> Result<u64, Errno> {
        unimplemented!()
    }

    /// madvise(2).
    pub fn madvise(&self, _addr: u64, _len: u64, _advice: u32) -> Result<(), Errno> {
        unimplemented!()
    }

    /// Sets where the heap starts (end of the loaded image, page aligned).
    pub fn set_brk_start(&self, _start: u64) {
        unimplemented!()
    }

    /// brk(2): moves the program break if it can and returns the (new or unchanged) break.
    pub fn brk(&self, _new_brk: u64) -> u64 {
        unimplemented!()
    }

    /// Copies guest memory into `buf`, faulting pages in as a guest read would; EFAULT if
    /// any byte is unmapped or unreadable.
    pub fn read_bytes(&self, _addr: u64, _buf: &mut [u8]) -> Result<(), Errno> {
        unimplemented!()
    }

    /// Copies `data` into guest memory as a guest write would; EFAULT if any byte is
    /// unmapped or not writable.
    pub fn write_bytes(&self, _addr: u64, _data: &[u8]) -> Result<(), Errno> {
        unimplemented!()
    }

    /// Reads a NUL-terminated string (without the NUL) of at most `max` bytes.
    pub fn read_cstring(&self, _addr: u64, _max: usize) -> Result<Vec<u8>, Errno> {
        unimplemented!()
    }

    /// Atomically loads the aligned u32 at `addr` (futex word); EFAULT/EINVAL on failure.
    pub fn load_u32_atomic(&self, _addr: u64) -> Result<u32, Errno> {
        unimplemented!()
    }

    /// Atomically replaces the aligned u32 at `addr` with `f(old)` and returns `old`
    /// (FUTEX_WAKE_OP); requires write permission.
    pub fn update_u32_atomic(&self, _addr: u64, _f: &dyn Fn(u32) -> u32) -> Result<u32, Errno> {
        unimplemented!()
    }

    /// Makes every hart drop its decoded-instruction cache (riscv_flush_icache).
    pub fn flush_icache_all(&self) {
        unimplemented!()
    }

    /// A snapshot of the counters, per hart and in total.
    pub fn stats(&self) -> MmStats {
        unimplemented!()
    }
}
