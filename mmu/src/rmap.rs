//! Reverse mapping of page-cache pages: the page-table entries that map a folio, found
//! by walking the lock-free VMA snapshot for VMAs of its file (Linux walks the file's
//! `i_mmap` tree). Reclaim harvests their accessed bits and clears them; write-back
//! write-protects them (`folio_mkclean`).

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

/// Calls `f(vma, slot, pte)` for each valid entry that maps `folio` (page `pgoff` of
/// `file`). Entries that map another frame (a private copy) are left out.
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

/// Replaces each entry that maps `folio` (page `pgoff` of `file`) with what `change`
/// makes of it, noting in `inv` what TLBs must forget.
fn for_each_mapping(
    space: &MmCore,
    inv: &mut Invalidation,
    file: &Arc<CachedFile>,
    pgoff: u64,
    folio: &Folio,
    change: impl Fn(Pte) -> Pte,
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

/// Test-and-clears the accessed bit of every entry that maps `folio`.
pub(crate) fn referenced(
    space: &MmCore,
    file: &Arc<CachedFile>,
    pgoff: u64,
    folio: &Folio,
) -> Mapped {
    let mut m = Mapped::default();
    each_mapping(space, file, pgoff, folio, |vma, slot, pte| {
        m.locked |= vma.flags.contains(VmaFlags::LOCKED);
        if pagetable::test_and_clear_accessed(slot) {
            m.young += 1;
            m.exec |= pte.allows(Access::Exec);
        }
    });
    m
}

/// Clears every entry that maps `folio`; the frame references they held go once the
/// TLBs are shot down (before this returns).
pub(crate) fn unmap(
    space: &MmCore,
    caller: &Caller,
    file: &Arc<CachedFile>,
    pgoff: u64,
    folio: &Folio,
) {
    let mut inv = Invalidation::new(space, caller);
    for_each_mapping(space, &mut inv, file, pgoff, folio, |_| Pte::EMPTY);
}

/// Takes write permission from every entry that maps `folio`, and shoots down the TLBs
/// before returning, so that the next store to it faults and marks it dirty.
pub(crate) fn write_protect(
    space: &MmCore,
    caller: &Caller,
    file: &Arc<CachedFile>,
    pgoff: u64,
    folio: &Folio,
) {
    let mut inv = Invalidation::new(space, caller);
    for_each_mapping(space, &mut inv, file, pgoff, folio, |pte| {
        let mut p = prot::READ;
        if pte.allows(Access::Exec) {
            p |= prot::EXEC;
        }
        pte.with_prot(p)
    });
}
