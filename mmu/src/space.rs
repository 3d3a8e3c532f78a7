//! [`AddressSpace`]: one guest process's memory, shared by all its harts — the façade
//! the emulator calls.
//!
//! Its methods are the mm system calls (the `mman`, `madvise` and `mlock` modules), the
//! page-cache reads and writes, and the guest-memory copies (`uaccess`); the state they
//! share is the [`MmCore`] below.

use crate::errno::Errno;
use crate::filewrite::{self, WritePos, WriteSource};
use crate::machine::MachineMemory;
use crate::mm_core::{MmConfig, MmCore};
use crate::pagecache::{CachedFile, PageCache};
use crate::rwsem::queue::SemSnapshot;
use crate::stats::MmStats;
use crate::vma::Vma;
use crate::{fork, madvise, mlock, mman, reclaim, uaccess, writeback};
use devices::storage::{LatencyModel, StorageDevice};
use devices::SharedClock;
use std::sync::Arc;

/// A guest address space: VMAs, page table, frames, `mmap_lock`, and the harts using it.
pub struct AddressSpace {
    core: Arc<MmCore>,
}

impl std::fmt::Debug for AddressSpace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddressSpace")
            .field("id", &self.core.id())
            .finish_non_exhaustive()
    }
}

impl MachineMemory {
    /// The memory of a new machine configured as `cfg` (its frame pool, page cache,
    /// swap, memory limit and clock), with its background reclaimer (under a memory
    /// limit) and its flusher, which end once the machine is gone.
    pub fn start(cfg: &MmConfig) -> std::io::Result<Arc<MachineMemory>> {
        let machine = Arc::new(MachineMemory::new(cfg)?);
        if machine.is_limited() {
            reclaim::spawn_kswapd(&machine)?;
        }
        writeback::spawn_flusher(&machine)?;
        Ok(machine)
    }
}

impl AddressSpace {
    /// Creates an empty address space on a machine memory of its own
    /// ([`MachineMemory::start`] of `cfg`).
    pub fn new(cfg: MmConfig) -> std::io::Result<Arc<Self>> {
        let machine = MachineMemory::start(&cfg)?;
        AddressSpace::new_on(&machine, cfg)
    }

    /// Creates an empty address space on `machine`, sharing its frames, page cache,
    /// swap and memory limit with the machine's other spaces (execve's new image).
    /// `cfg` gives the space's own settings (mmap range, fault policy, `mmap_lock`
    /// handoff, fork lock); its frame pool, cache and clock are the machine's, whatever
    /// `cfg` says.
    pub fn new_on(machine: &Arc<MachineMemory>, cfg: MmConfig) -> std::io::Result<Arc<Self>> {
        let core = MmCore::new_on(machine, cfg)?;
        Ok(Arc::new(AddressSpace { core }))
    }

    /// The machine memory this space is built on, to build others on
    /// ([`AddressSpace::new_on`]).
    pub fn machine(&self) -> &Arc<MachineMemory> {
        self.core.machine()
    }

    /// The state the layers below share.
    pub(crate) fn core(&self) -> &Arc<MmCore> {
        &self.core
    }

    /// mmap(2) of anonymous memory (file mappings come with the page cache): returns the
    /// address. `flags` are [`crate::types::map`] bits, `prot` are [`crate::types::prot`] bits.
    ///
    /// Without `MAP_ANONYMOUS` the call fails with `EBADF`, as Linux's does for fd -1.
    pub fn mmap(&self, addr: u64, len: u64, prot: u32, flags: u32) -> Result<u64, Errno> {
        mman::mmap_backed(&self.core, addr, len, prot, flags, None)
    }

    /// mmap(2) of `source`, a file and a byte offset in it (page aligned): a file-backed
    /// mapping whose pages come from the page cache. `flags` must not include
    /// `MAP_ANONYMOUS`.
    pub fn mmap_file(
        &self,
        addr: u64,
        len: u64,
        prot: u32,
        flags: u32,
        source: (Arc<CachedFile>, u64),
    ) -> Result<u64, Errno> {
        mman::mmap_backed(&self.core, addr, len, prot, flags, Some(source))
    }

    /// read(2) of `file` through the page cache on behalf of the calling thread: see
    /// [`PageCache`]'s read. Counts `pagecache.hits` and `pagecache.misses`.
    pub fn read_cached(
        &self,
        file: &Arc<CachedFile>,
        offset: u64,
        buf: &mut [u8],
    ) -> std::io::Result<usize> {
        self.revalidate(file);
        let caller = self.core.caller();
        let (tid, priority) = caller.io();
        let stats = self.core.stats_of(&caller);
        let n = self
            .core
            .page_cache()
            .read(file, offset, buf, (tid, priority), stats)?;
        reclaim::direct(self.core.cx(&caller));
        Ok(n)
    }

    /// write(2) of `len` bytes from `fill` to `file` at `pos` through the page cache on
    /// behalf of the calling thread: the pages are left dirty for write-back, and the
    /// writer is throttled if it dirtied too much. Returns the offset written at and the
    /// bytes written (see `filewrite`).
    pub fn write_cached(
        &self,
        file: &Arc<CachedFile>,
        pos: WritePos,
        len: usize,
        fill: WriteSource<'_>,
    ) -> std::io::Result<(u64, usize)> {
        self.revalidate(file);
        filewrite::write(&self.core, &self.core.caller(), file, pos, len, fill)
    }

    /// Before a read(2) or write(2) of `file`: when another host process changed the
    /// file since faultline last looked, its cached pages (which mappings share) are
    /// reloaded from it and those past a new end dropped and unmapped (a later access
    /// is SIGBUS), as Linux's one page cache shows every process the same bytes.
    pub fn revalidate(&self, file: &Arc<CachedFile>) {
        if self.core.page_cache().reload_changed(file) {
            reclaim::truncate(&self.core, &self.core.caller(), file);
        }
    }

    /// Writes back the dirty pages of `file` (fsync, before a file system call that
    /// reads the host file) on behalf of the calling thread, and waits for write-backs
    /// already in flight; their mappings are write-protected first, so later stores
    /// dirty them again.
    pub fn sync_file(&self, file: &Arc<CachedFile>) -> std::io::Result<()> {
        writeback::sync_file(&self.core, &self.core.caller(), file)
    }

    /// Writes back every dirty page-cache page (sync, syncfs, exit), as
    /// [`AddressSpace::sync_file`] does.
    pub fn sync_files(&self) -> std::io::Result<()> {
        writeback::sync_all(&self.core, &self.core.caller())
    }

    /// After `file` shrank: drops its cached pages past the new end and their mappings,
    /// so that a later access to them is SIGBUS, as after Linux's truncate.
    pub fn truncate_cached(&self, file: &Arc<CachedFile>) {
        reclaim::truncate(&self.core, &self.core.caller(), file);
    }

    /// The page cache of the machine's files.
    pub fn page_cache(&self) -> &PageCache {
        self.core.page_cache()
    }

    /// msync(2) of `[addr, addr + len)`, and the write-back munmap(2) makes first: writes
    /// back the dirty pages its shared file mappings map, and only those.
    pub fn sync_range(&self, addr: u64, len: u64) -> Result<(), Errno> {
        mman::sync_range(&self.core, addr, len)
    }

    /// munmap(2).
    pub fn munmap(&self, addr: u64, len: u64) -> Result<(), Errno> {
        mman::munmap(&self.core, addr, len)
    }

    /// mprotect(2).
    pub fn mprotect(&self, addr: u64, len: u64, prot: u32) -> Result<(), Errno> {
        mman::mprotect(&self.core, addr, len, prot)
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
        mman::mremap(&self.core, old_addr, old_len, new_len, flags, new_addr)
    }

    /// madvise(2), under the lock Linux takes for `advice` ([`madvise::advice_lock`]).
    pub fn madvise(&self, addr: u64, len: u64, advice: u32) -> Result<(), Errno> {
        madvise::madvise(&self.core, addr, len, advice)
    }

    /// prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME): names (or, with `None`, unnames) the
    /// anonymous memory in `[addr, addr + len)`. EINVAL for a name longer than
    /// [`madvise::ANON_NAME_MAX`] bytes or with a character other than printable ASCII
    /// (`\`, `` ` ``, `$`, `[` and `]` excluded); ENOMEM if part of the range is unmapped.
    pub fn set_anon_name(&self, addr: u64, len: u64, name: Option<&[u8]>) -> Result<(), Errno> {
        madvise::set_anon_name(&self.core, addr, len, name)
    }

    /// mlock(2) (`how` 0) and mlock2(2) (`how` [`crate::types::mlock_flags::ONFAULT`]).
    pub fn mlock(&self, addr: u64, len: u64, how: u32) -> Result<(), Errno> {
        mlock::mlock(&self.core, addr, len, how)
    }

    /// munlock(2).
    pub fn munlock(&self, addr: u64, len: u64) -> Result<(), Errno> {
        mlock::munlock(&self.core, addr, len)
    }

    /// mlockall(2): `how` is made of [`crate::types::mlock_flags`]' MCL_* bits.
    pub fn mlockall(&self, how: u32) -> Result<(), Errno> {
        mlock::mlockall(&self.core, how)
    }

    /// munlockall(2).
    pub fn munlockall(&self) -> Result<(), Errno> {
        mlock::munlockall(&self.core)
    }

    /// Sets where the heap starts (end of the loaded image, page aligned).
    pub fn set_brk_start(&self, start: u64) {
        mman::set_brk_start(&self.core, start)
    }

    /// brk(2): moves the program break if it can and returns the (new or unchanged) break.
    pub fn brk(&self, new_brk: u64) -> u64 {
        mman::brk(&self.core, new_brk)
    }

    /// Copies guest memory into `buf`, faulting pages in as a guest read would; EFAULT if
    /// any byte is unmapped or unreadable.
    pub fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        uaccess::read_bytes(&self.core, addr, buf)
    }

    /// Copies `data` into guest memory as a guest write would; EFAULT if any byte is
    /// unmapped or not writable.
    pub fn write_bytes(&self, addr: u64, data: &[u8]) -> Result<(), Errno> {
        uaccess::write_bytes(&self.core, addr, data)
    }

    /// Reads a NUL-terminated string (without the NUL) of at most `max` bytes.
    ///
    /// If no NUL occurs within `max` bytes, the first `max` bytes are returned.
    pub fn read_cstring(&self, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
        uaccess::read_cstring(&self.core, addr, max)
    }

    /// Atomically loads the aligned u32 at `addr` (futex word); EFAULT/EINVAL on failure.
    pub fn load_u32_atomic(&self, addr: u64) -> Result<u32, Errno> {
        uaccess::load_u32_atomic(&self.core, addr)
    }

    /// Atomically replaces the aligned u32 at `addr` with `f(old)` and returns `old`
    /// (FUTEX_WAKE_OP); requires write permission.
    pub fn update_u32_atomic(&self, addr: u64, f: &dyn Fn(u32) -> u32) -> Result<u32, Errno> {
        uaccess::update_u32_atomic(&self.core, addr, f)
    }

    /// Makes every hart drop its decoded-instruction cache (riscv_flush_icache).
    pub fn flush_icache_all(&self) {
        self.core.bump_icache_epoch();
    }

    /// A snapshot of the counters, per hart and in total.
    pub fn stats(&self) -> MmStats {
        self.core.stats()
    }

    /// fork(2)'s memory side (Linux's `dup_mmap`): a new address space on the same
    /// machine with a copy of this one's VMAs (less `MADV_DONTFORK` ones and `mlock`),
    /// its private pages shared copy-on-write, its shared mappings shared. Takes
    /// `mmap_lock` for write and write-locks the VMAs the space's `fork_lock` names
    /// (`MmConfig::fork_lock`) while it copies. EINTR if the caller's hart is killed while
    /// it waits for the lock; ENOMEM if the new space cannot be made.
    pub fn fork(&self) -> Result<Arc<AddressSpace>, Errno> {
        let core = fork::fork(&self.core)?;
        Ok(Arc::new(AddressSpace { core }))
    }

    /// The state of `mmap_lock`: holders, wait queue, handoff bit (for diagnostics and
    /// tests).
    pub fn mmap_lock_state(&self) -> SemSnapshot {
        self.core.mmap_lock.snapshot()
    }

    /// A copy of the VMAs, in address order.
    pub fn vmas(&self) -> Vec<Vma> {
        let caller = self.core.caller();
        let mm = self.core.lock_read(&caller);
        mm.vmas.iter().cloned().collect()
    }

    /// Frames currently allocated on this space's machine (every space built on it
    /// counts).
    pub fn frames_in_use(&self) -> u32 {
        self.core.frames().in_use()
    }

    /// Drops every clean, unmapped, unlocked page-cache page, as `echo 1 >
    /// /proc/sys/vm/drop_caches` does: dirty pages are not written back for it and mapped
    /// ones stay. Returns the pages dropped.
    pub fn drop_clean_caches(&self) -> u64 {
        reclaim::drop_clean(&self.core)
    }

    /// Moves the memory limit (`--mem-limit`) to `bytes`; reclaim follows it down in the
    /// background. `false`, changing nothing, for a space created without a limit.
    pub fn set_mem_limit(&self, bytes: u64) -> bool {
        self.core.page_cache().set_mem_limit(bytes)
    }

    /// The storage devices behind the space: the page cache's, then swap's.
    fn devices(&self) -> impl Iterator<Item = &StorageDevice> {
        let cache = self.core.page_cache().device();
        let swap = self.core.swap().map(|s| s.file.device());
        cache.into_iter().chain(swap)
    }

    /// Stops every storage device of the space from starting requests for `for_ns` from
    /// now: requests queue meanwhile, those in service finish on time.
    pub fn stall_storage(&self, for_ns: u64) {
        for device in self.devices() {
            device.stall_for(for_ns);
        }
    }

    /// Serves the requests every storage device of the space starts from now on with
    /// `latency` (a run-time change of `--storage-latency`).
    pub fn set_storage_latency(&self, latency: &LatencyModel) {
        for device in self.devices() {
            device.set_latency(latency.clone());
        }
    }

    /// The run's clock, as the space was configured with it.
    pub fn clock(&self) -> &SharedClock {
        self.core.clock()
    }

    /// The configuration the space was created with.
    pub fn config(&self) -> &MmConfig {
        self.core.config()
    }
}
