//! Reverse mapping of page-cache pages: the page-table entries that map a folio, found
//! by walking the lock-free VMA snapshot for VMAs of its file (Linux walks the file's
//! `i_mmap` tree). Reclaim clears them; write-back write-protects them (`folio_mkclean`).

use crate::folio::Folio;
use crate::invalidate::Invalidation;
use crate::pagecache::CachedFile;
use crate::pagetable::Pte;
use crate::space::{AddressSpace, Caller};
use crate::vma::Backing;
use crate::vma_index::VmaView;
use crate::{prot, Access, PAGE_SIZE};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Replaces each entry that maps `folio` (page `pgoff` of `file`) with what `change`
/// makes of it, noting in `inv` what TLBs must forget. Entries that map another frame (a
/// private copy) are left alone.
fn for_each_mapping(
    space: &AddressSpace,
    inv: &mut Invalidation,
    file: &Arc<CachedFile>,
    pgoff: u64,
    folio: &Folio,
    change: impl Fn(Pte) -> Pte,
) {
    let mut view = VmaView::default();
    space.vma_index().refresh(&mut view);
    for vma in view.nodes().iter().map(|n| n.vma()) {
        let Backing::File(f) = &vma.backing else {
            continue;
        };
        let pages = vma.len() / PAGE_SIZE;
        if !Arc::ptr_eq(f, file) || pgoff < vma.pgoff || pgoff >= vma.pgoff + pages {
            continue;
        }
        let addr = vma.start + (pgoff - vma.pgoff) * PAGE_SIZE;
        let slot = space.page_table().slot_or_alloc(addr);
        let pte = Pte::from_bits(slot.load(Ordering::Acquire));
        if !pte.is_valid() || pte.frame() != folio.frame() {
            continue;
        }
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
    }
}

/// Clears every entry that maps `folio`; the frame references they held go once the
/// TLBs are shot down (before this returns).
pub(crate) fn unmap(
    space: &AddressSpace,
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
    space: &AddressSpace,
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
