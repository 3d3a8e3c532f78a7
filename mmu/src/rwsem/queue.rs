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

use std::collections::VecDeque;

/// At most this many readers are granted at once (Linux's `MAX_READERS_WAKEUP`).
pub const MAX_READERS_WAKEUP: usize = 256;

/// What a lock user wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitKind {
    /// Shared access.
    Read,
    /// Exclusive access.
    Write,
}

/// Identifies a queued waiter within its semaphore.
pub type WaiterId = u64;

/// Who asks for the lock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Task {
    /// The guest thread id (0 for work done on no thread's behalf).
    pub tid: u32,
    /// Whether it runs under a real-time scheduling policy (immediate handoff).
    pub realtime: bool,
}

/// Up to four thread ids and how many there were in all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TidList {
    /// How many threads the list stands for.
    pub count: u32,
    /// The first `min(count, 4)` of them, in order; the rest are 0.
    pub tids: [u32; 4],
}

impl TidList {
    fn push(&mut self, tid: u32) {
        if let Some(slot) = self.tids.get_mut(self.count as usize) {
            *slot = tid;
        }
        self.count += 1;
    }

    /// The recorded thread ids.
    pub fn recorded(&self) -> &[u32] {
        &self.tids[..(self.count as usize).min(self.tids.len())]
    }
}

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
pub enum Arrival {
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
pub enum Wake<W> {
    /// A reader now owns the lock: wake it.
    Granted(W),
    /// A writer may now try to take the lock: wake it (it calls `retry_write`).
    Woken(W),
}

/// The result of a woken writer's attempt to take the lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
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
pub enum Cancel<W> {
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
pub struct SemQueue<W> {
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
    pub fn new(handoff_ns: u64) -> Self {
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
    pub fn try_read(&mut self, task: Task) -> bool {
        let ok = self.writer.is_none() && self.queue.is_empty();
        if ok {
            self.readers.push(task.tid);
        }
        ok
    }

    /// Takes the lock for write if it is free and nobody waits (never steals).
    pub fn try_write(&mut self, task: Task) -> bool {
        let ok = self.is_free() && self.queue.is_empty();
        if ok {
            self.writer = Some(task.tid);
        }
        ok
    }

    /// Asks for the lock: takes it if the rules allow, else queues the caller at `now_ns`.
    pub fn arrive(&mut self, kind: WaitKind, task: Task, now_ns: u64, waiter: W) -> Arrival {
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
    pub fn release(&mut self, kind: WaitKind, tid: u32) -> Vec<Wake<W>> {
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
    pub fn retry_write(&mut self, id: WaiterId, now_ns: u64) -> Retry {
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
    pub fn cancel(&mut self, id: WaiterId) -> Cancel<W> {
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

    /// The current state.
    pub fn snapshot(&self) -> SemSnapshot {
        SemSnapshot {
            readers: self.readers.len() as u32,
            writer: self.writer.is_some(),
            queue: self.queue.iter().map(|q| q.kind).collect(),
            handoff: self.handoff,
        }
    }
}

#[cfg(test)]
mod tests {
    //! Each rule, scripted step by step: no threads, no sleeps, time passed by hand.
    use super::*;

    const HANDOFF: u64 = 4_000_000;
    type Q = SemQueue<&'static str>;

    fn t(tid: u32) -> Task {
        Task {
            tid,
            realtime: false,
        }
    }

    fn rt(tid: u32) -> Task {
        Task {
            tid,
            realtime: true,
        }
    }

    fn queued(a: Arrival) -> WaiterId {
        match a {
            Arrival::Queued(id, _) => id,
            other => panic!("expected to queue, got {other:?}"),
        }
    }

    fn kinds(q: &Q) -> Vec<WaitKind> {
        q.snapshot().queue
    }

    use WaitKind::{Read as R, Write as W};

    #[test]
    fn a_new_reader_queues_behind_any_waiter_even_while_readers_hold() {
        let mut q = Q::new(HANDOFF);
        assert!(q.try_read(t(1)));
        queued(q.arrive(W, t(2), 0, "w"));
        assert!(!q.try_read(t(3)), "try_read may not overtake the writer");
        let r = q.arrive(R, t(3), 0, "r");
        queued(r);
        assert_eq!(kinds(&q), vec![W, R]);
        assert_eq!(q.snapshot().readers, 1);
        // Readers keep the lock until the last leaves; then the writer goes first.
        assert_eq!(q.release(R, 1), vec![Wake::Woken("w")]);
    }

    #[test]
    fn a_reader_with_nobody_queued_shares_the_lock() {
        let mut q = Q::new(HANDOFF);
        assert_eq!(
            q.arrive(R, t(1), 0, "a"),
            Arrival::Acquired { stolen: false }
        );
        assert_eq!(
            q.arrive(R, t(2), 0, "b"),
            Arrival::Acquired { stolen: false }
        );
        assert_eq!(q.snapshot().readers, 2);
        assert!(q.release(R, 2).is_empty() && q.release(R, 1).is_empty());
    }

    #[test]
    fn waking_a_writer_wakes_only_it_and_it_must_take_the_lock_itself() {
        let mut q = Q::new(HANDOFF);
        assert!(q.try_write(t(1)));
        let w = queued(q.arrive(W, t(2), 0, "w"));
        queued(q.arrive(R, t(3), 0, "r1"));
        queued(q.arrive(R, t(4), 0, "r2"));
        assert_eq!(q.release(W, 1), vec![Wake::Woken("w")]);
        let s = q.snapshot();
        assert!(!s.writer && s.readers == 0, "woken, not granted");
        assert_eq!(s.queue, vec![W, R, R]);
        assert_eq!(q.retry_write(w, 10), Retry::Acquired);
        assert_eq!(kinds(&q), vec![R, R]);
        assert_eq!(
            q.release(W, 2),
            vec![Wake::Granted("r1"), Wake::Granted("r2")]
        );
    }

    #[test]
    fn a_woken_writer_is_not_woken_twice() {
        let mut q = Q::new(HANDOFF);
        assert!(q.try_write(t(1)));
        queued(q.arrive(W, t(2), 0, "w"));
        assert_eq!(q.release(W, 1), vec![Wake::Woken("w")]);
        // A thief takes and releases the lock before the woken writer runs.
        assert_eq!(
            q.arrive(W, t(3), 5, "thief"),
            Arrival::Acquired { stolen: true }
        );
        assert!(q.release(W, 3).is_empty(), "already woken");
    }

    #[test]
    fn waking_readers_grants_every_queued_reader_wherever_it_sits() {
        let mut q = Q::new(HANDOFF);
        assert!(q.try_write(t(1)));
        queued(q.arrive(R, t(2), 0, "r1"));
        queued(q.arrive(W, t(3), 0, "w"));
        queued(q.arrive(R, t(4), 0, "r2"));
        assert_eq!(
            q.release(W, 1),
            vec![Wake::Granted("r1"), Wake::Granted("r2")]
        );
        let s = q.snapshot();
        assert_eq!((s.readers, s.writer, s.queue), (2, false, vec![W]));
        assert!(q.release(R, 2).is_empty(), "one reader still holds");
        assert_eq!(q.release(R, 4), vec![Wake::Woken("w")]);
    }

    #[test]
    fn at_most_max_readers_are_granted_at_once() {
        let mut q: SemQueue<usize> = SemQueue::new(HANDOFF);
        assert!(q.try_write(t(1)));
        for i in 0..MAX_READERS_WAKEUP + 3 {
            queued(q.arrive(R, t(10 + i as u32), 0, i));
        }
        let woken = q.release(W, 1);
        assert_eq!(woken.len(), MAX_READERS_WAKEUP);
        assert_eq!(woken[0], Wake::Granted(0));
        let s = q.snapshot();
        assert_eq!((s.readers as usize, s.queue.len()), (MAX_READERS_WAKEUP, 3));
    }

    #[test]
    fn writers_are_served_in_arrival_order() {
        let mut q = Q::new(HANDOFF);
        assert!(q.try_write(t(1)));
        let ids: Vec<WaiterId> = ["a", "b", "c"]
            .iter()
            .enumerate()
            .map(|(i, n)| queued(q.arrive(W, t(2 + i as u32), 0, n)))
            .collect();
        let mut order = Vec::new();
        let mut holder = 1;
        for (i, id) in ids.into_iter().enumerate() {
            let wakes = q.release(W, holder);
            order.extend(wakes);
            assert_eq!(q.retry_write(id, 0), Retry::Acquired);
            holder = 2 + i as u32;
        }
        assert_eq!(
            order,
            vec![Wake::Woken("a"), Wake::Woken("b"), Wake::Woken("c")]
        );
    }

    #[test]
    fn a_writer_steals_a_free_lock_from_a_woken_writer_before_the_timeout() {
        let mut q = Q::new(HANDOFF);
        assert!(q.try_write(t(1)));
        let w = queued(q.arrive(W, t(2), 0, "w"));
        q.release(W, 1);
        assert_eq!(
            q.arrive(W, t(3), 100, "thief"),
            Arrival::Acquired { stolen: true }
        );
        assert_eq!(
            q.retry_write(w, HANDOFF - 1),
            Retry::Wait { handoff: false }
        );
        assert!(!q.snapshot().handoff);
        assert_eq!(q.release(W, 3), vec![Wake::Woken("w")]);
        assert_eq!(q.retry_write(w, HANDOFF), Retry::Acquired);
    }

    #[test]
    fn handoff_after_the_timeout_forbids_stealing() {
        let mut q = Q::new(HANDOFF);
        assert!(q.try_write(t(1)));
        let w = queued(q.arrive(W, t(2), 0, "w"));
        q.release(W, 1);
        assert_eq!(
            q.arrive(W, t(3), HANDOFF, "thief"),
            Arrival::Acquired { stolen: true }
        );
        assert_eq!(q.retry_write(w, HANDOFF), Retry::Wait { handoff: true });
        assert!(q.snapshot().handoff);
        assert_eq!(q.release(W, 3), vec![Wake::Woken("w")]);
        // The lock is free, but the handoff bit keeps the next thief out.
        queued(q.arrive(W, t(4), HANDOFF + 1, "late"));
        assert!(!q.try_write(t(5)));
        assert_eq!(q.retry_write(w, HANDOFF + 2), Retry::Acquired);
        assert!(!q.snapshot().handoff, "cleared by the waiter that set it");
    }

    #[test]
    fn a_realtime_writer_claims_the_handoff_at_once() {
        let mut q = Q::new(HANDOFF);
        assert!(q.try_read(t(1)));
        let w = queued(q.arrive(W, rt(2), 0, "rt"));
        assert!(q.snapshot().handoff, "on queueing as the first waiter");
        assert_eq!(q.release(R, 1), vec![Wake::Woken("rt")]);
        queued(q.arrive(W, t(3), 1, "thief"));
        assert_eq!(q.retry_write(w, 2), Retry::Acquired);
    }

    #[test]
    fn a_realtime_writer_behind_others_claims_the_handoff_on_its_first_failed_try() {
        let mut q = Q::new(HANDOFF);
        assert!(q.try_write(t(1)));
        let a = queued(q.arrive(W, t(2), 0, "a"));
        let b = queued(q.arrive(W, rt(3), 0, "rt"));
        assert!(!q.snapshot().handoff, "not the first waiter");
        q.release(W, 1);
        assert_eq!(q.retry_write(a, 1), Retry::Acquired);
        q.release(W, 2);
        assert_eq!(
            q.arrive(W, t(4), 2, "thief"),
            Arrival::Acquired { stolen: true }
        );
        assert_eq!(q.retry_write(b, 3), Retry::Wait { handoff: true });
    }

    #[test]
    fn trylocks_follow_the_rules_and_never_steal() {
        let mut q = Q::new(HANDOFF);
        assert!(q.try_read(t(1)) && q.try_read(t(2)));
        assert!(!q.try_write(t(3)), "readers hold");
        q.release(R, 1);
        q.release(R, 2);
        assert!(q.try_write(t(3)));
        assert!(!q.try_read(t(4)) && !q.try_write(t(4)));
        let w = queued(q.arrive(W, t(5), 0, "w"));
        q.release(W, 3);
        assert!(!q.try_write(t(6)), "free, but a woken writer is queued");
        assert!(!q.try_read(t(6)));
        assert_eq!(q.retry_write(w, 0), Retry::Acquired);
    }

    #[test]
    fn a_killed_first_waiter_leaves_and_wakes_those_behind_it() {
        let mut q = Q::new(HANDOFF);
        assert!(q.try_read(t(1)));
        let w = queued(q.arrive(W, rt(2), 0, "w"));
        queued(q.arrive(R, t(3), 0, "r"));
        assert!(q.snapshot().handoff);
        assert_eq!(q.cancel(w), Cancel::Left(vec![Wake::Granted("r")]));
        let s = q.snapshot();
        assert_eq!((s.readers, s.handoff, s.queue.len()), (2, false, 0));
    }

    #[test]
    fn a_killed_waiter_behind_others_wakes_nobody() {
        let mut q = Q::new(HANDOFF);
        assert!(q.try_write(t(1)));
        queued(q.arrive(W, t(2), 0, "a"));
        let b = queued(q.arrive(R, t(3), 0, "b"));
        assert_eq!(q.cancel(b), Cancel::Left(Vec::new()));
        assert_eq!(kinds(&q), vec![W]);
    }

    #[test]
    fn a_reader_granted_before_it_could_leave_keeps_the_lock() {
        let mut q = Q::new(HANDOFF);
        assert!(q.try_write(t(1)));
        let r = queued(q.arrive(R, t(2), 0, "r"));
        assert_eq!(q.release(W, 1), vec![Wake::Granted("r")]);
        assert_eq!(q.cancel(r), Cancel::AlreadyGranted);
        assert_eq!(q.snapshot().readers, 1);
    }

    #[test]
    fn a_queued_waiter_records_the_holders_and_the_waiters_ahead() {
        let mut q = Q::new(HANDOFF);
        assert!(q.try_read(t(7)) && q.try_read(t(8)));
        queued(q.arrive(W, t(9), 0, "w"));
        queued(q.arrive(R, t(10), 0, "r"));
        let Arrival::Queued(_, c) = q.arrive(W, t(11), 0, "me") else {
            panic!("queued")
        };
        assert_eq!(c.writer, None);
        assert_eq!(c.readers.recorded(), &[7, 8]);
        assert_eq!(c.ahead.recorded(), &[9, 10]);
        assert_eq!(c.writers_ahead, 1);
        let mut q = Q::new(HANDOFF);
        assert!(q.try_write(t(3)));
        let Arrival::Queued(_, c) = q.arrive(R, t(4), 0, "r") else {
            panic!("queued")
        };
        assert_eq!((c.writer, c.readers.count, c.ahead.count), (Some(3), 0, 0));
    }

    #[test]
    fn tid_lists_count_past_their_capacity() {
        let mut l = TidList::default();
        for tid in 1..=6 {
            l.push(tid);
        }
        assert_eq!((l.count, l.recorded()), (6, &[1, 2, 3, 4][..]));
    }
}
