//! A reader-writer semaphore with an explicit FIFO wait queue, modelled on Linux's
//! `rw_semaphore` (the lock behind `mmap_lock`).
//!
//! The lock state and the wait queue sit under one short internal mutex (Linux's
//! `wait_lock`); waiters sleep on their own [`devices::Parker`], so how long they wait is
//! decided by the queue rules below and by the time seam, not by a host lock's policy.
//!
//! Rules:
//! - a new reader gets the lock only if no writer holds it and nobody is queued: it never
//!   overtakes a waiting writer; a new writer only if the lock is free and nobody is
//!   queued; `try_read`/`try_write` follow the same rules but never queue;
//! - the waker hands the lock over: a woken waiter already owns it when it wakes;
//! - when the lock becomes free and the first waiter is a writer, only that writer wakes;
//! - when readers may run and the first waiter is a reader, every queued reader wakes (at
//!   most [`MAX_READERS_WAKEUP`]), wherever it sits in the queue, as Linux's
//!   `rwsem_mark_wake` does.
//!
//! The acquisition policy lives in `may_read`/`may_write` and the wake policy in
//! `RwSemaphore::wake_waiters`, which is where lock handoff after a long wait plugs in.
//!
//! Every acquisition is counted into the stats of the hart that makes it, with the time it
//! spent queued measured on the devices clock (uncontended acquisitions wait 0 ns and do
//! not read the clock).

use crate::stats::{Counter, HartStats};
use devices::{Clock, HostClock, Parker};
use parking_lot::Mutex;
use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// At most this many readers are woken at once (Linux's `MAX_READERS_WAKEUP`).
pub const MAX_READERS_WAKEUP: usize = 256;

/// The counters one lock's acquisitions go to.
#[derive(Debug)]
pub struct LockCounters {
    /// Counts read acquisitions.
    pub read_acquired: Counter,
    /// Counts write acquisitions.
    pub write_acquired: Counter,
    /// Sums nanoseconds waited for read.
    pub read_wait_ns: Counter,
    /// Sums nanoseconds waited for write.
    pub write_wait_ns: Counter,
}

/// The counters of `mmap_lock`.
pub static MMAP_LOCK_COUNTERS: LockCounters = LockCounters {
    read_acquired: Counter::MmapLockReadAcquired,
    write_acquired: Counter::MmapLockWriteAcquired,
    read_wait_ns: Counter::MmapLockReadWaitNs,
    write_wait_ns: Counter::MmapLockWriteWaitNs,
};

/// What a queued waiter wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitKind {
    /// Shared access.
    Read,
    /// Exclusive access.
    Write,
}

struct Waiter {
    kind: WaitKind,
    /// When it joined the queue, on the semaphore's clock.
    queued_at_ns: u64,
    parker: Parker,
    /// Set (release) by the waker once the lock is the waiter's.
    granted: AtomicBool,
}

struct SemState {
    readers: u32,
    writer: bool,
    queue: VecDeque<Arc<Waiter>>,
}

/// Whether a newly arriving reader may take the lock now.
fn may_read(s: &SemState) -> bool {
    !s.writer && s.queue.is_empty()
}

/// Whether a newly arriving writer may take the lock now.
fn may_write(s: &SemState) -> bool {
    !s.writer && s.readers == 0 && s.queue.is_empty()
}

/// A view of a semaphore's state, for diagnostics and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RwSemSnapshot {
    /// Readers holding the lock.
    pub readers: u32,
    /// Whether a writer holds it.
    pub writer: bool,
    /// The wait queue, first waiter first.
    pub queue: Vec<WaitKind>,
}

/// A reader-writer semaphore protecting a `T`.
pub struct RwSemaphore<T> {
    state: Mutex<SemState>,
    counters: &'static LockCounters,
    /// The time base waits are measured on.
    clock: &'static dyn Clock,
    data: UnsafeCell<T>,
}

// SAFETY: the semaphore hands out `&T` to any number of readers (needs Sync) and `&mut T`
// to one writer at a time on any thread (needs Send), exactly like `RwLock<T>`.
unsafe impl<T: Send> Send for RwSemaphore<T> {}
unsafe impl<T: Send + Sync> Sync for RwSemaphore<T> {}

impl<T> RwSemaphore<T> {
    /// A free semaphore protecting `data`, counting acquisitions into `counters` and
    /// measuring waits on the host clock.
    pub fn new(data: T, counters: &'static LockCounters) -> Self {
        RwSemaphore {
            state: Mutex::new(SemState {
                readers: 0,
                writer: false,
                queue: VecDeque::new(),
            }),
            counters,
            clock: HostClock::global(),
            data: UnsafeCell::new(data),
        }
    }

    /// Takes the lock for read, queueing behind earlier waiters if needed.
    pub fn read(&self, stats: &HartStats) -> RwSemReadGuard<'_, T> {
        self.acquire(WaitKind::Read, stats);
        RwSemReadGuard { sem: self }
    }

    /// Takes the lock for write, queueing behind earlier waiters if needed.
    pub fn write(&self, stats: &HartStats) -> RwSemWriteGuard<'_, T> {
        self.acquire(WaitKind::Write, stats);
        RwSemWriteGuard { sem: self }
    }

    /// Takes the lock for read if that needs no waiting.
    pub fn try_read(&self, stats: &HartStats) -> Option<RwSemReadGuard<'_, T>> {
        let mut s = self.state.lock();
        if !may_read(&s) {
            return None;
        }
        s.readers += 1;
        drop(s);
        stats.add(self.counters.read_acquired, 1);
        Some(RwSemReadGuard { sem: self })
    }

    /// Takes the lock for write if that needs no waiting.
    pub fn try_write(&self, stats: &HartStats) -> Option<RwSemWriteGuard<'_, T>> {
        let mut s = self.state.lock();
        if !may_write(&s) {
            return None;
        }
        s.writer = true;
        drop(s);
        stats.add(self.counters.write_acquired, 1);
        Some(RwSemWriteGuard { sem: self })
    }

    /// The current state.
    pub fn snapshot(&self) -> RwSemSnapshot {
        let s = self.state.lock();
        RwSemSnapshot {
            readers: s.readers,
            writer: s.writer,
            queue: s.queue.iter().map(|w| w.kind).collect(),
        }
    }

    fn acquire(&self, kind: WaitKind, stats: &HartStats) {
        let (acquired, waited) = match kind {
            WaitKind::Read => (self.counters.read_acquired, self.counters.read_wait_ns),
            WaitKind::Write => (self.counters.write_acquired, self.counters.write_wait_ns),
        };
        let waiter = {
            let mut s = self.state.lock();
            match kind {
                WaitKind::Read if may_read(&s) => {
                    s.readers += 1;
                    None
                }
                WaitKind::Write if may_write(&s) => {
                    s.writer = true;
                    None
                }
                _ => {
                    let w = Arc::new(Waiter {
                        kind,
                        queued_at_ns: self.clock.now_ns(),
                        parker: Parker::new(),
                        granted: AtomicBool::new(false),
                    });
                    s.queue.push_back(w.clone());
                    Some(w)
                }
            }
        };
        stats.add(acquired, 1);
        if let Some(w) = waiter {
            // Acquire pairs with the waker's release: the previous holder's writes are
            // visible once the grant is.
            while !w.granted.load(Ordering::Acquire) {
                w.parker.park();
            }
            stats.add(waited, self.clock.now_ns().saturating_sub(w.queued_at_ns));
        }
    }

    fn release(&self, kind: WaitKind) {
        let woken = {
            let mut s = self.state.lock();
            match kind {
                WaitKind::Read => {
                    debug_assert!(s.readers > 0 && !s.writer);
                    s.readers -= 1;
                }
                WaitKind::Write => {
                    debug_assert!(s.writer && s.readers == 0);
                    s.writer = false;
                }
            }
            Self::wake_waiters(&mut s)
        };
        for w in woken {
            w.granted.store(true, Ordering::Release);
            w.parker.unpark();
        }
    }

    /// Hands the lock to the waiters that may have it now and returns them, to be
    /// unparked once the state lock is dropped.
    fn wake_waiters(s: &mut SemState) -> Vec<Arc<Waiter>> {
        let mut woken = Vec::new();
        if s.writer {
            return woken;
        }
        match s.queue.front().map(|w| w.kind) {
            None => {}
            Some(WaitKind::Write) if s.readers == 0 => {
                s.writer = true;
                woken.push(s.queue.pop_front().expect("front exists"));
            }
            Some(WaitKind::Write) => {}
            Some(WaitKind::Read) => {
                let mut kept = VecDeque::with_capacity(s.queue.len());
                for w in s.queue.drain(..) {
                    if w.kind == WaitKind::Read && woken.len() < MAX_READERS_WAKEUP {
                        woken.push(w);
                    } else {
                        kept.push_back(w);
                    }
                }
                s.queue = kept;
                s.readers += woken.len() as u32;
            }
        }
        woken
    }
}

/// Shared access to a [`RwSemaphore`]'s data; releases on drop.
pub struct RwSemReadGuard<'a, T> {
    sem: &'a RwSemaphore<T>,
}

impl<T> Deref for RwSemReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a read guard exists only while the lock is held for read.
        unsafe { &*self.sem.data.get() }
    }
}

impl<T> Drop for RwSemReadGuard<'_, T> {
    fn drop(&mut self) {
        self.sem.release(WaitKind::Read);
    }
}

/// Exclusive access to a [`RwSemaphore`]'s data; releases on drop.
pub struct RwSemWriteGuard<'a, T> {
    sem: &'a RwSemaphore<T>,
}

impl<T> Deref for RwSemWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a write guard exists only while the lock is held for write.
        unsafe { &*self.sem.data.get() }
    }
}

impl<T> DerefMut for RwSemWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as above, and the guard is borrowed mutably.
        unsafe { &mut *self.sem.data.get() }
    }
}

impl<T> Drop for RwSemWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.sem.release(WaitKind::Write);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc;
    use std::thread::JoinHandle;
    use std::time::{Duration, Instant};

    type Sem = Arc<RwSemaphore<()>>;
    type Log = Arc<parking_lot::Mutex<Vec<&'static str>>>;

    fn sem() -> Sem {
        Arc::new(RwSemaphore::new((), &MMAP_LOCK_COUNTERS))
    }

    /// Waits (yielding) until `cond` holds; the decision is the state, not the time.
    fn wait_for(what: &str, cond: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !cond() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::yield_now();
        }
    }

    fn queue(s: &Sem) -> Vec<WaitKind> {
        s.snapshot().queue
    }

    /// A thread that takes the lock as `kind`, logs `name`, then holds it until told to
    /// release (or at once when `hold` is false). Returns once it is queued or holds.
    struct Locker {
        release: Option<mpsc::Sender<()>>,
        acquired: mpsc::Receiver<()>,
        join: JoinHandle<()>,
    }

    fn spawn_locker(s: &Sem, log: &Log, kind: WaitKind, name: &'static str, hold: bool) -> Locker {
        let (s2, log2) = (s.clone(), log.clone());
        let (rel_tx, rel_rx) = mpsc::channel::<()>();
        let (acq_tx, acq_rx) = mpsc::channel::<()>();
        let before = s.snapshot();
        let join = std::thread::spawn(move || {
            let stats = HartStats::default();
            let _r = (kind == WaitKind::Read).then(|| s2.read(&stats));
            let _w = (kind == WaitKind::Write).then(|| s2.write(&stats));
            log2.lock().push(name);
            acq_tx.send(()).unwrap();
            if hold {
                rel_rx.recv().unwrap();
            }
        });
        // Queued (the queue grew) or holding (it logged).
        let n = log.lock().len();
        wait_for(name, || {
            queue(s).len() > before.queue.len() || log.lock().len() > n
        });
        Locker {
            release: hold.then_some(rel_tx),
            acquired: acq_rx,
            join,
        }
    }

    impl Locker {
        fn holds(&self) -> bool {
            self.acquired.try_recv().is_ok()
        }
        fn finish(self) {
            if let Some(r) = self.release {
                let _ = r.send(());
            }
            self.join.join().unwrap();
        }
    }

    #[test]
    fn new_reader_does_not_overtake_a_queued_writer() {
        let (s, log) = (sem(), Log::default());
        let stats = HartStats::default();
        let r0 = s.read(&stats);
        let w = spawn_locker(&s, &log, WaitKind::Write, "W", false);
        assert_eq!(queue(&s), vec![WaitKind::Write]);
        assert!(
            s.try_read(&stats).is_none(),
            "try_read does not overtake either"
        );
        let r = spawn_locker(&s, &log, WaitKind::Read, "R", false);
        assert_eq!(queue(&s), vec![WaitKind::Write, WaitKind::Read]);
        assert!(log.lock().is_empty());
        drop(r0);
        w.finish();
        r.finish();
        assert_eq!(*log.lock(), vec!["W", "R"]);
    }

    #[test]
    fn waking_a_writer_wakes_only_it() {
        let (s, log) = (sem(), Log::default());
        let stats = HartStats::default();
        let g = s.write(&stats);
        let w = spawn_locker(&s, &log, WaitKind::Write, "W", true);
        let r1 = spawn_locker(&s, &log, WaitKind::Read, "R1", true);
        let r2 = spawn_locker(&s, &log, WaitKind::Read, "R2", true);
        assert_eq!(
            queue(&s),
            vec![WaitKind::Write, WaitKind::Read, WaitKind::Read]
        );
        drop(g);
        wait_for("W to hold", || log.lock().len() == 1);
        let snap = s.snapshot();
        assert!(snap.writer && snap.readers == 0);
        assert_eq!(snap.queue, vec![WaitKind::Read, WaitKind::Read]);
        assert!(!r1.holds() && !r2.holds());
        w.finish();
        wait_for("both readers", || s.snapshot().readers == 2);
        assert!(s.snapshot().queue.is_empty());
        r1.finish();
        r2.finish();
        assert_eq!(log.lock()[0], "W");
    }

    #[test]
    fn waking_readers_wakes_all_queued_readers_even_behind_a_writer() {
        let (s, log) = (sem(), Log::default());
        let stats = HartStats::default();
        let g = s.write(&stats);
        let r1 = spawn_locker(&s, &log, WaitKind::Read, "R1", true);
        let w = spawn_locker(&s, &log, WaitKind::Write, "W", true);
        let r2 = spawn_locker(&s, &log, WaitKind::Read, "R2", true);
        assert_eq!(
            queue(&s),
            vec![WaitKind::Read, WaitKind::Write, WaitKind::Read]
        );
        drop(g);
        wait_for("both readers", || log.lock().len() == 2);
        let snap = s.snapshot();
        assert_eq!((snap.readers, snap.writer), (2, false));
        assert_eq!(snap.queue, vec![WaitKind::Write]);
        assert!(!w.holds());
        r1.finish();
        assert!(!s.snapshot().writer, "one reader still holds");
        r2.finish();
        wait_for("the writer", || s.snapshot().writer);
        w.finish();
        assert_eq!(log.lock()[2], "W");
    }

    #[test]
    fn writers_are_served_in_arrival_order() {
        let (s, log) = (sem(), Log::default());
        let stats = HartStats::default();
        let g = s.write(&stats);
        let names = ["W1", "W2", "W3", "W4"];
        let lockers: Vec<Locker> = names
            .iter()
            .map(|&n| spawn_locker(&s, &log, WaitKind::Write, n, false))
            .collect();
        assert_eq!(queue(&s).len(), 4);
        drop(g);
        for l in lockers {
            l.finish();
        }
        assert_eq!(*log.lock(), names);
    }

    #[test]
    fn try_variants_follow_the_same_rules() {
        let s = sem();
        let stats = HartStats::default();
        let r1 = s.try_read(&stats).expect("free");
        let r2 = s.try_read(&stats).expect("shared");
        assert!(s.try_write(&stats).is_none());
        drop((r1, r2));
        let w = s.try_write(&stats).expect("free");
        assert!(s.try_read(&stats).is_none() && s.try_write(&stats).is_none());
        drop(w);
        let snap = s.snapshot();
        assert_eq!((snap.readers, snap.writer, snap.queue.len()), (0, false, 0));
        assert_eq!(stats.get(Counter::MmapLockReadAcquired), 2);
        assert_eq!(stats.get(Counter::MmapLockWriteAcquired), 1);
    }

    #[test]
    fn acquisitions_and_waits_are_counted_per_acquirer() {
        let s = sem();
        let mine = HartStats::default();
        let g = s.write(&mine);
        let waiter = Arc::new(HartStats::default());
        let (s2, w2) = (s.clone(), waiter.clone());
        let t = std::thread::spawn(move || drop(s2.read(&w2)));
        wait_for("queued reader", || queue(&s).len() == 1);
        // Hold long enough that the measured wait is clearly non-zero.
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(2) {
            std::hint::spin_loop();
        }
        drop(g);
        t.join().unwrap();
        assert_eq!(mine.get(Counter::MmapLockWriteAcquired), 1);
        assert_eq!(mine.get(Counter::MmapLockWriteWaitNs), 0, "uncontended");
        assert_eq!(waiter.get(Counter::MmapLockReadAcquired), 1);
        assert!(waiter.get(Counter::MmapLockReadWaitNs) >= 1_000_000);
        drop(s.read(&mine));
        assert_eq!(mine.get(Counter::MmapLockReadAcquired), 1);
    }

    #[test]
    fn at_most_max_readers_wake_at_once() {
        let s = sem();
        let stats = HartStats::default();
        let g = s.write(&stats);
        let n = MAX_READERS_WAKEUP + 4;
        let held = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(parking_lot::RwLock::new(()));
        let closed = gate.write();
        let threads: Vec<_> = (0..n)
            .map(|_| {
                let (s, held, gate) = (s.clone(), held.clone(), gate.clone());
                std::thread::spawn(move || {
                    let _r = s.read(&HartStats::default());
                    held.fetch_add(1, Ordering::SeqCst);
                    drop(gate.read());
                })
            })
            .collect();
        wait_for("all readers queued", || queue(&s).len() == n);
        drop(g);
        wait_for("the first batch", || {
            held.load(Ordering::SeqCst) == MAX_READERS_WAKEUP
        });
        let snap = s.snapshot();
        assert_eq!(snap.readers as usize, MAX_READERS_WAKEUP);
        assert_eq!(snap.queue.len(), 4);
        drop(closed);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(held.load(Ordering::SeqCst), n);
    }

    #[test]
    fn guards_give_access_to_the_data() {
        let s = RwSemaphore::new(5u32, &MMAP_LOCK_COUNTERS);
        let stats = HartStats::default();
        *s.write(&stats) += 1;
        assert_eq!(*s.read(&stats), 6);
    }
}
