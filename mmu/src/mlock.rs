//! mlock(2), mlock2(2), munlock(2), mlockall(2) and munlockall(2).
//!
//! Each takes `mmap_lock` for write (killable) to set or clear the lock flags of the
//! VMAs, write-locking those that change (split at the range's ends, merged back when
//! they match their neighbours). mlock and mlockall(MCL_CURRENT) then populate the range
//! under the read side, as Linux's `__mm_populate` does; with MLOCK_ONFAULT or
//! MCL_ONFAULT pages are left to fault in. mlockall(MCL_FUTURE) makes later mappings and
//! heap growth locked too.

use crate::errno::Errno;
use crate::mm_core::MmCore;
use crate::mman::page_align;
use crate::pagetable::TASK_SIZE;
use crate::populate::{mlock_errno, populate, populate_ignoring_errors, OnError};
use crate::types::{mlock_flags as flags, PAGE_SIZE};
use crate::vma::VmaFlags;

/// Both lock flags.
const LOCK_MASK: VmaFlags = VmaFlags(VmaFlags::LOCKED.0 | VmaFlags::LOCKONFAULT.0);

/// The page range mlock and munlock act on: `addr` rounded down, the end rounded up.
fn lock_range(addr: u64, len: u64) -> Result<(u64, u64), Errno> {
    let start = addr & !(PAGE_SIZE - 1);
    let len = len
        .checked_add(addr - start)
        .and_then(page_align)
        .ok_or(Errno::EINVAL)?;
    let end = start.checked_add(len).ok_or(Errno::EINVAL)?;
    if end > TASK_SIZE {
        return Err(Errno::ENOMEM);
    }
    Ok((start, end))
}

/// Sets the lock flags of every VMA in `[start, end)` to `lock`; ENOMEM if part of the
/// range is unmapped (the mapped part before the hole is changed).
fn apply(space: &MmCore, start: u64, end: u64, lock: VmaFlags) -> Result<(), Errno> {
    let caller = space.caller();
    let mut mm = space.lock_write_killable(&caller)?;
    let mut at = start;
    while at < end {
        let v = mm.vmas.find(at).ok_or(Errno::ENOMEM)?;
        let e = v.end.min(end);
        mm.update_range(at, e, |v| v.flags = v.flags.without(LOCK_MASK) | lock);
        at = e;
    }
    Ok(())
}

pub(crate) fn mlock(space: &MmCore, addr: u64, len: u64, how: u32) -> Result<(), Errno> {
    if how & !flags::ONFAULT != 0 {
        return Err(Errno::EINVAL);
    }
    let (start, end) = lock_range(addr, len)?;
    if start == end {
        return Ok(());
    }
    let onfault = how & flags::ONFAULT != 0;
    let lock = match onfault {
        true => LOCK_MASK,
        false => VmaFlags::LOCKED,
    };
    apply(space, start, end, lock)?;
    if !onfault {
        let caller = space.caller();
        populate(space, &caller, start, end, OnError::Report).map_err(mlock_errno)?;
    }
    Ok(())
}

pub(crate) fn munlock(space: &MmCore, addr: u64, len: u64) -> Result<(), Errno> {
    let (start, end) = lock_range(addr, len)?;
    if start == end {
        return Ok(());
    }
    apply(space, start, end, VmaFlags::default())
}

/// Linux's `apply_mlockall_flags`: `how` 0 is munlockall.
fn apply_all(space: &MmCore, how: u32) -> Result<(), Errno> {
    let lock = match how & flags::MCL_ONFAULT {
        0 if how == 0 => VmaFlags::default(),
        0 => VmaFlags::LOCKED,
        _ => LOCK_MASK,
    };
    let caller = space.caller();
    {
        let mut mm = space.lock_write_killable(&caller)?;
        let future = match how & flags::MCL_FUTURE {
            0 => VmaFlags::default(),
            _ => lock,
        };
        mm.set_def_flags(mm.def_flags.without(LOCK_MASK) | future);
        if how != 0 && how & flags::MCL_CURRENT == 0 {
            return Ok(());
        }
        let ranges: Vec<(u64, u64)> = mm.vmas.iter().map(|v| (v.start, v.end)).collect();
        for (s, e) in ranges {
            mm.update_range(s, e, |v| v.flags = v.flags.without(LOCK_MASK) | lock);
        }
    }
    if how & flags::MCL_CURRENT != 0 {
        populate_ignoring_errors(space, &caller, 0, TASK_SIZE);
    }
    Ok(())
}

pub(crate) fn mlockall(space: &MmCore, how: u32) -> Result<(), Errno> {
    let all = flags::MCL_CURRENT | flags::MCL_FUTURE | flags::MCL_ONFAULT;
    if how == 0 || how & !all != 0 || how == flags::MCL_ONFAULT {
        return Err(Errno::EINVAL);
    }
    apply_all(space, how)
}

pub(crate) fn munlockall(space: &MmCore) -> Result<(), Errno> {
    apply_all(space, 0)
}
