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
//! The acquisition policy lives in [`may_read`]/[`may_write`] and the wake policy in
//! [`RwSemaphore::wake_waiters`], which is where lock handoff after a long wait plugs in.
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
    data: UnsafeCell<T>,
}

// SAFETY: the semaphore hands out `&T` to any number of readers (needs Sync) and `&mut T`
// to one writer at a time on any thread (needs Send), exactly like `RwLock<T>`.
unsafe impl<T: Send> Send for RwSemaphore<T> {}
unsafe impl<T: Send + Sync> Sync for RwSemaphore<T> {}

impl<T> RwSemaphore<T> {
    /// A free semaphore protecting `data`, counting acquisitions into `counters`.
    pub fn new(data: T, counters: &'static LockCounters) -> Self {
        RwSemaphore {
            state: Mutex::new(SemState {
                readers: 0,
                writer: false,
                queue: VecDeque::new(),
            }),
            counters,
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
            let clock = HostClock::global();
            let queued_at = clock.now_ns();
            // Acquire pairs with the waker's release: the previous holder's writes are
            // visible once the grant is.
            while !w.granted.load(Ordering::Acquire) {
                w.parker.park();
            }
            stats.add(waited, clock.now_ns().saturating_sub(queued_at));
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
