//! I/O schedulers: which queued request the device serves next.

use super::duration::fmt_duration_ns;
use super::prio::IoClass;
use super::request::{IoKind, IoRequest, RequestId};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;

/// The scheduling policy of the device's request queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoScheduler {
    /// Arrival order; priorities are ignored.
    Fifo,
    /// Strict priority: RT before BE, BE by level (0 first), IDLE last; arrival order
    /// within a level. A steady stream of urgent requests starves the rest, as intended.
    Prio,
    /// mq-deadline-like: see [`DeadlineTunables`].
    Deadline(DeadlineTunables),
}

impl Default for IoScheduler {
    /// `deadline`, which Linux picks for most single-queue devices.
    fn default() -> Self {
        IoScheduler::Deadline(DeadlineTunables::default())
    }
}

impl fmt::Display for IoScheduler {
    /// The `--storage-sched` syntax.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IoScheduler::Fifo => f.write_str("fifo"),
            IoScheduler::Prio => f.write_str("prio"),
            IoScheduler::Deadline(t) if *t == DeadlineTunables::default() => {
                f.write_str("deadline")
            }
            IoScheduler::Deadline(t) => write!(
                f,
                "deadline:read={},write={}",
                fmt_duration_ns(t.read_expire_ns),
                fmt_duration_ns(t.write_expire_ns)
            ),
        }
    }
}

/// The `deadline` scheduler's settings.
///
/// Requests are served by class (RT, BE, IDLE), reads before writes within a class except
/// that a write gets its turn after [`WRITES_STARVED`] reads passed it, and in ascending
/// offset order from where the last request in that direction ended (back to the oldest
/// when none lies ahead), as mq-deadline does. Levels within a class do not matter, as in
/// mq-deadline. Whatever that order says, once the request with the earliest deadline has
/// expired it goes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineTunables {
    /// How long a read may wait before it is served ahead of everything (`read_expire`).
    pub read_expire_ns: u64,
    /// How long a write may wait before it is served ahead of everything (`write_expire`).
    pub write_expire_ns: u64,
}

impl Default for DeadlineTunables {
    /// mq-deadline's defaults: 500 ms for reads, 5 s for writes.
    fn default() -> Self {
        DeadlineTunables {
            read_expire_ns: 500_000_000,
            write_expire_ns: 5_000_000_000,
        }
    }
}

/// How many reads may be chosen over waiting writes before a write is (`writes_starved`).
pub const WRITES_STARVED: u32 = 2;

/// A request waiting in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Queued {
    pub id: RequestId,
    pub request: IoRequest,
    pub submitted_ns: u64,
}

/// The queue of requests not yet dispatched, ordered by a scheduler.
#[derive(Debug)]
pub(crate) enum RequestQueue {
    Fifo(VecDeque<Queued>),
    // Keyed by urgency then id, so equal urgency keeps arrival order.
    Prio(BTreeMap<((IoClass, u8), RequestId), Queued>),
    Deadline(Box<DeadlineQueue>),
}

impl RequestQueue {
    /// An empty queue ordered by `scheduler`.
    pub(crate) fn new(scheduler: IoScheduler) -> RequestQueue {
        match scheduler {
            IoScheduler::Fifo => RequestQueue::Fifo(VecDeque::new()),
            IoScheduler::Prio => RequestQueue::Prio(BTreeMap::new()),
            IoScheduler::Deadline(t) => RequestQueue::Deadline(Box::new(DeadlineQueue::new(t))),
        }
    }

    /// Queues `q`; ids must arrive in increasing order.
    pub(crate) fn push(&mut self, q: Queued) {
        match self {
            RequestQueue::Fifo(v) => v.push_back(q),
            RequestQueue::Prio(m) => {
                m.insert((q.request.priority.urgency(), q.id), q);
            }
            RequestQueue::Deadline(d) => d.push(q),
        }
    }

    /// Takes the request to serve at `now_ns`.
    pub(crate) fn pop(&mut self, now_ns: u64) -> Option<Queued> {
        match self {
            RequestQueue::Fifo(v) => v.pop_front(),
            RequestQueue::Prio(m) => m.pop_first().map(|(_, q)| q),
            RequestQueue::Deadline(d) => d.pop(now_ns),
        }
    }

    /// Number of queued requests.
    pub(crate) fn len(&self) -> usize {
        match self {
            RequestQueue::Fifo(v) => v.len(),
            RequestQueue::Prio(m) => m.len(),
            RequestQueue::Deadline(d) => d.entries.len(),
        }
    }

    /// Whether nothing is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

const CLASSES: [IoClass; 3] = [IoClass::RealTime, IoClass::BestEffort, IoClass::Idle];

fn class_index(c: IoClass) -> usize {
    match c {
        IoClass::RealTime => 0,
        IoClass::None | IoClass::BestEffort => 1,
        IoClass::Idle => 2,
    }
}

fn dir_index(k: IoKind) -> usize {
    match k {
        IoKind::Read => 0,
        IoKind::Write => 1,
    }
}

/// Requests of one class and direction, by offset and by age.
#[derive(Debug, Default)]
struct Bucket {
    by_offset: BTreeSet<(u64, RequestId)>,
    by_age: BTreeSet<RequestId>,
}

impl Bucket {
    fn is_empty(&self) -> bool {
        self.by_age.is_empty()
    }

    /// The next request at or beyond `pos`, or the oldest when none lies ahead.
    fn next_from(&self, pos: u64) -> Option<RequestId> {
        self.by_offset
            .range((pos, RequestId(0))..)
            .next()
            .map(|&(_, id)| id)
            .or_else(|| self.by_age.first().copied())
    }
}

#[derive(Debug)]
pub(crate) struct DeadlineQueue {
    tunables: DeadlineTunables,
    entries: HashMap<RequestId, Queued>,
    buckets: [[Bucket; 2]; 3],
    by_deadline: BTreeSet<(u64, RequestId)>,
    /// Where the last request of each direction ended.
    position: [u64; 2],
    reads_over_writes: u32,
}

impl DeadlineQueue {
    fn new(tunables: DeadlineTunables) -> DeadlineQueue {
        DeadlineQueue {
            tunables,
            entries: HashMap::new(),
            buckets: Default::default(),
            by_deadline: BTreeSet::new(),
            position: [0; 2],
            reads_over_writes: 0,
        }
    }

    fn deadline(&self, q: &Queued) -> u64 {
        let expire = match q.request.kind {
            IoKind::Read => self.tunables.read_expire_ns,
            IoKind::Write => self.tunables.write_expire_ns,
        };
        q.submitted_ns.saturating_add(expire)
    }

    fn bucket_mut(&mut self, r: &IoRequest) -> &mut Bucket {
        &mut self.buckets[class_index(r.priority.sched_class())][dir_index(r.kind)]
    }

    fn push(&mut self, q: Queued) {
        self.by_deadline.insert((self.deadline(&q), q.id));
        let b = self.bucket_mut(&q.request);
        b.by_offset.insert((q.request.offset, q.id));
        b.by_age.insert(q.id);
        self.entries.insert(q.id, q);
    }

    fn pop(&mut self, now_ns: u64) -> Option<Queued> {
        let id = match self.by_deadline.first() {
            Some(&(deadline, id)) if deadline <= now_ns => id,
            _ => self.sorted_choice()?,
        };
        let q = self.entries.remove(&id)?;
        self.by_deadline.remove(&(self.deadline(&q), id));
        let b = self.bucket_mut(&q.request);
        b.by_offset.remove(&(q.request.offset, id));
        b.by_age.remove(&id);
        self.position[dir_index(q.request.kind)] = q.request.offset.saturating_add(q.request.len);
        Some(q)
    }

    /// The choice when nothing has expired: first non-empty class, then direction, then
    /// offset order.
    fn sorted_choice(&mut self) -> Option<RequestId> {
        let [reads, writes] = CLASSES
            .iter()
            .map(|&c| &self.buckets[class_index(c)])
            .find(|[r, w]| !(r.is_empty() && w.is_empty()))?;
        let dir = if writes.is_empty() {
            IoKind::Read
        } else if reads.is_empty() || self.reads_over_writes >= WRITES_STARVED {
            IoKind::Write
        } else {
            IoKind::Read
        };
        let id = match dir {
            IoKind::Read => reads.next_from(self.position[0]),
            IoKind::Write => writes.next_from(self.position[1]),
        };
        self.reads_over_writes = match dir {
            IoKind::Read if !writes.is_empty() => self.reads_over_writes + 1,
            IoKind::Read => self.reads_over_writes,
            IoKind::Write => 0,
        };
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::IoPriority;

    fn q(id: u64, kind: IoKind, offset: u64, prio: IoPriority, at: u64) -> Queued {
        let request = match kind {
            IoKind::Read => IoRequest::read(offset, 4096, 1, prio),
            IoKind::Write => IoRequest::write(offset, 4096, 1, prio),
        };
        Queued {
            id: RequestId(id),
            request,
            submitted_ns: at,
        }
    }

    fn drain(queue: &mut RequestQueue, now: u64) -> Vec<u64> {
        std::iter::from_fn(|| queue.pop(now).map(|q| q.id.0)).collect()
    }

    fn be(level: u8) -> IoPriority {
        IoPriority::best_effort(level).unwrap()
    }

    #[test]
    fn fifo_ignores_priority() {
        let mut queue = RequestQueue::new(IoScheduler::Fifo);
        queue.push(q(0, IoKind::Read, 0, IoPriority::idle(), 0));
        queue.push(q(1, IoKind::Read, 0, IoPriority::realtime(0).unwrap(), 0));
        assert_eq!(drain(&mut queue, 0), [0, 1]);
    }

    #[test]
    fn deadline_sorts_by_offset_from_last_position() {
        let mut queue = RequestQueue::new(IoScheduler::default());
        for (id, off) in [(0, 50_000), (1, 10_000), (2, 30_000)] {
            queue.push(q(id, IoKind::Read, off, be(4), 0));
        }
        assert_eq!(queue.pop(0).unwrap().id.0, 1);
        queue.push(q(3, IoKind::Read, 0, be(4), 0));
        // Ahead of 14096 lie 30000 and 50000; then back to the oldest remaining.
        assert_eq!(drain(&mut queue, 0), [2, 0, 3]);
    }

    #[test]
    fn deadline_serves_classes_in_order_and_ignores_levels() {
        let mut queue = RequestQueue::new(IoScheduler::default());
        queue.push(q(0, IoKind::Read, 0, IoPriority::idle(), 0));
        queue.push(q(1, IoKind::Read, 8192, be(0), 0));
        queue.push(q(2, IoKind::Read, 4096, be(7), 0));
        queue.push(q(3, IoKind::Read, 0, IoPriority::realtime(5).unwrap(), 0));
        assert_eq!(drain(&mut queue, 0), [3, 2, 1, 0]);
    }

    #[test]
    fn deadline_lets_writes_through_after_starved_reads() {
        let mut queue = RequestQueue::new(IoScheduler::default());
        queue.push(q(0, IoKind::Write, 0, be(4), 0));
        for id in 1..=5 {
            queue.push(q(id, IoKind::Read, id * 4096, be(4), 0));
        }
        assert_eq!(drain(&mut queue, 0), [1, 2, 0, 3, 4, 5]);
    }

    #[test]
    fn deadline_expired_request_goes_first() {
        let t = DeadlineTunables::default();
        let mut queue = RequestQueue::new(IoScheduler::Deadline(t));
        queue.push(q(0, IoKind::Write, 0, IoPriority::idle(), 0));
        let late = t.write_expire_ns - 100_000_000;
        queue.push(q(
            1,
            IoKind::Read,
            0,
            IoPriority::realtime(0).unwrap(),
            late,
        ));
        queue.push(q(
            2,
            IoKind::Read,
            0,
            IoPriority::realtime(0).unwrap(),
            late,
        ));
        assert_eq!(queue.pop(t.write_expire_ns - 1).unwrap().id.0, 1);
        assert_eq!(queue.pop(t.write_expire_ns).unwrap().id.0, 0);
        assert_eq!(queue.len(), 1);
    }

    #[test]
    fn displays_as_parsed() {
        assert_eq!(IoScheduler::default().to_string(), "deadline");
        let t = DeadlineTunables {
            read_expire_ns: 100_000_000,
            write_expire_ns: 1_000_000_000,
        };
        assert_eq!(
            IoScheduler::Deadline(t).to_string(),
            "deadline:read=100ms,write=1s"
        );
    }
}
