//! The guest process's file state: the fd table, the working directory and root
//! confinement, and the program's own path.

use devices::cast::low_i32;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;

use mmu::Errno;
use parking_lot::RwLock;

use super::fdtable::{FdTable, HostFd};
use super::guest_memory::GuestMemory;
use super::host_file::HostChanges;
use super::path::{owned, Base, Resolver, View, PATH_MAX};
use super::socket_addr::SocketNames;

/// The guest process's file state: fd table, working directory, root confinement. Shared by
/// all threads (Send + Sync).
#[derive(Debug)]
pub struct Files {
    /// The fd table.
    pub(crate) fds: FdTable,
    /// The working directory and root confinement.
    pub(crate) paths: Resolver,
    /// The program's path as the guest sees it (/proc/self/exe).
    exe: RwLock<Vec<u8>>,
    /// The program's arguments, each NUL-terminated (/proc/self/cmdline).
    cmdline: RwLock<Vec<u8>>,
    /// The count of calls that changed host files behind the page cache.
    pub(crate) host_changes: HostChanges,
    /// The CPUs `/proc/cpuinfo` and `/sys/devices/system/cpu/online` describe.
    cpus: u64,
    /// The guest names of the AF_UNIX sockets it bound.
    pub(crate) socket_names: SocketNames,
}

/// Linux's ceiling on RLIMIT_NOFILE (fs.nr_open's default).
const NR_OPEN: usize = 1 << 20;

/// The value of AT_FDCWD as the guest passes it.
pub(crate) const AT_FDCWD: i32 = -100;

impl Files {
    /// `view`: how guest paths map onto the host (as is, confined by --root, or overlaid
    /// by -L). `exe`: the host path of the guest program (what
    /// readlinkat("/proc/self/exe") answers, seen from inside the root). `cpus`: the
    /// CPUs the synthesized CPU files describe.
    pub fn new(view: View<'_>, exe: &Path, cpus: u64) -> std::io::Result<Files> {
        let paths = Resolver::new(view)?;
        let fds = FdTable::new(host_nofile_limit());
        for fd in 0..3 {
            // Guest stdio are dups, so the guest closing them leaves the emulator's open.
            // SAFETY: F_DUPFD_CLOEXEC only reads `fd`; failure (fd closed) is checked.
            let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
            if let Ok(dup) = owned(dup) {
                fds.replace(fd, Arc::new(HostFd::new(dup)), false)
                    .map_err(|e| std::io::Error::from_raw_os_error(e.0))?;
            }
        }
        let exe_host = std::fs::canonicalize(exe).or_else(|_| std::path::absolute(exe))?;
        let exe = paths
            .guest_view(&exe_host)
            .unwrap_or_else(|| exe_host.as_os_str().as_bytes().to_vec());
        Ok(Files {
            fds,
            paths,
            exe: RwLock::new(exe),
            cmdline: RwLock::default(),
            host_changes: HostChanges::default(),
            cpus,
            socket_names: SocketNames::default(),
        })
    }

    /// A copy for a new process (fork, vfork): the same open files, working directory,
    /// program and arguments; EMFILE if the root cannot be reopened.
    pub(crate) fn copy(&self) -> Result<Files, Errno> {
        Ok(Files {
            fds: self.fds.copy(),
            paths: self.paths.try_clone().map_err(|_| Errno(libc::EMFILE))?,
            exe: RwLock::new(self.exe()),
            cmdline: RwLock::new(self.cmdline()),
            host_changes: self.host_changes.clone(),
            cpus: self.cpus,
            socket_names: self.socket_names.clone(),
        })
    }

    /// The program's path as the guest sees it (/proc/self/exe).
    pub(crate) fn exe(&self) -> Vec<u8> {
        self.exe.read().clone()
    }

    /// Records the program a successful execve started, by its guest path.
    pub(crate) fn set_exe(&self, exe: Vec<u8>) {
        *self.exe.write() = exe;
    }

    /// Closes every guest fd, as the end of the last process using the table does.
    pub(crate) fn close_all(&self) {
        drop(self.fds.close_range(0, u32::MAX, false));
    }

    /// The number of CPUs the synthesized CPU files describe.
    pub(crate) fn cpus(&self) -> u64 {
        self.cpus
    }

    /// Records the arguments the program was started with, which /proc/self/cmdline
    /// shows (as they were at start: later changes to the guest's argv strings are not
    /// seen, where Linux reads them from the guest's memory).
    pub fn set_cmdline(&self, argv: &[String]) {
        *self.cmdline.write() = argv
            .iter()
            .flat_map(|a| a.bytes().chain(std::iter::once(0)))
            .collect();
    }

    /// The text of /proc/self/cmdline.
    pub(crate) fn cmdline(&self) -> Vec<u8> {
        self.cmdline.read().clone()
    }

    /// The host fd behind guest fd `fd`, for callers outside this layer (file mappings);
    /// EBADF if it is not open.
    pub fn host_fd(&self, fd: i32) -> Result<Arc<HostFd>, Errno> {
        self.fds.get(fd)
    }

    /// Opens guest path `path` for execution (the program interpreter), resolved as the
    /// guest's own opens are: relative to its working directory, confined under the root.
    pub fn open_exec(&self, path: &[u8]) -> Result<OwnedFd, Errno> {
        // Without blocking: a FIFO is refused by the loader, never waited on.
        self.paths
            .open(Base::Cwd, path, libc::O_RDONLY | libc::O_NONBLOCK, 0)
    }

    /// Closes the guest's close-on-exec fds, as a successful execve does.
    pub fn close_on_exec(&self) {
        drop(self.fds.close_on_exec());
    }

    /// The open host file behind the guest fd in argument register `arg`.
    pub(crate) fn file(&self, arg: u64) -> Result<Arc<HostFd>, Errno> {
        self.fds.get(low_i32(arg))
    }

    /// Installs a freshly opened host fd as the lowest free guest fd.
    pub(crate) fn install(&self, fd: OwnedFd, cloexec: bool) -> Result<i32, Errno> {
        self.fds.insert(Arc::new(HostFd::new(fd)), cloexec, 0)
    }

    /// Reads the guest path at `addr`: EFAULT if unreadable, ENAMETOOLONG if it does not
    /// end within PATH_MAX bytes.
    pub(crate) fn path(&self, mem: &dyn GuestMemory, addr: u64) -> Result<Vec<u8>, Errno> {
        let path = mem.read_cstring(addr, PATH_MAX)?;
        if path.len() >= PATH_MAX {
            return Err(Errno(libc::ENAMETOOLONG));
        }
        Ok(path)
    }

    /// Where a lookup of `path` relative to guest dirfd `dirfd` starts. An absolute path
    /// ignores the dirfd, as Linux does, even an invalid one.
    pub(crate) fn base(&self, dirfd: u64, path: &[u8]) -> Result<Base, Errno> {
        let dirfd = low_i32(dirfd);
        if dirfd == AT_FDCWD || (path.first() == Some(&b'/')) {
            Ok(Base::Cwd)
        } else {
            self.fds.get(dirfd).map(Base::Fd)
        }
    }
    /// An O_PATH descriptor of the file at guest path `addr` (resolved as truncate(2)
    /// resolves it), or `None` if it cannot be reached.
    pub(crate) fn open_path(&self, mem: &dyn GuestMemory, addr: u64) -> Option<OwnedFd> {
        let path = self.path(mem, addr).ok()?;
        self.paths.open(Base::Cwd, &path, libc::O_PATH, 0).ok()
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
