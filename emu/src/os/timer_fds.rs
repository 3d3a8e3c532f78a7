//! The process's timerfds. Each is a host eventfd that the guest holds as its
//! descriptor: an expiry adds the number of expirations to the eventfd's counter, so
//! the guest's read returns and resets that count and poll and epoll see it readable,
//! exactly as a timerfd behaves, while the time itself is the run's clock's
//! ([`super::timers`]).

use super::fdtable::HostFd;
use mmu::Errno;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

/// One timerfd.
struct TimerFd {
    /// The guest clock it counts on.
    clock: u64,
    /// The eventfd behind the guest's descriptor; gone once the guest closed it.
    file: Weak<HostFd>,
}

/// A process's timerfds by a number unique in the process.
#[derive(Default)]
pub(crate) struct TimerFds {
    fds: Mutex<BTreeMap<u64, TimerFd>>,
    next: Mutex<u64>,
}

impl TimerFds {
    /// Registers `file` as a timerfd on guest clock `clock`; returns its number.
    pub(crate) fn add(&self, clock: u64, file: &Arc<HostFd>) -> u64 {
        let mut next = self.next.lock();
        let id = *next;
        *next += 1;
        let file = Arc::downgrade(file);
        self.fds.lock().insert(id, TimerFd { clock, file });
        id
    }

    /// The number and clock of the timerfd behind `file`; EINVAL if it is not one.
    pub(crate) fn find(&self, file: &Arc<HostFd>) -> Result<(u64, u64), Errno> {
        let fds = self.fds.lock();
        let found = fds
            .iter()
            .find(|(_, t)| Weak::ptr_eq(&t.file, &Arc::downgrade(file)));
        found.map(|(&id, t)| (id, t.clock)).ok_or(Errno::EINVAL)
    }

    /// Adds `expirations` to timerfd `id`'s count; false (and forgotten) if the guest
    /// has closed it.
    pub(crate) fn tick(&self, id: u64, expirations: u64) -> bool {
        let file = self.fds.lock().get(&id).and_then(|t| t.file.upgrade());
        let Some(file) = file else {
            self.fds.lock().remove(&id);
            return false;
        };
        let bytes = expirations.to_le_bytes();
        // SAFETY: bytes is 8 readable bytes. A counter at its limit keeps its value,
        // as further expirations are then not representable anyway.
        unsafe { libc::write(file.raw(), bytes.as_ptr().cast(), bytes.len()) };
        true
    }
}

/// Resets the expiration count of a timerfd's eventfd (timerfd_settime).
pub(crate) fn reset_count(file: &HostFd) {
    if super::host_poll::ready_now(file.raw(), libc::POLLIN) {
        let mut b = [0u8; 8];
        // SAFETY: b is 8 writable bytes; the eventfd is readable, so this does not block.
        unsafe { libc::read(file.raw(), b.as_mut_ptr().cast(), b.len()) };
    }
}
