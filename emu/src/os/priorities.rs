//! A thread's priorities: nice, the scheduling policy and the I/O priority. Together they
//! give the effective I/O priority the thread's storage requests carry, as Linux's
//! `get_current_ioprio` does. The process keeps every thread's scheduling parameters in a
//! [`SchedTable`] too, so that the calls naming another thread read and change them, and
//! hands them to the run's clock, whose scheduler (the virtual clock's) obeys them.

use devices::storage::{effective_io_priority, IoPriority};
use devices::{Clock, SchedParams};
use mmu::HartMem;
use parking_lot::Mutex;
use std::collections::{BTreeMap, BTreeSet};

/// A thread's priority settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Priorities {
    /// The I/O priority set with ioprio_set (class none until one is set).
    pub io: IoPriority,
    /// The scheduling policy, nice value, real-time priority and affinity.
    pub sched: SchedParams,
}

impl Default for Priorities {
    fn default() -> Self {
        Priorities {
            io: IoPriority::DEFAULT,
            sched: SchedParams::default(),
        }
    }
}

impl Priorities {
    /// The priority the thread's I/O requests carry.
    pub(crate) fn effective_io(&self) -> IoPriority {
        effective_io_priority(self.io, self.sched.nice, self.sched.policy)
    }

    /// Tells the memory manager what it needs of them: whether lock waits are a
    /// real-time thread's, and the priority of the thread's page-cache reads.
    pub(crate) fn apply(&self, mem: &mut HartMem) {
        mem.set_realtime(self.sched.policy.is_realtime());
        mem.set_io_priority(self.effective_io());
    }
}

/// The scheduling parameters of the process's threads, by thread id, as the scheduling
/// calls last set them (a thread never set reads as its own [`Priorities`] say).
#[derive(Debug, Default)]
pub(crate) struct SchedTable {
    by_tid: Mutex<BTreeMap<u32, SchedParams>>,
    /// The threads whose parameters a scheduling call chose (not only inherited), which
    /// `--thread-prio` then leaves alone.
    chosen: Mutex<BTreeSet<u32>>,
}

impl SchedTable {
    /// Thread `tid`'s parameters if a call set them since the thread started.
    pub(crate) fn get(&self, tid: u32) -> Option<SchedParams> {
        self.by_tid.lock().get(&tid).copied()
    }

    /// Records thread `tid`'s parameters and hands them to the clock's scheduler
    /// (`task` is the thread's task there, if the clock schedules).
    pub(crate) fn set(
        &self,
        clock: &dyn Clock,
        tid: u32,
        task: Option<devices::TaskId>,
        params: SchedParams,
    ) {
        self.by_tid.lock().insert(tid, params);
        if let Some(task) = task {
            clock.set_sched_params(task, params);
        }
    }

    /// A new thread `tid` starts with its creator's parameters, as Linux's threads
    /// inherit them (`parent` is the creator's tid and its own [`Priorities::sched`]):
    /// recorded, and handed to the clock's scheduler unless they are the default. Call it
    /// once the new thread's task is registered.
    pub(crate) fn inherit(&self, clock: &dyn Clock, parent: (u32, SchedParams), tid: u32) {
        let params = self.get(parent.0).unwrap_or(parent.1);
        let task = (params != SchedParams::default())
            .then(|| clock.task_of_tid(tid))
            .flatten();
        self.set(clock, tid, task, params);
    }

    /// Notes that a scheduling call of the guest chose thread `tid`'s parameters.
    pub(crate) fn mark_chosen(&self, tid: u32) {
        self.chosen.lock().insert(tid);
    }

    /// Whether a scheduling call of the guest chose thread `tid`'s parameters.
    pub(crate) fn chosen(&self, tid: u32) -> bool {
        self.chosen.lock().contains(&tid)
    }

    /// Forgets a thread that ended.
    pub(crate) fn remove(&self, tid: u32) {
        self.by_tid.lock().remove(&tid);
        self.chosen.lock().remove(&tid);
    }
}
