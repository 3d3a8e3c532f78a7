//! Virtual memory areas and the sorted tree that holds them.
//!
//! A [`Vma`] is a page-aligned range with one protection, one set of flags and one
//! backing. The [`VmaTree`] keeps them sorted and non-overlapping, splits them when an
//! operation covers part of one, and merges neighbours that have become indistinguishable,
//! as Linux does (so `/proc/self/maps`-like views and VMA counts match the kernel's).

use crate::pagecache::CachedFile;
use crate::policy::FaultBacking;
use crate::shmem::SharedAnon;
use crate::swap::ra_window::SwapRaInfo;
use crate::types::{prot, Access, PAGE_SIZE};
use crate::vma_lock::VmaLock;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Flags of a VMA (Linux's `VM_*` subset that matters here).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct VmaFlags(pub u32);

impl VmaFlags {
    /// Pages are shared with other mappers of the same object (`MAP_SHARED`).
    pub const SHARED: VmaFlags = VmaFlags(1);
    /// Not backed by a file.
    pub const ANONYMOUS: VmaFlags = VmaFlags(2);
    /// Mapped with `MAP_GROWSDOWN` (a stack).
    pub const GROWSDOWN: VmaFlags = VmaFlags(4);
    /// Pages are locked in memory (populated at map time; `MADV_DONTNEED` refuses them).
    pub const LOCKED: VmaFlags = VmaFlags(8);
    /// Locked, but pages are populated as they fault in (`MLOCK_ONFAULT`), not at once.
    pub const LOCKONFAULT: VmaFlags = VmaFlags(16);
    /// `MADV_RANDOM`: expect random access.
    pub const RAND_READ: VmaFlags = VmaFlags(32);
    /// `MADV_SEQUENTIAL`: expect sequential access.
    pub const SEQ_READ: VmaFlags = VmaFlags(64);
    /// `MADV_DONTFORK`: not copied into a child.
    pub const DONTCOPY: VmaFlags = VmaFlags(128);
    /// `MADV_WIPEONFORK`: a child gets zeroes.
    pub const WIPEONFORK: VmaFlags = VmaFlags(256);
    /// `MADV_DONTDUMP`: left out of core dumps.
    pub const DONTDUMP: VmaFlags = VmaFlags(512);
    /// `MADV_MERGEABLE`: offered to same-page merging.
    pub const MERGEABLE: VmaFlags = VmaFlags(1024);
    /// `MADV_HUGEPAGE`: huge pages wanted.
    pub const HUGEPAGE: VmaFlags = VmaFlags(2048);
    /// `MADV_NOHUGEPAGE`: huge pages not wanted.
    pub const NOHUGEPAGE: VmaFlags = VmaFlags(4096);

    /// Whether all of `other`'s flags are set.
    pub fn contains(self, other: VmaFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// These flags without `other`'s.
    pub fn without(self, other: VmaFlags) -> VmaFlags {
        VmaFlags(self.0 & !other.0)
    }
}

impl std::ops::BitOr for VmaFlags {
    type Output = VmaFlags;
    fn bitor(self, rhs: VmaFlags) -> VmaFlags {
        VmaFlags(self.0 | rhs.0)
    }
}

/// What supplies a VMA's pages.
#[derive(Clone, Debug)]
pub enum Backing {
    /// Private anonymous memory: demand-zero frames owned by the page table.
    Private,
    /// Shared anonymous memory: frames owned by the object, at the VMA's page offset.
    Shared(Arc<SharedAnon>),
    /// A file: frames belong to its page cache, at the VMA's page offset.
    File(Arc<CachedFile>),
}

impl Backing {
    fn same_object(&self, other: &Backing) -> bool {
        match (self, other) {
            (Backing::Private, Backing::Private) => true,
            (Backing::Shared(a), Backing::Shared(b)) => Arc::ptr_eq(a, b),
            (Backing::File(a), Backing::File(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// One virtual memory area: `[start, end)`, page aligned, non-empty.
#[derive(Clone, Debug)]
pub struct Vma {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// [`crate::types::prot`] bits.
    pub prot: u32,
    /// Flags.
    pub flags: VmaFlags,
    /// Page offset of `start` within the backing object.
    pub pgoff: u64,
    /// The pages' source.
    pub backing: Backing,
    /// A label such as `[heap]` (named areas merge only with areas of the same name).
    pub name: Option<Arc<str>>,
    /// The name given with `prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME)` (`[anon:NAME]` in
    /// Linux's maps); areas merge only with areas of the same anonymous name.
    pub anon_name: Option<Arc<str>>,
    /// Swap read-ahead state of the area's private pages.
    pub(crate) swap_ra: SwapRaInfo,
}

impl Vma {
    /// A private anonymous area.
    pub fn anonymous(start: u64, end: u64, prot: u32) -> Vma {
        Vma {
            start,
            end,
            prot,
            flags: VmaFlags::ANONYMOUS,
            pgoff: 0,
            backing: Backing::Private,
            name: None,
            anon_name: None,
            swap_ra: SwapRaInfo::default(),
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Whether the area is empty (never true of an area in a tree).
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Whether `addr` lies in the area.
    pub fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }

    /// Whether the area's protection permits `access` (write implies read, as on RISC-V).
    pub fn allows(&self, access: Access) -> bool {
        match access {
            Access::Read => self.prot & (prot::READ | prot::WRITE) != 0,
            Access::Write => self.prot & prot::WRITE != 0,
            Access::Exec => self.prot & prot::EXEC != 0,
        }
    }

    /// What a policy takes a first fault on the area for: `file` for a file-backed area,
    /// `anon` for the rest (swap is known only once a fault has read the entry).
    pub fn fault_backing(&self) -> FaultBacking {
        match self.backing {
            Backing::File(_) => FaultBacking::File,
            Backing::Private | Backing::Shared(_) => FaultBacking::Anon,
        }
    }

    /// Whether the area is shared.
    pub fn is_shared(&self) -> bool {
        self.flags.contains(VmaFlags::SHARED)
    }

    /// Page offset in the backing object of the page containing `addr`.
    pub fn pgoff_of(&self, addr: u64) -> u64 {
        self.pgoff + (addr - self.start) / PAGE_SIZE
    }

    /// Whether `other` has the same range and attributes (the same backing object, not
    /// just an equal one).
    fn same_attrs(&self, other: &Vma) -> bool {
        self.start == other.start
            && self.end == other.end
            && self.prot == other.prot
            && self.flags == other.flags
            && self.pgoff == other.pgoff
            && self.name == other.name
            && self.anon_name == other.anon_name
            && self.backing.same_object(&other.backing)
    }

    /// Whether `next` could be merged onto the end of `self`.
    fn can_merge_with(&self, next: &Vma) -> bool {
        self.end == next.start
            && self.prot == next.prot
            && self.flags == next.flags
            && self.name == next.name
            && self.anon_name == next.anon_name
            && self.backing.same_object(&next.backing)
            && match self.backing {
                // Private anonymous pages belong to the page table: offsets do not matter.
                Backing::Private => true,
                Backing::Shared(_) | Backing::File(_) => next.pgoff == self.pgoff_of(self.end),
            }
    }

    /// Cuts the area at `addr` (strictly inside it) and returns the upper part.
    fn split_off(&mut self, addr: u64) -> Vma {
        debug_assert!(self.start < addr && addr < self.end && addr.is_multiple_of(PAGE_SIZE));
        let mut upper = self.clone();
        upper.start = addr;
        upper.pgoff = self.pgoff_of(addr);
        self.end = addr;
        upper
    }
}

/// A VMA as the tree holds it: its attributes, which never change once it is in a tree,
/// and its lock. An operation that changes an area replaces its node; the old node is
/// *displaced* ([`VmaTree::take_displaced`]) and must be write-locked and detached before
/// the change takes effect in the page table, so that faults holding it finish first and
/// later ones notice it is gone.
#[derive(Debug)]
pub struct VmaNode {
    vma: Vma,
    lock: VmaLock,
}

impl VmaNode {
    /// A node for `vma`, write-locked in write session `seq` (a node is born while its
    /// creator holds `mmap_lock` for write, and readers cannot find it before that ends).
    pub(crate) fn new(vma: Vma, seq: u64) -> Arc<VmaNode> {
        Arc::new(VmaNode {
            vma,
            lock: VmaLock::new(seq),
        })
    }

    /// The area.
    pub fn vma(&self) -> &Vma {
        &self.vma
    }

    /// Its per-VMA lock.
    pub(crate) fn lock(&self) -> &VmaLock {
        &self.lock
    }
}

impl std::ops::Deref for VmaNode {
    type Target = Vma;
    fn deref(&self) -> &Vma {
        &self.vma
    }
}

/// The VMAs by start address in a persistent map: cloned in O(1), changed in
/// O(log n), so a snapshot costs the same with ten VMAs or a hundred thousand.
pub(crate) type VmaSnapshot = imbl::OrdMap<u64, Arc<VmaNode>>;

/// The VMAs of an address space, sorted by start address.
///
/// The tree lives under `mmap_lock`. It never changes a node in place: a split, a merge, a
/// change of attributes or a removal puts new nodes in and keeps the old ones in a
/// displaced list for the caller to write-lock (see [`VmaNode`]).
#[derive(Debug, Default)]
pub struct VmaTree {
    map: BTreeMap<u64, Arc<VmaNode>>,
    /// The same nodes in a persistent map: what faults read without `mmap_lock` is a
    /// clone of it, taken in O(1) however many VMAs there are.
    shared: VmaSnapshot,
    /// Nodes taken out of the tree since the last `take_displaced`.
    displaced: Vec<Arc<VmaNode>>,
    /// The write session new nodes are born write-locked in.
    seq: u64,
    /// Whether the tree changed since the last `take_changed`.
    changed: bool,
    /// Where the last top-down search left off (see [`TopDownCache`]).
    top_down: TopDownCache,
}

/// Linux's `free_area_cache` and `cached_hole_size` from before its gap-tracking tree:
/// the top of the gap the last top-down search found and the largest gap it passed over
/// above it, so that a search for more than that gap starts there instead of walking
/// down past every mapping made before (O(1) per mmap, not O(n)). The gap found is
/// searched again whether or not a mapping went there. Atomics only because searches
/// take `&self`; every access is under `mmap_lock` for write.
#[derive(Debug, Default)]
struct TopDownCache {
    /// The search's top (`hi`) the entry is for, 0 for none.
    hi: AtomicU64,
    /// The top of the gap the last search found.
    top: AtomicU64,
    /// The largest gap between `top` and `hi`.
    hole: AtomicU64,
}

impl TopDownCache {
    /// Where a search below `hi` for `len` bytes may start, and the largest gap above it.
    fn start(&self, len: u64, hi: u64) -> (u64, u64) {
        let hole = self.hole.load(Ordering::Relaxed);
        if self.hi.load(Ordering::Relaxed) == hi && len > hole {
            (self.top.load(Ordering::Relaxed).min(hi), hole)
        } else {
            (hi, 0)
        }
    }

    /// Records a gap found below `hi` with its top at `top`, and the largest gap above.
    fn found(&self, hi: u64, top: u64, hole: u64) {
        self.hi.store(hi, Ordering::Relaxed);
        self.top.store(top, Ordering::Relaxed);
        self.hole.store(hole, Ordering::Relaxed);
    }

    /// Space was freed: the next search starts from the top again.
    fn forget(&self) {
        self.hi.store(0, Ordering::Relaxed);
    }
}

impl VmaTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of areas.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no areas.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// All areas in address order.
    pub fn iter(&self) -> impl Iterator<Item = &Vma> {
        self.map.values().map(|n| &n.vma)
    }

    /// All nodes in address order.
    pub fn nodes(&self) -> impl Iterator<Item = &Arc<VmaNode>> {
        self.map.values()
    }

    /// The area containing `addr`.
    pub fn find(&self, addr: u64) -> Option<&Vma> {
        self.find_node(addr).map(|n| &n.vma)
    }

    /// The node of the area containing `addr`.
    pub fn find_node(&self, addr: u64) -> Option<&Arc<VmaNode>> {
        self.map
            .range(..=addr)
            .next_back()
            .map(|(_, v)| v)
            .filter(|v| v.end > addr)
    }

    /// The areas overlapping `[start, end)`, in address order.
    pub fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = &Vma> {
        self.overlapping_nodes(start, end).map(|n| &n.vma)
    }

    /// The nodes of the areas overlapping `[start, end)`, in address order.
    pub fn overlapping_nodes(&self, start: u64, end: u64) -> impl Iterator<Item = &Arc<VmaNode>> {
        let first = self.find(start).map_or(start, |v| v.start);
        self.map
            .range(first..end)
            .map(|(_, v)| v)
            .filter(move |v| v.end > start)
    }

    /// Whether no area overlaps `[start, end)`.
    pub fn is_free(&self, start: u64, end: u64) -> bool {
        self.overlapping(start, end).next().is_none()
    }

    /// Whether areas cover every byte of `[start, end)`.
    pub fn covers(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        for v in self.overlapping(start, end) {
            if v.start > at {
                return false;
            }
            at = v.end;
        }
        at >= end
    }

    /// Sets the write session that nodes created from now on are born write-locked in.
    pub(crate) fn begin_session(&mut self, seq: u64) {
        self.seq = seq;
    }

    /// Takes the nodes displaced since the last call.
    pub fn take_displaced(&mut self) -> Vec<Arc<VmaNode>> {
        std::mem::take(&mut self.displaced)
    }

    /// Whether the tree changed since the last call (and forgets it did).
    pub(crate) fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// The nodes as a snapshot to publish (O(1)).
    pub(crate) fn snapshot(&self) -> VmaSnapshot {
        self.shared.clone()
    }

    fn put(&mut self, vma: Vma) {
        self.changed = true;
        let node = VmaNode::new(vma, self.seq);
        self.shared.insert(node.start, node.clone());
        if let Some(old) = self.map.insert(node.start, node) {
            self.displaced.push(old);
        }
    }

    fn take(&mut self, start: u64) -> Arc<VmaNode> {
        self.changed = true;
        let old = self.map.remove(&start).expect("node present");
        self.shared.remove(&start);
        self.displaced.push(old.clone());
        old
    }

    /// Splits the area containing `addr` so that an area starts there (if one covers it).
    fn split_at(&mut self, addr: u64) {
        let Some(v) = self.find(addr) else { return };
        if v.start == addr {
            return;
        }
        let mut lower = self.take(v.start).vma.clone();
        let upper = lower.split_off(addr);
        self.put(lower);
        self.put(upper);
    }

    /// Removes every part of every area inside `[start, end)` and returns the removed
    /// pieces in address order.
    pub fn remove_range(&mut self, start: u64, end: u64) -> Vec<Vma> {
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.map.range(start..end).map(|(&k, _)| k).collect();
        if !keys.is_empty() {
            self.top_down.forget();
        }
        keys.iter().map(|&k| self.take(k).vma.clone()).collect()
    }

    /// Inserts `vma` (which must not overlap any area) and merges it with compatible
    /// neighbours. Returns the start of the area that now contains it.
    pub fn insert(&mut self, vma: Vma) -> u64 {
        assert!(
            vma.start < vma.end
                && vma.start.is_multiple_of(PAGE_SIZE)
                && vma.end.is_multiple_of(PAGE_SIZE)
        );
        assert!(
            self.is_free(vma.start, vma.end),
            "VMA {:#x}-{:#x} overlaps",
            vma.start,
            vma.end
        );
        let (start, end) = (vma.start, vma.end);
        self.put(vma);
        self.merge_at(end);
        self.merge_at(start)
    }

    /// Applies `f` to every area (or part of one) inside `[start, end)` that it changes,
    /// splitting those at the range's boundaries, then merges what became compatible.
    /// Areas `f` leaves as they were are not touched (not even split), as Linux's
    /// mprotect and madvise leave them. Returns the changed pieces as they were before.
    pub fn update_range(&mut self, start: u64, end: u64, f: impl Fn(&mut Vma)) -> Vec<Vma> {
        let changing: Vec<(u64, u64)> = self
            .overlapping(start, end)
            .filter(|v| {
                let mut new = (*v).clone();
                f(&mut new);
                !new.same_attrs(v)
            })
            .map(|v| (v.start.max(start), v.end.min(end)))
            .collect();
        let mut before = Vec::with_capacity(changing.len());
        for &(s, e) in &changing {
            self.split_at(s);
            self.split_at(e);
            let mut piece = self.take(s).vma.clone();
            before.push(piece.clone());
            f(&mut piece);
            self.put(piece);
        }
        for &(s, e) in changing.iter().rev() {
            self.merge_at(e);
            self.merge_at(s);
        }
        before
    }

    /// Changes the end of the area starting at `start` to `new_end` (growing into free
    /// space or shrinking it), merging with the next area when possible.
    pub fn resize(&mut self, start: u64, new_end: u64) {
        let v = self.map.get(&start).expect("resize of a missing VMA");
        assert!(new_end > start && new_end.is_multiple_of(PAGE_SIZE));
        if new_end > v.end {
            assert!(self.is_free(v.end, new_end), "VMA growth overlaps");
        } else {
            self.top_down.forget();
        }
        let mut v = self.take(start).vma.clone();
        v.end = new_end;
        self.put(v);
        self.merge_at(new_end);
    }

    /// Merges the area ending at `addr` with the one starting there, if compatible.
    /// Returns the start of the area now containing `addr` (or `addr`).
    fn merge_at(&mut self, addr: u64) -> u64 {
        let Some(next) = self.map.get(&addr) else {
            return addr;
        };
        let Some((&pkey, prev)) = self.map.range(..addr).next_back() else {
            return addr;
        };
        if !prev.can_merge_with(next) {
            return addr;
        }
        let end = self.take(addr).end;
        let mut merged = self.take(pkey).vma.clone();
        merged.end = end;
        self.put(merged);
        pkey
    }

    /// The highest `start` with `[start, start + len)` free, `lo <= start` and
    /// `start + len <= hi`.
    pub fn find_gap_top_down(&self, len: u64, lo: u64, hi: u64) -> Option<u64> {
        if len == 0 || hi < lo || hi - lo < len {
            return None;
        }
        // Nothing found below a cached start means nothing fits: the gaps above it are
        // all smaller than `len`.
        let (from, hole) = self.top_down.start(len, hi);
        let (gap_end, hole) = self.gap_below(len, lo, from, hole)?;
        self.top_down.found(hi, gap_end, hole);
        Some(gap_end - len)
    }

    /// The top of the highest gap of `len` bytes in `[lo, from)`, with the largest gap
    /// passed over on the way down (at least `hole`, the largest known above `from`).
    fn gap_below(&self, len: u64, lo: u64, from: u64, mut hole: u64) -> Option<(u64, u64)> {
        let mut gap_end = from;
        // Areas starting below `from`, from the top down; one straddling `from` ends
        // the first gap at its start.
        for v in self.map.range(..from).rev().map(|(_, v)| &v.vma) {
            if v.end < gap_end {
                let gap_start = v.end.max(lo);
                if gap_end >= gap_start + len {
                    return Some((gap_end, hole));
                }
                hole = hole.max(gap_end - gap_start);
            }
            gap_end = gap_end.min(v.start);
            if gap_end < lo + len {
                return None;
            }
        }
        (gap_end >= lo + len).then_some((gap_end, hole))
    }

    /// The lowest `start` with `[start, start + len)` free, `lo <= start` and
    /// `start + len <= hi`.
    pub fn find_gap_bottom_up(&self, len: u64, lo: u64, hi: u64) -> Option<u64> {
        if len == 0 || hi < lo || hi - lo < len {
            return None;
        }
        let mut gap_start = self.find(lo).map_or(lo, |v| v.end);
        for v in self
            .map
            .range((Bound::Excluded(lo), Bound::Unbounded))
            .map(|(_, v)| &v.vma)
        {
            if v.start >= gap_start + len {
                break;
            }
            gap_start = gap_start.max(v.end);
        }
        (gap_start.checked_add(len)? <= hi).then_some(gap_start)
    }

    /// Checks the tree's invariants: sorted, aligned, non-empty, non-overlapping, and no
    /// two adjacent areas that should have been merged.
    pub fn validate(&self) -> Result<(), String> {
        let mut prev: Option<&Vma> = None;
        for (&k, v) in self.map.iter().map(|(k, n)| (k, &n.vma)) {
            if k != v.start
                || v.start >= v.end
                || !v.start.is_multiple_of(PAGE_SIZE)
                || !v.end.is_multiple_of(PAGE_SIZE)
            {
                return Err(format!("bad VMA {:#x}-{:#x} at key {k:#x}", v.start, v.end));
            }
            if let Some(p) = prev {
                if p.end > v.start {
                    return Err(format!(
                        "overlap {:#x}-{:#x} / {:#x}",
                        p.start, p.end, v.start
                    ));
                }
                if p.can_merge_with(v) {
                    return Err(format!(
                        "unmerged {:#x}-{:#x} / {:#x}-{:#x}",
                        p.start, p.end, v.start, v.end
                    ));
                }
            }
            prev = Some(v);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
