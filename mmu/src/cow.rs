//! Copy on write of private pages (Linux's `do_wp_page`): a store to a private page
//! mapped write-protected — because fork left it mapped in two spaces, or a swap-in
//! mapped a page another entry still names — copies the page when anyone else holds its
//! frame (`fork.cow_faults`), and otherwise makes the entry writable in place
//! (`wp_page_reuse`): the last side to write keeps the frame.
//!
//! No other space can gain a mapping of a private frame while a fault of its space holds
//! the VMA stable: fork, the only way to share one, holds the parent's `mmap_lock` for
//! write with the private VMAs write-locked. So a frame found held once stays so until
//! the entry is changed, and the compare-exchange on the entry catches the rest (reclaim
//! taking the page to swap meanwhile).

use crate::fault_state::FaultOutcome;
use crate::frames::FrameId;
use crate::invalidate::Invalidation;
use crate::mm_core::{Cx, MmCore};
use crate::pagetable::Pte;
use crate::reclaim;
use crate::stats::Counter;
use crate::types::{FaultError, PAGE_SIZE};
use crate::vma::Vma;
use devices::cast::u64_to_usize;
use devices::Cost;
use std::sync::atomic::{AtomicU64, Ordering};

/// A store at `addr` of the private `vma` (held stable; it allows stores) found its
/// entry in `slot` mapping `current`, a private page (anonymous, or a file mapping's
/// copy), write-protected. Returns the new entry, or [`FaultOutcome::Again`] when the
/// entry changed meanwhile.
pub(crate) fn wp_page(
    cx: Cx<'_>,
    vma: &Vma,
    addr: u64,
    slot: &AtomicU64,
    current: Pte,
) -> FaultOutcome {
    let Cx {
        core: space,
        caller,
        stats,
    } = cx;
    let frames = space.frames();
    if frames.refcount(current.frame()) == 1 {
        // Nobody else holds the frame: it is this entry's to write.
        let new = current.with_prot(vma.prot).accessed();
        return match slot.compare_exchange(
            current.bits(),
            new.bits(),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => {
                stats.add(Counter::FaultsMinor, 1);
                FaultOutcome::Done(new)
            }
            Err(_) => FaultOutcome::Again,
        };
    }
    let Some(copy) = copy_frame(space, current.frame()) else {
        return FaultOutcome::Error(FaultError::OutOfMemory);
    };
    let new = Pte::new(copy, vma.prot).accessed();
    match slot.compare_exchange(
        current.bits(),
        new.bits(),
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        Ok(_) => {
            {
                // This space's harts may still read the shared frame through their TLBs.
                let mut inv = Invalidation::new(space, caller);
                inv.release_after_flush(current.frame());
            }
            stats.add(Counter::FaultsMinor, 1);
            stats.add(Counter::ForkCowFaults, 1);
            new_private_copy(cx, addr, copy);
            FaultOutcome::Done(new)
        }
        Err(_) => {
            frames.put(copy);
            FaultOutcome::Again
        }
    }
}

/// A private copy of a page now mapped at `addr`: anonymous memory, which goes to swap
/// (when there is swap) like any other, so it is a reclaim candidate and may push the
/// machine over its memory limit.
pub(crate) fn new_private_copy(cx: Cx<'_>, addr: u64, frame: FrameId) {
    if let Some(swap) = cx.core.swap() {
        swap.note_mapped(cx.core.id(), addr, frame);
        reclaim::direct(cx);
    }
}

/// A new frame holding a copy of `frame`'s bytes; `None` when the pool is exhausted.
pub(crate) fn copy_frame(space: &MmCore, frame: FrameId) -> Option<FrameId> {
    let copy = space.frames().alloc_zeroed()?;
    space.clock().charge(Cost::PageCopy, 1);
    // SAFETY: `copy` is ours alone; `frame` is pinned by its folio (or entry).
    unsafe {
        std::ptr::copy_nonoverlapping(
            space.frames().host_ptr(frame),
            space.frames().host_ptr(copy),
            u64_to_usize(PAGE_SIZE),
        )
    };
    Some(copy)
}
