//! The command line: `faultline run [OPTIONS] PROGRAM [ARGS]...`.

use crate::os::path::View;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use devices::storage::{
    spec, Bandwidth, DeviceConfig, ErrorInjection, IoScheduler, LatencyModel, StallModel,
};
use mmu::pagecache::CacheConfig;
use mmu::FaultPolicy;
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
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a riscv64 Linux program.
    Run(RunArgs),
}

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
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub env: Vec<String>,
    /// Print each system call with its arguments and result on stderr.
    #[arg(long)]
    pub strace: bool,
    /// Show faultline's own decisions on stderr: `-v` the loader's, the configuration
    /// and the system calls that fail with ENOSYS or EINVAL; `-vv` everything faultline
    /// and its memory manager report. Without it, `RUST_LOG` (such as
    /// `faultline=debug`) chooses.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Write per-hart and total counters as JSON to FILE when the guest exits.
    #[arg(long, value_name = "FILE")]
    pub stats: Option<PathBuf>,
    /// How page faults take their locks: `mmap` (every fault under mmap_lock), `vma`
    /// (a per-VMA lock attempt first, as Linux does), `vma-retry` (a retry after I/O
    /// goes back under the per-VMA lock) or `vma-hold` (I/O waited for holding the
    /// per-VMA lock).
    #[arg(
        long,
        value_name = "POLICY",
        default_value = "vma",
        value_parser = PossibleValuesParser::new(FaultPolicy::NAMES)
            .map(|s| s.parse::<FaultPolicy>().expect("one of the possible values"))
    )]
    pub policy: FaultPolicy,
    /// Service latency of the simulated storage device behind guest files: `fixed:5ms`,
    /// `uniform:1ms..9ms`, `exp:2ms`, `lognormal:2ms,40ms` (median, p99) or a mixture
    /// such as `mix:0.9*fixed:1ms+0.1*fixed:50ms`.
    #[arg(long, value_name = "MODEL", default_value = "fixed:100us", value_parser = LatencyModel::from_str)]
    pub storage_latency: LatencyModel,
    /// Requests the storage device serves in parallel.
    #[arg(long, value_name = "N", default_value = "32", value_parser = spec::parse_depth)]
    pub storage_depth: usize,
    /// Order in which the storage device serves queued requests: `fifo`, `prio` (strict
    /// I/O priority) or `deadline`.
    #[arg(long, value_name = "SCHED", default_value = "deadline", value_parser = IoScheduler::from_str)]
    pub storage_sched: IoScheduler,
    /// Bandwidth cap of the storage device, such as `200MiB/s` (none by default).
    #[arg(long, value_name = "RATE", value_parser = Bandwidth::from_str)]
    pub storage_bw: Option<Bandwidth>,
    /// Stalls of the storage device: `every:500ms,for:100ms` or `p:0.01,for:50ms`.
    #[arg(long, value_name = "SPEC", value_parser = StallModel::from_str)]
    pub storage_stall: Option<StallModel>,
    /// Storage reads that fail: a fraction of all (0..1), `range:A..B` of device
    /// offsets, or `range:A..B@FILE` of FILE's own offsets. A faulting access to the page
    /// gets SIGBUS, a read(2) EIO.
    #[arg(long, value_name = "SPEC", value_parser = ErrorInjection::from_str)]
    pub storage_errors: Option<ErrorInjection>,
    /// Read-around window of a page-cache miss, such as `128KiB`.
    #[arg(long, value_name = "SIZE", default_value = "128KiB", value_parser = spec::parse_size)]
    pub readahead: u64,
    /// Bound on resident guest memory, such as `64MiB`: page-cache pages are reclaimed
    /// to stay under it, and private anonymous pages too when `--swap` is given.
    #[arg(long, value_name = "SIZE", value_parser = spec::parse_size)]
    pub mem_limit: Option<u64>,
    /// Size of a swap area for private anonymous memory, such as `256MiB`: a temporary
    /// file behind the simulated storage device (same latency options). Without it
    /// anonymous memory is never reclaimed.
    #[arg(long, value_name = "SIZE", value_parser = spec::parse_size)]
    pub swap: Option<u64>,
    /// How often the flusher wakes to write back dirty file pages older than
    /// `--dirty-expire` (Linux's dirty_writeback_centisecs); `0s` only when dirty pages
    /// pass 10% of the memory limit (or of available memory).
    #[arg(long, value_name = "TIME", default_value = "5s", value_parser = spec::parse_duration)]
    pub dirty_writeback: u64,
    /// How long a file page may stay dirty before the flusher writes it back (Linux's
    /// dirty_expire_centisecs).
    #[arg(long, value_name = "TIME", default_value = "30s", value_parser = spec::parse_duration)]
    pub dirty_expire: u64,
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
                seed: 0,
            }),
            readahead_bytes: self.readahead,
            mem_limit: self.mem_limit,
            swap: self.swap,
            dirty_writeback_ns: self.dirty_writeback,
            dirty_expire_ns: self.dirty_expire,
        }
    }
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
