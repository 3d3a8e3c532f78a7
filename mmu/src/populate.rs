//! Prefaulting ranges, as Linux's `__mm_populate` does for MAP_POPULATE, MAP_LOCKED,
//! mlock and the growth of locked mappings.
//!
//! It runs after the operation that asked for it has released `mmap_lock`'s write side,
//! under the read side, VMA by VMA: holes are skipped, VMAs locked on fault
//! (`MLOCK_ONFAULT`) and inaccessible ones are left alone, private writable VMAs get
//! write faults (to have their own pages), the others read faults (or exec faults for
//! execute-only ones).

use crate::caller::Caller;
use crate::errno::Errno;
use crate::fault;
use crate::mm_core::MmCore;
use crate::types::FaultError;
use crate::types::{Access, PAGE_SIZE};
use crate::vma::VmaFlags;

/// What to do when a page cannot be faulted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnError {
    /// Go on with the next VMA (Linux's `mm_populate`).
    Ignore,
    /// Stop and report it (mlock).
    Report,
}

/// Faults in the pages of `[start, end)` the VMAs there allow any access to.
pub(crate) fn populate(
    space: &MmCore,
    caller: &Caller,
    start: u64,
    end: u64,
    on_error: OnError,
) -> Result<(), FaultError> {
    let mm = space.lock_read(caller);
    let stats = space.stats_of(caller);
    for v in mm.vmas.overlapping(start, end) {
        if v.flags.contains(VmaFlags::LOCKONFAULT) {
            continue;
        }
        let access = if v.allows(Access::Write) && !v.is_shared() {
            Access::Write
        } else if v.allows(Access::Read) {
            Access::Read
        } else if v.allows(Access::Exec) {
            Access::Exec
        } else {
            continue;
        };
        let mut va = start.max(v.start);
        while va < end.min(v.end) {
            match fault::handle_kernel_fault(space, &mm, va, access, stats) {
                Ok(_) => va += PAGE_SIZE,
                Err(_) if on_error == OnError::Ignore => break,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Linux's `mm_populate`: populates, ignoring what fails.
pub(crate) fn populate_ignoring_errors(space: &MmCore, caller: &Caller, start: u64, end: u64) {
    // Cannot fail: errors are ignored.
    let _ = populate(space, caller, start, end, OnError::Ignore);
}

/// Errno of a populate that failed, as mlock reports it
/// (`__mlock_posix_error_return`: EFAULT becomes ENOMEM, ENOMEM becomes EAGAIN).
pub(crate) fn mlock_errno(e: FaultError) -> Errno {
    match e.errno() {
        Errno::EFAULT => Errno::ENOMEM,
        Errno::ENOMEM => Errno::EAGAIN,
        other => other,
    }
}
