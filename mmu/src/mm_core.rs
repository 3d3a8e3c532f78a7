//! [`MmCore`]: the state one address space's layers share — frames, page table, page
//! cache, swap, `mmap_lock` and the VMAs, the TLB shootdown state and the counters — and
//! [`MmConfig`], what it is built from.
//!
//! The services, the fault layer and the mm calls work on an `MmCore`; the layers below
//! it are handed only the parts they need. `mmap_lock` is taken through the `mmap_lock`
//! module, which adds its lock calls to `MmCore`.

use crate::caller::{Caller, HartShared};
use crate::current;
use crate::folio::Folio;
use crate::frames::FramePool;
use crate::pagecache::{CacheConfig, PageCache};
use crate::pagetable::{PageTable, TASK_SIZE};
use crate::policy::FaultPolicy;
use crate::rwsem::{RwSemaphore, DEFAULT_HANDOFF_NS, MMAP_LOCK_COUNTERS};
use crate::shmem::SharedAnon;
use crate::shootdown::Shootdown;
use crate::stats::{Daemon, HartStats, MmStats, StatsOwner};
use crate::swap::Swap;
use crate::vma::{VmaFlags, VmaTree};
use crate::vma_index::VmaIndex;
use devices::storage::{DeviceConfig, ErrorInjection};
use devices::{HostClock, SharedClock};
use parking_lot::Mutex;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Linux's default `vm.max_map_count`.
pub const DEFAULT_MAX_MAP_COUNT: usize = 65530;

/// Configuration of an address space.
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
        }
    }
}

/// What `mmap_lock` protects.
pub(crate) struct MmState {
    /// The VMAs.
    pub vmas: VmaTree,
    /// Where the heap starts (page aligned).
    pub brk_start: u64,
    /// The current program break (not necessarily page aligned).
    pub brk: u64,
    /// Flags every new VMA gets (Linux's `mm->def_flags`: mlockall(MCL_FUTURE)).
    pub def_flags: VmaFlags,
}

/// What an operation above the mm layer works with: the space's state, the hart (if any)
/// it acts for, and the counters its work goes to.
#[derive(Clone, Copy)]
pub(crate) struct Cx<'a> {
    /// The space's state.
    pub(crate) core: &'a MmCore,
    /// On whose behalf.
    pub(crate) caller: &'a Caller,
    /// Where the work is counted.
    pub(crate) stats: &'a HartStats,
}

static NEXT_SPACE_ID: AtomicU64 = AtomicU64::new(1);

/// One address space's shared state.
pub(crate) struct MmCore {
    id: u64,
    cfg: MmConfig,
    frames: Arc<FramePool>,
    page_cache: PageCache,
    /// Swap for anonymous memory, when configured.
    swap: Option<Arc<Swap>>,
    page_table: PageTable,
    pub(crate) mmap_lock: RwSemaphore<MmState>,
    /// The VMAs as faults see them without `mmap_lock`.
    vma_index: VmaIndex,
    shootdown: Shootdown,
    icache_epoch: AtomicU64,
    /// Stats of every hart ever attached, by tid: they outlive the harts.
    hart_stats: Mutex<Vec<(u32, Arc<HartStats>)>>,
    /// Stats of work done on no hart's behalf.
    unattributed: HartStats,
    /// Stats of each background thread, in [`Daemon::ALL`] order.
    daemon_stats: [HartStats; Daemon::ALL.len()],
}

impl Drop for MmCore {
    /// The daemons hold only weak references: wake them so they see the space is gone
    /// and end now, rather than at their next period (a run that creates many spaces
    /// would otherwise pile up sleeping threads).
    fn drop(&mut self) {
        self.page_cache.dirty().wake.unpark();
        self.page_cache.kswapd_wake().unpark();
    }
}

impl MmCore {
    /// The empty state of a new address space configured as `cfg`.
    pub(crate) fn new(cfg: MmConfig) -> io::Result<MmCore> {
        if cfg.mmap_base > TASK_SIZE || cfg.mmap_min_addr >= cfg.mmap_base {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "bad mmap range {:#x}..{:#x}",
                    cfg.mmap_min_addr, cfg.mmap_base
                ),
            ));
        }
        let frames = Arc::new(FramePool::new(cfg.frame_pool_bytes)?);
        let limited = cfg.cache.mem_limit.is_some();
        Ok(MmCore {
            id: NEXT_SPACE_ID.fetch_add(1, Ordering::Relaxed),
            page_cache: PageCache::new(frames.clone(), &cfg.cache, &cfg.clock)?,
            swap: match cfg.cache.swap {
                None => None,
                Some(bytes) => Some(Arc::new(Swap::new(
                    bytes,
                    swap_device(&cfg.cache),
                    cfg.clock.clone(),
                    limited,
                )?)),
            },
            frames,
            page_table: PageTable::new(),
            mmap_lock: RwSemaphore::new(
                MmState {
                    vmas: VmaTree::new(),
                    brk_start: 0,
                    brk: 0,
                    def_flags: VmaFlags::default(),
                },
                &MMAP_LOCK_COUNTERS,
                cfg.clock.clone(),
                cfg.mmap_lock_handoff_ns,
            ),
            vma_index: VmaIndex::default(),
            shootdown: Shootdown::new(cfg.clock.clone()),
            icache_epoch: AtomicU64::new(0),
            hart_stats: Mutex::new(Vec::new()),
            unattributed: HartStats::default(),
            daemon_stats: Default::default(),
            cfg,
        })
    }

    /// The unique id harts of this space are tagged with.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Registers the stats of a new hart, guest thread `tid`.
    pub(crate) fn add_hart_stats(&self, tid: u32, stats: Arc<HartStats>) {
        self.hart_stats.lock().push((tid, stats));
    }

    /// The page cache of this space's files.
    pub(crate) fn page_cache(&self) -> &PageCache {
        &self.page_cache
    }

    /// Swap for anonymous memory, when configured.
    pub(crate) fn swap(&self) -> Option<&Swap> {
        self.swap.as_deref()
    }

    /// A new shared anonymous memory object, whose pages may go to this space's swap.
    pub(crate) fn new_shared_anon(&self) -> SharedAnon {
        SharedAnon::with_swap(self.frames.clone(), self.swap.clone())
    }

    /// The run's clock, as the space was configured with it.
    pub(crate) fn clock(&self) -> &SharedClock {
        &self.cfg.clock
    }

    /// The configuration the space was created with.
    pub(crate) fn config(&self) -> &MmConfig {
        &self.cfg
    }

    /// A snapshot of the counters, per hart and in total.
    pub(crate) fn stats(&self) -> MmStats {
        let harts = self.hart_stats.lock();
        let mut stats = MmStats::collect(
            harts
                .iter()
                .map(|(tid, s)| (StatsOwner::Hart(*tid), &**s))
                .chain(self.daemons())
                .chain([(StatsOwner::Nobody, &self.unattributed)]),
        );
        // The storage device is shared by every hart: its counters exist only in total.
        stats.total.extend(self.page_cache.io_counters());
        if let Some(swap) = &self.swap {
            stats.total.extend(swap.counters());
        }
        stats
    }

    /// Each daemon's stats.
    fn daemons(&self) -> impl Iterator<Item = (StatsOwner, &HartStats)> {
        Daemon::ALL
            .into_iter()
            .zip(&self.daemon_stats)
            .map(|(d, s)| (StatsOwner::Daemon(d), s))
    }

    pub(crate) fn page_table(&self) -> &PageTable {
        &self.page_table
    }

    pub(crate) fn frames(&self) -> &Arc<FramePool> {
        &self.frames
    }

    pub(crate) fn shootdown(&self) -> &Shootdown {
        &self.shootdown
    }

    #[inline]
    pub(crate) fn icache_epoch(&self) -> u64 {
        self.icache_epoch.load(Ordering::Acquire)
    }

    /// Release: code written before the bump is visible to whoever reads the new epoch.
    /// Every hart's stop word is raised after it, so that a running hart notices at its
    /// next block boundary without reading the epoch there.
    pub(crate) fn bump_icache_epoch(&self) {
        self.icache_epoch.fetch_add(1, Ordering::Release);
        self.shootdown.raise_icache();
    }

    /// The hart the calling thread runs in this space, if any.
    pub(crate) fn caller(&self) -> Caller {
        Caller(current::hart_in(self.id))
    }

    /// The stats the caller's work is counted into: its hart's, its daemon's, or those of
    /// work done on nobody's behalf.
    pub(crate) fn stats_of<'a>(&'a self, caller: &'a Caller) -> &'a HartStats {
        // A hart's own stats without a look at the thread-local daemon mark: this is on
        // every fault's path.
        match &caller.0 {
            Some(h) => &h.stats,
            None => match current::daemon() {
                Some(d) => &self.daemon_stats[d as usize],
                None => &self.unattributed,
            },
        }
    }

    pub(crate) fn vma_index(&self) -> &VmaIndex {
        &self.vma_index
    }

    /// Takes `folio`'s lock on the caller's behalf, out of guest state while it waits:
    /// whoever holds it (reclaim, write-back) may be shooting down TLBs.
    pub(crate) fn lock_folio(&self, caller: &Caller, folio: &Folio) {
        self.blocking(caller, || folio.lock(self.clock().as_ref()));
    }

    /// Frees the slot of a swap entry just taken out of the page table, once no I/O on
    /// it is in flight, with its swap-cache folio if any.
    pub(crate) fn free_swap_entry(&self, caller: &Caller, slot: u32) {
        if let Some(swap) = self.swap() {
            swap.discard(slot, self.frames(), |f| self.lock_folio(caller, f));
        }
    }

    /// The context of work done on `caller`'s behalf, counted where its work goes
    /// ([`MmCore::stats_of`]).
    pub(crate) fn cx<'a>(&'a self, caller: &'a Caller) -> Cx<'a> {
        Cx {
            core: self,
            caller,
            stats: self.stats_of(caller),
        }
    }

    /// Runs `wait` with the caller's hart out of guest state (see
    /// [`Shootdown::blocking`]).
    pub(crate) fn blocking<R>(&self, caller: &Caller, wait: impl FnOnce() -> R) -> R {
        self.shootdown.blocking(caller, wait)
    }

    /// A hart of this space, for guest thread `tid`, counting into `stats`; not yet in
    /// guest code.
    pub(crate) fn new_hart(&self, tid: u32, stats: Arc<HartStats>) -> HartShared {
        HartShared::new(tid, self.id, stats)
    }
}

/// The swap device: the page cache's device model, minus injected errors (swapped-out
/// pages must come back); the default device model when the cache has none.
fn swap_device(cache: &CacheConfig) -> DeviceConfig {
    let mut cfg = cache.device.clone().unwrap_or_default();
    cfg.errors = ErrorInjection::never();
    cfg
}
