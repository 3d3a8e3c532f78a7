//! epoll (create1, ctl, pwait, pwait2) on a host epoll instance over the host
//! descriptors behind the guest's: the host keeps the interest list and the level,
//! edge and one-shot rules; a wait is the interruptible wait sampling it without
//! blocking ([`crate::os::host_poll`]'s design), under the caller's temporary mask.

use super::sigwait::read_sigset;
use super::time::read_timespec_ns;
use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::os::host_poll::POLL_EVERY_NS;
use crate::os::wait::{WaitEnd, WaitLimits};
use crate::thread::Thread;
use devices::cast::low_i32;
use mmu::Errno;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

/// The size of the guest's `struct epoll_event` (u32 events, padding, u64 data: riscv64
/// does not pack it as x86-64 does).
const EVENT_SIZE: usize = 16;
/// Linux's limit on maxevents (INT_MAX over the kernel's 12-byte event).
const MAX_EVENTS: i32 = i32::MAX / 12;

/// The last host error as an errno.
fn last_errno() -> Errno {
    Errno(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

/// epoll_create1(flags).
fn create(t: &Thread, flags: u64) -> Result<i64, Errno> {
    if flags & !(libc::EPOLL_CLOEXEC as u64) != 0 {
        return Err(Errno::EINVAL);
    }
    // SAFETY: epoll_create1 takes no pointers.
    let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if fd < 0 {
        return Err(last_errno());
    }
    // SAFETY: fd was just created and nothing else owns it.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let cloexec = flags & libc::EPOLL_CLOEXEC as u64 != 0;
    t.proc.files.install(owned, cloexec).map(i64::from)
}

/// epoll_ctl(epfd, op, fd, event).
fn ctl(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let ep = t.proc.files.file(a[0])?;
    let target = t.proc.files.file(a[2])?;
    let op = low_i32(a[1]);
    let mut ev = libc::epoll_event { events: 0, u64: 0 };
    if op != libc::EPOLL_CTL_DEL {
        let mut b = [0u8; EVENT_SIZE];
        t.proc.mm.read_bytes(a[3], &mut b)?;
        ev.events = u32::from_le_bytes(b[0..4].try_into().expect("4"));
        ev.u64 = u64::from_le_bytes(b[8..16].try_into().expect("8"));
    }
    // SAFETY: ev is a valid epoll_event; the fds stay open while `ep` and `target` live.
    let r = unsafe { libc::epoll_ctl(ep.raw(), op, target.raw(), &mut ev) };
    if r < 0 {
        return Err(last_errno());
    }
    Ok(0)
}

/// Takes up to `max` ready events from host epoll `ep` without waiting.
fn ready_events(ep: RawFd, max: i32) -> Result<Vec<libc::epoll_event>, Errno> {
    let len = usize::try_from(max).map_err(|_| Errno::EINVAL)?;
    let mut buf = vec![libc::epoll_event { events: 0, u64: 0 }; len];
    // SAFETY: buf holds `max` writable events.
    let n = unsafe { libc::epoll_wait(ep, buf.as_mut_ptr(), max, 0) };
    if n < 0 {
        return Err(last_errno());
    }
    buf.truncate(n as usize);
    Ok(buf)
}

/// epoll_pwait and epoll_pwait2: waits for events until `deadline_ns`, under the
/// signal mask at `mask` (if any); EINTR if a signal comes first.
fn wait(
    t: &mut Thread,
    (epfd, events_addr, max): (u64, u64, i32),
    deadline_ns: Option<u64>,
    (mask_addr, mask_size): (u64, u64),
) -> Result<i64, Errno> {
    if max <= 0 || max > MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    let ep = t.proc.files.file(epfd)?;
    if mask_addr != 0 {
        let mask = read_sigset(t, mask_addr, mask_size)?;
        t.set_temporary_sigmask(mask);
    }
    let limits = WaitLimits {
        deadline_ns,
        poll_every_ns: Some(POLL_EVERY_NS),
    };
    let mut failed = None;
    let end = t
        .waiter()
        .named("epoll_wait")
        .wait(limits, || match ready_events(ep.raw(), max) {
            Ok(evs) if evs.is_empty() => None,
            Ok(evs) => Some(evs),
            Err(e) => {
                failed = Some(e);
                Some(Vec::new())
            }
        });
    let events = match (failed, end) {
        (Some(e), _) => Err(e),
        (None, WaitEnd::Ready(evs)) => Ok(evs),
        (None, WaitEnd::TimedOut) => Ok(Vec::new()),
        (None, WaitEnd::Interrupted) => return Err(Errno::EINTR),
    };
    t.end_temporary_sigmask();
    let events = events?;
    let mut out = Vec::with_capacity(events.len() * EVENT_SIZE);
    for ev in &events {
        let (flags, data) = (ev.events, ev.u64);
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&data.to_le_bytes());
    }
    t.proc.mm.write_bytes(events_addr, &out)?;
    Ok(events.len() as i64)
}

/// Handles the epoll family; None if `n` is not one of them.
pub(crate) fn handle(t: &mut Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    let max = low_i32(a[2]);
    Some(ret(match n {
        nr::epoll_create1 => create(t, a[0]),
        nr::epoll_ctl => ctl(t, a),
        nr::epoll_pwait => {
            let deadline_ns = match low_i32(a[3]) {
                ms if ms < 0 => None,
                ms => Some(t.proc.clocks.deadline_after(ms as u64 * 1_000_000)),
            };
            wait(t, (a[0], a[1], max), deadline_ns, (a[4], a[5]))
        }
        nr::epoll_pwait2 => match a[3] {
            0 => wait(t, (a[0], a[1], max), None, (a[4], a[5])),
            ts => read_timespec_ns(&t.proc.mm, ts).and_then(|ns| {
                let deadline_ns = Some(t.proc.clocks.deadline_after(ns));
                wait(t, (a[0], a[1], max), deadline_ns, (a[4], a[5]))
            }),
        },
        _ => return None,
    }))
}
