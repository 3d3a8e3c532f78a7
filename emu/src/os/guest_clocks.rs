//! The guest's clocks (`clock_gettime`'s clock ids), all read from the run's clock.
//! Under a clock that schedules (the virtual one) the CPU-time clocks are what its
//! scheduler measured and nothing reads the host's clocks; under the host clock they are
//! the host's CPU time of the emulator's thread or process.

use devices::{Clock, SchedStats, SharedClock};
use mmu::Errno;
use std::sync::Weak;

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

/// Where CLOCK_MONOTONIC stands at the virtual clock's epoch: a fixed uptime, so that
/// programs that compute "now minus a second" work and every run reads the same.
const VIRTUAL_UPTIME_NS: u64 = 100 * NS;

/// Reads a host clock with `clock_gettime`. Only under the host clock, and only for what
/// is not wall time: the process's and thread's CPU time, and the host's uptime sampled
/// once at start-up ([`GuestClocks::new`]); every read of passing time goes through the
/// run's clock.
fn host_clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid, writable timespec.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * NS + ts.tv_nsec as u64
}

/// Whose CPU time a CPU-time clock reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CpuOf {
    /// The calling thread's.
    Thread,
    /// The whole process's: its threads', live and ended.
    Process,
}

/// What the clock's scheduler measured of the process's threads: implemented by the
/// process, which knows them.
pub(crate) trait ProcessSched: Send + Sync {
    /// The sum over every thread that ever ran, live or ended; None if the clock does
    /// not schedule.
    fn process_sched_stats(&self) -> Option<SchedStats>;
}

/// The guest's clocks, all read from the run's clock.
pub(crate) struct GuestClocks {
    clock: SharedClock,
    /// The process, for its CPU time under a clock that schedules.
    process: Weak<dyn ProcessSched>,
    /// Where the guest's CLOCK_MONOTONIC stood at the run clock's epoch: the host's uptime
    /// then, so that the guest sees a machine that has been up a while (programs compute
    /// "now minus a second") and its monotonic times are comparable with the host's.
    monotonic_base_ns: u64,
}

impl GuestClocks {
    /// The guest's clocks on top of the run's `clock`, for `process`.
    pub(crate) fn new(clock: SharedClock, process: Weak<dyn ProcessSched>) -> GuestClocks {
        let monotonic_base_ns = if clock.is_virtual() {
            VIRTUAL_UPTIME_NS
        } else {
            // The host's uptime is an offset read once, not a source of time.
            host_clock_ns(libc::CLOCK_MONOTONIC).saturating_sub(clock.now_ns())
        };
        GuestClocks {
            clock,
            process,
            monotonic_base_ns,
        }
    }

    /// What the clock's scheduler measured of the calling thread or of the process;
    /// None if the clock does not schedule.
    pub(crate) fn sched_stats(&self, of: CpuOf) -> Option<SchedStats> {
        match of {
            CpuOf::Thread => {
                let task = self.clock.current_task()?;
                self.clock.sched_stats(task)
            }
            CpuOf::Process => self.process.upgrade()?.process_sched_stats(),
        }
    }

    /// The CPU time of the calling thread or of the process, in nanoseconds: what the
    /// scheduler measured under a clock that schedules (virtual CPU time), else the
    /// host's CPU time of the emulator's thread or process (the work done for it).
    pub(crate) fn cpu_ns(&self, of: CpuOf) -> u64 {
        if self.clock.is_virtual() {
            return self.sched_stats(of).map_or(0, |s| s.run_ns);
        }
        host_clock_ns(match of {
            CpuOf::Thread => libc::CLOCK_THREAD_CPUTIME_ID,
            CpuOf::Process => libc::CLOCK_PROCESS_CPUTIME_ID,
        })
    }

    /// The run's clock, for waits and sleeps.
    pub(crate) fn run_clock(&self) -> &dyn Clock {
        &*self.clock
    }

    /// The time on guest clock `id`, in nanoseconds. The CPU-time clocks measure work
    /// done, not passing time ([`GuestClocks::cpu_ns`]).
    pub(crate) fn clock_ns(&self, id: u64) -> Result<u64, Errno> {
        let c = &self.clock;
        match id {
            CLOCK_REALTIME | CLOCK_REALTIME_COARSE => Ok(c.realtime_ns()),
            CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => {
                Ok(self.monotonic_base_ns + c.now_ns())
            }
            CLOCK_PROCESS_CPUTIME_ID => Ok(self.cpu_ns(CpuOf::Process)),
            CLOCK_THREAD_CPUTIME_ID => Ok(self.cpu_ns(CpuOf::Thread)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use devices::{Cost, TaskKind, VirtualClock, VirtualConfig};
    use std::sync::{Arc, Mutex};

    /// A process of one thread, whose CPU time is what the clock measured of `tid`.
    struct OneThread {
        clock: SharedClock,
        tid: u32,
    }

    impl ProcessSched for OneThread {
        fn process_sched_stats(&self) -> Option<SchedStats> {
            let task = self.clock.task_of_tid(self.tid)?;
            self.clock.sched_stats(task)
        }
    }

    #[test]
    fn under_the_virtual_clock_cpu_time_is_what_the_thread_was_charged() {
        let clock: SharedClock = VirtualClock::new(VirtualConfig::default());
        let process: Arc<dyn ProcessSched> = Arc::new(OneThread {
            clock: clock.clone(),
            tid: 7,
        });
        let clocks = Arc::new(GuestClocks::new(clock.clone(), Arc::downgrade(&process)));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (c, s, g) = (clock.clone(), seen.clone(), clocks.clone());
        let body = move || {
            let before = g.cpu_ns(CpuOf::Thread);
            // 2000 instructions of 500 ps: one microsecond.
            c.charge(Cost::Insn, 2000);
            let read = |id| g.clock_ns(id).expect("a known clock");
            s.lock().unwrap().extend([
                g.cpu_ns(CpuOf::Thread) - before,
                read(CLOCK_PROCESS_CPUTIME_ID) - before,
                read(CLOCK_MONOTONIC) - c.now_ns(),
            ]);
        };
        let builder = std::thread::Builder::new();
        devices::spawn_task(&clock, builder, "t7", TaskKind::Hart { tid: 7 }, body)
            .expect("spawn")
            .join()
            .expect("join");
        assert_eq!(*seen.lock().unwrap(), vec![1000, 1000, VIRTUAL_UPTIME_NS]);
        drop(process);
        assert_eq!(
            clocks.sched_stats(CpuOf::Process),
            None,
            "the process is gone"
        );
    }
}
