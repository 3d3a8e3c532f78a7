//! The priority calls: nice (setpriority), the scheduling policy (sched_setscheduler)
//! and the I/O priority (ioprio_set).

use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::thread::Thread;
use devices::cast::{low_i32, low_u16, low_u32};
use devices::storage::IoPriority;
use devices::SchedPolicy;
use mmu::Errno;

const PRIO_PROCESS: u64 = 0;
const IOPRIO_WHO_PROCESS: u64 = 1;
/// The flag sched_setscheduler ORs into the policy; it does not change the class.
const SCHED_RESET_ON_FORK: u64 = 0x4000_0000;

/// Whether `who` names the calling thread (0 is the caller).
fn is_self(t: &Thread, who: u64) -> bool {
    who == 0 || who == u64::from(t.tid)
}

/// Handles the priority calls; None if `n` is not one of them. Settings aimed at other
/// threads are accepted and ignored.
pub(crate) fn handle(t: &mut Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    let before = t.prio;
    let out = match n {
        nr::getpriority => Outcome::Return(i64::from(20 - t.prio.nice)),
        nr::setpriority => {
            if a[0] == PRIO_PROCESS && is_self(t, a[1]) {
                t.prio.nice = low_i32(a[2]).clamp(-20, 19);
            }
            Outcome::Return(0)
        }
        nr::ioprio_set => match IoPriority::from_raw(low_u16(a[2])) {
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
            match SchedPolicy::from_number(low_u32(a[1] & !SCHED_RESET_ON_FORK)) {
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
