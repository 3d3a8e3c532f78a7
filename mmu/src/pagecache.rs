//! The page cache: each file's pages (`Folio`s), keyed by the host file's
//! `(st_dev, st_ino)`, filled through the simulated storage device.
//!
//! The device decides *when* a read or a write-back completes (its latency, queueing,
//! scheduler and failures); the bytes themselves come from and go to the host file
//! ([`FileData`]), so whatever the guest writes reads back identical. A miss locks new
//! folios for the whole read-around window, submits one device request for them and
//! returns at once: the completion fills the frames and unlocks the folios, so a fault
//! can choose to wait for it with or without its lock.
//!
//! write(2) copies into cached pages and leaves them dirty (`crate::filewrite`); they
//! reach the file through the device when synced, reclaimed or found old or too many by
//! the flusher (`crate::writeback`).

use crate::dirty::DirtyAccount;
use crate::file_readahead::{self, AccessHint};
use crate::folio::Folio;
use crate::frames::{FrameId, FramePool};
use crate::lru::Lru;
use crate::stats::{Counter, HartStats};
use crate::types::PAGE_SIZE;
use devices::cast::{f64_to_u64, u64_to_usize};
use devices::storage::{BackingStore, DeviceConfig, IoKind, IoOp, IoPriority, StorageDevice};
use devices::{Parker, SharedClock};
use parking_lot::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

/// A file's identity on the host: `(st_dev, st_ino)`.
pub type FileKey = (u64, u64);

/// The bytes of a host file, as the page cache reads and writes them.
pub trait FileData: Send + Sync {
    /// Fills `buf` from `offset`; returns how many bytes the file had there (short at its
    /// end).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
    /// Writes all of `data` at `offset`; a write past the end grows the file (and the
    /// size [`FileData::size`] says) to its end.
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()>;
    /// The file's current size in bytes.
    fn size(&self) -> io::Result<u64>;
    /// Makes the file `size` bytes long.
    fn set_size(&self, size: u64) -> io::Result<()>;
    /// Whether another host process changed the file (its size, modification or change
    /// time moved) since the last call or the cache's own last change of it.
    fn changed_elsewhere(&self) -> bool {
        false
    }
    /// Whether both [`FileData::read_at`] and [`FileData::write_at`] work, as caching a
    /// write needs (a partial page is read first).
    fn read_write(&self) -> bool {
        true
    }
}

/// One file's cached pages.
pub struct CachedFile {
    key: FileKey,
    /// When the run first cached it (0, 1, 2...): the order the cache lists its files
    /// in, which repeats from run to run where host inode numbers need not.
    order: u64,
    data: Arc<dyn FileData>,
    frames: Arc<FramePool>,
    pages: Mutex<BTreeMap<u64, Arc<Folio>>>,
    /// The cache's count of pages not yet in their files.
    dirty: Arc<DirtyAccount>,
    /// Held across a write(2) (Linux's inode lock): writers of one file, appenders
    /// above all, and their growing of the file go one at a time.
    inode: Mutex<()>,
    /// Held shared by a write-back as it puts bytes in the host file, exclusively by a
    /// call that may shrink the host file.
    resize: RwLock<()>,
}

impl std::fmt::Debug for CachedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedFile")
            .field("key", &self.key)
            .field("pages", &self.pages.lock().len())
            .finish()
    }
}

impl CachedFile {
    /// The host file's identity, `(st_dev, st_ino)`.
    pub fn key(&self) -> FileKey {
        self.key
    }

    /// The file's size in pages (a partial last page counts).
    pub fn size_pages(&self) -> io::Result<u64> {
        Ok(self.data.size()?.div_ceil(PAGE_SIZE))
    }

    /// Whether writes to the file may be cached (its bytes can be both read and
    /// written).
    pub fn caches_writes(&self) -> bool {
        self.data.read_write()
    }

    /// The bytes behind the cache.
    pub(crate) fn data(&self) -> &dyn FileData {
        &*self.data
    }

    /// Takes the file's write lock (see `inode`).
    pub(crate) fn lock_inode(&self) -> MutexGuard<'_, ()> {
        self.inode.lock()
    }

    /// Held around a call that may shrink the host file (ftruncate, fallocate): a
    /// write-back in flight never writes past the end the call leaves.
    pub fn lock_resize(&self) -> RwLockWriteGuard<'_, ()> {
        self.resize.write()
    }

    /// Held by a write-back while it writes to the host file.
    pub(crate) fn resize_shared(&self) -> RwLockReadGuard<'_, ()> {
        self.resize.read()
    }

    /// Caches `folio` (locked, made by the caller) as page `pgoff` unless a page is
    /// cached there already; returns whether it was. The caller puts it on the reclaim
    /// list.
    pub(crate) fn insert(&self, pgoff: u64, folio: &Arc<Folio>) -> bool {
        let mut pages = self.pages.lock();
        if pages.contains_key(&pgoff) {
            return false;
        }
        pages.insert(pgoff, folio.clone());
        true
    }

    /// The cached folios from page `first` on.
    pub(crate) fn pages_from(&self, first: u64) -> Vec<(u64, Arc<Folio>)> {
        self.pages
            .lock()
            .range(first..)
            .map(|(&p, f)| (p, f.clone()))
            .collect()
    }

    /// The cached folio at page `pgoff`, if any.
    pub fn lookup(&self, pgoff: u64) -> Option<Arc<Folio>> {
        self.pages.lock().get(&pgoff).cloned()
    }

    /// Forgets the folio at `pgoff` if it is still `folio` (a failed read, so that the
    /// next access tries again; a page truncated away, whose changes go with it).
    pub fn forget(&self, pgoff: u64, folio: &Arc<Folio>) {
        let mut pages = self.pages.lock();
        if pages.get(&pgoff).is_some_and(|f| Arc::ptr_eq(f, folio)) {
            pages.remove(&pgoff);
            drop(pages);
            if folio.cancel_dirty() {
                self.dirty.cleaned(1);
            }
            self.frames.put(folio.frame());
        }
    }

    /// Copies the bytes of page `pgoff` from the host file into `frame`, zero past its end.
    fn fill(&self, pgoff: u64, frame: FrameId) -> io::Result<()> {
        let mut page = [0u8; u64_to_usize(PAGE_SIZE)];
        self.data.read_at(pgoff * PAGE_SIZE, &mut page)?;
        // SAFETY: the frame belongs to a folio locked by the caller: nobody maps it yet
        // or, for a refresh, stores through a mapping race the same way a write(2)
        // racing a mapped store does on Linux.
        unsafe {
            std::ptr::copy_nonoverlapping(page.as_ptr(), self.frames.host_ptr(frame), page.len())
        };
        Ok(())
    }
}

impl Drop for CachedFile {
    fn drop(&mut self) {
        for f in self.pages.get_mut().values() {
            self.frames.put(f.frame());
        }
    }
}

/// What a page-cache look-up found.
#[derive(Debug)]
pub enum Lookup {
    /// The page was cached (it may still be locked, being read or written).
    Cached(Arc<Folio>),
    /// It was not: this call locked it and started its read (with read-around).
    Reading(Arc<Folio>),
    /// The page lies past the end of the file.
    BeyondEof,
}

/// How page-cache I/O is timed and sized.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheConfig {
    /// The storage device; `None` completes every request at once.
    pub device: Option<DeviceConfig>,
    /// Read-around window in bytes (`--readahead`); 0 reads only the faulting page.
    pub readahead_bytes: u64,
    /// Fault-around block in bytes (`--fault-around`, Linux's `fault_around_bytes`): a
    /// file fault that hits also maps the cached neighbours in its block. 0 or a page
    /// maps only the faulting page; see [`check_fault_around`].
    pub fault_around_bytes: u64,
    /// Bound on the frames the address space may have resident (`--mem-limit`), in
    /// bytes; page-cache pages are reclaimed to stay under it.
    pub mem_limit: Option<u64>,
    /// Size of the swap area in bytes (`--swap`); without one anonymous memory is never
    /// reclaimed.
    pub swap: Option<u64>,
    /// How often the flusher wakes to write back old dirty pages, in ns
    /// (`--dirty-writeback`, Linux's `dirty_writeback_centisecs`); 0: only when there
    /// are too many.
    pub dirty_writeback_ns: u64,
    /// How long a page may stay dirty before the flusher writes it back, in ns
    /// (`--dirty-expire`, Linux's `dirty_expire_centisecs`).
    pub dirty_expire_ns: u64,
}

impl Default for CacheConfig {
    /// No device (I/O completes at once) and Linux's default read-ahead.
    fn default() -> Self {
        CacheConfig {
            device: None,
            readahead_bytes: DEFAULT_READAHEAD,
            fault_around_bytes: DEFAULT_FAULT_AROUND,
            mem_limit: None,
            swap: None,
            dirty_writeback_ns: DEFAULT_DIRTY_WRITEBACK_NS,
            dirty_expire_ns: DEFAULT_DIRTY_EXPIRE_NS,
        }
    }
}

/// Read-around window when none is configured: Linux's default `read_ahead_kb`.
pub const DEFAULT_READAHEAD: u64 = 128 << 10;

/// Fault-around block when none is configured: Linux's default `fault_around_bytes`.
pub const DEFAULT_FAULT_AROUND: u64 = 64 << 10;

/// Linux's bound on `fault_around_bytes`: one page table's worth of pages.
const MAX_FAULT_AROUND: u64 = 512 * PAGE_SIZE;

/// Checks a fault-around block size: 0, or a power of two multiple of the page size up
/// to 2 MiB (Linux's bounds); returns it, or one line saying what it must be.
pub fn check_fault_around(bytes: u64) -> Result<u64, String> {
    match bytes {
        0 => Ok(0),
        b if b.is_power_of_two() && (PAGE_SIZE..=MAX_FAULT_AROUND).contains(&b) => Ok(b),
        b => Err(format!(
            "fault-around size {b} bytes must be 0 or a power of two from 4KiB (the page size) to 2MiB"
        )),
    }
}

/// The largest read-around window: Linux's are a few hundred KiB; one of 64 MiB already
/// reads more than most memory limits hold.
const MAX_READAHEAD: u64 = 64 << 20;

/// Checks a read-around window: at most 64 MiB; returns it, or one line naming the limit.
pub fn check_readahead(bytes: u64) -> Result<u64, String> {
    if bytes > MAX_READAHEAD {
        return Err(format!(
            "read-around window {bytes} bytes is beyond the maximum of 64MiB"
        ));
    }
    Ok(bytes)
}

/// The smallest memory limit: 16 pages, room for what one instruction and the fault path
/// under it hold at once. Below it reclaim and faults take the same pages from each other
/// for ever.
const MIN_MEM_LIMIT: u64 = 16 * PAGE_SIZE;

/// Checks a memory limit: at least 64 KiB; returns it, or one line naming the limit.
pub fn check_mem_limit(bytes: u64) -> Result<u64, String> {
    if bytes < MIN_MEM_LIMIT {
        return Err(format!(
            "memory limit {bytes} bytes is below 64KiB, the least a run can make progress in"
        ));
    }
    Ok(bytes)
}

/// The flusher's period when none is configured: Linux's 5 s.
pub const DEFAULT_DIRTY_WRITEBACK_NS: u64 = 5_000_000_000;

/// How old a dirty page gets before the flusher writes it back, by default: Linux's 30 s.
pub const DEFAULT_DIRTY_EXPIRE_NS: u64 = 30_000_000_000;

/// The page cache of one address space.
pub struct PageCache {
    frames: Arc<FramePool>,
    device: Option<StorageDevice>,
    readahead_pages: u64,
    files: Mutex<HashMap<FileKey, Arc<CachedFile>>>,
    /// The next file's [`CachedFile::order`].
    next_order: AtomicU64,
    /// Cached pages on their active and inactive lists.
    lru: Mutex<Lru<LruSlot>>,
    /// `mem_limit` in frames; whether there is one is fixed when the cache is made, its
    /// value may change at run time ([`PageCache::set_mem_limit`]).
    limit_frames: Option<AtomicU64>,
    /// Pages not yet in their files, and the limits on them.
    dirty: Arc<DirtyAccount>,
    /// The flusher's period and expiry, in ns.
    writeback_period_ns: u64,
    expire_ns: u64,
    /// Unparked when resident memory rises above the low watermark.
    kswapd_wake: Arc<Parker>,
    /// The run's clock: dirtiness is stamped and folio waits sleep on it.
    clock: SharedClock,
}

/// Levels of resident memory under a `--mem-limit`, as Linux's zone watermarks: above
/// `Low` the background reclaimer wakes and frees down to `High`; at `Min` (the limit
/// itself) a thread that needs pages reclaims them itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Watermark {
    /// The limit.
    Min,
    /// 1/16 below it.
    Low,
    /// 1/8 below it.
    High,
}

/// A page on the reclaim lists. It does not keep its file alive: a file nobody maps or
/// reads may be forgotten whole ([`PageCache::file`]).
pub(crate) struct LruSlot {
    /// Its file.
    pub file: Weak<CachedFile>,
    /// Its page offset in the file.
    pub pgoff: u64,
    /// The page.
    pub folio: Arc<Folio>,
}

impl LruSlot {
    /// The page with its file, if the file still caches it at the same offset.
    pub(crate) fn cached(&self) -> Option<LruEntry> {
        let file = self.file.upgrade()?;
        let same = file
            .lookup(self.pgoff)
            .is_some_and(|f| Arc::ptr_eq(&f, &self.folio));
        same.then(|| LruEntry {
            file,
            pgoff: self.pgoff,
            folio: self.folio.clone(),
        })
    }
}

/// A page reclaim has taken off the list.
pub(crate) struct LruEntry {
    /// Its file.
    pub file: Arc<CachedFile>,
    /// Its page offset in the file.
    pub pgoff: u64,
    /// The page.
    pub folio: Arc<Folio>,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache")
            .field("files", &self.files.lock().len())
            .finish()
    }
}

/// How many files the cache keeps before it forgets those nothing holds.
pub const MAX_IDLE_FILES: usize = 128;

impl PageCache {
    /// An empty cache whose pages come from `frames`.
    pub fn new(
        frames: Arc<FramePool>,
        cfg: &CacheConfig,
        clock: &SharedClock,
    ) -> io::Result<PageCache> {
        let device = match &cfg.device {
            None => None,
            Some(dc) => Some(timing_device(dc.clone(), clock.clone())?),
        };
        let limit_frames = cfg.mem_limit.map(|b| (b / PAGE_SIZE).max(1));
        let dirtyable =
            limit_frames.unwrap_or_else(|| available_pages(u64::from(frames.capacity())));
        Ok(PageCache {
            frames,
            device,
            readahead_pages: cfg.readahead_bytes.div_ceil(PAGE_SIZE).max(1),
            files: Mutex::new(HashMap::new()),
            next_order: AtomicU64::new(0),
            lru: Mutex::new(Lru::default()),
            limit_frames: limit_frames.map(AtomicU64::new),
            dirty: Arc::new(DirtyAccount::new(dirtyable)),
            writeback_period_ns: cfg.dirty_writeback_ns,
            expire_ns: cfg.dirty_expire_ns,
            kswapd_wake: Arc::new(Parker::new()),
            clock: clock.clone(),
        })
    }

    /// The cached file `key`, registering it with `data` on first use. Registering one
    /// more than [`MAX_IDLE_FILES`] first forgets the files nothing else holds (no
    /// mapping, no read in progress) and that have no dirty page: each holds a host
    /// file descriptor.
    pub fn file(&self, key: FileKey, data: Arc<dyn FileData>) -> Arc<CachedFile> {
        let mut files = self.files.lock();
        if files.len() >= MAX_IDLE_FILES && !files.contains_key(&key) {
            files.retain(|_, f| {
                Arc::strong_count(f) > 1 || f.pages.lock().values().any(|p| p.needs_sync())
            });
        }
        files
            .entry(key)
            .or_insert_with(|| {
                Arc::new(CachedFile {
                    key,
                    order: self.next_order.fetch_add(1, Ordering::Relaxed),
                    data,
                    frames: self.frames.clone(),
                    pages: Mutex::new(BTreeMap::new()),
                    dirty: self.dirty.clone(),
                    inode: Mutex::new(()),
                    resize: RwLock::new(()),
                })
            })
            .clone()
    }

    /// Every file the cache knows, in the order the run first cached them: the map's own
    /// order, and the host's inode numbers, differ from run to run, and what is written
    /// back or dropped first must not.
    pub(crate) fn files(&self) -> Vec<Arc<CachedFile>> {
        let mut files: Vec<Arc<CachedFile>> = self.files.lock().values().cloned().collect();
        files.sort_by_key(|f| f.order);
        files
    }

    /// The cached file `key`, if the cache knows it.
    pub fn known(&self, key: FileKey) -> Option<Arc<CachedFile>> {
        self.files.lock().get(&key).cloned()
    }

    /// Whether any file has been cached (so system calls can skip identifying theirs).
    pub fn is_empty(&self) -> bool {
        self.files.lock().is_empty()
    }

    /// Finds page `pgoff` of `file`, or starts reading it and its read-around window
    /// (uncached neighbours only, one request) on behalf of thread `submitter` at
    /// `priority`. Never waits.
    pub fn find_or_read(
        &self,
        file: &Arc<CachedFile>,
        pgoff: u64,
        hint: AccessHint,
        submitter: u32,
        priority: IoPriority,
    ) -> Result<Lookup, io::Error> {
        if let Some(f) = file.lookup(pgoff) {
            f.mark_accessed();
            return Ok(Lookup::Cached(f));
        }
        let file_pages = file.size_pages()?;
        if pgoff >= file_pages {
            return Ok(Lookup::BeyondEof);
        }
        let window = file_readahead::window(pgoff, file_pages, self.readahead_pages, hint);
        let mut batch: Vec<(u64, Arc<Folio>)> = Vec::new();
        {
            let mut pages = file.pages.lock();
            if let Some(f) = pages.get(&pgoff) {
                return Ok(Lookup::Cached(f.clone()));
            }
            // The contiguous uncached run around the page, inside the window.
            let mut first = pgoff;
            while first > window.start && !pages.contains_key(&(first - 1)) {
                first -= 1;
            }
            let mut end = pgoff + 1;
            while end < window.end && !pages.contains_key(&end) {
                end += 1;
            }
            for p in first..end {
                let Some(frame) = self.frames.alloc_zeroed() else {
                    if p <= pgoff {
                        // Not even the faulting page fits: give back what was taken.
                        for (q, f) in batch.drain(..) {
                            pages.remove(&q);
                            self.frames.put(f.frame());
                        }
                        return Err(io::Error::from(io::ErrorKind::OutOfMemory));
                    }
                    break;
                };
                let folio = Arc::new(Folio::new_locked(frame));
                pages.insert(p, folio.clone());
                batch.push((p, folio));
            }
        }
        self.added(file, &batch);
        let target = batch
            .iter()
            .find(|(p, _)| *p == pgoff)
            .map(|(_, f)| f.clone())
            .expect("the faulting page is in its own batch");
        let first = batch[0].0;
        let len = batch.len() as u64 * PAGE_SIZE;
        let file2 = file.clone();
        let complete = move |ok: bool| {
            for (p, folio) in &batch {
                let filled = ok && file2.fill(*p, folio.frame()).is_ok();
                folio.finish_read(filled);
            }
        };
        match &self.device {
            None => complete(true),
            Some(dev) => {
                let offset = file_region(file) + first * PAGE_SIZE;
                let op = IoOp::Timed {
                    kind: IoKind::Read,
                    offset,
                    len,
                };
                dev.submit(op, submitter, priority, move |done| {
                    complete(done.completion.result.is_ok())
                });
            }
        }
        Ok(Lookup::Reading(target))
    }

    /// read(2) of `file`: copies up to `buf.len()` bytes from `offset` out of the cache,
    /// reading missing pages (sequential read-ahead) on behalf of `submitter` and waiting
    /// for them. Returns the bytes copied, short at the end of the file; a failed device
    /// read is EIO unless some bytes were already copied.
    pub(crate) fn read(
        &self,
        file: &Arc<CachedFile>,
        offset: u64,
        buf: &mut [u8],
        (submitter, priority): (u32, IoPriority),
        stats: &HartStats,
    ) -> io::Result<usize> {
        let end = offset
            .saturating_add(buf.len() as u64)
            .min(file.data.size()?);
        let mut at = offset;
        while at < end {
            let pgoff = at / PAGE_SIZE;
            let folio = match self.find_or_read(
                file,
                pgoff,
                AccessHint::Sequential,
                submitter,
                priority,
            )? {
                Lookup::BeyondEof => break,
                Lookup::Cached(f) => {
                    stats.add(Counter::PagecacheHits, 1);
                    f
                }
                Lookup::Reading(f) => {
                    stats.add(Counter::PagecacheMisses, 1);
                    f
                }
            };
            folio.lock(&*self.clock);
            if !folio.is_uptodate() {
                folio.unlock();
                if !folio.has_error() {
                    // Reclaimed before it could be copied: look it up again.
                    continue;
                }
                file.forget(pgoff, &folio);
                if at > offset {
                    break;
                }
                return Err(io::Error::from_raw_os_error(libc::EIO));
            }
            let in_page = at % PAGE_SIZE;
            let n = u64_to_usize((PAGE_SIZE - in_page).min(end - at));
            let done = u64_to_usize(at - offset);
            // SAFETY: the folio's frame is held by the cache; `in_page + n` stays inside it.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    self.frames
                        .host_ptr(folio.frame())
                        .wrapping_add(u64_to_usize(in_page)),
                    buf[done..done + n].as_mut_ptr(),
                    n,
                )
            };
            folio.unlock();
            at += n as u64;
        }
        Ok(u64_to_usize(at.max(offset) - offset))
    }

    /// Puts pages just cached for `file` on the reclaim list, and wakes the background
    /// reclaimer if they took resident memory past its low watermark.
    pub(crate) fn added(&self, file: &Arc<CachedFile>, batch: &[(u64, Arc<Folio>)]) {
        if self.frames_over(Watermark::Low) > 0 {
            self.kswapd_wake.unpark();
        }
        let mut lru = self.lru.lock();
        for (p, folio) in batch {
            lru.add(LruSlot {
                file: Arc::downgrade(file),
                pgoff: *p,
                folio: folio.clone(),
            });
        }
    }

    /// Marks `folio` dirty for a store through a shared mapping (its frame will hold
    /// bytes the file lacks), counting it if it was clean until now.
    pub(crate) fn set_dirty(&self, folio: &Folio) {
        self.mark_dirty(folio, true);
    }

    /// Marks `folio` dirty for a write(2) whose bytes are already in the file as well as
    /// in its frame: dirty as the model's state, for write-back to time and count.
    pub(crate) fn set_dirty_written(&self, folio: &Folio) {
        self.mark_dirty(folio, false);
    }

    fn mark_dirty(&self, folio: &Folio, stored: bool) {
        if folio.mark_dirty(self.clock.now_ns(), stored) {
            self.dirty.dirtied();
        }
    }

    /// Pages not yet in their files, and the limits on them.
    pub(crate) fn dirty(&self) -> &Arc<DirtyAccount> {
        &self.dirty
    }

    /// The flusher's period and the age at which it writes a dirty page back, in ns.
    pub(crate) fn writeback_times(&self) -> (u64, u64) {
        (self.writeback_period_ns, self.expire_ns)
    }

    /// The run's clock.
    pub(crate) fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// From now on the cache's device completes every request, in flight or new, at once
    /// (see [`StorageDevice::finish_promptly`]): a run that is ending writes its dirty
    /// pages back, counted as ever, without waiting for simulated device time.
    pub fn finish_io_promptly(&self) {
        if let Some(dev) = self.device() {
            dev.finish_promptly();
        }
    }

    /// The emulator is being killed with no time to write back (the emulated OOM kill,
    /// from inside a fault that may hold any lock): copies every page holding stores of
    /// a shared mapping straight into its host file, taking no folio lock and waiting for
    /// no device, so that no store is lost. The pages' state is left as it is.
    pub fn write_stores_directly(&self) {
        for file in self.files() {
            let Ok(size) = file.data.size() else {
                continue;
            };
            for (pgoff, folio) in file.pages_from(0) {
                let at = pgoff * PAGE_SIZE;
                let n = u64_to_usize(PAGE_SIZE.min(size.saturating_sub(at)));
                if n == 0 || !folio.holds_stores() {
                    continue;
                }
                let mut bytes = vec![0u8; n];
                // SAFETY: the frame is the cached folio's, alive while the cache holds
                // it; at most one page is copied. A store racing the copy is a store
                // after the kill.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        self.frames.host_ptr(folio.frame()),
                        bytes.as_mut_ptr(),
                        n,
                    )
                };
                // Nothing is left to report a failure to: the process is ending.
                let _ = file.data.write_at(at, &bytes);
            }
        }
    }

    /// The storage device, if requests are timed.
    pub(crate) fn device(&self) -> Option<&StorageDevice> {
        self.device.as_ref()
    }

    /// The frame pool the cached pages live in.
    pub(crate) fn frames(&self) -> &FramePool {
        &self.frames
    }

    /// After a call that bypasses the cache (an O_DIRECT write, copy_file_range…)
    /// changed `[offset, offset + len)` of `file` on the host: reloads the cached pages
    /// it touched, so mappings and reads see the new bytes.
    pub fn refresh(&self, file: &CachedFile, offset: u64, len: u64) {
        let first = offset / PAGE_SIZE;
        let end = offset.saturating_add(len).div_ceil(PAGE_SIZE);
        self.reload(file, first..end.max(first), false);
    }

    /// After another host process changed `file`: reloads every cached page from the
    /// host file but those holding stores of a shared mapping not yet written back (the
    /// guest's stores win there, as the later writer). Returns whether it looked.
    pub(crate) fn reload_changed(&self, file: &CachedFile) -> bool {
        if !file.data.changed_elsewhere() {
            return false;
        }
        self.reload(file, 0..u64::MAX, true);
        true
    }

    /// Copies the host file's bytes into the up-to-date cached pages `pages` of `file`
    /// (those holding stores too unless `keep_stored`).
    fn reload(&self, file: &CachedFile, pages: std::ops::Range<u64>, keep_stored: bool) {
        let folios: Vec<(u64, Arc<Folio>)> = file
            .pages
            .lock()
            .range(pages)
            .map(|(&p, f)| (p, f.clone()))
            .collect();
        for (p, folio) in folios {
            folio.lock(&*self.clock);
            if folio.is_uptodate() && !(keep_stored && folio.holds_stores()) {
                // A failed re-read leaves the old bytes: the mapping keeps what it had.
                let _ = file.fill(p, folio.frame());
            }
            folio.unlock();
        }
    }

    /// Frames over the memory limit (0 without one).
    pub(crate) fn frames_over_limit(&self) -> u64 {
        self.frames_over(Watermark::Min)
    }

    /// Frames above `mark` (0 without a limit).
    pub(crate) fn frames_over(&self, mark: Watermark) -> u64 {
        self.limit_frames.as_ref().map_or(0, |limit| {
            let limit = limit.load(Ordering::Relaxed);
            let level = match mark {
                Watermark::Min => limit,
                Watermark::Low => limit - limit / 16,
                Watermark::High => limit - limit / 8,
            };
            u64::from(self.frames.in_use()).saturating_sub(level)
        })
    }

    /// Moves the memory limit to `bytes` (at least one page), and the dirty thresholds
    /// with it, and wakes the background reclaimer, which frees down to the new
    /// watermarks; `false`, changing nothing, for
    /// a cache made without a limit (no reclaimer runs for it).
    pub(crate) fn set_mem_limit(&self, bytes: u64) -> bool {
        let Some(limit) = &self.limit_frames else {
            return false;
        };
        let frames = (bytes / PAGE_SIZE).max(1);
        limit.store(frames, Ordering::Relaxed);
        self.dirty.resize(frames);
        self.kswapd_wake.unpark();
        true
    }

    /// What wakes the background reclaimer.
    pub(crate) fn kswapd_wake(&self) -> Arc<Parker> {
        self.kswapd_wake.clone()
    }

    /// The cached pages' active and inactive lists.
    pub(crate) fn lru(&self) -> &Mutex<Lru<LruSlot>> {
        &self.lru
    }

    /// The device's counters (`io.reads`, `io.read_latency_ns.p99`…) and the total time
    /// requests waited in its queue (`io.queue_wait_ns`); empty without a device.
    pub fn io_counters(&self) -> Vec<(String, u64)> {
        let Some(device) = &self.device else {
            return Vec::new();
        };
        let stats = device.stats();
        let wait = &stats.total.queue_wait;
        let mut out = stats.counters();
        out.push((
            "io.queue_wait_ns".into(),
            f64_to_u64(wait.mean_ns() * wait.count() as f64),
        ));
        out
    }
}

/// Pages of memory a cache without a limit may count on: the host's available memory
/// (`MemAvailable`), within the frame pool's `capacity` pages.
fn available_pages(capacity: u64) -> u64 {
    let available = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        m.lines()
            .find_map(|l| l.strip_prefix("MemAvailable:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    });
    available.map_or(capacity, |kib| (kib * 1024 / PAGE_SIZE).min(capacity))
}

/// Where `file`'s requests start on the device.
pub(crate) fn file_region(file: &CachedFile) -> u64 {
    devices::storage::file_region(file.key.1)
}

/// A device over an empty, already-unlinked scratch file that stays empty: the page
/// cache's requests are [`IoOp::Timed`], so the device supplies the timing and
/// [`FileData`] the bytes.
fn timing_device(cfg: DeviceConfig, clock: SharedClock) -> io::Result<StorageDevice> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("faultline-io-{}-{n}", std::process::id()));
    let store = BackingStore::create(&path, 0)?;
    std::fs::remove_file(&path)?;
    StorageDevice::new("disk", cfg, Arc::new(store), clock)
}

#[cfg(test)]
pub(crate) mod tests;
