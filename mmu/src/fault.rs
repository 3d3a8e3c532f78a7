//! Guest memory faults: what the CPU sees ([`MemFault`]), the page work of a fault
//! (`PteFaultHandler`, Linux's `handle_pte_fault`) and the entry for kernel-side faults
//! (`handle_kernel_fault`: a system call's copy or a populate, under `mmap_lock`); a
//! hart's faults enter through `fault_state::handle_guest_fault`.
//!
//! The handler runs with the VMA held stable — by its per-VMA read lock, or by
//! `mmap_lock` (for read by a faulting hart or a user copy, for write when an mm system
//! call populates) — checks the access against its protection, and installs a page: a
//! zeroed frame for private anonymous memory (or, for a swap entry, the page read back
//! from swap: the `swapin` module), the object's frame for shared anonymous memory, a
//! page-cache page for a file (`file_fault`). The entry is installed with a
//! compare-exchange, so two harts faulting the same page together allocate one frame
//! between them (the loser gives its frame back).
//!
//! Running out of frames: Linux answers a fault it cannot satisfy for lack of memory
//! with the OOM killer, which kills the process with SIGKILL. Here the guest process is
//! the emulator process, so a guest access that needs a frame when the pool is exhausted
//! panics with a message naming the pool size (`MmConfig::frame_pool_bytes`): the
//! emulator reports it like any fatal error and the process dies, as the guest would
//! have. System calls report it as `ENOMEM` instead (mmap with `MAP_POPULATE` or
//! `MAP_LOCKED`, `MADV_POPULATE_*`), and guest-memory copies made by system calls
//! return `ENOMEM` rather than `EFAULT`.

pub use crate::types::{Access, FaultError, FaultKind, MemFault};

use crate::cow::wp_page;
use crate::fault_state::{FaultCtx, FaultOutcome, PageFaultHandler, Waits};
use crate::file_fault::file_fault;
use crate::mm_core::{Cx, MmCore, MmState};
use crate::pagetable::Pte;
use crate::reclaim;
use crate::shmem_swap;
use crate::stats::{Counter, HartStats};
use crate::swapin::swap_fault;
use crate::vma::{Backing, Vma};
use devices::Cost;
use std::sync::atomic::Ordering;

/// The page work of a guest fault: file pages and swapped-out anonymous pages wait at
/// the policy's hook; other anonymous memory never waits.
pub(crate) struct PteFaultHandler<'a> {
    /// Where the pages go.
    pub space: &'a MmCore,
    /// Where the faults are counted.
    pub stats: &'a HartStats,
}

impl PageFaultHandler for PteFaultHandler<'_> {
    fn handle(&self, ctx: &mut FaultCtx<'_>, vma: &Vma, addr: u64, access: Access) -> FaultOutcome {
        let cx = Cx {
            core: self.space,
            caller: ctx.caller(),
            stats: self.stats,
        };
        let waits = Waits::Policy(ctx);
        match &vma.backing {
            Backing::File(file) => file_fault(cx, vma, file, addr, access, waits),
            _ => anon_fault(cx, vma, addr, access, waits),
        }
    }
}

/// Makes the page containing `addr` accessible for `access` as its VMA allows, with
/// `mmap_lock` held (`mm` is what it protects). Returns the page's entry, which allows
/// `access`.
pub(crate) fn handle_kernel_fault(
    space: &MmCore,
    mm: &MmState,
    addr: u64,
    access: Access,
    stats: &HartStats,
) -> Result<Pte, FaultError> {
    space.clock().charge(Cost::Fault, 1);
    let vma = mm
        .vmas
        .find(addr)
        .ok_or(FaultError::Fault(FaultKind::Unmapped))?;
    if !vma.allows(access) {
        return Err(FaultError::Fault(FaultKind::Protection));
    }
    handle_mm_fault(space, vma, addr, access, stats)
}

/// Linux's `handle_mm_fault`: installs the page containing `addr` in `vma`, which
/// allows `access` and is held stable by the caller (its per-VMA read lock or
/// `mmap_lock`). Returns the page's entry, which allows `access`.
pub(crate) fn handle_mm_fault(
    space: &MmCore,
    vma: &Vma,
    addr: u64,
    access: Access,
    stats: &HartStats,
) -> Result<Pte, FaultError> {
    let caller = space.caller();
    let cx = Cx {
        core: space,
        caller: &caller,
        stats,
    };
    let outcome = match &vma.backing {
        Backing::File(file) => file_fault(cx, vma, file, addr, access, Waits::InPlace),
        _ => anon_fault(cx, vma, addr, access, Waits::InPlace),
    };
    match outcome {
        FaultOutcome::Done(pte) => Ok(pte),
        FaultOutcome::Error(e) => Err(e),
        FaultOutcome::Retry { .. } => unreachable!("a fault waiting in place never retries"),
        FaultOutcome::Again => unreachable!("file and anonymous faults look again themselves"),
    }
}

/// A fault on anonymous memory: brings a swapped-out page back ([`swap_fault`]), or
/// installs a zeroed (private) or the object's (shared) frame.
fn anon_fault(
    cx: Cx<'_>,
    vma: &Vma,
    addr: u64,
    access: Access,
    mut waits: Waits<'_, '_>,
) -> FaultOutcome {
    loop {
        match swap_fault(cx, vma, (addr, access), &mut waits) {
            // Not a swap entry: a new page.
            FaultOutcome::Again => {}
            outcome => return outcome,
        }
        match new_anon_page(cx, vma, addr, access) {
            // Swapped out meanwhile: bring it back.
            FaultOutcome::Again => continue,
            outcome => return outcome,
        }
    }
}

/// Installs the page of `addr` in the anonymous `vma` unless another hart did;
/// [`FaultOutcome::Again`] when the entry is a swap entry.
fn new_anon_page(cx: Cx<'_>, vma: &Vma, addr: u64, access: Access) -> FaultOutcome {
    let Cx {
        core: space, stats, ..
    } = cx;
    let slot = space.page_table().slot_or_alloc(addr);
    let current = Pte::from_bits(slot.load(Ordering::Acquire));
    if current.is_swap() {
        return FaultOutcome::Again;
    }
    if current.is_valid() && !current.allows(access) && access == Access::Write {
        if let Backing::Private = vma.backing {
            // Write-protected for copy on write (fork, or a swap-in of a shared slot).
            return wp_page(cx, vma, addr, slot, current);
        }
    }
    if current.is_valid() {
        // Another hart installed it since this one walked. Entries carry their VMA's
        // protection (mprotect rewrites them with the VMA write-locked), so it allows
        // `access`.
        debug_assert!(
            current.allows(access),
            "PTE {current:?} lags VMA prot {:#x}",
            vma.prot
        );
        return match current.allows(access) {
            true => FaultOutcome::Done(current),
            false => FaultOutcome::Error(FaultError::Fault(FaultKind::Protection)),
        };
    }
    let (frame, major) = match &vma.backing {
        Backing::Private => match space.frames().alloc_zeroed() {
            Some(frame) => {
                // Linux clears every new anonymous page, whether or not the host had to.
                space.clock().charge(Cost::PageZero, 1);
                (frame, false)
            }
            None => return FaultOutcome::Error(FaultError::OutOfMemory),
        },
        Backing::Shared(obj) => match shmem_swap::get_page(cx, obj, vma.pgoff_of(addr)) {
            Ok(page) => page,
            Err(e) => return FaultOutcome::Error(e),
        },
        Backing::File(_) => unreachable!("file pages are handled above"),
    };
    // Installed young: the fault is an access (and populating touches, as Linux's
    // FOLL_TOUCH does), so the TLB fill that follows needs no second atomic update.
    let pte = Pte::new(frame, vma.prot).accessed();
    // Release: the frame's zeroes (or shared contents) are visible to every walker that
    // finds the entry.
    match slot.compare_exchange(0, pte.bits(), Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => {
            let counter = match major {
                true => Counter::FaultsMajor,
                false => Counter::FaultsMinor,
            };
            stats.add(counter, 1);
            if let Some(swap) = space.swap() {
                if let Backing::Private = vma.backing {
                    swap.note_mapped(space.id(), addr, frame);
                }
                reclaim::direct(cx);
            }
            FaultOutcome::Done(pte)
        }
        Err(winner) => {
            space.frames().put(frame);
            let winner = Pte::from_bits(winner);
            match winner.is_valid() {
                true => FaultOutcome::Done(winner),
                false => FaultOutcome::Again,
            }
        }
    }
}

/// The guest touched a page that needs a frame and the pool has none left: the process
/// dies, as Linux's OOM killer would make it (see the module docs).
#[cold]
pub(crate) fn out_of_memory(space: &MmCore) -> ! {
    panic!(
        "guest out of memory: all {} MiB of the frame pool are in use (MmConfig::frame_pool_bytes); \
         Linux would kill the process (SIGKILL)",
        (space.frames().capacity() as u64 * crate::types::PAGE_SIZE) >> 20
    )
}
