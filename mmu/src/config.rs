//! [`MmConfig`]: what an address space, and the machine memory under it, are built from.

use crate::pagecache::CacheConfig;
use crate::policy::{FaultPolicy, ForkLock};
use crate::rwsem::DEFAULT_HANDOFF_NS;
use devices::{HostClock, SharedClock};
use std::sync::Arc;

/// Linux's default `vm.max_map_count`.
pub const DEFAULT_MAX_MAP_COUNT: usize = 65530;

/// Configuration of an address space: the machine's parts (frame pool, cache, clock),
/// used when a space makes its own machine memory, and the space's own.
#[derive(Clone, Debug)]
pub struct MmConfig {
    /// Bytes of host virtual memory reserved for guest frames (lazily backed by the host).
    pub frame_pool_bytes: u64,
    /// Lowest address a non-fixed mmap may return.
    pub mmap_min_addr: u64,
    /// Top of the region non-fixed mmaps are placed below (they grow down from here).
    pub mmap_base: u64,
    /// Linux's `vm.max_map_count`: the most VMAs the space may have; an mmap, or a split
    /// by munmap or mprotect, that would pass it fails with ENOMEM.
    pub max_map_count: usize,
    /// How faults take their locks.
    pub policy: FaultPolicy,
    /// How long the first waiter for `mmap_lock` waits before it may claim a handoff
    /// (real-time threads claim it at once).
    pub mmap_lock_handoff_ns: u64,
    /// The page cache's storage device and read-around window.
    pub cache: CacheConfig,
    /// The run's clock: every time read and every wait of this address space, its
    /// devices and its daemons goes through it.
    pub clock: SharedClock,
    /// Which of the parent's VMAs fork write-locks while it copies them (`--fork-lock`).
    pub fork_lock: ForkLock,
}

impl Default for MmConfig {
    fn default() -> Self {
        MmConfig {
            frame_pool_bytes: 16 << 30,
            mmap_min_addr: 0x10000,
            mmap_base: 0x3f_a000_0000,
            max_map_count: DEFAULT_MAX_MAP_COUNT,
            policy: FaultPolicy::default(),
            mmap_lock_handoff_ns: DEFAULT_HANDOFF_NS,
            cache: CacheConfig::default(),
            clock: Arc::new(HostClock::new()),
            fork_lock: ForkLock::default(),
        }
    }
}
