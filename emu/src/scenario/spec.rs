//! A scenario file as written: the TOML tables and keys `faultline scenario`, `compare`
//! and `sweep` read, each value kept with where it is in the file so that a check after
//! parsing can point at it. Unknown keys are errors (`deny_unknown_fields`), so a typo
//! is caught with its line before anything runs.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// A string value and its place in the file.
pub(crate) type Text = Spanned<String>;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScenarioFile {
    /// The virtual machine: clock, CPUs, seed, cost model.
    #[serde(default)]
    pub(crate) machine: Machine,
    /// The memory manager's settings.
    #[serde(default)]
    pub(crate) mm: Mm,
    /// The storage device behind the guest's files.
    #[serde(default)]
    pub(crate) storage: Storage,
    /// Memory limit, swap and write-back.
    #[serde(default)]
    pub(crate) memory: Memory,
    /// Files the guest sees.
    #[serde(default)]
    pub(crate) files: Vec<FileEntry>,
    /// The program to run (one: faultline runs one process per run).
    #[serde(default)]
    pub(crate) process: Vec<Spanned<ProcessEntry>>,
    /// Timed injections.
    #[serde(default)]
    pub(crate) inject: Vec<Spanned<InjectEntry>>,
    /// Named custom policies, built from knobs.
    #[serde(default)]
    pub(crate) policy: Vec<PolicyEntry>,
    /// Run length, what to measure, and outputs.
    #[serde(default)]
    pub(crate) run: RunEntry,
    /// Named values that `{NAME}` in any value stands for (the program's arguments and
    /// environment, and every other key: `params` writes them in before the file is
    /// read), so that `--set params.NAME=V` and `sweep --vary params.NAME=...` reach them.
    #[serde(default)]
    pub(crate) params: BTreeMap<String, Spanned<toml::Value>>,
}

/// `[machine]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Machine {
    /// `virtual` (the default) or `host`.
    pub(crate) clock: Option<Text>,
    /// Virtual CPUs the harts share.
    pub(crate) cpus: Option<Spanned<i64>>,
    /// The seed of the run's random streams (default 0).
    pub(crate) seed: Option<Spanned<i64>>,
    /// A run passing this much virtual time is an error (a watchdog).
    pub(crate) max_time: Option<Text>,
    /// Cost-model overrides: entry name to duration.
    #[serde(default)]
    pub(crate) cost: BTreeMap<String, Text>,
}

/// `[mm]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Mm {
    /// The policy of `faultline scenario` (default `vma`); `compare` runs several.
    pub(crate) policy: Option<Text>,
    /// How long the first `mmap_lock` waiter waits before it may claim a handoff.
    pub(crate) rwsem_handoff: Option<Text>,
    /// Read-around window of a page-cache miss.
    pub(crate) readahead: Option<Text>,
    /// Fault-around window of a file fault.
    pub(crate) fault_around: Option<Text>,
    /// Which VMAs fork write-locks: `all` or `anon-cow`.
    pub(crate) fork_lock: Option<Text>,
}

/// `[storage]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Storage {
    /// Service-latency model.
    pub(crate) latency: Option<Text>,
    /// Requests served in parallel.
    pub(crate) depth: Option<Spanned<i64>>,
    /// `fifo`, `prio` or `deadline`.
    pub(crate) scheduler: Option<Text>,
    /// Bandwidth cap.
    pub(crate) bandwidth: Option<Text>,
    /// Stalls.
    pub(crate) stall: Option<Text>,
    /// Reads that fail.
    pub(crate) errors: Option<Text>,
}

/// `[memory]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Memory {
    /// Bound on resident guest memory.
    pub(crate) limit: Option<Text>,
    /// Swap area size.
    pub(crate) swap: Option<Text>,
    /// The flusher's period.
    pub(crate) dirty_writeback: Option<Text>,
    /// How long a page may stay dirty.
    pub(crate) dirty_expire: Option<Text>,
}

/// One `[[files]]` entry: a host file, or a synthetic one made for the run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileEntry {
    /// How arguments refer to it: `{file:NAME}`.
    pub(crate) name: Text,
    /// A host file (relative to the scenario file's folder).
    pub(crate) path: Option<Text>,
    /// A synthetic file's size.
    pub(crate) size: Option<Text>,
    /// A synthetic file's content: `zero`, `random` or `pages`.
    pub(crate) pattern: Option<Text>,
}

/// One `[[process]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProcessEntry {
    /// The riscv64 ELF (relative to the scenario file's folder).
    pub(crate) program: Text,
    /// Its arguments; `{scratch}` and `{file:NAME}` are replaced.
    #[serde(default)]
    pub(crate) args: Vec<Text>,
    /// Its environment, `KEY=VALUE` each.
    #[serde(default)]
    pub(crate) env: Vec<Text>,
    /// Confine guest paths under this folder.
    pub(crate) root: Option<Text>,
    /// Priorities for the threads that set none themselves, by thread name; the first
    /// entry whose name matches applies.
    #[serde(default)]
    pub(crate) priorities: Vec<PriorityEntry>,
}

/// One entry of `priorities`: threads called `thread` (a prefix if it ends in `*`) get
/// `set` (`nice:19+io:idle`, `fifo:50`, ...), as `faultline run --thread-prio`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PriorityEntry {
    /// The thread name or prefix.
    pub(crate) thread: Text,
    /// The priorities.
    pub(crate) set: Text,
}

/// One `[[inject]]` entry: when, and exactly one action.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InjectEntry {
    /// When, since the run's start.
    pub(crate) at: Text,
    /// The device stops serving for this long.
    pub(crate) stall: Option<Text>,
    /// The device's latency model becomes this.
    pub(crate) latency: Option<Text>,
    /// Clean, unmapped page-cache pages are dropped.
    pub(crate) drop_caches: Option<bool>,
    /// MADV_PAGEOUT of every mapping of this `[[files]]` name, or `anon`.
    pub(crate) pageout: Option<Text>,
    /// The memory limit becomes this.
    pub(crate) mem_limit: Option<Text>,
    /// This signal is sent to `thread`.
    pub(crate) signal: Option<Text>,
    /// The thread `signal` goes to: a tid or a name.
    pub(crate) thread: Option<Text>,
}

/// One `[[policy]]`: a named policy from a preset and knobs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyEntry {
    /// Its name in `--policies` and the table.
    pub(crate) name: Text,
    /// The preset it starts from (default `vma`).
    pub(crate) base: Option<Text>,
    /// The lock of the first attempt, for every backing: `vma` or `mmap`.
    pub(crate) first: Option<Text>,
    /// What a first attempt under the VMA lock does at I/O, for every backing.
    pub(crate) io: Option<Text>,
    /// The lock of the retry after a drop, for every backing.
    pub(crate) retry: Option<Text>,
    /// Knobs for anonymous memory.
    pub(crate) anon: Option<Knobs>,
    /// Knobs for file-backed memory.
    pub(crate) file: Option<Knobs>,
    /// Knobs for swap-ins.
    pub(crate) swap: Option<Knobs>,
}

/// The three knobs of a policy, for one backing or all.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Knobs {
    /// The lock of the first attempt: `vma` or `mmap`.
    pub(crate) first: Option<Text>,
    /// What a first attempt under the VMA lock does at I/O: `drop`, `hold`,
    /// `hold-if-uptodate`.
    pub(crate) io: Option<Text>,
    /// The lock of the retry after a drop: `vma` or `mmap`.
    pub(crate) retry: Option<Text>,
}

/// `[run]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunEntry {
    /// Virtual time after which the run ends (a normal end).
    pub(crate) length: Option<Text>,
    /// Guest-marked slices whose latencies the table shows.
    #[serde(default)]
    pub(crate) labels: Vec<Text>,
    /// A guest marker (slice or instant) that counts one round of work: throughput is
    /// rounds per second of virtual time.
    pub(crate) rounds: Option<Text>,
    /// Where `faultline scenario` writes the run's statistics.
    pub(crate) stats: Option<Text>,
    /// Where `faultline scenario` writes the run's trace.
    pub(crate) trace: Option<Text>,
    /// Where `faultline scenario` writes the trace's latency report.
    pub(crate) report: Option<Text>,
}
