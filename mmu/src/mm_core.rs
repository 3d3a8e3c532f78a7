//! [`MmCore`]: the state one address space's layers share — page table, `mmap_lock` and
//! the VMAs, the TLB shootdown state, the harts' counters, and the [`MachineMemory`] it is
//! built on (frames, page cache, swap, shared with the machine's other spaces) — and
//! [`MmConfig`], what it is built from.
//!
//! The services, the fault layer and the mm calls work on an `MmCore`; the layers below
//! it are handed only the parts they need. `mmap_lock` is taken through the `mmap_lock`
//! module, which adds its lock calls to `MmCore`.

use crate::caller::{Caller, HartShared};
pub(crate) use crate::config::MmConfig;
use crate::current;
use crate::folio::Folio;
use crate::frames::FramePool;
use crate::machine::MachineMemory;
use crate::pagecache::PageCache;
use crate::pagetable::{PageTable, Pte, TASK_SIZE};
use crate::rwsem::{RwSemaphore, MMAP_LOCK_COUNTERS};
use crate::shmem::SharedAnon;
use crate::shootdown::Shootdown;
use crate::stats::{Daemon, HartStats, MmStats, StatsOwner};
use crate::swap::Swap;
use crate::vma::{VmaFlags, VmaTree};
use crate::vma_index::VmaIndex;
use devices::SharedClock;
use parking_lot::Mutex;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
    /// The memory the space's pages live in, shared with the machine's other spaces.
    machine: Arc<MachineMemory>,
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
}

impl Drop for MmCore {
    /// Linux's `exit_mmap`: the frames and swap slots the space's entries hold go back
    /// to the machine, which outlives it (no hart uses the space any more: its harts
    /// hold it alive). The machine's generation of mappings keeps what this space's had
    /// come to.
    fn drop(&mut self) {
        let nobody = Caller(None);
        let mut slots = Vec::new();
        self.page_table
            .for_each_present(0, TASK_SIZE, |_, slot, _| {
                let old = Pte::from_bits(slot.swap(0, Ordering::AcqRel));
                if old.is_valid() {
                    self.machine.frames().put(old.frame());
                } else if old.is_swap() {
                    slots.push(old.swap_slot());
                }
            });
        for slot in slots {
            self.free_swap_entry(&nobody, slot);
        }
        self.machine.retire(self.vma_index.generation());
    }
}

impl MmCore {
    /// The empty state of a new address space on `machine`, configured as `cfg` (whose
    /// frame pool, cache and clock are replaced by the machine's), registered with it.
    pub(crate) fn new_on(
        machine: &Arc<MachineMemory>,
        mut cfg: MmConfig,
    ) -> io::Result<Arc<MmCore>> {
        if cfg.mmap_base > TASK_SIZE || cfg.mmap_min_addr >= cfg.mmap_base {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "bad mmap range {:#x}..{:#x}",
                    cfg.mmap_min_addr, cfg.mmap_base
                ),
            ));
        }
        let shared = machine.config();
        cfg.frame_pool_bytes = shared.frame_pool_bytes;
        cfg.cache = shared.cache.clone();
        cfg.clock = shared.clock.clone();
        let core = Arc::new(MmCore {
            id: NEXT_SPACE_ID.fetch_add(1, Ordering::Relaxed),
            machine: machine.clone(),
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
            cfg,
        });
        machine.register(core.clone());
        Ok(core)
    }

    /// The machine memory the space is built on.
    pub(crate) fn machine(&self) -> &Arc<MachineMemory> {
        &self.machine
    }

    /// The spaces of this space's machine alive now, itself included, in creation
    /// order.
    pub(crate) fn machine_spaces(&self) -> Vec<Arc<MmCore>> {
        self.machine.spaces()
    }

    /// Asks the harts of every space of the machine to flush their TLBs lazily
    /// ([`Shootdown::flush_lazily`]): reclaim cleared accessed bits that any space's
    /// entries may hold.
    pub(crate) fn flush_machine_lazily(&self) {
        for s in self.machine_spaces() {
            s.shootdown().flush_lazily();
        }
    }

    /// A number that moves whenever the VMAs of any space of the machine change, a
    /// space is created or one goes: reclaim looks at pages it set aside as unevictable
    /// (mlocked) again then.
    pub(crate) fn machine_generation(&self) -> u64 {
        let live = self
            .machine_spaces()
            .iter()
            .map(|s| s.vma_index().generation())
            .fold(0, u64::wrapping_add);
        live.wrapping_add(self.machine.retired_generations())
    }

    /// The unique id harts of this space are tagged with.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Registers the stats of a new hart, guest thread `tid`.
    pub(crate) fn add_hart_stats(&self, tid: u32, stats: Arc<HartStats>) {
        self.hart_stats.lock().push((tid, stats));
    }

    /// The page cache of the machine's files.
    pub(crate) fn page_cache(&self) -> &PageCache {
        self.machine.page_cache()
    }

    /// The machine's swap for anonymous memory, when configured.
    pub(crate) fn swap(&self) -> Option<&Swap> {
        self.machine.swap()
    }

    /// A new shared anonymous memory object, whose pages may go to the machine's swap.
    pub(crate) fn new_shared_anon(&self) -> SharedAnon {
        self.machine.new_shared_anon()
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
        stats.total.extend(self.page_cache().io_counters());
        if let Some(swap) = self.swap() {
            stats.total.extend(swap.counters());
        }
        stats
    }

    /// Each daemon's stats.
    fn daemons(&self) -> impl Iterator<Item = (StatsOwner, &HartStats)> {
        Daemon::ALL
            .into_iter()
            .map(|d| (StatsOwner::Daemon(d), self.machine.daemon_stats(d)))
    }

    pub(crate) fn page_table(&self) -> &PageTable {
        &self.page_table
    }

    pub(crate) fn frames(&self) -> &Arc<FramePool> {
        self.machine.frames()
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
                Some(d) => self.machine.daemon_stats(d),
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
