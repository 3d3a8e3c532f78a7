//! fork's memory side (Linux's `dup_mmap`): a child address space on the parent's
//! machine, with a copy of every VMA and copy-on-write private pages.
//!
//! The parent's `mmap_lock` is held for write throughout, and its VMAs are write-locked
//! first (waiting for the faults under their per-VMA locks to leave): every VMA with
//! `--fork-lock all`, as Linux does; only the private ones (anonymous, and file mappings'
//! copy on write: those whose entries fork changes) with `anon-cow`, so that fork need
//! not wait behind a fault of a shared file mapping that holds its VMA lock across I/O.
//! Counted as `fork.count`, `fork.dup_mmap_ns` (the write hold) and
//! `fork.vma_write_wait_ns` (the readers' drain).
//!
//! What the child gets, VMA by VMA:
//! - `MADV_DONTFORK` VMAs: nothing. Every other VMA is copied with its flags, names and
//!   backing, less `mlock` (VM_LOCKED and VM_LOCKONFAULT are not inherited).
//! - Shared mappings (file or anonymous): no entries; the child's faults find the same
//!   page-cache pages or shared-object pages.
//! - `MADV_WIPEONFORK` VMAs: no entries; the child reads zeroes.
//! - Private mappings: each page's entry, write-protected on both sides, the frame taking
//!   one more reference (the first store on either side copies it, or reuses it once the
//!   other side is done with it: the `cow` module); a page-cache page of a private file
//!   mapping is mapped read-only as it was; a swap entry names its slot on both sides,
//!   the slot counting one more entry.
//!
//! The parent's TLBs are shot down before its locks are released: a hart must not keep
//! storing to a page through a translation made before it was write-protected.
//!
//! Not modelled: a system call of another parent thread that pinned a private page for a
//! copy into it (`uaccess`) before fork may finish its copy after fork shared the page,
//! so the child sees those bytes too; Linux copies such pinned pages at fork
//! (`page_needs_cow_for_dma`).

use crate::caller::Caller;
use crate::errno::Errno;
use crate::invalidate::Invalidation;
use crate::mm_core::{MmCore, MmState};
use crate::pagetable::Pte;
use crate::policy::ForkLock;
use crate::stats::Counter;
use crate::swap::ra_window::SwapRaInfo;
use crate::types::prot;
use crate::vma::{Backing, Vma, VmaFlags};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Forks `parent` on the caller's behalf: the child's address space, on the same
/// machine. EINTR if the caller is killed while it waits for `mmap_lock`, ENOMEM if the
/// child's space cannot be made.
pub(crate) fn fork(parent: &MmCore) -> Result<Arc<MmCore>, Errno> {
    let caller = parent.caller();
    let child =
        MmCore::new_on(parent.machine(), parent.config().clone()).map_err(|_| Errno::ENOMEM)?;
    dup_mmap(parent, &caller, |mm, inv| copy_mm(parent, mm, &child, inv))?;
    Ok(child)
}

/// Runs `copy` the way fork's `dup_mmap` runs its copying: with `mmap_lock` held for
/// write and the VMAs the space's [`ForkLock`] names write-locked, so that no fault can
/// run in them meanwhile; the TLB shootdown and frame releases `copy` notes in its
/// [`Invalidation`] are done before the locks go. Counts the fork.
pub(crate) fn dup_mmap<R>(
    parent: &MmCore,
    caller: &Caller,
    copy: impl FnOnce(&MmState, &mut Invalidation) -> R,
) -> Result<R, Errno> {
    let stats = parent.stats_of(caller);
    let clock = parent.clock();
    let mm = parent.lock_write_killable(caller)?;
    let held = clock.now_ns();
    let all = parent.config().fork_lock == ForkLock::All;
    let waited = mm.write_lock_where(|v| all || !v.is_shared());
    let copied = {
        let mut inv = Invalidation::new(parent, caller);
        copy(&mm, &mut inv)
    };
    stats.add(Counter::ForkCount, 1);
    stats.add(Counter::ForkVmaWriteWaitNs, waited);
    stats.add(Counter::ForkDupMmapNs, clock.now_ns() - held);
    drop(mm);
    Ok(copied)
}

/// Copies the parent's VMAs (`mm`) and private pages into the empty `child` (see the
/// module docs), noting in `inv` the parent's entries it write-protected.
fn copy_mm(parent: &MmCore, mm: &MmState, child: &MmCore, inv: &mut Invalidation) {
    let nobody = Caller(None);
    let mut cm = child.lock_write(&nobody);
    cm.set_brk(mm.brk_start, mm.brk);
    for vma in mm.vmas.iter() {
        if vma.flags.contains(VmaFlags::DONTCOPY) {
            continue;
        }
        let mut copy = vma.clone();
        copy.flags = copy
            .flags
            .without(VmaFlags::LOCKED)
            .without(VmaFlags::LOCKONFAULT);
        copy.swap_ra = SwapRaInfo::default();
        cm.insert(copy);
        if !vma.is_shared() && !vma.flags.contains(VmaFlags::WIPEONFORK) {
            copy_private_pages(parent, child, vma, inv);
        }
    }
}

/// Linux's `copy_pte_range` for the private `vma`: maps each of its pages in `child`
/// too, write-protected on both sides (see the module docs).
fn copy_private_pages(parent: &MmCore, child: &MmCore, vma: &Vma, inv: &mut Invalidation) {
    let frames = parent.frames();
    let swap = parent.swap();
    let shared_prot = vma.prot & !prot::WRITE;
    parent
        .page_table()
        .for_each_present(vma.start, vma.end, |addr, slot, _| loop {
            let pte = Pte::from_bits(slot.load(Ordering::Acquire));
            if pte.is_swap() {
                // No fault runs in the VMA and nobody else frees a slot an entry names:
                // the slot stays while it gains its second entry.
                swap.expect("a swap entry without swap")
                    .file
                    .dup(pte.swap_slot());
                let to = child.page_table().slot_or_alloc(addr);
                to.store(pte.bits(), Ordering::Release);
                return;
            }
            if !pte.is_valid() {
                // Reclaim took a page-cache page away meanwhile: the child faults it in.
                return;
            }
            let frame = pte.frame();
            // The reference first, then the compare-exchange: reclaim, which swaps out
            // a frame only when the entries it found hold every reference to it, either
            // took the page before (and the exchange fails) or finds it held once more.
            frames.get(frame);
            let protected = pte.write_protected();
            if slot
                .compare_exchange(
                    pte.bits(),
                    protected.bits(),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_err()
            {
                // Swapped out, or a hart set the accessed bit: look again.
                frames.put(frame);
                continue;
            }
            inv.flush |= protected != pte;
            let to = child.page_table().slot_or_alloc(addr);
            to.store(Pte::new(frame, shared_prot).bits(), Ordering::Release);
            if let Some(swap) = swap.filter(|_| !is_cache_page(vma, addr, frame)) {
                swap.note_mapped(child.id(), addr, frame);
            }
            return;
        });
}

/// Whether `frame`, mapped at `addr` of `vma`, is its file's page-cache page (not a
/// private copy).
fn is_cache_page(vma: &Vma, addr: u64, frame: u32) -> bool {
    match &vma.backing {
        Backing::File(file) => file
            .lookup(vma.pgoff_of(addr))
            .is_some_and(|f| f.frame() == frame),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
