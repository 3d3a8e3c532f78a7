//! The I/O priority calls (ioprio_set, ioprio_get). The CPU scheduling calls, nice
//! included, are in [`super::sched`].

use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::thread::Thread;
use devices::cast::low_u16;
use devices::storage::IoPriority;
use mmu::Errno;

const IOPRIO_WHO_PROCESS: u64 = 1;

/// Whether `who` names the calling thread (0 is the caller).
fn is_self(t: &Thread, who: u64) -> bool {
    who == 0 || who == u64::from(t.tid)
}

/// Handles the I/O priority calls; None if `n` is not one of them. Settings aimed at
/// other threads are accepted and ignored.
pub(crate) fn handle(t: &mut Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    Some(match n {
        nr::ioprio_set => match IoPriority::from_raw(low_u16(a[2])) {
            Err(_) => ret(Err(Errno::EINVAL)),
            Ok(p) => {
                if a[0] == IOPRIO_WHO_PROCESS && is_self(t, a[1]) && t.prio.io != p {
                    t.prio.io = p;
                    t.prio.apply(&mut t.mem);
                }
                Outcome::Return(0)
            }
        },
        nr::ioprio_get => Outcome::Return(i64::from(t.prio.effective_io().to_raw())),
        _ => return None,
    })
}
