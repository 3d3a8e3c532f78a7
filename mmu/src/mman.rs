//! The mm system calls that change the VMAs: mmap, munmap, mprotect, mremap, brk.
//!
//! Each holds `mmap_lock` for write (taken killable, as Linux does) through an
//! [`MmWriteGuard`], which write-locks exactly the VMAs the call changes; page-table
//! entries it clears or weakens go into an [`Invalidation`]. Prefaulting (MAP_POPULATE,
//! MAP_LOCKED, the growth of a locked mapping or heap) comes afterwards, under the read
//! side ([`crate::populate`]), with errors ignored, as Linux's `mm_populate` does.

use crate::caller::Caller;
use crate::errno::Errno;
use crate::invalidate::Invalidation;
use crate::mm_core::MmCore;
use crate::mmap_lock::MmWriteGuard;
use crate::pagecache::CachedFile;
use crate::pagetable::{Pte, TASK_SIZE};
use crate::populate::populate_ignoring_errors;
use crate::swapout;
use crate::types::{map, mremap as mremap_flags, prot, PAGE_SIZE};
use crate::vma::{Backing, Vma, VmaFlags, VmaTree};
use crate::writeback;
use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// `PROT_GROWSDOWN` and `PROT_GROWSUP`: accepted by mprotect, which applies the change to
/// the given range only.
const PROT_GROWS: u32 = 0x0100_0000 | 0x0200_0000;
const PROT_RWX: u32 = prot::READ | prot::WRITE | prot::EXEC;

/// `len` rounded up to whole pages, `None` on overflow.
pub(crate) fn page_align(len: u64) -> Option<u64> {
    len.checked_add(PAGE_SIZE - 1).map(|l| l & !(PAGE_SIZE - 1))
}

pub(crate) fn is_aligned(addr: u64) -> bool {
    addr.is_multiple_of(PAGE_SIZE)
}

/// Whether a VMA with `flags` is populated when it is created or grows.
fn populated_when_mapped(flags: VmaFlags) -> bool {
    flags.contains(VmaFlags::LOCKED) && !flags.contains(VmaFlags::LOCKONFAULT)
}

/// Populates `range` (if any) once the write lock is gone.
fn populate_after(space: &MmCore, caller: &Caller, range: Option<Range<u64>>) {
    if let Some(r) = range {
        populate_ignoring_errors(space, caller, r.start, r.end);
    }
}

/// Fails with ENOMEM (as Linux does) when a call that changes `[start, end)` would leave
/// more than `vm.max_map_count` VMAs: `added` new ones, plus one for each end of the range
/// that falls inside a VMA `splits` says the call cuts there.
fn check_map_count(
    space: &MmCore,
    vmas: &VmaTree,
    (start, end): (u64, u64),
    added: usize,
    splits: impl Fn(&Vma) -> bool,
) -> Result<(), Errno> {
    let cut = [start, end]
        .into_iter()
        .filter(|&a| vmas.find(a).is_some_and(|v| v.start != a && splits(v)))
        .count();
    if vmas.len() + added + cut > space.config().max_map_count {
        return Err(Errno::ENOMEM);
    }
    Ok(())
}

/// Where a non-fixed mapping of `len` bytes goes: the hint if that range is free, else
/// the highest free gap below `mmap_base`, else the lowest one above it.
fn place(space: &MmCore, vmas: &VmaTree, hint: u64, len: u64) -> Result<u64, Errno> {
    let cfg = space.config();
    if let Some(h) = page_align(hint).filter(|&h| h != 0 && h >= cfg.mmap_min_addr) {
        if h.checked_add(len).is_some_and(|e| e <= TASK_SIZE) && vmas.is_free(h, h + len) {
            return Ok(h);
        }
    }
    vmas.find_gap_top_down(len, cfg.mmap_min_addr, cfg.mmap_base)
        .or_else(|| vmas.find_gap_bottom_up(len, cfg.mmap_min_addr, TASK_SIZE))
        .ok_or(Errno::ENOMEM)
}

/// mmap(2) of anonymous memory (`file` is `None`) or of a file from a byte offset.
pub(crate) fn mmap_backed(
    space: &MmCore,
    addr: u64,
    len: u64,
    prot: u32,
    flags: u32,
    file: Option<(Arc<CachedFile>, u64)>,
) -> Result<u64, Errno> {
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    let len = page_align(len)
        .filter(|&l| l <= TASK_SIZE)
        .ok_or(Errno::ENOMEM)?;
    let shared = match flags & (map::SHARED | map::PRIVATE) {
        map::PRIVATE => false,
        // MAP_SHARED_VALIDATE (both bits) is MAP_SHARED with flag checking.
        0 => return Err(Errno::EINVAL),
        _ => true,
    };
    if (flags & map::ANONYMOUS == 0) != file.is_some() {
        return Err(Errno::EBADF);
    }
    if file.as_ref().is_some_and(|(_, off)| !is_aligned(*off)) {
        return Err(Errno::EINVAL);
    }
    let fixed = flags & (map::FIXED | map::FIXED_NOREPLACE) != 0;
    if fixed && !is_aligned(addr) {
        return Err(Errno::EINVAL);
    }
    let caller = space.caller();
    let (start, populate) = {
        let mut mm = space.lock_write_killable(&caller)?;
        let start = if fixed {
            if addr.checked_add(len).is_none_or(|e| e > TASK_SIZE) {
                return Err(Errno::ENOMEM);
            }
            if addr < space.config().mmap_min_addr {
                return Err(Errno::EPERM);
            }
            if flags & map::FIXED_NOREPLACE != 0 && !mm.vmas.is_free(addr, addr + len) {
                return Err(Errno::EEXIST);
            }
            addr
        } else {
            place(space, &mm.vmas, addr, len)?
        };
        let end = start + len;
        check_map_count(space, &mm.vmas, (start, end), 1, |_| true)?;
        let mut inv = Invalidation::new(space, &caller);
        inv.unmap(&mut mm, start, end);

        let mut vma = Vma::anonymous(start, end, prot & PROT_RWX);
        // mlockall(MCL_FUTURE) locks every later mapping.
        vma.flags = vma.flags | mm.def_flags;
        if shared {
            vma.flags = vma.flags | VmaFlags::SHARED;
        }
        vma.backing = match &file {
            Some((f, off)) => {
                vma.flags = vma.flags.without(VmaFlags::ANONYMOUS);
                vma.pgoff = off / PAGE_SIZE;
                Backing::File(f.clone())
            }
            None if shared => Backing::Shared(Arc::new(space.new_shared_anon())),
            None => Backing::Private,
        };
        if flags & map::GROWSDOWN != 0 {
            vma.flags = vma.flags | VmaFlags::GROWSDOWN;
        }
        if flags & map::LOCKED != 0 {
            vma.flags = vma.flags | VmaFlags::LOCKED;
        }
        let populate = flags & (map::POPULATE | map::NONBLOCK) == map::POPULATE
            || populated_when_mapped(vma.flags);
        mm.insert(vma);
        (start, populate.then_some(start..end))
    };
    populate_after(space, &caller, populate);
    Ok(start)
}

/// msync(2), and the write-back before munmap(2): writes back the dirty pages that the
/// shared file mappings of `[addr, addr + len)` map, and waits for those of them already
/// being written. The files' pages outside the range stay dirty.
pub(crate) fn sync_range(space: &MmCore, addr: u64, len: u64) -> Result<(), Errno> {
    let caller = space.caller();
    let end = addr.saturating_add(len);
    // Collected under mmap_lock, written back after: write-back waits for the device.
    let ranges: Vec<(Arc<CachedFile>, Range<u64>)> = {
        let mm = space.lock_read(&caller);
        mm.vmas
            .overlapping(addr, end)
            .filter(|v| v.is_shared())
            .filter_map(|v| match &v.backing {
                Backing::File(file) => {
                    let pages = v.pgoff_of(v.start.max(addr))..v.pgoff_of(v.end.min(end) - 1) + 1;
                    Some((file.clone(), pages))
                }
                _ => None,
            })
            .collect()
    };
    let mut result = Ok(());
    for (file, pages) in ranges {
        if let Err(e) = writeback::sync_pages(space, &caller, &file, pages) {
            result = Err(Errno::from(e));
        }
    }
    result
}

pub(crate) fn munmap(space: &MmCore, addr: u64, len: u64) -> Result<(), Errno> {
    if !is_aligned(addr) || addr > TASK_SIZE {
        return Err(Errno::EINVAL);
    }
    let len = page_align(len).ok_or(Errno::EINVAL)?;
    if len == 0 || len > TASK_SIZE - addr {
        return Err(Errno::EINVAL);
    }
    let caller = space.caller();
    let mut mm = space.lock_write_killable(&caller)?;
    check_map_count(space, &mm.vmas, (addr, addr + len), 0, |_| true)?;
    let mut inv = Invalidation::new(space, &caller);
    inv.unmap(&mut mm, addr, addr + len);
    Ok(())
}

pub(crate) fn mprotect(space: &MmCore, addr: u64, len: u64, prot: u32) -> Result<(), Errno> {
    if !is_aligned(addr) || prot & !(PROT_RWX | PROT_GROWS) != 0 || prot & PROT_GROWS == PROT_GROWS
    {
        return Err(Errno::EINVAL);
    }
    let len = page_align(len).ok_or(Errno::ENOMEM)?;
    if len == 0 {
        return Ok(());
    }
    let end = addr
        .checked_add(len)
        .filter(|&e| e <= TASK_SIZE)
        .ok_or(Errno::ENOMEM)?;
    let new = prot & PROT_RWX;
    let caller = space.caller();
    let mut mm = space.lock_write_killable(&caller)?;
    if !mm.vmas.covers(addr, end) {
        return Err(Errno::ENOMEM);
    }
    check_map_count(space, &mm.vmas, (addr, end), 0, |v| v.prot != new)?;
    let mut inv = Invalidation::new(space, &caller);
    let before = mm.update_range(addr, end, |v| v.prot = new);
    for v in before.iter().filter(|v| v.prot != new) {
        inv.code |= (v.prot | new) & prot::EXEC != 0;
        // File pages stay write-protected until a store faults: that is where a private
        // page gets its copy and a shared one is marked dirty.
        let mapped = match v.backing {
            Backing::File(_) => new & !prot::WRITE,
            _ => new,
        };
        // A private page a fork's other side maps too stays write-protected: a store
        // must copy it.
        let private = matches!(v.backing, Backing::Private);
        let frames = space.frames();
        space
            .page_table()
            .for_each_valid(v.start, v.end, |_, slot, old| {
                let pte = match private && frames.refcount(old.frame()) != 1 {
                    true => old.with_prot(mapped & !prot::WRITE),
                    false => old.with_prot(mapped),
                };
                slot.store(pte.bits(), Ordering::Release);
                inv.flush |= old.downgrade_needs_flush(pte);
            });
    }
    Ok(())
}

/// A move of part of a mapping: `moved` bytes at `old` go to `new`, where the mapping
/// becomes `new_len` bytes long.
struct Move {
    old: u64,
    moved: u64,
    new: u64,
    new_len: u64,
    /// MREMAP_DONTUNMAP: the old range stays mapped, empty.
    keep_old: bool,
}

/// Moves the pages by re-pointing their entries (the frames and their contents stay) and
/// maps the new range with the attributes of the VMA at `m.old`. Returns the part of the
/// new range to populate afterwards (a locked mapping that grew).
fn move_mapping(
    space: &MmCore,
    mm: &mut MmWriteGuard,
    inv: &mut Invalidation,
    m: Move,
) -> Option<Range<u64>> {
    let node = mm
        .vmas
        .find_node(m.old)
        .cloned()
        .expect("mremap source checked");
    // Before its entries move: a fault under its VMA lock must not put one back behind
    // the move (Linux's move_vma write-locks the source too, even one it keeps).
    mm.write_lock(&node);
    let src = node.vma().clone();
    let pt = space.page_table();
    // Swap entries move too: the slot follows its page. A present anonymous page stays a
    // reclaim candidate, at its new address.
    pt.for_each_present(m.old, m.old + m.moved, |va, slot, _| {
        let pte = slot.swap(0, Ordering::AcqRel);
        if pte != 0 {
            let to = m.new + (va - m.old);
            pt.slot_or_alloc(to).store(pte, Ordering::Release);
            let pte = Pte::from_bits(pte);
            if pte.is_valid() {
                inv.flush = true;
                swapout::note_moved(space, &src, to, pte.frame());
            }
        }
    });
    if !m.keep_old {
        inv.vmas.extend(mm.remove_range(m.old, m.old + m.moved));
    }
    inv.code |= src.prot & prot::EXEC != 0;
    let grows_locked = populated_when_mapped(src.flags) && m.new_len > m.moved;
    mm.insert(Vma {
        start: m.new,
        end: m.new + m.new_len,
        pgoff: src.pgoff_of(m.old),
        ..src
    });
    grows_locked.then_some(m.new + m.moved..m.new + m.new_len)
}

pub(crate) fn mremap(
    space: &MmCore,
    old_addr: u64,
    old_len: u64,
    new_len: u64,
    flags: u32,
    new_addr: u64,
) -> Result<u64, Errno> {
    use mremap_flags::{DONTUNMAP, FIXED, MAYMOVE};
    let may_move = flags & MAYMOVE != 0;
    let fixed = flags & FIXED != 0;
    let dontunmap = flags & DONTUNMAP != 0;
    if flags & !(MAYMOVE | FIXED | DONTUNMAP) != 0
        || (fixed || dontunmap) && !may_move
        || dontunmap && old_len != new_len
        || !is_aligned(old_addr)
    {
        return Err(Errno::EINVAL);
    }
    let old_len = page_align(old_len).ok_or(Errno::EINVAL)?;
    let new_len = page_align(new_len)
        .filter(|&l| l != 0)
        .ok_or(Errno::EINVAL)?;
    if fixed {
        let overlap = new_addr < old_addr.saturating_add(old_len)
            && old_addr < new_addr.saturating_add(new_len);
        if !is_aligned(new_addr)
            || new_addr.checked_add(new_len).is_none_or(|e| e > TASK_SIZE)
            || overlap
        {
            return Err(Errno::EINVAL);
        }
    }
    let caller = space.caller();
    let (dst, populate) = {
        let mut mm = space.lock_write_killable(&caller)?;
        let mut inv = Invalidation::new(space, &caller);
        remap(
            space,
            &mut mm,
            &mut inv,
            Remap {
                old_addr,
                old_len,
                new_len,
                new_addr,
                may_move,
                fixed,
                dontunmap,
            },
        )?
    };
    populate_after(space, &caller, populate);
    Ok(dst)
}

/// The checked arguments of an mremap.
struct Remap {
    old_addr: u64,
    old_len: u64,
    new_len: u64,
    new_addr: u64,
    may_move: bool,
    fixed: bool,
    dontunmap: bool,
}

/// mremap's work under the write lock: returns the new address and the range to
/// populate afterwards.
fn remap(
    space: &MmCore,
    mm: &mut MmWriteGuard,
    inv: &mut Invalidation,
    r: Remap,
) -> Result<(u64, Option<Range<u64>>), Errno> {
    let Remap {
        old_addr,
        old_len,
        new_len,
        new_addr,
        may_move,
        fixed,
        dontunmap,
    } = r;
    let vma = mm.vmas.find(old_addr).cloned().ok_or(Errno::EFAULT)?;

    if old_len == 0 {
        // A second mapping of the same shared pages.
        if !vma.is_shared() {
            return Err(Errno::EINVAL);
        }
        if !may_move {
            return Err(Errno::ENOMEM);
        }
        let dst = if fixed {
            inv.unmap(mm, new_addr, new_addr + new_len);
            new_addr
        } else {
            place(space, &mm.vmas, 0, new_len)?
        };
        let pgoff = vma.pgoff_of(old_addr);
        mm.insert(Vma {
            start: dst,
            end: dst + new_len,
            pgoff,
            ..vma
        });
        return Ok((dst, None));
    }
    if !fixed && !dontunmap && new_len <= old_len {
        // Linux shrinks without looking at VMA boundaries: it just unmaps the tail.
        inv.unmap(
            mm,
            old_addr + new_len,
            old_addr.saturating_add(old_len).min(TASK_SIZE),
        );
        return Ok((old_addr, None));
    }
    let old_end = old_addr
        .checked_add(old_len)
        .filter(|&e| e <= vma.end)
        .ok_or(Errno::EFAULT)?;

    if fixed {
        inv.unmap(mm, new_addr, new_addr + new_len);
        if old_len > new_len {
            inv.unmap(mm, old_addr + new_len, old_end);
        }
        let populate = move_mapping(
            space,
            mm,
            inv,
            Move {
                old: old_addr,
                moved: old_len.min(new_len),
                new: new_addr,
                new_len,
                keep_old: dontunmap,
            },
        );
        return Ok((new_addr, populate));
    }
    if !dontunmap {
        let grown_end = old_addr + new_len;
        if old_end == vma.end && grown_end <= TASK_SIZE && mm.vmas.is_free(old_end, grown_end) {
            mm.resize(vma.start, grown_end);
            let populate = populated_when_mapped(vma.flags).then_some(old_end..grown_end);
            return Ok((old_addr, populate));
        }
    }
    if !may_move {
        return Err(Errno::ENOMEM);
    }
    let dst = place(space, &mm.vmas, 0, new_len)?;
    let populate = move_mapping(
        space,
        mm,
        inv,
        Move {
            old: old_addr,
            moved: old_len,
            new: dst,
            new_len,
            keep_old: dontunmap,
        },
    );
    Ok((dst, populate))
}

pub(crate) fn set_brk_start(space: &MmCore, start: u64) {
    let caller = space.caller();
    let mut mm = space.lock_write(&caller);
    let start = page_align(start).unwrap_or(TASK_SIZE).min(TASK_SIZE);
    mm.set_brk(start, start);
}

/// brk(2): the new break, the unchanged one if it cannot move, or -EINTR for a thread
/// killed while it waited for `mmap_lock`.
pub(crate) fn brk(space: &MmCore, new_brk: u64) -> u64 {
    let caller = space.caller();
    let (brk, populate) = match move_brk(space, &caller, new_brk) {
        Ok(r) => r,
        Err(e) => return e.neg() as u64,
    };
    populate_after(space, &caller, populate);
    brk
}

/// brk's work under the write lock: the break and the range to populate afterwards.
fn move_brk(
    space: &MmCore,
    caller: &Caller,
    new_brk: u64,
) -> Result<(u64, Option<Range<u64>>), Errno> {
    let mut mm = space.lock_write_killable(caller)?;
    let old = mm.brk;
    if new_brk < mm.brk_start {
        return Ok((old, None));
    }
    let old_top = page_align(old).expect("break below TASK_SIZE");
    let Some(new_top) = page_align(new_brk).filter(|&t| t <= TASK_SIZE) else {
        return Ok((old, None));
    };
    let mut inv = Invalidation::new(space, caller);
    let mut populate = None;
    if new_top < old_top {
        inv.unmap(&mut mm, new_top, old_top);
    } else if new_top > old_top {
        if !mm.vmas.is_free(old_top, new_top) {
            return Ok((old, None));
        }
        let mut heap = Vma {
            name: Some("[heap]".into()),
            ..Vma::anonymous(old_top, new_top, prot::READ | prot::WRITE)
        };
        heap.flags = heap.flags | mm.def_flags;
        if populated_when_mapped(heap.flags) {
            populate = Some(old_top..new_top);
        }
        mm.insert(heap);
    }
    let start = mm.brk_start;
    mm.set_brk(start, new_brk);
    Ok((new_brk, populate))
}
