//! The guest's clocks (`clock_gettime`'s clock ids), all read from the run's clock.

use devices::{Clock, SharedClock};
use mmu::Errno;

/// The guest's wall clock.
pub(crate) const CLOCK_REALTIME: u64 = 0;
/// The guest's monotonic clock.
pub(crate) const CLOCK_MONOTONIC: u64 = 1;
const CLOCK_PROCESS_CPUTIME_ID: u64 = 2;
const CLOCK_THREAD_CPUTIME_ID: u64 = 3;
const CLOCK_MONOTONIC_RAW: u64 = 4;
const CLOCK_REALTIME_COARSE: u64 = 5;
const CLOCK_MONOTONIC_COARSE: u64 = 6;
const CLOCK_BOOTTIME: u64 = 7;
/// clock_nanosleep: the time is absolute.
const TIMER_ABSTIME: u64 = 1;
/// Nanoseconds in a second.
pub(crate) const NS: u64 = 1_000_000_000;

/// Reads a host clock with `clock_gettime`. Only for what is not wall time: the
/// process's and thread's CPU time, and the host's uptime sampled once at start-up
/// ([`GuestClocks::new`]); every read of passing time goes through the run's clock.
pub(crate) fn host_clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid, writable timespec.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * NS + ts.tv_nsec as u64
}

/// The guest's clocks, all read from the run's clock.
#[derive(Debug)]
pub(crate) struct GuestClocks {
    clock: SharedClock,
    /// Where the guest's CLOCK_MONOTONIC stood at the run clock's epoch: the host's uptime
    /// then, so that the guest sees a machine that has been up a while (programs compute
    /// "now minus a second") and its monotonic times are comparable with the host's.
    monotonic_base_ns: u64,
}

impl GuestClocks {
    /// The guest's clocks on top of the run's `clock`.
    pub(crate) fn new(clock: SharedClock) -> GuestClocks {
        // The host's uptime is an offset read once, not a source of time.
        let monotonic_base_ns = host_clock_ns(libc::CLOCK_MONOTONIC).saturating_sub(clock.now_ns());
        GuestClocks {
            clock,
            monotonic_base_ns,
        }
    }

    /// The run's clock, for waits and sleeps.
    pub(crate) fn run_clock(&self) -> &dyn Clock {
        &*self.clock
    }

    /// The time on guest clock `id`, in nanoseconds. The CPU-time clocks read the host's
    /// CPU time for the emulator's process or the calling host thread: they measure work
    /// done, not passing time.
    pub(crate) fn clock_ns(&self, id: u64) -> Result<u64, Errno> {
        let c = &self.clock;
        match id {
            CLOCK_REALTIME | CLOCK_REALTIME_COARSE => Ok(c.realtime_ns()),
            CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => {
                Ok(self.monotonic_base_ns + c.now_ns())
            }
            CLOCK_PROCESS_CPUTIME_ID => Ok(host_clock_ns(libc::CLOCK_PROCESS_CPUTIME_ID)),
            CLOCK_THREAD_CPUTIME_ID => Ok(host_clock_ns(libc::CLOCK_THREAD_CPUTIME_ID)),
            _ => Err(Errno::EINVAL),
        }
    }

    /// The run clock's time at which guest clock `id` reads `abs_ns` (now, if that has
    /// passed): how an absolute guest timeout becomes a deadline to wait for.
    pub(crate) fn deadline_of(&self, id: u64, abs_ns: u64) -> Result<u64, Errno> {
        let remaining = abs_ns.saturating_sub(self.clock_ns(id)?);
        Ok(self.clock.now_ns().saturating_add(remaining))
    }

    /// The run clock's time `ns` from now.
    pub(crate) fn deadline_after(&self, ns: u64) -> u64 {
        self.clock.now_ns().saturating_add(ns)
    }

    /// The run clock's time at which a clock_nanosleep of `ns` on clock `id` ends:
    /// when the clock reads `ns` with TIMER_ABSTIME in `flags`, else `ns` from now.
    pub(crate) fn sleep_deadline(&self, id: u64, flags: u64, ns: u64) -> Result<u64, Errno> {
        if is_absolute(flags) {
            self.deadline_of(id, ns)
        } else {
            self.clock_ns(id)?;
            Ok(self.deadline_after(ns))
        }
    }
}

/// Whether clock_nanosleep's `flags` make its time absolute (TIMER_ABSTIME).
pub(crate) fn is_absolute(flags: u64) -> bool {
    flags & TIMER_ABSTIME != 0
}
