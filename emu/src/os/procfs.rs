//! Files faultline provides for the guest itself instead of the host's, with or without
//! `--root`: the character devices `/dev/null`, `/dev/zero`, `/dev/urandom` and
//! `/dev/full`, and the read-only files `/proc/cpuinfo` and
//! `/sys/devices/system/cpu/online`, which describe the emulated harts, not the host;
//! and the text of the process's own `/proc/self/status`, `/proc/self/stat` and of
//! `/proc/meminfo`, from a [`ProcessView`] the system-call layer fills in.
//!
//! A synthesized file is a snapshot taken at open, as a seq_file is read: its text is
//! written to a sealed memory file reopened read-only, so read, pread, lseek and fstat
//! work on it as on any file (fstat reports its length where Linux reports 0). Writing
//! opens fail with EACCES, as for Linux's 0444 files. Only absolute paths spelled exactly
//! are matched.

use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};

use mmu::Errno;

use super::path::owned;

/// The ISA the harts implement, as Linux's riscv `/proc/cpuinfo` names it.
const ISA: &str = "rv64imafdc";

/// What the process-describing files show, gathered when one is opened.
#[derive(Debug)]
pub(crate) struct ProcessView {
    /// The process id (the guest's tgid).
    pub pid: u32,
    /// The parent's pid.
    pub ppid: u32,
    /// The opening thread's name (PR_SET_NAME).
    pub name: String,
    /// Live threads.
    pub threads: usize,
    /// Bytes of address space mapped (the VMAs' total length).
    pub vm_bytes: u64,
    /// Bytes resident: frames the address space holds.
    pub rss_bytes: u64,
    /// Bytes the guest may have resident: the memory limit, else the host's memory.
    pub mem_total: u64,
    /// Real and effective user and group ids.
    pub ids: (u32, u32, u32, u32),
}

/// `/proc/self/status`: the fields programs read (Name, Pid, PPid, Uid, Gid, VmSize,
/// VmRSS, Threads) in Linux's order and layout.
pub(crate) fn status(v: &ProcessView) -> String {
    let (uid, euid, gid, egid) = v.ids;
    format!(
        "Name:\t{name}\nUmask:\t0022\nState:\tR (running)\nTgid:\t{pid}\nNgid:\t0\n\
         Pid:\t{pid}\nPPid:\t{ppid}\nTracerPid:\t0\n\
         Uid:\t{uid}\t{euid}\t{euid}\t{euid}\nGid:\t{gid}\t{egid}\t{egid}\t{egid}\n\
         VmSize:\t{vm:8} kB\nVmRSS:\t{rss:8} kB\nThreads:\t{threads}\n",
        name = v.name,
        pid = v.pid,
        ppid = v.ppid,
        vm = v.vm_bytes / 1024,
        rss = v.rss_bytes / 1024,
        threads = v.threads,
    )
}

/// `/proc/self/stat`: Linux's 52 fields, with pid, comm, state, ppid, pgrp, session,
/// num_threads, vsize and rss (in pages) filled in and the others 0.
pub(crate) fn stat(v: &ProcessView) -> String {
    let mut fields = vec![
        v.pid.to_string(),
        format!("({})", v.name),
        "R".to_string(),
        v.ppid.to_string(),
        v.pid.to_string(),
        v.pid.to_string(),
    ];
    // tty_nr .. nice (fields 7 to 19).
    fields.extend(std::iter::repeat_n("0".to_string(), 13));
    fields.push(v.threads.to_string());
    fields.push("0".to_string());
    fields.push("0".to_string());
    fields.push(v.vm_bytes.to_string());
    fields.push((v.rss_bytes / 4096).to_string());
    fields.extend(std::iter::repeat_n("0".to_string(), 52 - fields.len()));
    fields.join(" ") + "\n"
}

/// `/proc/meminfo`: the memory the guest may use and what it has resident.
pub(crate) fn meminfo(v: &ProcessView) -> String {
    let total = v.mem_total / 1024;
    let free = v.mem_total.saturating_sub(v.rss_bytes) / 1024;
    format!(
        "MemTotal:       {total:8} kB\nMemFree:        {free:8} kB\n\
         MemAvailable:   {free:8} kB\nBuffers:               0 kB\n\
         Cached:                0 kB\nSwapCached:            0 kB\n"
    )
}

/// What a synthesized path opens.
enum Synth {
    /// The host's device node of the same name: these devices hold no host state.
    Device(&'static str),
    /// A read-only file with this text.
    Text(String),
}

/// Opens `path` with open(2) `flags` if it is one of the synthesized files, for a guest
/// with `cpus` CPUs: None if it is not, so the caller looks it up as usual.
pub(crate) fn open(path: &[u8], flags: i32, cpus: u64) -> Option<Result<OwnedFd, Errno>> {
    let synth = match path {
        b"/dev/null" => Synth::Device("/dev/null"),
        b"/dev/zero" => Synth::Device("/dev/zero"),
        b"/dev/urandom" => Synth::Device("/dev/urandom"),
        b"/dev/full" => Synth::Device("/dev/full"),
        b"/proc/cpuinfo" => Synth::Text(cpuinfo(cpus)),
        b"/sys/devices/system/cpu/online" => Synth::Text(online(cpus)),
        _ => return None,
    };
    Some(match synth {
        Synth::Device(node) => open_device(node, flags),
        Synth::Text(text) => snapshot(text.as_bytes(), flags),
    })
}

/// The host's CPUs, at most 1024: the guest's CPUs under the host clock, where its harts
/// run on them.
pub(crate) fn host_cpus() -> u64 {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get() as u64)
        .min(1024)
}

/// `/proc/cpuinfo` for `n` harts, in Linux's riscv format.
fn cpuinfo(n: u64) -> String {
    (0..n)
        .map(|i| format!("processor\t: {i}\nhart\t\t: {i}\nisa\t\t: {ISA}\nmmu\t\t: sv39\n\n"))
        .collect()
}

/// `/sys/devices/system/cpu/online` for `n` harts.
fn online(n: u64) -> String {
    match n {
        1 => "0\n".to_string(),
        n => format!("0-{}\n", n - 1),
    }
}

/// Opens host device node `node` with the guest's `flags` (close-on-exec on the host).
fn open_device(node: &str, flags: i32) -> Result<OwnedFd, Errno> {
    let c = CString::new(node).map_err(|_| Errno::EINVAL)?;
    // SAFETY: `c` is NUL-terminated.
    owned(unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC, 0) })
}

/// A read-only file description holding `text`: EACCES if `flags` ask to write,
/// ENOTDIR for O_DIRECTORY.
pub(crate) fn snapshot(text: &[u8], flags: i32) -> Result<OwnedFd, Errno> {
    if flags & libc::O_ACCMODE != libc::O_RDONLY || flags & (libc::O_TRUNC | libc::O_CREAT) != 0 {
        return Err(Errno::EACCES);
    }
    if flags & libc::O_DIRECTORY != 0 {
        return Err(Errno::ENOTDIR);
    }
    let name = c"faultline-synth";
    // SAFETY: `name` is NUL-terminated.
    let mem = owned(unsafe {
        libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING)
    })?;
    let mut done = 0;
    while done < text.len() {
        // SAFETY: the pointer and length stay within `text`.
        let n = unsafe {
            libc::write(
                mem.as_raw_fd(),
                text[done..].as_ptr().cast(),
                text.len() - done,
            )
        };
        if n < 0 {
            return Err(Errno::last_os_error());
        }
        done += n as usize;
    }
    let seals = libc::F_SEAL_SEAL | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE;
    // SAFETY: F_ADD_SEALS only changes the memory file's seals.
    if unsafe { libc::fcntl(mem.as_raw_fd(), libc::F_ADD_SEALS, seals) } < 0 {
        return Err(Errno::last_os_error());
    }
    // A new description, read-only and at offset 0, for the guest.
    let link =
        CString::new(format!("/proc/self/fd/{}", mem.as_raw_fd())).map_err(|_| Errno::EINVAL)?;
    let keep = flags & (libc::O_NONBLOCK | libc::O_NOATIME);
    // SAFETY: `link` is NUL-terminated.
    owned(unsafe { libc::open(link.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC | keep) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuinfo_names_each_hart_and_its_isa() {
        assert_eq!(
            cpuinfo(2),
            "processor\t: 0\nhart\t\t: 0\nisa\t\t: rv64imafdc\nmmu\t\t: sv39\n\n\
             processor\t: 1\nhart\t\t: 1\nisa\t\t: rv64imafdc\nmmu\t\t: sv39\n\n"
        );
    }

    fn view() -> ProcessView {
        ProcessView {
            pid: 7,
            ppid: 1,
            name: "prog".to_string(),
            threads: 2,
            vm_bytes: 8 << 20,
            rss_bytes: 1 << 20,
            mem_total: 64 << 20,
            ids: (1000, 1000, 100, 100),
        }
    }

    #[test]
    fn status_has_linux_layout() {
        let s = status(&view());
        assert!(s.starts_with("Name:\tprog\nUmask:\t0022\nState:\tR (running)\nTgid:\t7\n"));
        assert!(s.contains("\nPid:\t7\nPPid:\t1\n"));
        assert!(s.contains("\nVmRSS:\t    1024 kB\n"));
        assert!(s.ends_with("Threads:\t2\n"));
    }

    #[test]
    fn stat_has_52_fields() {
        let s = stat(&view());
        let f: Vec<&str> = s.trim_end().split(' ').collect();
        assert_eq!(f.len(), 52);
        assert_eq!(&f[..4], ["7", "(prog)", "R", "1"]);
        assert_eq!((f[19], f[22], f[23]), ("2", "8388608", "256"));
    }

    #[test]
    fn meminfo_is_the_limit() {
        let m = meminfo(&view());
        assert!(m.starts_with("MemTotal:          65536 kB\nMemFree:           64512 kB\n"));
    }

    #[test]
    fn online_lists_the_harts() {
        assert_eq!(online(1), "0\n");
        assert_eq!(online(4), "0-3\n");
    }

    #[test]
    fn unknown_paths_are_not_ours() {
        assert!(open(b"/proc/self/fd/0", libc::O_RDONLY, 1).is_none());
        assert!(open(b"/dev/nullx", libc::O_RDONLY, 1).is_none());
    }

    #[test]
    fn snapshots_refuse_writes() {
        assert_eq!(
            open(b"/proc/cpuinfo", libc::O_RDWR, 1).map(|r| r.err()),
            Some(Some(Errno::EACCES))
        );
    }
}
