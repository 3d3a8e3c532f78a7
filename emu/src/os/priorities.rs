//! A thread's priorities: nice, the scheduling policy and the I/O priority. Together they
//! give the effective I/O priority the thread's storage requests carry, as Linux's
//! `get_current_ioprio` does.

use devices::storage::{effective_io_priority, IoPriority};
use devices::SchedPolicy;
use mmu::HartMem;

/// A thread's priority settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Priorities {
    /// The I/O priority set with ioprio_set (class none until one is set).
    pub io: IoPriority,
    /// The nice value, -20..=19.
    pub nice: i32,
    /// The scheduling policy.
    pub policy: SchedPolicy,
}

impl Default for Priorities {
    fn default() -> Self {
        Priorities {
            io: IoPriority::DEFAULT,
            nice: 0,
            policy: SchedPolicy::Other,
        }
    }
}

impl Priorities {
    /// The priority the thread's I/O requests carry.
    pub(crate) fn effective_io(&self) -> IoPriority {
        effective_io_priority(self.io, self.nice, self.policy)
    }

    /// Tells the memory manager what it needs of them: whether lock waits are a
    /// real-time thread's, and the priority of the thread's page-cache reads.
    pub(crate) fn apply(&self, mem: &mut HartMem) {
        let realtime = matches!(
            self.policy,
            SchedPolicy::Fifo | SchedPolicy::RoundRobin | SchedPolicy::Deadline
        );
        mem.set_realtime(realtime);
        mem.set_io_priority(self.effective_io());
    }
}
