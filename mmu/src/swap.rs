//! Swap for private anonymous memory (Linux's swap cache, `shrink_folio_list` for anon
//! folios, and `do_swap_page`).
//!
//! Swapping out takes a mapped page's entry away with a compare-exchange, leaving a swap
//! entry (the slot number) in its place, puts the frame in the swap cache under a locked
//! folio, shoots down every hart's TLB, then writes the page to its slot and frees the
//! frame. A fault on a swap entry finds the folio in the swap cache (minor: the page is
//! still being written, or already read back) or starts reading the slot into a new
//! folio with the fault lock held and waits for it at
//! [`FaultCtx::wait_for`](crate::fault_state::FaultCtx::wait_for), so the
//! policy decides whether the lock is dropped. Whoever takes a swap entry out of the
//! page table — the fault that maps the page back, munmap, MADV_DONTNEED — frees its
//! slot, after waiting for any I/O on it. Shared anonymous memory is never swapped.
//!
//! The candidates for reclaim sit on the anonymous active and inactive lists
//! ([`crate::lru`]), judged by the accessed bits of their entries; MADV_COLD moves pages
//! to the inactive tail.

use crate::fault::FaultError;
use crate::fault_state::FaultOutcome;
use crate::filemap::Waits;
use crate::folio::Folio;
use crate::frames::FrameId;
use crate::invalidate::Invalidation;
use crate::lru::{self, Look, Lru, Pass, Refs, Scanner};
use crate::pagetable::{self, Pte};
use crate::policy::PageWait;
use crate::reclaim;
use crate::space::{AddressSpace, Caller};
use crate::stats::{Counter, HartStats};
use crate::swapfile::SwapFile;
use crate::vma::{Backing, Vma, VmaFlags};
use crate::vma_index::VmaView;
use crate::{Access, FaultKind, PAGE_SIZE};
use devices::storage::DeviceConfig;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Swap of one address space: its area, its swap cache and its reclaim candidates.
pub(crate) struct Swap {
    file: SwapFile,
    /// Folios of slots with I/O in flight or read back but not mapped yet. Each holds one
    /// reference to its frame.
    cache: Mutex<HashMap<u32, Arc<Folio>>>,
    /// Private anonymous pages that may be swapped out, by address and frame (stale
    /// entries are dropped when their address no longer maps the frame).
    lru: Mutex<Lru<(u64, FrameId)>>,
    /// Whether reclaim runs at all (a memory limit is set): only then are candidates
    /// worth keeping.
    tracks_candidates: bool,
}

/// What a swap-cache look-up found.
enum Found {
    /// The slot's folio was cached.
    Cached(Arc<Folio>),
    /// It was not: this call started reading it into a new locked folio.
    Reading(Arc<Folio>),
}

impl Swap {
    /// Swap of `bytes` behind a device configured as `device`; `reclaims` when a memory
    /// limit makes reclaim look for candidates.
    pub(crate) fn new(bytes: u64, device: DeviceConfig, reclaims: bool) -> io::Result<Swap> {
        Ok(Swap {
            file: SwapFile::create(bytes, device)?,
            cache: Mutex::new(HashMap::new()),
            lru: Mutex::new(Lru::default()),
            tracks_candidates: reclaims,
        })
    }

    /// Notes a private anonymous page just mapped at `addr`, as a reclaim candidate: it
    /// enters the inactive list.
    pub(crate) fn note_mapped(&self, addr: u64, frame: FrameId) {
        if self.tracks_candidates {
            self.lru.lock().add((addr & !(PAGE_SIZE - 1), frame));
        }
    }

    /// The reclaim candidates' active and inactive lists.
    pub(crate) fn candidates(&self) -> &Mutex<Lru<(u64, FrameId)>> {
        &self.lru
    }

    /// Takes the slot's folio out of the cache if it is still `folio`; the caller then
    /// owns its frame reference.
    fn uncache(&self, slot: u32, folio: &Arc<Folio>) -> bool {
        let mut cache = self.cache.lock();
        match cache.get(&slot) {
            Some(f) if Arc::ptr_eq(f, folio) => {
                cache.remove(&slot);
                true
            }
            _ => false,
        }
    }

    /// The counters of the swap device and slots, in total.
    pub(crate) fn counters(&self) -> Vec<(String, u64)> {
        let mut out = self.file.io_counters();
        out.push(("swap.slots_used".into(), self.file.used()));
        out
    }
}

/// Finds `slot` in the swap cache, or starts reading it into a new locked folio.
fn find_or_read(space: &AddressSpace, swap: &Swap, caller: &Caller, slot: u32) -> Option<Found> {
    let mut cache = swap.cache.lock();
    if let Some(f) = cache.get(&slot) {
        return Some(Found::Cached(f.clone()));
    }
    let frame = space.frames().alloc_zeroed()?;
    let folio = Arc::new(Folio::new_locked(frame));
    cache.insert(slot, folio.clone());
    drop(cache);
    let (tid, priority) = caller.io();
    let done = folio.clone();
    swap.file
        .read(slot, space.frames(), frame, tid, priority, move |ok| {
            done.finish_read(ok)
        });
    Some(Found::Reading(folio))
}

/// Linux's `do_swap_page`: the entry at `addr` of the private anonymous `vma` is (or
/// was) a swap entry. Returns `None` once the entry no longer is one (another fault
/// mapped it, or it was zapped): the caller looks at it afresh.
pub(crate) fn swap_fault(
    space: &AddressSpace,
    caller: &Caller,
    vma: &Vma,
    addr: u64,
    stats: &HartStats,
    waits: &mut Waits<'_, '_>,
) -> Option<FaultOutcome> {
    let swap = space.swap()?;
    let pte_slot = space.page_table().slot_or_alloc(addr);
    let mut major = false;
    loop {
        let entry = Pte::from_bits(pte_slot.load(Ordering::Acquire));
        if !entry.is_swap() {
            return None;
        }
        let slot = entry.swap_slot();
        let folio = match find_or_read(space, swap, caller, slot) {
            None => return Some(FaultOutcome::Error(FaultError::OutOfMemory)),
            Some(Found::Reading(f)) => {
                stats.add(Counter::SwapIns, 1);
                major = true;
                if waits.wait_for_read(space, caller, stats, &f).is_err() {
                    return Some(FaultOutcome::Retry { major: true });
                }
                continue;
            }
            Some(Found::Cached(f)) => f,
        };
        if !folio.try_lock() {
            let what = PageWait::FolioLocked {
                uptodate: folio.is_uptodate(),
            };
            if waits.wait(what, || folio.wait_unlocked()).is_err() {
                return Some(FaultOutcome::Retry { major: false });
            }
            continue;
        }
        if !folio.is_uptodate() {
            // Written out and freed meanwhile (look again), or its read failed.
            folio.unlock();
            if folio.has_error() {
                if swap.uncache(slot, &folio) {
                    space.frames().put(folio.frame());
                }
                return Some(FaultOutcome::Error(FaultError::Fault(FaultKind::Bus)));
            }
            continue;
        }
        let pte = Pte::new(folio.frame(), vma.prot);
        let mapped = pte_slot
            .compare_exchange(
                entry.bits(),
                pte.bits(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok();
        if mapped {
            // The entry now holds the cache's frame reference; the slot is done with.
            swap.uncache(slot, &folio);
            folio.evict();
            swap.file.free(slot);
            swap.note_mapped(addr, folio.frame());
        }
        folio.unlock();
        if mapped {
            let counter = match major || waits.tried() {
                true => Counter::FaultsMajor,
                false => Counter::FaultsMinor,
            };
            stats.add(counter, 1);
            return Some(FaultOutcome::Done(pte));
        }
    }
}

/// Swaps out the private anonymous page mapped at `addr` (if it still maps `frame`,
/// when given). Returns whether a frame was freed.
fn swap_out(
    space: &AddressSpace,
    caller: &Caller,
    swap: &Swap,
    addr: u64,
    frame: Option<FrameId>,
    stats: &HartStats,
) -> bool {
    let Some(pte_slot) = space.page_table().slot(addr) else {
        return false;
    };
    let pte = Pte::from_bits(pte_slot.load(Ordering::Acquire));
    let frames = space.frames();
    // A frame someone else also holds (a copy in progress, a shared object) stays.
    if !pte.is_valid()
        || frame.is_some_and(|f| f != pte.frame())
        || frames.refcount(pte.frame()) != 1
    {
        return false;
    }
    let Some(slot) = swap.file.alloc() else {
        // Swap is full: the page stays on its list for when slots come back.
        return false;
    };
    let folio = Arc::new(Folio::new_locked(pte.frame()));
    let stale = swap.cache.lock().insert(slot, folio.clone());
    if let Some(stale) = stale {
        // A fault read the slot after a zap had freed it (it looked at the entry first):
        // nobody maps that copy, so it goes once its read is done.
        space.blocking(caller, || stale.lock());
        stale.evict();
        frames.put(stale.frame());
        stale.unlock();
    }
    let swapped = pte_slot
        .compare_exchange(
            pte.bits(),
            Pte::swap(slot).bits(),
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .is_ok();
    if !swapped {
        swap.uncache(slot, &folio);
        folio.unlock();
        swap.file.free(slot);
        return false;
    }
    {
        // Before the bytes are copied: no hart may store to the frame through its TLB.
        let mut inv = Invalidation::new(space, caller);
        inv.flush = true;
        inv.code = pte.allows(Access::Exec);
    }
    let mut page = vec![0u8; PAGE_SIZE as usize];
    // SAFETY: the frame is the locked folio's and no mapping reaches it any more.
    unsafe {
        std::ptr::copy_nonoverlapping(frames.host_ptr(pte.frame()), page.as_mut_ptr(), page.len())
    };
    let (tid, priority) = caller.io();
    swap.file.write(slot, page, tid, priority);
    stats.add(Counter::SwapOuts, 1);
    if swap.uncache(slot, &folio) {
        frames.put(pte.frame());
    }
    // A fault that waited for the write finds the folio gone and reads the slot.
    folio.evict();
    folio.unlock();
    true
}

/// Reclaim's share of anonymous memory: one batch of the candidates' lists, up to `nr`
/// inactive pages looked at and the unreferenced ones swapped out.
pub(crate) fn shrink(space: &AddressSpace, caller: &Caller, nr: usize, stats: &HartStats) -> Pass {
    let Some(swap) = space.swap() else {
        return Pass::default();
    };
    let mut view = VmaView::default();
    space.vma_index().refresh(&mut view);
    let mut scanner = AnonScanner {
        space,
        caller,
        swap,
        stats,
        view,
        young_cleared: false,
    };
    let pass = lru::shrink_list(&swap.lru, &mut scanner, nr);
    if scanner.young_cleared {
        space.shootdown().flush_lazily();
    }
    pass
}

/// How reclaim looks at and swaps out private anonymous pages.
struct AnonScanner<'a> {
    space: &'a AddressSpace,
    caller: &'a Caller,
    swap: &'a Swap,
    stats: &'a HartStats,
    view: VmaView,
    /// Whether an accessed bit was cleared (the TLBs are then flushed lazily).
    young_cleared: bool,
}

impl Scanner for AnonScanner<'_> {
    type Page = (u64, FrameId);
    const ANON: bool = true;

    fn look(&mut self, &(addr, frame): &(u64, FrameId)) -> Look {
        let Some(slot) = self.space.page_table().slot(addr) else {
            return Look::Gone;
        };
        let pte = Pte::from_bits(slot.load(Ordering::Acquire));
        let Some(vma) = self.view.find(addr).map(|n| n.vma()) else {
            return Look::Gone;
        };
        if !pte.is_valid() || pte.frame() != frame {
            return Look::Gone;
        }
        if vma.flags.contains(VmaFlags::LOCKED) {
            return Look::Unevictable;
        }
        if !swappable(vma) {
            return Look::Gone;
        }
        let young = pagetable::test_and_clear_accessed(slot);
        self.young_cleared |= young;
        Look::Present(Refs {
            young: young.into(),
            ..Refs::default()
        })
    }

    /// Anonymous pages have no flags of their own: their entries' bits say it all.
    fn set_flags(&mut self, _: &(u64, FrameId), _: bool, _: bool) {}

    fn reclaim(&mut self, &(addr, frame): &(u64, FrameId)) -> bool {
        swap_out(
            self.space,
            self.caller,
            self.swap,
            addr,
            Some(frame),
            self.stats,
        )
    }
}

/// Whether `vma`'s pages may go to swap: private anonymous and not locked in memory.
fn swappable(vma: &Vma) -> bool {
    matches!(vma.backing, Backing::Private)
        && !vma.flags.contains(VmaFlags::LOCKED)
        && !vma.flags.contains(VmaFlags::LOCKONFAULT)
}

/// MADV_PAGEOUT of the private anonymous part `[start, end)` of `vma`.
pub(crate) fn page_out(space: &AddressSpace, caller: &Caller, vma: &Vma, start: u64, end: u64) {
    let Some(swap) = space.swap().filter(|_| swappable(vma)) else {
        return;
    };
    let stats = space.stats_of(caller);
    for addr in (start..end).step_by(PAGE_SIZE as usize) {
        stats.add(Counter::ReclaimScanned, 1);
        if swap_out(space, caller, swap, addr, None, stats) {
            stats.add(Counter::ReclaimReclaimed, 1);
        }
    }
}

/// MADV_COLD of the private anonymous part `[start, end)` of `vma`: its pages go to the
/// inactive tail of the reclaim candidates (their accessed bits were cleared by
/// [`reclaim::deactivate`]).
pub(crate) fn deactivate(space: &AddressSpace, vma: &Vma, start: u64, end: u64) {
    let Some(swap) = space
        .swap()
        .filter(|s| s.tracks_candidates && swappable(vma))
    else {
        return;
    };
    swap.lru
        .lock()
        .make_cold(|&(addr, _)| (start..end).contains(&addr));
}

/// MADV_WILLNEED of the private anonymous part `[start, end)` of `vma`: starts reading
/// the swapped-out pages into the swap cache, without waiting.
pub(crate) fn will_need(space: &AddressSpace, caller: &Caller, vma: &Vma, start: u64, end: u64) {
    let Some(swap) = space
        .swap()
        .filter(|_| matches!(vma.backing, Backing::Private))
    else {
        return;
    };
    let stats = space.stats_of(caller);
    let mut slots = Vec::new();
    space
        .page_table()
        .for_each_present(start, end, |_, _, pte| {
            if pte.is_swap() {
                slots.push(pte.swap_slot());
            }
        });
    for slot in slots {
        match find_or_read(space, swap, caller, slot) {
            Some(Found::Reading(_)) => stats.add(Counter::SwapIns, 1),
            Some(Found::Cached(_)) => {}
            None => break,
        }
    }
    reclaim::direct(space, caller, stats);
}

/// Frees the slot of a swap entry just taken out of the page table, once no I/O on it is
/// in flight, with its swap-cache folio if any.
pub(crate) fn free_entry(space: &AddressSpace, caller: &Caller, slot: u32) {
    let Some(swap) = space.swap() else {
        return;
    };
    let cached = swap.cache.lock().get(&slot).cloned();
    if let Some(folio) = cached {
        space.blocking(caller, || folio.lock());
        if swap.uncache(slot, &folio) {
            folio.evict();
            space.frames().put(folio.frame());
        }
        folio.unlock();
    }
    swap.file.free(slot);
}

#[cfg(test)]
mod tests {
    use crate::pagecache::CacheConfig;
    use crate::pagetable::Pte;
    use crate::{madv, map, prot, AddressSpace, MmConfig, PAGE_SIZE};
    use std::sync::Arc;

    const PAGES: u64 = 16;

    /// A space with swap and `PAGES` private anonymous pages, each filled with its own
    /// byte.
    fn filled() -> (Arc<AddressSpace>, u64) {
        let space = AddressSpace::new(MmConfig {
            frame_pool_bytes: 1 << 22,
            cache: CacheConfig {
                swap: Some(1 << 20),
                ..CacheConfig::default()
            },
            ..MmConfig::default()
        })
        .unwrap();
        let len = PAGES * PAGE_SIZE;
        let base = space
            .mmap(
                0,
                len,
                prot::READ | prot::WRITE,
                map::PRIVATE | map::ANONYMOUS,
            )
            .unwrap();
        for p in 0..PAGES {
            space
                .write_bytes(base + p * PAGE_SIZE, &[p as u8 + 1; PAGE_SIZE as usize])
                .unwrap();
        }
        (space, base)
    }

    fn slots_used(space: &AddressSpace) -> u64 {
        space.stats().total_of("swap.slots_used")
    }

    #[test]
    fn a_paged_out_page_faults_back_identical_and_gives_its_slot_back() {
        let (space, base) = filled();
        let frames = space.frames_in_use();
        space
            .madvise(base, PAGES * PAGE_SIZE, madv::PAGEOUT)
            .unwrap();
        assert!(Pte::is_swap(space.page_table().lookup(base)));
        assert_eq!(space.frames_in_use(), frames - PAGES as u32);
        assert_eq!(slots_used(&space), PAGES);
        let mut page = vec![0u8; PAGE_SIZE as usize];
        for p in 0..PAGES {
            space.read_bytes(base + p * PAGE_SIZE, &mut page).unwrap();
            assert!(page.iter().all(|&b| b == p as u8 + 1), "page {p}");
        }
        let s = space.stats();
        assert_eq!(s.total_of("swap.outs"), PAGES);
        assert_eq!(s.total_of("swap.ins"), PAGES);
        assert_eq!(slots_used(&space), 0);
    }

    #[test]
    fn munmap_and_dontneed_free_the_slots_of_swapped_pages() {
        let (space, base) = filled();
        space
            .madvise(base, PAGES * PAGE_SIZE, madv::PAGEOUT)
            .unwrap();
        let half = PAGES / 2 * PAGE_SIZE;
        space.madvise(base, half, madv::DONTNEED).unwrap();
        assert_eq!(slots_used(&space), PAGES / 2);
        let mut b = [1u8; 1];
        space.read_bytes(base, &mut b).unwrap();
        assert_eq!(b[0], 0, "DONTNEED of swapped memory reads back as zeroes");
        space.munmap(base + half, half).unwrap();
        assert_eq!(slots_used(&space), 0);
    }

    #[test]
    fn willneed_reads_swapped_pages_into_the_swap_cache_so_faults_are_minor() {
        let (space, base) = filled();
        space
            .madvise(base, PAGES * PAGE_SIZE, madv::PAGEOUT)
            .unwrap();
        space
            .madvise(base, PAGES * PAGE_SIZE, madv::WILLNEED)
            .unwrap();
        assert_eq!(space.stats().total_of("swap.ins"), PAGES);
        let majors = space.stats().total_of("faults.major");
        let mut b = [0u8; 1];
        space.read_bytes(base + 3 * PAGE_SIZE, &mut b).unwrap();
        assert_eq!(b[0], 4);
        assert_eq!(space.stats().total_of("faults.major"), majors);
        assert_eq!(space.stats().total_of("swap.ins"), PAGES);
    }

    #[test]
    fn mremap_moves_swapped_pages_with_their_slots() {
        let (space, base) = filled();
        space
            .madvise(base, PAGES * PAGE_SIZE, madv::PAGEOUT)
            .unwrap();
        let len = PAGES * PAGE_SIZE;
        let moved = space
            .mremap(base, len, 2 * len, crate::mremap::MAYMOVE, 0)
            .unwrap();
        let mut b = [0u8; 1];
        for p in 0..PAGES {
            space.read_bytes(moved + p * PAGE_SIZE + 7, &mut b).unwrap();
            assert_eq!(b[0], p as u8 + 1, "page {p}");
        }
        assert_eq!(slots_used(&space), 0);
    }

    #[test]
    fn without_swap_pageout_leaves_anonymous_memory_alone() {
        let space = AddressSpace::new(MmConfig {
            frame_pool_bytes: 1 << 22,
            ..MmConfig::default()
        })
        .unwrap();
        let base = space
            .mmap(
                0,
                PAGE_SIZE,
                prot::READ | prot::WRITE,
                map::PRIVATE | map::ANONYMOUS,
            )
            .unwrap();
        space.write_bytes(base, b"stay").unwrap();
        space.madvise(base, PAGE_SIZE, madv::PAGEOUT).unwrap();
        assert!(space.page_table().lookup(base).is_valid());
    }
}
