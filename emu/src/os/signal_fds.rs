//! The process's signalfds. Each is a host eventfd that the guest holds as its
//! descriptor, kept readable exactly while a signal of its mask is pending, so that
//! poll, select and epoll on the host see what they would see on a signalfd; reading
//! one takes the signals themselves ([`crate::syscall::signalfd`]).
//! `Process::sync_signal_fds` says which signals are pending.

use super::fd_registry::FdRegistry;
use super::host_poll;
use super::timer_fds::{add_count, reset_count};

/// A process's signalfds, each with its signal mask.
pub(crate) type SignalFds = FdRegistry<u64>;

/// Makes each signalfd readable exactly while a signal of its mask is in `pending`.
pub(crate) fn sync(fds: &SignalFds, pending: u64) {
    for (file, mask) in fds.live() {
        let ready = host_poll::ready_now(file.raw(), libc::POLLIN);
        match (pending & mask != 0, ready) {
            (true, false) => add_count(&file, 1),
            (false, true) => reset_count(&file),
            _ => {}
        }
    }
}
