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
use crate::mm_core::{Cx, MmCore};
use crate::pagetable::{self, Pte};
use crate::shmem_swap;
use crate::stats::Counter;
use crate::swap::{AnonPage, Batch, Swap};
use crate::types::{Access, PAGE_SIZE};
use crate::vma::{Backing, Vma, VmaFlags};
use crate::vma_index::VmaView;
use devices::cast::u64_to_usize;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Swaps out the private anonymous page mapped at `addr` (if it still maps `frame`,
/// when given). Returns whether a frame was freed.
fn swap_out(cx: Cx<'_>, swap: &Swap, addr: u64, frame: Option<FrameId>) -> bool {
    let Cx {
        core: space,
        caller,
        stats,
    } = cx;
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
pub(crate) fn shrink(cx: Cx<'_>, nr: usize) -> Pass {
    let space = cx.core;
    let Some(swap) = space.swap() else {
        return Pass::default();
    };
    let spaces = space
        .machine_spaces()
        .into_iter()
        .map(|s| {
            let mut view = VmaView::default();
            s.vma_index().refresh(&mut view);
            (s, view)
        })
        .collect();
    let mut scanner = AnonScanner {
        cx,
        swap,
        spaces,
        young_cleared: false,
    };
    let mut pass = lru::shrink_list(&swap.lru, &mut scanner, nr);
    if scanner.young_cleared {
        space.flush_machine_lazily();
    }
    // Pages read in and not mapped are younger than the mapped ones on the lists (on
    // Linux's inactive list they join at the young end): they go next, with no write.
    let want = (nr as u64).saturating_sub(pass.freed);
    let (scanned, freed) = swap
        .cache
        .shrink(space.frames(), want, nr, space.clock().as_ref());
    pass.scanned += scanned;
    pass.freed += freed;
    // Shared anonymous memory is not on the lists: the objects the VMAs of every space
    // map are scanned apart.
    let want = (nr as u64).saturating_sub(pass.freed);
    let (scanned, freed) = shmem_swap::shrink(cx, &scanner.spaces, want, nr);
    pass.scanned += scanned;
    pass.freed += freed;
    pass
}

/// How reclaim looks at and swaps out private anonymous pages, of every space of the
/// machine.
struct AnonScanner<'a> {
    /// Whose reclaim this is.
    cx: Cx<'a>,
    swap: &'a Swap,
    /// The machine's spaces alive when the pass began, with their VMAs as then.
    spaces: Vec<(Arc<MmCore>, VmaView)>,
    /// Whether an accessed bit was cleared (the TLBs are then flushed lazily).
    young_cleared: bool,
}

impl AnonScanner<'_> {
    /// The space a listed page was mapped in, with its VMAs; `None` once it is gone.
    fn space_of(&self, page: &AnonPage) -> Option<&(Arc<MmCore>, VmaView)> {
        self.spaces.iter().find(|(s, _)| s.id() == page.space)
    }
}

impl Scanner for AnonScanner<'_> {
    type Page = AnonPage;
    const ANON: bool = true;

    fn look(&mut self, page: &AnonPage) -> Look {
        let Some((space, view)) = self.space_of(page) else {
            return Look::Gone;
        };
        let (addr, frame) = (page.addr, page.frame);
        let Some(slot) = space.page_table().slot(addr) else {
            return Look::Gone;
        };
        let pte = Pte::from_bits(slot.load(Ordering::Acquire));
        let Some(vma) = view.find(addr).map(|n| n.vma()) else {
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
    fn set_flags(&mut self, _: &AnonPage, _: bool, _: bool) {}

    fn reclaim(&mut self, page: &AnonPage) -> bool {
        let Some((space, _)) = self.space_of(page) else {
            return false;
        };
        let cx = self.cx;
        if space.frames().refcount(page.frame) > 1 {
            return swap_out_shared(cx, self.swap, &self.spaces, page);
        }
        if space.id() == cx.core.id() {
            return swap_out(cx, self.swap, page.addr, Some(page.frame));
        }
        // Another space's page: its shootdown runs on nobody's behalf, with the reclaimer
        // out of guest state (as the reverse mappings do).
        let other = Cx {
            core: space,
            caller: &Caller(None),
            stats: cx.stats,
        };
        cx.core.blocking(cx.caller, || {
            swap_out(other, self.swap, page.addr, Some(page.frame))
        })
    }
}

/// Swaps out the private page `page` names, which more than one entry maps: a fork left
/// it in several spaces, at the same address (Linux's `try_to_unmap` through the
/// anon_vma). Only when those entries hold every reference to the frame (no copy in
/// progress, no system call's pin) and none is mlocked: each entry becomes a swap entry
/// of one slot, its share count raised for each but the first, each space's TLBs are
/// shot down (on nobody's behalf, the reclaimer out of guest state), then the page is
/// written. An entry that changed meanwhile (its side copied the page) keeps the frame.
/// Returns whether the frame was freed.
fn swap_out_shared(
    cx: Cx<'_>,
    swap: &Swap,
    spaces: &[(Arc<MmCore>, VmaView)],
    page: &AnonPage,
) -> bool {
    let frames = cx.core.frames();
    let mut mappers = Vec::new();
    for (space, view) in spaces {
        let Some(entry) = space.page_table().slot(page.addr) else {
            continue;
        };
        let pte = Pte::from_bits(entry.load(Ordering::Acquire));
        if !pte.is_valid() || pte.frame() != page.frame {
            continue;
        }
        match view.find(page.addr).map(|n| n.vma()) {
            Some(vma) if swappable(vma) => mappers.push((space, entry, pte)),
            _ => return false,
        }
    }
    if mappers.is_empty() || u64::from(frames.refcount(page.frame)) != mappers.len() as u64 {
        return false;
    }
    let lock = |f: &Folio| cx.core.lock_folio(cx.caller, f);
    let Some((slot, folio)) = swap.begin_write(page.frame, frames, lock) else {
        return false;
    };
    let mut swapped = 0;
    cx.core.blocking(cx.caller, || {
        let nobody = Caller(None);
        for (space, entry, pte) in &mappers {
            let out = Pte::swap(slot).bits();
            if entry
                .compare_exchange(pte.bits(), out, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                continue;
            }
            // The first entry's frame reference goes to the swap-cache folio; the others'
            // go once their space's TLBs are shot down.
            let mut inv = Invalidation::new(space, &nobody);
            inv.flush = true;
            inv.code = pte.allows(Access::Exec);
            if swapped > 0 {
                swap.file.dup(slot);
                inv.release_after_flush(page.frame);
            }
            swapped += 1;
        }
    });
    if swapped == 0 {
        swap.abandon_write(slot, &folio);
        return false;
    }
    swap.finish_write(slot, &folio, frames, cx.caller.io(), cx.stats);
    swapped == mappers.len()
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
        swap.note_mapped(space.id(), addr, frame);
    }
}

/// MADV_PAGEOUT of the anonymous pages of `vma`'s part `[start, end)`.
pub(crate) fn page_out(space: &MmCore, caller: &Caller, vma: &Vma, start: u64, end: u64) {
    let Some(swap) = space.swap().filter(|_| swappable(vma)) else {
        return;
    };
    let cx = space.cx(caller);
    for addr in (start..end).step_by(u64_to_usize(PAGE_SIZE)) {
        cx.stats.add(Counter::ReclaimScanned, 1);
        if swap_out(cx, swap, addr, None) {
            cx.stats.add(Counter::ReclaimReclaimed, 1);
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
        .make_cold(|p| p.space == space.id() && (start..end).contains(&p.addr));
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
mod tests;
