//! The POSIX timers of a process (timer_create): each one's clock and what its expiry
//! sends. Their schedules are in [`super::timers::Timers`].

use crate::abi::siginfo::{SigInfo, SigSource};
use mmu::Errno;
use parking_lot::Mutex;
use std::collections::BTreeMap;

/// sigev_notify: send a signal to the process.
pub(crate) const SIGEV_SIGNAL: i32 = 0;
/// sigev_notify: nothing.
pub(crate) const SIGEV_NONE: i32 = 1;
/// sigev_notify: send a signal to one thread.
pub(crate) const SIGEV_THREAD_ID: i32 = 4;
/// si_code of a timer's signal.
const SI_TIMER: i32 = -2;
/// Linux's limit on a timer's reported overrun (DELAYTIMER_MAX).
const DELAYTIMER_MAX: u64 = i32::MAX as u64;

/// What a timer's expiry does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Notify {
    /// Nothing (SIGEV_NONE): the guest polls timer_gettime.
    Nothing,
    /// Send `signo` with `value` to the process, or to thread `tid`.
    Signal {
        /// The signal.
        signo: i32,
        /// The `sigev_value`, in the siginfo.
        value: u64,
        /// The thread for SIGEV_THREAD_ID.
        tid: Option<u32>,
    },
}

/// One POSIX timer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PosixTimer {
    /// The guest clock it counts on.
    pub clock: u64,
    /// What its expiry does.
    pub notify: Notify,
    /// Whether its signal is queued and not yet taken: expiries meanwhile only count.
    queued: bool,
    /// Expiries since its queued signal was sent.
    overrun: u64,
    /// The overrun its last signal reported (timer_getoverrun).
    pub overrun_last: i32,
}

impl PosixTimer {
    /// A timer on guest clock `clock` that notifies by `notify`.
    pub(crate) fn new(clock: u64, notify: Notify) -> PosixTimer {
        PosixTimer {
            clock,
            notify,
            queued: false,
            overrun: 0,
            overrun_last: 0,
        }
    }
}

/// A process's POSIX timers by id.
#[derive(Default)]
pub(crate) struct PosixTimers {
    timers: Mutex<BTreeMap<i32, PosixTimer>>,
}

impl PosixTimers {
    /// Creates the timer `make` builds given its id, the lowest free one as Linux hands
    /// them out; returns the id.
    pub(crate) fn create(&self, make: impl FnOnce(i32) -> PosixTimer) -> Result<i32, Errno> {
        let mut timers = self.timers.lock();
        let id = (0..i32::MAX)
            .find(|id| !timers.contains_key(id))
            .ok_or(Errno::EAGAIN)?;
        timers.insert(id, make(id));
        Ok(id)
    }

    /// Timer `id`; EINVAL if there is none.
    pub(crate) fn get(&self, id: i32) -> Result<PosixTimer, Errno> {
        self.timers.lock().get(&id).copied().ok_or(Errno::EINVAL)
    }

    /// Deletes timer `id`; EINVAL if there is none.
    pub(crate) fn delete(&self, id: i32) -> Result<(), Errno> {
        self.timers
            .lock()
            .remove(&id)
            .map(|_| ())
            .ok_or(Errno::EINVAL)
    }

    /// Records an expiry of timer `id` with `overruns` missed ones; the signal to send
    /// and where, unless the timer sends none or its last signal is still queued (then
    /// the expiries are counted as that signal's overrun, as Linux counts them).
    pub(crate) fn expired(&self, id: i32, overruns: u64) -> Option<(SigInfo, Option<u32>)> {
        let mut timers = self.timers.lock();
        let timer = timers.get_mut(&id)?;
        let Notify::Signal { signo, value, tid } = timer.notify else {
            return None;
        };
        if timer.queued {
            timer.overrun = timer.overrun.saturating_add(1 + overruns);
            return None;
        }
        timer.queued = true;
        timer.overrun = overruns;
        let info = SigInfo {
            signo,
            code: SI_TIMER,
            source: SigSource::Timer {
                id,
                overrun: 0,
                value,
            },
        };
        Some((info, tid))
    }

    /// Timer `id`'s signal was taken: returns the overrun it reports, counted until now.
    pub(crate) fn taken(&self, id: i32) -> Option<i32> {
        let mut timers = self.timers.lock();
        let timer = timers.get_mut(&id)?;
        timer.queued = false;
        timer.overrun_last = i32::try_from(timer.overrun.min(DELAYTIMER_MAX)).unwrap_or(i32::MAX);
        timer.overrun = 0;
        Some(timer.overrun_last)
    }
}
