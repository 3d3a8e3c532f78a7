//! The virtual clock's scheduler state: which task holds the baton, which are runnable
//! and when, the timers, and the virtual CPUs harts compete for.
//!
//! It is plain data driven by the clock under one lock; nothing here blocks or reads the
//! host's time. Times are picoseconds of virtual time. Ready tasks and timers are ordered
//! by (time, tie key), harts waiting for a CPU by (rank, tie key); the tie key is the
//! insertion sequence, or a seeded draw when the schedule is perturbed (`jitter.rs`), so
//! every choice repeats from run to run.

use super::jitter::Jitter;
use super::report::{StallReason, StallReport, TaskReport};
use super::weights::{weight, NICE_0_WEIGHT};
use crate::task::{SchedParams, SchedPolicy, SchedStats, TaskId, TaskKind, WaitNote};
use parking_lot::Condvar;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

/// The least a task runs before it must come back to the clock (1 µs): the quantum that
/// keeps harts at equal times from handing the baton back and forth per instruction.
pub(super) const MIN_QUANTUM_PS: u64 = 1_000_000;
/// How far past the next event a task may run before it yields (1 µs). Without it, harts
/// at nearly equal times that each do an atomic every few instructions would pass the
/// baton per atomic; with it, operations others can observe are in exact time order
/// except within this window, where the order is still the same every run.
pub(super) const LOOKAHEAD_PS: u64 = 1_000_000;
/// The most a task runs between two visits to the clock (100 µs).
pub(super) const MAX_QUANTUM_PS: u64 = 100_000_000;
/// A normal task's time slice when others wait for its CPU (EEVDF's base slice on an
/// 8-CPU machine).
const BASE_SLICE_PS: u64 = 3_000_000_000;
/// A `SCHED_RR` task's time slice (`RR_TIMESLICE`).
const RR_SLICE_PS: u64 = 100_000_000_000;
/// How far a waking normal task's virtual runtime must be behind the running one's to
/// preempt it (`sysctl_sched_wakeup_granularity`).
const WAKEUP_GRANULARITY_PS: u64 = 1_000_000_000;
/// How much virtual runtime a task that slept may be credited against the least one of
/// the runnable tasks (half of `sysctl_sched_latency`).
const SLEEPER_CREDIT_PS: u64 = 3_000_000_000;

/// The part of a task its own thread touches without the scheduler's lock.
#[derive(Debug, Default)]
pub(super) struct Slot {
    /// The task's virtual time; the running task advances it by charging.
    pub(super) time_ps: AtomicU64,
    /// Everything charged to the task: its CPU time.
    pub(super) run_ps: AtomicU64,
    /// While the task runs: the time up to which nothing else can happen, after which
    /// its next yield point must visit the scheduler.
    pub(super) horizon_ps: AtomicU64,
    /// While the task runs: the least it runs before its next yield point (the minimum
    /// quantum, drawn per dispatch when the schedule is perturbed).
    pub(super) quantum_ps: AtomicU64,
    /// Where the task's thread waits for the baton.
    pub(super) cv: Condvar,
}

/// Where a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Runnable (on a CPU, for harts), queued under this key.
    Ready((u64, u64, TaskId)),
    /// Holds the baton.
    Running,
    /// A runnable hart without a CPU since this time.
    WaitingCpu(u64),
    /// Waiting to be woken, with the key of its timer if it has one.
    Blocked(Option<(u64, u64, TaskId)>),
    /// Over.
    Done,
}

/// One task.
#[derive(Debug)]
pub(super) struct Task {
    pub(super) name: String,
    pub(super) kind: TaskKind,
    pub(super) slot: Arc<Slot>,
    state: State,
    params: SchedParams,
    /// Virtual runtime, in picoseconds weighted by the task's load weight.
    vruntime: u64,
    /// The part of `slot.run_ps` already added to `vruntime`.
    accounted_ps: u64,
    cpu: Option<usize>,
    /// While it waits for a CPU: its tie key among waiters of equal rank.
    wait_tie: u64,
    slice_end: u64,
    need_resched: bool,
    runnable_wait_ps: u64,
    switches: u64,
    preemptions: u64,
    note: Option<WaitNote>,
}

impl Task {
    fn time(&self) -> u64 {
        self.slot.time_ps.load(Relaxed)
    }

    fn set_time(&self, ps: u64) {
        self.slot.time_ps.store(ps, Relaxed);
    }

    fn is_hart(&self) -> bool {
        matches!(self.kind, TaskKind::Hart { .. })
    }

    fn tid(&self) -> Option<u32> {
        match self.kind {
            TaskKind::Hart { tid } => Some(tid),
            TaskKind::Daemon => None,
        }
    }

    fn slice(&self) -> u64 {
        match self.params.policy {
            SchedPolicy::Fifo => u64::MAX,
            SchedPolicy::RoundRobin => RR_SLICE_PS,
            _ => BASE_SLICE_PS,
        }
    }

    fn allows(&self, cpu: usize) -> bool {
        cpu >= 64 || self.params.affinity & 1 << cpu != 0
    }

    /// Orders tasks competing for a CPU: smaller goes first. Real-time tasks by priority,
    /// then normal ones by virtual runtime.
    fn rank(&self) -> (u8, u64) {
        if self.params.policy.is_realtime() {
            (0, u64::from(99u32.saturating_sub(self.params.rt_priority)))
        } else {
            (1, self.vruntime)
        }
    }
}

/// What the scheduler decided to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pick {
    /// Give the baton to this task.
    Run(TaskId),
    /// Nothing runs yet (the run has not started).
    Idle,
    /// The run cannot go on.
    Stall(StallReason),
}

/// The scheduler's whole state.
#[derive(Debug)]
pub(super) struct Sched {
    pub(super) tasks: Vec<Task>,
    /// The task holding the baton.
    pub(super) running: Option<TaskId>,
    /// Whether a hart has entered: before that nothing is dispatched, so that the
    /// daemons started while the run is set up wait for the guest.
    pub(super) started: bool,
    /// Whether the run stalled (reported once).
    pub(super) stalled: bool,
    /// The time of the last dispatch: the clock's time for threads that are no task.
    pub(super) now_ps: u64,
    ready: BTreeSet<(u64, u64, TaskId)>,
    timers: BTreeSet<(u64, u64, TaskId)>,
    /// The timers of daemons' periodic wake-ups while they have nothing to do: they do
    /// not keep a run whose harts all wait from being a deadlock.
    idle_timers: BTreeSet<(u64, u64, TaskId)>,
    /// Harts runnable without a CPU, in the order they began to wait.
    waiting: Vec<TaskId>,
    /// Each CPU's hart, when their number is limited.
    cpus: Option<Vec<Option<TaskId>>>,
    /// The tie keys and slice lengths: fixed, or drawn from the run's seed.
    jitter: Jitter,
    context_switch_ps: u64,
    max_time_ps: Option<u64>,
    by_tid: BTreeMap<u32, TaskId>,
}

impl Sched {
    /// An empty scheduler with `cpus` CPUs (None: one for each hart), its schedule
    /// perturbed by the scheduler stream `seed` if there is one.
    pub(super) fn new(
        cpus: Option<u32>,
        context_switch_ps: u64,
        max_time_ps: Option<u64>,
        seed: Option<u64>,
    ) -> Sched {
        Sched {
            tasks: Vec::new(),
            running: None,
            started: false,
            stalled: false,
            now_ps: 0,
            ready: BTreeSet::new(),
            timers: BTreeSet::new(),
            idle_timers: BTreeSet::new(),
            waiting: Vec::new(),
            cpus: cpus.map(|n| vec![None; usize::try_from(n).unwrap_or(1).max(1)]),
            jitter: Jitter::new(seed),
            context_switch_ps,
            max_time_ps,
            by_tid: BTreeMap::new(),
        }
    }

    fn task(&self, id: TaskId) -> &Task {
        &self.tasks[id.0 as usize]
    }

    fn task_mut(&mut self, id: TaskId) -> &mut Task {
        &mut self.tasks[id.0 as usize]
    }

    /// The end of a slice of task `id` that starts at `start`.
    fn slice_end(&mut self, id: TaskId, start: u64) -> u64 {
        let len = self.jitter.length(self.task(id).slice());
        start.saturating_add(len)
    }

    /// Adds hart `id` to the harts waiting for a CPU, with a tie key of its own.
    fn push_waiting(&mut self, id: TaskId) {
        self.task_mut(id).wait_tie = self.jitter.tie();
        self.waiting.push(id);
    }

    /// The task of guest thread `tid`, while it lives.
    pub(super) fn task_of_tid(&self, tid: u32) -> Option<TaskId> {
        self.by_tid.get(&tid).copied()
    }

    /// Adds a task runnable at `at`, inheriting `parent`'s scheduling parameters as a
    /// cloned thread does.
    pub(super) fn register(
        &mut self,
        name: &str,
        kind: TaskKind,
        at: u64,
        parent: Option<TaskId>,
    ) -> TaskId {
        let id = TaskId(u32::try_from(self.tasks.len()).expect("fewer than 2^32 tasks"));
        let params = parent.map_or_else(SchedParams::default, |p| self.task(p).params);
        let vruntime = self.min_vruntime(None);
        let slot = Arc::new(Slot::default());
        slot.time_ps.store(at, Relaxed);
        self.tasks.push(Task {
            name: name.to_string(),
            kind,
            slot,
            state: State::Blocked(None),
            params,
            vruntime,
            accounted_ps: 0,
            cpu: None,
            wait_tie: 0,
            slice_end: 0,
            need_resched: false,
            runnable_wait_ps: 0,
            switches: 0,
            preemptions: 0,
            note: None,
        });
        if let TaskKind::Hart { tid } = kind {
            self.by_tid.insert(tid, id);
        }
        self.make_runnable(id, at);
        id
    }

    /// The least virtual runtime of the runnable harts other than `except`.
    fn min_vruntime(&self, except: Option<TaskId>) -> u64 {
        self.tasks
            .iter()
            .enumerate()
            .filter(|(i, t)| {
                t.is_hart()
                    && except.is_none_or(|e| e.0 as usize != *i)
                    && !matches!(t.state, State::Blocked(_) | State::Done)
            })
            .map(|(_, t)| t.vruntime)
            .min()
            .unwrap_or(0)
    }

    /// Folds the CPU time charged since the last call into the task's virtual runtime.
    fn account(&mut self, id: TaskId) {
        let t = self.task_mut(id);
        let run = t.slot.run_ps.load(Relaxed);
        let delta = run - t.accounted_ps;
        t.accounted_ps = run;
        if !t.params.policy.is_realtime() {
            let scaled =
                u128::from(delta) * u128::from(NICE_0_WEIGHT) / u128::from(weight(&t.params));
            t.vruntime = t
                .vruntime
                .saturating_add(u64::try_from(scaled).unwrap_or(u64::MAX));
        }
    }

    fn insert_ready(&mut self, id: TaskId, time: u64) {
        let key = (time, self.jitter.tie(), id);
        self.ready.insert(key);
        let t = self.task_mut(id);
        t.set_time(time);
        t.state = State::Ready(key);
    }

    /// Makes a task runnable at `at` (or at its own time if later): a daemon at once, a
    /// hart on a free CPU, by preempting a lesser one, or in the CPU wait queue.
    fn make_runnable(&mut self, id: TaskId, at: u64) {
        let at = at.max(self.task(id).time());
        if self.task(id).is_hart() {
            let floor = self
                .min_vruntime(Some(id))
                .saturating_sub(SLEEPER_CREDIT_PS);
            let t = self.task_mut(id);
            t.vruntime = t.vruntime.max(floor);
        }
        let task = self.task(id);
        if !task.is_hart() {
            self.task_mut(id).switches += 1;
            self.insert_ready(id, at);
            return;
        }
        let Some(cpus) = &self.cpus else {
            let t = self.task_mut(id);
            t.switches += 1;
            let start = at + self.context_switch_ps;
            self.insert_ready(id, start);
            return;
        };
        let free: Vec<usize> = (0..cpus.len())
            .filter(|&c| cpus[c].is_none() && task.allows(c))
            .collect();
        self.task_mut(id).state = State::WaitingCpu(at);
        if !free.is_empty() {
            let cpu = free[self.jitter.choose(free.len())];
            self.grant_cpu(id, cpu, at);
            return;
        }
        self.push_waiting(id);
        self.preempt_for(id, at);
    }

    /// Whether waiting `w` should take the CPU of `cur` now.
    fn should_switch(&self, cur: TaskId, w: TaskId, slice_expired: bool) -> bool {
        let (c, w) = (self.task(cur), self.task(w));
        match (c.params.policy.is_realtime(), w.params.policy.is_realtime()) {
            (false, true) => true,
            (true, false) => false,
            (true, true) => {
                w.params.rt_priority > c.params.rt_priority
                    || w.params.rt_priority == c.params.rt_priority
                        && c.params.policy == SchedPolicy::RoundRobin
                        && slice_expired
            }
            (false, false) => {
                slice_expired && w.vruntime < c.vruntime
                    || w.vruntime.saturating_add(WAKEUP_GRANULARITY_PS) < c.vruntime
            }
        }
    }

    /// When hart `w` begins to wait for a CPU at `at`: takes the CPU of the least
    /// important hart it should preempt, if any (among equals, the one on the lowest
    /// CPU, or a drawn one).
    fn preempt_for(&mut self, w: TaskId, at: u64) {
        let Some(cpus) = &self.cpus else { return };
        let candidates: Vec<(usize, TaskId)> = (0..cpus.len())
            .filter_map(|c| cpus[c].map(|v| (c, v)))
            .filter(|&(c, v)| self.task(w).allows(c) && self.should_switch(v, w, false))
            .collect();
        let Some(least) = candidates.iter().map(|&(_, v)| self.task(v).rank()).max() else {
            return;
        };
        let tied: Vec<(usize, TaskId)> = candidates
            .into_iter()
            .filter(|&(_, v)| self.task(v).rank() == least)
            .collect();
        let (cpu, victim) = tied[self.jitter.choose(tied.len())];
        match self.task(victim).state {
            State::Running => {
                // It is the caller: it gives the CPU up at its next yield point.
                self.task_mut(victim).need_resched = true;
            }
            State::Ready(key) => {
                self.ready.remove(&key);
                let t = self.task_mut(victim);
                let since = t.time();
                t.state = State::WaitingCpu(since);
                t.cpu = None;
                t.preemptions += 1;
                self.push_waiting(victim);
                self.cpus.as_mut().expect("limited CPUs")[cpu] = None;
                self.waiting.retain(|&x| x != w);
                self.grant_cpu(w, cpu, at.max(since));
            }
            _ => unreachable!("a CPU's hart is ready or running"),
        }
    }

    /// Gives `cpu` to waiting hart `id` at `at`.
    fn grant_cpu(&mut self, id: TaskId, cpu: usize, at: u64) {
        self.cpus.as_mut().expect("limited CPUs")[cpu] = Some(id);
        let cs = self.context_switch_ps;
        let t = self.task_mut(id);
        let State::WaitingCpu(since) = t.state else {
            unreachable!("only a waiting hart gets a CPU")
        };
        let at = at.max(t.time());
        t.runnable_wait_ps += at.saturating_sub(since);
        t.switches += 1;
        t.cpu = Some(cpu);
        let start = at + cs;
        self.task_mut(id).slice_end = self.slice_end(id, start);
        self.insert_ready(id, start);
    }

    /// The waiting hart that should get `cpu` first: the best ranked, among equals the
    /// least tie key (without a seed, the one that began to wait first).
    fn best_waiter(&self, cpu: usize) -> Option<TaskId> {
        self.waiting
            .iter()
            .filter(|&&w| self.task(w).allows(cpu))
            .min_by_key(|&&w| (self.task(w).rank(), self.task(w).wait_tie))
            .copied()
    }

    /// Frees the CPU of hart `id` at `at`, handing it to the best waiter.
    fn release_cpu(&mut self, id: TaskId, at: u64) {
        let Some(cpu) = self.task_mut(id).cpu.take() else {
            return;
        };
        self.cpus.as_mut().expect("limited CPUs")[cpu] = None;
        if let Some(w) = self.best_waiter(cpu) {
            self.waiting.retain(|&x| x != w);
            self.grant_cpu(w, cpu, at);
        }
    }

    /// The running task reached a yield point at `at`: it goes back to the ready queue,
    /// or gives its CPU to a waiter whose turn it is (`forced`: sched_yield).
    pub(super) fn yield_running(&mut self, id: TaskId, forced: bool) {
        self.account(id);
        let at = self.task(id).time();
        self.running = None;
        let Some(cpu) = self.task(id).cpu else {
            self.insert_ready(id, at);
            return;
        };
        if !self.task(id).allows(cpu) {
            // Its affinity no longer allows this CPU: it moves.
            self.task_mut(id).state = State::Blocked(None);
            self.release_cpu(id, at);
            self.make_runnable(id, at);
            return;
        }
        let expired = at >= self.task(id).slice_end;
        if forced || expired || self.task(id).need_resched {
            self.task_mut(id).need_resched = false;
            if let Some(w) = self.best_waiter(cpu) {
                let yields = forced && self.task(w).rank().0 <= self.task(id).rank().0;
                if yields || self.should_switch(id, w, expired) {
                    let t = self.task_mut(id);
                    t.cpu = None;
                    if !forced {
                        t.preemptions += 1;
                    }
                    t.state = State::WaitingCpu(at);
                    self.waiting.retain(|&x| x != w);
                    self.push_waiting(id);
                    self.cpus.as_mut().expect("limited CPUs")[cpu] = None;
                    self.grant_cpu(w, cpu, at);
                    return;
                }
            }
            if expired {
                self.task_mut(id).slice_end = self.slice_end(id, at);
            }
        }
        self.insert_ready(id, at);
    }

    /// The running task waits, until woken or until `deadline` if it has one (`idle`:
    /// a daemon's periodic wake-up with nothing to do).
    pub(super) fn block_running(&mut self, id: TaskId, deadline: Option<u64>, idle: bool) {
        self.account(id);
        let at = self.task(id).time();
        self.running = None;
        let timer = deadline.map(|d| (d.max(at), self.jitter.tie(), id));
        if let Some(key) = timer {
            self.timers.insert(key);
            if idle {
                self.idle_timers.insert(key);
            }
        }
        self.task_mut(id).state = State::Blocked(timer);
        self.release_cpu(id, at);
    }

    /// Wakes blocked task `id` at `at` (ignored if it is not blocked: its wake-up token
    /// stays for its next wait).
    pub(super) fn wake(&mut self, id: TaskId, at: u64) {
        let State::Blocked(timer) = self.task(id).state else {
            return;
        };
        if let Some(key) = timer {
            self.remove_timer(&key);
        }
        self.task_mut(id).note = None;
        self.make_runnable(id, at);
    }

    fn remove_timer(&mut self, key: &(u64, u64, TaskId)) {
        self.timers.remove(key);
        self.idle_timers.remove(key);
    }

    /// Ends task `id` (running, or registered but never started).
    pub(super) fn finish(&mut self, id: TaskId) {
        if self.running == Some(id) {
            self.account(id);
            self.running = None;
        }
        let at = self.task(id).time();
        match self.task(id).state {
            State::Ready(key) => {
                self.ready.remove(&key);
            }
            State::Blocked(Some(key)) => self.remove_timer(&key),
            State::WaitingCpu(_) => self.waiting.retain(|&x| x != id),
            _ => {}
        }
        self.release_cpu(id, at);
        self.task_mut(id).state = State::Done;
        if let Some(tid) = self.task(id).tid() {
            if self.by_tid.get(&tid) == Some(&id) {
                self.by_tid.remove(&tid);
            }
        }
    }

    /// Chooses the next task to run: the earliest of the ready tasks and the timers
    /// (a timer that fires makes its task runnable, and the choice is made again).
    pub(super) fn pick(&mut self) -> Pick {
        if !self.started {
            return Pick::Idle;
        }
        loop {
            let ready = self.ready.first().copied();
            let timer = self.timers.first().copied();
            if ready.is_none() && self.timers.len() == self.idle_timers.len() {
                // Nothing but idle daemons can run: harts that still live wait for
                // each other or for nothing.
                let harts_live = self
                    .tasks
                    .iter()
                    .any(|t| t.is_hart() && t.state != State::Done);
                if harts_live {
                    return Pick::Stall(StallReason::Deadlock);
                }
                if timer.is_none() {
                    return Pick::Idle;
                }
            }
            let next = match (ready, timer) {
                (None, None) => return Pick::Idle,
                (Some(r), Some(t)) if t < r => Err(t),
                (Some(r), _) => Ok(r),
                (None, Some(t)) => Err(t),
            };
            match next {
                Err(key) => {
                    let (at, _, id) = key;
                    if self.max_time_ps.is_some_and(|max| at > max) {
                        return Pick::Stall(StallReason::MaxTime);
                    }
                    self.remove_timer(&key);
                    self.task_mut(id).state = State::Blocked(None);
                    self.task_mut(id).note = None;
                    self.make_runnable(id, at);
                }
                Ok(key) => {
                    let (at, _, id) = key;
                    if self.max_time_ps.is_some_and(|max| at > max) {
                        return Pick::Stall(StallReason::MaxTime);
                    }
                    self.ready.remove(&key);
                    let quantum = self.jitter.length(MIN_QUANTUM_PS);
                    let t = self.task_mut(id);
                    t.slot.quantum_ps.store(quantum, Relaxed);
                    t.state = State::Running;
                    self.running = Some(id);
                    self.now_ps = self.now_ps.max(at);
                    self.refresh_horizon();
                    return Pick::Run(id);
                }
            }
        }
    }

    /// Recomputes the running task's horizon: the earliest time anything else can
    /// happen, after which it must come back at its next yield point.
    pub(super) fn refresh_horizon(&self) {
        let Some(id) = self.running else { return };
        let t = self.task(id);
        let mut h = u64::MAX;
        if let Some(&(at, _, _)) = self.ready.first() {
            h = h.min(at.saturating_add(LOOKAHEAD_PS));
        }
        if let Some(&(at, _, _)) = self.timers.first() {
            h = h.min(at.saturating_add(LOOKAHEAD_PS));
        }
        if let Some(cpu) = t.cpu {
            if self.waiting.iter().any(|&w| self.task(w).allows(cpu)) {
                h = h.min(t.slice_end);
            }
        }
        if let Some(max) = self.max_time_ps {
            h = h.min(max.saturating_add(1));
        }
        if t.need_resched {
            h = 0;
        }
        t.slot.horizon_ps.store(h, Relaxed);
    }

    /// Whether the running task passed the run's time limit.
    pub(super) fn past_max_time(&self, id: TaskId) -> bool {
        self.max_time_ps
            .is_some_and(|max| self.task(id).time() > max)
    }

    /// Sets `id`'s scheduling parameters; a change may make another hart's turn come.
    pub(super) fn set_params(&mut self, id: TaskId, params: SchedParams) {
        self.account(id);
        self.task_mut(id).params = params;
        if let Some(running) = self.running {
            if !self.waiting.is_empty() && self.task(running).cpu.is_some() {
                self.task_mut(running).need_resched = true;
            }
        }
        if let State::WaitingCpu(since) = self.task(id).state {
            self.preempt_for(id, since);
        }
    }

    /// Notes what `id` is about to wait for.
    pub(super) fn note_wait(&mut self, id: TaskId, note: WaitNote) {
        self.task_mut(id).note = Some(note);
    }

    /// What the scheduler measured of `id`, in nanoseconds.
    pub(super) fn stats(&self, id: TaskId) -> SchedStats {
        let t = self.task(id);
        SchedStats {
            run_ns: t.slot.run_ps.load(Relaxed) / 1000,
            runnable_wait_ns: t.runnable_wait_ps / 1000,
            switches: t.switches,
            preemptions: t.preemptions,
        }
    }

    /// The report of a run that stopped for `reason`.
    pub(super) fn report(&self, reason: StallReason) -> StallReport {
        let tasks = self
            .tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.state != State::Done)
            .map(|(i, t)| TaskReport {
                id: TaskId(u32::try_from(i).unwrap_or(u32::MAX)),
                name: t.name.clone(),
                tid: t.tid(),
                state: match t.state {
                    State::Running => "running".into(),
                    State::Ready(_) => "runnable".into(),
                    State::WaitingCpu(_) => "waiting for a CPU".into(),
                    State::Blocked(Some((at, _, _))) => {
                        format!(
                            "waiting until {}.{:09}s",
                            at / 1_000_000_000_000,
                            at / 1000 % 1_000_000_000
                        )
                    }
                    State::Blocked(None) => "waiting".into(),
                    State::Done => unreachable!("filtered out"),
                },
                wait: t.note.clone(),
            })
            .collect();
        let now = self
            .running
            .map_or(self.now_ps, |id| self.task(id).time().max(self.now_ps));
        StallReport::new(reason, now / 1000, tasks)
    }
}
