//! openat of the process's own /proc files (`/proc/self/status`, `/proc/self/stat`,
//! `/proc/self/cmdline`, `/proc/self/maps`, the same under `/proc/PID/` for the guest's pid) and of `/proc/meminfo`: snapshots of the
//! process's state taken at open, under --root too.

use devices::cast::low_i32;

use crate::os::guest_memory::GuestMemory;
use crate::os::proc_maps;
use crate::os::process::host_ids;
use crate::os::procfs::{self, ProcessView};
use crate::thread::Thread;

/// Which process file a path names.
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
    let which = proc_file(&path, t.proc.pid)?;
    let flags = low_i32(a[2]);
    let view = view(t);
    let text = match which {
        ProcFile::Status => procfs::status(&view).into_bytes(),
        ProcFile::Stat => procfs::stat(&view).into_bytes(),
        ProcFile::Cmdline => files.cmdline(),
        ProcFile::Maps => proc_maps::render(&t.proc.mm.vmas()).into_bytes(),
        ProcFile::Meminfo => procfs::meminfo(&view).into_bytes(),
    };
    let r = procfs::snapshot(&text, flags)
        .and_then(|fd| files.install(fd, flags & libc::O_CLOEXEC != 0));
    Some(r.map_or_else(|e| e.neg(), i64::from))
}

/// The process file `path` names: /proc/meminfo, or status or stat under /proc/self or
/// /proc/`pid`.
fn proc_file(path: &[u8], pid: u32) -> Option<ProcFile> {
    if path == b"/proc/meminfo" {
        return Some(ProcFile::Meminfo);
    }
    let rest = path.strip_prefix(b"/proc/")?;
    let slash = rest.iter().position(|&b| b == b'/')?;
    let (who, what) = (&rest[..slash], &rest[slash + 1..]);
    if who != b"self" && who != pid.to_string().as_bytes() {
        return None;
    }
    match what {
        b"status" => Some(ProcFile::Status),
        b"stat" => Some(ProcFile::Stat),
        b"cmdline" => Some(ProcFile::Cmdline),
        b"maps" => Some(ProcFile::Maps),
        _ => None,
    }
}

/// The process as its /proc files show it now.
fn view(t: &Thread) -> ProcessView {
    let mm = &t.proc.mm;
    let mem_total =
        (mm.config().cache.mem_limit).unwrap_or_else(|| t.proc.opts.machine.memory(host_memory));
    ProcessView {
        pid: t.proc.pid,
        ppid: t.proc.opts.machine.ppid,
        name: t.name.clone(),
        threads: t.proc.live_threads().len(),
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
    fn names_self_and_own_pid_only() {
        assert!(matches!(
            proc_file(b"/proc/self/status", 9),
            Some(ProcFile::Status)
        ));
        assert!(matches!(
            proc_file(b"/proc/9/stat", 9),
            Some(ProcFile::Stat)
        ));
        assert!(proc_file(b"/proc/8/stat", 9).is_none());
        assert!(matches!(
            proc_file(b"/proc/self/cmdline", 9),
            Some(ProcFile::Cmdline)
        ));
        assert!(matches!(
            proc_file(b"/proc/9/maps", 9),
            Some(ProcFile::Maps)
        ));
        assert!(proc_file(b"/proc/self/smaps", 9).is_none());
        assert!(matches!(
            proc_file(b"/proc/meminfo", 9),
            Some(ProcFile::Meminfo)
        ));
    }
}
