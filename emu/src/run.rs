//! Starting a guest: address space, files, image, main thread.

use crate::abi::altstack::AltStack;
use crate::cli::{default_env, RunArgs};
use crate::cpu::Cpu;
use crate::hart_loop;
use crate::interrupt;
use crate::loader::trampoline;
use crate::loader::{self, StartInfo};
use crate::os::files::Files;
use crate::os::host_cpus;
use crate::os::injector;
use crate::os::machine::Machine;
use crate::os::priorities::Priorities;
use crate::os::proc_table::ProcTable;
use crate::os::process::{host_ids, Process, RunOptions};
use crate::os::random::{Purpose, RandomSource};
use crate::os::signal_state::SignalState;
use crate::thread::{run_hart, Thread};
use anyhow::{anyhow, bail, Context, Result};
use devices::trace::{Owner, Recorder, WhenFull};
use devices::{HostClock, SharedClock, TaskKind, VirtualClock};
use mmu::AddressSpace;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tracing::debug;

/// Exit status of a virtual run that stalled (every thread waiting for good) or passed
/// `--max-time`.
const STALLED: i32 = 3;

/// The program path as the guest sees it: inside the root if there is one.
fn guest_path(program: &Path, root: Option<&Path>) -> String {
    if let Some(root) = root {
        if let (Ok(p), Ok(r)) = (program.canonicalize(), root.canonicalize()) {
            if let Ok(rel) = p.strip_prefix(&r) {
                return format!("/{}", rel.display());
            }
        }
    }
    program.display().to_string()
}

/// Makes a virtual run whose every thread waits for good, or that passes `--max-time`,
/// end as a deadlocked program would be ended by hand: the clock's report on stderr, the
/// guest's output flushed, `--stats` written, exit status 3.
fn end_on_stall(clock: &VirtualClock, proc: &Arc<Process>) {
    let table = Arc::downgrade(&proc.table);
    clock.set_stall_handler(Box::new(move |report| {
        eprint!("{report}");
        let _ = std::io::stdout().flush();
        // Every task waits without a host lock held, so the counters can be read. The
        // initial process's image now: an execve may have replaced the first.
        let now = table.upgrade().and_then(|t| t.image(t.initial()));
        if let Some(p) = now {
            if let Err(e) = p.finish_trace() {
                eprintln!("faultline: cannot write the trace: {e}");
            }
            if let Some(path) = &p.opts.stats {
                if let Err(e) = p.write_stats(path) {
                    eprintln!("faultline: cannot write stats to {}: {e}", path.display());
                }
            }
        }
        std::process::exit(STALLED)
    }));
}

/// Under the virtual clock only one of faultline's threads runs at a time, so they can
/// all share one host CPU: a hand-over of the baton is then a switch on that CPU instead
/// of waking a thread on another (about twice as fast on the machines measured). Threads
/// started later inherit the calling thread's CPU; the first CPU it may run on is taken.
/// Where the affinity cannot be read or set, the threads stay where they may run.
fn share_one_host_cpu() {
    let Some(&cpu) = host_cpus::usable().first() else {
        return;
    };
    if !host_cpus::pin_calling_thread(cpu) {
        debug!(target: "faultline::run", cpu, "cannot pin the virtual run to one host CPU");
    }
}

/// Fails unless the directory `path` (an output of option `flag`) goes into exists.
fn check_output_dir(flag: &str, path: &Path) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        bail!(
            "{flag} {}: directory {} does not exist",
            path.display(),
            dir.display()
        );
    }
    Ok(())
}

/// The run's address space, for [`write_stores_before_kill`].
static RUN_SPACE: std::sync::OnceLock<Arc<AddressSpace>> = std::sync::OnceLock::new();

/// Called as the emulated OOM killer ends the process (from the fault that found no
/// frame, which may hold any lock): the stores of shared file mappings go straight into
/// their host files, so the kill loses none of them.
pub fn write_stores_before_kill() {
    if let Some(mm) = RUN_SPACE.get() {
        mm.page_cache().write_stores_directly();
    }
}

/// Loads `args.program()` and runs it on the calling thread, which becomes hart 0. Never
/// returns on success: the process ends with the guest's exit status.
pub fn run(args: RunArgs) -> Result<()> {
    if let Some(root) = &args.root {
        if !root.is_dir() {
            bail!("--root {}: not a directory", root.display());
        }
    }
    for (flag, path) in [("--stats", &args.stats), ("--trace", &args.trace)] {
        if let Some(path) = path {
            check_output_dir(flag, path)?;
        }
    }
    let virtual_clock = args.virtual_config()?.map(VirtualClock::new);
    let injections = args.injections()?;
    interrupt::block().context("cannot block SIGINT, SIGTERM and SIGHUP")?;
    // The run's one clock: created here, passed down to everything that reads time.
    let clock: SharedClock = match &virtual_clock {
        Some(v) => v.clone(),
        None => Arc::new(HostClock::new()),
    };
    let name = args
        .program()
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let machine = Machine::new(virtual_clock.is_some(), args.cpus);
    let first_tid = machine.pid;
    // The calling thread records first: the memory manager's daemons and devices,
    // started below, record to the recorder of the thread that starts them.
    let trace = match &args.trace {
        Some(path) => {
            let when_full = match args.trace_drop {
                true => WhenFull::Drop,
                false => WhenFull::Block,
            };
            let pid = i32::try_from(machine.pid).unwrap_or(i32::MAX);
            let recorder = Recorder::create(path, pid, &name, when_full, clock.clone())
                .with_context(|| format!("--trace {}", path.display()))?;
            recorder.attach(Owner::Hart {
                tid: first_tid,
                name: name.clone(),
            });
            Some(recorder)
        }
        None => None,
    };
    // After the trace's writer thread started: it is no task of the clock, and writes
    // on another CPU while the run's threads take turns on one.
    if virtual_clock.is_some() {
        share_one_host_cpu();
    }
    let cfg = args.mm_config(clock);
    debug!(
        target: "faultline::run",
        policy = %cfg.policy,
        rwsem_handoff_ns = cfg.mmap_lock_handoff_ns,
        storage = ?cfg.cache,
        root = ?args.root,
        clock = ?args.clock,
        seed = ?args.seed(),
        "configuration"
    );
    let mm = AddressSpace::new(cfg).context("cannot reserve guest memory")?;
    // One run per process: a second would find the first's space here and keep it.
    let _ = RUN_SPACE.set(mm.clone());
    // The calling thread becomes the first guest thread's task before it loads the
    // program: loading reads through the page cache, whose device is a task too.
    let ticket = mm
        .clock()
        .register_task(&name, TaskKind::Hart { tid: first_tid });
    mm.clock().enter_task(ticket);
    let watch = interrupt::watch(mm.clone()).context("cannot start the signal watcher")?;
    let execfn = guest_path(args.program(), args.root.as_deref());
    let files = Files::new(args.view(), Path::new(&execfn), machine.cpus).with_context(|| {
        match &args.root {
            Some(r) => format!("cannot open root {}", r.display()),
            None => "cannot set up the guest's files".to_string(),
        }
    })?;
    let mut argv = vec![args.program().display().to_string()];
    argv.extend(args.args().iter().cloned());
    let env = if args.env.is_empty() {
        default_env()
    } else {
        args.env.clone()
    };
    let mut random = [0u8; 16];
    RandomSource::new(args.seed(), Purpose::AtRandom).fill(&mut random);
    let ids = host_ids();
    let start = StartInfo {
        args: &argv,
        env: &env,
        execfn: &execfn,
        random,
        ids,
    };
    let image = loader::load(&mm, &files, args.program(), &start)?;
    files.set_cmdline(&argv);
    trampoline::map_into(&mm)
        .map_err(|e| anyhow!("cannot map the signal-return trampoline: {e}"))?;

    let opts = RunOptions {
        strace: args.strace,
        stats: args.stats.as_ref().map(PathBuf::from),
        getrandom: Arc::new(RandomSource::new(args.seed(), Purpose::Getrandom)),
        machine,
        trace,
        thread_prio: args.thread_prio.clone(),
        injections: injections.len(),
    };
    let table = ProcTable::new(machine.pid, machine.ppid);
    let signals = SignalState::default();
    let proc = Process::new(
        mm.clone(),
        Arc::new(files),
        signals,
        opts,
        machine.pid,
        table.clone(),
    );
    table.set_image(machine.pid, proc.clone());
    if let Some(v) = &virtual_clock {
        end_on_stall(v, &proc);
    }
    watch.attach(proc.clone());
    let tid = proc.alloc_tid();
    debug_assert_eq!(tid, first_tid, "the first thread's id is the process id");
    let mem = mm.attach_hart(tid);
    let (live, sig) = proc.add_thread(tid, &name, mem.signal(), 0);
    // After the first thread's task: task numbers follow the order of creation.
    injector::start(&proc, injections).context("cannot start the injection task")?;
    let mut cpu = Cpu::new(image.entry);
    cpu.x[2] = image.sp;
    let mut thread = Thread {
        proc,
        mem,
        tid,
        live,
        clear_child_tid: 0,
        sig,
        saved_sigmask: None,
        restart: None,
        altstack: AltStack::DISABLED,
        name,
        prio: Priorities::default(),
        start: hart_loop::run,
    };
    // The first thread is called after the program: `--thread-prio` may name it.
    crate::syscall::sched::take_named_priorities(&mut thread);
    run_hart(hart_loop::run, thread, cpu);
    // The main guest thread ended with others still running: they decide the exit.
    mm.clock().park_forever()
}
