//! Reclaim of page-cache pages and (with swap) private anonymous pages, keeping an
//! address space under its memory limit (`--mem-limit`).
//!
//! Background reclaim (kswapd) frees pages once resident memory passes the low
//! watermark, down to the high one. Direct reclaim: a thread that has just started
//! reading pages into the cache (or mapped an anonymous page) while the space is over
//! its limit frees as many pages as it is over. Either drives the active and inactive
//! lists of each kind ([`lru`]), splitting its scan between file and anonymous pages as
//! Linux's `get_scan_count` does with swappiness 60: only file pages while the inactive
//! file list is long enough to cover the scan (or without swap), otherwise both in
//! proportion to their sizes, anonymous pages weighing 60 against file pages' 140.
//!
//! A file victim is unmapped from every VMA of its file ([`rmap`]), the TLBs are shot
//! down, a dirty page is written back, and only a page nobody else maps any more leaves
//! the cache. A thread that waited for that page meanwhile finds it no longer up to date
//! and looks it up again: the retry that reads it a second time counts
//! `faults.retry_io_miss`. Anonymous victims go to swap ([`swap`]); without swap
//! anonymous memory is never reclaimed.

use crate::caller::Caller;
use crate::current;
use crate::frames::FramePool;
use crate::lru::{self, Look, Lru, Pass, Refs, Scanner, BATCH};
use crate::machine::MachineMemory;
use crate::mm_core::{Cx, MmCore};
use crate::pagecache::{CachedFile, LruEntry, LruSlot, Watermark};
use crate::pagetable;
use crate::rmap;
use crate::stats::{Counter, Daemon, HartStats};
use crate::swapout;
use crate::vma::{Backing, Vma};
use crate::writeback;
use devices::cast::u64_to_usize;
use devices::storage::IoPriority;
use devices::trace::{self, catalog, Owner, TraceArg, TraceValue};
use devices::{Cost, Parker, SharedClock, TaskKind};
use parking_lot::Mutex;
use std::sync::{Arc, Weak};

/// Inactive pages reclaim looks at per page it must free, at most (the rest are locked,
/// referenced or still mapped).
const SCAN_PER_PAGE: u64 = 4;

/// Linux's default `vm.swappiness`: the weight of anonymous pages against file pages'
/// `200 - SWAPPINESS` when reclaim splits its scan.
const SWAPPINESS: u64 = 60;

/// Where the file and the anonymous share sit in a scan split.
const FILE: usize = 0;
const ANON: usize = 1;

/// How often the background reclaimer looks even when not woken, and notices that its
/// address space is gone.
const KSWAPD_PERIOD_NS: u64 = 50_000_000;

/// Direct reclaim: frees cached pages until the space is no longer over its memory
/// limit, or the scan budget is spent.
pub(crate) fn direct(cx: Cx<'_>) {
    let want = cx.core.page_cache().frames_over_limit();
    if want > 0 {
        let freed = shrink(cx, want);
        tracing::trace!(target: "faultline::reclaim", want, freed, "direct reclaim");
    }
}

/// Starts the background reclaimer (Linux's kswapd) of `machine`: woken when resident
/// memory rises above the low watermark, it frees cached pages down to the high one.
/// Its work is counted as the `kswapd` daemon's. It ends once the machine is gone.
pub(crate) fn spawn_kswapd(machine: &Arc<MachineMemory>) -> std::io::Result<()> {
    let wake = machine.page_cache().kswapd_wake();
    let clock = machine.config().clock.clone();
    let weak = Arc::downgrade(machine);
    let builder = std::thread::Builder::new().name("kswapd".into());
    let recorder = trace::current();
    devices::spawn_task(
        &machine.config().clock,
        builder,
        "kswapd",
        TaskKind::Daemon,
        move || {
            if let Some(r) = recorder {
                r.attach(Owner::Daemon(Daemon::Kswapd.name()));
            }
            kswapd(&weak, &clock, &wake);
        },
    )
    .map(drop)
}

fn kswapd(machine: &Weak<MachineMemory>, clock: &SharedClock, wake: &Parker) {
    current::become_daemon(Daemon::Kswapd);
    // Whether the last pass left memory above the high watermark: only then is the
    // periodic wake-up work, not an idle one.
    let mut behind = false;
    loop {
        let deadline = clock.now_ns() + KSWAPD_PERIOD_NS;
        if behind {
            clock.park_until(wake, deadline);
        } else {
            clock.park_idle_until(wake, deadline);
        }
        let Some(machine) = machine.upgrade() else {
            return;
        };
        // The pass acts for the oldest space: its work reaches every space's pages.
        let Some(space) = machine.first_space::<MmCore>() else {
            behind = false;
            continue;
        };
        let want = space.page_cache().frames_over(Watermark::High);
        if want > 0 {
            let caller = space.caller();
            let freed = shrink(space.cx(&caller), want);
            tracing::debug!(target: "faultline::reclaim", want, freed, "kswapd pass");
        }
        behind = space.page_cache().frames_over(Watermark::High) > 0;
    }
}

/// Frees up to `want` pages from the inactive lists, within a scan budget, in batches
/// alternating between file and anonymous pages; returns the pages it freed.
fn shrink(cx: Cx<'_>, want: u64) -> u64 {
    let Cx {
        core: space,
        caller,
        stats,
    } = cx;
    let generation = space.machine_generation();
    let file_lru = space.page_cache().lru();
    let anon_lru = space.swap().map(|s| s.candidates());
    file_lru.lock().rescue_unevictable(generation);
    if let Some(l) = anon_lru {
        l.lock().rescue_unevictable(generation);
    }
    let budget = want * SCAN_PER_PAGE + BATCH as u64;
    let mut nr = scan_targets(file_lru, anon_lru, budget);
    let mut left = want;
    let mut freed = 0;
    let mut scanned = 0;
    trace::begin(catalog::RECLAIM, &[]);
    while left > 0 && nr.iter().any(|&n| n > 0) {
        for (kind, other) in [(FILE, ANON), (ANON, FILE)] {
            if nr[kind] == 0 || left == 0 {
                continue;
            }
            let n = nr[kind].min(BATCH as u64);
            let pass = match kind {
                FILE => shrink_file(space, caller, u64_to_usize(n)),
                _ => swapout::shrink(cx, u64_to_usize(n)),
            };
            nr[kind] -= n;
            if pass.scanned == 0 {
                // Nothing left on this kind's lists: the other kind takes its share
                // (anonymous pages only with swap).
                if other == FILE || anon_lru.is_some() {
                    nr[other] += nr[kind];
                }
                nr[kind] = 0;
            }
            left = left.saturating_sub(pass.freed);
            freed += pass.freed;
            scanned += pass.scanned as u64;
            count(space, stats, pass);
        }
    }
    trace::end(&[
        TraceArg::new(catalog::SCANNED, TraceValue::Uint(scanned)),
        TraceArg::new(catalog::RECLAIMED, TraceValue::Uint(freed)),
    ]);
    trace_memory(space.frames());
    freed
}

/// Records the frame pool's use on the trace's memory counter tracks.
pub(crate) fn trace_memory(frames: &FramePool) {
    let used = frames.in_use();
    trace::counter(catalog::COUNTER_RESIDENT, i64::from(used));
    trace::counter(
        catalog::COUNTER_FREE_FRAMES,
        i64::from(frames.capacity().saturating_sub(used)),
    );
}

/// Adds what a pass did to the counters, and charges its scan: isolating each page
/// looked at from its LRU list is one lock operation (evicting one costs more, charged
/// where it happens: the folio lock, the shootdown, the write-back's request).
fn count(space: &MmCore, stats: &HartStats, pass: Pass) {
    space.clock().charge(Cost::Lock, pass.scanned as u64);
    stats.add(Counter::ReclaimScanned, pass.scanned as u64);
    stats.add(Counter::ReclaimReclaimed, pass.freed);
    stats.add(Counter::ReclaimActivated, pass.activated);
    stats.add(Counter::ReclaimDeactivated, pass.deactivated);
}

/// How many inactive pages of each kind to look at among `budget`, indexed by [`FILE`]
/// and [`ANON`].
fn scan_targets<A>(
    file: &Mutex<Lru<LruSlot>>,
    anon: Option<&Mutex<Lru<A>>>,
    budget: u64,
) -> [u64; 2] {
    let Some(anon) = anon else {
        return [budget, 0];
    };
    let (file_len, plenty) = {
        let f = file.lock();
        let plenty = !f.inactive_is_low() && f.inactive_len() as u64 >= budget;
        (f.len() as u64, plenty)
    };
    let anon_len = anon.lock().len() as u64;
    if plenty || anon_len == 0 {
        return [budget, 0];
    }
    let (ap, fp) = (SWAPPINESS * anon_len, (200 - SWAPPINESS) * file_len);
    let anon_nr = budget * ap / (ap + fp);
    [budget - anon_nr, anon_nr]
}

/// One batch of the page cache's lists: up to `nr` inactive pages looked at.
fn shrink_file(space: &MmCore, caller: &Caller, nr: usize) -> Pass {
    let (tid, priority) = caller.io();
    let mut scanner = FileScanner {
        space,
        caller,
        tid,
        priority,
        young_cleared: false,
    };
    let pass = lru::shrink_list(space.page_cache().lru(), &mut scanner, nr);
    if scanner.young_cleared {
        space.flush_machine_lazily();
    }
    pass
}

/// How reclaim looks at and frees page-cache pages.
struct FileScanner<'a> {
    space: &'a MmCore,
    caller: &'a Caller,
    tid: u32,
    priority: IoPriority,
    /// Whether an accessed bit was cleared: the TLBs must then be flushed so hot pages
    /// set theirs again.
    young_cleared: bool,
}

impl Scanner for FileScanner<'_> {
    type Page = LruSlot;
    const ANON: bool = false;

    fn look(&mut self, slot: &LruSlot) -> Look {
        let Some(page) = slot.cached() else {
            return Look::Gone;
        };
        let m = rmap::referenced(self.space, &page.file, page.pgoff, &page.folio);
        if m.locked {
            return Look::Unevictable;
        }
        self.young_cleared |= m.young > 0;
        let (referenced, active) = page.folio.take_lru_flags();
        Look::Present(Refs {
            young: m.young,
            exec: m.exec,
            referenced,
            active,
        })
    }

    fn set_flags(&mut self, slot: &LruSlot, referenced: bool, active: bool) {
        slot.folio.set_lru_flags(referenced, active);
    }

    fn reclaim(&mut self, slot: &LruSlot) -> bool {
        match slot.cached() {
            Some(page) if page.folio.try_lock(self.space.clock().as_ref()) => {
                evict(self.space, self.caller, page, self.tid, self.priority)
            }
            _ => false,
        }
    }
}

/// Takes the locked page out of the cache: unmaps it everywhere, writes it back if
/// dirty, and drops it if nobody maps it any more. Unlocks it either way. Returns
/// whether it was dropped.
fn evict(space: &MmCore, caller: &Caller, page: LruEntry, tid: u32, priority: IoPriority) -> bool {
    let (file, pgoff, folio) = (&page.file, page.pgoff, &page.folio);
    rmap::unmap(space, caller, file, pgoff, folio);
    let only_cached = space.frames().refcount(folio.frame()) == 1;
    // Unmapped already: nothing left to write-protect.
    if !only_cached || writeback::write_page(space, file, pgoff, folio, tid, priority).is_err() {
        folio.unlock();
        return false;
    }
    folio.evict();
    file.forget(pgoff, folio);
    folio.unlock();
    true
}

/// MADV_PAGEOUT of the file pages of `vma`'s part `[start, end)`: reclaims each cached
/// page that is not locked, as reclaim would.
pub(crate) fn page_out(space: &MmCore, caller: &Caller, vma: &Vma, start: u64, end: u64) {
    let Backing::File(file) = &vma.backing else {
        return;
    };
    let stats = space.stats_of(caller);
    let (tid, priority) = caller.io();
    for pgoff in vma.pgoff_of(start)..vma.pgoff_of(end - 1) + 1 {
        stats.add(Counter::ReclaimScanned, 1);
        let Some(folio) = file
            .lookup(pgoff)
            .filter(|f| f.try_lock(space.clock().as_ref()))
        else {
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

/// `echo 1 > /proc/sys/vm/drop_caches` (Linux's `invalidate_mapping_pages` over every
/// file): drops each cached page that is up to date, clean, not under write-back, not
/// locked and mapped by nobody; the others stay. Returns the pages dropped.
pub(crate) fn drop_clean(space: &MmCore) -> u64 {
    let mut dropped = 0;
    for file in space.page_cache().files() {
        for (pgoff, folio) in file.pages_from(0) {
            if !folio.try_lock(space.clock().as_ref()) {
                continue;
            }
            let clean = folio.is_uptodate() && !folio.needs_sync();
            if clean && space.frames().refcount(folio.frame()) == 1 {
                folio.evict();
                file.forget(pgoff, &folio);
                dropped += 1;
            }
            folio.unlock();
        }
    }
    trace_memory(space.frames());
    dropped
}

/// After the file shrank (ftruncate): drops the cached pages wholly past its new end,
/// dirty or not, unmapping them first, so that a later access to them is SIGBUS.
pub(crate) fn truncate(space: &MmCore, caller: &Caller, file: &Arc<CachedFile>) {
    let Ok(end) = file.size_pages() else {
        return;
    };
    for (pgoff, folio) in file.pages_from(end) {
        folio.lock(space.clock().as_ref());
        rmap::unmap(space, caller, file, pgoff, &folio);
        folio.evict();
        file.forget(pgoff, &folio);
        folio.unlock();
    }
}

/// MADV_COLD of `vma`'s part `[start, end)` (Linux's `madvise_cold`): the accessed bits
/// of its entries are cleared and its file pages lose their referenced and active flags
/// and go to the inactive tail, so reclaim takes them first. Its anonymous pages follow
/// in [`swapout::deactivate`].
pub(crate) fn deactivate(space: &MmCore, vma: &Vma, start: u64, end: u64) {
    let mut cleared = false;
    space.page_table().for_each_valid(start, end, |_, slot, _| {
        cleared |= pagetable::test_and_clear_accessed(slot);
    });
    if cleared {
        space.shootdown().flush_lazily();
    }
    let Backing::File(file) = &vma.backing else {
        return;
    };
    let pages = vma.pgoff_of(start)..vma.pgoff_of(end - 1) + 1;
    for pgoff in pages.clone() {
        if let Some(f) = file.lookup(pgoff) {
            f.set_lru_flags(false, false);
        }
    }
    space
        .page_cache()
        .lru()
        .lock()
        .make_cold(|s| Weak::as_ptr(&s.file) == Arc::as_ptr(file) && pages.contains(&s.pgoff));
}

#[cfg(test)]
mod tests;
