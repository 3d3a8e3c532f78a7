//! Faults on file-backed VMAs (Linux's `filemap_fault` and `finish_fault`).
//!
//! A read fault maps the page-cache page without write permission: private mappings
//! copy on write, and shared ones learn of their first store (write-notify), which
//! marks the folio dirty. A miss starts the read with read-around and waits for it at
//! [`FaultCtx::wait_for`], where the policy decides whether the fault lock is dropped; a
//! folio someone else holds locked is waited for the same way. A hit also maps the
//! already-cached, unlocked neighbours in its fault-around block, read-only, never
//! waiting for any of them. A private mapping's copies are anonymous memory: they go to
//! swap like any other, and a fault on the swap entry one leaves reads it back from
//! swap (`do_swap_page`), never from the file.

use crate::caller::Caller;
use crate::cow::{copy_frame, new_private_copy, wp_page};
use crate::fault_state::{FaultOutcome, Waits};
use crate::file_readahead::AccessHint;
use crate::folio::Folio;
use crate::invalidate::Invalidation;
use crate::mm_core::{Cx, MmCore};
use crate::pagecache::{CachedFile, Lookup};
use crate::pagetable::Pte;
use crate::policy::{FaultBacking, PageWait};
use crate::reclaim;
use crate::stats::Counter;
use crate::swapin::swap_fault;
use crate::types::{prot, Access, PAGE_SIZE};
use crate::types::{FaultError, FaultKind};
use crate::vma::{Backing, Vma, VmaFlags};
use devices::cast::u64_to_usize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// One fault on a file-backed VMA: on whose behalf, where, for what, and the entry it
/// fills.
#[derive(Clone, Copy)]
struct FileFault<'a> {
    cx: Cx<'a>,
    /// The VMA, held stable by the caller; it allows `access`.
    vma: &'a Vma,
    /// The VMA's file.
    file: &'a Arc<CachedFile>,
    addr: u64,
    access: Access,
    /// The page-table entry of `addr`.
    slot: &'a AtomicU64,
}

/// Resolves a fault at `addr` of the file-backed `vma` (held stable by the caller),
/// which allows `access`.
pub(crate) fn file_fault(
    cx: Cx<'_>,
    vma: &Vma,
    file: &Arc<CachedFile>,
    addr: u64,
    access: Access,
    mut waits: Waits<'_, '_>,
) -> FaultOutcome {
    let slot = cx.core.page_table().slot_or_alloc(addr);
    let fault = FileFault {
        cx,
        vma,
        file,
        addr,
        access,
        slot,
    };
    loop {
        let current = Pte::from_bits(slot.load(Ordering::Acquire));
        let outcome = if current.is_swap() {
            // A private copy of the page went to swap: it comes back from there, never
            // from the file.
            swap_fault(cx, vma, (addr, access), &mut waits)
        } else if !current.is_valid() {
            fill_entry(fault, &mut waits)
        } else if current.allows(access) {
            FaultOutcome::Done(current)
        } else {
            write_upgrade(fault, current)
        };
        match outcome {
            // Another fault changed the entry meanwhile: look at it again.
            FaultOutcome::Again => continue,
            outcome => return outcome,
        }
    }
}

/// Maps the page-cache page of the fault's address at its empty entry, reading it in if
/// need be.
fn fill_entry(fault: FileFault<'_>, waits: &mut Waits<'_, '_>) -> FaultOutcome {
    let FileFault {
        cx: Cx {
            core: space,
            caller,
            stats,
        },
        vma,
        file,
        addr,
        access,
        slot,
    } = fault;
    let pgoff = vma.pgoff_of(addr);
    let (tid, priority) = caller.io();
    let mut major = false;
    let folio = loop {
        let found = space
            .page_cache()
            .find_or_read(file, pgoff, hint(vma), tid, priority);
        match found {
            Err(_) => return FaultOutcome::Error(FaultError::OutOfMemory),
            Ok(Lookup::BeyondEof) => return FaultOutcome::Error(FaultError::Fault(FaultKind::Bus)),
            Ok(Lookup::Reading(f)) => {
                stats.add(Counter::PagecacheMisses, 1);
                major = true;
                if let Err(retry) = waits.wait_for_read(fault.cx, FaultBacking::File, &f) {
                    return retry;
                }
                // Out of guest state: whoever holds it now (reclaim, write-back) may be
                // shooting down TLBs and waiting for this hart.
                space.blocking(caller, || f.lock(space.clock().as_ref()));
                match usable(file, pgoff, &f) {
                    Ok(()) => break f,
                    Err(FaultOutcome::Again) => continue,
                    Err(outcome) => return outcome,
                }
            }
            Ok(Lookup::Cached(f)) => {
                if !f.try_lock(space.clock().as_ref()) {
                    let what = PageWait::FolioLocked {
                        uptodate: f.is_uptodate(),
                    };
                    if let Err(retry) = waits.wait(FaultBacking::File, what, || {
                        f.wait_unlocked(space.clock().as_ref())
                    }) {
                        return retry;
                    }
                    continue;
                }
                match usable(file, pgoff, &f) {
                    Ok(()) => {
                        stats.add(Counter::PagecacheHits, 1);
                        break f;
                    }
                    Err(FaultOutcome::Again) => continue,
                    Err(outcome) => return outcome,
                }
            }
        }
    };
    // The folio is locked by this fault from here on.
    let outcome = map_folio(space, vma, &folio, slot, access);
    folio.unlock();
    if let FaultOutcome::Done(pte) = outcome {
        if pte.frame() != folio.frame() {
            new_private_copy(fault.cx, addr, pte.frame());
        }
        let counter = match major || waits.tried() {
            true => Counter::FaultsMajor,
            false => Counter::FaultsMinor,
        };
        stats.add(counter, 1);
        if access != Access::Write {
            fault_around(space, vma, file, addr);
        }
    }
    outcome
}

/// Maps the cached, up-to-date, unlocked pages of `addr`'s fault-around block (the
/// configured `fault_around_bytes`, a power of two) that have no entry yet, read-only; a
/// folio that is locked is skipped, never waited for.
fn fault_around(space: &MmCore, vma: &Vma, file: &CachedFile, addr: u64) {
    let block = space.config().cache.fault_around_bytes;
    if block <= PAGE_SIZE {
        return;
    }
    let start = (addr & !(block - 1)).max(vma.start);
    let end = ((addr & !(block - 1)) + block).min(vma.end);
    let frames = space.frames();
    for a in (start..end)
        .step_by(u64_to_usize(PAGE_SIZE))
        .filter(|&a| a != addr & !(PAGE_SIZE - 1))
    {
        let Some(folio) = file.lookup(vma.pgoff_of(a)) else {
            continue;
        };
        if !folio.try_lock(space.clock().as_ref()) {
            continue;
        }
        if folio.is_uptodate() {
            let slot = space.page_table().slot_or_alloc(a);
            frames.get(folio.frame());
            let pte = Pte::new(folio.frame(), read_prot(vma));
            if slot
                .compare_exchange(0, pte.bits(), Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                frames.put(folio.frame());
            }
        }
        folio.unlock();
    }
}

/// Whether the locked folio `f` of page `pgoff` can be mapped. If not it is unlocked:
/// reclaimed meanwhile ([`FaultOutcome::Again`]: look again), or its read failed (an
/// error, after dropping it so a later access reads again: the fault ends in SIGBUS).
fn usable(file: &CachedFile, pgoff: u64, f: &Arc<Folio>) -> Result<(), FaultOutcome> {
    if f.is_uptodate() {
        return Ok(());
    }
    f.unlock();
    if f.has_error() {
        file.forget(pgoff, f);
        return Err(FaultOutcome::Error(FaultError::Fault(FaultKind::Bus)));
    }
    Err(FaultOutcome::Again)
}

/// MADV_WILLNEED of `vma`'s part `[start, end)`: starts reading the file pages not
/// cached yet, without waiting for them.
pub(crate) fn will_need(space: &MmCore, caller: &Caller, vma: &Vma, start: u64, end: u64) {
    let Backing::File(file) = &vma.backing else {
        return;
    };
    let (tid, priority) = caller.io();
    let cache = space.page_cache();
    for pgoff in vma.pgoff_of(start)..vma.pgoff_of(end - 1) + 1 {
        match cache.find_or_read(file, pgoff, AccessHint::Sequential, tid, priority) {
            Ok(Lookup::Cached(_)) | Ok(Lookup::Reading(_)) => {}
            Ok(Lookup::BeyondEof) | Err(_) => break,
        }
    }
    reclaim::direct(space.cx(caller));
}

/// The read-around hint of `vma`'s madvise flags.
fn hint(vma: &Vma) -> AccessHint {
    if vma.flags.contains(VmaFlags::RAND_READ) {
        AccessHint::Random
    } else if vma.flags.contains(VmaFlags::SEQ_READ) {
        AccessHint::Sequential
    } else {
        AccessHint::Normal
    }
}

/// What a page of `vma` is mapped with before anyone writes it: never writable, so the
/// first store faults (to copy, or to mark the folio dirty).
fn read_prot(vma: &Vma) -> u32 {
    vma.prot & !prot::WRITE
}

/// Installs `folio` (locked, up to date) at `slot` for `access`.
fn map_folio(
    space: &MmCore,
    vma: &Vma,
    folio: &Folio,
    slot: &AtomicU64,
    access: Access,
) -> FaultOutcome {
    let frames = space.frames();
    let pte = match (access, vma.is_shared()) {
        (Access::Write, false) => match copy_frame(space, folio.frame()) {
            Some(copy) => Pte::new(copy, vma.prot),
            None => return FaultOutcome::Error(FaultError::OutOfMemory),
        },
        (Access::Write, true) => {
            space.page_cache().set_dirty(folio);
            frames.get(folio.frame());
            Pte::new(folio.frame(), vma.prot)
        }
        _ => {
            frames.get(folio.frame());
            Pte::new(folio.frame(), read_prot(vma))
        }
    };
    // Release: the frame's bytes are visible to every walker that finds the entry.
    match slot.compare_exchange(0, pte.bits(), Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => FaultOutcome::Done(pte),
        Err(_) => {
            // Another fault mapped it first: its entry decides what comes next.
            frames.put(pte.frame());
            FaultOutcome::Again
        }
    }
}

/// A store to a page mapped without write permission in a writable `vma`: a shared
/// mapping marks the folio dirty and gains write permission; a private mapping copies a
/// page-cache page, and its own copy takes the write-protect fault of private pages
/// ([`wp_page`]: regains write permission, or is copied while a fork's other side maps
/// it too).
fn write_upgrade(fault: FileFault<'_>, current: Pte) -> FaultOutcome {
    let FileFault {
        cx: Cx {
            core: space,
            caller,
            stats,
        },
        vma,
        file,
        addr,
        slot,
        ..
    } = fault;
    let folio = file.lookup(vma.pgoff_of(addr));
    let cached = folio.as_ref().filter(|f| f.frame() == current.frame());
    let new = match (vma.is_shared(), cached) {
        (true, Some(f)) => {
            space.page_cache().set_dirty(f);
            current.with_prot(vma.prot)
        }
        (false, Some(f)) => match copy_frame(space, f.frame()) {
            Some(copy) => Pte::new(copy, vma.prot),
            None => return FaultOutcome::Error(FaultError::OutOfMemory),
        },
        (true, None) => current.with_prot(vma.prot),
        (false, None) => return wp_page(fault.cx, vma, addr, slot, current),
    };
    match slot.compare_exchange(
        current.bits(),
        new.bits(),
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        Ok(_) => {
            if new.frame() != current.frame() {
                // Other harts may still read the cache page through their TLBs.
                let mut inv = Invalidation::new(space, caller);
                inv.release_after_flush(current.frame());
                drop(inv);
                new_private_copy(fault.cx, addr, new.frame());
            }
            stats.add(Counter::FaultsMinor, 1);
            FaultOutcome::Done(new)
        }
        Err(_) => {
            if new.frame() != current.frame() {
                space.frames().put(new.frame());
            }
            FaultOutcome::Again
        }
    }
}

#[cfg(test)]
mod tests;
