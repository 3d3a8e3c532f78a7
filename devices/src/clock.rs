//! The time seam: every read of time and every wait in faultline goes through a
//! [`Clock`], created once per run and passed down ([`SharedClock`]); nothing else reads
//! the host's time or parks with a host timeout.

use crate::cast::saturating_u64;
use crate::cost::Cost;
use crate::park::Parker;
use crate::task::{Budget, SchedParams, SchedStats, TaskId, TaskKind, TaskTicket, WaitNote};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The run's clock as it is passed down to every layer that reads time or waits.
pub type SharedClock = Arc<dyn Clock>;

/// A source of monotonic time, in nanoseconds since the emulator started, and of the
/// wall-clock offset the guest sees for `CLOCK_REALTIME`; and the one way to wait.
///
/// A clock may also schedule: the virtual clock runs one task at a time and advances
/// time by what tasks charge. The scheduling calls below default to what the host clock
/// does, which is nothing: host threads run in parallel and host time passes by itself.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Monotonic nanoseconds since this clock's epoch (the emulator's start).
    fn now_ns(&self) -> u64;
    /// Nanoseconds since the Unix epoch, for `CLOCK_REALTIME` and `gettimeofday`.
    fn realtime_ns(&self) -> u64;
    /// Blocks the calling hart for `ns` nanoseconds of this clock's time.
    fn sleep_ns(&self, ns: u64);

    /// Blocks on `parker` until it is unparked. A clock that schedules harts itself
    /// overrides this to learn that the caller waits.
    fn park(&self, parker: &Parker) {
        parker.park();
    }

    /// Blocks the calling thread for good: a hart whose part is over while its process
    /// ends around it. Through [`Clock::park`], so a clock that schedules harts sees it
    /// wait.
    fn park_forever(&self) -> ! {
        let never = Parker::new();
        loop {
            self.park(&never);
        }
    }

    /// Blocks on `parker` until it is unparked or this clock reaches `deadline_ns`;
    /// returns whether it was unparked. A clock whose time is not the host's overrides
    /// this; the default measures the remaining time on this clock and waits that long on
    /// the host.
    fn park_until(&self, parker: &Parker, deadline_ns: u64) -> bool {
        parker.park_for_ns(deadline_ns.saturating_sub(self.now_ns()))
    }

    /// [`Clock::park_until`] for a daemon's periodic wake-up while it has nothing to do:
    /// a scheduling clock does not count such a wake-up as something a run whose guest
    /// threads all wait could still be waiting for, so that the run is reported as
    /// deadlocked instead of ticking forever.
    fn park_idle_until(&self, parker: &Parker, deadline_ns: u64) -> bool {
        self.park_until(parker, deadline_ns)
    }

    /// Whether this clock is virtual: time is what tasks charge, one task runs at a time.
    fn is_virtual(&self) -> bool {
        false
    }

    /// Reserves the place of a task the caller is about to start on a new host thread.
    /// Use [`crate::spawn_task`], which pairs it with [`Clock::enter_task`].
    fn register_task(&self, _name: &str, _kind: TaskKind) -> TaskTicket {
        TaskTicket::UNSCHEDULED
    }

    /// Makes the calling host thread the task `ticket` reserved, and waits for its turn.
    fn enter_task(&self, _ticket: TaskTicket) {}

    /// Gives up a registered task whose thread never started.
    fn cancel_task(&self, _id: Option<TaskId>) {}

    /// The calling thread's task is over: it will neither run nor wait on this clock
    /// again (its host thread may linger, parked for good).
    fn exit_task(&self) {}

    /// The calling thread's task, if it is one.
    fn current_task(&self) -> Option<TaskId> {
        None
    }

    /// The task of the guest thread `tid`, if this clock schedules and it is alive.
    fn task_of_tid(&self, _tid: u32) -> Option<TaskId> {
        None
    }

    /// Charges the calling task `count` times the cost of `cost`. Never switches tasks,
    /// so it may be called with host locks held.
    fn charge(&self, _cost: Cost, _count: u64) {}

    /// The cost of `cost` in picoseconds under this clock's cost model (0 on the host,
    /// where work takes the time it takes).
    fn cost_ps(&self, _cost: Cost) -> u64 {
        0
    }

    /// A point where the calling task holds no host lock and may let tasks whose time
    /// comes first run before it goes on.
    fn yield_point(&self) {}

    /// How long the calling task may run before its next [`Clock::yield_point`] is due.
    fn budget(&self) -> Budget {
        Budget::UNLIMITED
    }

    /// `sched_yield(2)`: the calling task offers its CPU to another runnable one.
    fn yield_cpu(&self) {}

    /// Sets `task`'s scheduling parameters (policy, nice, RT priority, affinity).
    fn set_sched_params(&self, _task: TaskId, _params: SchedParams) {}

    /// What the scheduler measured of `task`, if this clock schedules.
    fn sched_stats(&self, _task: TaskId) -> Option<SchedStats> {
        None
    }

    /// Notes what the calling task is about to wait for, for a report should every task
    /// end up waiting. Call it only when [`Clock::is_virtual`], as it may allocate.
    fn note_wait(&self, _note: WaitNote) {}
}

/// The host clock: harts are host threads and time is the host's monotonic clock.
#[derive(Debug)]
pub struct HostClock {
    epoch: Instant,
    realtime_at_epoch_ns: u64,
}

impl HostClock {
    /// A host clock whose epoch is now.
    pub fn new() -> Self {
        let realtime_at_epoch_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| saturating_u64(d.as_nanos()))
            .unwrap_or(0);
        HostClock {
            epoch: Instant::now(),
            realtime_at_epoch_ns,
        }
    }
}

impl Default for HostClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for HostClock {
    fn now_ns(&self) -> u64 {
        saturating_u64(self.epoch.elapsed().as_nanos())
    }

    fn realtime_ns(&self) -> u64 {
        self.realtime_at_epoch_ns + self.now_ns()
    }

    fn sleep_ns(&self, ns: u64) {
        std::thread::sleep(Duration::from_nanos(ns));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_clock_is_monotonic_and_sleeps() {
        let c = HostClock::new();
        let a = c.now_ns();
        c.sleep_ns(2_000_000);
        let b = c.now_ns();
        assert!(b >= a + 2_000_000, "slept {} ns", b - a);
        assert!(c.realtime_ns() > 1_600_000_000_000_000_000);
    }

    #[test]
    fn park_until_times_out_at_the_deadline_or_wakes() {
        let c = HostClock::new();
        let p = Parker::new();
        let deadline = c.now_ns() + 2_000_000;
        assert!(!c.park_until(&p, deadline));
        assert!(c.now_ns() >= deadline);
        p.unpark();
        assert!(c.park_until(&p, u64::MAX));
    }
}
