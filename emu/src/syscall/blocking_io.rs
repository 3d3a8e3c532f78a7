//! Reads, writes, sends and receives that may block on a host descriptor (a pipe, a terminal, an
//! eventfd, a socket) wait for it first in the interruptible wait, so that they block
//! through the run's clock and a signal ends them as on Linux (EINTR, or a restart
//! under SA_RESTART), rather than inside a host call nothing can interrupt.

use crate::abi::nr;
use crate::abi::restart_codes::ERESTARTSYS;
use crate::os::fdtable::HostFd;
use crate::os::host_poll::{self, POLL_EVERY_NS};
use crate::os::wait::{WaitEnd, WaitLimits};
use crate::thread::Thread;
use devices::WaitNote;
use mmu::Errno;

/// What call `n` waits for on the descriptor in a0, if it may block: not a send or
/// receive with MSG_DONTWAIT in its flags (a3, or a2 for sendmsg and recvmsg).
fn waits_for(n: u64, a: [u64; 6]) -> Option<i16> {
    let dontwait = |flags: u64| flags & libc::MSG_DONTWAIT as u64 != 0;
    match n {
        nr::read | nr::readv | nr::pread64 | nr::preadv | nr::preadv2 => Some(libc::POLLIN),
        nr::write | nr::writev | nr::pwrite64 | nr::pwritev | nr::pwritev2 => Some(libc::POLLOUT),
        nr::accept | nr::accept4 => Some(libc::POLLIN),
        nr::recvfrom if !dontwait(a[3]) => Some(libc::POLLIN),
        nr::sendto if !dontwait(a[3]) => Some(libc::POLLOUT),
        nr::recvmsg if !dontwait(a[2]) => Some(libc::POLLIN),
        nr::sendmsg if !dontwait(a[2]) => Some(libc::POLLOUT),
        _ => None,
    }
}

/// Before call `n` on a blocking, non-regular host descriptor, waits until the host
/// reports it ready. Some(ERESTARTSYS) if a signal came first, Some(-EAGAIN) if a
/// socket's SO_RCVTIMEO or SO_SNDTIMEO passed first (on the run's clock, as Linux
/// reports it); None to go on with the call.
pub(crate) fn wait_ready(t: &Thread, n: u64, a: [u64; 6]) -> Option<i64> {
    let events = waits_for(n, a)?;
    let file = t.proc.files.file(a[0]).ok()?;
    // Ready now is the common case (a terminal or pipe with room): one host call, and the
    // call goes on; only a descriptor that is not ready is asked whether it blocks.
    if file.is_regular()
        || host_poll::ready_now(file.raw(), events)
        || !host_poll::blocking(file.raw())
    {
        return None;
    }
    wait_for(t, &file, events, n, a[0]).err()
}

/// Waits in the interruptible wait until host descriptor `file` (guest fd `fd`, for
/// call `n`) is ready for `events`: Err(ERESTARTSYS) if a signal came first,
/// Err(-EAGAIN) if a socket's SO_RCVTIMEO or SO_SNDTIMEO passed first.
pub(crate) fn wait_for(t: &Thread, file: &HostFd, events: i16, n: u64, fd: u64) -> Result<(), i64> {
    let waiter = t.waiter();
    let limits = WaitLimits {
        deadline_ns: host_poll::socket_timeout_ns(file.raw(), events)
            .map(|ns| waiter.clock.now_ns().saturating_add(ns)),
        poll_every_ns: Some(POLL_EVERY_NS),
    };
    let ready = || host_poll::ready_now(file.raw(), events).then_some(());
    let describe = || WaitNote {
        what: format!("{} on fd {fd}", nr::name(n).unwrap_or("i/o")),
        holders: Vec::new(),
    };
    match waiter.described(&describe).wait(limits, ready) {
        WaitEnd::Ready(()) => Ok(()),
        WaitEnd::TimedOut => Err(Errno::EAGAIN.neg()),
        WaitEnd::Interrupted => Err(ERESTARTSYS),
    }
}
