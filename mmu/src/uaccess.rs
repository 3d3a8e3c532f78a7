//! Copies between guest memory and the emulator, as system calls make them.
//!
//! Like Linux's `copy_from_user`, a copy takes no lock while the pages are there: it
//! walks the page table and pins each page's frame (a reference taken only if the frame
//! is still allocated, then a check that the entry still maps it, as GUP-fast does), so
//! the frame cannot be freed under the copy even by an madvise that runs under a per-VMA
//! or a shared `mmap_lock`. A missing or insufficient entry is a kernel-mode fault: it
//! is resolved under `mmap_lock` for read (never the per-VMA lock: Linux tries that for
//! user faults only), with the same permission checks as the guest's own access.

use crate::caller::Caller;
use crate::errno::Errno;
use crate::fault;
use crate::frames::FrameId;
use crate::mm_core::MmCore;
use crate::pagetable::{self, Pte, TASK_SIZE};
use crate::types::FaultError;
use crate::types::{Access, PAGE_SIZE};
use devices::cast::u64_to_usize;
use std::sync::atomic::{AtomicU32, Ordering};

/// A guest page pinned for a copy; unpinned on drop.
struct Pinned<'a> {
    space: &'a MmCore,
    frame: FrameId,
    /// The host address of the guest address asked for.
    host: *mut u8,
    pte: Pte,
}

impl Drop for Pinned<'_> {
    fn drop(&mut self) {
        self.space.frames().put(self.frame);
    }
}

/// Pins the page containing `addr` for `access`, faulting it in if needed.
fn pin<'a>(
    space: &'a MmCore,
    caller: &Caller,
    addr: u64,
    access: Access,
) -> Result<Pinned<'a>, Errno> {
    if addr >= TASK_SIZE {
        return Err(Errno::EFAULT);
    }
    let pt = space.page_table();
    loop {
        let pte = pt.lookup(addr);
        if !pte.allows(access) {
            let mm = space.lock_read(caller);
            fault::handle_kernel_fault(space, &mm, addr, access, space.stats_of(caller))
                .map_err(FaultError::errno)?;
            // Pinned lock-free like any present page: the fault's page may already be
            // gone again (a concurrent MADV_DONTNEED), and then it is faulted again.
            continue;
        }
        if !space.frames().try_get(pte.frame()) {
            continue;
        }
        if pt.lookup(addr) != pte {
            space.frames().put(pte.frame());
            continue;
        }
        if let Some(slot) = pt.slot(addr) {
            // The kernel's own accesses go through the MMU too: the page counts as used.
            pagetable::mark_accessed(slot, pte);
        }
        let host = space
            .frames()
            .host_ptr(pte.frame())
            .wrapping_add((addr & (PAGE_SIZE - 1)) as usize);
        return Ok(Pinned {
            space,
            frame: pte.frame(),
            host,
            pte,
        });
    }
}

/// Calls `f(host, done, n)` for each page-bounded piece of `[addr, addr + len)`, where
/// `done` bytes precede the piece, until `f` returns false.
fn for_each_piece(
    space: &MmCore,
    addr: u64,
    len: usize,
    access: Access,
    mut f: impl FnMut(*mut u8, usize, usize) -> bool,
) -> Result<(), Errno> {
    if len == 0 {
        return Ok(());
    }
    let caller = space.caller();
    let mut code_written = false;
    let mut done = 0usize;
    while done < len {
        let va = addr.checked_add(done as u64).ok_or(Errno::EFAULT)?;
        let n = (len - done).min(u64_to_usize(PAGE_SIZE - (va & (PAGE_SIZE - 1))));
        let page = pin(space, &caller, va, access)?;
        code_written |= access == Access::Write && page.pte.is_writable_code();
        if !f(page.host, done, n) {
            break;
        }
        done += n;
    }
    if code_written {
        space.bump_icache_epoch();
    }
    Ok(())
}

pub(crate) fn read_bytes(space: &MmCore, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
    let len = buf.len();
    for_each_piece(space, addr, len, Access::Read, |host, done, n| {
        // SAFETY: `host..host + n` is in a pinned frame; `buf[done..]` has `n` bytes
        // left. Guest memory is read through raw pointers only.
        unsafe { std::ptr::copy_nonoverlapping(host, buf[done..].as_mut_ptr(), n) };
        true
    })
}

pub(crate) fn write_bytes(space: &MmCore, addr: u64, data: &[u8]) -> Result<(), Errno> {
    for_each_piece(space, addr, data.len(), Access::Write, |host, done, n| {
        // SAFETY: as in `read_bytes`, the other way round.
        unsafe { std::ptr::copy_nonoverlapping(data[done..].as_ptr(), host, n) };
        true
    })
}

pub(crate) fn read_cstring(space: &MmCore, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    for_each_piece(space, addr, max, Access::Read, |host, _, n| {
        let at = out.len();
        out.resize(at + n, 0);
        // SAFETY: as in `read_bytes`.
        unsafe { std::ptr::copy_nonoverlapping(host, out[at..].as_mut_ptr(), n) };
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

/// Runs `op` on the aligned u32 at `addr`, pinned for `access`.
fn with_user_atomic<R>(
    space: &MmCore,
    addr: u64,
    access: Access,
    op: impl FnOnce(&AtomicU32) -> R,
) -> Result<R, Errno> {
    if addr & 3 != 0 {
        return Err(Errno::EINVAL);
    }
    let caller = space.caller();
    let page = pin(space, &caller, addr, access)?;
    // SAFETY: aligned, and the frame stays allocated while it is pinned.
    let word = unsafe { AtomicU32::from_ptr(page.host.cast()) };
    let r = op(word);
    if access == Access::Write && page.pte.is_writable_code() {
        space.bump_icache_epoch();
    }
    Ok(r)
}

pub(crate) fn load_u32_atomic(space: &MmCore, addr: u64) -> Result<u32, Errno> {
    with_user_atomic(space, addr, Access::Read, |w| w.load(Ordering::SeqCst))
}

pub(crate) fn update_u32_atomic(
    space: &MmCore,
    addr: u64,
    f: &dyn Fn(u32) -> u32,
) -> Result<u32, Errno> {
    with_user_atomic(space, addr, Access::Write, |w| {
        w.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| Some(f(v)))
            .expect("always Some")
    })
}
