//! [`Invalidation`]: page-table entries an operation cleared or weakened, and what is due
//! because of them.
//!
//! When it drops, an invalidation bumps the icache epoch if code was affected, shoots
//! down every TLB (the initiator counting as out of guest state while it waits, so two
//! initiators never wait for each other), and only then drops the references the cleared
//! entries held on their frames. It must drop while the lock that kept the range stable
//! is still held (declare it after the lock guard): `mmap_lock` for write, or — for
//! MADV_DONTNEED and MADV_FREE — the per-VMA read lock or `mmap_lock` for read.

use crate::caller::Caller;
use crate::frames::FrameId;
use crate::mm_core::MmCore;
use crate::mmap_lock::MmWriteGuard;
use crate::pagetable::Pte;
use crate::stats::Counter;
use crate::types::prot;
use crate::vma::Vma;
use devices::trace::{self, catalog, TraceArg, TraceValue};
use std::sync::atomic::Ordering;

/// Page-table changes whose TLB shootdown and frame releases are due; done on drop.
pub(crate) struct Invalidation<'a> {
    space: &'a MmCore,
    caller: &'a Caller,
    /// References held by cleared entries, dropped after the shootdown.
    frames: Vec<FrameId>,
    /// Whether any TLB may hold a translation that is no longer right.
    pub flush: bool,
    /// Whether executable pages changed (decoded code may be stale).
    pub code: bool,
    /// Removed VMAs, dropped last (with them, possibly, shared objects).
    pub vmas: Vec<Vma>,
    /// Swap slots of cleared swap entries, freed once this is done.
    swap_slots: Vec<u32>,
}

impl<'a> Invalidation<'a> {
    /// Nothing invalidated yet.
    pub(crate) fn new(space: &'a MmCore, caller: &'a Caller) -> Self {
        Invalidation {
            space,
            caller,
            frames: Vec::new(),
            flush: false,
            code: false,
            vmas: Vec::new(),
            swap_slots: Vec::new(),
        }
    }

    /// Clears the entries of `[start, end)`, keeping their frame references for later.
    /// Entries are swapped out atomically, so a fault installing one meanwhile either
    /// comes before (and is cleared) or after (and stays).
    pub(crate) fn zap(&mut self, start: u64, end: u64) {
        self.space
            .page_table()
            .for_each_present(start, end, |_, slot, _| {
                let old = Pte::from_bits(slot.swap(0, Ordering::AcqRel));
                if old.is_valid() {
                    self.frames.push(old.frame());
                    self.flush = true;
                } else if old.is_swap() {
                    self.swap_slots.push(old.swap_slot());
                }
            });
    }

    /// Drops a reference to `frame`, replaced in an entry this call changed, once every
    /// TLB that may still reach it has been shot down.
    pub(crate) fn release_after_flush(&mut self, frame: FrameId) {
        self.frames.push(frame);
        self.flush = true;
    }

    /// Clears the entries of `vma`'s part `[start, end)`, noting whether it held code.
    pub(crate) fn zap_vma(&mut self, vma: &Vma, start: u64, end: u64) {
        self.code |= vma.prot & prot::EXEC != 0;
        self.zap(start, end);
    }

    /// Removes the VMAs in `[start, end)` and their pages.
    pub(crate) fn unmap(&mut self, mm: &mut MmWriteGuard, start: u64, end: u64) {
        let removed = mm.remove_range(start, end);
        for v in &removed {
            self.zap_vma(v, v.start, v.end);
        }
        self.vmas.extend(removed);
    }
}

impl Drop for Invalidation<'_> {
    fn drop(&mut self) {
        if self.code {
            // Before the shootdown: harts acknowledge at block boundaries, where they also
            // check the epoch, so none runs stale decoded code once the call returns.
            self.space.bump_icache_epoch();
        }
        if self.flush {
            let shootdown = self.space.shootdown();
            let clock = self.space.clock();
            let start = clock.now_ns();
            trace::begin(catalog::SHOOTDOWN, &[]);
            let harts = self
                .space
                .blocking(self.caller, || shootdown.shoot(self.caller.hart()));
            trace::end(&[TraceArg::new(
                catalog::TARGETS,
                TraceValue::Uint(harts as u64),
            )]);
            let wait_ns = clock.now_ns() - start;
            let stats = self.space.stats_of(self.caller);
            stats.add(Counter::TlbShootdowns, 1);
            stats.add(Counter::TlbShootdownWaitNs, wait_ns);
        }
        for &f in &self.frames {
            self.space.frames().put(f);
        }
        for &slot in &self.swap_slots {
            self.space.free_swap_entry(self.caller, slot);
        }
    }
}
