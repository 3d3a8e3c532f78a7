//! Reverse mapping of page-cache pages: the page-table entries that map a folio, found
//! by walking the lock-free VMA snapshot of every space of the machine, in creation
//! order, for VMAs of its file (Linux walks the file's `i_mmap` tree). Reclaim harvests
//! their accessed bits and clears them; write-back write-protects them (`folio_mkclean`).
//!
//! Entries of another space than the caller's are changed on nobody's behalf, with the
//! caller's hart out of guest state meanwhile ([`across_spaces`]): the other space's
//! shootdown must not wait for a hart it does not know, nor that hart's own initiators
//! for it.

use crate::caller::Caller;
use crate::folio::Folio;
use crate::invalidate::Invalidation;
use crate::mm_core::MmCore;
use crate::pagecache::CachedFile;
use crate::pagetable::{self, Pte};
use crate::types::{prot, Access, PAGE_SIZE};
use crate::vma::{Backing, Vma, VmaFlags};
use crate::vma_index::VmaView;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Calls `f(vma, slot, pte)` for each valid entry of `space` that maps `folio` (page
/// `pgoff` of `file`). Entries that map another frame (a private copy) are left out.
fn each_mapping(
    space: &MmCore,
    file: &Arc<CachedFile>,
    pgoff: u64,
    folio: &Folio,
    mut f: impl FnMut(&Vma, &AtomicU64, Pte),
) {
    let mut view = VmaView::default();
    space.vma_index().refresh(&mut view);
    for vma in view.nodes().map(|n| n.vma()) {
        let Backing::File(mapped) = &vma.backing else {
            continue;
        };
        let pages = vma.len() / PAGE_SIZE;
        if !Arc::ptr_eq(mapped, file) || pgoff < vma.pgoff || pgoff >= vma.pgoff + pages {
            continue;
        }
        let addr = vma.start + (pgoff - vma.pgoff) * PAGE_SIZE;
        let slot = space.page_table().slot_or_alloc(addr);
        let pte = Pte::from_bits(slot.load(Ordering::Acquire));
        if pte.is_valid() && pte.frame() == folio.frame() {
            f(vma, slot, pte);
        }
    }
}

/// Runs `each(space, caller)` for every space of `space`'s machine, in creation order:
/// for `space` itself on `caller`'s behalf, for the others on nobody's, with `caller`'s
/// hart out of guest state while there are others (see the module docs).
pub(crate) fn across_spaces(
    space: &MmCore,
    caller: &Caller,
    mut each: impl FnMut(&MmCore, &Caller),
) {
    let spaces = space.machine_spaces();
    let mut run = || {
        let nobody = Caller(None);
        for s in &spaces {
            match s.id() == space.id() {
                true => each(s, caller),
                false => each(s, &nobody),
            }
        }
    };
    match spaces.len() {
        0 | 1 => run(),
        _ => space.blocking(caller, run),
    }
}

/// Replaces each entry of every space that maps `folio` (page `pgoff` of `file`) with
/// what `change` makes of it; the TLBs of each space forget them before this returns,
/// and the frame references of cleared entries go then.
fn for_each_mapping(
    space: &MmCore,
    caller: &Caller,
    file: &Arc<CachedFile>,
    pgoff: u64,
    folio: &Folio,
    change: impl Fn(Pte) -> Pte,
) {
    across_spaces(space, caller, |s, caller| {
        let mut inv = Invalidation::new(s, caller);
        change_mappings(s, &mut inv, file, pgoff, folio, &change);
    });
}

/// [`for_each_mapping`] in one space, noting in `inv` what its TLBs must forget.
fn change_mappings(
    space: &MmCore,
    inv: &mut Invalidation,
    file: &Arc<CachedFile>,
    pgoff: u64,
    folio: &Folio,
    change: &impl Fn(Pte) -> Pte,
) {
    each_mapping(space, file, pgoff, folio, |_, slot, pte| {
        let new = change(pte);
        if new != pte
            && slot
                .compare_exchange(pte.bits(), new.bits(), Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            inv.code |= pte.allows(Access::Exec);
            if new.is_valid() {
                inv.flush = true;
            } else {
                inv.release_after_flush(pte.frame());
            }
        }
    });
}

/// What reclaim's look through the mappings of a page found (Linux's `folio_referenced`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Mapped {
    /// Entries whose accessed bit was set (now cleared).
    pub young: u32,
    /// Whether one of those is executable.
    pub exec: bool,
    /// Whether an mlocked VMA maps the page.
    pub locked: bool,
}

/// Test-and-clears the accessed bit of every entry of every space that maps `folio`.
pub(crate) fn referenced(
    space: &MmCore,
    file: &Arc<CachedFile>,
    pgoff: u64,
    folio: &Folio,
) -> Mapped {
    let mut m = Mapped::default();
    for s in space.machine_spaces() {
        each_mapping(&s, file, pgoff, folio, |vma, slot, pte| {
            m.locked |= vma.flags.contains(VmaFlags::LOCKED);
            if pagetable::test_and_clear_accessed(slot) {
                m.young += 1;
                m.exec |= pte.allows(Access::Exec);
            }
        });
    }
    m
}

/// Clears every entry of every space that maps `folio`; the frame references they held
/// go once the TLBs are shot down (before this returns).
pub(crate) fn unmap(
    space: &MmCore,
    caller: &Caller,
    file: &Arc<CachedFile>,
    pgoff: u64,
    folio: &Folio,
) {
    for_each_mapping(space, caller, file, pgoff, folio, |_| Pte::EMPTY);
}

/// Takes write permission from every entry of every space that maps `folio`, and shoots
/// down the TLBs before returning, so that the next store to it faults and marks it
/// dirty.
pub(crate) fn write_protect(
    space: &MmCore,
    caller: &Caller,
    file: &Arc<CachedFile>,
    pgoff: u64,
    folio: &Folio,
) {
    for_each_mapping(space, caller, file, pgoff, folio, |pte| {
        let mut p = prot::READ;
        if pte.allows(Access::Exec) {
            p |= prot::EXEC;
        }
        pte.with_prot(p)
    });
}
