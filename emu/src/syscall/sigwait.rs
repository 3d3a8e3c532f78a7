//! Waiting for signals: rt_sigsuspend (until a handler runs) and rt_sigtimedwait
//! (taking a signal without its handler).

use super::time::read_timespec_ns;
use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::abi::restart_codes::ERESTARTNOHAND;
use crate::abi::signo::UNBLOCKABLE;
use crate::os::wait::{WaitEnd, WaitLimits};
use crate::thread::Thread;
use mmu::Errno;

/// The size of the guest's sigset_t, which every signal call checks.
const SIGSET_SIZE: u64 = 8;

/// Reads a guest sigset_t of `size` bytes.
pub(crate) fn read_sigset(t: &Thread, addr: u64, size: u64) -> Result<u64, Errno> {
    if size != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let mut b = [0u8; 8];
    t.proc.mm.read_bytes(addr, &mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// rt_sigsuspend: waits under `mask` until a signal is delivered. It always returns
/// through a handler with EINTR (or is restarted if the signal had none).
fn sigsuspend(t: &mut Thread, addr: u64, size: u64) -> Result<i64, Errno> {
    let mask = read_sigset(t, addr, size)?;
    t.set_temporary_sigmask(mask);
    t.waiter()
        .named("rt_sigsuspend")
        .wait(WaitLimits::default(), || None::<()>);
    Ok(ERESTARTNOHAND)
}

/// rt_sigtimedwait: takes a pending signal of the set, waiting for one (for at most the
/// timeout) with the set unblocked; its number, with its siginfo written to `info_addr`.
fn sigtimedwait(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let set = read_sigset(t, a[0], a[3])? & !UNBLOCKABLE;
    let deadline_ns = match a[2] {
        0 => None,
        ts => Some(
            t.proc
                .clocks
                .deadline_after(read_timespec_ns(&t.proc.mm, ts)?),
        ),
    };
    let take = || t.proc.take_signal(&t.sig, set);
    let blocked = t.sig.begin_wait_for(set);
    let limits = WaitLimits {
        deadline_ns,
        poll_every_ns: None,
    };
    let end = t.waiter().named("rt_sigtimedwait").wait(limits, take);
    t.sig.end_wait_for(blocked);
    // A signal of the set may have come with the one that interrupted.
    let got = match end {
        WaitEnd::Ready(info) => Some(info),
        WaitEnd::Interrupted => take(),
        WaitEnd::TimedOut => None,
    };
    match (got, end) {
        (Some(info), _) => {
            if a[1] != 0 {
                t.proc.mm.write_bytes(a[1], &info.encode())?;
            }
            Ok(i64::from(info.signo))
        }
        (None, WaitEnd::Interrupted) => Err(Errno::EINTR),
        (None, _) => Err(Errno::EAGAIN),
    }
}

/// Handles the signal-waiting calls; None if `n` is not one of them.
pub(crate) fn handle(t: &mut Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    Some(ret(match n {
        nr::rt_sigsuspend => sigsuspend(t, a[0], a[1]),
        nr::rt_sigtimedwait => sigtimedwait(t, a),
        _ => return None,
    }))
}
