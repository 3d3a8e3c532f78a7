//! Copies between guest memory and the emulator, as system calls make them.
//!
//! They hold `mmap_lock` for read from the first page to the last: frames are freed only
//! under the write lock, so every frame a copy finds stays allocated while it copies. Pages
//! are faulted in as the guest's own access would, with the same permission checks.

use crate::fault::{self, FaultError};
use crate::pagetable::{Pte, TASK_SIZE};
use crate::space::{AddressSpace, MmState};
use crate::{Access, Errno, HartStats, PAGE_SIZE};
use std::sync::atomic::{AtomicU32, Ordering};

/// The host address of `addr` for `access` and the page's entry, faulting the page in.
fn user_ptr(
    space: &AddressSpace,
    mm: &MmState,
    stats: &HartStats,
    addr: u64,
    access: Access,
) -> Result<(*mut u8, Pte), Errno> {
    if addr >= TASK_SIZE {
        return Err(Errno::EFAULT);
    }
    let mut pte = space.page_table().lookup(addr);
    if !pte.allows(access) {
        pte = fault::fault_in(space, mm, addr, access, stats).map_err(FaultError::errno)?;
    }
    let host = space
        .frames()
        .host_ptr(pte.frame())
        .wrapping_add((addr & (PAGE_SIZE - 1)) as usize);
    Ok((host, pte))
}

/// Calls `f(host, done, n)` for each page-bounded piece of `[addr, addr + len)`, where
/// `done` bytes precede the piece, until `f` returns false.
fn for_each_piece(
    space: &AddressSpace,
    addr: u64,
    len: usize,
    access: Access,
    mut f: impl FnMut(*mut u8, usize, usize) -> bool,
) -> Result<(), Errno> {
    if len == 0 {
        return Ok(());
    }
    let caller = space.caller();
    let mm = space.lock_read(&caller);
    let stats = space.stats_of(&caller);
    let mut code_written = false;
    let mut done = 0usize;
    while done < len {
        let va = addr.checked_add(done as u64).ok_or(Errno::EFAULT)?;
        let n = (len - done).min((PAGE_SIZE - (va & (PAGE_SIZE - 1))) as usize);
        let (host, pte) = user_ptr(space, &mm, stats, va, access)?;
        code_written |= access == Access::Write && pte.is_writable_code();
        if !f(host, done, n) {
            break;
        }
        done += n;
    }
    if code_written {
        space.bump_icache_epoch();
    }
    Ok(())
}

pub(crate) fn read_bytes(space: &AddressSpace, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
    let dst = buf.as_mut_ptr();
    for_each_piece(space, addr, buf.len(), Access::Read, |host, done, n| {
        // SAFETY: `host..host + n` is in a frame kept alive by the read lock; `dst + done`
        // has `n` bytes left in `buf`. Guest memory is read through raw pointers only.
        unsafe { std::ptr::copy_nonoverlapping(host, dst.add(done), n) };
        true
    })
}

pub(crate) fn write_bytes(space: &AddressSpace, addr: u64, data: &[u8]) -> Result<(), Errno> {
    for_each_piece(space, addr, data.len(), Access::Write, |host, done, n| {
        // SAFETY: as in `read_bytes`, the other way round.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr().add(done), host, n) };
        true
    })
}

pub(crate) fn read_cstring(space: &AddressSpace, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    for_each_piece(space, addr, max, Access::Read, |host, _, n| {
        let at = out.len();
        out.resize(at + n, 0);
        // SAFETY: as in `read_bytes`.
        unsafe { std::ptr::copy_nonoverlapping(host, out.as_mut_ptr().add(at), n) };
        match out[at..].iter().position(|&b| b == 0) {
            Some(nul) => {
                out.truncate(at + nul);
                false
            }
            None => true,
        }
    })?;
    Ok(out)
}

/// The aligned u32 at `addr`, usable atomically while `mm` (the read lock) is held.
fn user_atomic<'a>(
    space: &AddressSpace,
    mm: &'a MmState,
    stats: &HartStats,
    addr: u64,
    access: Access,
) -> Result<(&'a AtomicU32, Pte), Errno> {
    if addr & 3 != 0 {
        return Err(Errno::EINVAL);
    }
    let (host, pte) = user_ptr(space, mm, stats, addr, access)?;
    // SAFETY: aligned, and the frame stays allocated while the read lock (`mm`) is held.
    Ok((unsafe { AtomicU32::from_ptr(host.cast()) }, pte))
}

pub(crate) fn load_u32_atomic(space: &AddressSpace, addr: u64) -> Result<u32, Errno> {
    let caller = space.caller();
    let mm = space.lock_read(&caller);
    let (word, _) = user_atomic(space, &mm, space.stats_of(&caller), addr, Access::Read)?;
    Ok(word.load(Ordering::SeqCst))
}

pub(crate) fn update_u32_atomic(
    space: &AddressSpace,
    addr: u64,
    f: &dyn Fn(u32) -> u32,
) -> Result<u32, Errno> {
    let caller = space.caller();
    let mm = space.lock_read(&caller);
    let (word, pte) = user_atomic(space, &mm, space.stats_of(&caller), addr, Access::Write)?;
    let old = word
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| Some(f(v)))
        .expect("always Some");
    if pte.is_writable_code() {
        space.bump_icache_epoch();
    }
    Ok(old)
}
