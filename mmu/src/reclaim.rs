//! Reclaim of page-cache pages, keeping an address space under its memory limit
//! (`--mem-limit`).
//!
//! Direct reclaim: a thread that has just started reading pages into the cache while the
//! space is over its limit frees as many cached pages as it is over, oldest first, with
//! a second chance for pages referenced since they were last looked at (a CLOCK over
//! one list rather than Linux's active and inactive lists). A victim is unmapped from
//! every VMA of its file ([`rmap`]), the TLBs are shot down, a dirty page is written
//! back, and only a page nobody else maps any more leaves the cache. A thread that waited for that page meanwhile finds it no
//! longer up to date and looks it up again: the retry that reads it a second time counts
//! `faults.retry_io_miss`. Anonymous memory is not reclaimed (there is no swap).

use crate::rmap;
use crate::space::{AddressSpace, Caller};
use crate::stats::{Counter, HartStats};
use devices::storage::IoPriority;

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
    let mut budget = (want * SCAN_PER_PAGE + 32) as usize;
    while want > 0 && budget > 0 {
        let (scanned, victim) = cache.next_victim(budget);
        budget -= scanned;
        stats.add(Counter::ReclaimScanned, scanned as u64);
        let Some(page) = victim else {
            break;
        };
        let (file, pgoff, folio) = (&page.file, page.pgoff, &page.folio);
        rmap::unmap(space, caller, file, pgoff, folio);
        let only_cached = space.frames().refcount(folio.frame()) == 1;
        if !only_cached
            || cache
                .write_folio(file, pgoff, folio, tid, priority, &|_, _, _| {})
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
