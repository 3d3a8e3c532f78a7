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

use devices::{Clock, Parker};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// Set in the state word while a writer waits for the readers to leave.
const WRITER: u32 = 1 << 31;

/// The lock of one VMA.
#[derive(Debug)]
pub struct VmaLock {
    /// Readers holding the lock, plus [`WRITER`] while a writer waits for them.
    state: AtomicU32,
    /// The write session in which the VMA was last write-locked.
    lock_seq: AtomicU64,
    /// Set once the VMA has left its tree (removed or replaced).
    detached: AtomicBool,
    /// Where a writer sleeps until the last reader leaves.
    drain: Parker,
}

/// Why a read attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFail {
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
        // SeqCst (hence release): what the reader did under the lock happens before the
        // writer that sees the count drop.
        if self.state.fetch_sub(1, Ordering::SeqCst) == WRITER | 1 {
            self.drain.unpark();
        }
    }

    /// Whether the VMA is write-locked in session `seq`.
    pub(crate) fn is_write_locked(&self, seq: u64) -> bool {
        self.lock_seq.load(Ordering::Relaxed) == seq
    }

    /// Linux's `vma_start_write`, with `mmap_lock` held for write in session `seq`:
    /// marks the VMA and waits, through `wait` (which must leave guest state first) and on
    /// `clock`, until its readers have left. Returns false if it was already write-locked
    /// in `seq`.
    pub(crate) fn start_write(
        &self,
        seq: u64,
        clock: &dyn Clock,
        wait: impl FnOnce(&dyn Fn()),
    ) -> bool {
        if self.is_write_locked(seq) {
            return false;
        }
        let readers = self.state.fetch_or(WRITER, Ordering::SeqCst) & !WRITER;
        if readers != 0 {
            wait(&|| {
                while self.state.load(Ordering::SeqCst) & !WRITER != 0 {
                    clock.park(&self.drain);
                }
            });
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
mod tests {
    //! The protocol, scripted: each step is taken by the test, and a thread that must
    //! block is seen blocking in the lock's state before the test goes on.
    use super::*;
    use crate::mm_core::MmConfig;
    use crate::space::AddressSpace;
    use crate::stats::{Counter, HartStats};
    use crate::types::{map, prot, PAGE_SIZE};
    use crate::vma_index::{lock_vma_for_fault, VmaReadGuard, VmaView};
    use devices::HostClock;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    const P: u64 = PAGE_SIZE;

    fn wait_for(what: &str, cond: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !cond() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::yield_now();
        }
    }

    fn no_wait(_: &dyn Fn()) {
        panic!("nobody to wait for");
    }

    #[test]
    fn a_write_locked_vma_refuses_readers_until_the_session_ends() {
        let seq = AtomicU64::new(5);
        let l = VmaLock::new(0);
        assert_eq!(l.try_read(&seq), Ok(()));
        l.read_unlock();
        assert!(l.start_write(5, &HostClock::new(), no_wait));
        assert_eq!(l.try_read(&seq), Err(ReadFail::Abort));
        assert!(
            !l.start_write(5, &HostClock::new(), no_wait),
            "already write-locked in this session"
        );
        // Ending the session releases the write lock without touching the VMA.
        seq.store(6, Ordering::SeqCst);
        assert_eq!(l.try_read(&seq), Ok(()));
        l.read_unlock();
    }

    #[test]
    fn a_vma_born_in_a_session_is_write_locked_in_it() {
        let seq = AtomicU64::new(3);
        let l = VmaLock::new(3);
        assert_eq!(l.try_read(&seq), Err(ReadFail::Abort));
        assert!(!l.start_write(3, &HostClock::new(), no_wait));
    }

    #[test]
    fn a_writer_marks_then_waits_for_readers_and_new_readers_fail_meanwhile() {
        let seq = Arc::new(AtomicU64::new(5));
        let l = Arc::new(VmaLock::new(0));
        assert_eq!(l.try_read(&seq), Ok(()));
        assert_eq!(l.try_read(&seq), Ok(()));
        let writer = {
            let l = l.clone();
            std::thread::spawn(move || l.start_write(5, &HostClock::new(), |drain| drain()))
        };
        wait_for("the writer to mark the VMA", || l.writer_waiting());
        assert_eq!(l.try_read(&seq), Err(ReadFail::Abort), "being write-locked");
        assert_eq!(l.readers(), 2);
        l.read_unlock();
        assert!(
            !writer.is_finished() && l.writer_waiting(),
            "one reader left"
        );
        l.read_unlock();
        assert!(writer.join().unwrap());
        assert!(!l.writer_waiting() && l.is_write_locked(5));
        assert_eq!(l.try_read(&seq), Err(ReadFail::Abort));
    }

    #[test]
    fn a_detached_vma_is_a_miss_once_its_session_ended() {
        let seq = AtomicU64::new(5);
        let l = VmaLock::new(0);
        assert!(l.start_write(5, &HostClock::new(), no_wait));
        l.detach();
        assert_eq!(l.try_read(&seq), Err(ReadFail::Abort), "still write-locked");
        seq.store(6, Ordering::SeqCst);
        assert_eq!(l.try_read(&seq), Err(ReadFail::Miss));
        assert_eq!(l.readers(), 0, "the failed attempt left no reader behind");
    }

    fn space() -> Arc<AddressSpace> {
        AddressSpace::new(MmConfig {
            frame_pool_bytes: 1 << 20,
            ..MmConfig::default()
        })
        .unwrap()
    }

    const RW: u32 = prot::READ | prot::WRITE;
    const ANON: u32 = map::PRIVATE | map::ANONYMOUS;

    /// Read-locks the VMA at `addr` as a fault would, with a freshly refreshed view.
    fn fault_lock(space: &AddressSpace, addr: u64, stats: &HartStats) -> Option<VmaReadGuard> {
        let mut view = VmaView::default();
        space.core().vma_index().refresh(&mut view);
        lock_vma_for_fault(space.core().vma_index(), &mut view, addr, stats)
    }

    #[test]
    fn a_fault_that_finds_its_vma_replaced_looks_again() {
        let space = space();
        let stats = HartStats::default();
        let a = space.mmap(0, 4 * P, RW, ANON).unwrap();
        let mut view = VmaView::default();
        space.core().vma_index().refresh(&mut view);
        let old = view.find(a).unwrap().clone();
        // Replaced after this view was taken: mprotect splits the VMA.
        space.mprotect(a + 2 * P, 2 * P, prot::READ).unwrap();
        assert!(old.lock().is_detached());
        let g = lock_vma_for_fault(space.core().vma_index(), &mut view, a, &stats).expect("found");
        assert!(!Arc::ptr_eq(g.node(), &old));
        assert_eq!((g.node().start, g.node().end), (a, a + 2 * P));
        assert_eq!(stats.get(Counter::VmaLockMiss), 1);
        assert_eq!(stats.get(Counter::VmaLockAbort), 0);
    }

    #[test]
    fn no_vma_at_the_address_is_an_abort() {
        let space = space();
        let stats = HartStats::default();
        assert!(fault_lock(&space, 0x1000_0000, &stats).is_none());
        assert_eq!(stats.get(Counter::VmaLockAbort), 1);
    }

    #[test]
    fn only_the_vmas_an_operation_changes_are_write_locked() {
        let space = space();
        let stats = HartStats::default();
        let a = space.mmap(0, 4 * P, RW, ANON).unwrap();
        let b = space.mmap(a - 4 * P, 4 * P, prot::READ, ANON).unwrap();
        assert_eq!(space.vmas().len(), 2);
        let held_b = fault_lock(&space, b, &stats).expect("b is free");
        let before = space.stats().total_of("vma_lock.write_locked");
        // Changing a's protection neither waits for b's reader nor locks b.
        let mprotect = {
            let space = space.clone();
            std::thread::spawn(move || space.mprotect(a, 4 * P, prot::READ | prot::EXEC))
        };
        wait_for("mprotect of a alone", || mprotect.is_finished());
        mprotect.join().unwrap().unwrap();
        let s = space.stats();
        assert_eq!(s.total_of("vma_lock.write_locked"), before + 1);
        // Asking for the protection it has already changes nothing and locks nothing.
        space.mprotect(a, 2 * P, prot::READ | prot::EXEC).unwrap();
        assert_eq!(space.stats().total_of("vma_lock.write_locked"), before + 1);
        assert!(!held_b.node().lock().is_detached());
        drop(held_b);
    }

    #[test]
    fn a_change_waits_for_the_vmas_readers() {
        let space = space();
        let stats = HartStats::default();
        let a = space.mmap(0, 4 * P, RW, ANON).unwrap();
        let held = fault_lock(&space, a, &stats).expect("free");
        let mprotect = {
            let space = space.clone();
            std::thread::spawn(move || space.mprotect(a, P, prot::READ))
        };
        wait_for("mprotect to mark the VMA", || {
            held.node().lock().writer_waiting()
        });
        assert!(
            fault_lock(&space, a + 3 * P, &stats).is_none(),
            "new faults abort"
        );
        assert!(!mprotect.is_finished());
        drop(held);
        mprotect.join().unwrap().unwrap();
        let g = fault_lock(&space, a + 3 * P, &stats).expect("the new VMA");
        assert_eq!(g.node().start, a + P);
        assert!(space.stats().total_of("vma_lock.write_wait_ns") > 0);
    }

    #[test]
    fn a_move_waits_for_the_source_vmas_readers_before_moving_anything() {
        use crate::types::mremap::{DONTUNMAP, FIXED, MAYMOVE};
        for flags in [MAYMOVE | FIXED, MAYMOVE | FIXED | DONTUNMAP] {
            let space = space();
            let stats = HartStats::default();
            let a = space.mmap(0, 2 * P, RW, ANON | map::POPULATE).unwrap();
            let held = fault_lock(&space, a, &stats).expect("free");
            // Far from `a`, so the moved VMA merges with nothing.
            let to = a - 64 * P;
            let mremap = {
                let space = space.clone();
                std::thread::spawn(move || space.mremap(a, 2 * P, 2 * P, flags, to))
            };
            wait_for("mremap to mark the source", || {
                held.node().lock().writer_waiting()
            });
            assert!(
                space.core().page_table().lookup(a).is_valid(),
                "nothing moved while a fault holds the source"
            );
            drop(held);
            assert_eq!(mremap.join().unwrap(), Ok(to));
            assert!(!space.core().page_table().lookup(a).is_valid());
            assert!(space.core().page_table().lookup(to).is_valid());
        }
    }

    #[test]
    fn a_hart_waiting_to_write_lock_a_vma_does_not_hold_up_shootdowns() {
        let space = space();
        let stats = HartStats::default();
        let a = space.mmap(0, 2 * P, RW, ANON).unwrap();
        let held = fault_lock(&space, a, &stats).expect("free");
        // A hart calls mprotect straight from guest code and waits for the reader.
        let hart = {
            let space = space.clone();
            std::thread::spawn(move || {
                let mut h = space.attach_hart(2);
                h.enter_guest();
                space.mprotect(a, P, prot::READ)
            })
        };
        wait_for("the hart to wait for the reader", || {
            held.node().lock().writer_waiting()
        });
        // The reader shoots down TLBs (as MADV_DONTNEED under the VMA lock does): it
        // must not wait for the hart that waits for it.
        let shooter = {
            let space = space.clone();
            std::thread::spawn(move || space.core().shootdown().shoot(None))
        };
        wait_for("the shootdown", || shooter.is_finished());
        assert_eq!(
            shooter.join().unwrap(),
            0,
            "no hart in guest code to wait for"
        );
        drop(held);
        assert_eq!(hart.join().unwrap(), Ok(()));
    }

    #[test]
    fn fork_write_locks_every_vma_and_the_session_end_releases_them_all() {
        let space = space();
        let stats = HartStats::default();
        let a = space.mmap(0, 2 * P, RW, ANON).unwrap();
        let b = space.mmap(a - 8 * P, 2 * P, prot::READ, ANON).unwrap();
        let seen = space.dup_mmap(|vmas| {
            for v in vmas {
                assert!(
                    fault_lock(&space, v.start, &stats).is_none(),
                    "{:#x}",
                    v.start
                );
            }
            vmas.len()
        });
        assert_eq!(seen, 2);
        assert_eq!(stats.get(Counter::VmaLockAbort), 2);
        // Nothing changed, yet every VMA is readable again: released all at once.
        for addr in [a, b] {
            assert!(fault_lock(&space, addr, &stats).is_some());
        }
        assert_eq!(space.stats().total_of("vma_lock.write_locked"), 2);
    }
}
