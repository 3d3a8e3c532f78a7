//! Per-VMA locks, with Linux's protocol (include/linux/mmap_lock.h, mm/mmap_lock.c).
//!
//! - A fault reads a VMA without `mmap_lock`: `lock_vma_for_fault` finds it in the
//!   published snapshot ([`crate::vma_index`]) and *tries* to read-lock it. The try never
//!   waits: if the VMA is write-locked, or a writer is waiting to write-lock it, it fails
//!   (`vma_lock.abort`) and the fault takes the `mmap_lock` way. If the VMA was detached
//!   (removed or replaced) since the snapshot was taken, it counts `vma_lock.miss` and
//!   looks again in a fresh snapshot. Finding no VMA at all is an abort too: only the
//!   `mmap_lock` path may decide that an address is unmapped.
//! - A writer write-locks a VMA (`VmaLock::start_write`) only while it holds
//!   `mmap_lock` for write: it marks the VMA (so new readers fail) and sleeps, unbounded
//!   and uninterruptibly, until the VMA's readers have left. There is no per-VMA unlock:
//!   a VMA is write-locked while its lock sequence equals the address space's write
//!   sequence, and releasing `mmap_lock`'s write side advances that sequence, releasing
//!   every VMA write lock at once.
//!
//! Which VMAs get write-locked is decided by the tree ([`crate::vma::VmaTree`]): exactly
//! those an operation displaces (split, merged, changed or removed).

use devices::trace::{self, catalog};
use devices::{Clock, Cost, Parker, WaitNote};
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// Set in the state word while a writer waits for the readers to leave.
const WRITER: u32 = 1 << 31;

/// The lock of one VMA.
#[derive(Debug)]
pub(crate) struct VmaLock {
    /// Readers holding the lock, plus [`WRITER`] while a writer waits for them.
    state: AtomicU32,
    /// The write session in which the VMA was last write-locked.
    lock_seq: AtomicU64,
    /// Set once the VMA has left its tree (removed or replaced).
    detached: AtomicBool,
    /// Where a writer sleeps until the last reader leaves.
    drain: Parker,
    /// In a trace, the flow from the last reader out to the writer it woke (0: none).
    drain_flow: AtomicU64,
}

/// Why a read attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadFail {
    /// The VMA is write-locked or being write-locked: take the `mmap_lock` way.
    Abort,
    /// The VMA is no longer in the tree: look again.
    Miss,
}

impl VmaLock {
    /// A lock write-locked in session `seq`.
    pub(crate) fn new(seq: u64) -> Self {
        VmaLock {
            state: AtomicU32::new(0),
            lock_seq: AtomicU64::new(seq),
            detached: AtomicBool::new(false),
            drain: Parker::new(),
            drain_flow: AtomicU64::new(0),
        }
    }

    /// Linux's `vma_start_read`: read-locks the VMA unless a writer has it or is taking
    /// it (`mm_seq` is the address space's current write sequence). Never waits.
    pub(crate) fn try_read(&self, mm_seq: &AtomicU64) -> Result<(), ReadFail> {
        if self.lock_seq.load(Ordering::Acquire) == mm_seq.load(Ordering::Acquire) {
            return Err(ReadFail::Abort);
        }
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if s & WRITER != 0 {
                return Err(ReadFail::Abort);
            }
            match self
                .state
                .compare_exchange_weak(s, s + 1, Ordering::SeqCst, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(now) => s = now,
            }
        }
        // A writer may have marked and released the VMA between the first check and the
        // increment (it found no reader): its session is still open, so look again.
        if self.lock_seq.load(Ordering::SeqCst) == mm_seq.load(Ordering::SeqCst) {
            self.read_unlock();
            return Err(ReadFail::Abort);
        }
        if self.detached.load(Ordering::Acquire) {
            self.read_unlock();
            return Err(ReadFail::Miss);
        }
        Ok(())
    }

    /// Drops a read lock; the last reader out wakes a waiting writer.
    pub(crate) fn read_unlock(&self) {
        if self.state.load(Ordering::Relaxed) == WRITER | 1 && trace::enabled() {
            return self.read_unlock_traced();
        }
        // SeqCst (hence release): what the reader did under the lock happens before the
        // writer that sees the count drop.
        if self.state.fetch_sub(1, Ordering::SeqCst) == WRITER | 1 {
            self.drain.unpark();
        }
    }

    /// [`Self::read_unlock`] by the last reader a writer waits for, in a
    /// trace: the flow to the writer is stored before the count drops, since the writer
    /// may see the drop and go on before this thread is woken again.
    fn read_unlock_traced(&self) {
        let flow = trace::new_flow();
        self.drain_flow
            .store(flow.map_or(0, NonZeroU64::get), Ordering::SeqCst);
        // With a writer marked no reader comes in, and the writer waits for this one:
        // the count seen before is still the count now.
        let was = self.state.fetch_sub(1, Ordering::SeqCst);
        debug_assert_eq!(was, WRITER | 1, "the last reader a writer waits for");
        trace::instant_with_flows(catalog::VMA_DRAINED, &[], flow, None);
        self.drain.unpark();
    }

    /// Whether the VMA is write-locked in session `seq`.
    pub(crate) fn is_write_locked(&self, seq: u64) -> bool {
        self.lock_seq.load(Ordering::Relaxed) == seq
    }

    /// Linux's `vma_start_write`, with `mmap_lock` held for write in session `seq`:
    /// marks the VMA (which spans `span`, for a virtual clock's wait report) and waits,
    /// through `wait` (which must leave guest state first; it is told how many readers
    /// there are) and on `clock`, until its readers have left. Returns false if it was
    /// already write-locked in `seq`. In a trace, the last reader out leaves a
    /// `vma drained` instant with a flow to the writer's `vma write locked`.
    pub(crate) fn start_write(
        &self,
        seq: u64,
        span: (u64, u64),
        clock: &dyn Clock,
        wait: impl FnOnce(u32, &dyn Fn()),
    ) -> bool {
        if self.is_write_locked(seq) {
            return false;
        }
        let readers = self.state.fetch_or(WRITER, Ordering::SeqCst) & !WRITER;
        if readers == 0 {
            clock.charge(Cost::Lock, 1);
        } else {
            wait(readers, &|| {
                while self.state.load(Ordering::SeqCst) & !WRITER != 0 {
                    if clock.is_virtual() {
                        // Readers are a count: who they are is not known here.
                        clock.note_wait(WaitNote {
                            what: format!("VMA lock of {:#x}-{:#x} (drain)", span.0, span.1),
                            holders: Vec::new(),
                        });
                    }
                    clock.park(&self.drain);
                }
            });
            let flow = NonZeroU64::new(self.drain_flow.swap(0, Ordering::Acquire));
            if flow.is_some() {
                trace::instant_with_flows(catalog::VMA_WRITE_LOCKED, &[], None, flow);
            }
        }
        self.lock_seq.store(seq, Ordering::SeqCst);
        self.state.fetch_and(!WRITER, Ordering::SeqCst);
        true
    }

    /// Marks a write-locked VMA as no longer in its tree.
    pub(crate) fn detach(&self) {
        self.detached.store(true, Ordering::Release);
    }

    /// Whether the VMA has left its tree.
    #[cfg(test)]
    pub(crate) fn is_detached(&self) -> bool {
        self.detached.load(Ordering::Acquire)
    }

    /// Readers holding the lock now.
    #[cfg(test)]
    pub(crate) fn readers(&self) -> u32 {
        self.state.load(Ordering::SeqCst) & !WRITER
    }

    /// Whether a writer is waiting for the readers to leave.
    #[cfg(test)]
    pub(crate) fn writer_waiting(&self) -> bool {
        self.state.load(Ordering::SeqCst) & WRITER != 0
    }
}

#[cfg(test)]
pub(crate) mod tests;
