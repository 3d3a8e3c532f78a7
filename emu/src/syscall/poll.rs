//! ppoll and pselect6 (glibc's poll, select and pause), on the host descriptors behind
//! the guest's: each wait is the interruptible wait sampling the host's readiness
//! ([`crate::os::host_poll`]), under the caller's temporary signal mask if it gives one.

use super::sigwait::read_sigset;
use super::time::{read_timespec_ns, write_timespec};
use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::abi::restart_codes::ERESTARTNOHAND;
use crate::os::fdtable::HostFd;
use crate::os::host_poll::{self, POLL_EVERY_NS};
use crate::os::wait::{WaitEnd, WaitLimits};
use crate::thread::Thread;
use devices::cast::low_i32;
use mmu::Errno;
use std::sync::Arc;

/// What select's three sets ask, as poll events.
const SELECT_READ: i16 = libc::POLLIN | libc::POLLHUP | libc::POLLERR;
const SELECT_WRITE: i16 = libc::POLLOUT | libc::POLLERR;
const SELECT_EXCEPT: i16 = libc::POLLPRI;

/// The most descriptors one call may name (Linux's RLIMIT_NOFILE check).
const MAX_FDS: u64 = 1 << 20;

/// One guest descriptor being polled: its host file (kept open for the call) and the
/// host `pollfd`, whose fd is -1 for a guest fd that is negative or not open.
struct Polled {
    files: Vec<Option<Arc<HostFd>>>,
    host: Vec<libc::pollfd>,
}

impl Polled {
    /// The host side of guest descriptors `fds` with their `events`.
    fn new(t: &Thread, fds: impl Iterator<Item = (i32, i16)>) -> Polled {
        let mut p = Polled {
            files: Vec::new(),
            host: Vec::new(),
        };
        for (fd, events) in fds {
            let file = (fd >= 0).then(|| t.proc.files.fds.get(fd).ok()).flatten();
            p.host.push(libc::pollfd {
                fd: file.as_ref().map_or(-1, |f| f.raw()),
                events,
                revents: 0,
            });
            p.files.push(file);
        }
        p
    }

    /// Waits until a descriptor is ready, a signal arrives or `deadline_ns` passes;
    /// returns how many are ready (0 on timeout).
    fn wait(&mut self, t: &Thread, deadline_ns: Option<u64>) -> Result<WaitEnd<usize>, Errno> {
        let limits = WaitLimits {
            deadline_ns,
            poll_every_ns: Some(POLL_EVERY_NS),
        };
        let mut failed = None;
        let host = &mut self.host;
        let end = t
            .waiter()
            .named("poll")
            .wait(limits, || match host_poll::poll_now(host) {
                Ok(0) => None,
                Ok(n) => Some(n),
                Err(e) => {
                    failed = Some(e);
                    Some(0)
                }
            });
        match (failed, end) {
            (Some(e), _) => Err(e),
            (None, WaitEnd::TimedOut) => Ok(WaitEnd::Ready(0)),
            (None, end) => Ok(end),
        }
    }
}

/// The deadline of a timeout at `addr` (none if 0); a zero timeout only looks.
fn deadline(t: &Thread, addr: u64) -> Result<Option<u64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let ns = read_timespec_ns(&t.proc.mm, addr)?;
    Ok(Some(t.proc.clocks.deadline_after(ns)))
}

/// Writes the time left to `deadline_ns` back to the timeout at `addr`, as Linux does
/// for ppoll and pselect6.
fn write_left(t: &Thread, addr: u64, deadline_ns: Option<u64>) -> Result<(), Errno> {
    match deadline_ns {
        Some(d) if addr != 0 => {
            let left = d.saturating_sub(t.proc.clocks.run_clock().now_ns());
            write_timespec(&t.proc.mm, addr, left)
        }
        _ => Ok(()),
    }
}

/// Installs the temporary signal mask at `addr` (if any), waits, and ends with the
/// count, or ERESTARTNOHAND if a signal came first (the mask is then restored after its
/// handler runs).
fn wait_masked(
    t: &mut Thread,
    polled: &mut Polled,
    (mask_addr, mask_size): (u64, u64),
    (timeout_addr, deadline_ns): (u64, Option<u64>),
) -> Result<Option<usize>, Errno> {
    if mask_addr != 0 {
        let mask = read_sigset(t, mask_addr, mask_size)?;
        t.set_temporary_sigmask(mask);
    }
    let end = polled.wait(t, deadline_ns);
    write_left(t, timeout_addr, deadline_ns)?;
    match end? {
        WaitEnd::Ready(n) => {
            t.end_temporary_sigmask();
            Ok(Some(n))
        }
        _ => Ok(None),
    }
}

/// ppoll(fds, nfds, timeout, sigmask, sigsetsize).
fn ppoll(t: &mut Thread, a: [u64; 6]) -> Result<i64, Errno> {
    if a[1] > MAX_FDS {
        return Err(Errno::EINVAL);
    }
    let nfds = usize::try_from(a[1]).map_err(|_| Errno::EINVAL)?;
    let mut raw = vec![0u8; nfds * 8];
    t.proc.mm.read_bytes(a[0], &mut raw)?;
    let entries = raw.chunks(8).map(|e| {
        let fd = i32::from_le_bytes(e[0..4].try_into().expect("4"));
        (fd, i16::from_le_bytes(e[4..6].try_into().expect("2")))
    });
    let mut polled = Polled::new(t, entries);
    let deadline_ns = deadline(t, a[2])?;
    let Some(_) = wait_masked(t, &mut polled, (a[3], a[4]), (a[2], deadline_ns))? else {
        return Ok(ERESTARTNOHAND);
    };
    let mut count = 0;
    for (i, (p, file)) in polled.host.iter().zip(&polled.files).enumerate() {
        let guest_fd = i32::from_le_bytes(raw[i * 8..i * 8 + 4].try_into().expect("4"));
        // A guest fd that is not open reads as POLLNVAL; a negative one is skipped.
        let revents = match file {
            None if guest_fd >= 0 => libc::POLLNVAL,
            None => 0,
            Some(_) => p.revents,
        };
        count += i64::from(revents != 0);
        raw[i * 8 + 6..i * 8 + 8].copy_from_slice(&revents.to_le_bytes());
    }
    t.proc.mm.write_bytes(a[0], &raw)?;
    Ok(count)
}

/// Reads an fd_set of `nfds` bits at `addr` (none if 0).
fn read_fd_set(t: &Thread, addr: u64, nfds: usize) -> Result<Vec<u64>, Errno> {
    let mut words = vec![0u64; nfds.div_ceil(64)];
    if addr != 0 {
        let mut raw = vec![0u8; words.len() * 8];
        t.proc.mm.read_bytes(addr, &mut raw)?;
        for (w, b) in words.iter_mut().zip(raw.chunks(8)) {
            *w = u64::from_le_bytes(b.try_into().expect("8"));
        }
    }
    Ok(words)
}

/// pselect6(nfds, readfds, writefds, exceptfds, timeout, {sigmask, size}).
fn pselect6(t: &mut Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let nfds = usize::try_from(low_i32(a[0])).map_err(|_| Errno::EINVAL)?;
    if nfds as u64 > MAX_FDS {
        return Err(Errno::EINVAL);
    }
    let sets = [
        read_fd_set(t, a[1], nfds)?,
        read_fd_set(t, a[2], nfds)?,
        read_fd_set(t, a[3], nfds)?,
    ];
    let asked = [SELECT_READ, SELECT_WRITE, SELECT_EXCEPT];
    let is_set = |set: &[u64], fd: usize| set[fd / 64] >> (fd % 64) & 1 != 0;
    let mut wanted = Vec::new();
    for fd in 0..nfds {
        let events = (0..3)
            .filter(|&k| is_set(&sets[k], fd))
            .fold(0, |e, k| e | asked[k]);
        if events != 0 {
            wanted.push((i32::try_from(fd).map_err(|_| Errno::EINVAL)?, events));
        }
    }
    let mut polled = Polled::new(t, wanted.iter().copied());
    if polled.files.iter().any(Option::is_none) {
        return Err(Errno::EBADF);
    }
    let (mask_addr, mask_size) = if a[5] == 0 {
        (0, 0)
    } else {
        let mut b = [0u8; 16];
        t.proc.mm.read_bytes(a[5], &mut b)?;
        let word = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("8"));
        (word(0), word(1))
    };
    let deadline_ns = deadline(t, a[4])?;
    let Some(_) = wait_masked(t, &mut polled, (mask_addr, mask_size), (a[4], deadline_ns))? else {
        return Ok(ERESTARTNOHAND);
    };
    let mut out = [
        vec![0u64; sets[0].len()],
        vec![0; sets[0].len()],
        vec![0; sets[0].len()],
    ];
    let mut count = 0;
    for (&(fd, events), p) in wanted.iter().zip(&polled.host) {
        let fd = fd as usize;
        for k in 0..3 {
            if events & asked[k] != 0 && is_set(&sets[k], fd) && p.revents & asked[k] != 0 {
                out[k][fd / 64] |= 1 << (fd % 64);
                count += 1;
            }
        }
    }
    for (k, addr) in [a[1], a[2], a[3]].into_iter().enumerate() {
        if addr != 0 {
            let bytes: Vec<u8> = out[k].iter().flat_map(|w| w.to_le_bytes()).collect();
            t.proc.mm.write_bytes(addr, &bytes)?;
        }
    }
    Ok(count)
}

/// Handles ppoll and pselect6; None if `n` is neither.
pub(crate) fn handle(t: &mut Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    Some(ret(match n {
        nr::ppoll => ppoll(t, a),
        nr::pselect6 => pselect6(t, a),
        _ => return None,
    }))
}
