//! The guest process's file-system calls: the fd table, the working directory and root
//! confinement, and the dispatch of the file-system system calls onto host calls.

mod fds;
mod io;
mod meta;
mod names;
#[cfg(test)]
mod tests;

use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;

use mmu::Errno;

use super::fdtable::{FdTable, HostFd};
use super::guest::GuestMemory;
use super::nr;
use super::path::{Base, Resolver, PATH_MAX};

/// What a system-call handler gives back: the value for a0, or the errno to negate.
type SysResult = Result<i64, Errno>;

/// A handler of one system call.
type Handler = fn(&Files, &dyn GuestMemory, [u64; 6]) -> SysResult;

/// The guest process's file state: fd table, working directory, root confinement. Shared by
/// all threads (Send + Sync).
pub struct Files {
    fds: FdTable,
    paths: Resolver,
    exe: Vec<u8>,
}

/// Linux's ceiling on RLIMIT_NOFILE (fs.nr_open's default).
const NR_OPEN: usize = 1 << 20;

/// The value of AT_FDCWD as the guest passes it.
const AT_FDCWD: i32 = -100;

impl Files {
    /// `root`: the --root DIR confining every guest path (None = the host file system as
    /// is). `exe`: the host path of the guest program (what readlinkat("/proc/self/exe")
    /// answers, seen from inside the root).
    pub fn new(root: Option<&Path>, exe: &Path) -> std::io::Result<Files> {
        let paths = Resolver::new(root)?;
        let fds = FdTable::new(host_nofile_limit());
        for fd in 0..3 {
            // Guest stdio are dups, so the guest closing them leaves the emulator's open.
            // SAFETY: F_DUPFD_CLOEXEC only reads `fd`; failure (fd closed) is checked.
            let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
            if let Ok(dup) = super::path::owned(dup) {
                fds.replace(fd, Arc::new(HostFd::new(dup)), false)
                    .map_err(|e| std::io::Error::from_raw_os_error(e.0))?;
            }
        }
        let exe_host = std::fs::canonicalize(exe).or_else(|_| std::path::absolute(exe))?;
        let exe = paths
            .guest_view(&exe_host)
            .unwrap_or_else(|| exe_host.as_os_str().as_bytes().to_vec());
        Ok(Files { fds, paths, exe })
    }

    /// Handles system call `nr` with arguments `a` if it is a file-system call, returning the
    /// value for a0 (negative errno on failure); None if `nr` is not one of ours.
    pub fn handle(&self, mem: &dyn GuestMemory, nr: u64, a: [u64; 6]) -> Option<i64> {
        let handler: Handler = match nr {
            nr::openat => Files::openat,
            nr::openat2 => |_, _, _| Err(Errno::ENOSYS),
            nr::close => Files::close,
            nr::close_range => Files::close_range,
            nr::read => Files::read,
            nr::write => Files::write,
            nr::readv => Files::readv,
            nr::writev => Files::writev,
            nr::pread64 => Files::pread64,
            nr::pwrite64 => Files::pwrite64,
            nr::preadv => Files::preadv,
            nr::pwritev => Files::pwritev,
            nr::preadv2 => Files::preadv2,
            nr::pwritev2 => Files::pwritev2,
            nr::lseek => Files::lseek,
            nr::sendfile => Files::sendfile,
            nr::copy_file_range => Files::copy_file_range,
            nr::getdents64 => Files::getdents64,
            nr::ftruncate => Files::ftruncate,
            nr::fallocate => Files::fallocate,
            nr::fsync => Files::fsync,
            nr::fdatasync => Files::fdatasync,
            nr::sync => Files::sync,
            nr::syncfs => Files::syncfs,
            nr::sync_file_range => Files::sync_file_range,
            nr::fstat => Files::fstat,
            nr::newfstatat => Files::newfstatat,
            nr::statx => Files::statx,
            nr::faccessat => Files::faccessat,
            nr::faccessat2 => Files::faccessat2,
            nr::fchmod => Files::fchmod,
            nr::fchmodat => Files::fchmodat,
            nr::fchmodat2 => Files::fchmodat2,
            nr::fchown => Files::fchown,
            nr::fchownat => Files::fchownat,
            nr::utimensat => Files::utimensat,
            nr::truncate => Files::truncate,
            nr::statfs => Files::statfs,
            nr::fstatfs => Files::fstatfs,
            nr::umask => Files::umask,
            nr::mkdirat => Files::mkdirat,
            nr::mknodat => Files::mknodat,
            nr::unlinkat => Files::unlinkat,
            nr::renameat2 => Files::renameat2,
            nr::linkat => Files::linkat,
            nr::symlinkat => Files::symlinkat,
            nr::readlinkat => Files::readlinkat,
            nr::getcwd => Files::getcwd,
            nr::chdir => Files::chdir,
            nr::fchdir => Files::fchdir,
            nr::dup => Files::dup,
            nr::dup3 => Files::dup3,
            nr::fcntl => Files::fcntl,
            nr::ioctl => Files::ioctl,
            nr::pipe2 => Files::pipe2,
            nr::flock => Files::flock,
            _ => return None,
        };
        Some(handler(self, mem, a).unwrap_or_else(Errno::neg))
    }

    /// The host fd behind guest fd `fd`, for callers outside this layer (file mappings);
    /// EBADF if it is not open.
    pub fn host_fd(&self, fd: i32) -> Result<Arc<HostFd>, Errno> {
        self.fds.get(fd)
    }

    /// Opens guest path `path` for execution (the program interpreter), resolved as the
    /// guest's own opens are: relative to its working directory, confined under the root.
    pub fn open_exec(&self, path: &[u8]) -> Result<OwnedFd, Errno> {
        self.paths.open(Base::Cwd, path, libc::O_RDONLY, 0)
    }

    /// Closes the guest's close-on-exec fds, as a successful execve does.
    pub fn close_on_exec(&self) {
        drop(self.fds.close_on_exec());
    }

    /// The open host file behind the guest fd in argument register `arg`.
    fn file(&self, arg: u64) -> Result<Arc<HostFd>, Errno> {
        self.fds.get(arg as i32)
    }

    /// Installs a freshly opened host fd as the lowest free guest fd.
    fn install(&self, fd: OwnedFd, cloexec: bool) -> Result<i32, Errno> {
        self.fds.insert(Arc::new(HostFd::new(fd)), cloexec, 0)
    }

    /// Reads the guest path at `addr`: EFAULT if unreadable, ENAMETOOLONG if it does not
    /// end within PATH_MAX bytes.
    fn path(&self, mem: &dyn GuestMemory, addr: u64) -> Result<Vec<u8>, Errno> {
        let path = mem.read_cstring(addr, PATH_MAX)?;
        if path.len() >= PATH_MAX {
            return Err(Errno(libc::ENAMETOOLONG));
        }
        Ok(path)
    }

    /// Where a lookup of `path` relative to guest dirfd `dirfd` starts. An absolute path
    /// ignores the dirfd, as Linux does, even an invalid one.
    fn base(&self, dirfd: u64, path: &[u8]) -> Result<Base, Errno> {
        let dirfd = dirfd as i32;
        if dirfd == AT_FDCWD || (path.first() == Some(&b'/')) {
            Ok(Base::Cwd)
        } else {
            self.fds.get(dirfd).map(Base::Fd)
        }
    }
}

/// A host call's return value as a system-call result: negative means the host errno.
fn host(ret: i64) -> SysResult {
    if ret < 0 {
        Err(Errno::last_os_error())
    } else {
        Ok(ret)
    }
}

/// The guest's fd limit: the host's soft RLIMIT_NOFILE, within Linux's ceiling.
fn host_nofile_limit() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes only into `lim`.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 1024;
    }
    usize::try_from(lim.rlim_cur)
        .unwrap_or(NR_OPEN)
        .min(NR_OPEN)
}
