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
//! wait and hold nanoseconds, waits by decade). In a trace, a queued acquisition is a wait
//! slice whose arguments say who held the lock and who was queued ahead when it began to
//! wait, ended by a flow from the release that let it in; a hold is a slice too. Time is
//! read on the semaphore's clock: once when asking and once when releasing, plus once
//! when a queued waiter gets the lock.

pub(crate) mod queue;

pub(crate) use queue::{Contention, Task, WaitKind};

use crate::events::LockName;
use crate::hart_signal::HartSignal;
use crate::stats::{wait_decade, Counter, HartStats};
use devices::trace::{self, catalog, Phase, TraceArg, TraceRecord, TraceValue, TrackRef};
use devices::{Cost, Parker, SharedClock, WaitNote};
use parking_lot::Mutex;
use queue::{Arrival, Cancel, Retry, SemQueue, WaiterId, Wake};
use std::cell::UnsafeCell;
use std::num::NonZeroU64;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Linux's `RWSEM_WAIT_TIMEOUT`: how long the first waiter waits before it may claim a
/// handoff.
pub(crate) const DEFAULT_HANDOFF_NS: u64 = 4_000_000;

/// The counters of one access mode of a lock.
#[derive(Debug)]
pub(crate) struct ModeCounters {
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
pub(crate) struct LockCounters {
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
pub(crate) static MMAP_LOCK_COUNTERS: LockCounters = LockCounters {
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
pub(crate) struct Acquirer<'a> {
    /// Where the acquisition is counted and recorded.
    pub stats: &'a HartStats,
    /// The thread, and whether it runs real-time (immediate handoff).
    pub task: Task,
    /// The hart's signal word, through which a fatal signal ends killable waits.
    pub signal: Option<&'a HartSignal>,
}

impl<'a> Acquirer<'a> {
    /// An acquirer on no thread's behalf, counted into `stats`.
    pub(crate) fn anonymous(stats: &'a HartStats) -> Self {
        Acquirer {
            stats,
            task: Task::default(),
            signal: None,
        }
    }
}

/// A killable wait ended by a fatal signal before the lock was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Killed;

/// How a queued waiter is told the news.
struct WaitSlot {
    parker: Arc<Parker>,
    /// The waiter's thread id, for the trace's handoff.
    tid: u32,
    /// The flow from the release that let it in (0: none), set before it is woken.
    flow: AtomicU64,
    /// Set (release) by the waker once a reader owns the lock.
    granted: AtomicBool,
    /// Set by the waker when a writer may try to take the lock.
    woken: AtomicBool,
}

/// A reader-writer semaphore protecting a `T`.
pub(crate) struct RwSemaphore<T> {
    state: Mutex<SemQueue<Arc<WaitSlot>>>,
    counters: &'static LockCounters,
    /// The time base waits, holds and the handoff timeout are measured on.
    clock: SharedClock,
    data: UnsafeCell<T>,
}

// SAFETY: the semaphore hands out `&T` to any number of readers (needs Sync) and `&mut T`
// to one writer at a time on any thread (needs Send), exactly like `RwLock<T>`.
unsafe impl<T: Send> Send for RwSemaphore<T> {}
// SAFETY: as for Send: shared access hands out `&T` to readers, `&mut T` to one writer.
unsafe impl<T: Send + Sync> Sync for RwSemaphore<T> {}

/// What an acquisition carries until its release.
struct Held<'a> {
    who: Acquirer<'a>,
    acquired_at_ns: u64,
}

impl<T> RwSemaphore<T> {
    /// A free semaphore protecting `data`, counting acquisitions into `counters`,
    /// measuring time and waiting on `clock`, whose first waiter may claim a handoff after
    /// `handoff_ns`.
    pub(crate) fn new(
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
    pub(crate) fn read<'a>(&'a self, who: Acquirer<'a>) -> RwSemReadGuard<'a, T> {
        let held = self
            .acquire(WaitKind::Read, who, false)
            .expect("not killable");
        RwSemReadGuard { sem: self, held }
    }

    /// Takes the lock for write, queueing behind earlier waiters if needed.
    pub(crate) fn write<'a>(&'a self, who: Acquirer<'a>) -> RwSemWriteGuard<'a, T> {
        let held = self
            .acquire(WaitKind::Write, who, false)
            .expect("not killable");
        RwSemWriteGuard { sem: self, held }
    }

    /// Like [`read`](Self::read), but gives up if the acquirer's hart is killed while it
    /// waits.
    pub(crate) fn read_killable<'a>(
        &'a self,
        who: Acquirer<'a>,
    ) -> Result<RwSemReadGuard<'a, T>, Killed> {
        let held = self.acquire(WaitKind::Read, who, true)?;
        Ok(RwSemReadGuard { sem: self, held })
    }

    /// Like [`write`](Self::write), but gives up if the acquirer's hart is killed while it
    /// waits.
    pub(crate) fn write_killable<'a>(
        &'a self,
        who: Acquirer<'a>,
    ) -> Result<RwSemWriteGuard<'a, T>, Killed> {
        let held = self.acquire(WaitKind::Write, who, true)?;
        Ok(RwSemWriteGuard { sem: self, held })
    }

    /// Takes the lock for read if that needs no waiting.
    pub(crate) fn try_read<'a>(&'a self, who: Acquirer<'a>) -> Option<RwSemReadGuard<'a, T>> {
        let held = self.try_acquire(WaitKind::Read, who)?;
        Some(RwSemReadGuard { sem: self, held })
    }

    /// Takes the lock for write if it is free and nobody waits.
    pub(crate) fn try_write<'a>(&'a self, who: Acquirer<'a>) -> Option<RwSemWriteGuard<'a, T>> {
        let held = self.try_acquire(WaitKind::Write, who)?;
        Some(RwSemWriteGuard { sem: self, held })
    }

    /// The current state.
    pub(crate) fn snapshot(&self) -> queue::SemSnapshot {
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
        ok.then(|| {
            self.clock.charge(Cost::Lock, 1);
            self.acquired(kind, who, (now, now), None, None)
        })
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
            tid: who.task.tid,
            flow: AtomicU64::new(0),
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
                self.clock.charge(Cost::Lock, 1);
                Ok(self.acquired(kind, who, (asked, asked), None, None))
            }
            Arrival::Queued(id, contention) => {
                self.trace_wait_begins(kind, &contention);
                let signal = who.signal.filter(|_| killable);
                if let Some(s) = signal {
                    s.arm_kill(&slot.parker);
                }
                let r = self.wait(id, kind, &slot, who, signal);
                if let Some(s) = signal {
                    s.disarm_kill();
                }
                let flow = self.trace_wait_ends(&slot, r.is_err());
                match r {
                    Ok(()) => {
                        let now = self.clock.now_ns();
                        Ok(self.acquired(kind, who, (asked, now), Some(contention), flow))
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
        kind: WaitKind,
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
                        // Woken, but another took the lock first: the wake's flow ends
                        // here, and the wait goes on.
                        if let Some(flow) = NonZeroU64::new(slot.flow.swap(0, Ordering::AcqRel)) {
                            trace::instant_with_flows(catalog::LOCK_RETRY, &[], None, Some(flow));
                        }
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
            self.note_wait(kind);
            self.clock.park(&slot.parker);
        }
    }

    /// Tells a virtual clock what the caller is about to wait for and who holds it.
    fn note_wait(&self, kind: WaitKind) {
        if !self.clock.is_virtual() {
            return;
        }
        let mode = match kind {
            WaitKind::Read => "read",
            WaitKind::Write => "write",
        };
        let holders = self.state.lock().holders();
        self.clock.note_wait(WaitNote {
            what: format!("{} ({mode})", self.counters.name.as_str()),
            holders,
        });
    }

    /// Counts an acquisition asked for and made at `(asked_at_ns, acquired_at_ns)`, and
    /// opens its hold slice in a trace (joining `flow`, from the release that let it in).
    fn acquired<'a>(
        &self,
        kind: WaitKind,
        who: Acquirer<'a>,
        (asked_at_ns, acquired_at_ns): (u64, u64),
        contention: Option<Contention>,
        flow: Option<NonZeroU64>,
    ) -> Held<'a> {
        let c = self.counters.mode(kind);
        who.stats.add(c.acquired, 1);
        if contention.is_some() {
            let waited = acquired_at_ns.saturating_sub(asked_at_ns);
            who.stats.add(c.wait_ns, waited);
            who.stats.add(c.waits[wait_decade(waited)], 1);
        }
        let name = self.counters.name.hold_event(kind);
        trace::emit(|ts| {
            TraceRecord::new(ts, Phase::Begin, TrackRef::Own, name).with_flows(None, flow)
        });
        Held {
            who,
            acquired_at_ns,
        }
    }

    fn release(&self, kind: WaitKind, held: &Held<'_>) {
        let now = self.clock.now_ns();
        let wakes = self.state.lock().release(kind, held.who.task.tid);
        trace::end(&[]);
        deliver(wakes);
        let hold_ns = now.saturating_sub(held.acquired_at_ns);
        held.who
            .stats
            .add(self.counters.mode(kind).hold_ns, hold_ns);
    }

    /// Opens the trace's wait slice of a queued acquisition, with what stood in its way,
    /// and counts the queue.
    fn trace_wait_begins(&self, kind: WaitKind, c: &Contention) {
        if !trace::enabled() {
            return;
        }
        trace::begin(
            self.counters.name.wait_event(kind),
            &[
                TraceArg::new(
                    catalog::WRITER,
                    TraceValue::Uint(c.writer.unwrap_or(0).into()),
                ),
                TraceArg::new(catalog::READERS, TraceValue::Tids(c.readers)),
                TraceArg::new(catalog::AHEAD, TraceValue::Tids(c.ahead)),
                TraceArg::new(
                    catalog::WRITERS_AHEAD,
                    TraceValue::Uint(c.writers_ahead.into()),
                ),
            ],
        );
        self.trace_queue();
    }

    /// Closes the wait slice; returns the flow from the release that let it in, for the
    /// hold slice that follows.
    fn trace_wait_ends(&self, slot: &WaitSlot, killed: bool) -> Option<NonZeroU64> {
        if !trace::enabled() {
            return None;
        }
        let args: &[TraceArg] = match killed {
            true => &[TraceArg::new(catalog::RESULT, TraceValue::Str("killed"))],
            false => &[],
        };
        trace::end(args);
        self.trace_queue();
        NonZeroU64::new(slot.flow.swap(0, Ordering::AcqRel))
    }

    /// Records how many wait on the lock.
    fn trace_queue(&self) {
        let queued = self.state.lock().queued();
        trace::counter(self.counters.name.queue_counter(), queued as i64);
    }
}

/// Tells each woken waiter; called with the state lock dropped. In a trace, each gets a
/// flow from a handoff instant on the waker's track.
fn deliver(wakes: Vec<Wake<Arc<WaitSlot>>>) {
    for w in wakes {
        let (Wake::Granted(slot) | Wake::Woken(slot)) = &w;
        if let Some(flow) = trace::new_flow() {
            slot.flow.store(flow.get(), Ordering::Release);
            let waiter = TraceArg::new(catalog::WAITER, TraceValue::Uint(slot.tid.into()));
            trace::instant_with_flows(catalog::LOCK_HANDOFF, &[waiter], Some(flow), None);
        }
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
pub(crate) struct RwSemReadGuard<'a, T> {
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
pub(crate) struct RwSemWriteGuard<'a, T> {
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
mod tests;
