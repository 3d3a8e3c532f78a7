//! The machine the guest is told it runs on: its process id, its parent's, its CPUs and
//! its memory. Under the host clock they are the host's; under the virtual clock they
//! are fixed, so that what a guest reads of them, and sizes by them, repeats on any host.

/// The process id under the virtual clock (under the host clock it is the emulator's).
const VIRTUAL_PID: u32 = 1000;
/// The parent's process id under the virtual clock: the parent is outside the run.
const VIRTUAL_PPID: u32 = 1;
/// The CPUs a guest sees under the virtual clock without `--cpus` (its harts still each
/// run on their own CPU then).
const VIRTUAL_CPUS: u64 = 8;
/// The machine memory a guest sees under the virtual clock without `--mem-limit` (what
/// sysinfo(2) reports).
const VIRTUAL_MEMORY: u64 = 8 << 30;

/// What the guest is told of its machine, decided once per run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Machine {
    /// The process id, and so the first thread's.
    pub pid: u32,
    /// The parent's process id.
    pub ppid: u32,
    /// The CPUs `/proc/cpuinfo`, the online list, getcpu and the affinity mask describe:
    /// `--cpus` where given.
    pub cpus: u64,
    /// The machine's memory where it is fixed; None: the host's.
    memory: Option<u64>,
}

impl Machine {
    /// The machine of a run under the virtual clock if `virtual_time`, with `--cpus`.
    pub(crate) fn new(virtual_time: bool, cpus: Option<u32>) -> Machine {
        let cpus = cpus.map(u64::from);
        if virtual_time {
            Machine {
                pid: VIRTUAL_PID,
                ppid: VIRTUAL_PPID,
                cpus: cpus.unwrap_or(VIRTUAL_CPUS),
                memory: Some(VIRTUAL_MEMORY),
            }
        } else {
            Machine {
                pid: std::process::id(),
                ppid: std::os::unix::process::parent_id(),
                cpus: cpus.unwrap_or_else(super::procfs::host_cpus),
                memory: None,
            }
        }
    }

    /// The machine's memory, `host()` where it is the host's.
    pub(crate) fn memory(&self, host: impl FnOnce() -> u64) -> u64 {
        self.memory.unwrap_or_else(host)
    }
}
