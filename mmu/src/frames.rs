//! The host frame pool: one big anonymous host mapping cut into 4 KiB guest frames.
//!
//! The pool reserves `MmConfig::frame_pool_bytes` of host address space with
//! `MAP_NORESERVE`, so the host backs only the frames the guest actually touches. Frames
//! are handed out from a free list (recycled frames first, then never-used ones) and carry
//! a reference count: a frame stays allocated while any page-table entry or shared-memory
//! object refers to it, which is what copy-on-write and shared mappings build on.
//!
//! A hart keeps a few free frames of its own ([`crate::caller::HartFrames`], Linux's
//! per-CPU page lists): while the calling thread runs a hart the pool adopted, its
//! allocations take from that list and its frees give back to it, and frames move
//! between the list and the pool's free list in batches of [`BATCH`]. Frames on the
//! harts' lists count as free ([`FramePool::in_use`] is exact), and a pool that runs dry
//! takes every list back before it reports exhaustion.
//!
//! Running out of frames is the guest running out of memory. The pool reports it as
//! `None` from [`FramePool::alloc_zeroed`]; what each caller makes of it is documented in
//! [`crate::fault`].

use crate::caller::HartShared;
use crate::current;
use devices::cast::{low_u32, u64_to_usize};
use parking_lot::Mutex;
use std::io;
use std::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

/// Index of a 4 KiB frame in its pool.
pub(crate) type FrameId = u32;

const FRAME_BYTES: usize = u64_to_usize(crate::types::PAGE_SIZE);

/// Frames moved at once between a hart's list and the pool (Linux's `pcp->batch`).
const BATCH: usize = 64;
/// The most frames a hart's list keeps: past it, a free gives a batch back to the pool
/// (Linux's `pcp->high`).
const HIGH: usize = 4 * BATCH;

/// Ids of pools, so that a hart's list is used only for frames of its own pool.
static NEXT_POOL_ID: AtomicU64 = AtomicU64::new(1);

/// Byte pattern freed frames are filled with in debug builds, so that a use after free
/// reads recognisable garbage instead of plausible data.
#[cfg(debug_assertions)]
pub(crate) const POISON: u8 = 0xa5;

/// A private anonymous host mapping, unmapped on drop.
struct HostRegion {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the region is plain memory; who may touch which bytes is governed by the frame
// ownership rules of the pool's users, not by the region itself.
unsafe impl Send for HostRegion {}
// SAFETY: as for Send: sharing the pointer gives no access the frame rules do not allow.
unsafe impl Sync for HostRegion {}

impl HostRegion {
    fn reserve(len: usize) -> io::Result<Self> {
        // SAFETY: a fresh anonymous mapping with no address hint aliases nothing.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(HostRegion {
            ptr: ptr.cast(),
            len,
        })
    }
}

impl Drop for HostRegion {
    fn drop(&mut self) {
        // SAFETY: the region was mapped by `reserve` and nothing refers to it any more.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

struct FreeList {
    /// Frames given back, reused last-in first-out (their cache lines are warm).
    recycled: Vec<FrameId>,
    /// Frames at or above this index have never been handed out: still zero from the host.
    next_fresh: u32,
}

/// A pool of reference-counted 4 KiB frames in one host mapping.
pub struct FramePool {
    frames: HostRegion,
    /// One `AtomicU32` per frame, in a lazily backed mapping of its own so a big pool costs
    /// nothing until used.
    refcounts: HostRegion,
    nframes: u32,
    /// This pool's id (never 0).
    id: u64,
    /// The harts whose lists hold this pool's frames. Lock order: this, then a hart's
    /// list, then `free`.
    harts: Mutex<Vec<Weak<HartShared>>>,
    free: Mutex<FreeList>,
}

impl std::fmt::Debug for FramePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FramePool")
            .field("frames", &self.nframes)
            .field("in_use", &self.in_use())
            .finish()
    }
}

impl FramePool {
    /// Reserves a pool of `bytes` (rounded down to whole frames, at least one frame).
    pub fn new(bytes: u64) -> io::Result<Self> {
        let nframes = bytes / crate::types::PAGE_SIZE;
        if nframes == 0 || nframes > u32::MAX as u64 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("frame pool of {bytes} bytes: need 1 to 2^32 frames"),
            ));
        }
        let frames = HostRegion::reserve(nframes as usize * FRAME_BYTES)?;
        let refcounts = HostRegion::reserve(nframes as usize * std::mem::size_of::<AtomicU32>())?;
        Ok(FramePool {
            frames,
            refcounts,
            nframes: low_u32(nframes),
            id: NEXT_POOL_ID.fetch_add(1, Ordering::Relaxed),
            harts: Mutex::default(),
            free: Mutex::new(FreeList {
                recycled: Vec::new(),
                next_fresh: 0,
            }),
        })
    }

    /// How many frames the pool holds.
    pub fn capacity(&self) -> u32 {
        self.nframes
    }

    /// How many frames are allocated now: those handed out by the free list, less those
    /// on the harts' lists. Batches move with the free list's lock held, so none is
    /// counted twice.
    pub fn in_use(&self) -> u32 {
        let harts = self.harts.lock();
        let free = self.free.lock();
        let on_lists: u32 = harts
            .iter()
            .filter_map(Weak::upgrade)
            .map(|h| h.frames.len.load(Ordering::Relaxed))
            .sum();
        free.next_fresh - low_u32(free.recycled.len() as u64) - on_lists
    }

    /// Allocates a frame filled with zeroes, with a reference count of one; `None` when the
    /// pool is exhausted.
    ///
    /// The zeroes are plain stores: whoever publishes the frame (a page-table entry) must
    /// do so with release ordering so that readers who find it see zeroes.
    pub fn alloc_zeroed(&self) -> Option<FrameId> {
        let (frame, fresh) = current::with_hart(|hart| match hart.filter(|h| self.adopted(h)) {
            Some(hart) => self.take_listed(hart),
            None => self.take_free(),
        })?;
        if !fresh {
            // SAFETY: the frame is ours alone: it just left a free list.
            unsafe { std::ptr::write_bytes(self.host_ptr(frame), 0, FRAME_BYTES) };
        }
        self.refcount_cell(frame).store(1, Ordering::Relaxed);
        Some(frame)
    }

    /// Lets `hart` keep frames of this pool on its own list from now on. Its thread must
    /// call [`FramePool::detach`] before the hart goes.
    pub(crate) fn adopt(&self, hart: &Arc<HartShared>) {
        let mut harts = self.harts.lock();
        harts.retain(|h| h.strong_count() > 0);
        harts.push(Arc::downgrade(hart));
        hart.frames.pool.store(self.id, Ordering::Relaxed);
    }

    /// Gives the frames on `hart`'s list back to the free list, and stops using the list.
    pub(crate) fn detach(&self, hart: &HartShared) {
        hart.frames.pool.store(0, Ordering::Relaxed);
        let mut list = hart.frames.list.lock();
        self.give_back(hart, &mut list, usize::MAX);
    }

    /// Whether `hart`'s list holds this pool's frames.
    fn adopted(&self, hart: &HartShared) -> bool {
        hart.frames.pool.load(Ordering::Relaxed) == self.id
    }

    /// A frame from the free list: recycled first, then a never-used one; whether it is
    /// still zero from the host comes with it.
    fn take_free(&self) -> Option<(FrameId, bool)> {
        let mut free = self.free.lock();
        self.pop_free(&mut free)
    }

    /// [`take_free`](Self::take_free) with the lock held.
    fn pop_free(&self, free: &mut FreeList) -> Option<(FrameId, bool)> {
        if let Some(f) = free.recycled.pop() {
            Some((f, false))
        } else if free.next_fresh < self.nframes {
            free.next_fresh += 1;
            Some((free.next_fresh - 1, true))
        } else {
            None
        }
    }

    /// A frame from `hart`'s list, refilled with a batch from the free list when empty;
    /// when the pool has no free frame left, the harts' lists are taken back first.
    fn take_listed(&self, hart: &HartShared) -> Option<(FrameId, bool)> {
        {
            let mut list = hart.frames.list.lock();
            if list.is_empty() {
                let mut free = self.free.lock();
                while list.len() < BATCH {
                    match self.pop_free(&mut free) {
                        Some(frame) => list.push(frame),
                        None => break,
                    }
                }
                // Set with `free` held, as `in_use` reads it.
                hart.frames
                    .len
                    .store(low_u32(list.len() as u64), Ordering::Relaxed);
            }
            if let Some(frame) = list.pop() {
                hart.frames
                    .len
                    .store(low_u32(list.len() as u64), Ordering::Relaxed);
                return Some(frame);
            }
        }
        self.take_back_lists();
        self.take_free()
    }

    /// Moves every hart's list to the free list: the pool is dry, and frames on other
    /// harts' lists must not make it report exhaustion (Linux's `drain_all_pages`).
    #[cold]
    fn take_back_lists(&self) {
        let harts = self.harts.lock();
        for hart in harts.iter().filter_map(Weak::upgrade) {
            let mut list = hart.frames.list.lock();
            self.give_back(&hart, &mut list, usize::MAX);
        }
    }

    /// Moves up to `n` of the coldest frames of `hart`'s `list` to the free list.
    fn give_back(&self, hart: &HartShared, list: &mut Vec<(FrameId, bool)>, n: usize) {
        let n = n.min(list.len());
        let mut free = self.free.lock();
        // A never-used frame given back is recycled like any other (and zeroed again
        // when next taken): rare, since lists take fresh frames only when none are
        // recycled.
        free.recycled
            .extend(list.drain(..n).map(|(frame, _)| frame));
        hart.frames
            .len
            .store(low_u32(list.len() as u64), Ordering::Relaxed);
    }

    /// Adds a reference to an allocated frame.
    pub fn get(&self, frame: FrameId) {
        let old = self.refcount_cell(frame).fetch_add(1, Ordering::Relaxed);
        debug_assert!(old > 0, "get of free frame {frame}");
    }

    /// Adds a reference to `frame` unless it is free (Linux's `get_page_unless_zero`):
    /// how a lock-free walker pins a frame it found in a page-table entry. The caller
    /// must check the entry still maps the frame before using it.
    pub fn try_get(&self, frame: FrameId) -> bool {
        let cell = self.refcount_cell(frame);
        let mut n = cell.load(Ordering::Relaxed);
        loop {
            if n == 0 {
                return false;
            }
            // Acquire pairs with the release of the reference that kept it allocated.
            match cell.compare_exchange_weak(n, n + 1, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(now) => n = now,
            }
        }
    }

    /// Drops a reference; the frame returns to the free list when the last one goes.
    ///
    /// Callers drop the reference a page-table entry held only after every TLB that could
    /// still reach the frame has been shot down.
    pub fn put(&self, frame: FrameId) {
        let old = self.refcount_cell(frame).fetch_sub(1, Ordering::Release);
        debug_assert!(old > 0, "put of free frame {frame}");
        if old != 1 {
            return;
        }
        // Pairs with the release decrements of the other owners: their accesses to the
        // frame happen before it is recycled.
        fence(Ordering::Acquire);
        #[cfg(debug_assertions)]
        // SAFETY: the last reference is gone; nobody may touch the frame any more.
        unsafe {
            std::ptr::write_bytes(self.host_ptr(frame), POISON, FRAME_BYTES)
        };
        current::with_hart(|hart| match hart.filter(|h| self.adopted(h)) {
            Some(hart) => {
                let mut list = hart.frames.list.lock();
                list.push((frame, false));
                if list.len() > HIGH {
                    self.give_back(hart, &mut list, BATCH);
                } else {
                    hart.frames
                        .len
                        .store(low_u32(list.len() as u64), Ordering::Relaxed);
                }
            }
            None => self.free.lock().recycled.push(frame),
        });
    }

    /// The current reference count of `frame` (0 when free).
    pub fn refcount(&self, frame: FrameId) -> u32 {
        self.refcount_cell(frame).load(Ordering::Relaxed)
    }

    /// The host address of the first byte of `frame`.
    #[inline]
    pub fn host_ptr(&self, frame: FrameId) -> *mut u8 {
        debug_assert!(frame < self.nframes);
        // SAFETY: in bounds of the frames region for any valid frame id.
        unsafe { self.frames.ptr.add(frame as usize * FRAME_BYTES) }
    }

    fn refcount_cell(&self, frame: FrameId) -> &AtomicU32 {
        assert!(frame < self.nframes, "frame {frame} out of pool");
        // SAFETY: in bounds; the region is zero-initialised, suitably aligned memory, a
        // valid AtomicU32 array, accessed only atomically.
        unsafe { &*(self.refcounts.ptr as *const AtomicU32).wrapping_add(frame as usize) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_zeroed_recycled_and_counted() {
        let pool = FramePool::new(4 * crate::types::PAGE_SIZE).unwrap();
        let a = pool.alloc_zeroed().unwrap();
        // SAFETY: the frame is allocated and FRAME_BYTES long.
        unsafe { pool.host_ptr(a).write_bytes(0x5a, FRAME_BYTES) };
        pool.get(a);
        assert_eq!(pool.refcount(a), 2);
        pool.put(a);
        assert_eq!(pool.in_use(), 1);
        pool.put(a);
        assert_eq!(pool.in_use(), 0);
        let b = pool.alloc_zeroed().unwrap();
        assert_eq!(a, b, "recycled first");
        // SAFETY: as above; nothing else writes the frame meanwhile.
        let bytes = unsafe { std::slice::from_raw_parts(pool.host_ptr(b), FRAME_BYTES) };
        assert!(bytes.iter().all(|&x| x == 0));
    }

    #[test]
    fn try_get_pins_only_allocated_frames() {
        let pool = FramePool::new(2 * crate::types::PAGE_SIZE).unwrap();
        let a = pool.alloc_zeroed().unwrap();
        assert!(pool.try_get(a));
        assert_eq!(pool.refcount(a), 2);
        pool.put(a);
        pool.put(a);
        assert!(!pool.try_get(a), "free");
        assert_eq!(pool.refcount(a), 0);
    }

    #[test]
    fn exhaustion_returns_none() {
        let pool = FramePool::new(2 * crate::types::PAGE_SIZE + 100).unwrap();
        assert_eq!(pool.capacity(), 2);
        let a = pool.alloc_zeroed().unwrap();
        let _b = pool.alloc_zeroed().unwrap();
        assert!(pool.alloc_zeroed().is_none());
        pool.put(a);
        assert_eq!(pool.alloc_zeroed(), Some(a));
    }

    #[test]
    fn a_harts_list_moves_batches_counts_as_free_and_is_taken_back_when_dry() {
        use crate::stats::HartStats;
        let pool = FramePool::new(4 * BATCH as u64 * crate::types::PAGE_SIZE).unwrap();
        let len = |h: &HartShared| h.frames.len.load(Ordering::Relaxed) as usize;
        let first = Arc::new(HartShared::new(1, 1, Arc::new(HartStats::default())));
        let second = Arc::new(HartShared::new(2, 1, Arc::new(HartStats::default())));
        pool.adopt(&first);
        pool.adopt(&second);

        current::claim(&first);
        let a = pool.alloc_zeroed().unwrap();
        assert_eq!(
            len(&first),
            BATCH - 1,
            "a batch came over, one frame left it"
        );
        assert_eq!(pool.in_use(), 1, "the listed frames count as free");

        // The second hart takes every other frame: its refills drain the free list, and
        // then the first hart's list is taken back rather than failing early.
        current::claim(&second);
        let rest: Vec<FrameId> = (1..pool.capacity())
            .map(|_| pool.alloc_zeroed().expect("frames left on a list count"))
            .collect();
        assert_eq!(len(&first), 0, "taken back");
        assert_eq!(pool.in_use(), pool.capacity());
        assert!(pool.alloc_zeroed().is_none(), "exhausted");

        // Frees go to the freeing hart's list, which gives batches back past HIGH.
        for &f in &rest {
            pool.put(f);
        }
        assert!(len(&second) <= HIGH);
        assert_eq!(pool.in_use(), 1);
        pool.put(a);
        assert_eq!(pool.in_use(), 0);
        pool.detach(&second);
        assert_eq!(len(&second), 0);
        assert_eq!(pool.in_use(), 0);
        current::release(&second);
    }

    #[test]
    fn empty_pool_is_rejected() {
        assert!(FramePool::new(100).is_err());
    }
}
