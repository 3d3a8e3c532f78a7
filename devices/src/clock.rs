//! The time seam: every read of time and every wait in faultline goes through a
//! [`Clock`], created once per run and passed down ([`SharedClock`]); nothing else reads
//! the host's time or parks with a host timeout.

use crate::cast::saturating_u64;
use crate::park::Parker;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The run's clock as it is passed down to every layer that reads time or waits.
pub type SharedClock = Arc<dyn Clock>;

/// A source of monotonic time, in nanoseconds since the emulator started, and of the
/// wall-clock offset the guest sees for `CLOCK_REALTIME`; and the one way to wait.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Monotonic nanoseconds since this clock's epoch (the emulator's start).
    fn now_ns(&self) -> u64;
    /// Nanoseconds since the Unix epoch, for `CLOCK_REALTIME` and `gettimeofday`.
    fn realtime_ns(&self) -> u64;
    /// Blocks the calling hart for `ns` nanoseconds of this clock's time.
    fn sleep_ns(&self, ns: u64);

    /// Blocks on `parker` until it is unparked. A clock that schedules harts itself
    /// overrides this to learn that the caller waits.
    fn park(&self, parker: &Parker) {
        parker.park();
    }

    /// Blocks the calling thread for good: a hart whose part is over while its process
    /// ends around it. Through [`Clock::park`], so a clock that schedules harts sees it
    /// wait.
    fn park_forever(&self) -> ! {
        let never = Parker::new();
        loop {
            self.park(&never);
        }
    }

    /// Blocks on `parker` until it is unparked or this clock reaches `deadline_ns`;
    /// returns whether it was unparked. A clock whose time is not the host's overrides
    /// this; the default measures the remaining time on this clock and waits that long on
    /// the host.
    fn park_until(&self, parker: &Parker, deadline_ns: u64) -> bool {
        let remaining = deadline_ns.saturating_sub(self.now_ns());
        parker.park_timeout(Duration::from_nanos(remaining))
    }
}

/// The host clock: harts are host threads and time is the host's monotonic clock.
#[derive(Debug)]
pub struct HostClock {
    epoch: Instant,
    realtime_at_epoch_ns: u64,
}

impl HostClock {
    /// A host clock whose epoch is now.
    pub fn new() -> Self {
        let realtime_at_epoch_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| saturating_u64(d.as_nanos()))
            .unwrap_or(0);
        HostClock {
            epoch: Instant::now(),
            realtime_at_epoch_ns,
        }
    }
}

impl Default for HostClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for HostClock {
    fn now_ns(&self) -> u64 {
        saturating_u64(self.epoch.elapsed().as_nanos())
    }

    fn realtime_ns(&self) -> u64 {
        self.realtime_at_epoch_ns + self.now_ns()
    }

    fn sleep_ns(&self, ns: u64) {
        std::thread::sleep(Duration::from_nanos(ns));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_clock_is_monotonic_and_sleeps() {
        let c = HostClock::new();
        let a = c.now_ns();
        c.sleep_ns(2_000_000);
        let b = c.now_ns();
        assert!(b >= a + 2_000_000, "slept {} ns", b - a);
        assert!(c.realtime_ns() > 1_600_000_000_000_000_000);
    }

    #[test]
    fn park_until_times_out_at_the_deadline_or_wakes() {
        let c = HostClock::new();
        let p = Parker::new();
        let deadline = c.now_ns() + 2_000_000;
        assert!(!c.park_until(&p, deadline));
        assert!(c.now_ns() >= deadline);
        p.unpark();
        assert!(c.park_until(&p, u64::MAX));
    }
}
