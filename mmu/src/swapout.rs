//! Swap-out of private anonymous memory, private file mappings' copies on write
//! included (Linux's `shrink_folio_list` for anon folios), and the madvise calls that
//! move pages towards or away from swap.
//!
//! Swapping out takes a mapped page's entry away with a compare-exchange, leaving a swap
//! entry (the slot number) in its place, puts the frame in the swap cache under a locked
//! folio, shoots down every hart's TLB, then writes the page to its slot and frees the
//! frame. Whoever takes a swap entry out of the page table — the fault that maps the
//! page back, munmap, MADV_DONTNEED — frees its slot, after waiting for any I/O on it.
//! Pages of shared anonymous memory go to swap through their object
//! ([`crate::shmem_swap`]).
//!
//! The candidates for reclaim sit on the anonymous active and inactive lists
//! ([`crate::lru`]), judged by the accessed bits of their entries; MADV_COLD moves pages
//! to the inactive tail.

use crate::caller::Caller;
use crate::folio::Folio;
use crate::frames::FrameId;
use crate::invalidate::Invalidation;
use crate::lru::{self, Look, Pass, Refs, Scanner};
use crate::mm_core::MmCore;
use crate::pagetable::{self, Pte};
use crate::shmem_swap;
use crate::stats::{Counter, HartStats};
use crate::swap::{Batch, Swap};
use crate::types::{Access, PAGE_SIZE};
use crate::vma::{Backing, Vma, VmaFlags};
use crate::vma_index::VmaView;
use std::sync::atomic::Ordering;

/// Swaps out the private anonymous page mapped at `addr` (if it still maps `frame`,
/// when given). Returns whether a frame was freed.
fn swap_out(
    space: &MmCore,
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
    // A frame someone else also holds (a copy in progress, a shared object, the page
    // cache) stays.
    if !pte.is_valid()
        || frame.is_some_and(|f| f != pte.frame())
        || space.frames().refcount(pte.frame()) != 1
    {
        return false;
    }
    let lock = |f: &Folio| space.lock_folio(caller, f);
    let Some((slot, folio)) = swap.begin_write(pte.frame(), space.frames(), lock) else {
        // Swap is full: the page stays on its list for when slots come back.
        return false;
    };
    let swapped = pte_slot
        .compare_exchange(
            pte.bits(),
            Pte::swap(slot).bits(),
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .is_ok();
    if !swapped {
        swap.abandon_write(slot, &folio);
        return false;
    }
    {
        // Before the bytes are copied: no hart may store to the frame through its TLB.
        let mut inv = Invalidation::new(space, caller);
        inv.flush = true;
        inv.code = pte.allows(Access::Exec);
    }
    swap.finish_write(slot, &folio, space.frames(), caller.io(), stats);
    true
}

/// Reclaim's share of anonymous memory: one batch of the candidates' lists, up to `nr`
/// inactive pages looked at and the unreferenced ones swapped out.
pub(crate) fn shrink(space: &MmCore, caller: &Caller, nr: usize, stats: &HartStats) -> Pass {
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
    let mut pass = lru::shrink_list(&swap.lru, &mut scanner, nr);
    if scanner.young_cleared {
        space.shootdown().flush_lazily();
    }
    // Pages read in and not mapped are younger than the mapped ones on the lists (on
    // Linux's inactive list they join at the young end): they go next, with no write.
    let want = (nr as u64).saturating_sub(pass.freed);
    let (scanned, freed) = swap.cache.shrink(space.frames(), want, nr);
    pass.scanned += scanned;
    pass.freed += freed;
    // Shared anonymous memory is not on the lists: the objects the VMAs map are scanned
    // apart.
    let want = (nr as u64).saturating_sub(pass.freed);
    let (scanned, freed) = shmem_swap::shrink(space, caller, &scanner.view, want, nr, stats);
    pass.scanned += scanned;
    pass.freed += freed;
    pass
}

/// How reclaim looks at and swaps out private anonymous pages.
struct AnonScanner<'a> {
    space: &'a MmCore,
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

/// Whether `vma`'s anonymous pages may go to swap: it is private (anonymous, or a file
/// mapping's copies on write) and not locked in memory. The page-cache pages a private
/// file mapping maps never go: the cache holds a reference to each of their frames, so
/// [`swap_out`] never finds them mapped only once.
fn swappable(vma: &Vma) -> bool {
    matches!(vma.backing, Backing::Private | Backing::File(_))
        && !vma.is_shared()
        && !vma.flags.contains(VmaFlags::LOCKED)
        && !vma.flags.contains(VmaFlags::LOCKONFAULT)
}

/// After mremap moved the page mapping `frame` to `addr` in `vma` (the moved range's new
/// VMA): the page is a reclaim candidate at its new address (its old entry on the lists
/// is stale and goes when next looked at).
pub(crate) fn note_moved(space: &MmCore, vma: &Vma, addr: u64, frame: FrameId) {
    if let Some(swap) = space.swap().filter(|_| swappable(vma)) {
        swap.note_mapped(addr, frame);
    }
}

/// MADV_PAGEOUT of the anonymous pages of `vma`'s part `[start, end)`.
pub(crate) fn page_out(space: &MmCore, caller: &Caller, vma: &Vma, start: u64, end: u64) {
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
pub(crate) fn deactivate(space: &MmCore, vma: &Vma, start: u64, end: u64) {
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
/// the swapped-out pages into the swap cache, without waiting (the caller then
/// reclaims what they take over the limit).
pub(crate) fn will_need(space: &MmCore, caller: &Caller, vma: &Vma, start: u64, end: u64) {
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
    let mut batch = Batch::default();
    for slot in slots {
        if batch.add(swap, space.frames(), slot, false).is_none() {
            break;
        }
    }
    batch.submit(swap, space.frames(), caller.io(), stats);
}

#[cfg(test)]
mod tests {
    use crate::pagecache::tests::{small_space, MemFile};
    use crate::pagecache::CacheConfig;
    use crate::pagetable::Pte;
    use crate::space::AddressSpace;
    use crate::types::{madv, map, prot, PAGE_SIZE};
    use std::sync::Arc;

    const PAGES: u64 = 16;

    /// A space with swap and `PAGES` private anonymous pages, each filled with its own
    /// byte.
    fn filled() -> (Arc<AddressSpace>, u64) {
        filled_pages(PAGES, None)
    }

    /// A space with swap, a memory limit of `limit` bytes if any, and `pages` private
    /// anonymous pages, page `p` filled with byte `p + 1`.
    fn filled_pages(pages: u64, limit: Option<u64>) -> (Arc<AddressSpace>, u64) {
        let space = small_space(CacheConfig {
            swap: Some(1 << 20),
            mem_limit: limit,
            ..CacheConfig::default()
        });
        let len = pages * PAGE_SIZE;
        let base = space
            .mmap(
                0,
                len,
                prot::READ | prot::WRITE,
                map::PRIVATE | map::ANONYMOUS,
            )
            .unwrap();
        for p in 0..pages {
            space
                .write_bytes(base + p * PAGE_SIZE, &[p as u8 + 1; PAGE_SIZE as usize])
                .unwrap();
        }
        (space, base)
    }

    /// Reads page `p` of the region at `base` and checks it holds its own byte.
    fn check_page(space: &AddressSpace, base: u64, p: u64) {
        let mut page = vec![0u8; PAGE_SIZE as usize];
        space.read_bytes(base + p * PAGE_SIZE, &mut page).unwrap();
        assert!(page.iter().all(|&b| b == p as u8 + 1), "page {p}");
    }

    fn total(space: &AddressSpace, name: &str) -> u64 {
        space.stats().total_of(name)
    }

    #[test]
    fn a_sequential_reader_of_swapped_memory_hits_pages_read_ahead() {
        let pages = 64;
        let (space, base) = filled_pages(pages, None);
        space
            .madvise(base, pages * PAGE_SIZE, madv::PAGEOUT)
            .unwrap();
        let majors = total(&space, "faults.major");
        for p in 0..pages {
            check_page(&space, base, p);
        }
        let majors = total(&space, "faults.major") - majors;
        let (ra, hits) = (total(&space, "swap.ra"), total(&space, "swap.ra_hits"));
        // Windows of 1, 2, 4, then 8: a major fault per window.
        assert!(majors <= pages / 8 + 4, "{majors} major faults");
        assert_eq!(majors + ra, pages, "every page read once");
        assert_eq!(hits, ra, "every page read ahead was used");
        assert_eq!(total(&space, "swap.ins"), pages);
        // Paged out in order, the pages sit in consecutive slots: a window is one read.
        assert_eq!(total(&space, "swap.io.reads"), majors);
        assert_eq!(slots_used(&space), 0);
    }

    #[test]
    fn the_read_ahead_window_shrinks_when_access_turns_random() {
        let pages = 128;
        let (space, base) = filled_pages(pages, None);
        space
            .madvise(base, pages * PAGE_SIZE, madv::PAGEOUT)
            .unwrap();
        for p in 0..32 {
            check_page(&space, base, p);
        }
        let ra = total(&space, "swap.ra");
        // Far apart, never next to the last fault: windows 4, 2, 1, 1, ...
        let order = [100, 40, 70, 55, 120, 85, 64, 110];
        for &p in &order {
            check_page(&space, base, p);
        }
        let ra = total(&space, "swap.ra") - ra;
        assert!(ra <= 3 + 1, "{ra} pages read ahead of random faults");
        let ra = total(&space, "swap.ra");
        check_page(&space, base, 90);
        assert_eq!(
            total(&space, "swap.ra"),
            ra,
            "the window is down to one page"
        );
    }

    #[test]
    fn pages_read_ahead_and_never_used_are_reclaimed_without_writes() {
        let pages = 64;
        let limit = 16;
        let (space, base) = filled_pages(pages, Some(limit * PAGE_SIZE));
        space
            .madvise(base, pages * PAGE_SIZE, madv::PAGEOUT)
            .unwrap();
        let outs = total(&space, "swap.outs");
        space
            .madvise(base, pages * PAGE_SIZE, madv::WILLNEED)
            .unwrap();
        // The reads complete asynchronously; the background reclaimer then drops what
        // is over the limit.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while u64::from(space.frames_in_use()) > limit && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(u64::from(space.frames_in_use()) <= limit);
        assert_eq!(
            total(&space, "swap.outs"),
            outs,
            "clean pages need no write"
        );
        assert_eq!(slots_used(&space), pages);
        for p in 0..pages {
            check_page(&space, base, p);
        }
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
        assert!(Pte::is_swap(space.core().page_table().lookup(base)));
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
    fn pages_moved_by_mremap_stay_reclaim_candidates() {
        // A limit the pages fit in: nothing is reclaimed before the move.
        let (space, base) = filled_pages(PAGES, Some(2 << 20));
        let len = PAGES * PAGE_SIZE;
        // A neighbour right behind the range, so that growing it must move it.
        let rw = prot::READ | prot::WRITE;
        let fixed = map::PRIVATE | map::ANONYMOUS | map::FIXED;
        space.mmap(base + len, PAGE_SIZE, rw, fixed).unwrap();
        let moved = space
            .mremap(base, len, 2 * len, crate::types::mremap::MAYMOVE, 0)
            .unwrap();
        assert_ne!(moved, base);
        let caller = space.core().caller();
        // Young pages are activated first and aged on the next passes.
        for _ in 0..16 {
            super::shrink(space.core(), &caller, 64, space.core().stats_of(&caller));
        }
        assert_eq!(
            total(&space, "swap.outs"),
            PAGES,
            "moved pages never reclaimed"
        );
        let mut b = [0u8; 1];
        for p in 0..PAGES {
            space.read_bytes(moved + p * PAGE_SIZE + 7, &mut b).unwrap();
            assert_eq!(b[0], p as u8 + 1, "page {p}");
        }
    }

    #[test]
    fn mremap_moves_swapped_pages_with_their_slots() {
        let (space, base) = filled();
        space
            .madvise(base, PAGES * PAGE_SIZE, madv::PAGEOUT)
            .unwrap();
        let len = PAGES * PAGE_SIZE;
        let moved = space
            .mremap(base, len, 2 * len, crate::types::mremap::MAYMOVE, 0)
            .unwrap();
        let mut b = [0u8; 1];
        for p in 0..PAGES {
            space.read_bytes(moved + p * PAGE_SIZE + 7, &mut b).unwrap();
            assert_eq!(b[0], p as u8 + 1, "page {p}");
        }
        assert_eq!(slots_used(&space), 0);
    }

    /// A space with swap and a memory limit of `limit` bytes if any, and a private
    /// writable mapping of a patterned file of `pages` pages (at the returned address).
    fn private_file(pages: u64, limit: Option<u64>) -> (Arc<AddressSpace>, Arc<MemFile>, u64) {
        let space = small_space(CacheConfig {
            swap: Some(1 << 20),
            mem_limit: limit,
            ..CacheConfig::default()
        });
        let data = MemFile::patterned(pages);
        let file = space.page_cache().file((5, 5), data.clone());
        let rw = prot::READ | prot::WRITE;
        let base = space
            .mmap_file(0, pages * PAGE_SIZE, rw, map::PRIVATE, file, 0)
            .unwrap();
        (space, data, base)
    }

    /// Page `p` as a private mapping of `file` shows it: the file's bytes, with `mark`
    /// as its first byte when it was written.
    fn expect_page(file: &[u8], p: u64, mark: Option<u8>) -> Vec<u8> {
        let start = (p * PAGE_SIZE) as usize;
        let mut page = file[start..start + PAGE_SIZE as usize].to_vec();
        if let Some(m) = mark {
            page[0] = m;
        }
        page
    }

    fn read_page(space: &AddressSpace, base: u64, p: u64) -> Vec<u8> {
        let mut page = vec![0u8; PAGE_SIZE as usize];
        space.read_bytes(base + p * PAGE_SIZE, &mut page).unwrap();
        page
    }

    #[test]
    fn copies_on_write_of_a_private_file_mapping_go_to_swap_and_cache_pages_never_do() {
        let (space, data, base) = private_file(PAGES, None);
        let original = data.0.lock().clone();
        // Even pages copied on write, odd pages mapped from the page cache.
        for p in 0..PAGES {
            match p % 2 {
                0 => space
                    .write_bytes(base + p * PAGE_SIZE, &[p as u8 | 0x80])
                    .unwrap(),
                _ => drop(read_page(&space, base, p)),
            }
        }
        space
            .madvise(base, PAGES * PAGE_SIZE, madv::PAGEOUT)
            .unwrap();
        for p in 0..PAGES {
            let pte = space.core().page_table().lookup(base + p * PAGE_SIZE);
            assert_eq!(pte.is_swap(), p % 2 == 0, "page {p}: {pte:?}");
        }
        assert_eq!(total(&space, "swap.outs"), PAGES / 2);
        assert_eq!(slots_used(&space), PAGES / 2);
        for p in (0..PAGES).rev() {
            let mark = (p % 2 == 0).then_some(p as u8 | 0x80);
            assert_eq!(read_page(&space, base, p), expect_page(&original, p, mark));
        }
        assert_eq!(slots_used(&space), 0);
        assert!(total(&space, "swap.ins") == PAGES / 2);
        assert_eq!(*data.0.lock(), original, "copies never reach the file");
    }

    #[test]
    fn dontneed_and_munmap_free_the_slots_of_swapped_copies() {
        let (space, data, base) = private_file(PAGES, None);
        let original = data.0.lock().clone();
        for p in 0..PAGES {
            space.write_bytes(base + p * PAGE_SIZE, b"copy").unwrap();
        }
        let len = PAGES * PAGE_SIZE;
        space.madvise(base, len, madv::PAGEOUT).unwrap();
        assert_eq!(slots_used(&space), PAGES);
        space.madvise(base, len / 2, madv::DONTNEED).unwrap();
        assert_eq!(slots_used(&space), PAGES / 2);
        // Dropped copies read the file again; the rest come back from swap.
        assert_eq!(read_page(&space, base, 1), expect_page(&original, 1, None));
        let mut b = [0u8; 4];
        space.read_bytes(base + len / 2, &mut b).unwrap();
        assert_eq!(&b, b"copy");
        space.munmap(base, len).unwrap();
        assert_eq!(slots_used(&space), 0);
    }

    #[test]
    fn copies_on_write_beyond_the_memory_limit_survive_swap() {
        let (pages, limit) = (96, 24);
        let (space, data, base) = private_file(pages, Some(limit * PAGE_SIZE));
        let original = data.0.lock().clone();
        for p in 0..pages {
            space.write_bytes(base + p * PAGE_SIZE, &[p as u8]).unwrap();
        }
        assert!(
            total(&space, "swap.outs") >= pages - limit,
            "copies went to swap: {}",
            total(&space, "swap.outs")
        );
        assert!(u64::from(space.frames_in_use()) <= limit);
        for p in 0..pages {
            assert_eq!(
                read_page(&space, base, p),
                expect_page(&original, p, Some(p as u8)),
                "page {p}"
            );
        }
        assert_eq!(*data.0.lock(), original);
    }

    #[test]
    fn without_swap_pageout_leaves_anonymous_memory_alone() {
        let space = small_space(CacheConfig::default());
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
        assert!(space.core().page_table().lookup(base).is_valid());
    }
}
