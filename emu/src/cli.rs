//! The command line: `faultline run [OPTIONS] PROGRAM [ARGS]...`,
//! `faultline report [OPTIONS] TRACE`, and the scenario commands `faultline scenario`,
//! `faultline compare` and `faultline sweep`.

use crate::os::injections::{Action, Injection};
use crate::os::path::View;
use crate::os::random::{self, Purpose};
use crate::os::thread_prio::PrioRule;
use crate::report::{Format, Request};
use crate::scenario::{CompareOptions, Setting, Vary};
use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use devices::storage::{
    spec, Bandwidth, DeviceConfig, ErrorInjection, IoScheduler, LatencyModel, StallModel,
};
use devices::{CostModel, SharedClock, VirtualConfig};
use mmu::pagecache::{check_fault_around, check_mem_limit, check_readahead, CacheConfig};
use mmu::{FaultPolicy, ForkLock, MmConfig};
use rand::RngCore;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use tracing_subscriber::EnvFilter;

/// faultline: a multithreaded RV64GC Linux user-mode emulator whose memory manager
/// models Linux page-fault locking.
#[derive(Debug, Parser)]
#[command(name = "faultline", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// faultline's subcommands.
// Parsed once per process: the size of the larger variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a riscv64 Linux program.
    Run(RunArgs),
    /// Latency tables, or a thread's worst waits and their holders, from a trace.
    Report(ReportArgs),
    /// Run a scenario file once.
    Scenario(ScenarioArgs),
    /// Run a scenario under several policies (and seeds) and print their figures side
    /// by side.
    Compare(CompareArgs),
    /// Compare a scenario's policies for each value of one of its keys.
    Sweep(SweepArgs),
}

/// Options of `faultline scenario`.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// The policy to run: a preset or one of the scenario's `[[policy]]` names (default:
    /// the scenario's `mm.policy`, else vma).
    #[arg(long, value_name = "POLICY")]
    pub policy: Option<String>,
    /// The seed (default: the scenario's `machine.seed`, else 0).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub seed: Option<u64>,
    /// Change one of the scenario's values, such as `storage.latency=fixed:5ms` or
    /// `process.0.args=["8"]` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_setting, allow_hyphen_values = true)]
    pub settings: Vec<Setting>,
    /// The scenario file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Options `compare` and `sweep` share.
#[derive(Debug, Args)]
pub struct CompareCommon {
    /// The policies to compare, comma-separated: presets and the scenario's `[[policy]]`
    /// names; the first is the baseline of the change column (default: every preset,
    /// then the scenario's own).
    #[arg(long, value_name = "P,...", value_delimiter = ',')]
    pub policies: Option<Vec<String>>,
    /// Runs per policy, with seeds counting up from the scenario's; each cell is then
    /// the median and the worst over them.
    #[arg(long, value_name = "N", default_value = "1", value_parser = clap::value_parser!(u64).range(1..=1000), allow_hyphen_values = true)]
    pub seeds: u64,
    /// Change one of the scenario's values (repeatable), as `faultline scenario --set`.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_setting, allow_hyphen_values = true)]
    pub settings: Vec<Setting>,
    /// Write JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Write SVG plots into DIR.
    #[arg(long, value_name = "DIR")]
    pub svg: Option<PathBuf>,
    /// Keep each run's stdout, stderr, statistics and trace under DIR/POLICY/seed-N.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

impl CompareCommon {
    /// The comparison options these ask for.
    pub fn options(&self) -> CompareOptions {
        CompareOptions {
            policies: self.policies.clone(),
            seeds: self.seeds,
            out: self.out.clone(),
            json: self.json,
            svg: self.svg.clone(),
        }
    }
}

/// Options of `faultline compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// What to compare and how to report it.
    #[command(flatten)]
    pub common: CompareCommon,
    /// The scenario file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Options of `faultline sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The key to vary and its values, such as `storage.latency=fixed:1ms,fixed:5ms` or
    /// `machine.cpus=2,4,8` (values containing commas are separated by `;`).
    #[arg(long, value_name = "KEY=V1,V2,...", value_parser = Vary::parse, allow_hyphen_values = true)]
    pub vary: Vary,
    /// What to compare and how to report it.
    #[command(flatten)]
    pub common: CompareCommon,
    /// The scenario file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Parses a `--set KEY=VALUE`.
fn parse_setting(s: &str) -> Result<Setting, String> {
    Setting::parse("--set", s)
}

/// Options of `faultline report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Write JSON instead of text.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Write one CSV row per latency event instead of tables.
    #[arg(long, conflicts_with = "blame")]
    pub csv: bool,
    /// Only this thread: a thread id or a name.
    #[arg(long, value_name = "TID|NAME")]
    pub thread: Option<String>,
    /// Instead of tables: this thread's longest waits, each with the chain of holders
    /// behind it (who held what, since when, doing what).
    #[arg(long, value_name = "TID|NAME", conflicts_with = "thread")]
    pub blame: Option<String>,
    /// How many waits --blame shows.
    #[arg(
        long,
        value_name = "N",
        default_value = "5",
        requires = "blame",
        allow_hyphen_values = true
    )]
    pub top: usize,
    /// The trace, as `faultline run --trace` wrote it.
    #[arg(value_name = "TRACE")]
    pub trace: PathBuf,
}

impl ReportArgs {
    /// The report these options ask for.
    pub fn request(&self) -> Request {
        let format = if self.json {
            Format::Json
        } else if self.csv {
            Format::Csv
        } else {
            Format::Text
        };
        Request {
            trace: self.trace.clone(),
            format,
            thread: self.thread.clone(),
            blame: self.blame.clone().map(|who| (who, self.top)),
        }
    }
}

/// Which clock a run keeps time on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClockKind {
    /// The host's: harts run in parallel, time is real elapsed time.
    Host,
    /// Deterministic virtual time: one hart runs at a time, time is what the cost model
    /// charges.
    Virtual,
}

/// `CLOCK_REALTIME`'s start under `--clock virtual` when `--epoch` is not given:
/// 2026-01-01T00:00:00Z.
const DEFAULT_EPOCH_S: u64 = 1_767_225_600;

/// Options of `faultline run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Confine every guest path under DIR (no escape through `..` or symlinks).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Look up absolute guest paths under DIR first and on the host when DIR lacks
    /// them, as qemu-user's -L does: the interpreter and libraries of a dynamically
    /// linked program come from DIR, the user's files, /tmp, /proc and /dev stay
    /// visible. Not with --root.
    #[arg(
        short = 'L',
        long = "sysroot",
        value_name = "DIR",
        conflicts_with = "root"
    )]
    pub sysroot: Option<PathBuf>,
    /// Set a guest environment variable (repeatable). Without any, the guest gets a
    /// minimal environment (PATH, HOME, LANG).
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env, allow_hyphen_values = true)]
    pub env: Vec<String>,
    /// Print each system call with its arguments and result on stderr.
    #[arg(long)]
    pub strace: bool,
    /// Give threads called NAME (their comm; a NAME ending in `*` is a prefix) the
    /// priorities SPEC unless the guest chooses its own: `nice:N`, `fifo:P`, `rr:P`,
    /// `other`, `batch`, `idle`, `io:rt/L`, `io:be/L`, `io:idle`, joined by `+`, such as
    /// `faulter-*=nice:19+io:idle` (repeatable; the first matching rule applies).
    #[arg(long = "thread-prio", value_name = "NAME=SPEC", value_parser = PrioRule::from_str, allow_hyphen_values = true)]
    pub thread_prio: Vec<PrioRule>,
    /// Show faultline's own decisions on stderr: `-v` the loader's, the configuration
    /// and the system calls that fail with ENOSYS or EINVAL; `-vv` everything faultline
    /// and its memory manager report. Without it, `RUST_LOG` (such as
    /// `faultline=debug`) chooses.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Write per-hart and total counters as JSON to FILE when the guest exits.
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,
    /// Record a trace of faults, lock waits and holds, I/O requests, system calls,
    /// reclaim and write-back to FILE, in Perfetto's format (open it at
    /// ui.perfetto.dev, or read it with `faultline report FILE`).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// When the trace writer falls behind, drop records (counted in `trace.dropped`)
    /// instead of making the guest's threads wait for it (counted in
    /// `trace.stall_ns`).
    #[arg(long, requires = "trace")]
    pub trace_drop: bool,
    /// How page faults take their locks: a preset, `mmap` (every fault under
    /// mmap_lock), `vma` (a per-VMA lock attempt first, as Linux does), `vma-retry` (a
    /// retry after I/O goes back under the per-VMA lock) or `vma-hold` (I/O waited for
    /// holding the per-VMA lock); or `NAME:KNOB=VALUE,...`, a policy of its own built
    /// from knobs: `first=vma|mmap`, `io=drop|hold|hold-if-uptodate`, `retry=vma|mmap`,
    /// each for every backing or, after `anon.`, `file.` or `swap.`, for one, and
    /// `base=PRESET` (default: NAME if it is a preset, else vma), such as
    /// `file-hold:file.io=hold`.
    #[arg(
        long,
        value_name = "POLICY",
        default_value = "vma",
        value_parser = FaultPolicy::parse
    )]
    pub policy: FaultPolicy,
    /// How long the first waiter for mmap_lock waits before it may claim a handoff
    /// (nobody steals the lock from it after that; a real-time thread claims it at once).
    #[arg(long, value_name = "TIME", default_value = "4ms", value_parser = spec::parse_duration, allow_hyphen_values = true)]
    pub rwsem_handoff: u64,
    /// Which of the parent's VMAs fork write-locks while it copies them: `all` (Linux's
    /// dup_mmap) or `anon-cow` (only anonymous and private copy-on-write VMAs, so fork
    /// does not wait behind file faults holding their VMA lock across I/O).
    #[arg(long, value_name = "MODE", default_value = "all")]
    pub fork_lock: ForkLock,
    /// Service latency of the simulated storage device behind guest files: `fixed:5ms`,
    /// `uniform:1ms..9ms`, `exp:2ms`, `lognormal:2ms,40ms` (median, p99) or a mixture
    /// such as `mix:0.9*fixed:1ms+0.1*fixed:50ms`.
    #[arg(long, value_name = "MODEL", default_value = "fixed:100us", value_parser = LatencyModel::from_str, allow_hyphen_values = true)]
    pub storage_latency: LatencyModel,
    /// Requests the storage device serves in parallel.
    #[arg(long, value_name = "N", default_value = "32", value_parser = spec::parse_depth, allow_hyphen_values = true)]
    pub storage_depth: usize,
    /// Order in which the storage device serves queued requests: `fifo`, `prio` (strict
    /// I/O priority) or `deadline`.
    #[arg(long, value_name = "SCHED", default_value = "deadline", value_parser = IoScheduler::from_str)]
    pub storage_sched: IoScheduler,
    /// Bandwidth cap of the storage device, such as `200MiB/s` (none by default).
    #[arg(long, value_name = "RATE", value_parser = Bandwidth::from_str, allow_hyphen_values = true)]
    pub storage_bw: Option<Bandwidth>,
    /// Stalls of the storage device: `every:500ms,for:100ms` or `p:0.01,for:50ms`.
    #[arg(long, value_name = "SPEC", value_parser = StallModel::from_str, allow_hyphen_values = true)]
    pub storage_stall: Option<StallModel>,
    /// Storage reads that fail: a fraction of all (0..1), `range:A..B` of device
    /// offsets, or `range:A..B@FILE` of FILE's own offsets. A faulting access to the page
    /// gets SIGBUS, a read(2) EIO.
    #[arg(long, value_name = "SPEC", value_parser = ErrorInjection::from_str, allow_hyphen_values = true)]
    pub storage_errors: Option<ErrorInjection>,
    /// Read-around window of a page-cache miss, such as `128KiB`.
    #[arg(long, value_name = "SIZE", default_value = "128KiB", value_parser = parse_readahead, allow_hyphen_values = true)]
    pub readahead: u64,
    /// Fault-around block of a file fault that hits the page cache, such as `64KiB`: its
    /// cached neighbours in the block are mapped too. A power of two from 4KiB to 2MiB;
    /// `0` or `4KiB` maps only the faulting page.
    #[arg(long, value_name = "SIZE", default_value = "64KiB", value_parser = parse_fault_around, allow_hyphen_values = true)]
    pub fault_around: u64,
    /// Bound on resident guest memory, such as `64MiB`: page-cache pages are reclaimed
    /// to stay under it, and private anonymous pages too when `--swap` is given.
    #[arg(long, value_name = "SIZE", value_parser = parse_mem_limit, allow_hyphen_values = true)]
    pub mem_limit: Option<u64>,
    /// Size of a swap area for private anonymous memory, such as `256MiB`: a temporary
    /// file behind the simulated storage device (same latency options). Without it
    /// anonymous memory is never reclaimed.
    #[arg(long, value_name = "SIZE", value_parser = spec::parse_size, allow_hyphen_values = true)]
    pub swap: Option<u64>,
    /// The most mappings (VMAs) the program may have, Linux's `vm.max_map_count`: an
    /// mmap, or a munmap or mprotect that splits one, past it fails with ENOMEM.
    #[arg(long, value_name = "N", default_value_t = mmu::DEFAULT_MAX_MAP_COUNT, value_parser = parse_max_map_count, allow_hyphen_values = true)]
    pub max_map_count: usize,
    /// How often the flusher wakes to write back dirty file pages older than
    /// `--dirty-expire` (Linux's dirty_writeback_centisecs); `0s` only when dirty pages
    /// pass 10% of the memory limit (or of available memory).
    #[arg(long, value_name = "TIME", default_value = "5s", value_parser = spec::parse_duration, allow_hyphen_values = true)]
    pub dirty_writeback: u64,
    /// How long a file page may stay dirty before the flusher writes it back (Linux's
    /// dirty_expire_centisecs).
    #[arg(long, value_name = "TIME", default_value = "30s", value_parser = spec::parse_duration, allow_hyphen_values = true)]
    pub dirty_expire: u64,
    /// The clock the run keeps time on: `host` (harts run in parallel in real time) or
    /// `virtual` (one hart at a time in deterministic virtual time, advanced by a cost
    /// model: same program, options and seed, same output and statistics).
    #[arg(long, value_name = "CLOCK", value_enum, default_value = "host")]
    pub clock: ClockKind,
    /// Seeds every random stream of the run (the storage device's draws, AT_RANDOM,
    /// getrandom) and, for seeds other than 0, perturbs the virtual schedule's slice
    /// lengths and tie order. Defaults to 0 under `--clock virtual`; without it a host
    /// run draws from the host.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub seed: Option<u64>,
    /// Virtual CPUs the harts share (`--clock virtual` only; default: one per hart).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), allow_hyphen_values = true)]
    pub cpus: Option<u32>,
    /// Where CLOCK_REALTIME starts (`--clock virtual` only): Unix seconds or a UTC time
    /// such as `2026-01-01T00:00:00Z` (the default).
    #[arg(long, value_name = "TIME", value_parser = parse_epoch, allow_hyphen_values = true)]
    pub epoch: Option<u64>,
    /// Ends a virtual run that passes this much virtual time, such as `10s`, with exit
    /// status 3 and each thread's state on stderr (`--clock virtual` only).
    #[arg(long, value_name = "TIME", value_parser = spec::parse_duration, allow_hyphen_values = true)]
    pub max_time: Option<u64>,
    /// Overrides one entry of the virtual clock's cost model, such as `insn=1ns`
    /// (repeatable; `--clock virtual` only). Entries: insn, tlb_miss, syscall, fault,
    /// page_zero, page_copy, shootdown, lock, context_switch, io_submit.
    #[arg(long = "cost", value_name = "NAME=VALUE", value_parser = parse_cost, allow_hyphen_values = true)]
    pub costs: Vec<String>,
    /// At time AT of the run's clock (virtual or host time since the start, such as
    /// `50ms`), do ACTION (repeatable): `stall=DURATION` (the storage devices start no
    /// request for that long), `latency=MODEL` (their service latency from then on, as
    /// --storage-latency), `drop-caches` (drop every clean, unmapped page-cache page),
    /// `pageout=PATH` or `pageout=anon` (MADV_PAGEOUT of every mapping of the host file
    /// PATH, or of private anonymous memory), `mem-limit=SIZE` (move --mem-limit, which
    /// must be given) or `signal=SIG@THREAD` (send SIG, such as `USR1`, to a thread id or
    /// name).
    #[arg(long = "inject", value_name = "AT:ACTION", value_parser = Injection::from_str, allow_hyphen_values = true)]
    pub injections: Vec<Injection>,
    /// The riscv64 ELF to run (static, or dynamically linked with its libraries under
    /// -L or --root), then the arguments passed to it. Everything after the program is the
    /// guest's, options such as `-v` too.
    #[arg(
        value_name = "PROGRAM [ARGS]",
        required = true,
        num_args = 1..,
        trailing_var_arg = true
    )]
    command: Vec<String>,
}

impl RunArgs {
    /// The program to run.
    pub fn program(&self) -> &Path {
        Path::new(&self.command[0])
    }

    /// The arguments passed to the program (after its name).
    pub fn args(&self) -> &[String] {
        &self.command[1..]
    }

    /// How guest paths map onto the host file system: --root, -L or as is.
    pub fn view(&self) -> View<'_> {
        match (&self.root, &self.sysroot) {
            (Some(root), _) => View::Root(root),
            (None, Some(sysroot)) => View::Sysroot(sysroot),
            (None, None) => View::Host,
        }
    }

    /// The storage device and page-cache settings these options ask for.
    pub fn cache_config(&self) -> CacheConfig {
        CacheConfig {
            device: Some(DeviceConfig {
                latency: self.storage_latency.clone(),
                depth: self.storage_depth,
                scheduler: self.storage_sched,
                bandwidth: self.storage_bw,
                stall: self.storage_stall.unwrap_or_else(StallModel::never),
                errors: self.storage_errors.unwrap_or_else(ErrorInjection::never),
                seed: self
                    .seed()
                    .map_or(0, |s| random::stream(s, Purpose::Device).next_u64()),
            }),
            readahead_bytes: self.readahead,
            fault_around_bytes: self.fault_around,
            mem_limit: self.mem_limit,
            swap: self.swap,
            dirty_writeback_ns: self.dirty_writeback,
            dirty_expire_ns: self.dirty_expire,
        }
    }

    /// The address space these options ask for, keeping time on `clock`.
    pub fn mm_config(&self, clock: SharedClock) -> MmConfig {
        MmConfig {
            policy: self.policy.clone(),
            mmap_lock_handoff_ns: self.rwsem_handoff,
            max_map_count: self.max_map_count,
            fork_lock: self.fork_lock,
            cache: self.cache_config(),
            clock,
            ..MmConfig::default()
        }
    }

    /// The seed of the run's random streams: `--seed`, else 0 under `--clock virtual`,
    /// else none (a host run draws from the host).
    pub fn seed(&self) -> Option<u64> {
        match self.clock {
            ClockKind::Virtual => Some(self.seed.unwrap_or(0)),
            ClockKind::Host => self.seed,
        }
    }

    /// The `--inject` list, once checked against the other options: `mem-limit=` moves a
    /// limit `--mem-limit` set.
    pub fn injections(&self) -> Result<Vec<Injection>> {
        let moves_limit = |i: &&Injection| matches!(i.action, Action::MemLimit(_));
        if let (None, Some(i)) = (self.mem_limit, self.injections.iter().find(moves_limit)) {
            bail!(
                "--inject {}: needs --mem-limit (the limit it moves)",
                i.text
            );
        }
        Ok(self.injections.clone())
    }

    /// The virtual clock's settings, `None` under `--clock host`; an error when an
    /// option only a virtual clock takes is given to a host run.
    pub fn virtual_config(&self) -> Result<Option<VirtualConfig>> {
        if self.clock == ClockKind::Host {
            let given = [
                ("--cpus", self.cpus.is_some()),
                ("--epoch", self.epoch.is_some()),
                ("--max-time", self.max_time.is_some()),
                ("--cost", !self.costs.is_empty()),
            ];
            if let Some((name, _)) = given.iter().find(|(_, given)| *given) {
                bail!("{name} needs --clock virtual");
            }
            return Ok(None);
        }
        let mut costs = CostModel::default();
        for c in &self.costs {
            costs.apply(c)?;
        }
        Ok(Some(VirtualConfig {
            costs,
            cpus: self.cpus,
            epoch_ns: self
                .epoch
                .unwrap_or(DEFAULT_EPOCH_S)
                .saturating_mul(1_000_000_000),
            max_time_ns: self.max_time,
            seed: self
                .seed()
                .filter(|&s| s != 0)
                .map(|s| random::stream(s, Purpose::Schedule).next_u64()),
        }))
    }
}

/// Parses `--fault-around`: a size the page cache's fault-around takes.
fn parse_fault_around(s: &str) -> Result<u64, String> {
    let bytes = spec::parse_size(s).map_err(|e| e.to_string())?;
    check_fault_around(bytes)
}

/// `--readahead SIZE`, checked by the page cache's bound.
fn parse_readahead(s: &str) -> Result<u64, String> {
    check_readahead(spec::parse_size(s).map_err(|e| e.to_string())?)
}

/// `--mem-limit SIZE`, checked by the page cache's bound.
fn parse_mem_limit(s: &str) -> Result<u64, String> {
    check_mem_limit(spec::parse_size(s).map_err(|e| e.to_string())?)
}

/// `--max-map-count`: from 1 to Linux's largest, `i32::MAX`.
fn parse_max_map_count(s: &str) -> Result<usize, String> {
    s.parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_MAP_COUNT_LIMIT).contains(n))
        .ok_or_else(|| format!("{s:?}: a number of mappings from 1 to {MAX_MAP_COUNT_LIMIT}"))
}

/// The largest `--max-map-count` (Linux's sysctl is an int).
const MAX_MAP_COUNT_LIMIT: usize = i32::MAX as usize;

/// Checks one `--cost NAME=VALUE` as the cost model will apply it.
fn parse_cost(s: &str) -> Result<String, String> {
    CostModel::default()
        .apply(s)
        .map(|()| s.to_string())
        .map_err(|e| e.to_string())
}

/// Parses `--epoch`: Unix seconds, or a UTC time `YYYY-MM-DDTHH:MM:SSZ`; returns seconds.
fn parse_epoch(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse()
            .map_err(|_| format!("epoch '{s}' is out of range"));
    }
    parse_utc(s).ok_or_else(|| {
        format!("epoch '{s}': expected Unix seconds or a UTC time such as 2026-01-01T00:00:00Z")
    })
}

/// Seconds since the Unix epoch of an RFC 3339 UTC time `YYYY-MM-DDTHH:MM:SSZ` (a `t`,
/// a space or a lowercase `z` accepted as RFC 3339 allows); `None` if it is not one or
/// falls before 1970.
fn parse_utc(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let seps = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if b.len() != 20
        || seps.iter().any(|&(i, c)| b[i] != c)
        || !matches!(b[10], b'T' | b't' | b' ')
        || !matches!(b[19], b'Z' | b'z')
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u64> {
        let digits = &s[from..to];
        digits
            .bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let leap = |y: u64| y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400));
    let month_days = [
        31,
        if leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let valid = year >= 1970
        && (1..=12).contains(&month)
        && day >= 1
        && day <= month_days[usize::try_from(month - 1).ok()?]
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return None;
    }
    let days_before_year: u64 = (1970..year).map(|y| if leap(y) { 366 } else { 365 }).sum();
    let days_before_month: u64 = month_days[..usize::try_from(month - 1).ok()?].iter().sum();
    let days = days_before_year + days_before_month + day - 1;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

fn parse_env(s: &str) -> Result<String, String> {
    match s.split_once('=') {
        Some((k, _)) if !k.is_empty() => Ok(s.to_string()),
        _ => Err(format!("expected KEY=VALUE, got `{s}`")),
    }
}

/// The environment a guest gets when no --env is given.
pub fn default_env() -> Vec<String> {
    ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "LANG=C"]
        .map(String::from)
        .to_vec()
}

/// Sends faultline's diagnostics to stderr: at the level `-v` (`verbose`) asks for, else
/// as `RUST_LOG` says, else none, so that stderr carries only the guest's output and
/// faultline's one-line messages.
pub fn init_diagnostics(verbose: u8) {
    let filter = match verbose {
        0 => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("off")),
        1 => EnvFilter::new("faultline=debug"),
        // The memory manager's and the devices' own events too, whichever targets they use.
        _ => EnvFilter::new("faultline=trace,mmu=trace,devices=trace"),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_parse_as_unix_seconds_or_utc_times() {
        assert_eq!(parse_epoch("2026-01-01T00:00:00Z"), Ok(DEFAULT_EPOCH_S));
        assert_eq!(parse_epoch("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_epoch("2000-03-01t12:34:56z"), Ok(951_914_096));
        assert_eq!(parse_epoch("2024-02-29 23:59:59Z"), Ok(1_709_251_199));
        assert_eq!(parse_epoch("1767225600"), Ok(DEFAULT_EPOCH_S));
        for bad in [
            "2023-02-29T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00+01:00",
            "2026-1-01T00:00:00Z",
            "-5",
            "",
            "99999999999999999999999",
        ] {
            assert!(parse_epoch(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_virtual_run_is_seeded_and_a_host_run_only_when_asked() {
        let args = |extra: &[&str]| {
            let mut v = vec!["faultline", "run"];
            v.extend_from_slice(extra);
            v.push("prog");
            match Cli::parse_from(v).command {
                Command::Run(a) => a,
                _ => unreachable!("parsed `run`"),
            }
        };
        assert_eq!(args(&[]).seed(), None);
        assert_eq!(args(&["--seed", "7"]).seed(), Some(7));
        assert_eq!(args(&["--clock", "virtual"]).seed(), Some(0));
        let v = args(&["--clock", "virtual", "--cost", "insn=2ns", "--epoch", "10"]);
        let cfg = v.virtual_config().unwrap().unwrap();
        assert_eq!(cfg.costs.ps(devices::Cost::Insn), 2_000);
        assert_eq!(cfg.epoch_ns, 10_000_000_000);
        assert!(args(&[]).virtual_config().unwrap().is_none());
        // Seed 0 keeps the fixed schedule; another seeds the scheduler's own stream.
        let sched_seed = |a: &[&str]| args(a).virtual_config().unwrap().unwrap().seed;
        assert_eq!(sched_seed(&["--clock", "virtual"]), None);
        assert_eq!(sched_seed(&["--clock", "virtual", "--seed", "0"]), None);
        let five = sched_seed(&["--clock", "virtual", "--seed", "5"]);
        assert!(five.is_some());
        assert_ne!(five, sched_seed(&["--clock", "virtual", "--seed", "6"]));
        // The device draws from its own stream of the seed.
        let device_seed = |a: RunArgs| a.cache_config().device.unwrap().seed;
        assert_eq!(device_seed(args(&[])), 0);
        assert_ne!(
            device_seed(args(&["--seed", "1"])),
            device_seed(args(&["--seed", "2"]))
        );
    }

    #[test]
    fn the_mm_options_reach_the_address_space_and_default_as_it_does() {
        let args = |extra: &[&str]| {
            let mut v = vec!["faultline", "run"];
            v.extend_from_slice(extra);
            v.push("prog");
            match Cli::try_parse_from(v).map(|c| c.command) {
                Ok(Command::Run(a)) => Ok(a),
                Ok(_) => unreachable!("parsed `run`"),
                Err(e) => Err(e.to_string()),
            }
        };
        let clock = || -> SharedClock { std::sync::Arc::new(devices::HostClock::new()) };
        let plain = args(&[]).unwrap().mm_config(clock());
        let defaults = MmConfig::default();
        assert_eq!(plain.policy, FaultPolicy::VMA);
        assert_eq!(plain.mmap_lock_handoff_ns, defaults.mmap_lock_handoff_ns);
        assert_eq!(
            plain.cache.fault_around_bytes,
            defaults.cache.fault_around_bytes
        );
        let set = args(&[
            "--policy",
            "file-hold:file.io=hold",
            "--rwsem-handoff",
            "1ms",
            "--fault-around",
            "16KiB",
        ])
        .unwrap()
        .mm_config(clock());
        assert_eq!(set.policy.spec(), "file-hold:file.io=hold");
        assert_eq!(set.mmap_lock_handoff_ns, 1_000_000);
        assert_eq!(set.cache.fault_around_bytes, 16 << 10);
        assert_eq!(args(&["--fault-around", "0"]).unwrap().fault_around, 0);
        for (bad, why) in [
            (["--fault-around", "48KiB"], "power of two"),
            (["--fault-around", "8MiB"], "power of two"),
            (["--fault-around", "lots"], "size"),
            (["--rwsem-handoff", "4"], "needs a unit"),
            (
                ["--policy", "x:file.io=wait"],
                "bad value `wait` for `file.io`",
            ),
        ] {
            let e = args(&bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }
}
