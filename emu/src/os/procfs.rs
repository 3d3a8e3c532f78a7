//! Files faultline provides for the guest itself instead of the host's, with or without
//! `--root`: the character devices `/dev/null`, `/dev/zero`, `/dev/urandom` and
//! `/dev/full`, and the read-only files `/proc/cpuinfo` and
//! `/sys/devices/system/cpu/online`, which describe the emulated harts, not the host.
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

/// What a synthesized path opens.
enum Synth {
    /// The host's device node of the same name: these devices hold no host state.
    Device(&'static str),
    /// A read-only file with this text.
    Text(String),
}

/// Opens `path` with open(2) `flags` if it is one of the synthesized files: None if it is
/// not, so the caller looks it up as usual.
pub(crate) fn open(path: &[u8], flags: i32) -> Option<Result<OwnedFd, Errno>> {
    let synth = match path {
        b"/dev/null" => Synth::Device("/dev/null"),
        b"/dev/zero" => Synth::Device("/dev/zero"),
        b"/dev/urandom" => Synth::Device("/dev/urandom"),
        b"/dev/full" => Synth::Device("/dev/full"),
        b"/proc/cpuinfo" => Synth::Text(cpuinfo(harts())),
        b"/sys/devices/system/cpu/online" => Synth::Text(online(harts())),
        _ => return None,
    };
    Some(match synth {
        Synth::Device(node) => open_device(node, flags),
        Synth::Text(text) => snapshot(text.as_bytes(), flags),
    })
}

/// The number of harts the guest may run at once: one per host CPU, at most 1024 (the
/// CPUs sysinfo and sched_getaffinity report).
fn harts() -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(1024)
}

/// `/proc/cpuinfo` for `n` harts, in Linux's riscv format.
fn cpuinfo(n: usize) -> String {
    (0..n)
        .map(|i| format!("processor\t: {i}\nhart\t\t: {i}\nisa\t\t: {ISA}\nmmu\t\t: sv39\n\n"))
        .collect()
}

/// `/sys/devices/system/cpu/online` for `n` harts.
fn online(n: usize) -> String {
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
fn snapshot(text: &[u8], flags: i32) -> Result<OwnedFd, Errno> {
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

    #[test]
    fn online_lists_the_harts() {
        assert_eq!(online(1), "0\n");
        assert_eq!(online(4), "0-3\n");
    }

    #[test]
    fn unknown_paths_are_not_ours() {
        assert!(open(b"/proc/self/fd/0", libc::O_RDONLY).is_none());
        assert!(open(b"/dev/nullx", libc::O_RDONLY).is_none());
    }

    #[test]
    fn snapshots_refuse_writes() {
        assert_eq!(
            open(b"/proc/cpuinfo", libc::O_RDWR).map(|r| r.err()),
            Some(Some(Errno::EACCES))
        );
    }
}
