//! The process's timerfds. Each is a host eventfd that the guest holds as its
//! descriptor: an expiry adds the number of expirations to the eventfd's counter, so
//! the guest's read returns and resets that count and poll and epoll see it readable,
//! exactly as a timerfd behaves, while the time itself is the run's clock's
//! ([`super::timers`]).

use super::fd_registry::FdRegistry;
use super::fdtable::HostFd;
use super::host_poll;

/// A process's timerfds, each with the guest clock it counts on.
pub(crate) type TimerFds = FdRegistry<u64>;

/// Adds `expirations` to timerfd `id`'s count; false if the guest has closed it.
pub(crate) fn tick(fds: &TimerFds, id: u64, expirations: u64) -> bool {
    let Some(file) = fds.file(id) else {
        return false;
    };
    add_count(&file, expirations);
    true
}

/// Adds `n` to the counter of the eventfd behind `file`.
pub(crate) fn add_count(file: &HostFd, n: u64) {
    let bytes = n.to_le_bytes();
    // SAFETY: bytes is 8 readable bytes. A counter at its limit keeps its value, as
    // further events are then not representable anyway.
    unsafe { libc::write(file.raw(), bytes.as_ptr().cast(), bytes.len()) };
}

/// Resets the counter of the eventfd behind `file` to zero.
pub(crate) fn reset_count(file: &HostFd) {
    if host_poll::ready_now(file.raw(), libc::POLLIN) {
        let mut b = [0u8; 8];
        // SAFETY: b is 8 writable bytes; the eventfd is readable, so this does not block.
        unsafe { libc::read(file.raw(), b.as_mut_ptr().cast(), b.len()) };
    }
}
