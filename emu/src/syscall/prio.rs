//! Per-thread priorities: nice (setpriority), the scheduling policy
//! (sched_setscheduler) and the I/O priority (ioprio_set). Together they give the
//! effective I/O priority the thread's storage requests carry, as Linux's
//! `get_current_ioprio` does.

use super::{nr, ret, Outcome};
use crate::hart::Thread;
use devices::storage::{effective_io_priority, IoPriority, SchedPolicy};
use mmu::{Errno, HartMem};

const PRIO_PROCESS: u64 = 0;
const IOPRIO_WHO_PROCESS: u64 = 1;
/// The flag sched_setscheduler ORs into the policy; it does not change the class.
const SCHED_RESET_ON_FORK: u64 = 0x4000_0000;

/// A thread's priority settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Priorities {
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
    pub fn effective_io(&self) -> IoPriority {
        effective_io_priority(self.io, self.nice, self.policy)
    }

    /// Tells the memory manager what it needs of them: whether lock waits are a
    /// real-time thread's, and the priority of the thread's page-cache reads.
    pub fn apply(&self, mem: &mut HartMem) {
        let realtime = matches!(
            self.policy,
            SchedPolicy::Fifo | SchedPolicy::RoundRobin | SchedPolicy::Deadline
        );
        mem.set_realtime(realtime);
        mem.set_io_priority(self.effective_io());
    }
}

/// Whether `who` names the calling thread (0 is the caller).
fn is_self(t: &Thread, who: u64) -> bool {
    who == 0 || who == u64::from(t.tid)
}

/// Handles the priority calls; None if `n` is not one of them. Settings aimed at other
/// threads are accepted and ignored.
pub fn handle(t: &mut Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    let before = t.prio;
    let out = match n {
        nr::getpriority => Outcome::Return(i64::from(20 - t.prio.nice)),
        nr::setpriority => {
            if a[0] == PRIO_PROCESS && is_self(t, a[1]) {
                t.prio.nice = (a[2] as i32).clamp(-20, 19);
            }
            Outcome::Return(0)
        }
        nr::ioprio_set => match IoPriority::from_raw(a[2] as u16) {
            Err(_) => ret(Err(Errno::EINVAL)),
            Ok(p) => {
                if a[0] == IOPRIO_WHO_PROCESS && is_self(t, a[1]) {
                    t.prio.io = p;
                }
                Outcome::Return(0)
            }
        },
        nr::ioprio_get => Outcome::Return(i64::from(t.prio.effective_io().to_raw())),
        nr::sched_setscheduler => {
            match SchedPolicy::from_number((a[1] & !SCHED_RESET_ON_FORK) as u32) {
                None => ret(Err(Errno::EINVAL)),
                Some(p) => {
                    if is_self(t, a[0]) {
                        t.prio.policy = p;
                    }
                    Outcome::Return(0)
                }
            }
        }
        nr::sched_getscheduler => Outcome::Return(match t.prio.policy {
            SchedPolicy::Other => 0,
            SchedPolicy::Fifo => 1,
            SchedPolicy::RoundRobin => 2,
            SchedPolicy::Batch => 3,
            SchedPolicy::Idle => 5,
            SchedPolicy::Deadline => 6,
        }),
        nr::sched_setparam => Outcome::Return(0),
        _ => return None,
    };
    if t.prio != before {
        t.prio.apply(&mut t.mem);
    }
    Some(out)
}
