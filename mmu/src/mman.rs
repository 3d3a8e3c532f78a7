//! The mm system calls: mmap, munmap, mprotect, mremap, madvise, brk.
//!
//! Each runs with `mmap_lock` held for write. Page-table entries a call clears or weakens
//! are recorded in an [`Invalidation`], which, before the lock is released, bumps the
//! icache epoch if code was affected, shoots down every TLB, and only then drops the
//! references the cleared entries held on their frames.

use crate::fault::{self, FaultError};
use crate::frames::FrameId;
use crate::mmap_lock::MmWriteGuard;
use crate::pagetable::{Pte, TASK_SIZE};
use crate::shmem::SharedAnon;
use crate::space::{AddressSpace, Caller, MmState};
use crate::stats::Counter;
use crate::vma::{Backing, Vma, VmaFlags, VmaTree};
use crate::{madv, map, mremap as mremap_flags, prot, Access, Errno, PAGE_SIZE};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// `PROT_GROWSDOWN` and `PROT_GROWSUP`: accepted by mprotect, which applies the change to
/// the given range only.
const PROT_GROWS: u32 = 0x0100_0000 | 0x0200_0000;
const PROT_RWX: u32 = prot::READ | prot::WRITE | prot::EXEC;

/// `len` rounded up to whole pages, `None` on overflow.
fn page_align(len: u64) -> Option<u64> {
    len.checked_add(PAGE_SIZE - 1).map(|l| l & !(PAGE_SIZE - 1))
}

fn is_aligned(addr: u64) -> bool {
    addr.is_multiple_of(PAGE_SIZE)
}

/// Page-table changes whose TLB shootdown and frame releases are due; done on drop, which
/// must come before `mmap_lock` is released (declare it after the lock guard).
struct Invalidation<'a> {
    space: &'a AddressSpace,
    caller: &'a Caller,
    /// References held by cleared entries, dropped after the shootdown.
    frames: Vec<FrameId>,
    /// Whether any TLB may hold a translation that is no longer right.
    flush: bool,
    /// Whether executable pages changed (decoded code may be stale).
    code: bool,
    /// Removed VMAs, dropped last (with them, possibly, shared objects).
    vmas: Vec<Vma>,
}

impl<'a> Invalidation<'a> {
    fn new(space: &'a AddressSpace, caller: &'a Caller) -> Self {
        Invalidation {
            space,
            caller,
            frames: Vec::new(),
            flush: false,
            code: false,
            vmas: Vec::new(),
        }
    }

    /// Clears the entries of `[start, end)`, keeping their frame references for later.
    fn zap(&mut self, start: u64, end: u64) {
        self.space
            .page_table()
            .for_each_valid(start, end, |_, slot, _| {
                let old = Pte::from_bits(slot.swap(0, Ordering::AcqRel));
                if old.is_valid() {
                    self.frames.push(old.frame());
                    self.flush = true;
                }
            });
    }

    /// Removes the VMAs in `[start, end)` and their pages.
    fn unmap(&mut self, mm: &mut MmWriteGuard, start: u64, end: u64) {
        let removed = mm.remove_range(start, end);
        for v in &removed {
            self.code |= v.prot & prot::EXEC != 0;
            self.zap(v.start, v.end);
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
            self.space.shootdown().shoot(self.caller.hart());
            self.space
                .stats_of(self.caller)
                .add(Counter::TlbShootdowns, 1);
        }
        for &f in &self.frames {
            self.space.frames().put(f);
        }
    }
}

/// Faults in every page of `[start, end)` the VMAs there allow any access to (writable
/// ones for write, as Linux's populate does).
fn populate(
    space: &AddressSpace,
    mm: &MmState,
    caller: &Caller,
    start: u64,
    end: u64,
) -> Result<(), Errno> {
    let stats = space.stats_of(caller);
    for v in mm.vmas.overlapping(start, end) {
        let access = [Access::Write, Access::Read, Access::Exec]
            .into_iter()
            .find(|&a| v.allows(a));
        let Some(access) = access else { continue };
        let mut va = start.max(v.start);
        while va < end.min(v.end) {
            fault::fault_in(space, mm, va, access, stats).map_err(FaultError::errno)?;
            va += PAGE_SIZE;
        }
    }
    Ok(())
}

/// Where a non-fixed mapping of `len` bytes goes: the hint if that range is free, else
/// the highest free gap below `mmap_base`, else the lowest one above it.
fn place(space: &AddressSpace, vmas: &VmaTree, hint: u64, len: u64) -> Result<u64, Errno> {
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

pub(crate) fn mmap(
    space: &AddressSpace,
    addr: u64,
    len: u64,
    prot: u32,
    flags: u32,
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
    if flags & map::ANONYMOUS == 0 {
        return Err(Errno::EBADF);
    }
    let fixed = flags & (map::FIXED | map::FIXED_NOREPLACE) != 0;
    if fixed && !is_aligned(addr) {
        return Err(Errno::EINVAL);
    }
    let caller = space.caller();
    let mut mm = space.lock_write(&caller);
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
    let mut inv = Invalidation::new(space, &caller);
    inv.unmap(&mut mm, start, end);

    let mut vma = Vma::anonymous(start, end, prot & PROT_RWX);
    if shared {
        vma.flags = vma.flags | VmaFlags::SHARED;
        vma.backing = Backing::Shared(Arc::new(SharedAnon::new(space.frames().clone())));
    }
    if flags & map::GROWSDOWN != 0 {
        vma.flags = vma.flags | VmaFlags::GROWSDOWN;
    }
    if flags & map::LOCKED != 0 {
        vma.flags = vma.flags | VmaFlags::LOCKED;
    }
    mm.insert(vma);
    if flags & (map::POPULATE | map::LOCKED) != 0 {
        if let Err(e) = populate(space, &mm, &caller, start, end) {
            inv.unmap(&mut mm, start, end);
            return Err(e);
        }
    }
    Ok(start)
}

pub(crate) fn munmap(space: &AddressSpace, addr: u64, len: u64) -> Result<(), Errno> {
    if !is_aligned(addr) || addr > TASK_SIZE {
        return Err(Errno::EINVAL);
    }
    let len = page_align(len).ok_or(Errno::EINVAL)?;
    if len == 0 || len > TASK_SIZE - addr {
        return Err(Errno::EINVAL);
    }
    let caller = space.caller();
    let mut mm = space.lock_write(&caller);
    let mut inv = Invalidation::new(space, &caller);
    inv.unmap(&mut mm, addr, addr + len);
    Ok(())
}

pub(crate) fn mprotect(space: &AddressSpace, addr: u64, len: u64, prot: u32) -> Result<(), Errno> {
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
    let mut mm = space.lock_write(&caller);
    if !mm.vmas.covers(addr, end) {
        return Err(Errno::ENOMEM);
    }
    let mut inv = Invalidation::new(space, &caller);
    let before = mm.update_range(addr, end, |v| v.prot = new);
    for v in before.iter().filter(|v| v.prot != new) {
        inv.code |= (v.prot | new) & prot::EXEC != 0;
        space
            .page_table()
            .for_each_valid(v.start, v.end, |_, slot, old| {
                let pte = old.with_prot(new);
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
/// maps the new range with the attributes of the VMA at `m.old`.
fn move_mapping(
    space: &AddressSpace,
    mm: &mut MmWriteGuard,
    inv: &mut Invalidation,
    caller: &Caller,
    m: Move,
) -> Result<(), Errno> {
    let src = mm.vmas.find(m.old).cloned().expect("mremap source checked");
    let pt = space.page_table();
    pt.for_each_valid(m.old, m.old + m.moved, |va, slot, _| {
        let pte = slot.swap(0, Ordering::AcqRel);
        if Pte::from_bits(pte).is_valid() {
            pt.slot_or_alloc(m.new + (va - m.old))
                .store(pte, Ordering::Release);
            inv.flush = true;
        }
    });
    if !m.keep_old {
        inv.vmas.extend(mm.remove_range(m.old, m.old + m.moved));
    }
    inv.code |= src.prot & prot::EXEC != 0;
    let locked = src.flags.contains(VmaFlags::LOCKED);
    mm.insert(Vma {
        start: m.new,
        end: m.new + m.new_len,
        pgoff: src.pgoff_of(m.old),
        ..src
    });
    if locked && m.new_len > m.moved {
        populate(space, mm, caller, m.new + m.moved, m.new + m.new_len)?;
    }
    Ok(())
}

pub(crate) fn mremap(
    space: &AddressSpace,
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
    let mut mm = space.lock_write(&caller);
    let mut inv = Invalidation::new(space, &caller);
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
            inv.unmap(&mut mm, new_addr, new_addr + new_len);
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
        return Ok(dst);
    }
    let old_end = old_addr
        .checked_add(old_len)
        .filter(|&e| e <= vma.end)
        .ok_or(Errno::EFAULT)?;

    if fixed {
        inv.unmap(&mut mm, new_addr, new_addr + new_len);
        if old_len > new_len {
            inv.unmap(&mut mm, old_addr + new_len, old_end);
        }
        move_mapping(
            space,
            &mut mm,
            &mut inv,
            &caller,
            Move {
                old: old_addr,
                moved: old_len.min(new_len),
                new: new_addr,
                new_len,
                keep_old: dontunmap,
            },
        )?;
        return Ok(new_addr);
    }
    if !dontunmap {
        if new_len <= old_len {
            inv.unmap(&mut mm, old_addr + new_len, old_end);
            return Ok(old_addr);
        }
        let grown_end = old_addr + new_len;
        if old_end == vma.end && grown_end <= TASK_SIZE && mm.vmas.is_free(old_end, grown_end) {
            mm.resize(vma.start, grown_end);
            if vma.flags.contains(VmaFlags::LOCKED) {
                populate(space, &mm, &caller, old_end, grown_end)?;
            }
            return Ok(old_addr);
        }
    }
    if !may_move {
        return Err(Errno::ENOMEM);
    }
    let dst = place(space, &mm.vmas, 0, new_len)?;
    move_mapping(
        space,
        &mut mm,
        &mut inv,
        &caller,
        Move {
            old: old_addr,
            moved: old_len,
            new: dst,
            new_len,
            keep_old: dontunmap,
        },
    )?;
    Ok(dst)
}

/// Whether `advice` is one Linux knows (hardware-poison injection aside).
fn known_advice(advice: u32) -> bool {
    matches!(advice, 0..=4 | 8..=25)
}

pub(crate) fn madvise(space: &AddressSpace, addr: u64, len: u64, advice: u32) -> Result<(), Errno> {
    if !known_advice(advice) || !is_aligned(addr) {
        return Err(Errno::EINVAL);
    }
    let len = page_align(len).ok_or(Errno::EINVAL)?;
    let end = addr.checked_add(len).ok_or(Errno::EINVAL)?;
    if len == 0 {
        return Ok(());
    }
    if end > TASK_SIZE {
        return Err(Errno::ENOMEM);
    }
    let caller = space.caller();
    let mm = space.lock_write(&caller);
    let mut inv = Invalidation::new(space, &caller);
    let pieces: Vec<Vma> = mm.vmas.overlapping(addr, end).cloned().collect();
    let hole = !mm.vmas.covers(addr, end);
    match advice {
        madv::DONTNEED | madv::DONTNEED_LOCKED | madv::FREE | madv::REMOVE => {
            let refused = |v: &Vma| {
                v.flags.contains(VmaFlags::LOCKED) && advice != madv::DONTNEED_LOCKED
                    || advice == madv::FREE && v.is_shared()
                    || advice == madv::REMOVE && !v.is_shared()
            };
            if pieces.iter().any(refused) {
                return Err(Errno::EINVAL);
            }
            for v in &pieces {
                let (s, e) = (addr.max(v.start), end.min(v.end));
                inv.zap(s, e);
                inv.code |= v.prot & prot::EXEC != 0;
                if let (madv::REMOVE, Backing::Shared(obj)) = (advice, &v.backing) {
                    obj.remove_pages(v.pgoff_of(s), (e - s) / PAGE_SIZE);
                }
            }
        }
        madv::POPULATE_READ | madv::POPULATE_WRITE => {
            if hole {
                return Err(Errno::ENOMEM);
            }
            let access = if advice == madv::POPULATE_WRITE {
                Access::Write
            } else {
                Access::Read
            };
            if !pieces.iter().all(|v| v.allows(access)) {
                return Err(Errno::EINVAL);
            }
            let stats = space.stats_of(&caller);
            let mut va = addr;
            while va < end {
                fault::fault_in(space, &mm, va, access, stats).map_err(FaultError::errno)?;
                va += PAGE_SIZE;
            }
        }
        // The rest are hints about paging, forking or merging: nothing to do here.
        _ => {}
    }
    if hole {
        return Err(Errno::ENOMEM);
    }
    Ok(())
}

pub(crate) fn set_brk_start(space: &AddressSpace, start: u64) {
    let caller = space.caller();
    let mut mm = space.lock_write(&caller);
    let start = page_align(start).unwrap_or(TASK_SIZE).min(TASK_SIZE);
    mm.set_brk(start, start);
}

pub(crate) fn brk(space: &AddressSpace, new_brk: u64) -> u64 {
    let caller = space.caller();
    let mut mm = space.lock_write(&caller);
    let old = mm.brk;
    if new_brk < mm.brk_start {
        return old;
    }
    let old_top = page_align(old).expect("break below TASK_SIZE");
    let Some(new_top) = page_align(new_brk).filter(|&t| t <= TASK_SIZE) else {
        return old;
    };
    let mut inv = Invalidation::new(space, &caller);
    if new_top < old_top {
        inv.unmap(&mut mm, new_top, old_top);
    } else if new_top > old_top {
        if !mm.vmas.is_free(old_top, new_top) {
            return old;
        }
        mm.insert(Vma {
            name: Some("[heap]".into()),
            ..Vma::anonymous(old_top, new_top, prot::READ | prot::WRITE)
        });
    }
    let start = mm.brk_start;
    mm.set_brk(start, new_brk);
    new_brk
}
