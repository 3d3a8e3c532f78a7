//! A write session of `mmap_lock`: the write guard the mm system calls change VMAs
//! through.
//!
//! [`MmWriteGuard`] is where the two lock levels meet. Every change to the VMA tree goes
//! through it, and right after each change it write-locks the VMAs the tree displaced
//! (waiting, out of guest state, for their readers to leave) and detaches them, before the
//! caller goes on to change the page table. When the guard drops it publishes the new
//! tree for lock-free lookups if it changed, ends the write session — releasing every
//! VMA write lock at once, as Linux's `mmap_write_unlock` does — and only then releases
//! `mmap_lock` itself.

use crate::caller::Caller;
use crate::errno::Errno;
use crate::mm_core::{MmCore, MmState};
use crate::rwsem::{Acquirer, Killed, RwSemReadGuard, RwSemWriteGuard, Task};
use crate::stats::Counter;
use crate::vma::{Vma, VmaFlags, VmaNode};
use devices::trace::{self, catalog, TraceArg, TraceValue};
use std::ops::Deref;
use std::sync::atomic::Ordering;

/// `mmap_lock` held for write, with the VMA write locks of its session.
pub(crate) struct MmWriteGuard<'a> {
    mm: RwSemWriteGuard<'a, MmState>,
    space: &'a MmCore,
    caller: &'a Caller,
    /// The write session: VMAs write-locked in it carry this sequence.
    seq: u64,
}

impl<'a> MmWriteGuard<'a> {
    /// Opens a write session on a freshly taken write lock.
    pub(crate) fn new(
        mut mm: RwSemWriteGuard<'a, MmState>,
        space: &'a MmCore,
        caller: &'a Caller,
    ) -> Self {
        let seq = space.vma_index().seq().load(Ordering::SeqCst);
        mm.vmas.begin_session(seq);
        MmWriteGuard {
            mm,
            space,
            caller,
            seq,
        }
    }

    /// Linux's `vma_start_write`: write-locks `node`, waiting for its readers; returns
    /// the nanoseconds it waited. Under a policy whose `first` is `mmap` for every
    /// backing, such as `mmap` (a kernel without per-VMA locks), there are none to take.
    pub(crate) fn write_lock(&self, node: &VmaNode) -> u64 {
        if !self.space.config().policy.tries_vma_lock() {
            return 0;
        }
        let mut waited = 0;
        let stats = self.space.stats_of(self.caller);
        let clock = self.space.clock();
        let span = (node.vma().start, node.vma().end);
        let locked = node
            .lock()
            .start_write(self.seq, span, clock.as_ref(), |readers, drain| {
                let start = clock.now_ns();
                trace::begin(
                    catalog::VMA_WRITE_WAIT,
                    &[
                        TraceArg::new(catalog::VMA, TraceValue::Addr(span.0)),
                        TraceArg::new(catalog::READER_COUNT, TraceValue::Uint(readers.into())),
                    ],
                );
                self.space.blocking(self.caller, drain);
                trace::end(&[]);
                waited = clock.now_ns() - start;
                stats.add(Counter::VmaLockWriteWaitNs, waited);
            });
        if locked {
            stats.add(Counter::VmaLockWriteLocked, 1);
        }
        waited
    }

    /// Write-locks and detaches what the last tree change displaced.
    fn settle(&mut self) {
        for node in self.mm.vmas.take_displaced() {
            self.write_lock(&node);
            node.lock().detach();
        }
    }

    /// Removes `[start, end)` from the tree (see [`crate::vma::VmaTree::remove_range`]).
    pub(crate) fn remove_range(&mut self, start: u64, end: u64) -> Vec<Vma> {
        let removed = self.mm.vmas.remove_range(start, end);
        self.settle();
        removed
    }

    /// Inserts `vma` (see [`crate::vma::VmaTree::insert`]).
    pub(crate) fn insert(&mut self, vma: Vma) -> u64 {
        let at = self.mm.vmas.insert(vma);
        self.settle();
        at
    }

    /// Changes the areas in `[start, end)` (see [`crate::vma::VmaTree::update_range`]).
    pub(crate) fn update_range(&mut self, start: u64, end: u64, f: impl Fn(&mut Vma)) -> Vec<Vma> {
        let before = self.mm.vmas.update_range(start, end, f);
        self.settle();
        before
    }

    /// Moves the end of the area at `start` (see [`crate::vma::VmaTree::resize`]).
    pub(crate) fn resize(&mut self, start: u64, new_end: u64) {
        self.mm.vmas.resize(start, new_end);
        self.settle();
    }

    /// Write-locks every VMA `pick` selects, as fork's `dup_mmap` does before copying
    /// them; returns the nanoseconds it waited for their readers.
    pub(crate) fn write_lock_where(&self, pick: impl Fn(&Vma) -> bool) -> u64 {
        self.mm
            .vmas
            .nodes()
            .filter(|n| pick(n.vma()))
            .map(|n| self.write_lock(n))
            .sum()
    }

    /// Sets the flags every new VMA gets (mlockall(MCL_FUTURE)).
    pub(crate) fn set_def_flags(&mut self, flags: VmaFlags) {
        self.mm.def_flags = flags;
    }

    /// Sets where the heap starts and the program break.
    pub(crate) fn set_brk(&mut self, brk_start: u64, brk: u64) {
        self.mm.brk_start = brk_start;
        self.mm.brk = brk;
    }
}

impl Deref for MmWriteGuard<'_> {
    type Target = MmState;
    fn deref(&self) -> &MmState {
        &self.mm
    }
}

impl Drop for MmWriteGuard<'_> {
    fn drop(&mut self) {
        let index = self.space.vma_index();
        if self.mm.vmas.take_changed() {
            index.publish(self.mm.vmas.snapshot());
        }
        index.end_write_session();
        // `mm` drops next: mmap_lock is released after the VMA write locks.
    }
}

impl MmCore {
    /// The caller as a lock acquirer: its stats, thread id, real-time flag and signal.
    pub(crate) fn acquirer<'a>(&'a self, caller: &'a Caller) -> Acquirer<'a> {
        match caller.hart() {
            Some(h) => Acquirer {
                stats: &h.stats,
                task: Task {
                    tid: h.tid,
                    realtime: h.realtime.load(Ordering::Relaxed),
                },
                signal: Some(&h.signal),
            },
            None => Acquirer::anonymous(self.stats_of(caller)),
        }
    }

    /// Takes `mmap_lock` for read on the caller's behalf.
    pub(crate) fn lock_read<'a>(&'a self, caller: &'a Caller) -> RwSemReadGuard<'a, MmState> {
        let who = self.acquirer(caller);
        match self.mmap_lock.try_read(who) {
            Some(g) => g,
            None => self.blocking(caller, || self.mmap_lock.read(who)),
        }
    }

    /// Takes `mmap_lock` for read on the caller's behalf, giving up if the caller's hart
    /// is killed while it waits (Linux's `mmap_read_lock_killable` after a trylock).
    pub(crate) fn lock_read_killable<'a>(
        &'a self,
        caller: &'a Caller,
    ) -> Result<RwSemReadGuard<'a, MmState>, Killed> {
        let who = self.acquirer(caller);
        match self.mmap_lock.try_read(who) {
            Some(g) => Ok(g),
            None => self.blocking(caller, || self.mmap_lock.read_killable(who)),
        }
    }

    /// Takes `mmap_lock` for write on the caller's behalf, opening a write session.
    pub(crate) fn lock_write<'a>(&'a self, caller: &'a Caller) -> MmWriteGuard<'a> {
        let who = self.acquirer(caller);
        let g = match self.mmap_lock.try_write(who) {
            Some(g) => g,
            None => self.blocking(caller, || self.mmap_lock.write(who)),
        };
        MmWriteGuard::new(g, self, caller)
    }

    /// Takes `mmap_lock` for write on the caller's behalf, as Linux's
    /// `mmap_write_lock_killable` does: EINTR if the caller's hart is killed meanwhile.
    pub(crate) fn lock_write_killable<'a>(
        &'a self,
        caller: &'a Caller,
    ) -> Result<MmWriteGuard<'a>, Errno> {
        let who = self.acquirer(caller);
        let g = match self.mmap_lock.try_write(who) {
            Some(g) => g,
            None => self
                .blocking(caller, || self.mmap_lock.write_killable(who))
                .map_err(|Killed| Errno::EINTR)?,
        };
        Ok(MmWriteGuard::new(g, self, caller))
    }
}
