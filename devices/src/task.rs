//! Tasks: the threads a clock schedules. Every host thread that runs guest code or does
//! the memory manager's or the device's background work is a task; a clock that
//! schedules (the virtual one) runs exactly one at a time, the host clock lets them all
//! run and ignores these calls.

use std::fmt;

/// A task's number, given in the order tasks are registered (so it repeats run to run).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(pub u32);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.0)
    }
}

/// What a task is, which decides whether it needs a virtual CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskKind {
    /// A guest thread with this thread id: runs on one of the run's virtual CPUs.
    Hart {
        /// The guest thread id.
        tid: u32,
    },
    /// Background work of the memory manager, the device or the emulator (kswapd, the
    /// flusher, the device's dispatcher, timers): scheduled in virtual time, but off the
    /// guest's CPUs.
    Daemon,
}

/// A task's place, reserved by the thread that creates it and handed to the new thread,
/// which enters with it ([`crate::Clock::enter_task`]) before it does anything else.
#[derive(Debug)]
pub struct TaskTicket {
    /// The task, or `None` under a clock that does not schedule.
    pub id: Option<TaskId>,
}

impl TaskTicket {
    /// The ticket of a clock that does not schedule.
    pub const UNSCHEDULED: TaskTicket = TaskTicket { id: None };
}

/// A task's CPU scheduling policy, as `sched_setscheduler(2)` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchedPolicy {
    /// `SCHED_OTHER` (`SCHED_NORMAL`).
    Other,
    /// `SCHED_BATCH`.
    Batch,
    /// `SCHED_IDLE`.
    Idle,
    /// `SCHED_FIFO`.
    Fifo,
    /// `SCHED_RR`.
    RoundRobin,
    /// `SCHED_DEADLINE`.
    Deadline,
}

impl SchedPolicy {
    /// The policy numbered `n` as `sched_setscheduler(2)` numbers them.
    pub fn from_number(n: u32) -> Option<SchedPolicy> {
        match n {
            0 => Some(SchedPolicy::Other),
            1 => Some(SchedPolicy::Fifo),
            2 => Some(SchedPolicy::RoundRobin),
            3 => Some(SchedPolicy::Batch),
            5 => Some(SchedPolicy::Idle),
            6 => Some(SchedPolicy::Deadline),
            _ => None,
        }
    }

    /// The number `sched_getscheduler(2)` returns for the policy.
    pub fn number(self) -> u32 {
        match self {
            SchedPolicy::Other => 0,
            SchedPolicy::Fifo => 1,
            SchedPolicy::RoundRobin => 2,
            SchedPolicy::Batch => 3,
            SchedPolicy::Idle => 5,
            SchedPolicy::Deadline => 6,
        }
    }

    /// Whether the policy is a real-time one, which preempts every normal task.
    pub fn is_realtime(self) -> bool {
        matches!(
            self,
            SchedPolicy::Fifo | SchedPolicy::RoundRobin | SchedPolicy::Deadline
        )
    }
}

/// Everything the scheduler needs to know of a task's priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedParams {
    /// The policy.
    pub policy: SchedPolicy,
    /// The nice value, -20..=19 (normal policies).
    pub nice: i32,
    /// The real-time priority, 1..=99 (real-time policies; 0 otherwise).
    pub rt_priority: u32,
    /// The CPUs the task may run on, one bit per CPU (`sched_setaffinity`).
    pub affinity: u64,
}

impl Default for SchedParams {
    fn default() -> Self {
        SchedParams {
            policy: SchedPolicy::Other,
            nice: 0,
            rt_priority: 0,
            affinity: u64::MAX,
        }
    }
}

/// What the scheduler measured of one task, in the clock's nanoseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SchedStats {
    /// Time spent running on a CPU (the task's CPU time).
    pub run_ns: u64,
    /// Time spent runnable but without a CPU.
    pub runnable_wait_ns: u64,
    /// Times a CPU switched to this task.
    pub switches: u64,
    /// Times the task lost its CPU while still runnable.
    pub preemptions: u64,
}

/// What a task is about to wait for, for the report of a run whose every task waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitNote {
    /// The resource and how it is wanted: `mmap_lock (write)`, `futex 0x7f0010`,
    /// `folio of file 3 page 12`, `storage request`.
    pub what: String,
    /// The guest thread ids holding it, where the resource knows them.
    pub holders: Vec<u32>,
}

/// How long the calling task may run before it must come back to the clock, in the
/// clock's nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Until its next yield point is due (at least the minimum quantum).
    pub run_ns: u64,
    /// Until another task's next event: an operation others can observe (a fault, an
    /// atomic) must yield first if it comes later than this.
    pub exact_ns: u64,
}

impl Budget {
    /// The budget of a clock that does not schedule: unlimited.
    pub const UNLIMITED: Budget = Budget {
        run_ns: u64::MAX,
        exact_ns: u64::MAX,
    };
}
