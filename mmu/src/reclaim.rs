//! Reclaim of page-cache pages, keeping an address space under its memory limit
//! (`--mem-limit`).
//!
//! Background reclaim (kswapd) frees pages once resident memory passes the low
//! watermark, down to the high one. Direct reclaim: a thread that has just started
//! reading pages into the cache while the space is over its limit frees as many cached
//! pages as it is over. Either takes the oldest pages first, with a second chance for
//! pages referenced since they were last looked at (a CLOCK over one list rather than
//! Linux's active and inactive lists). A victim is unmapped from every VMA of its file
//! ([`rmap`]), the TLBs are shot down, a dirty page is written back, and only a page
//! nobody else maps any more leaves the cache. A thread that waited for that page
//! meanwhile finds it no longer up to date and looks it up again: the retry that reads
//! it a second time counts `faults.retry_io_miss`. With swap configured, what is still
//! wanted once no file page can go is taken from private anonymous memory ([`swap`]);
//! without it anonymous memory is never reclaimed.

use crate::pagecache::{CachedFile, LruEntry, Watermark};
use crate::rmap;
use crate::space::{AddressSpace, Caller};
use crate::stats::{Counter, HartStats};
use crate::swap;
use crate::vma::{Backing, Vma};
use crate::writeback;
use devices::storage::IoPriority;
use devices::Parker;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Pages reclaim looks at per page it must free, at most (the rest are locked,
/// referenced or still mapped).
const SCAN_PER_PAGE: u64 = 4;

/// How often the background reclaimer looks even when not woken, and notices that its
/// address space is gone.
const KSWAPD_PERIOD: Duration = Duration::from_millis(50);

/// Direct reclaim: frees cached pages until the space is no longer over its memory
/// limit, or the scan budget is spent.
pub(crate) fn direct(space: &AddressSpace, caller: &Caller, stats: &HartStats) {
    let want = space.page_cache().frames_over_limit();
    if want > 0 {
        shrink(space, caller, want, stats);
    }
}

/// Starts the background reclaimer (Linux's kswapd) of `space`: woken when resident
/// memory rises above the low watermark, it frees cached pages down to the high one.
/// Its work is counted on no hart. It ends once the space is gone.
pub(crate) fn spawn_kswapd(space: &Arc<AddressSpace>) -> std::io::Result<()> {
    let wake = space.page_cache().kswapd_wake();
    let weak = Arc::downgrade(space);
    std::thread::Builder::new()
        .name("kswapd".into())
        .spawn(move || kswapd(&weak, &wake))
        .map(drop)
}

fn kswapd(space: &Weak<AddressSpace>, wake: &Parker) {
    loop {
        wake.park_timeout(KSWAPD_PERIOD);
        let Some(space) = space.upgrade() else {
            return;
        };
        let want = space.page_cache().frames_over(Watermark::High);
        if want > 0 {
            let caller = space.caller();
            shrink(&space, &caller, want, space.stats_of(&caller));
        }
    }
}

/// Frees up to `want` cached pages, oldest unreferenced first, within a scan budget.
fn shrink(space: &AddressSpace, caller: &Caller, mut want: u64, stats: &HartStats) {
    let cache = space.page_cache();
    let (tid, priority) = caller.io();
    let mut budget = (want * SCAN_PER_PAGE + 32) as usize;
    while want > 0 && budget > 0 {
        let (scanned, victim) = cache.next_victim(budget);
        budget -= scanned;
        stats.add(Counter::ReclaimScanned, scanned as u64);
        let Some(page) = victim else {
            break;
        };
        if evict(space, caller, page, tid, priority) {
            stats.add(Counter::ReclaimReclaimed, 1);
            want -= 1;
        }
    }
    // File pages first: they cost no write unless dirty; then anonymous ones (with swap).
    let (scanned, freed) = swap::shrink(space, caller, want, budget, stats);
    stats.add(Counter::ReclaimScanned, scanned as u64);
    stats.add(Counter::ReclaimReclaimed, freed);
}

/// Takes the locked page out of the cache: unmaps it everywhere, writes it back if
/// dirty, and drops it if nobody maps it any more. Unlocks it either way; a page that
/// stays goes back on the list. Returns whether it was dropped.
fn evict(
    space: &AddressSpace,
    caller: &Caller,
    page: LruEntry,
    tid: u32,
    priority: IoPriority,
) -> bool {
    let cache = space.page_cache();
    let (file, pgoff, folio) = (&page.file, page.pgoff, &page.folio);
    rmap::unmap(space, caller, file, pgoff, folio);
    let only_cached = space.frames().refcount(folio.frame()) == 1;
    // Unmapped already: nothing left to write-protect.
    if !only_cached || writeback::write_page(space, file, pgoff, folio, tid, priority).is_err() {
        folio.unlock();
        cache.keep(page);
        return false;
    }
    folio.evict();
    file.forget(pgoff, folio);
    folio.unlock();
    true
}

/// MADV_PAGEOUT of the file pages of `vma`'s part `[start, end)`: reclaims each cached
/// page that is not locked, as reclaim would.
pub(crate) fn page_out(space: &AddressSpace, caller: &Caller, vma: &Vma, start: u64, end: u64) {
    let Backing::File(file) = &vma.backing else {
        return;
    };
    let stats = space.stats_of(caller);
    let (tid, priority) = caller.io();
    for pgoff in vma.pgoff_of(start)..vma.pgoff_of(end - 1) + 1 {
        stats.add(Counter::ReclaimScanned, 1);
        let Some(folio) = file.lookup(pgoff).filter(|f| f.try_lock()) else {
            continue;
        };
        let page = LruEntry {
            file: file.clone(),
            pgoff,
            folio,
        };
        if evict(space, caller, page, tid, priority) {
            stats.add(Counter::ReclaimReclaimed, 1);
        }
    }
}

/// After the file shrank (ftruncate): drops the cached pages wholly past its new end,
/// dirty or not, unmapping them first, so that a later access to them is SIGBUS.
pub(crate) fn truncate(space: &AddressSpace, caller: &Caller, file: &Arc<CachedFile>) {
    let Ok(end) = file.size_pages() else {
        return;
    };
    for (pgoff, folio) in file.pages_from(end) {
        folio.lock();
        rmap::unmap(space, caller, file, pgoff, &folio);
        folio.evict();
        file.forget(pgoff, &folio);
        folio.unlock();
    }
}

/// MADV_COLD of the file pages of `vma`'s part `[start, end)`: they lose their
/// referenced bit, so reclaim takes them first.
pub(crate) fn deactivate(vma: &Vma, start: u64, end: u64) {
    let Backing::File(file) = &vma.backing else {
        return;
    };
    for pgoff in vma.pgoff_of(start)..vma.pgoff_of(end - 1) + 1 {
        if let Some(f) = file.lookup(pgoff) {
            f.test_and_clear_referenced();
        }
    }
}
