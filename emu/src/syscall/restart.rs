//! restart_syscall: continues the call an interrupted signal handler's return left
//! unfinished, from the thread's restart block.

use super::{futex, time};
use crate::abi::outcome::{ret, Outcome};
use crate::thread::{RestartBlock, Thread};
use mmu::Errno;

/// Handles restart_syscall; EINTR if there is nothing to continue, as Linux's
/// `do_no_restart_syscall`.
pub(crate) fn restart_syscall(t: &mut Thread) -> Outcome {
    ret(match t.restart.take() {
        None => Err(Errno::EINTR),
        Some(RestartBlock::Sleep { deadline_ns, rem }) => {
            time::sleep_until(t, deadline_ns, Some(rem))
        }
        Some(RestartBlock::Futex {
            addr,
            val,
            bitset,
            deadline_ns,
        }) => futex::wait(t, addr, (val, bitset), Some(deadline_ns)),
    })
}
