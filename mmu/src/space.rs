//! [`AddressSpace`]: one guest process's memory, shared by all its harts.
//!
//! The mm system calls live in the `mman` module and the guest-memory copies in
//! `uaccess`; this module holds the state they share and the public entry
//! points.

use crate::current;
use crate::events::MmEvent;
use crate::frames::FramePool;
use crate::mmap_lock::MmWriteGuard;
use crate::pagecache::{CacheConfig, CachedFile, PageCache};
use crate::pagetable::{PageTable, TASK_SIZE};
use crate::rwsem::queue::SemSnapshot;
use crate::rwsem::{
    Acquirer, Killed, RwSemReadGuard, RwSemaphore, Task, DEFAULT_HANDOFF_NS, MMAP_LOCK_COUNTERS,
};
use crate::shmem::SharedAnon;
use crate::shootdown::{HartShared, Shootdown};
use crate::stats::{Daemon, StatsOwner};
use crate::swap::Swap;
use crate::vma::{Vma, VmaFlags, VmaTree};
use crate::vma_index::VmaIndex;
use crate::{
    filewrite, madvise, mlock, mman, reclaim, uaccess, writeback, Errno, FaultPolicy, HartMem,
    HartStats, MmStats, WritePos, WriteSource,
};
use devices::storage::{DeviceConfig, ErrorInjection, IoPriority};
use devices::{HostClock, SharedClock};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
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

/// The hart (if any) on whose behalf the calling thread acts.
pub(crate) struct Caller(Option<Arc<HartShared>>);

impl Caller {
    /// The caller's hart, for shootdowns that must not wait for their own initiator.
    pub fn hart(&self) -> Option<&HartShared> {
        self.0.as_deref()
    }

    /// Who the caller's storage requests are for: its thread id and I/O priority (0 and
    /// the default outside any hart).
    pub fn io(&self) -> (u32, IoPriority) {
        self.hart()
            .map_or((0, IoPriority::DEFAULT), |h| (h.tid, h.io_priority()))
    }
}

static NEXT_SPACE_ID: AtomicU64 = AtomicU64::new(1);

/// A guest address space: VMAs, page table, frames, `mmap_lock`, and the harts using it.
pub struct AddressSpace {
    id: u64,
    cfg: MmConfig,
    frames: Arc<FramePool>,
    page_cache: PageCache,
    /// Swap for anonymous memory, when configured.
    swap: Option<Arc<Swap>>,
    page_table: PageTable,
    mmap_lock: RwSemaphore<MmState>,
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

impl AddressSpace {
    /// Creates an empty address space.
    pub fn new(cfg: MmConfig) -> std::io::Result<Arc<Self>> {
        if cfg.mmap_base > TASK_SIZE || cfg.mmap_min_addr >= cfg.mmap_base {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "bad mmap range {:#x}..{:#x}",
                    cfg.mmap_min_addr, cfg.mmap_base
                ),
            ));
        }
        let handoff_ns = cfg.mmap_lock_handoff_ns;
        let frames = Arc::new(FramePool::new(cfg.frame_pool_bytes)?);
        let limited = cfg.cache.mem_limit.is_some();
        let space = Arc::new(AddressSpace {
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
                handoff_ns,
            ),
            vma_index: VmaIndex::default(),
            shootdown: Shootdown::new(cfg.clock.clone()),
            icache_epoch: AtomicU64::new(0),
            hart_stats: Mutex::new(Vec::new()),
            unattributed: HartStats::default(),
            daemon_stats: Default::default(),
            cfg,
        });
        if limited {
            reclaim::spawn_kswapd(&space)?;
        }
        writeback::spawn_flusher(&space)?;
        Ok(space)
    }

    /// Registers a hart (guest thread `tid`) and returns its private access handle. The hart
    /// takes part in TLB shootdowns from now until the handle is dropped.
    ///
    /// The hart starts outside guest code: shootdowns do not wait for it until it enters
    /// guest code ([`HartMem::enter_guest`], or implicitly at its first TLB miss).
    pub fn attach_hart(self: &Arc<Self>, tid: u32) -> HartMem {
        let stats = Arc::new(HartStats::default());
        self.hart_stats.lock().push((tid, stats.clone()));
        let shared = Arc::new(HartShared {
            tid,
            space_id: self.id,
            in_guest: AtomicBool::new(false),
            acked_gen: AtomicU64::new(0),
            owner: AtomicU64::new(0),
            signal: Arc::default(),
            stats,
            realtime: AtomicBool::new(false),
            io_priority: AtomicU16::new(IoPriority::DEFAULT.to_raw()),
        });
        let gen = self.shootdown.attach(shared.clone());
        shared.acked_gen.store(gen, Ordering::SeqCst);
        HartMem::new(self.clone(), shared, gen)
    }

    /// mmap(2) of anonymous memory (file mappings come with the page cache): returns the
    /// address. `flags` are [`crate::map`] bits, `prot` are [`crate::prot`] bits.
    ///
    /// Without `MAP_ANONYMOUS` the call fails with `EBADF`, as Linux's does for fd -1.
    pub fn mmap(&self, addr: u64, len: u64, prot: u32, flags: u32) -> Result<u64, Errno> {
        mman::mmap_backed(self, addr, len, prot, flags, None)
    }

    /// mmap(2) of `file` from byte `offset` (page aligned): a file-backed mapping whose
    /// pages come from the page cache. `flags` must not include `MAP_ANONYMOUS`.
    pub fn mmap_file(
        &self,
        addr: u64,
        len: u64,
        prot: u32,
        flags: u32,
        file: Arc<CachedFile>,
        offset: u64,
    ) -> Result<u64, Errno> {
        mman::mmap_backed(self, addr, len, prot, flags, Some((file, offset)))
    }

    /// read(2) of `file` through the page cache on behalf of the calling thread: see
    /// [`PageCache`]'s read. Counts `pagecache.hits` and `pagecache.misses`.
    pub fn read_cached(
        &self,
        file: &Arc<CachedFile>,
        offset: u64,
        buf: &mut [u8],
    ) -> std::io::Result<usize> {
        let caller = self.caller();
        let (tid, priority) = caller.io();
        let stats = self.stats_of(&caller);
        let n = self
            .page_cache
            .read(file, offset, buf, tid, priority, stats)?;
        reclaim::direct(self, &caller, stats);
        Ok(n)
    }

    /// write(2) of `len` bytes from `fill` to `file` at `pos` through the page cache on
    /// behalf of the calling thread: the pages are left dirty for write-back, and the
    /// writer is throttled if it dirtied too much. Returns the offset written at and the
    /// bytes written (see [`filewrite`]).
    pub fn write_cached(
        &self,
        file: &Arc<CachedFile>,
        pos: WritePos,
        len: usize,
        fill: WriteSource<'_>,
    ) -> std::io::Result<(u64, usize)> {
        filewrite::write(self, &self.caller(), file, pos, len, fill)
    }

    /// Writes back the dirty pages of `file` (fsync, before a file system call that
    /// reads the host file) on behalf of the calling thread, and waits for write-backs
    /// already in flight; their mappings are write-protected first, so later stores
    /// dirty them again.
    pub fn sync_file(&self, file: &Arc<CachedFile>) -> std::io::Result<()> {
        writeback::sync_file(self, &self.caller(), file)
    }

    /// Writes back every dirty page-cache page (sync, msync, munmap, exit), as
    /// [`AddressSpace::sync_file`] does.
    pub fn sync_files(&self) -> std::io::Result<()> {
        writeback::sync_all(self, &self.caller())
    }

    /// After `file` shrank: drops its cached pages past the new end and their mappings,
    /// so that a later access to them is SIGBUS, as after Linux's truncate.
    pub fn truncate_cached(&self, file: &Arc<CachedFile>) {
        reclaim::truncate(self, &self.caller(), file);
    }

    /// The page cache of this space's files.
    pub fn page_cache(&self) -> &PageCache {
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

    /// munmap(2).
    pub fn munmap(&self, addr: u64, len: u64) -> Result<(), Errno> {
        mman::munmap(self, addr, len)
    }

    /// mprotect(2).
    pub fn mprotect(&self, addr: u64, len: u64, prot: u32) -> Result<(), Errno> {
        mman::mprotect(self, addr, len, prot)
    }

    /// mremap(2): `flags` are MREMAP_MAYMOVE (1) and MREMAP_FIXED (2).
    ///
    /// MREMAP_DONTUNMAP (4) is supported too: the pages move and the old range stays
    /// mapped, reading back as zeroes.
    pub fn mremap(
        &self,
        old_addr: u64,
        old_len: u64,
        new_len: u64,
        flags: u32,
        new_addr: u64,
    ) -> Result<u64, Errno> {
        mman::mremap(self, old_addr, old_len, new_len, flags, new_addr)
    }

    /// madvise(2), under the lock Linux takes for `advice` ([`madvise::advice_lock`]).
    pub fn madvise(&self, addr: u64, len: u64, advice: u32) -> Result<(), Errno> {
        madvise::madvise(self, addr, len, advice)
    }

    /// prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME): names (or, with `None`, unnames) the
    /// anonymous memory in `[addr, addr + len)`. EINVAL for a name longer than
    /// [`madvise::ANON_NAME_MAX`] bytes or with a character other than printable ASCII
    /// (`\`, `` ` ``, `$`, `[` and `]` excluded); ENOMEM if part of the range is unmapped.
    pub fn set_anon_name(&self, addr: u64, len: u64, name: Option<&[u8]>) -> Result<(), Errno> {
        madvise::set_anon_name(self, addr, len, name)
    }

    /// mlock(2) (`how` 0) and mlock2(2) (`how` [`crate::mlock_flags::ONFAULT`]).
    pub fn mlock(&self, addr: u64, len: u64, how: u32) -> Result<(), Errno> {
        mlock::mlock(self, addr, len, how)
    }

    /// munlock(2).
    pub fn munlock(&self, addr: u64, len: u64) -> Result<(), Errno> {
        mlock::munlock(self, addr, len)
    }

    /// mlockall(2): `how` is made of [`crate::mlock_flags`]' MCL_* bits.
    pub fn mlockall(&self, how: u32) -> Result<(), Errno> {
        mlock::mlockall(self, how)
    }

    /// munlockall(2).
    pub fn munlockall(&self) -> Result<(), Errno> {
        mlock::munlockall(self)
    }

    /// Sets where the heap starts (end of the loaded image, page aligned).
    pub fn set_brk_start(&self, start: u64) {
        mman::set_brk_start(self, start)
    }

    /// brk(2): moves the program break if it can and returns the (new or unchanged) break.
    pub fn brk(&self, new_brk: u64) -> u64 {
        mman::brk(self, new_brk)
    }

    /// Copies guest memory into `buf`, faulting pages in as a guest read would; EFAULT if
    /// any byte is unmapped or unreadable.
    pub fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        uaccess::read_bytes(self, addr, buf)
    }

    /// Copies `data` into guest memory as a guest write would; EFAULT if any byte is
    /// unmapped or not writable.
    pub fn write_bytes(&self, addr: u64, data: &[u8]) -> Result<(), Errno> {
        uaccess::write_bytes(self, addr, data)
    }

    /// Reads a NUL-terminated string (without the NUL) of at most `max` bytes.
    ///
    /// If no NUL occurs within `max` bytes, the first `max` bytes are returned.
    pub fn read_cstring(&self, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
        uaccess::read_cstring(self, addr, max)
    }

    /// Atomically loads the aligned u32 at `addr` (futex word); EFAULT/EINVAL on failure.
    pub fn load_u32_atomic(&self, addr: u64) -> Result<u32, Errno> {
        uaccess::load_u32_atomic(self, addr)
    }

    /// Atomically replaces the aligned u32 at `addr` with `f(old)` and returns `old`
    /// (FUTEX_WAKE_OP); requires write permission.
    pub fn update_u32_atomic(&self, addr: u64, f: &dyn Fn(u32) -> u32) -> Result<u32, Errno> {
        uaccess::update_u32_atomic(self, addr, f)
    }

    /// Makes every hart drop its decoded-instruction cache (riscv_flush_icache).
    pub fn flush_icache_all(&self) {
        self.bump_icache_epoch();
    }

    /// A snapshot of the counters, per hart and in total.
    pub fn stats(&self) -> MmStats {
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

    /// Runs `copy` the way fork's `dup_mmap` runs its copying: with `mmap_lock` held for
    /// write and every VMA write-locked, so no fault can run under a per-VMA lock
    /// meanwhile. `copy` gets the VMAs in address order.
    pub fn dup_mmap<R>(&self, copy: impl FnOnce(&[Vma]) -> R) -> R {
        let caller = self.caller();
        let mm = self.lock_write(&caller);
        mm.write_lock_all();
        let vmas: Vec<Vma> = mm.vmas.iter().cloned().collect();
        copy(&vmas)
    }

    /// The state of `mmap_lock`: holders, wait queue, handoff bit (for diagnostics and
    /// tests).
    pub fn mmap_lock_state(&self) -> SemSnapshot {
        self.mmap_lock.snapshot()
    }

    /// Each daemon's stats.
    fn daemons(&self) -> impl Iterator<Item = (StatsOwner, &HartStats)> {
        Daemon::ALL
            .into_iter()
            .zip(&self.daemon_stats)
            .map(|(d, s)| (StatsOwner::Daemon(d), s))
    }

    /// Takes the event records of every hart ever attached, of each daemon and of work
    /// done on nobody's behalf, each one's oldest first.
    pub fn drain_events(&self) -> Vec<(StatsOwner, MmEvent)> {
        let harts = self.hart_stats.lock();
        harts
            .iter()
            .map(|(tid, s)| (StatsOwner::Hart(*tid), &**s))
            .chain(self.daemons())
            .chain([(StatsOwner::Nobody, &self.unattributed)])
            .flat_map(|(tid, s)| s.drain_events().into_iter().map(move |e| (tid, e)))
            .collect()
    }

    /// A copy of the VMAs, in address order.
    pub fn vmas(&self) -> Vec<Vma> {
        let caller = self.caller();
        let mm = self.lock_read(&caller);
        mm.vmas.iter().cloned().collect()
    }

    /// Frames currently allocated to this space.
    pub fn frames_in_use(&self) -> u32 {
        self.frames.in_use()
    }

    /// The run's clock, as the space was configured with it.
    pub fn clock(&self) -> &SharedClock {
        &self.cfg.clock
    }

    /// The configuration the space was created with.
    pub fn config(&self) -> &MmConfig {
        &self.cfg
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
    pub(crate) fn bump_icache_epoch(&self) {
        self.icache_epoch.fetch_add(1, Ordering::Release);
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

    /// The caller as a lock acquirer: its stats, thread id, real-time flag and signal.
    pub(crate) fn acquirer<'a>(&'a self, caller: &'a Caller) -> Acquirer<'a> {
        match caller.hart() {
            Some(h) => Acquirer {
                stats: &h.stats,
                task: Task {
                    tid: h.tid,
                    realtime: h.realtime.load(Ordering::Relaxed),
                },
                signal: Some(&h.signal),
            },
            None => Acquirer::anonymous(self.stats_of(caller)),
        }
    }

    /// Takes `mmap_lock` for read on the caller's behalf.
    pub(crate) fn lock_read<'a>(&'a self, caller: &'a Caller) -> RwSemReadGuard<'a, MmState> {
        let who = self.acquirer(caller);
        match self.mmap_lock.try_read(who) {
            Some(g) => g,
            None => self.blocking(caller, || self.mmap_lock.read(who)),
        }
    }

    /// Takes `mmap_lock` for read on the caller's behalf, giving up if the caller's hart
    /// is killed while it waits (Linux's `mmap_read_lock_killable` after a trylock).
    pub(crate) fn lock_read_killable<'a>(
        &'a self,
        caller: &'a Caller,
    ) -> Result<RwSemReadGuard<'a, MmState>, Killed> {
        let who = self.acquirer(caller);
        match self.mmap_lock.try_read(who) {
            Some(g) => Ok(g),
            None => self.blocking(caller, || self.mmap_lock.read_killable(who)),
        }
    }

    /// Takes `mmap_lock` for write on the caller's behalf, opening a write session.
    pub(crate) fn lock_write<'a>(&'a self, caller: &'a Caller) -> MmWriteGuard<'a> {
        let who = self.acquirer(caller);
        let g = match self.mmap_lock.try_write(who) {
            Some(g) => g,
            None => self.blocking(caller, || self.mmap_lock.write(who)),
        };
        MmWriteGuard::new(g, self, caller)
    }

    /// Takes `mmap_lock` for write on the caller's behalf, as Linux's
    /// `mmap_write_lock_killable` does: EINTR if the caller's hart is killed meanwhile.
    pub(crate) fn lock_write_killable<'a>(
        &'a self,
        caller: &'a Caller,
    ) -> Result<MmWriteGuard<'a>, Errno> {
        let who = self.acquirer(caller);
        let g = match self.mmap_lock.try_write(who) {
            Some(g) => g,
            None => self
                .blocking(caller, || self.mmap_lock.write_killable(who))
                .map_err(|Killed| Errno::EINTR)?,
        };
        Ok(MmWriteGuard::new(g, self, caller))
    }

    pub(crate) fn vma_index(&self) -> &VmaIndex {
        &self.vma_index
    }

    /// Runs `wait` with the caller's hart out of guest state if it was in it: the holder
    /// of the lock being waited for may be waiting for this hart's acknowledgement. The
    /// hart's TLB cannot be flushed from here, so if a shootdown happened meanwhile its
    /// request stays raised and the hart flushes at its next block boundary.
    pub(crate) fn blocking<R>(&self, caller: &Caller, wait: impl FnOnce() -> R) -> R {
        let hart = caller.hart().filter(|h| h.in_guest.load(Ordering::Relaxed));
        if let Some(h) = hart {
            h.in_guest.store(false, Ordering::SeqCst);
            self.shootdown.notify_waiters();
        }
        let r = wait();
        if let Some(h) = hart {
            h.in_guest.store(true, Ordering::SeqCst);
            if h.acked_gen.load(Ordering::SeqCst) != self.shootdown.generation() {
                h.signal.raise_shootdown();
            }
        }
        r
    }
}

/// The swap device: the page cache's device model, minus injected errors (swapped-out
/// pages must come back); the default device model when the cache has none.
fn swap_device(cache: &CacheConfig) -> DeviceConfig {
    let mut cfg = cache.device.clone().unwrap_or_default();
    cfg.errors = ErrorInjection::never();
    cfg
}
