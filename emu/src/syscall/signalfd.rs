//! signalfd4, and reading a signalfd: each read takes pending signals of the
//! descriptor's mask (the thread's own first, then the process's) as
//! `signalfd_siginfo` records; with none pending it fails with EAGAIN or, on a
//! blocking descriptor, waits in the interruptible wait, sampling for them.

use super::sigwait::read_sigset;
use crate::abi::nr;
use crate::abi::restart_codes::ERESTARTSYS;
use crate::abi::signalfd_siginfo::{encode, SIGNALFD_SIGINFO_SIZE};
use crate::abi::signo::UNBLOCKABLE;
use crate::os::host_poll::{self, POLL_EVERY_NS};
use crate::os::wait::{WaitEnd, WaitLimits};
use crate::thread::Thread;
use devices::cast::low_i32;
use mmu::Errno;
use std::os::fd::{FromRawFd, OwnedFd};

/// signalfd4(fd, mask, sizemask, flags): a new signalfd for fd -1, else a new mask for
/// signalfd `fd`. SFD_NONBLOCK and SFD_CLOEXEC are O_NONBLOCK and O_CLOEXEC.
pub(crate) fn signalfd4(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let known = (libc::SFD_NONBLOCK | libc::SFD_CLOEXEC) as u64;
    if a[3] & !known != 0 {
        return Err(Errno::EINVAL);
    }
    let mask = read_sigset(t, a[1], a[2])? & !UNBLOCKABLE;
    let fd = low_i32(a[0]);
    if fd != -1 {
        let file = t.proc.files.file(a[0])?;
        let (id, _) = t.proc.signal_fds.find(&file)?;
        t.proc.signal_fds.set(id, mask);
        t.proc.sync_signal_fds();
        return Ok(i64::from(fd));
    }
    let nonblock = if a[3] & libc::SFD_NONBLOCK as u64 != 0 {
        libc::EFD_NONBLOCK
    } else {
        0
    };
    // SAFETY: eventfd takes no pointers.
    let host = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | nonblock) };
    if host < 0 {
        let e = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        return Err(Errno(e));
    }
    // SAFETY: host was just created and nothing else owns it.
    let owned = unsafe { OwnedFd::from_raw_fd(host) };
    let cloexec = a[3] & libc::SFD_CLOEXEC as u64 != 0;
    let guest_fd = t.proc.files.install(owned, cloexec)?;
    let file = t.proc.files.fds.get(guest_fd)?;
    t.proc.signal_fds.add(&file, mask);
    t.proc.sync_signal_fds();
    Ok(i64::from(guest_fd))
}

/// A read(2) of a signalfd; None if the call is not a read of one.
pub(crate) fn read(t: &Thread, n: u64, a: [u64; 6]) -> Option<Result<i64, Errno>> {
    if n != nr::read {
        return None;
    }
    let file = t.proc.files.file(a[0]).ok()?;
    let (_, mask) = t.proc.signal_fds.find(&file).ok()?;
    let room = usize::try_from(a[2]).unwrap_or(usize::MAX) / SIGNALFD_SIGINFO_SIZE;
    if room == 0 {
        return Some(Err(Errno::EINVAL));
    }
    let take = || t.proc.take_signal(&t.sig, mask);
    let first = match take() {
        Some(info) => info,
        None if !host_poll::blocking(file.raw()) => return Some(Err(Errno::EAGAIN)),
        None => {
            let limits = WaitLimits {
                deadline_ns: None,
                poll_every_ns: Some(POLL_EVERY_NS),
            };
            match t.waiter().named("read on a signalfd").wait(limits, take) {
                WaitEnd::Ready(info) => info,
                _ => return Some(Ok(ERESTARTSYS)),
            }
        }
    };
    let mut out = encode(&first).to_vec();
    while out.len() / SIGNALFD_SIGINFO_SIZE < room {
        let Some(info) = take() else { break };
        out.extend_from_slice(&encode(&info));
    }
    Some(t.proc.mm.write_bytes(a[1], &out).map(|()| out.len() as i64))
}
