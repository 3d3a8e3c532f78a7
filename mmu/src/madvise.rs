//! madvise(2) and prctl(PR_SET_VMA_ANON_NAME), each advice under the lock Linux takes
//! for it (mm/madvise.c, `madvise_lock`):
//!
//! - MADV_DONTNEED, MADV_DONTNEED_LOCKED, MADV_FREE: the per-VMA read lock when the range
//!   lies in one VMA and that lock can be had at once (a fault's attempt, counted as
//!   one), else `mmap_lock` for read (always under a policy whose `first` is `mmap` for
//!   every backing, such as `mmap`: a kernel without per-VMA locks);
//! - MADV_WILLNEED, COLD, PAGEOUT, POPULATE_READ, POPULATE_WRITE, COLLAPSE, REMOVE:
//!   `mmap_lock` for read;
//! - every other advice changes VMA flags: `mmap_lock` for write (killable), write-locking
//!   the VMAs it changes;
//! - PR_SET_VMA_ANON_NAME: `mmap_lock` for write.
//!
//! Ranges are walked VMA by VMA as `madvise_walk_vmas` does: an advice a VMA refuses
//! stops the walk with its error (the VMAs before it were done), a hole makes the call
//! fail with ENOMEM once the rest is done.
//!
//! MADV_FREE drops the pages at once, one of the two outcomes Linux allows (it frees
//! lazily, when memory runs short). On file mappings WILLNEED starts read-ahead of the
//! range without waiting, COLD clears the pages' referenced bits and PAGEOUT reclaims
//! them. On private anonymous memory with swap configured, WILLNEED starts reading the
//! swapped-out pages back, COLD makes the pages reclaim's first candidates and PAGEOUT
//! swaps them out; without swap (and on shared anonymous memory) they have nothing to
//! act on, nor has COLLAPSE (no huge pages).

use crate::caller::Caller;
use crate::errno::Errno;
use crate::fault;
use crate::invalidate::Invalidation;
use crate::mm_core::MmCore;
use crate::mman::{is_aligned, page_align};
use crate::pagetable::TASK_SIZE;
use crate::swapout;
use crate::types::FaultError;
use crate::types::{madv, Access, PAGE_SIZE};
use crate::vma::{Backing, Vma, VmaFlags};
use crate::vma_index::{self, VmaReadGuard, VmaView};
use crate::{file_fault, reclaim};
use std::sync::Arc;

/// Which lock an advice takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdviceLock {
    /// The per-VMA read lock (falling back to `mmap_lock` for read).
    VmaRead,
    /// `mmap_lock` for read.
    MmapRead,
    /// `mmap_lock` for write.
    MmapWrite,
}

/// The lock Linux takes for `advice`.
pub fn advice_lock(advice: u32) -> AdviceLock {
    match advice {
        madv::DONTNEED | madv::DONTNEED_LOCKED | madv::FREE => AdviceLock::VmaRead,
        madv::WILLNEED
        | madv::COLD
        | madv::PAGEOUT
        | madv::POPULATE_READ
        | madv::POPULATE_WRITE
        | madv::COLLAPSE
        | madv::REMOVE => AdviceLock::MmapRead,
        _ => AdviceLock::MmapWrite,
    }
}

/// Whether `advice` is one Linux knows (hardware-poison injection and guard pages aside).
fn known_advice(advice: u32) -> bool {
    matches!(advice, 0..=4 | 8..=25)
}

/// Checks and page-aligns a range as madvise and PR_SET_VMA_ANON_NAME do; `None` for an
/// empty one.
fn checked_range(addr: u64, len: u64) -> Result<Option<(u64, u64)>, Errno> {
    if !is_aligned(addr) {
        return Err(Errno::EINVAL);
    }
    let len = page_align(len).ok_or(Errno::EINVAL)?;
    let end = addr.checked_add(len).ok_or(Errno::EINVAL)?;
    if len == 0 {
        return Ok(None);
    }
    if end > TASK_SIZE {
        return Err(Errno::ENOMEM);
    }
    Ok(Some((addr, end)))
}

/// Linux's `madvise_walk_vmas`: calls `f` on each VMA's part of `[start, end)` in order
/// and stops at its first error; a hole makes the result ENOMEM once the walk is done.
fn walk(
    pieces: &[Vma],
    start: u64,
    end: u64,
    mut f: impl FnMut(&Vma, u64, u64) -> Result<(), Errno>,
) -> Result<(), Errno> {
    let mut at = start;
    let mut hole = false;
    for v in pieces {
        hole |= v.start > at;
        let (s, e) = (start.max(v.start), end.min(v.end));
        f(v, s, e)?;
        at = e;
    }
    if hole || at < end {
        return Err(Errno::ENOMEM);
    }
    Ok(())
}

pub(crate) fn madvise(space: &MmCore, addr: u64, len: u64, advice: u32) -> Result<(), Errno> {
    if !known_advice(advice) {
        return Err(Errno::EINVAL);
    }
    let Some((start, end)) = checked_range(addr, len)? else {
        return Ok(());
    };
    let caller = space.caller();
    match advice_lock(advice) {
        AdviceLock::VmaRead => {
            let vma_locks = space.config().policy.tries_vma_lock();
            if let Some(g) = vma_locks
                .then(|| lock_one_vma(space, &caller, start, end))
                .flatten()
            {
                let mut inv = Invalidation::new(space, &caller);
                let r = discard(&mut inv, g.node(), start, end, advice);
                drop(inv);
                return r;
            }
            let mm = space.lock_read(&caller);
            let pieces = pieces(&mm.vmas, start, end);
            let mut inv = Invalidation::new(space, &caller);
            walk(&pieces, start, end, |v, s, e| {
                discard(&mut inv, v, s, e, advice)
            })
        }
        AdviceLock::MmapRead => {
            let mm = space.lock_read(&caller);
            match advice {
                madv::POPULATE_READ | madv::POPULATE_WRITE => {
                    let access = match advice {
                        madv::POPULATE_WRITE => Access::Write,
                        _ => Access::Read,
                    };
                    let stats = space.stats_of(&caller);
                    let mut va = start;
                    while va < end {
                        let v = mm.vmas.find(va).ok_or(Errno::ENOMEM)?;
                        if !v.allows(access) {
                            return Err(Errno::EINVAL);
                        }
                        fault::handle_kernel_fault(space, &mm, va, access, stats)
                            .map_err(FaultError::errno)?;
                        va += PAGE_SIZE;
                    }
                    Ok(())
                }
                madv::REMOVE => {
                    let pieces = pieces(&mm.vmas, start, end);
                    let mut inv = Invalidation::new(space, &caller);
                    walk(&pieces, start, end, |v, s, e| {
                        remove(&mut inv, &mm.vmas, v, s, e)
                    })
                }
                madv::WILLNEED | madv::COLD | madv::PAGEOUT => {
                    let pieces = pieces(&mm.vmas, start, end);
                    walk(&pieces, start, end, |v, s, e| {
                        match advice {
                            madv::WILLNEED => {
                                file_fault::will_need(space, &caller, v, s, e);
                                swapout::will_need(space, &caller, v, s, e);
                                reclaim::direct(space.cx(&caller))
                            }
                            madv::COLD => {
                                reclaim::deactivate(space, v, s, e);
                                swapout::deactivate(space, v, s, e)
                            }
                            _ => {
                                reclaim::page_out(space, &caller, v, s, e);
                                swapout::page_out(space, &caller, v, s, e)
                            }
                        }
                        Ok(())
                    })
                }
                _ => walk(&pieces(&mm.vmas, start, end), start, end, |_, _, _| Ok(())),
            }
        }
        AdviceLock::MmapWrite => {
            let mut mm = space.lock_write_killable(&caller)?;
            let pieces = pieces(&mm.vmas, start, end);
            walk(&pieces, start, end, |v, s, e| {
                let flags = advised_flags(v, advice)?;
                mm.update_range(s, e, |v| v.flags = flags);
                Ok(())
            })
        }
    }
}

/// Copies of the VMAs overlapping `[start, end)`.
fn pieces(vmas: &crate::vma::VmaTree, start: u64, end: u64) -> Vec<Vma> {
    vmas.overlapping(start, end).cloned().collect()
}

/// Read-locks the one VMA holding all of `[start, end)`, if it can be had at once.
fn lock_one_vma(space: &MmCore, caller: &Caller, start: u64, end: u64) -> Option<VmaReadGuard> {
    let mut view = VmaView::default();
    space.vma_index().refresh(&mut view);
    let stats = space.stats_of(caller);
    let clock = space.clock().as_ref();
    let g =
        vma_index::lock_vma_for_fault(space.vma_index(), &mut view, start, (stats, clock), |_| {
            true
        })?;
    (end <= g.node().end).then_some(g)
}

/// MADV_DONTNEED, MADV_DONTNEED_LOCKED and MADV_FREE on `v`'s part `[s, e)`.
fn discard(inv: &mut Invalidation, v: &Vma, s: u64, e: u64, advice: u32) -> Result<(), Errno> {
    let locked = v.flags.contains(VmaFlags::LOCKED) && advice != madv::DONTNEED_LOCKED;
    if locked || advice == madv::FREE && v.is_shared() {
        return Err(Errno::EINVAL);
    }
    inv.zap_vma(v, s, e);
    Ok(())
}

/// MADV_REMOVE on `v`'s part `[s, e)`: frees the pages and their backing store, and
/// unmaps them from every VMA of `vmas` that maps them (a hole punch in the object, as
/// Linux's `unmap_mapping_range` does for the shmem file).
fn remove(
    inv: &mut Invalidation,
    vmas: &crate::vma::VmaTree,
    v: &Vma,
    s: u64,
    e: u64,
) -> Result<(), Errno> {
    let Backing::Shared(obj) = &v.backing else {
        return Err(Errno::EINVAL);
    };
    if v.flags.contains(VmaFlags::LOCKED) {
        return Err(Errno::EINVAL);
    }
    let (first, last) = (v.pgoff_of(s), v.pgoff_of(e - 1));
    for m in vmas.iter() {
        let Backing::Shared(o) = &m.backing else {
            continue;
        };
        let m_last = m.pgoff_of(m.end - 1);
        if !Arc::ptr_eq(o, obj) || m.pgoff > last || m_last < first {
            continue;
        }
        let from = m.start + first.saturating_sub(m.pgoff) * PAGE_SIZE;
        let to = m.end - m_last.saturating_sub(last) * PAGE_SIZE;
        inv.zap_vma(m, from, to);
    }
    obj.remove_pages(first, last + 1 - first);
    Ok(())
}

/// The flags `v` gets from a flag-changing `advice`.
fn advised_flags(v: &Vma, advice: u32) -> Result<VmaFlags, Errno> {
    let f = v.flags;
    Ok(match advice {
        madv::NORMAL => f.without(VmaFlags::RAND_READ | VmaFlags::SEQ_READ),
        madv::RANDOM => f.without(VmaFlags::SEQ_READ) | VmaFlags::RAND_READ,
        madv::SEQUENTIAL => f.without(VmaFlags::RAND_READ) | VmaFlags::SEQ_READ,
        madv::DONTFORK => f | VmaFlags::DONTCOPY,
        madv::DOFORK => f.without(VmaFlags::DONTCOPY),
        madv::MERGEABLE => f | VmaFlags::MERGEABLE,
        madv::UNMERGEABLE => f.without(VmaFlags::MERGEABLE),
        madv::HUGEPAGE => f.without(VmaFlags::NOHUGEPAGE) | VmaFlags::HUGEPAGE,
        madv::NOHUGEPAGE => f.without(VmaFlags::HUGEPAGE) | VmaFlags::NOHUGEPAGE,
        madv::DONTDUMP => f | VmaFlags::DONTDUMP,
        madv::DODUMP => f.without(VmaFlags::DONTDUMP),
        // Only private anonymous memory can be wiped for a child.
        madv::WIPEONFORK if v.is_shared() => return Err(Errno::EINVAL),
        madv::WIPEONFORK => f | VmaFlags::WIPEONFORK,
        madv::KEEPONFORK => f.without(VmaFlags::WIPEONFORK),
        _ => unreachable!("advice {advice} takes no write lock"),
    })
}

/// Longest anonymous VMA name, without its NUL (Linux's `ANON_VMA_NAME_MAX_LEN` - 1).
pub const ANON_NAME_MAX: usize = 79;

/// Whether `c` may appear in an anonymous VMA name: printable ASCII but `\`, `` ` ``,
/// `$`, `[` and `]`.
fn valid_name_char(c: u8) -> bool {
    (0x20..0x7f).contains(&c) && !b"\\`$[]".contains(&c)
}

pub(crate) fn set_anon_name(
    space: &MmCore,
    addr: u64,
    len: u64,
    name: Option<&[u8]>,
) -> Result<(), Errno> {
    let name: Option<Arc<str>> = match name {
        None => None,
        Some(n) if n.len() > ANON_NAME_MAX || !n.iter().all(|&c| valid_name_char(c)) => {
            return Err(Errno::EINVAL)
        }
        Some(n) => Some(std::str::from_utf8(n).expect("ASCII checked").into()),
    };
    let Some((start, end)) = checked_range(addr, len)? else {
        return Ok(());
    };
    let caller = space.caller();
    let mut mm = space.lock_write(&caller);
    let pieces = pieces(&mm.vmas, start, end);
    walk(&pieces, start, end, |_, s, e| {
        mm.update_range(s, e, |v| v.anon_name = name.clone());
        Ok(())
    })
}
