//! The command line: `faultline run [OPTIONS] PROGRAM [ARGS]...`.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use mmu::FaultPolicy;
use std::path::PathBuf;

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
    /// Run a static riscv64 Linux program.
    Run(RunArgs),
}

/// Options of `faultline run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Confine every guest path under DIR (no escape through `..` or symlinks).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Set a guest environment variable (repeatable). Without any, the guest gets a
    /// minimal environment (PATH, HOME, LANG).
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub env: Vec<String>,
    /// Print each system call with its arguments and result on stderr.
    #[arg(long)]
    pub strace: bool,
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
    /// The static riscv64 ELF to run.
    #[arg(value_name = "PROGRAM")]
    pub program: PathBuf,
    /// Arguments passed to the program.
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub args: Vec<String>,
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
