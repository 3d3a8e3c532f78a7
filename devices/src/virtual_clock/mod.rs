//! The virtual clock: deterministic discrete-event time.
//!
//! Tasks (guest threads and the daemons) are still host threads, but exactly one holds
//! the baton and runs at a time. Each task has its own virtual time, advanced by what it
//! charges under the cost model; the runnable task with the smallest time runs next,
//! ties broken by the order in which tasks became runnable (by seeded draws when the
//! run's seed perturbs the schedule: `jitter.rs`). A task hands the baton on at
//! a yield point once its time passes its horizon (the earliest time anything else can
//! happen), and whenever it waits. Waits with a deadline are timers in the same order;
//! when every task waits, time jumps to the next timer; when every task waits and no
//! timer is pending, the run is deadlocked and the stall handler gets the report.
//!
//! Harts compete for `--cpus` virtual CPUs (by default one each): real-time tasks
//! preempt normal ones at once, normal ones share by Linux's nice weights in time slices
//! (the scheduler state lives in `sched.rs`).

mod jitter;
mod report;
mod sched;
mod weights;

#[cfg(test)]
mod tests;

pub use report::{StallReason, StallReport, TaskReport};

use crate::clock::Clock;
use crate::cost::{Cost, CostModel};
use crate::park::{Parker, WakeHook};
use crate::task::{Budget, SchedParams, SchedStats, TaskId, TaskKind, TaskTicket, WaitNote};
use parking_lot::{Mutex, MutexGuard};
use sched::{Pick, Sched, Slot, MAX_QUANTUM_PS};
use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

/// What a virtual run is configured with.
#[derive(Debug, Clone, Default)]
pub struct VirtualConfig {
    /// The cost of each kind of work.
    pub costs: CostModel,
    /// Virtual CPUs the harts share; `None`: as many as there are harts.
    pub cpus: Option<u32>,
    /// `CLOCK_REALTIME` at virtual time 0, in nanoseconds since the Unix epoch.
    pub epoch_ns: u64,
    /// Virtual time after which the run stops with a report.
    pub max_time_ns: Option<u64>,
    /// The seed of the scheduler's own stream, which perturbs the schedule: slice
    /// lengths, the minimum quantum and the order of ties are drawn from it. `None` (a
    /// run's seed 0): the fixed schedule.
    pub seed: Option<u64>,
}

/// What is called with the report when a virtual run cannot go on. It normally ends the
/// process; if it returns, every task stays blocked.
pub type StallHandler = Box<dyn Fn(&StallReport) + Send + Sync>;

/// The deterministic clock (see the module documentation).
pub struct VirtualClock {
    inner: Arc<Inner>,
}

/// The shared part, which parkers call back into when they are unparked.
struct Inner {
    costs: CostModel,
    epoch_ns: u64,
    sched: Mutex<Sched>,
    stall: Mutex<Option<Arc<StallHandler>>>,
}

/// The task the current host thread is, and of which clock.
struct Current {
    clock: usize,
    id: TaskId,
    slot: Arc<Slot>,
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

impl fmt::Debug for VirtualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualClock")
            .field("epoch_ns", &self.inner.epoch_ns)
            .finish_non_exhaustive()
    }
}

impl VirtualClock {
    /// A virtual clock at time 0. Tasks registered before the first hart enters wait
    /// for it, so the daemons started while a run is set up begin with the guest.
    pub fn new(config: VirtualConfig) -> Arc<VirtualClock> {
        let context_switch = config.costs.ps(Cost::ContextSwitch);
        let max_time_ps = config.max_time_ns.map(|ns| ns.saturating_mul(1000));
        Arc::new(VirtualClock {
            inner: Arc::new(Inner {
                costs: config.costs,
                epoch_ns: config.epoch_ns,
                sched: Mutex::new(Sched::new(
                    config.cpus,
                    context_switch,
                    max_time_ps,
                    config.seed,
                )),
                stall: Mutex::new(None),
            }),
        })
    }

    /// Sets what is called when the run deadlocks or passes its time limit.
    pub fn set_stall_handler(&self, handler: StallHandler) {
        *self.inner.stall.lock() = Some(Arc::new(handler));
    }
}

impl Inner {
    fn key(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// Calls `f` with the calling thread's task and slot, if it is a task of this clock.
    fn with_current<R>(&self, f: impl FnOnce(TaskId, &Slot) -> R) -> Option<R> {
        CURRENT.with(|c| match &*c.borrow() {
            Some(cur) if cur.clock == self.key() => Some(f(cur.id, &cur.slot)),
            _ => None,
        })
    }

    /// The calling thread's time: its task's, or the last dispatch's.
    fn now_ps(&self) -> u64 {
        self.with_current(|_, slot| slot.time_ps.load(Relaxed))
            .unwrap_or_else(|| self.sched.lock().now_ps)
    }

    /// Dispatches the next task if none holds the baton, then, for a task `me` that
    /// gave the baton up, waits until it is handed back.
    fn switch(&self, s: &mut MutexGuard<'_, Sched>, me: Option<TaskId>) {
        while s.running.is_none() {
            match s.pick() {
                Pick::Run(id) => {
                    if Some(id) != me {
                        s.tasks[id.0 as usize].slot.cv.notify_one();
                    }
                }
                Pick::Idle => break,
                Pick::Stall(reason) => {
                    self.stall(s, reason);
                    break;
                }
            }
        }
        if let Some(me) = me {
            let slot = s.tasks[me.0 as usize].slot.clone();
            while s.running != Some(me) {
                slot.cv.wait(s);
            }
        }
    }

    /// Hands the report of a run that cannot go on to the stall handler, once, with the
    /// scheduler unlocked so that the handler can read the counters.
    fn stall(&self, s: &mut MutexGuard<'_, Sched>, reason: StallReason) {
        if std::mem::replace(&mut s.stalled, true) {
            return;
        }
        let report = s.report(reason);
        let handler = self.stall.lock().clone();
        MutexGuard::unlocked(s, || match handler {
            Some(h) => h(&report),
            None => eprint!("{report}"),
        });
    }

    /// The calling task waits on `parker` (if any) until woken or until `deadline_ps`;
    /// returns whether it was woken.
    fn block(
        self: &Arc<Self>,
        id: TaskId,
        parker: Option<&Parker>,
        deadline_ps: Option<u64>,
        idle: bool,
    ) -> bool {
        let mut s = self.sched.lock();
        if let Some(p) = parker {
            if p.arm(self.clone(), id) {
                return true;
            }
        }
        s.block_running(id, deadline_ps, idle);
        self.switch(&mut s, Some(id));
        drop(s);
        parker.is_some_and(Parker::disarm)
    }

    /// The calling task gives the baton up at a yield point (`forced`: sched_yield).
    fn reschedule(&self, id: TaskId, forced: bool) {
        let mut s = self.sched.lock();
        if s.past_max_time(id) {
            self.stall(&mut s, StallReason::MaxTime);
        }
        s.yield_running(id, forced);
        self.switch(&mut s, Some(id));
    }
}

impl WakeHook for Inner {
    fn wake(&self, task: TaskId) {
        let at = self.with_current(|_, slot| slot.time_ps.load(Relaxed));
        let mut s = self.sched.lock();
        let at = at.unwrap_or(s.now_ps);
        s.wake(task, at);
        s.refresh_horizon();
        self.switch(&mut s, None);
    }
}

impl VirtualClock {
    /// `park_until`, for an idle daemon's periodic wake-up if `idle`.
    fn park_until_as(&self, parker: &Parker, deadline_ns: u64, idle: bool) -> bool {
        match self.inner.with_current(|id, _| id) {
            Some(id) => {
                let deadline = deadline_ns.saturating_mul(1000);
                self.inner.block(id, Some(parker), Some(deadline), idle)
            }
            None => parker.park_for_ns(deadline_ns.saturating_sub(self.now_ns())),
        }
    }
}

impl Clock for VirtualClock {
    fn now_ns(&self) -> u64 {
        self.inner.now_ps() / 1000
    }

    fn realtime_ns(&self) -> u64 {
        self.inner.epoch_ns.saturating_add(self.now_ns())
    }

    fn sleep_ns(&self, ns: u64) {
        let me = self
            .inner
            .with_current(|id, slot| (id, slot.time_ps.load(Relaxed)));
        match me {
            Some((id, now)) => {
                let deadline = now.saturating_add(ns.saturating_mul(1000));
                self.inner.block(id, None, Some(deadline), false);
            }
            // A thread outside the run (a test's) waits on the host.
            None => {
                Parker::new().park_for_ns(ns);
            }
        }
    }

    fn park(&self, parker: &Parker) {
        match self.inner.with_current(|id, _| id) {
            Some(id) => {
                self.inner.block(id, Some(parker), None, false);
            }
            None => parker.park(),
        }
    }

    fn park_until(&self, parker: &Parker, deadline_ns: u64) -> bool {
        self.park_until_as(parker, deadline_ns, false)
    }

    fn park_idle_until(&self, parker: &Parker, deadline_ns: u64) -> bool {
        self.park_until_as(parker, deadline_ns, true)
    }

    fn park_forever(&self) -> ! {
        self.exit_task();
        let never = Parker::new();
        loop {
            never.park();
        }
    }

    fn is_virtual(&self) -> bool {
        true
    }

    fn register_task(&self, name: &str, kind: TaskKind) -> TaskTicket {
        let caller = self
            .inner
            .with_current(|id, slot| (id, slot.time_ps.load(Relaxed)));
        let mut s = self.inner.sched.lock();
        let (parent, at) = match caller {
            Some((id, at)) => (
                Some(id).filter(|_| matches!(kind, TaskKind::Hart { .. })),
                at,
            ),
            None => (None, s.now_ps),
        };
        let id = s.register(name, kind, at, parent);
        s.refresh_horizon();
        TaskTicket { id: Some(id) }
    }

    fn enter_task(&self, ticket: TaskTicket) {
        let Some(id) = ticket.id else { return };
        let mut s = self.inner.sched.lock();
        let slot = s.tasks[id.0 as usize].slot.clone();
        if matches!(s.tasks[id.0 as usize].kind, TaskKind::Hart { .. }) {
            s.started = true;
        }
        CURRENT.with(|c| {
            *c.borrow_mut() = Some(Current {
                clock: self.inner.key(),
                id,
                slot,
            });
        });
        self.inner.switch(&mut s, Some(id));
    }

    fn cancel_task(&self, id: Option<TaskId>) {
        let Some(id) = id else { return };
        let mut s = self.inner.sched.lock();
        s.finish(id);
        s.refresh_horizon();
        self.inner.switch(&mut s, None);
    }

    fn exit_task(&self) {
        let Some(id) = self.inner.with_current(|id, _| id) else {
            return;
        };
        CURRENT.with(|c| *c.borrow_mut() = None);
        let mut s = self.inner.sched.lock();
        s.finish(id);
        self.inner.switch(&mut s, None);
    }

    fn current_task(&self) -> Option<TaskId> {
        self.inner.with_current(|id, _| id)
    }

    fn task_of_tid(&self, tid: u32) -> Option<TaskId> {
        self.inner.sched.lock().task_of_tid(tid)
    }

    #[inline]
    fn charge(&self, cost: Cost, count: u64) {
        let ps = self.inner.costs.ps(cost).saturating_mul(count);
        self.inner.with_current(|_, slot| {
            slot.time_ps.fetch_add(ps, Relaxed);
            slot.run_ps.fetch_add(ps, Relaxed);
        });
    }

    fn cost_ps(&self, cost: Cost) -> u64 {
        self.inner.costs.ps(cost)
    }

    fn yield_point(&self) {
        let due = self.inner.with_current(|id, slot| {
            (slot.time_ps.load(Relaxed) > slot.horizon_ps.load(Relaxed)).then_some(id)
        });
        if let Some(Some(id)) = due {
            self.inner.reschedule(id, false);
        }
    }

    fn budget(&self) -> Budget {
        self.inner
            .with_current(|_, slot| {
                let ahead = slot
                    .horizon_ps
                    .load(Relaxed)
                    .saturating_sub(slot.time_ps.load(Relaxed));
                let quantum = slot.quantum_ps.load(Relaxed);
                Budget {
                    run_ns: ahead.clamp(quantum, MAX_QUANTUM_PS) / 1000,
                    exact_ns: ahead / 1000,
                }
            })
            .unwrap_or(Budget::UNLIMITED)
    }

    fn yield_cpu(&self) {
        if let Some(id) = self.inner.with_current(|id, _| id) {
            self.inner.reschedule(id, true);
        }
    }

    fn set_sched_params(&self, task: TaskId, params: SchedParams) {
        let mut s = self.inner.sched.lock();
        s.set_params(task, params);
        s.refresh_horizon();
    }

    fn sched_stats(&self, task: TaskId) -> Option<SchedStats> {
        Some(self.inner.sched.lock().stats(task))
    }

    fn note_wait(&self, note: WaitNote) {
        if let Some(id) = self.inner.with_current(|id, _| id) {
            self.inner.sched.lock().note_wait(id, note);
        }
    }
}
