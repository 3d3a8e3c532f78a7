//! Per-hart event records: what the counters sum up, one record per event, for traces and
//! tests.
//!
//! Each hart keeps its most recent records in a bounded log ([`EventLog`]); when it is
//! full the oldest record goes and `events.dropped` counts it, so a long run costs bounded
//! memory and still says how much it lost. Records are plain values of fixed size.

use crate::policy::{FaultLock, PageWait};
use crate::rwsem::queue::{Contention, WaitKind};
use parking_lot::Mutex;
use std::collections::VecDeque;

/// How many records a hart keeps.
pub const EVENT_LOG_CAPACITY: usize = 4096;

/// Which lock an acquisition record is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockName {
    /// The address space's `mmap_lock`.
    MmapLock,
}

impl LockName {
    /// The lock's name as Linux spells it, for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            LockName::MmapLock => "mmap_lock",
        }
    }
}

/// One acquisition of a lock, recorded when it was released.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockRecord {
    /// The lock.
    pub lock: LockName,
    /// Read or write.
    pub mode: WaitKind,
    /// The thread that held it (0: no thread).
    pub tid: u32,
    /// When it started asking, on the lock's clock.
    pub asked_at_ns: u64,
    /// Nanoseconds from asking to holding (0 when it did not queue).
    pub wait_ns: u64,
    /// Nanoseconds from holding to releasing.
    pub hold_ns: u64,
    /// Who held the lock and who was queued ahead when it began to wait; `None` when it
    /// did not wait.
    pub contention: Option<Contention>,
}

/// A recorded event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmEvent {
    /// A lock acquisition.
    Lock(LockRecord),
    /// A TLB shootdown the hart initiated.
    Shootdown {
        /// When it started, on the host clock.
        at_ns: u64,
        /// Nanoseconds until every other hart had acknowledged.
        wait_ns: u64,
        /// How many harts were running guest code and had to acknowledge.
        harts: u32,
    },
    /// A page fault waited for I/O or a locked folio.
    FaultWait(FaultWaitRecord),
}

/// A page fault's wait for I/O or a locked folio, at its policy's wait point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultWaitRecord {
    /// When the wait began, on the host clock.
    pub at_ns: u64,
    /// Nanoseconds it waited.
    pub wait_ns: u64,
    /// What it waited for.
    pub what: PageWait,
    /// The fault lock of the attempt that waited.
    pub lock: FaultLock,
    /// Whether that lock was held through the wait (otherwise it was dropped first and
    /// the fault retried).
    pub held: bool,
    /// Whether the attempt was a TRIED pass.
    pub tried: bool,
}

/// A bounded log of a hart's most recent events.
#[derive(Debug, Default)]
pub struct EventLog {
    records: Mutex<VecDeque<MmEvent>>,
}

impl EventLog {
    /// Appends `event`; returns whether the oldest record had to go to make room.
    pub fn push(&self, event: MmEvent) -> bool {
        let mut r = self.records.lock();
        let full = r.len() >= EVENT_LOG_CAPACITY;
        if full {
            r.pop_front();
        }
        r.push_back(event);
        full
    }

    /// Takes every record, oldest first.
    pub fn drain(&self) -> Vec<MmEvent> {
        self.records.lock().drain(..).collect()
    }
}
