//! The process's timers: setitimer(ITIMER_REAL), POSIX timers (timer_create) and
//! timerfds. One timer thread per process (started with the first timer armed) waits on
//! the run's clock for the earliest expiry and hands each expiry to the process
//! ([`TimerSink`]), which turns it into a signal or a timerfd tick. Expiries are kept in
//! run-clock nanoseconds, so a virtual clock drives them like every other wait; the
//! timer thread is one of the clock's tasks (a daemon), so it runs in virtual time too.

use devices::{Parker, SharedClock, TaskKind};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

/// Which timer: the keys order the expiries handed out together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TimerKey {
    /// setitimer(ITIMER_REAL), alarm.
    RealItimer,
    /// A POSIX timer by its id.
    Posix(i32),
    /// A timerfd, by its number in [`super::timer_fds::TimerFds`].
    Fd(u64),
}

/// One armed or disarmed timer's schedule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Schedule {
    /// The run clock's time of the next expiry; None when disarmed.
    pub next_ns: Option<u64>,
    /// The period after that; 0 for a one-shot timer.
    pub interval_ns: u64,
}

/// Where expiries go: implemented by the process, which owns the timers.
pub(crate) trait TimerSink: Send + Sync {
    /// Timer `key` expired `1 + overruns` times since it was last handed out.
    fn expired(&self, key: TimerKey, overruns: u64);
}

#[derive(Default)]
struct Table {
    timers: BTreeMap<TimerKey, Schedule>,
    /// Whether the timer thread runs.
    started: bool,
}

/// The process's timers and the thread that fires them.
pub(crate) struct Timers {
    table: Mutex<Table>,
    clock: SharedClock,
    /// The timer thread parks here; arming a timer wakes it to look again.
    parker: Arc<Parker>,
    sink: Weak<dyn TimerSink>,
}

impl Timers {
    /// No timers yet; expiries will go to `sink`.
    pub(crate) fn new(clock: SharedClock, sink: Weak<dyn TimerSink>) -> Timers {
        Timers {
            table: Mutex::default(),
            clock,
            parker: Arc::new(Parker::new()),
            sink,
        }
    }

    /// The schedule of `key` (disarmed if there is none).
    pub(crate) fn get(&self, key: TimerKey) -> Schedule {
        self.table
            .lock()
            .timers
            .get(&key)
            .copied()
            .unwrap_or_default()
    }

    /// Replaces the schedule of `key`; returns the old one. Starts the timer thread
    /// with the first timer armed.
    pub(crate) fn set(self: &Arc<Self>, key: TimerKey, new: Schedule) -> Schedule {
        let mut table = self.table.lock();
        let old = table.timers.insert(key, new).unwrap_or_default();
        if new.next_ns.is_some() && !table.started {
            table.started = true;
            let me = self.clone();
            let builder = std::thread::Builder::new().name("timers".into());
            devices::spawn_task(
                &self.clock,
                builder,
                "timers",
                TaskKind::Daemon,
                move || me.run(),
            )
            .expect("start the timer thread");
        }
        drop(table);
        self.parker.unpark();
        old
    }

    /// Forgets `key` (timer_delete, a timerfd closed).
    pub(crate) fn remove(&self, key: TimerKey) {
        self.table.lock().timers.remove(&key);
    }

    /// The timer thread: fires what is due, then waits for the next expiry or a change.
    fn run(&self) {
        loop {
            let now = self.clock.now_ns();
            let (due, next) = self.take_due(now);
            if !due.is_empty() {
                let Some(sink) = self.sink.upgrade() else {
                    return;
                };
                for (key, overruns) in due {
                    sink.expired(key, overruns);
                }
                continue;
            }
            match next {
                Some(at) => {
                    self.clock.park_until(&self.parker, at);
                }
                None => self.clock.park(&self.parker),
            }
        }
    }

    /// Advances every timer due at `now`; returns them with their missed periods, and
    /// the earliest expiry left.
    fn take_due(&self, now: u64) -> (Vec<(TimerKey, u64)>, Option<u64>) {
        let mut table = self.table.lock();
        let mut due = Vec::new();
        for (key, s) in table.timers.iter_mut() {
            let Some(at) = s.next_ns.filter(|&at| at <= now) else {
                continue;
            };
            let overruns = advance(s, at, now);
            due.push((*key, overruns));
        }
        let next = table.timers.values().filter_map(|s| s.next_ns).min();
        (due, next)
    }
}

/// Moves an expired schedule (due `at`) past `now`; returns how many periods after the
/// first were missed.
fn advance(s: &mut Schedule, at: u64, now: u64) -> u64 {
    if s.interval_ns == 0 {
        s.next_ns = None;
        return 0;
    }
    let overruns = (now - at) / s.interval_ns;
    s.next_ns = Some(at + (overruns + 1) * s.interval_ns);
    overruns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periodic_timers_count_missed_periods_and_one_shots_disarm() {
        let mut s = Schedule {
            next_ns: Some(100),
            interval_ns: 10,
        };
        assert_eq!(advance(&mut s, 100, 100), 0);
        assert_eq!(s.next_ns, Some(110));
        assert_eq!(advance(&mut s, 110, 135), 2);
        assert_eq!(s.next_ns, Some(140));
        let mut once = Schedule {
            next_ns: Some(5),
            interval_ns: 0,
        };
        advance(&mut once, 5, 9);
        assert_eq!(once.next_ns, None);
    }

    #[derive(Default)]
    struct Record(Mutex<Vec<(TimerKey, u64)>>);
    impl TimerSink for Record {
        fn expired(&self, key: TimerKey, overruns: u64) {
            self.0.lock().push((key, overruns));
        }
    }

    #[test]
    fn the_timer_thread_fires_due_timers_in_key_order() {
        let clock: SharedClock = Arc::new(devices::HostClock::new());
        let sink = Arc::new(Record::default());
        let weak: Weak<dyn TimerSink> = Arc::downgrade(&(sink.clone() as Arc<dyn TimerSink>));
        let timers = Arc::new(Timers::new(clock.clone(), weak));
        let at = clock.now_ns() + 5_000_000;
        let once = |at| Schedule {
            next_ns: Some(at),
            interval_ns: 0,
        };
        timers.set(TimerKey::Posix(1), once(at));
        timers.set(TimerKey::RealItimer, once(at));
        while sink.0.lock().len() < 2 {
            clock.sleep_ns(1_000_000);
        }
        let fired = sink.0.lock().clone();
        assert_eq!(
            fired,
            vec![(TimerKey::RealItimer, 0), (TimerKey::Posix(1), 0)]
        );
        assert_eq!(timers.get(TimerKey::Posix(1)).next_ns, None);
    }
}
