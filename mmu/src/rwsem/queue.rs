//! The decisions of the rw-semaphore, free of threads and clocks: who holds the lock, who
//! waits in what order, whom a release grants the lock to or wakes, and when the handoff
//! bit is set. The blocking [`super::RwSemaphore`] runs these decisions under its internal
//! mutex; tests drive them directly, step by step, with time as an argument.
//!
//! The rules, as in Linux's `kernel/locking/rwsem.c`:
//! - a new reader takes the lock only if no writer holds it and nobody is queued (so it
//!   never overtakes a waiting writer, not even while other readers hold the lock);
//! - a new writer takes the lock if it is free and nobody is queued; if it is free but
//!   waiters are queued (the first one, a writer, has been woken and has not run yet), the
//!   new writer steals it, as an optimistic spinner does, unless the handoff bit is set;
//! - a release that leaves the lock free wakes the first waiter if it is a writer, and only
//!   it; the woken writer is not granted the lock, it must take it when it runs
//!   ([`SemQueue::retry_write`]), and may find it stolen;
//! - when readers may run and the first waiter is a reader, every queued reader (at most
//!   [`MAX_READERS_WAKEUP`]) is granted the lock at once, wherever it sits in the queue;
//! - the first waiter, a writer, sets the handoff bit when it fails to take the lock after
//!   waiting `handoff_ns` or more (at once if it runs real-time); while the bit is set
//!   nobody else may take the lock, and it is cleared when that waiter takes the lock or
//!   leaves the queue;
//! - a killable waiter may leave the queue ([`SemQueue::cancel`]); if it was first, the
//!   waiters behind it are woken as a release would.
//!
//! Readers are granted by the waker, so only a writer can lose a race for a free lock:
//! that is why only writers set the handoff bit here. Writers do not spin on a held lock
//! (on the host that would only burn the cores the harts share); the steal an optimistic
//! spinner makes when the lock comes free is what an arriving writer does here.

use devices::cast::low_u32;
use std::collections::VecDeque;

/// At most this many readers are granted at once (Linux's `MAX_READERS_WAKEUP`).
pub(crate) const MAX_READERS_WAKEUP: usize = 256;

/// What a lock user wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitKind {
    /// Shared access.
    Read,
    /// Exclusive access.
    Write,
}

/// Identifies a queued waiter within its semaphore.
pub(crate) type WaiterId = u64;

/// Who asks for the lock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Task {
    /// The guest thread id (0 for work done on no thread's behalf).
    pub tid: u32,
    /// Whether it runs under a real-time scheduling policy (immediate handoff).
    pub realtime: bool,
}

pub use devices::trace::TidList;

/// What stood in the way of an acquisition at the moment it began to wait.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Contention {
    /// The thread holding the lock for write, if one did.
    pub writer: Option<u32>,
    /// The threads holding it for read.
    pub readers: TidList,
    /// The waiters queued ahead, first first.
    pub ahead: TidList,
    /// How many of those waiters wanted to write.
    pub writers_ahead: u32,
}

/// The result of asking for the lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// The lock is the caller's.
    Acquired {
        /// Whether it was taken past queued waiters (a writer's steal).
        stolen: bool,
    },
    /// The caller is queued under this id; what was in its way is recorded.
    Queued(WaiterId, Contention),
}

/// What a release, a cancellation or a failed retry asks the waker to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Wake<W> {
    /// A reader now owns the lock: wake it.
    Granted(W),
    /// A writer may now try to take the lock: wake it (it calls `retry_write`).
    Woken(W),
}

/// The result of a woken writer's attempt to take the lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    /// The lock is the caller's.
    Acquired,
    /// Someone stole it; wait to be woken again. `handoff` says whether this attempt set
    /// the handoff bit.
    Wait {
        /// Whether this attempt set the handoff bit.
        handoff: bool,
    },
}

/// The result of a killable waiter giving up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cancel<W> {
    /// It was granted the lock before it could leave: it holds it now.
    AlreadyGranted,
    /// It left the queue; these waiters are to be woken.
    Left(Vec<Wake<W>>),
}

#[derive(Debug)]
struct Queued<W> {
    id: WaiterId,
    kind: WaitKind,
    task: Task,
    queued_at_ns: u64,
    /// A woken writer that has not run yet.
    woken: bool,
    waiter: W,
}

/// The lock state and the wait queue; `W` is what wakes a waiter (a parker, or a name in
/// tests).
#[derive(Debug)]
pub(crate) struct SemQueue<W> {
    /// Thread ids of the readers holding the lock, one entry per hold.
    readers: Vec<u32>,
    writer: Option<u32>,
    queue: VecDeque<Queued<W>>,
    handoff: bool,
    next_id: WaiterId,
    handoff_ns: u64,
}

/// A view of the state, for diagnostics and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SemSnapshot {
    /// Readers holding the lock.
    pub readers: u32,
    /// Whether a writer holds it.
    pub writer: bool,
    /// The wait queue, first waiter first.
    pub queue: Vec<WaitKind>,
    /// Whether the handoff bit is set.
    pub handoff: bool,
}

impl<W: Clone> SemQueue<W> {
    /// A free lock whose first waiter may claim a handoff after waiting `handoff_ns`.
    pub(crate) fn new(handoff_ns: u64) -> Self {
        SemQueue {
            readers: Vec::new(),
            writer: None,
            queue: VecDeque::new(),
            handoff: false,
            next_id: 1,
            handoff_ns,
        }
    }

    fn is_free(&self) -> bool {
        self.writer.is_none() && self.readers.is_empty()
    }

    /// Takes the lock for read if a new reader may have it now.
    pub(crate) fn try_read(&mut self, task: Task) -> bool {
        let ok = self.writer.is_none() && self.queue.is_empty();
        if ok {
            self.readers.push(task.tid);
        }
        ok
    }

    /// Takes the lock for write if it is free and nobody waits (never steals).
    pub(crate) fn try_write(&mut self, task: Task) -> bool {
        let ok = self.is_free() && self.queue.is_empty();
        if ok {
            self.writer = Some(task.tid);
        }
        ok
    }

    /// Asks for the lock: takes it if the rules allow, else queues the caller at `now_ns`.
    pub(crate) fn arrive(&mut self, kind: WaitKind, task: Task, now_ns: u64, waiter: W) -> Arrival {
        match kind {
            WaitKind::Read if self.try_read(task) => return Arrival::Acquired { stolen: false },
            WaitKind::Write if self.is_free() && !self.handoff => {
                let stolen = !self.queue.is_empty();
                self.writer = Some(task.tid);
                return Arrival::Acquired { stolen };
            }
            _ => {}
        }
        let contention = self.contention();
        let id = self.next_id;
        self.next_id += 1;
        self.queue.push_back(Queued {
            id,
            kind,
            task,
            queued_at_ns: now_ns,
            woken: false,
            waiter,
        });
        if kind == WaitKind::Write && task.realtime && self.queue.len() == 1 {
            // Linux's first writer tries once on queueing; a real-time one that fails
            // claims the handoff at once.
            self.handoff = true;
        }
        Arrival::Queued(id, contention)
    }

    fn contention(&self) -> Contention {
        let mut c = Contention {
            writer: self.writer,
            ..Contention::default()
        };
        for &tid in &self.readers {
            c.readers.push(tid);
        }
        for q in &self.queue {
            c.ahead.push(q.task.tid);
            c.writers_ahead += (q.kind == WaitKind::Write) as u32;
        }
        c
    }

    /// Releases a hold of `kind` by thread `tid` and returns whom to wake.
    pub(crate) fn release(&mut self, kind: WaitKind, tid: u32) -> Vec<Wake<W>> {
        match kind {
            WaitKind::Read => {
                let at = self
                    .readers
                    .iter()
                    .position(|&t| t == tid)
                    .expect("read release by a thread holding no read lock");
                self.readers.swap_remove(at);
            }
            WaitKind::Write => {
                debug_assert_eq!(self.writer, Some(tid), "write release by a non-owner");
                self.writer = None;
            }
        }
        self.wake()
    }

    /// Hands the lock to the waiters that may have it now (readers) or wakes the first
    /// waiter (a writer) if the lock is free.
    fn wake(&mut self) -> Vec<Wake<W>> {
        if self.writer.is_some() {
            return Vec::new();
        }
        let Some(first) = self.queue.front_mut() else {
            return Vec::new();
        };
        match first.kind {
            WaitKind::Write => {
                if !self.readers.is_empty() || first.woken {
                    return Vec::new();
                }
                first.woken = true;
                vec![Wake::Woken(first.waiter.clone())]
            }
            WaitKind::Read => {
                let mut granted = Vec::new();
                let mut kept = VecDeque::with_capacity(self.queue.len());
                for q in self.queue.drain(..) {
                    if q.kind == WaitKind::Read && granted.len() < MAX_READERS_WAKEUP {
                        self.readers.push(q.task.tid);
                        granted.push(Wake::Granted(q.waiter));
                    } else {
                        kept.push_back(q);
                    }
                }
                self.queue = kept;
                granted
            }
        }
    }

    /// A woken writer (waiter `id`) tries to take the lock at `now_ns`.
    pub(crate) fn retry_write(&mut self, id: WaiterId, now_ns: u64) -> Retry {
        let at = self.position(id).expect("retry by a waiter not queued");
        debug_assert_eq!(at, 0, "only the first waiter is woken");
        if self.is_free() {
            let q = self.queue.remove(at).expect("present");
            self.writer = Some(q.task.tid);
            self.handoff = false;
            return Retry::Acquired;
        }
        let q = &mut self.queue[at];
        q.woken = false;
        let waited_long = now_ns.saturating_sub(q.queued_at_ns) >= self.handoff_ns;
        let set = !self.handoff && (q.task.realtime || waited_long);
        self.handoff |= set;
        Retry::Wait { handoff: set }
    }

    /// Waiter `id` gives up (a fatal signal): leaves the queue unless the lock was already
    /// granted to it.
    pub(crate) fn cancel(&mut self, id: WaiterId) -> Cancel<W> {
        let Some(at) = self.position(id) else {
            return Cancel::AlreadyGranted;
        };
        self.queue.remove(at);
        if at != 0 {
            return Cancel::Left(Vec::new());
        }
        // The handoff bit belonged to the first waiter.
        self.handoff = false;
        Cancel::Left(self.wake())
    }

    fn position(&self, id: WaiterId) -> Option<usize> {
        self.queue.iter().position(|q| q.id == id)
    }

    /// The threads holding the lock now: the writer, or every reader (one entry per
    /// hold).
    pub(crate) fn holders(&self) -> Vec<u32> {
        match self.writer {
            Some(tid) => vec![tid],
            None => self.readers.clone(),
        }
    }

    /// How many wait.
    pub(crate) fn queued(&self) -> usize {
        self.queue.len()
    }

    /// The current state.
    pub(crate) fn snapshot(&self) -> SemSnapshot {
        SemSnapshot {
            readers: low_u32(self.readers.len() as u64),
            writer: self.writer.is_some(),
            queue: self.queue.iter().map(|q| q.kind).collect(),
            handoff: self.handoff,
        }
    }
}

#[cfg(test)]
mod tests;
