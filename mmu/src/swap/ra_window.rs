//! Swap read-ahead's window (Linux's `swap_vma_readahead`): a swap-cache miss reads,
//! along with the faulting slot, the slots of the swap entries of neighbouring pages in
//! the same VMA, so that a fault on one of them later finds it in the swap cache (a
//! minor fault).
//!
//! The window is at most 2^`page-cluster` = 8 pages, within the VMA and the faulting
//! page's 2 MiB block, and adapts as Linux's `__swapin_nr_pages` makes it: it grows with
//! the read-ahead pages faults have used since the last miss, shrinks (by half at most
//! per miss) when they go unused, and a miss next to the previous fault on a cold
//! window still reads two pages. It lies ahead of the fault when the faults move
//! forward, behind it when they move backward, and around it otherwise. The state is
//! the VMA's ([`SwapRaInfo`]).

use crate::types::PAGE_SIZE;
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

/// A VMA's swap read-ahead state (Linux's `vma->swap_readahead_info`): the page of its
/// last swap fault, the window read then, and the read-ahead pages faults have found
/// since. The pieces of a split area share it.
#[derive(Clone, Debug, Default)]
pub(crate) struct SwapRaInfo(Arc<AtomicU64>);

impl SwapRaInfo {
    pub(crate) fn get(&self) -> (u64, u64, u64) {
        let v = self.0.load(Ordering::Relaxed);
        let page = v & !(PAGE_SIZE - 1);
        (page, (v & (PAGE_SIZE - 1)) >> WIN_SHIFT, v & HITS_MAX)
    }

    pub(crate) fn set(&self, addr: u64, window: u64, hits: u64) {
        let v = (addr & !(PAGE_SIZE - 1)) | (window << WIN_SHIFT) | hits.min(HITS_MAX);
        self.0.store(v, Ordering::Relaxed);
    }

    /// Linux's `swap_vma_ra_win`: the pages to read for a swap-cache miss at `addr` in
    /// the area `[start, end)`; notes the miss.
    pub(crate) fn window(&self, addr: u64, start: u64, end: u64) -> Range<u64> {
        let (prev, prev_window, hits) = self.get();
        let fault = addr & !(PAGE_SIZE - 1);
        let pages = window_pages(
            prev / PAGE_SIZE,
            fault / PAGE_SIZE,
            hits,
            MAX_WINDOW,
            prev_window,
        );
        self.set(fault, pages, 0);
        let span = pages * PAGE_SIZE;
        let left = if fault == prev + PAGE_SIZE {
            fault
        } else if prev == fault + PAGE_SIZE {
            (fault + PAGE_SIZE).saturating_sub(span)
        } else {
            fault.saturating_sub((pages - 1) / 2 * PAGE_SIZE)
        };
        let block = fault & !(PMD_SIZE - 1);
        left.max(start).max(block)..(left + span).min(end).min(block + PMD_SIZE)
    }

    /// A fault found the folio of its page at `addr` in the swap cache; `readahead` when
    /// it had been read ahead (a hit the next window grows with).
    pub(crate) fn note_lookup(&self, addr: u64, readahead: bool) {
        let (_, window, hits) = self.get();
        self.set(addr, window, hits + u64::from(readahead));
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

    /// The state of an area `[0x10_0000, 0x20_0000)`.
    fn area() -> (SwapRaInfo, u64, u64) {
        (SwapRaInfo::default(), 0x10_0000, 0x20_0000)
    }

    #[test]
    fn the_window_lies_ahead_of_forward_faults_and_behind_backward_ones() {
        let (v, start, end) = area();
        let p = |n: u64| 0x10_0000 + n * PAGE_SIZE;
        v.set(p(40), 4, 3);
        assert_eq!(v.window(p(41), start, end), p(41)..p(49));
        v.set(p(40), 4, 3);
        assert_eq!(v.window(p(39), start, end), p(32)..p(40));
        v.set(p(10), 8, 7);
        assert_eq!(v.window(p(40), start, end), p(37)..p(45));
        // Clipped to the area.
        v.set(p(2), 8, 7);
        assert_eq!(v.window(p(1), start, end), p(0)..p(2));
        // The miss was noted: its page, its window, no hits yet.
        assert_eq!(v.get(), (p(1), 8, 0));
    }

    #[test]
    fn lookups_count_hits_and_move_the_last_fault() {
        let (v, _, _) = area();
        v.set(0x10_0000, 8, 0);
        v.note_lookup(0x10_1234, true);
        v.note_lookup(0x10_2000, false);
        assert_eq!(v.get(), (0x10_2000, 8, 1));
    }
}
