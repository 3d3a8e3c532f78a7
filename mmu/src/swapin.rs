//! The swap-in fault (Linux's `do_swap_page`): a fault on a swap entry finds the folio
//! in the swap cache (minor: the page is still being written, or already read back,
//! maybe ahead of the fault) or starts reading the slot, with the read-ahead window
//! around it, into new folios with the fault lock held, and waits for its own at the
//! policy's wait point ([`Waits`]), so the policy decides whether the lock is dropped.
//! The fault that maps the page back frees its slot.

use crate::fault_state::{FaultOutcome, Waits};
use crate::mm_core::Cx;
use crate::pagetable::Pte;
use crate::policy::{FaultBacking, PageWait};
use crate::stats::Counter;
use crate::swap::{Batch, Found, Swap};
use crate::types::{prot, Access, FaultError, FaultKind, PAGE_SIZE};
use crate::vma::Vma;
use std::sync::atomic::Ordering;

/// Linux's `do_swap_page`: the entry at `addr` of the private `vma` (anonymous, or a
/// file mapping whose copy on write went to swap) is (or was) a swap entry. Returns
/// [`FaultOutcome::Again`] once the entry no longer is one (another fault mapped it, or
/// it was zapped, or there is no swap, or it maps the page write-protected and `access`
/// is a store): the caller looks at it afresh.
pub(crate) fn swap_fault(
    cx: Cx<'_>,
    vma: &Vma,
    (addr, access): (u64, Access),
    waits: &mut Waits<'_, '_>,
) -> FaultOutcome {
    let Cx {
        core: space, stats, ..
    } = cx;
    let Some(swap) = space.swap() else {
        return FaultOutcome::Again;
    };
    let pte_slot = space.page_table().slot_or_alloc(addr);
    let mut major = false;
    loop {
        let entry = Pte::from_bits(pte_slot.load(Ordering::Acquire));
        if !entry.is_swap() {
            return FaultOutcome::Again;
        }
        let slot = entry.swap_slot();
        let folio = match swap.cache.lookup(slot) {
            Some((f, readahead)) => {
                vma.swap_ra.note_lookup(addr, readahead);
                if readahead {
                    stats.add(Counter::SwapRaHits, 1);
                }
                f
            }
            None => match swapin(cx, swap, vma, addr, slot) {
                None => return FaultOutcome::Error(FaultError::OutOfMemory),
                Some(Found::Reading(f)) => {
                    major = true;
                    if let Err(retry) = waits.wait_for_read(cx, FaultBacking::Swap, &f) {
                        return retry;
                    }
                    continue;
                }
                Some(Found::Cached(f)) => f,
            },
        };
        if !folio.try_lock(space.clock().as_ref()) {
            let what = PageWait::FolioLocked {
                uptodate: folio.is_uptodate(),
            };
            if let Err(retry) = waits.wait(FaultBacking::Swap, what, || {
                folio.wait_unlocked(space.clock().as_ref())
            }) {
                return retry;
            }
            continue;
        }
        if !folio.is_uptodate() {
            // Written out and freed meanwhile (look again), or its read failed.
            folio.unlock();
            if folio.has_error() {
                if swap.cache.remove(slot, &folio) {
                    space.frames().put(folio.frame());
                }
                return FaultOutcome::Error(FaultError::Fault(FaultKind::Bus));
            }
            continue;
        }
        // A slot other entries still name (a fork's other side) keeps its folio in the
        // swap cache for them: this entry takes a reference of its own, write-protected,
        // so a store copies. So is a page some other entry already maps.
        let frames = space.frames();
        let shared = swap.file.is_shared(slot);
        let exclusive = !shared && frames.refcount(folio.frame()) == 1;
        if shared {
            frames.get(folio.frame());
        }
        let pte = match exclusive {
            true => Pte::new(folio.frame(), vma.prot),
            false => Pte::new(folio.frame(), vma.prot & !prot::WRITE),
        };
        let mapped = pte_slot
            .compare_exchange(
                entry.bits(),
                pte.bits(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok();
        if mapped {
            if !(shared && swap.file.put_shared(slot)) {
                // The last entry of the slot: the slot is done with, and the cache's
                // frame reference goes (to the entry, unless it took its own).
                if swap.cache.remove(slot, &folio) && shared {
                    frames.put(folio.frame());
                }
                folio.evict();
                swap.file.free(slot);
            }
            swap.note_mapped(space.id(), addr, folio.frame());
        } else if shared {
            frames.put(folio.frame());
        }
        folio.unlock();
        if mapped {
            let counter = match major || waits.tried() {
                true => Counter::FaultsMajor,
                false => Counter::FaultsMinor,
            };
            stats.add(counter, 1);
            // A store to a page mapped write-protected: the caller looks at the entry
            // again and takes the write-protect fault.
            return match pte.allows(access) {
                true => FaultOutcome::Done(pte),
                false => FaultOutcome::Again,
            };
        }
    }
}

/// A swap-cache miss at `addr` (page of `vma`, in `slot`): starts reading the slot and
/// the read-ahead window's other swapped-out pages that are not cached. Returns the
/// faulting slot's folio: found after all (another fault got there first) or being
/// read; `None` when no frame is left for it.
fn swapin(cx: Cx<'_>, swap: &Swap, vma: &Vma, addr: u64, slot: u32) -> Option<Found> {
    let Cx {
        core: space,
        caller,
        stats,
    } = cx;
    let fault = addr & !(PAGE_SIZE - 1);
    let range = vma.swap_ra.window(addr, vma.start, vma.end);
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
        match batch.add(swap, space.frames(), s, true) {
            Some(Found::Reading(_)) => ahead += 1,
            Some(Found::Cached(_)) => {}
            // Out of frames: what is left goes to the faulting page.
            None => break,
        }
    }
    // Last, as Linux does: the page about to be mapped is the youngest for reclaim.
    let found = batch.add(swap, space.frames(), slot, false);
    batch.submit(swap, space.frames(), caller.io(), stats);
    stats.add(Counter::SwapRa, ahead);
    found
}
