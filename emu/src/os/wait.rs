//! The one interruptible wait every blocking system call makes: until what it waits for
//! is ready, a signal the thread does not block arrives, or a deadline on the run's
//! clock passes. Whoever makes the thing ready unparks the thread's parker (a futex
//! wake, a timer, a write to an eventfd); a signal sender does the same
//! ([`ThreadSignals::kick`]). Host descriptors, whose readiness nobody here is told of,
//! are polled without waiting each time the wait wakes, and the wait wakes every
//! `poll_every_ns` of the run's clock while it has such descriptors: a virtual clock
//! that drives the harts advances past those wake-ups like any other deadline. Under
//! the virtual clock a wait first tells the clock what it waits for
//! ([`Waiter::named`], [`Waiter::described`]), for the report of a run whose every thread
//! waits.

use super::signal_state::SignalState;
use super::thread_signals::ThreadSignals;
use devices::{Clock, WaitNote};

/// How an interruptible wait ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WaitEnd<T> {
    /// What it waited for, as `ready` returned it.
    Ready(T),
    /// A signal the thread does not block is pending.
    Interrupted,
    /// The deadline passed.
    TimedOut,
}

/// When an interruptible wait gives up and how often it looks again unasked.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct WaitLimits {
    /// The run clock's time at which the wait times out; None waits for ever.
    pub deadline_ns: Option<u64>,
    /// Look at `ready` again after this long even if nobody unparked the thread (for
    /// host descriptors); None waits to be unparked.
    pub poll_every_ns: Option<u64>,
}

/// What a wait waits for, as the clock's report of a run whose every thread waits
/// names it. Built only when the clock asks for it (under the virtual clock).
#[derive(Clone, Copy)]
pub(crate) enum WaitWhat<'a> {
    /// The caller did not say.
    Unnamed,
    /// A fixed name: `nanosleep`, `poll`.
    Named(&'static str),
    /// A note built when needed: `read on fd 3`, a futex and its likely holder.
    Described(&'a dyn Fn() -> WaitNote),
}

impl WaitWhat<'_> {
    /// The note for the clock.
    fn note(&self) -> WaitNote {
        let named = |what: &str| WaitNote {
            what: what.to_string(),
            holders: Vec::new(),
        };
        match self {
            WaitWhat::Unnamed => named("a blocking system call"),
            WaitWhat::Named(what) => named(what),
            WaitWhat::Described(f) => f(),
        }
    }
}

/// The thread and process whose signals end a wait, and the clock it waits on.
#[derive(Clone, Copy)]
pub(crate) struct Waiter<'a> {
    /// The run's clock.
    pub clock: &'a dyn Clock,
    /// The waiting thread's signal state; its parker is what wakers unpark.
    pub me: &'a ThreadSignals,
    /// The process's signal state (its shared pending set).
    pub signals: &'a SignalState,
    /// What it waits for.
    pub what: WaitWhat<'a>,
}

impl<'a> Waiter<'a> {
    /// The same wait, named `what` for the clock's report.
    pub(crate) fn named(self, what: &'static str) -> Waiter<'a> {
        Waiter {
            what: WaitWhat::Named(what),
            ..self
        }
    }

    /// The same wait, described by the note `describe` builds when the clock asks.
    pub(crate) fn described(self, describe: &'a dyn Fn() -> WaitNote) -> Waiter<'a> {
        Waiter {
            what: WaitWhat::Described(describe),
            ..self
        }
    }

    /// Waits until `ready` returns something, a signal interrupts, or the limits say
    /// stop. `ready` is asked first, so a wait whose condition already holds never parks
    /// and a pending signal does not hide a ready result.
    pub(crate) fn wait<T>(
        &self,
        limits: WaitLimits,
        mut ready: impl FnMut() -> Option<T>,
    ) -> WaitEnd<T> {
        loop {
            if let Some(v) = ready() {
                return WaitEnd::Ready(v);
            }
            if self.me.signal_pending(self.signals) {
                return WaitEnd::Interrupted;
            }
            let now = self.clock.now_ns();
            if limits.deadline_ns.is_some_and(|d| now >= d) {
                return WaitEnd::TimedOut;
            }
            let poll_at = limits.poll_every_ns.map(|p| now.saturating_add(p));
            let until = match (limits.deadline_ns, poll_at) {
                (Some(d), Some(p)) => Some(d.min(p)),
                (d, p) => d.or(p),
            };
            if self.clock.is_virtual() {
                self.clock.note_wait(self.what.note());
            }
            match until {
                None => self.clock.park(self.me.parker()),
                Some(t) => {
                    self.clock.park_until(self.me.parker(), t);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::siginfo::{code, SigInfo};
    use devices::HostClock;
    use mmu::HartSignal;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    fn fixture() -> (HostClock, Arc<ThreadSignals>, SignalState) {
        let me = ThreadSignals::new(7, Arc::new(HartSignal::default()), 0);
        (HostClock::new(), Arc::new(me), SignalState::default())
    }

    #[test]
    fn ready_wins_then_signals_then_the_deadline() {
        let (clock, me, signals) = fixture();
        let w = Waiter {
            clock: &clock,
            me: &me,
            signals: &signals,
            what: WaitWhat::Unnamed,
        };
        let limits = WaitLimits {
            deadline_ns: Some(0),
            poll_every_ns: None,
        };
        assert_eq!(w.wait(limits, || Some(3)), WaitEnd::Ready(3));
        assert_eq!(w.wait(limits, || None::<()>), WaitEnd::TimedOut);
        me.queue(SigInfo::sent(10, code::SI_TKILL, 1, 0));
        assert_eq!(w.wait(limits, || None::<()>), WaitEnd::Interrupted);
    }

    #[test]
    fn a_signal_from_another_thread_ends_an_unbounded_wait() {
        let (clock, me, signals) = fixture();
        let sender = me.clone();
        let t = std::thread::spawn(move || {
            HostClock::new().sleep_ns(20_000_000);
            sender.queue(SigInfo::sent(12, code::SI_TKILL, 1, 0));
        });
        let w = Waiter {
            clock: &clock,
            me: &me,
            signals: &signals,
            what: WaitWhat::Unnamed,
        };
        assert_eq!(
            w.wait(WaitLimits::default(), || None::<()>),
            WaitEnd::Interrupted
        );
        t.join().unwrap();
    }

    #[test]
    fn polling_looks_again_without_being_woken() {
        let (clock, me, signals) = fixture();
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        let t = std::thread::spawn(move || {
            HostClock::new().sleep_ns(20_000_000);
            f.store(true, Ordering::SeqCst);
        });
        let w = Waiter {
            clock: &clock,
            me: &me,
            signals: &signals,
            what: WaitWhat::Unnamed,
        };
        let limits = WaitLimits {
            deadline_ns: None,
            poll_every_ns: Some(1_000_000),
        };
        let end = w.wait(limits, || flag.load(Ordering::SeqCst).then_some(()));
        assert_eq!(end, WaitEnd::Ready(()));
        t.join().unwrap();
    }
}
