//! A guest process: its address space, files, threads and the way it ends.

use super::cached_files;
use super::files::Files;
use super::futex_table::FutexTable;
use super::guest_clocks::{GuestClocks, ProcessSched};
use super::machine::Machine;
use super::posix_timers::PosixTimers;
use super::priorities::SchedTable;
use super::proc_table::{add_counters, Counters, ExitHow, ProcTable};
use super::random::RandomSource;
use super::signal_fds::SignalFds;
use super::signal_state::SignalState;
use super::thread_names::ThreadNames;
use super::thread_prio::PrioRule;
use super::thread_signals::ThreadSignals;
use super::timer_fds::TimerFds;
use super::timers::{TimerSink, Timers};
use devices::trace::{Recorder, TraceSummary};
use devices::{Parker, SchedStats};
use mmu::{AddressSpace, FaultBacking, FaultPolicy, HartSignal};
use parking_lot::Mutex;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

/// How the guest was started, as the system calls need to know it.
#[derive(Clone, Debug)]
pub(crate) struct RunOptions {
    /// Print each system call with its arguments and result on stderr.
    pub strace: bool,
    /// Where to write the JSON statistics at exit.
    pub stats: Option<PathBuf>,
    /// Where `getrandom(2)` draws its bytes from.
    pub getrandom: Arc<RandomSource>,
    /// What the guest is told of its machine.
    pub machine: Machine,
    /// The run's trace recorder, with `--trace`.
    pub trace: Option<Recorder>,
    /// `--thread-prio`: priorities by thread name, for threads that set none.
    pub thread_prio: Vec<PrioRule>,
    /// How many `--inject` the run was given (`inject.fired` is counted when any).
    pub injections: usize,
}

/// Emulator request bit (a bit number, as `HartSignal::raise` takes it) raised on every
/// hart when the process is going away.
pub(crate) const REQ_EXIT: u32 = 0;

/// What a hart publishes for the statistics, read by whichever thread ends the process.
#[derive(Debug, Default)]
pub(crate) struct HartLive {
    /// Instructions retired, as of the hart's last system call or stop.
    instructions: AtomicU64,
    /// Whether the hart is outside guest code (in a system call, blocked or stopped), so
    /// its published count is final for as long as it stays there.
    settled: AtomicBool,
    /// What the clock's scheduler measured of the thread, kept when it ended (its task
    /// is gone from the clock then); None while it lives or if the clock does not
    /// schedule.
    final_sched: Mutex<Option<SchedStats>>,
}

impl HartLive {
    /// Publishes the retired-instruction count and marks the hart outside guest code.
    pub(crate) fn settle(&self, instructions: u64) {
        self.instructions.store(instructions, Ordering::Relaxed);
        self.settled.store(true, Ordering::Release);
    }

    /// Marks the hart as running guest code again.
    pub(crate) fn unsettle(&self) {
        self.settled.store(false, Ordering::Relaxed);
    }
}

/// How long process exit waits for harts in guest code to stop and publish their counts,
/// in nanoseconds of the run's clock.
const EXIT_SETTLE_TIMEOUT_NS: u64 = 200_000_000;
/// How often process exit looks again whether the harts have stopped, in nanoseconds of
/// the run's clock.
const EXIT_SETTLE_POLL_NS: u64 = 20_000;

/// The shared state of one guest process (all its threads).
pub(crate) struct Process {
    /// The address space the harts share.
    pub mm: Arc<AddressSpace>,
    /// The fd table, working directory and root (shared with the processes a clone
    /// with CLONE_FILES made).
    pub files: Arc<Files>,
    /// Start-up options.
    pub opts: RunOptions,
    /// The process id the guest sees.
    pub pid: u32,
    /// The run's processes: this one's relations to the others.
    pub table: Arc<ProcTable<Process>>,
    /// Futex wait queues.
    pub futexes: FutexTable,
    /// Signal dispositions.
    pub signals: SignalState,
    /// The guest's clocks, read from the run's clock.
    pub clocks: GuestClocks,
    /// Every timer's schedule, and the thread that fires them.
    pub timers: Arc<Timers>,
    /// The POSIX timers (timer_create).
    pub posix_timers: PosixTimers,
    /// The timerfds.
    pub timer_fds: TimerFds,
    /// The signalfds.
    pub signal_fds: SignalFds,
    /// Every thread's scheduling parameters, as the scheduling calls set them.
    pub sched: SchedTable,
    /// Live threads: tid → its signal state, which also interrupts its hart.
    threads: Mutex<BTreeMap<u32, Arc<ThreadSignals>>>,
    /// Live threads' names.
    pub names: ThreadNames,
    /// Timed injections performed so far.
    pub injections_fired: AtomicU64,
    /// Every hart that ever ran, live or ended, with what it published.
    harts: Mutex<BTreeMap<u32, Arc<HartLive>>>,
    warned: Mutex<HashSet<u64>>,
    /// Whether this image is over: the process ends, or an execve replaced it.
    exiting: Mutex<bool>,
    /// What the trace holds, once it is finished.
    trace_summary: Mutex<Option<TraceSummary>>,
}

impl Process {
    /// Process `pid` of `table` (or a new image of it), with no threads yet.
    pub(crate) fn new(
        mm: Arc<AddressSpace>,
        files: Arc<Files>,
        signals: SignalState,
        opts: RunOptions,
        pid: u32,
        table: Arc<ProcTable<Process>>,
    ) -> Arc<Process> {
        Arc::new_cyclic(|me: &Weak<Process>| Process {
            clocks: GuestClocks::new(mm.clock().clone(), me.clone() as Weak<dyn ProcessSched>),
            timers: Arc::new(Timers::new(
                mm.clock().clone(),
                me.clone() as Weak<dyn TimerSink>,
            )),
            posix_timers: PosixTimers::default(),
            timer_fds: TimerFds::default(),
            signal_fds: SignalFds::default(),
            sched: SchedTable::default(),
            mm,
            files,
            opts,
            pid,
            table,
            futexes: FutexTable::default(),
            signals,
            threads: Mutex::new(BTreeMap::new()),
            names: ThreadNames::default(),
            injections_fired: AtomicU64::new(0),
            harts: Mutex::new(BTreeMap::new()),
            warned: Mutex::new(HashSet::new()),
            exiting: Mutex::new(false),
            trace_summary: Mutex::new(None),
        })
    }

    /// Finishes the run's trace, if it records one (the first call does; later ones find
    /// it done). Fails if the trace could not be written.
    pub(crate) fn finish_trace(&self) -> std::io::Result<()> {
        let Some(recorder) = &self.opts.trace else {
            return Ok(());
        };
        let mut summary = self.trace_summary.lock();
        if summary.is_none() {
            *summary = Some(recorder.finish()?);
        }
        Ok(())
    }

    /// The number of CPUs the guest sees.
    pub(crate) fn cpus(&self) -> usize {
        usize::try_from(self.opts.machine.cpus).unwrap_or(usize::MAX)
    }

    /// Allocates a thread id (the first one is the pid).
    pub(crate) fn alloc_tid(&self) -> u32 {
        self.table.alloc_id()
    }

    /// Whether this is the run's initial process, whose end ends the run.
    pub(crate) fn is_initial(&self) -> bool {
        self.pid == self.table.initial()
    }

    /// Records a live thread called `name` whose hart `hart` interrupts, starting with
    /// `blocked` signals blocked; returns where its hart publishes its counts and its
    /// signal state.
    pub(crate) fn add_thread(
        &self,
        tid: u32,
        name: &str,
        hart: Arc<HartSignal>,
        blocked: u64,
    ) -> (Arc<HartLive>, Arc<ThreadSignals>) {
        self.names.set(tid, name);
        self.table.add_hart(self.pid, tid);
        let sig = Arc::new(ThreadSignals::new(tid, hart, blocked));
        self.threads.lock().insert(tid, sig.clone());
        let live = Arc::new(HartLive::default());
        self.harts.lock().insert(tid, live.clone());
        (live, sig)
    }

    /// The signal state of live thread `tid`.
    pub(crate) fn thread(&self, tid: u32) -> Option<Arc<ThreadSignals>> {
        self.threads.lock().get(&tid).cloned()
    }

    /// The signal state of every live thread, in thread-id order.
    pub(crate) fn live_threads(&self) -> Vec<Arc<ThreadSignals>> {
        self.threads.lock().values().cloned().collect()
    }

    /// Removes a thread that ended (its published counts stay, and what the clock's
    /// scheduler measured of it); returns how many remain.
    pub(crate) fn remove_thread(&self, tid: u32) -> usize {
        let stats = self.sched_stats_of_live(tid);
        if let Some(h) = self.harts.lock().get(&tid) {
            *h.final_sched.lock() = stats;
        }
        self.sched.remove(tid);
        self.names.remove(tid);
        let mut t = self.threads.lock();
        t.remove(&tid);
        t.len()
    }

    /// What the clock's scheduler measured of live thread `tid`, if the clock schedules.
    fn sched_stats_of_live(&self, tid: u32) -> Option<SchedStats> {
        let clock = self.clocks.run_clock();
        clock
            .task_of_tid(tid)
            .and_then(|task| clock.sched_stats(task))
    }

    /// What the clock's scheduler measured of every thread that ever ran, live or
    /// ended, in thread-id order; empty if the clock does not schedule.
    pub(crate) fn sched_stats(&self) -> Vec<(u32, SchedStats)> {
        let harts: Vec<(u32, Arc<HartLive>)> = self
            .harts
            .lock()
            .iter()
            .map(|(tid, h)| (*tid, h.clone()))
            .collect();
        harts
            .into_iter()
            .filter_map(|(tid, h)| {
                let ended = *h.final_sched.lock();
                ended
                    .or_else(|| self.sched_stats_of_live(tid))
                    .map(|s| (tid, s))
            })
            .collect()
    }

    /// Prints one warning per unsupported system call number.
    pub(crate) fn warn_unsupported(&self, nr: u64) {
        if self.warned.lock().insert(nr) {
            let name = crate::abi::nr::name(nr).unwrap_or("unknown");
            eprintln!("faultline: warning: unsupported system call {name} ({nr}) returns ENOSYS");
        }
    }

    /// Whether this image is over (the process ended or exec'd).
    pub(crate) fn is_over(&self) -> bool {
        *self.exiting.lock()
    }

    /// Marks this image as over (the process ends or execs); false if it already was,
    /// by another thread.
    pub(crate) fn end_image(&self) -> bool {
        let mut e = self.exiting.lock();
        !std::mem::replace(&mut *e, true)
    }

    /// Ends the whole process as `how` says (exit_group or a fatal signal). Only the
    /// first caller acts; later ones, and every caller once an execve replaced this
    /// image, return at once and end their thread.
    ///
    /// The initial process's end ends the run: every dirty page is written back
    /// (promptly: the device no longer waits), the statistics are written and the
    /// emulator exits with the status a shell would report (2 instead if the statistics
    /// cannot be written); other processes still running end with it. Any other
    /// process releases its files, becomes a zombie for its parent and returns.
    pub(crate) fn exit(&self, how: ExitHow) {
        if !self.end_image() {
            return;
        }
        if self.is_initial() {
            self.end_run(how.host_status())
        }
        self.end_child(how);
    }

    /// The end of a process other than the initial one: its other threads are killed,
    /// its files closed if no other process shares them, and its parent is told. Its
    /// file pages stay in the machine's one page cache, which every process reads.
    fn end_child(&self, how: ExitHow) {
        for t in self.live_threads() {
            t.queue(crate::abi::siginfo::SigInfo::sent_by_self(
                crate::abi::signo::SIGKILL,
                crate::abi::siginfo::code::SI_KERNEL,
                self.pid,
            ));
        }
        if Arc::strong_count(&self.files) == 1 {
            self.files.close_all();
        }
        let pid = self.pid;
        self.table
            .exited(pid, how, &|parent: &Process| parent.child_ended(pid, how));
    }

    /// Ends the run with `status`.
    fn end_run(&self, status: i32) -> ! {
        // Write-backs in flight and the exit's own end without simulated device time.
        self.mm.page_cache().finish_io_promptly();
        for s in self.threads.lock().values() {
            s.raise(REQ_EXIT);
        }
        self.wait_settled();
        if let Err(e) = cached_files::sync_all(&self.mm) {
            eprintln!(
                "faultline: writing back file mappings failed: errno {}",
                e.0
            );
        }
        let _ = std::io::stdout().flush();
        // The emulator's own failures, not the guest's status (as for a bad option).
        let mut failed = false;
        if let Err(e) = self.finish_trace() {
            eprintln!("faultline: cannot write the trace: {e}");
            failed = true;
        }
        if let Some(path) = &self.opts.stats {
            if let Err(e) = self.write_stats(path) {
                eprintln!("faultline: cannot write stats to {}: {e}", path.display());
                failed = true;
            }
        }
        std::process::exit(if failed { 2 } else { status })
    }

    /// Waits (bounded) until every hart has stopped or is outside guest code, so the
    /// instruction counts in the statistics are the final ones. It waits through the
    /// clock, a short while at a time: under the virtual clock a hart stopped in guest
    /// code can only reach its stop while this thread waits.
    fn wait_settled(&self) {
        let clock = self.clocks.run_clock();
        let deadline = clock.now_ns().saturating_add(EXIT_SETTLE_TIMEOUT_NS);
        let harts: Vec<Arc<HartLive>> = self.harts.lock().values().cloned().collect();
        let nobody_wakes = Parker::new();
        for h in harts {
            while !h.settled.load(Ordering::Acquire) && clock.now_ns() < deadline {
                let next = clock.now_ns().saturating_add(EXIT_SETTLE_POLL_NS);
                clock.park_until(&nobody_wakes, next.min(deadline));
            }
        }
    }

    /// Writes the run's statistics as JSON to `path`, as they stand.
    pub(crate) fn write_stats(&self, path: &std::path::Path) -> std::io::Result<()> {
        let mut mm = self.mm.stats();
        let (others, mut insns) = self.other_images();
        for (tid, counters) in others {
            add_counters(mm.per_hart.entry(tid).or_default(), &counters);
            add_counters(&mut mm.total, &counters);
        }
        for (tid, h) in self.harts.lock().iter() {
            *insns.entry(*tid).or_default() += h.instructions.load(Ordering::Relaxed);
        }
        let sched: BTreeMap<u32, SchedStats> = self.sched_stats().into_iter().collect();
        let mut harts = Vec::new();
        let mut total_insns = 0;
        for (tid, counters) in &mm.per_hart {
            let mut h = Map::new();
            h.insert("tid".into(), json!(tid));
            let n = insns.get(tid).copied().unwrap_or(0);
            total_insns += n;
            h.insert("instructions".into(), json!(n));
            for (k, v) in counters {
                h.insert(k.clone(), json!(v));
            }
            if let Some(s) = sched.get(tid) {
                h.insert("sched.run_ns".into(), json!(s.run_ns));
                h.insert("sched.runnable_wait_ns".into(), json!(s.runnable_wait_ns));
                h.insert("sched.switches".into(), json!(s.switches));
                h.insert("sched.preemptions".into(), json!(s.preemptions));
            }
            harts.push(Value::Object(h));
        }
        // The memory manager's background threads, whose work is not any hart's.
        let daemons: Vec<Value> = mm
            .daemons
            .iter()
            .map(|(name, counters)| {
                let mut d = Map::new();
                d.insert("name".into(), json!(name));
                for (k, v) in counters {
                    d.insert(k.clone(), json!(v));
                }
                Value::Object(d)
            })
            .collect();
        let mut total = Map::new();
        total.insert("instructions".into(), json!(total_insns));
        for (k, v) in &mm.total {
            total.insert(k.clone(), json!(v));
        }
        if let Some(t) = *self.trace_summary.lock() {
            total.insert("trace.records".into(), json!(t.records));
            total.insert("trace.bytes".into(), json!(t.bytes));
            total.insert("trace.dropped".into(), json!(t.dropped));
            total.insert("trace.stall_ns".into(), json!(t.stall_ns));
        }
        if self.opts.injections > 0 {
            let fired = self.injections_fired.load(Ordering::Relaxed);
            total.insert("inject.fired".into(), json!(fired));
        }
        let policy = policy_json(&self.mm.config().policy);
        let processes: Vec<Value> = self
            .table
            .summaries()
            .into_iter()
            .map(|p| json!({ "pid": p.pid, "ppid": p.ppid, "harts": p.harts }))
            .collect();
        let doc = json!({
            "policy": policy,
            "processes": processes,
            "harts": harts,
            "daemons": daemons,
            "total": total,
        });
        let text = serde_json::to_string_pretty(&doc)?;
        // Written beside and renamed, so a reader never sees a half-written file.
        let tmp = path.with_extension("tmp~");
        std::fs::write(&tmp, text + "\n")?;
        std::fs::rename(&tmp, path)
    }
}

impl Process {
    /// The hart counters of every other address space of the run (those of live
    /// processes, and those whose images are gone), by thread id, and the instructions
    /// their harts retired. Each space counts once, however many processes share it.
    fn other_images(&self) -> (Vec<(u32, Counters)>, BTreeMap<u32, u64>) {
        let mut counters = Vec::new();
        let mut insns = BTreeMap::new();
        let mut seen = vec![self.mm.clone()];
        for p in self.table.all() {
            if std::ptr::eq(&*p, self) {
                continue;
            }
            for (tid, h) in p.harts.lock().iter() {
                *insns.entry(*tid).or_default() += h.instructions.load(Ordering::Relaxed);
            }
            if !seen.iter().any(|m| Arc::ptr_eq(m, &p.mm)) {
                counters.extend(p.mm.stats().per_hart);
                seen.push(p.mm.clone());
            }
        }
        for (tid, mut c) in self.table.retired() {
            *insns.entry(tid).or_default() += c.remove(INSTRUCTIONS).unwrap_or(0);
            counters.push((tid, c));
        }
        (counters, insns)
    }
}

/// The counter of retired instructions, as `--stats` names it.
const INSTRUCTIONS: &str = "instructions";

impl Drop for Process {
    /// An image that is gone leaves its harts' counters to the run's statistics: their
    /// instructions, and their memory counters if no other image shares the space.
    fn drop(&mut self) {
        let shared = self
            .table
            .all()
            .iter()
            .any(|p| Arc::ptr_eq(&p.mm, &self.mm));
        let mut per_hart = match shared {
            false => self.mm.stats().per_hart,
            true => BTreeMap::new(),
        };
        for (tid, h) in self.harts.lock().iter() {
            let n = h.instructions.load(Ordering::Relaxed);
            *per_hart
                .entry(*tid)
                .or_default()
                .entry(INSTRUCTIONS.into())
                .or_default() += n;
        }
        self.table.retire(per_hart);
    }
}

/// The fault policy in effect as `--stats` records it: its name and each backing's
/// knobs, such as `{"name":"vma","anon":{"first":"vma","io":"drop","retry":"mmap"},...}`.
fn policy_json(policy: &FaultPolicy) -> Value {
    let mut doc = Map::new();
    doc.insert("name".into(), json!(policy.name()));
    for backing in FaultBacking::ALL {
        let k = policy.knobs(backing);
        doc.insert(
            backing.name().into(),
            json!({ "first": k.first.name(), "io": k.io.name(), "retry": k.retry.name() }),
        );
    }
    Value::Object(doc)
}

impl ProcessSched for Process {
    fn process_sched_stats(&self) -> Option<SchedStats> {
        let all = self.sched_stats();
        let sum = |f: fn(&SchedStats) -> u64| all.iter().map(|(_, s)| f(s)).sum();
        (!all.is_empty()).then(|| SchedStats {
            run_ns: sum(|s| s.run_ns),
            runnable_wait_ns: sum(|s| s.runnable_wait_ns),
            switches: sum(|s| s.switches),
            preemptions: sum(|s| s.preemptions),
        })
    }
}

impl Process {
    /// Prints one warning per unsupported clone flag combination.
    pub(crate) fn warn_unsupported_clone(&self, flags: u64) {
        // Keyed apart from syscall numbers by the high bit.
        if self.warned.lock().insert(flags | 1 << 63) {
            eprintln!(
                "faultline: warning: clone of a thread with flags {flags:#x} is not supported; returns ENOSYS"
            );
        }
    }
}

/// The emulator's real and effective user and group ids, which the guest runs as:
/// (uid, euid, gid, egid).
pub(crate) fn host_ids() -> (u32, u32, u32, u32) {
    // SAFETY (all four): the id getters cannot fail and touch no memory.
    (
        // SAFETY: as above.
        unsafe { libc::getuid() },
        // SAFETY: as above.
        unsafe { libc::geteuid() },
        // SAFETY: as above.
        unsafe { libc::getgid() },
        // SAFETY: as above.
        unsafe { libc::getegid() },
    )
}
