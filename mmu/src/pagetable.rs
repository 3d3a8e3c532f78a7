//! The shared page table: a three-level radix tree of atomic entries over the guest's
//! 2^38-byte user address space.
//!
//! Readers (TLB fills) walk it without any lock. Writers change entries only while holding
//! `mmap_lock` (for read when installing a missing entry, for write when clearing or
//! changing entries). Interior tables are allocated on demand, published with a
//! compare-exchange, and never freed while the table lives, so a lock-free walker can
//! never reach freed memory.
//!
//! Ordering: an entry is installed with release ordering after its frame has been zeroed
//! (or filled), and walkers load entries with acquire ordering, so whoever finds an entry
//! sees the frame's contents as they were when it was installed. Interior tables are
//! published the same way.

use crate::frames::FrameId;
use crate::types::Access;
use crate::types::{prot, PAGE_SHIFT, PAGE_SIZE};
use devices::cast::low_u32;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

/// End of the guest's user address space (Sv39's TASK_SIZE): every address at or above it
/// is unmapped.
pub(crate) const TASK_SIZE: u64 = 1 << 38;

const LEAF_BITS: u32 = 9;
const MID_BITS: u32 = 9;
const ROOT_BITS: u32 = 38 - PAGE_SHIFT - LEAF_BITS - MID_BITS;
const LEAF_ENTRIES: usize = 1 << LEAF_BITS;
const MID_ENTRIES: usize = 1 << MID_BITS;
const ROOT_ENTRIES: usize = 1 << ROOT_BITS;
/// Bytes of address space one leaf table maps.
const LEAF_SPAN: u64 = PAGE_SIZE << LEAF_BITS;
/// Bytes of address space one middle table maps.
const MID_SPAN: u64 = LEAF_SPAN << MID_BITS;

/// A page-table entry: valid bit, R/W/X permissions, accessed bit and a frame number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pte(u64);

impl Pte {
    /// The entry of an unmapped page.
    pub(crate) const EMPTY: Pte = Pte(0);
    const VALID: u64 = 1;
    const READ: u64 = 2;
    const WRITE: u64 = 4;
    const EXEC: u64 = 8;
    /// Marks a non-valid entry as naming a swap slot instead of a frame.
    const SWAP: u64 = 16;
    /// RISC-V's A bit: set when a hart fills its TLB from the entry, cleared by reclaim.
    const ACCESSED: u64 = 32;
    const PERMS: u64 = Self::READ | Self::WRITE | Self::EXEC;
    const FRAME_SHIFT: u32 = 12;

    /// An entry mapping `frame` with the permissions `prot` ([`crate::types::prot`] bits). As on
    /// RISC-V Linux, write permission implies read permission.
    pub(crate) fn new(frame: FrameId, prot: u32) -> Pte {
        Pte(((frame as u64) << Self::FRAME_SHIFT) | Self::VALID).with_prot(prot)
    }

    /// The same mapping with the permissions `prot`.
    pub(crate) fn with_prot(self, prot: u32) -> Pte {
        let mut perms = 0;
        if prot & (prot::READ | prot::WRITE) != 0 {
            perms |= Self::READ;
        }
        if prot & prot::WRITE != 0 {
            perms |= Self::WRITE;
        }
        if prot & prot::EXEC != 0 {
            perms |= Self::EXEC;
        }
        Pte((self.0 & !Self::PERMS) | perms)
    }

    /// The entry of a private anonymous page that lives in swap slot `slot`: not valid,
    /// so every access faults and finds its way to the slot.
    pub(crate) fn swap(slot: u32) -> Pte {
        Pte(((slot as u64) << Self::FRAME_SHIFT) | Self::SWAP)
    }

    /// The same mapping without write permission (what fork leaves a private page
    /// mapped with on both sides).
    pub(crate) fn write_protected(self) -> Pte {
        Pte(self.0 & !Self::WRITE)
    }

    /// Whether the entry is a swap entry ([`Pte::swap`]).
    pub(crate) fn is_swap(self) -> bool {
        self.0 & (Self::VALID | Self::SWAP) == Self::SWAP
    }

    /// The swap slot of a swap entry (meaningful only when [`Pte::is_swap`]).
    pub(crate) fn swap_slot(self) -> u32 {
        low_u32(self.0 >> Self::FRAME_SHIFT)
    }

    /// Whether the accessed bit is set.
    #[inline]
    pub(crate) fn is_accessed(self) -> bool {
        self.0 & Self::ACCESSED != 0
    }

    /// The same entry with the accessed bit set.
    #[inline]
    pub(crate) fn accessed(self) -> Pte {
        Pte(self.0 | Self::ACCESSED)
    }

    /// The raw bits.
    pub(crate) fn bits(self) -> u64 {
        self.0
    }

    /// An entry from raw bits.
    pub(crate) fn from_bits(bits: u64) -> Pte {
        Pte(bits)
    }

    /// Whether the entry maps a frame.
    pub(crate) fn is_valid(self) -> bool {
        self.0 & Self::VALID != 0
    }

    /// The frame mapped (meaningful only when valid).
    pub(crate) fn frame(self) -> FrameId {
        low_u32(self.0 >> Self::FRAME_SHIFT)
    }

    /// Whether the entry is valid and permits `access`.
    #[inline]
    pub(crate) fn allows(self, access: Access) -> bool {
        let need = match access {
            Access::Read => Self::READ,
            Access::Write => Self::WRITE,
            Access::Exec => Self::EXEC,
        };
        self.0 & (Self::VALID | need) == Self::VALID | need
    }

    /// Whether the page is both writable and executable: stores to it must be seen by
    /// the decoded-code cache, so they never go through a write TLB entry.
    pub(crate) fn is_writable_code(self) -> bool {
        self.0 & (Self::WRITE | Self::EXEC) == Self::WRITE | Self::EXEC
    }

    /// Whether `self` permits something `new` does not, or `new` turns the page into
    /// writable code: then TLBs caching `self` must be shot down.
    pub(crate) fn downgrade_needs_flush(self, new: Pte) -> bool {
        self.0 & Self::PERMS & !new.0 != 0 || (!self.is_writable_code() && new.is_writable_code())
    }
}

/// Sets the accessed bit of the entry in `slot` if it still holds `pte` (what a RISC-V
/// MMU that updates A bits in hardware does on a walk); returns the entry now there.
/// The compare-exchange, not a plain `fetch_or`, keeps the bit off an entry that was
/// cleared or replaced meanwhile. Costs nothing once the bit is set.
#[inline]
pub(crate) fn mark_accessed(slot: &AtomicU64, pte: Pte) -> Pte {
    if pte.is_accessed() {
        return pte;
    }
    match slot.compare_exchange(
        pte.bits(),
        pte.accessed().bits(),
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        Ok(_) => pte.accessed(),
        Err(now) => Pte(now),
    }
}

/// Clears the accessed bit of the entry in `slot` (`ptep_test_and_clear_young`);
/// returns whether it was set. Writes only when it is.
pub(crate) fn test_and_clear_accessed(slot: &AtomicU64) -> bool {
    Pte(slot.load(Ordering::Acquire)).is_accessed()
        && slot.fetch_and(!Pte::ACCESSED, Ordering::AcqRel) & Pte::ACCESSED != 0
}

type Leaf = [AtomicU64; LEAF_ENTRIES];
type Mid = [AtomicPtr<Leaf>; MID_ENTRIES];

/// The radix tree of page-table entries for one address space.
pub(crate) struct PageTable {
    root: Box<[AtomicPtr<Mid>; ROOT_ENTRIES]>,
}

impl Default for PageTable {
    fn default() -> Self {
        Self::new()
    }
}

fn indices(va: u64) -> (usize, usize, usize) {
    let vpn = va >> PAGE_SHIFT;
    (
        (vpn >> (LEAF_BITS + MID_BITS)) as usize,
        ((vpn >> LEAF_BITS) as usize) & (MID_ENTRIES - 1),
        (vpn as usize) & (LEAF_ENTRIES - 1),
    )
}

/// Loads an interior pointer, allocating and publishing a zeroed table if it is missing.
fn child_or_alloc<T>(slot: &AtomicPtr<T>, alloc: fn() -> Box<T>) -> &T {
    let mut p = slot.load(Ordering::Acquire);
    if p.is_null() {
        let fresh = Box::into_raw(alloc());
        // Release publishes the table's zeroed contents to lock-free walkers.
        match slot.compare_exchange(null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => p = fresh,
            Err(winner) => {
                // SAFETY: `fresh` was never published.
                drop(unsafe { Box::from_raw(fresh) });
                p = winner;
            }
        }
    }
    // SAFETY: published tables live until the page table is dropped.
    unsafe { &*p }
}

fn new_mid() -> Box<Mid> {
    Box::new([const { AtomicPtr::new(null_mut()) }; MID_ENTRIES])
}

fn new_leaf() -> Box<Leaf> {
    Box::new([const { AtomicU64::new(0) }; LEAF_ENTRIES])
}

impl PageTable {
    /// An empty page table.
    pub(crate) fn new() -> Self {
        PageTable {
            root: Box::new([const { AtomicPtr::new(null_mut()) }; ROOT_ENTRIES]),
        }
    }

    /// The entry for `va` (any address; [`Pte::EMPTY`] above [`TASK_SIZE`]). Lock-free.
    #[inline]
    pub(crate) fn lookup(&self, va: u64) -> Pte {
        match self.slot(va) {
            Some(s) => Pte(s.load(Ordering::Acquire)),
            None => Pte::EMPTY,
        }
    }

    /// The entry slot for `va` if its tables exist.
    pub(crate) fn slot(&self, va: u64) -> Option<&AtomicU64> {
        if va >= TASK_SIZE {
            return None;
        }
        let (r, m, l) = indices(va);
        let mid = self.root[r].load(Ordering::Acquire);
        if mid.is_null() {
            return None;
        }
        // SAFETY: published tables live as long as `self`.
        let leaf = unsafe { &*mid }[m].load(Ordering::Acquire);
        if leaf.is_null() {
            return None;
        }
        // SAFETY: as above.
        Some(&unsafe { &*leaf }[l])
    }

    /// The entry slot for `va` (below [`TASK_SIZE`]), creating its tables if needed.
    pub(crate) fn slot_or_alloc(&self, va: u64) -> &AtomicU64 {
        assert!(
            va < TASK_SIZE,
            "page table slot for {va:#x} above TASK_SIZE"
        );
        let (r, m, l) = indices(va);
        let mid = child_or_alloc(&self.root[r], new_mid);
        let leaf = child_or_alloc(&mid[m], new_leaf);
        &leaf[l]
    }

    /// Calls `f(va, slot, pte)` for every valid entry of a page in `[start, end)`, in
    /// address order, skipping absent tables wholesale.
    pub(crate) fn for_each_valid(
        &self,
        start: u64,
        end: u64,
        mut f: impl FnMut(u64, &AtomicU64, Pte),
    ) {
        self.for_each_present(start, end, |va, slot, pte| {
            if pte.is_valid() {
                f(va, slot, pte)
            }
        });
    }

    /// Calls `f(va, slot, pte)` for every non-empty entry (valid or swap) of a page in
    /// `[start, end)`, in address order, skipping absent tables wholesale.
    pub(crate) fn for_each_present(
        &self,
        start: u64,
        end: u64,
        mut f: impl FnMut(u64, &AtomicU64, Pte),
    ) {
        let end = end.min(TASK_SIZE);
        let mut va = start & !(PAGE_SIZE - 1);
        while va < end {
            let (r, m, l) = indices(va);
            let mid = self.root[r].load(Ordering::Acquire);
            if mid.is_null() {
                va = (va & !(MID_SPAN - 1)) + MID_SPAN;
                continue;
            }
            // SAFETY: published tables live as long as `self`.
            let leaf = unsafe { &*mid }[m].load(Ordering::Acquire);
            if leaf.is_null() {
                va = (va & !(LEAF_SPAN - 1)) + LEAF_SPAN;
                continue;
            }
            // SAFETY: as above.
            let leaf = unsafe { &*leaf };
            for slot in &leaf[l..] {
                if va >= end {
                    break;
                }
                let pte = Pte(slot.load(Ordering::Acquire));
                if pte != Pte::EMPTY {
                    f(va, slot, pte);
                }
                va += PAGE_SIZE;
            }
        }
    }
}

impl Drop for PageTable {
    fn drop(&mut self) {
        for mid_slot in self.root.iter() {
            let mid = mid_slot.load(Ordering::Acquire);
            if mid.is_null() {
                continue;
            }
            // SAFETY: `&mut self`: no walker remains; each table was leaked from a Box.
            let mid = unsafe { Box::from_raw(mid) };
            for leaf_slot in mid.iter() {
                let leaf = leaf_slot.load(Ordering::Acquire);
                if !leaf.is_null() {
                    // SAFETY: as above.
                    drop(unsafe { Box::from_raw(leaf) });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pte_permissions() {
        let p = Pte::new(7, prot::WRITE);
        assert!(p.is_valid() && p.allows(Access::Read) && p.allows(Access::Write));
        assert!(!p.allows(Access::Exec));
        assert_eq!(p.frame(), 7);
        let x = Pte::new(3, prot::EXEC);
        assert!(x.allows(Access::Exec) && !x.allows(Access::Read));
        assert!(!Pte::EMPTY.allows(Access::Read));
        assert!(Pte::new(1, prot::READ | prot::WRITE | prot::EXEC).is_writable_code());
        assert!(p.downgrade_needs_flush(p.with_prot(prot::READ)));
        assert!(!p.with_prot(prot::READ).downgrade_needs_flush(p));
        assert!(p.downgrade_needs_flush(p.with_prot(prot::WRITE | prot::EXEC)));
        let none = Pte::new(9, 0);
        assert!(none.is_valid() && !none.allows(Access::Read));
        let a = p.accessed();
        assert!(a.is_accessed() && !p.is_accessed() && a.frame() == 7);
        assert!(
            a.with_prot(prot::READ).is_accessed(),
            "mprotect keeps the bit"
        );
    }

    #[test]
    fn accessed_bits_are_set_only_on_the_entry_seen_and_cleared_once() {
        let slot = AtomicU64::new(Pte::new(5, prot::READ).bits());
        let pte = Pte::from_bits(slot.load(Ordering::Relaxed));
        assert_eq!(mark_accessed(&slot, pte), pte.accessed());
        assert!(test_and_clear_accessed(&slot));
        assert!(!test_and_clear_accessed(&slot));
        assert_eq!(slot.load(Ordering::Relaxed), pte.bits());
        slot.store(0, Ordering::Relaxed);
        assert_eq!(
            mark_accessed(&slot, pte),
            Pte::EMPTY,
            "a cleared entry stays empty"
        );
        assert_eq!(slot.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn lookup_alloc_and_walk() {
        let pt = PageTable::new();
        assert_eq!(pt.lookup(0x1000), Pte::EMPTY);
        assert_eq!(pt.lookup(TASK_SIZE), Pte::EMPTY);
        let addrs = [
            0x1000u64,
            0x2000,
            0x20_0000,
            0x40_0000_0000 - 0x1000,
            0x12_3456_7000,
        ];
        for (i, &a) in addrs.iter().enumerate() {
            pt.slot_or_alloc(a).store(
                Pte::new(low_u32(i as u64), prot::READ).bits(),
                Ordering::Release,
            );
        }
        for (i, &a) in addrs.iter().enumerate() {
            assert_eq!(pt.lookup(a + 5).frame(), low_u32(i as u64));
        }
        let mut seen = Vec::new();
        pt.for_each_valid(0, TASK_SIZE, |va, _, pte| seen.push((va, pte.frame())));
        let mut want: Vec<_> = addrs
            .iter()
            .enumerate()
            .map(|(i, &a)| (a, low_u32(i as u64)))
            .collect();
        want.sort();
        assert_eq!(seen, want);
        let mut part = Vec::new();
        pt.for_each_valid(0x2000, 0x20_1000, |va, _, _| part.push(va));
        assert_eq!(part, vec![0x2000, 0x20_0000]);
    }
}
