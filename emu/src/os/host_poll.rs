//! Readiness of host descriptors: the one place faultline asks the host whether a
//! descriptor is ready, always without waiting. A wait for readiness is the ordinary
//! interruptible wait ([`super::wait`]) that looks again every [`POLL_EVERY_NS`] of the
//! run's clock: the host tells nobody when a descriptor becomes ready, so it is an
//! external event that the wait samples, and a virtual clock advances through those
//! samples like any other deadline.

use mmu::Errno;
use std::os::fd::RawFd;

/// How often a wait for host descriptors looks at them again, in run-clock ns.
pub(crate) const POLL_EVERY_NS: u64 = 1_000_000;

/// Asks the host which of `fds` are ready, without waiting; fills each `revents` and
/// returns how many have any.
pub(crate) fn poll_now(fds: &mut [libc::pollfd]) -> Result<usize, Errno> {
    // SAFETY: fds is a valid, writable array of fds.len() pollfd structures.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 0) };
    if n < 0 {
        return Err(Errno(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO),
        ));
    }
    Ok(n as usize)
}

/// Whether host descriptor `fd` is ready for `events` (POLLIN, POLLOUT) now; an error or
/// hang-up counts as ready, as the call it guards will then not block.
pub(crate) fn ready_now(fd: RawFd, events: i16) -> bool {
    let mut p = [libc::pollfd {
        fd,
        events,
        revents: 0,
    }];
    poll_now(&mut p).map_or(true, |n| n > 0)
}

/// Whether host descriptor `fd` was opened without O_NONBLOCK, so a call on it may block.
pub(crate) fn blocking(fd: RawFd) -> bool {
    // SAFETY: F_GETFL reads the descriptor's status flags and touches no memory.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    flags >= 0 && flags & libc::O_NONBLOCK == 0
}

/// The receive (for `POLLIN`) or send timeout set on host socket `fd` (SO_RCVTIMEO,
/// SO_SNDTIMEO) in ns; None if it has none or is no socket.
pub(crate) fn socket_timeout_ns(fd: RawFd, events: i16) -> Option<u64> {
    let name = match events {
        libc::POLLIN => libc::SO_RCVTIMEO,
        _ => libc::SO_SNDTIMEO,
    };
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let mut len = libc::socklen_t::try_from(std::mem::size_of::<libc::timeval>()).ok()?;
    // SAFETY: tv has room for `len` bytes.
    let r = unsafe { libc::getsockopt(fd, libc::SOL_SOCKET, name, (&raw mut tv).cast(), &mut len) };
    let ns = u64::try_from(tv.tv_sec)
        .ok()?
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::try_from(tv.tv_usec).ok()?.saturating_mul(1000));
    (r == 0 && ns > 0).then_some(ns)
}
