//! The VMAs as faults find them without `mmap_lock` (Linux walks its maple tree under
//! RCU): an immutable sorted snapshot of the tree's nodes, republished at the end of every
//! `mmap_lock` write session that changed the tree, and the address space's write
//! sequence, which tells which VMAs are write-locked ([`crate::vma_lock`]).
//!
//! Each hart caches the snapshot it last used in a `VmaView` and fetches the current
//! one only when the generation has moved, so a fault normally touches no shared
//! cache line but its own VMA's lock. A cached snapshot may be stale: the VMA it yields
//! is then detached, which the lock attempt notices (a miss), or write-locked (an abort).

use crate::stats::{Counter, HartStats};
use crate::vma::{Vma, VmaNode, VmaSnapshot};
use crate::vma_lock::ReadFail;
use devices::{Clock, Cost};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The published snapshot and the write sequence of one address space.
#[derive(Debug)]
pub(crate) struct VmaIndex {
    /// Linux's `mm_lock_seq`: VMAs whose lock sequence equals it are write-locked.
    seq: AtomicU64,
    /// Bumped at every publication.
    generation: AtomicU64,
    snapshot: Mutex<VmaSnapshot>,
}

impl Default for VmaIndex {
    fn default() -> Self {
        VmaIndex {
            // Nodes are born in session 0; the first write session is 1.
            seq: AtomicU64::new(1),
            // A fresh view (generation 0) fetches the first snapshot.
            generation: AtomicU64::new(1),
            snapshot: Mutex::new(VmaSnapshot::new()),
        }
    }
}

impl VmaIndex {
    /// The write sequence (current session while `mmap_lock` is write-held).
    pub(crate) fn seq(&self) -> &AtomicU64 {
        &self.seq
    }

    /// Publishes the tree's nodes as the new snapshot.
    pub(crate) fn publish(&self, nodes: VmaSnapshot) {
        let mut s = self.snapshot.lock();
        *s = nodes;
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// Linux's `vma_end_write_all`: ends the write session, releasing every VMA write
    /// lock taken in it. Called with `mmap_lock` still held for write, after `publish`, so
    /// a reader that misses on a node detached in this session finds its replacement.
    pub(crate) fn end_write_session(&self) {
        self.seq.fetch_add(1, Ordering::SeqCst);
    }

    /// The generation of the current snapshot: it moves whenever the VMAs changed.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Brings `view` up to the current snapshot if it is stale.
    pub(crate) fn refresh(&self, view: &mut VmaView) {
        if self.generation.load(Ordering::Acquire) == view.generation {
            return;
        }
        let s = self.snapshot.lock();
        view.generation = self.generation.load(Ordering::Acquire);
        view.snapshot = Some(s.clone());
    }
}

/// A hart's cached snapshot.
#[derive(Debug, Default)]
pub(crate) struct VmaView {
    generation: u64,
    snapshot: Option<VmaSnapshot>,
}

impl VmaView {
    /// Every node of the cached snapshot, in address order.
    pub(crate) fn nodes(&self) -> impl Iterator<Item = &Arc<VmaNode>> {
        self.snapshot.iter().flat_map(|s| s.values())
    }

    /// The node containing `addr` in the cached snapshot.
    pub(crate) fn find(&self, addr: u64) -> Option<&Arc<VmaNode>> {
        let (_, n) = self.snapshot.as_ref()?.range(..=addr).next_back()?;
        (addr < n.end).then_some(n)
    }
}

/// A read lock on a VMA; released on drop.
pub(crate) struct VmaReadGuard {
    node: Arc<VmaNode>,
}

impl VmaReadGuard {
    /// The locked VMA.
    pub(crate) fn node(&self) -> &Arc<VmaNode> {
        &self.node
    }
}

impl Drop for VmaReadGuard {
    fn drop(&mut self) {
        self.node.lock().read_unlock();
    }
}

/// Linux's `lock_vma_under_rcu`: finds the VMA containing `addr` in `view` (which the
/// caller has just refreshed) and read-locks it without waiting, looking again in a fresh
/// snapshot after each miss. `None` means the caller must take `mmap_lock` (an abort,
/// counted, as is every miss): also when the VMA found is not `eligible` (the policy
/// takes `mmap_lock` first for its kind, as Linux 6.4 did for all but anonymous VMAs).
/// A lock taken is charged to `clock`.
pub(crate) fn lock_vma_for_fault(
    index: &VmaIndex,
    view: &mut VmaView,
    addr: u64,
    (stats, clock): (&HartStats, &dyn Clock),
    eligible: impl Fn(&Vma) -> bool,
) -> Option<VmaReadGuard> {
    loop {
        let Some(node) = view.find(addr).filter(|n| eligible(n)) else {
            stats.add(Counter::VmaLockAbort, 1);
            return None;
        };
        match node.lock().try_read(index.seq()) {
            Ok(()) => {
                clock.charge(Cost::Lock, 1);
                return Some(VmaReadGuard { node: node.clone() });
            }
            Err(ReadFail::Abort) => {
                stats.add(Counter::VmaLockAbort, 1);
                return None;
            }
            Err(ReadFail::Miss) => {
                stats.add(Counter::VmaLockMiss, 1);
                index.refresh(view);
            }
        }
    }
}
