//! Reclaim of page-cache pages, keeping an address space under its memory limit
//! (`--mem-limit`).
//!
//! Direct reclaim: a thread that has just started reading pages into the cache while the
//! space is over its limit frees as many cached pages as it is over, oldest first, with
//! a second chance for pages referenced since they were last looked at (a CLOCK over
//! one list rather than Linux's active and inactive lists). A victim is unmapped from
//! every VMA of its file (found through the lock-free VMA snapshot, as rmap would), the
//! TLBs are shot down, a dirty page is written back, and only a page nobody else maps
//! any more leaves the cache. A thread that waited for that page meanwhile finds it no
//! longer up to date and looks it up again: the retry that reads it a second time counts
//! `faults.retry_io_miss`. Anonymous memory is not reclaimed (there is no swap).

use crate::folio::Folio;
use crate::invalidate::Invalidation;
use crate::pagecache::CachedFile;
use crate::pagetable::Pte;
use crate::space::{AddressSpace, Caller};
use crate::stats::{Counter, HartStats};
use crate::vma::Backing;
use crate::vma_index::VmaView;
use crate::PAGE_SIZE;
use devices::storage::IoPriority;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Pages reclaim looks at per page it must free, at most (the rest are locked,
/// referenced or still mapped).
const SCAN_PER_PAGE: u64 = 4;

/// Frees cached pages until the space is no longer over its memory limit, or the
/// scan budget is spent.
pub(crate) fn direct(space: &AddressSpace, caller: &Caller, stats: &HartStats) {
    let cache = space.page_cache();
    let mut want = cache.frames_over_limit();
    if want == 0 {
        return;
    }
    let (tid, priority) = caller
        .hart()
        .map_or((0, IoPriority::DEFAULT), |h| (h.tid, h.io_priority()));
    let mut view = VmaView::default();
    space.vma_index().refresh(&mut view);
    let mut budget = (want * SCAN_PER_PAGE + 32) as usize;
    while want > 0 && budget > 0 {
        let (scanned, victim) = cache.next_victim(budget);
        budget -= scanned;
        stats.add(Counter::ReclaimScanned, scanned as u64);
        let Some(page) = victim else {
            break;
        };
        let (file, pgoff, folio) = (&page.file, page.pgoff, &page.folio);
        unmap_everywhere(space, caller, &view, file, pgoff, folio);
        let only_cached = space.frames().refcount(folio.frame()) == 1;
        if !only_cached
            || cache
                .write_folio(file, pgoff, folio, tid, priority)
                .is_err()
        {
            folio.unlock();
            cache.keep(page);
            continue;
        }
        folio.evict();
        file.forget(pgoff, folio);
        folio.unlock();
        stats.add(Counter::ReclaimReclaimed, 1);
        want -= 1;
    }
}

/// Clears every entry that maps `folio` (page `pgoff` of `file`) in the VMAs of `view`;
/// the frame references they held go once the TLBs are shot down.
fn unmap_everywhere(
    space: &AddressSpace,
    caller: &Caller,
    view: &VmaView,
    file: &Arc<CachedFile>,
    pgoff: u64,
    folio: &Folio,
) {
    let mut inv = Invalidation::new(space, caller);
    for vma in view.nodes().iter().map(|n| n.vma()) {
        let Backing::File(f) = &vma.backing else {
            continue;
        };
        let pages = vma.len() / PAGE_SIZE;
        if !Arc::ptr_eq(f, file) || pgoff < vma.pgoff || pgoff >= vma.pgoff + pages {
            continue;
        }
        let addr = vma.start + (pgoff - vma.pgoff) * PAGE_SIZE;
        let slot = space.page_table().slot_or_alloc(addr);
        let pte = Pte::from_bits(slot.load(Ordering::Acquire));
        // A private copy maps another frame and stays.
        if pte.is_valid()
            && pte.frame() == folio.frame()
            && slot
                .compare_exchange(pte.bits(), 0, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            inv.code |= pte.allows(crate::Access::Exec);
            inv.release_after_flush(pte.frame());
        }
    }
}
