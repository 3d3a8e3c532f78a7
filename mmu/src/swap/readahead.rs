//! Swap read-ahead (Linux's `swap_vma_readahead`): a swap-cache miss reads, along with
//! the faulting slot, the slots of the swap entries of neighbouring pages in the same
//! VMA, so that a fault on one of them later finds it in the swap cache (a minor
//! fault).
//!
//! The window is at most 2^`page-cluster` = 8 pages, within the VMA and the faulting
//! page's 2 MiB block, and adapts as Linux's `__swapin_nr_pages` makes it: it grows with
//! the read-ahead pages faults have used since the last miss, shrinks (by half at most
//! per miss) when they go unused, and a miss next to the previous fault on a cold
//! window still reads two pages. It lies ahead of the fault when the faults move
//! forward, behind it when they move backward, and around it otherwise. The state is
//! the VMA's ([`SwapRaInfo`]).
//!
//! New folios are read with one device request per run of consecutive slots. Nobody
//! waits for the read-ahead pages: only the faulting page's wait goes through the
//! policy's hook.

use super::cache::Found;
use super::Swap;
use crate::caller::Caller;
use crate::folio::Folio;
use crate::frames::FrameId;
use crate::mm_core::MmCore;
use crate::stats::{Counter, HartStats};
use crate::vma::Vma;
use crate::PAGE_SIZE;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Linux's default `vm.page-cluster`: read-ahead windows of up to 2^3 pages.
const PAGE_CLUSTER: u32 = 3;
/// The largest window, in pages.
const MAX_WINDOW: u64 = 1 << PAGE_CLUSTER;
/// The window never crosses the faulting page's page-middle-directory block.
const PMD_SIZE: u64 = 2 << 20;
/// Hits are counted in the low bits of the state, up to this many.
const HITS_MAX: u64 = (1 << WIN_SHIFT) - 1;
/// The window sits above the hits in the state.
const WIN_SHIFT: u32 = 6;
/// Slots one device request reads at most.
const MAX_RUN: usize = 32;

/// A VMA's swap read-ahead state (Linux's `vma->swap_readahead_info`): the page of its
/// last swap fault, the window read then, and the read-ahead pages faults have found
/// since. The pieces of a split area share it.
#[derive(Clone, Debug, Default)]
pub(crate) struct SwapRaInfo(Arc<AtomicU64>);

impl SwapRaInfo {
    fn get(&self) -> (u64, u64, u64) {
        let v = self.0.load(Ordering::Relaxed);
        let page = v & !(PAGE_SIZE - 1);
        (page, (v & (PAGE_SIZE - 1)) >> WIN_SHIFT, v & HITS_MAX)
    }

    fn set(&self, addr: u64, window: u64, hits: u64) {
        let v = (addr & !(PAGE_SIZE - 1)) | (window << WIN_SHIFT) | hits.min(HITS_MAX);
        self.0.store(v, Ordering::Relaxed);
    }
}

/// Linux's `__swapin_nr_pages`: the window after `hits` read-ahead hits, for a miss on
/// page `pfn` following one on `prev_pfn` whose window was `prev_window`.
fn window_pages(prev_pfn: u64, pfn: u64, hits: u64, max: u64, prev_window: u64) -> u64 {
    let mut pages = hits + 2;
    if pages == 2 {
        // No hits to judge by: only a fault next to the last one reads ahead.
        if pfn != prev_pfn + 1 && pfn + 1 != prev_pfn {
            pages = 1;
        }
    } else {
        pages = pages.next_power_of_two().max(4);
    }
    // Shrink no faster than by half per miss.
    pages.min(max).max(prev_window / 2)
}

/// Linux's `swap_vma_ra_win`: the pages to read for a swap-cache miss at `addr` in
/// `vma`; notes the miss in the VMA's state.
fn window(vma: &Vma, addr: u64) -> Range<u64> {
    let info = &vma.swap_ra;
    let (prev, prev_window, hits) = info.get();
    let fault = addr & !(PAGE_SIZE - 1);
    let pages = window_pages(
        prev / PAGE_SIZE,
        fault / PAGE_SIZE,
        hits,
        MAX_WINDOW,
        prev_window,
    );
    info.set(fault, pages, 0);
    let span = pages * PAGE_SIZE;
    let left = if fault == prev + PAGE_SIZE {
        fault
    } else if prev == fault + PAGE_SIZE {
        (fault + PAGE_SIZE).saturating_sub(span)
    } else {
        fault.saturating_sub((pages - 1) / 2 * PAGE_SIZE)
    };
    let block = fault & !(PMD_SIZE - 1);
    left.max(vma.start).max(block)..(left + span).min(vma.end).min(block + PMD_SIZE)
}

/// A fault found the folio of its page at `addr` in the swap cache; `readahead` when it
/// had been read ahead (a hit the next window grows with).
pub(crate) fn note_lookup(vma: &Vma, addr: u64, readahead: bool) {
    let (_, window, hits) = vma.swap_ra.get();
    vma.swap_ra.set(addr, window, hits + u64::from(readahead));
}

/// New folios of one batch, read together.
#[derive(Default)]
pub(crate) struct Batch(Vec<(u32, Arc<Folio>)>);

impl Batch {
    /// Finds `slot` in the swap cache, or adds a new folio for it to this batch
    /// (`readahead` marks it as read ahead); `None` when no frame is left.
    pub(crate) fn add(
        &mut self,
        space: &MmCore,
        swap: &Swap,
        slot: u32,
        readahead: bool,
    ) -> Option<Found> {
        let found = swap.cache.find_or_add(slot, space.frames(), readahead)?;
        if let Found::Reading(f) = &found {
            self.0.push((slot, f.clone()));
        }
        Some(found)
    }

    /// Starts the reads, one request per run of consecutive slots, each completion
    /// filling and unlocking its folios; counts them as swapped in. Returns how many
    /// pages it reads.
    pub(crate) fn submit(
        mut self,
        space: &MmCore,
        swap: &Swap,
        caller: &Caller,
        stats: &HartStats,
    ) -> u64 {
        let (tid, priority) = caller.io();
        let pages = self.0.len() as u64;
        self.0.sort_unstable_by_key(|&(slot, _)| slot);
        let mut rest = &self.0[..];
        while let Some(&(first, _)) = rest.first() {
            let len = rest
                .iter()
                .zip(first..)
                .take(MAX_RUN)
                .take_while(|((slot, _), want)| slot == want)
                .count();
            let (run, tail) = rest.split_at(len);
            rest = tail;
            let folios: Vec<Arc<Folio>> = run.iter().map(|(_, f)| f.clone()).collect();
            let frames: Vec<FrameId> = folios.iter().map(|f| f.frame()).collect();
            swap.file
                .read(first, space.frames(), frames, tid, priority, move |ok| {
                    for f in folios {
                        f.finish_read(ok);
                    }
                });
        }
        stats.add(Counter::SwapIns, pages);
        pages
    }
}

/// A swap-cache miss at `addr` (page of `vma`, in `slot`): starts reading the slot and
/// the read-ahead window's other swapped-out pages that are not cached. Returns the
/// faulting slot's folio: found after all (another fault got there first) or being
/// read; `None` when no frame is left for it.
pub(crate) fn swapin(
    space: &MmCore,
    swap: &Swap,
    caller: &Caller,
    vma: &Vma,
    addr: u64,
    slot: u32,
    stats: &HartStats,
) -> Option<Found> {
    let fault = addr & !(PAGE_SIZE - 1);
    let range = window(vma, addr);
    let mut neighbours = Vec::new();
    space
        .page_table()
        .for_each_present(range.start, range.end, |va, _, pte| {
            if va != fault && pte.is_swap() {
                neighbours.push(pte.swap_slot());
            }
        });
    let mut batch = Batch::default();
    let mut ahead = 0;
    for s in neighbours {
        match batch.add(space, swap, s, true) {
            Some(Found::Reading(_)) => ahead += 1,
            Some(Found::Cached(_)) => {}
            // Out of frames: what is left goes to the faulting page.
            None => break,
        }
    }
    // Last, as Linux does: the page about to be mapped is the youngest for reclaim.
    let found = batch.add(space, swap, slot, false);
    batch.submit(space, swap, caller, stats);
    stats.add(Counter::SwapRa, ahead);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_grows_with_hits_and_halves_at_most_per_miss_without_them() {
        // A cold start: a lone miss reads one page, a miss next to the last one two.
        assert_eq!(window_pages(0, 10, 0, 8, 0), 1);
        assert_eq!(window_pages(10, 11, 0, 8, 1), 2);
        assert_eq!(window_pages(12, 11, 0, 8, 1), 2);
        // Hits round up to a power of two, at least 4, at most the maximum.
        assert_eq!(window_pages(11, 13, 1, 8, 2), 4);
        assert_eq!(window_pages(13, 17, 3, 8, 4), 8);
        assert_eq!(window_pages(17, 25, 7, 8, 8), 8);
        assert_eq!(window_pages(17, 25, 40, 8, 8), 8);
        // Random misses with no hits: 8, 4, 2, 1.
        let mut w = 8;
        let mut seen = vec![];
        for pfn in [100, 7, 300, 50] {
            w = window_pages(1000, pfn, 0, 8, w);
            seen.push(w);
        }
        assert_eq!(seen, [4, 2, 1, 1]);
    }

    fn vma() -> Vma {
        Vma::anonymous(0x10_0000, 0x20_0000, crate::prot::READ)
    }

    #[test]
    fn the_window_lies_ahead_of_forward_faults_and_behind_backward_ones() {
        let v = vma();
        let p = |n: u64| 0x10_0000 + n * PAGE_SIZE;
        v.swap_ra.set(p(40), 4, 3);
        assert_eq!(window(&v, p(41)), p(41)..p(49));
        v.swap_ra.set(p(40), 4, 3);
        assert_eq!(window(&v, p(39)), p(32)..p(40));
        v.swap_ra.set(p(10), 8, 7);
        assert_eq!(window(&v, p(40)), p(37)..p(45));
        // Clipped to the area.
        v.swap_ra.set(p(2), 8, 7);
        assert_eq!(window(&v, p(1)), p(0)..p(2));
        // The miss was noted: its page, its window, no hits yet.
        assert_eq!(v.swap_ra.get(), (p(1), 8, 0));
    }

    #[test]
    fn lookups_count_hits_and_move_the_last_fault() {
        let v = vma();
        v.swap_ra.set(0x10_0000, 8, 0);
        note_lookup(&v, 0x10_1234, true);
        note_lookup(&v, 0x10_2000, false);
        assert_eq!(v.swap_ra.get(), (0x10_2000, 8, 1));
    }
}
