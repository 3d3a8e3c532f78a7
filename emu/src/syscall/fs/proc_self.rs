//! openat of the processes' /proc files (`/proc/self/status`, `/proc/self/stat`,
//! `/proc/self/cmdline`, `/proc/self/maps`, the same under `/proc/PID/` for any guest
//! process, ENOENT for a pid that is none) and of `/proc/meminfo`: snapshots of the
//! process's state taken at open, under --root too.

use devices::cast::low_i32;

use crate::os::guest_memory::GuestMemory;
use crate::os::proc_maps;
use crate::os::process::{host_ids, Process};
use crate::os::procfs::{self, ProcessView};
use crate::thread::Thread;

/// Whose process file a path names.
#[derive(Debug, PartialEq, Eq)]
enum Who {
    /// `/proc/self`: the caller's process.
    Caller,
    /// `/proc/PID`.
    Pid(u32),
}

/// Which process file a path names.
#[derive(Debug)]
enum ProcFile {
    Status,
    Stat,
    Cmdline,
    Maps,
    Meminfo,
}

/// Handles openat(a) if its path is one of the process's /proc files: the guest fd or
/// negative errno; None for any other path.
pub(crate) fn openat(t: &Thread, mem: &dyn GuestMemory, a: [u64; 6]) -> Option<i64> {
    let files = &t.proc.files;
    let path = files.path(mem, a[1]).ok()?;
    let (who, which) = proc_file(&path)?;
    let proc = match who {
        Who::Caller => Some(t.proc.clone()),
        Who::Pid(pid) => t.proc.table.image(pid),
    };
    let Some(proc) = proc else {
        return Some(mmu::Errno::ENOENT.neg());
    };
    let flags = low_i32(a[2]);
    let view = view(t, &proc);
    let text = match which {
        ProcFile::Status => procfs::status(&view).into_bytes(),
        ProcFile::Stat => procfs::stat(&view).into_bytes(),
        ProcFile::Cmdline => proc.files.cmdline(),
        ProcFile::Maps => proc_maps::render(&proc.mm.vmas()).into_bytes(),
        ProcFile::Meminfo => procfs::meminfo(&view).into_bytes(),
    };
    let r = procfs::snapshot(&text, flags)
        .and_then(|fd| files.install(fd, flags & libc::O_CLOEXEC != 0));
    Some(r.map_or_else(|e| e.neg(), i64::from))
}

/// The process file `path` names: /proc/meminfo (as the caller's), or status, stat,
/// cmdline or maps under /proc/self or /proc/PID.
fn proc_file(path: &[u8]) -> Option<(Who, ProcFile)> {
    if path == b"/proc/meminfo" {
        return Some((Who::Caller, ProcFile::Meminfo));
    }
    let rest = path.strip_prefix(b"/proc/")?;
    let slash = rest.iter().position(|&b| b == b'/')?;
    let (who, what) = (&rest[..slash], &rest[slash + 1..]);
    let who = match who {
        b"self" => Who::Caller,
        digits => Who::Pid(std::str::from_utf8(digits).ok()?.parse().ok()?),
    };
    let file = match what {
        b"status" => ProcFile::Status,
        b"stat" => ProcFile::Stat,
        b"cmdline" => ProcFile::Cmdline,
        b"maps" => ProcFile::Maps,
        _ => return None,
    };
    Some((who, file))
}

/// Process `proc` as its /proc files show it now to thread `t` (whose name is its
/// process's when it is the caller's).
fn view(t: &Thread, proc: &Process) -> ProcessView {
    let mm = &proc.mm;
    let mem_total =
        (mm.config().cache.mem_limit).unwrap_or_else(|| proc.opts.machine.memory(host_memory));
    let name = match std::ptr::eq(proc, &*t.proc) {
        true => t.name.clone(),
        false => proc.names.of(proc.pid).unwrap_or_default(),
    };
    ProcessView {
        pid: proc.pid,
        ppid: proc.table.ppid(proc.pid),
        name,
        threads: proc.live_threads().len(),
        vm_bytes: mm.vmas().iter().map(|v| v.len()).sum(),
        rss_bytes: u64::from(mm.frames_in_use()) * mmu::PAGE_SIZE,
        mem_total,
        ids: host_ids(),
    }
}

/// The host's memory, when no limit bounds the guest's.
fn host_memory() -> u64 {
    // SAFETY: an all-zero sysinfo is a valid buffer for sysinfo(2) to fill.
    let mut si: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: sysinfo writes only into `si`.
    if unsafe { libc::sysinfo(&mut si) } != 0 {
        return 0;
    }
    si.totalram * u64::from(si.mem_unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_self_and_any_pid() {
        let f = |p: &[u8]| proc_file(p).map(|(w, f)| (w, format!("{f:?}")));
        assert_eq!(
            f(b"/proc/self/status"),
            Some((Who::Caller, "Status".into()))
        );
        assert_eq!(f(b"/proc/9/stat"), Some((Who::Pid(9), "Stat".into())));
        assert_eq!(
            f(b"/proc/self/cmdline"),
            Some((Who::Caller, "Cmdline".into()))
        );
        assert_eq!(f(b"/proc/9/maps"), Some((Who::Pid(9), "Maps".into())));
        assert_eq!(f(b"/proc/self/smaps"), None);
        assert_eq!(f(b"/proc/x9/stat"), None);
        assert_eq!(f(b"/proc/meminfo"), Some((Who::Caller, "Meminfo".into())));
    }
}
