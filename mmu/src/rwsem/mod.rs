//! A reader-writer semaphore with an explicit FIFO wait queue, modelled on Linux's
//! `rw_semaphore` (the lock behind `mmap_lock`).
//!
//! The decisions — who may take the lock, whom a release grants it to or wakes, when the
//! handoff bit is set — are [`queue::SemQueue`]'s, documented there. This module runs
//! them under one short internal mutex (Linux's `wait_lock`) and makes waiters sleep on
//! their own [`devices::Parker`], so how long anyone waits is decided by the queue rules
//! and by the time seam, not by a host lock's policy.
//!
//! Waits come in two kinds, as in the kernel: uninterruptible ([`RwSemaphore::read`],
//! [`RwSemaphore::write`]) and killable ([`RwSemaphore::read_killable`],
//! [`RwSemaphore::write_killable`]), which give up when the waiting hart is sent a fatal
//! signal ([`crate::hart_signal::HartSignal::kill`]).
//!
//! Every acquisition is counted into the stats of the thread that makes it (acquisitions,
//! wait and hold nanoseconds, waits by decade) and recorded in its event log when it is
//! released ([`crate::events::LockRecord`]: mode, wait, hold, and who held the lock and
//! who was queued ahead when it began to wait). Time is read on the semaphore's clock:
//! once when asking and once when releasing, plus once when a queued waiter gets the lock.

pub mod queue;

pub(crate) use queue::{Contention, Task, WaitKind};

use crate::events::{LockName, LockRecord, MmEvent};
use crate::hart_signal::HartSignal;
use crate::stats::{wait_decade, Counter, HartStats};
use devices::{Parker, SharedClock};
use parking_lot::Mutex;
use queue::{Arrival, Cancel, Retry, SemQueue, WaiterId, Wake};
use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Linux's `RWSEM_WAIT_TIMEOUT`: how long the first waiter waits before it may claim a
/// handoff.
pub const DEFAULT_HANDOFF_NS: u64 = 4_000_000;

/// The counters of one access mode of a lock.
#[derive(Debug)]
pub struct ModeCounters {
    /// Counts acquisitions.
    pub acquired: Counter,
    /// Sums nanoseconds waited.
    pub wait_ns: Counter,
    /// Sums nanoseconds held.
    pub hold_ns: Counter,
    /// Counts acquisitions that queued, by decade of their wait ([`wait_decade`]).
    pub waits: [Counter; 8],
}

/// The counters one lock's acquisitions go to.
#[derive(Debug)]
pub struct LockCounters {
    /// Which lock the records name.
    pub name: LockName,
    /// Read acquisitions.
    pub read: ModeCounters,
    /// Write acquisitions.
    pub write: ModeCounters,
    /// Counts handoff bits set.
    pub handoffs: Counter,
    /// Counts write acquisitions made past queued waiters.
    pub steals: Counter,
    /// Counts killable waits given up.
    pub killed: Counter,
}

/// The counters of `mmap_lock`.
pub static MMAP_LOCK_COUNTERS: LockCounters = LockCounters {
    name: LockName::MmapLock,
    read: ModeCounters {
        acquired: Counter::MmapLockReadAcquired,
        wait_ns: Counter::MmapLockReadWaitNs,
        hold_ns: Counter::MmapLockReadHoldNs,
        waits: [
            Counter::MmapLockReadWaitsLt1us,
            Counter::MmapLockReadWaits1us10us,
            Counter::MmapLockReadWaits10us100us,
            Counter::MmapLockReadWaits100us1ms,
            Counter::MmapLockReadWaits1ms10ms,
            Counter::MmapLockReadWaits10ms100ms,
            Counter::MmapLockReadWaits100ms1s,
            Counter::MmapLockReadWaitsGe1s,
        ],
    },
    write: ModeCounters {
        acquired: Counter::MmapLockWriteAcquired,
        wait_ns: Counter::MmapLockWriteWaitNs,
        hold_ns: Counter::MmapLockWriteHoldNs,
        waits: [
            Counter::MmapLockWriteWaitsLt1us,
            Counter::MmapLockWriteWaits1us10us,
            Counter::MmapLockWriteWaits10us100us,
            Counter::MmapLockWriteWaits100us1ms,
            Counter::MmapLockWriteWaits1ms10ms,
            Counter::MmapLockWriteWaits10ms100ms,
            Counter::MmapLockWriteWaits100ms1s,
            Counter::MmapLockWriteWaitsGe1s,
        ],
    },
    handoffs: Counter::MmapLockHandoffs,
    steals: Counter::MmapLockWriteSteals,
    killed: Counter::MmapLockKilled,
};

impl LockCounters {
    fn mode(&self, kind: WaitKind) -> &ModeCounters {
        match kind {
            WaitKind::Read => &self.read,
            WaitKind::Write => &self.write,
        }
    }
}

/// Who takes a lock: whose stats count it, and how it waits.
#[derive(Clone, Copy)]
pub struct Acquirer<'a> {
    /// Where the acquisition is counted and recorded.
    pub stats: &'a HartStats,
    /// The thread, and whether it runs real-time (immediate handoff).
    pub task: Task,
    /// The hart's signal word, through which a fatal signal ends killable waits.
    pub signal: Option<&'a HartSignal>,
}

impl<'a> Acquirer<'a> {
    /// An acquirer on no thread's behalf, counted into `stats`.
    pub fn anonymous(stats: &'a HartStats) -> Self {
        Acquirer {
            stats,
            task: Task::default(),
            signal: None,
        }
    }
}

/// A killable wait ended by a fatal signal before the lock was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Killed;

/// How a queued waiter is told the news.
struct WaitSlot {
    parker: Arc<Parker>,
    /// Set (release) by the waker once a reader owns the lock.
    granted: AtomicBool,
    /// Set by the waker when a writer may try to take the lock.
    woken: AtomicBool,
}

/// A reader-writer semaphore protecting a `T`.
pub struct RwSemaphore<T> {
    state: Mutex<SemQueue<Arc<WaitSlot>>>,
    counters: &'static LockCounters,
    /// The time base waits, holds and the handoff timeout are measured on.
    clock: SharedClock,
    data: UnsafeCell<T>,
}

// SAFETY: the semaphore hands out `&T` to any number of readers (needs Sync) and `&mut T`
// to one writer at a time on any thread (needs Send), exactly like `RwLock<T>`.
unsafe impl<T: Send> Send for RwSemaphore<T> {}
unsafe impl<T: Send + Sync> Sync for RwSemaphore<T> {}

/// What an acquisition carries until its release.
struct Held<'a> {
    who: Acquirer<'a>,
    asked_at_ns: u64,
    acquired_at_ns: u64,
    contention: Option<Contention>,
}

impl<T> RwSemaphore<T> {
    /// A free semaphore protecting `data`, counting acquisitions into `counters`,
    /// measuring time and waiting on `clock`, whose first waiter may claim a handoff after
    /// `handoff_ns`.
    pub fn new(
        data: T,
        counters: &'static LockCounters,
        clock: SharedClock,
        handoff_ns: u64,
    ) -> Self {
        RwSemaphore {
            state: Mutex::new(SemQueue::new(handoff_ns)),
            counters,
            clock,
            data: UnsafeCell::new(data),
        }
    }

    /// Takes the lock for read, queueing behind earlier waiters if needed.
    pub fn read<'a>(&'a self, who: Acquirer<'a>) -> RwSemReadGuard<'a, T> {
        let held = self
            .acquire(WaitKind::Read, who, false)
            .expect("not killable");
        RwSemReadGuard { sem: self, held }
    }

    /// Takes the lock for write, queueing behind earlier waiters if needed.
    pub fn write<'a>(&'a self, who: Acquirer<'a>) -> RwSemWriteGuard<'a, T> {
        let held = self
            .acquire(WaitKind::Write, who, false)
            .expect("not killable");
        RwSemWriteGuard { sem: self, held }
    }

    /// Like [`read`](Self::read), but gives up if the acquirer's hart is killed while it
    /// waits.
    pub fn read_killable<'a>(&'a self, who: Acquirer<'a>) -> Result<RwSemReadGuard<'a, T>, Killed> {
        let held = self.acquire(WaitKind::Read, who, true)?;
        Ok(RwSemReadGuard { sem: self, held })
    }

    /// Like [`write`](Self::write), but gives up if the acquirer's hart is killed while it
    /// waits.
    pub fn write_killable<'a>(
        &'a self,
        who: Acquirer<'a>,
    ) -> Result<RwSemWriteGuard<'a, T>, Killed> {
        let held = self.acquire(WaitKind::Write, who, true)?;
        Ok(RwSemWriteGuard { sem: self, held })
    }

    /// Takes the lock for read if that needs no waiting.
    pub fn try_read<'a>(&'a self, who: Acquirer<'a>) -> Option<RwSemReadGuard<'a, T>> {
        let held = self.try_acquire(WaitKind::Read, who)?;
        Some(RwSemReadGuard { sem: self, held })
    }

    /// Takes the lock for write if it is free and nobody waits.
    pub fn try_write<'a>(&'a self, who: Acquirer<'a>) -> Option<RwSemWriteGuard<'a, T>> {
        let held = self.try_acquire(WaitKind::Write, who)?;
        Some(RwSemWriteGuard { sem: self, held })
    }

    /// The current state.
    pub fn snapshot(&self) -> queue::SemSnapshot {
        self.state.lock().snapshot()
    }

    fn try_acquire<'a>(&self, kind: WaitKind, who: Acquirer<'a>) -> Option<Held<'a>> {
        let now = self.clock.now_ns();
        let ok = {
            let mut q = self.state.lock();
            match kind {
                WaitKind::Read => q.try_read(who.task),
                WaitKind::Write => q.try_write(who.task),
            }
        };
        ok.then(|| self.acquired(kind, who, now, now, None))
    }

    fn acquire<'a>(
        &self,
        kind: WaitKind,
        who: Acquirer<'a>,
        killable: bool,
    ) -> Result<Held<'a>, Killed> {
        let asked = self.clock.now_ns();
        let slot = Arc::new(WaitSlot {
            parker: Arc::new(Parker::new()),
            granted: AtomicBool::new(false),
            woken: AtomicBool::new(false),
        });
        let arrival = self
            .state
            .lock()
            .arrive(kind, who.task, asked, slot.clone());
        match arrival {
            Arrival::Acquired { stolen } => {
                if stolen {
                    who.stats.add(self.counters.steals, 1);
                }
                Ok(self.acquired(kind, who, asked, asked, None))
            }
            Arrival::Queued(id, contention) => {
                let signal = who.signal.filter(|_| killable);
                if let Some(s) = signal {
                    s.arm_kill(&slot.parker);
                }
                let r = self.wait(id, &slot, who, signal);
                if let Some(s) = signal {
                    s.disarm_kill();
                }
                match r {
                    Ok(()) => {
                        let now = self.clock.now_ns();
                        Ok(self.acquired(kind, who, asked, now, Some(contention)))
                    }
                    Err(Killed) => {
                        who.stats.add(self.counters.killed, 1);
                        Err(Killed)
                    }
                }
            }
        }
    }

    /// Sleeps until waiter `id` owns the lock (or, if `kill` is given, until the hart is
    /// killed while it still does not).
    fn wait(
        &self,
        id: WaiterId,
        slot: &WaitSlot,
        who: Acquirer<'_>,
        kill: Option<&HartSignal>,
    ) -> Result<(), Killed> {
        loop {
            // Acquire pairs with the waker's release: the previous holder's writes are
            // visible once the grant is.
            if slot.granted.load(Ordering::Acquire) {
                return Ok(());
            }
            if slot.woken.swap(false, Ordering::Acquire) {
                let r = self.state.lock().retry_write(id, self.clock.now_ns());
                match r {
                    Retry::Acquired => return Ok(()),
                    Retry::Wait { handoff } => {
                        if handoff {
                            who.stats.add(self.counters.handoffs, 1);
                        }
                    }
                }
                continue;
            }
            if kill.is_some_and(HartSignal::fatal_pending) {
                let c = self.state.lock().cancel(id);
                match c {
                    Cancel::AlreadyGranted => return Ok(()),
                    Cancel::Left(wakes) => {
                        deliver(wakes);
                        return Err(Killed);
                    }
                }
            }
            self.clock.park(&slot.parker);
        }
    }

    fn acquired<'a>(
        &self,
        kind: WaitKind,
        who: Acquirer<'a>,
        asked_at_ns: u64,
        acquired_at_ns: u64,
        contention: Option<Contention>,
    ) -> Held<'a> {
        let c = self.counters.mode(kind);
        who.stats.add(c.acquired, 1);
        if contention.is_some() {
            let waited = acquired_at_ns.saturating_sub(asked_at_ns);
            who.stats.add(c.wait_ns, waited);
            who.stats.add(c.waits[wait_decade(waited)], 1);
        }
        Held {
            who,
            asked_at_ns,
            acquired_at_ns,
            contention,
        }
    }

    fn release(&self, kind: WaitKind, held: &Held<'_>) {
        let now = self.clock.now_ns();
        let wakes = self.state.lock().release(kind, held.who.task.tid);
        deliver(wakes);
        let hold_ns = now.saturating_sub(held.acquired_at_ns);
        let stats = held.who.stats;
        stats.add(self.counters.mode(kind).hold_ns, hold_ns);
        stats.record(MmEvent::Lock(LockRecord {
            lock: self.counters.name,
            mode: kind,
            tid: held.who.task.tid,
            asked_at_ns: held.asked_at_ns,
            wait_ns: held.acquired_at_ns - held.asked_at_ns,
            hold_ns,
            contention: held.contention,
        }));
    }
}

/// Tells each woken waiter; called with the state lock dropped.
fn deliver(wakes: Vec<Wake<Arc<WaitSlot>>>) {
    for w in wakes {
        let slot = match w {
            Wake::Granted(s) => {
                s.granted.store(true, Ordering::Release);
                s
            }
            Wake::Woken(s) => {
                s.woken.store(true, Ordering::Release);
                s
            }
        };
        slot.parker.unpark();
    }
}

/// Shared access to a [`RwSemaphore`]'s data; releases on drop.
pub struct RwSemReadGuard<'a, T> {
    sem: &'a RwSemaphore<T>,
    held: Held<'a>,
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
        self.sem.release(WaitKind::Read, &self.held);
    }
}

/// Exclusive access to a [`RwSemaphore`]'s data; releases on drop.
pub struct RwSemWriteGuard<'a, T> {
    sem: &'a RwSemaphore<T>,
    held: Held<'a>,
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
        self.sem.release(WaitKind::Write, &self.held);
    }
}

#[cfg(test)]
mod tests {
    //! The blocking semaphore on real threads. Which thread may proceed is decided by the
    //! queue state the tests wait for, never by how long they sleep.
    use super::*;
    use queue::MAX_READERS_WAKEUP;
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc;
    use std::thread::JoinHandle;
    use std::time::{Duration, Instant};

    type Sem = Arc<RwSemaphore<()>>;
    type Log = Arc<parking_lot::Mutex<Vec<&'static str>>>;

    fn sem() -> Sem {
        Arc::new(RwSemaphore::new(
            (),
            &MMAP_LOCK_COUNTERS,
            Arc::new(devices::HostClock::new()),
            DEFAULT_HANDOFF_NS,
        ))
    }

    fn who(stats: &HartStats, tid: u32) -> Acquirer<'_> {
        Acquirer {
            stats,
            task: Task {
                tid,
                realtime: false,
            },
            signal: None,
        }
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
        join: JoinHandle<Arc<HartStats>>,
    }

    fn spawn_locker(s: &Sem, log: &Log, kind: WaitKind, name: &'static str, hold: bool) -> Locker {
        let (s2, log2) = (s.clone(), log.clone());
        let (rel_tx, rel_rx) = mpsc::channel::<()>();
        let (acq_tx, acq_rx) = mpsc::channel::<()>();
        let before = s.snapshot();
        let join = std::thread::spawn(move || {
            let stats = Arc::new(HartStats::default());
            let me = who(&stats, name.len() as u32);
            let _r = (kind == WaitKind::Read).then(|| s2.read(me));
            let _w = (kind == WaitKind::Write).then(|| s2.write(me));
            log2.lock().push(name);
            acq_tx.send(()).unwrap();
            if hold {
                rel_rx.recv().unwrap();
            }
            drop((_r, _w));
            stats
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
        fn finish(self) -> Arc<HartStats> {
            if let Some(r) = self.release {
                let _ = r.send(());
            }
            self.join.join().unwrap()
        }
    }

    #[test]
    fn new_reader_does_not_overtake_a_queued_writer() {
        let (s, log) = (sem(), Log::default());
        let stats = HartStats::default();
        let r0 = s.read(who(&stats, 1));
        let w = spawn_locker(&s, &log, WaitKind::Write, "W", false);
        assert_eq!(queue(&s), vec![WaitKind::Write]);
        assert!(
            s.try_read(who(&stats, 1)).is_none(),
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
        let g = s.write(who(&stats, 1));
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
        let g = s.write(who(&stats, 1));
        let r1 = spawn_locker(&s, &log, WaitKind::Read, "R1", true);
        let w = spawn_locker(&s, &log, WaitKind::Write, "W", true);
        let r2 = spawn_locker(&s, &log, WaitKind::Read, "R2", true);
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
    fn at_most_max_readers_wake_at_once() {
        let s = sem();
        let stats = HartStats::default();
        let g = s.write(who(&stats, 1));
        let n = MAX_READERS_WAKEUP + 4;
        let held = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(parking_lot::RwLock::new(()));
        let closed = gate.write();
        let threads: Vec<_> = (0..n)
            .map(|_| {
                let (s, held, gate) = (s.clone(), held.clone(), gate.clone());
                std::thread::spawn(move || {
                    let stats = HartStats::default();
                    let _r = s.read(who(&stats, 2));
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
    fn try_variants_follow_the_same_rules_and_are_counted() {
        let s = sem();
        let stats = HartStats::default();
        let r1 = s.try_read(who(&stats, 1)).expect("free");
        let r2 = s.try_read(who(&stats, 2)).expect("shared");
        assert!(s.try_write(who(&stats, 3)).is_none());
        drop((r1, r2));
        let w = s.try_write(who(&stats, 3)).expect("free");
        assert!(s.try_read(who(&stats, 4)).is_none() && s.try_write(who(&stats, 4)).is_none());
        drop(w);
        let snap = s.snapshot();
        assert_eq!((snap.readers, snap.writer, snap.queue.len()), (0, false, 0));
        assert_eq!(stats.get(Counter::MmapLockReadAcquired), 2);
        assert_eq!(stats.get(Counter::MmapLockWriteAcquired), 1);
        assert_eq!(stats.drain_events().len(), 3, "one record per acquisition");
    }

    #[test]
    fn acquisitions_record_wait_hold_and_who_was_in_the_way() {
        let s = sem();
        let mine = HartStats::default();
        let g = s.write(who(&mine, 1));
        let waiter = Arc::new(HartStats::default());
        let (s2, w2) = (s.clone(), waiter.clone());
        let t = std::thread::spawn(move || drop(s2.read(who(&w2, 2))));
        wait_for("queued reader", || queue(&s).len() == 1);
        // Hold long enough that the measured times are clearly non-zero.
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(2) {
            std::hint::spin_loop();
        }
        drop(g);
        t.join().unwrap();
        assert_eq!(mine.get(Counter::MmapLockWriteAcquired), 1);
        assert_eq!(mine.get(Counter::MmapLockWriteWaitNs), 0, "uncontended");
        assert!(mine.get(Counter::MmapLockWriteHoldNs) >= 2_000_000);
        let waits: u64 = MMAP_LOCK_COUNTERS
            .write
            .waits
            .iter()
            .map(|&c| mine.get(c))
            .sum();
        assert_eq!(waits, 0, "an uncontended acquisition is no wait");
        assert_eq!(waiter.get(Counter::MmapLockReadAcquired), 1);
        assert!(waiter.get(Counter::MmapLockReadWaitNs) >= 2_000_000);
        assert_eq!(waiter.get(Counter::MmapLockReadWaits1ms10ms), 1);
        let [MmEvent::Lock(mine_rec)] = mine.drain_events()[..] else {
            panic!("one record")
        };
        assert_eq!(
            (mine_rec.mode, mine_rec.tid, mine_rec.wait_ns),
            (WaitKind::Write, 1, 0)
        );
        assert_eq!(mine_rec.contention, None);
        assert!(mine_rec.hold_ns >= 2_000_000);
        let [MmEvent::Lock(rec)] = waiter.drain_events()[..] else {
            panic!("one record")
        };
        assert_eq!((rec.mode, rec.tid), (WaitKind::Read, 2));
        assert!(rec.wait_ns >= 2_000_000);
        let c = rec.contention.expect("it waited");
        assert_eq!((c.writer, c.readers.count, c.ahead.count), (Some(1), 0, 0));
    }

    #[test]
    fn a_killed_waiter_gives_up_and_the_queue_moves_on() {
        let s = sem();
        let stats = HartStats::default();
        let r = s.read(who(&stats, 1));
        let signal = Arc::new(HartSignal::default());
        let killed = {
            let (s, signal) = (s.clone(), signal.clone());
            std::thread::spawn(move || {
                let stats = HartStats::default();
                let me = Acquirer {
                    signal: Some(&signal),
                    ..who(&stats, 2)
                };
                let r = s.write_killable(me).map(drop);
                (r, stats.get(Counter::MmapLockKilled))
            })
        };
        wait_for("queued writer", || queue(&s).len() == 1);
        let log = Log::default();
        let reader = spawn_locker(&s, &log, WaitKind::Read, "R", true);
        assert_eq!(queue(&s), vec![WaitKind::Write, WaitKind::Read]);
        signal.kill();
        wait_for("the killed writer to give up", || killed.is_finished());
        assert_eq!(killed.join().unwrap(), (Err(Killed), 1));
        // The reader behind the killed writer now shares the lock with the first reader.
        wait_for("the reader", || reader.holds() || !log.lock().is_empty());
        assert_eq!(s.snapshot().readers, 2);
        drop(r);
        reader.finish();
    }

    #[test]
    fn uninterruptible_waits_ignore_a_kill() {
        let s = sem();
        let stats = HartStats::default();
        let g = s.write(who(&stats, 1));
        let signal = Arc::new(HartSignal::default());
        signal.kill();
        let t = {
            let (s, signal) = (s.clone(), signal.clone());
            std::thread::spawn(move || {
                let stats = HartStats::default();
                let me = Acquirer {
                    signal: Some(&signal),
                    ..who(&stats, 2)
                };
                drop(s.read(me));
            })
        };
        wait_for("queued reader", || queue(&s).len() == 1);
        drop(g);
        t.join().unwrap();
        let stats2 = HartStats::default();
        let me = Acquirer {
            signal: Some(&signal),
            ..who(&stats2, 3)
        };
        assert!(
            s.read_killable(me).is_ok(),
            "an uncontended lock needs no wait"
        );
    }

    #[test]
    fn guards_give_access_to_the_data() {
        let s = RwSemaphore::new(
            5u32,
            &MMAP_LOCK_COUNTERS,
            Arc::new(devices::HostClock::new()),
            DEFAULT_HANDOFF_NS,
        );
        let stats = HartStats::default();
        *s.write(Acquirer::anonymous(&stats)) += 1;
        assert_eq!(*s.read(Acquirer::anonymous(&stats)), 6);
    }
}
