//! The name space: opening, creating, removing, renaming and linking names, reading
//! symlinks, and the working directory.

use devices::cast::{low_i32, low_u32, u64_to_usize};
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use mmu::Errno;

use super::{host, Files, SysResult, AT_FDCWD};
use crate::os::guest_memory::GuestMemory;
use crate::os::path::{owned, At, Base, Entry, PATH_MAX};
use crate::os::procfs;

/// A /proc/self link the guest must see as its own rather than the emulator's.
enum ProcSelfLink {
    /// /proc/self/exe: the guest program.
    Exe,
    /// /proc/self/fd/N: guest fd N.
    Fd(i32),
}

impl Files {
    /// openat(dirfd, path, flags, mode); open flags have the same values on riscv64 and
    /// x86_64. The devices and files faultline synthesizes come first, under --root too.
    pub(super) fn openat(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let path = self.path(mem, a[1])?;
        let flags = low_i32(a[2]);
        let fd = match procfs::open(&path, flags, self.cpus()) {
            Some(fd) => fd?,
            None => self
                .paths
                .open(self.base(a[0], &path)?, &path, flags, low_u32(a[3]))?,
        };
        Ok(self.install(fd, flags & libc::O_CLOEXEC != 0)?.into())
    }

    /// mkdirat(dirfd, path, mode).
    pub(super) fn mkdirat(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let at = match self.entry(mem, a[0], a[1])? {
            Entry::Name(at) => at,
            _ => return Err(Errno::EEXIST),
        };
        // SAFETY: `at` keeps its dirfd open and the name is NUL-terminated.
        host(unsafe { libc::mkdirat(at.dirfd(), at.name().as_ptr(), low_u32(a[2])) }.into())
    }

    /// mknodat(dirfd, path, mode, dev); dev_t encodings agree between the architectures.
    pub(super) fn mknodat(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let at = match self.entry(mem, a[0], a[1])? {
            Entry::Name(at) => at,
            _ => return Err(Errno::EEXIST),
        };
        // SAFETY: `at` keeps its dirfd open and the name is NUL-terminated.
        host(
            unsafe {
                libc::mknodat(
                    at.dirfd(),
                    at.name().as_ptr(),
                    low_u32(a[2]),
                    low_u32(a[3]) as libc::dev_t,
                )
            }
            .into(),
        )
    }

    /// unlinkat(dirfd, path, flags).
    pub(super) fn unlinkat(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let flags = low_i32(a[2]);
        if flags & !libc::AT_REMOVEDIR != 0 {
            return Err(Errno::EINVAL);
        }
        let rmdir = flags != 0;
        let at = match (self.entry(mem, a[0], a[1])?, rmdir) {
            (Entry::Name(at), _) => at,
            (Entry::Dot, true) => return Err(Errno::EINVAL),
            (Entry::DotDot, true) => return Err(Errno(libc::ENOTEMPTY)),
            (Entry::Root, true) => return Err(Errno::EBUSY),
            (_, false) => return Err(Errno::EISDIR),
        };
        // SAFETY: `at` keeps its dirfd open and the name is NUL-terminated.
        host(unsafe { libc::unlinkat(at.dirfd(), at.name().as_ptr(), flags) }.into())
    }

    /// renameat2(olddirfd, oldpath, newdirfd, newpath, flags).
    pub(super) fn renameat2(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let flags = low_u32(a[4]);
        let old = self.entry(mem, a[0], a[1])?;
        let new = self.entry(mem, a[2], a[3])?;
        let (old, new) = match (old, new) {
            (Entry::Name(old), Entry::Name(new)) => (old, new),
            (Entry::Name(_), _) if flags & libc::RENAME_NOREPLACE != 0 => {
                return Err(Errno::EEXIST)
            }
            _ => return Err(Errno::EBUSY),
        };
        // SAFETY: both `At`s keep their dirfds open and the names are NUL-terminated.
        host(unsafe {
            libc::syscall(
                libc::SYS_renameat2,
                old.dirfd(),
                old.name().as_ptr(),
                new.dirfd(),
                new.name().as_ptr(),
                flags,
            )
        })
    }

    /// linkat(olddirfd, oldpath, newdirfd, newpath, flags).
    pub(super) fn linkat(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let flags = low_i32(a[4]);
        if flags & !(libc::AT_SYMLINK_FOLLOW | libc::AT_EMPTY_PATH) != 0 {
            return Err(Errno::EINVAL);
        }
        let empty_ok = flags & libc::AT_EMPTY_PATH != 0;
        let old_path = self.path(mem, a[1])?;
        let follow = flags & libc::AT_SYMLINK_FOLLOW != 0;
        let old = self
            .paths
            .lookup(self.base(a[0], &old_path)?, &old_path, follow, empty_ok)?;
        let new = match self.entry(mem, a[2], a[3])? {
            Entry::Name(at) => at,
            _ => return Err(Errno::EEXIST),
        };
        let link = |from: RawFd, name: *const libc::c_char, flags: i32| {
            // SAFETY: `name` is NUL-terminated and `new` keeps its dirfd open.
            host(
                unsafe { libc::linkat(from, name, new.dirfd(), new.name().as_ptr(), flags) }.into(),
            )
        };
        if old.name().is_empty() && !old_path.is_empty() {
            // A confined lookup resolved the whole path to an fd; AT_EMPTY_PATH would need
            // CAP_DAC_READ_SEARCH, but following the fd's /proc link does not.
            let proc_link = CString::new(format!("/proc/self/fd/{}", old.dirfd()))
                .map_err(|_| Errno::EINVAL)?;
            return link(AT_FDCWD, proc_link.as_ptr(), libc::AT_SYMLINK_FOLLOW);
        }
        link(old.dirfd(), old.name().as_ptr(), flags)
    }

    /// symlinkat(target, newdirfd, linkpath): the target is stored as the guest wrote it.
    pub(super) fn symlinkat(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let target = CString::new(self.path(mem, a[0])?).map_err(|_| Errno::EINVAL)?;
        let at = match self.entry(mem, a[1], a[2])? {
            Entry::Name(at) => at,
            _ => return Err(Errno::EEXIST),
        };
        // SAFETY: `target` and the name are NUL-terminated; `at` keeps its dirfd open.
        host(unsafe { libc::symlinkat(target.as_ptr(), at.dirfd(), at.name().as_ptr()) }.into())
    }

    /// readlinkat(dirfd, path, buf, bufsiz); /proc/self/exe and /proc/self/fd/N answer for
    /// the guest.
    pub(super) fn readlinkat(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let bufsiz = low_i32(a[3]);
        if bufsiz <= 0 {
            return Err(Errno::EINVAL);
        }
        let path = self.path(mem, a[1])?;
        let target = match proc_self_link(&path) {
            Some(ProcSelfLink::Exe) => self.exe(),
            Some(ProcSelfLink::Fd(fd)) => self.fd_link(fd)?,
            None => {
                let at = self
                    .paths
                    .lookup(self.base(a[0], &path)?, &path, false, true)?;
                read_link(&at)?
            }
        };
        let n = target.len().min(bufsiz as usize);
        mem.write_bytes(a[2], &target[..n])?;
        Ok(n as i64)
    }

    /// getcwd(buf, size): the guest's view, returning the length with the NUL.
    pub(super) fn getcwd(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let mut cwd = self.paths.cwd();
        cwd.push(0);
        if u64_to_usize(a[1]) < cwd.len() {
            return Err(Errno::ERANGE);
        }
        mem.write_bytes(a[0], &cwd)?;
        Ok(cwd.len() as i64)
    }

    /// chdir(path).
    pub(super) fn chdir(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let path = self.path(mem, a[0])?;
        let dir = self
            .paths
            .open(Base::Cwd, &path, libc::O_PATH | libc::O_DIRECTORY, 0)?;
        self.enter(dir)
    }

    /// fchdir(fd).
    pub(super) fn fchdir(&self, _: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
        // SAFETY: the name is a NUL-terminated literal and `file` keeps its fd open.
        let dir = owned(unsafe { libc::openat(file.raw(), c".".as_ptr(), flags) })?;
        self.enter(dir)
    }

    /// Makes directory `dir` the working directory if the guest may search it (an O_PATH
    /// open checks no permission on the directory itself; chdir does).
    fn enter(&self, dir: OwnedFd) -> SysResult {
        let empty = c"";
        let flags = libc::AT_EMPTY_PATH | libc::AT_EACCESS;
        // SAFETY: `dir` is open and the name is NUL-terminated.
        host(unsafe {
            libc::syscall(
                libc::SYS_faccessat2,
                dir.as_raw_fd(),
                empty.as_ptr(),
                libc::X_OK,
                flags,
            )
        })?;
        self.paths.set_cwd(dir)?;
        Ok(0)
    }

    /// Reads the entry `path` (at `addr`, relative to guest `dirfd`) names, for a call that
    /// creates or removes it.
    fn entry(&self, mem: &dyn GuestMemory, dirfd: u64, addr: u64) -> Result<Entry, Errno> {
        let path = self.path(mem, addr)?;
        self.paths.entry(self.base(dirfd, &path)?, &path)
    }

    /// What /proc/self/fd/`fd` shows for guest fd `fd`: the guest view of its host link.
    fn fd_link(&self, fd: i32) -> Result<Vec<u8>, Errno> {
        let file = self.fds.get(fd).map_err(|_| Errno::ENOENT)?;
        let target = std::fs::read_link(format!("/proc/self/fd/{}", file.raw()))?;
        Ok(self
            .paths
            .guest_view(&target)
            .unwrap_or_else(|| std::os::unix::ffi::OsStrExt::as_bytes(target.as_os_str()).to_vec()))
    }
}

/// Which guest /proc/self link `path` names, if any (by "self" or by the process id).
fn proc_self_link(path: &[u8]) -> Option<ProcSelfLink> {
    let rest = path.strip_prefix(b"/proc/")?;
    let slash = rest.iter().position(|&b| b == b'/')?;
    let (who, what) = (&rest[..slash], &rest[slash + 1..]);
    // SAFETY: getpid touches no memory.
    let pid = unsafe { libc::getpid() }.to_string();
    if who != b"self" && who != pid.as_bytes() {
        return None;
    }
    if what == b"exe" {
        return Some(ProcSelfLink::Exe);
    }
    let fd = std::str::from_utf8(what.strip_prefix(b"fd/")?).ok()?;
    fd.parse().ok().map(ProcSelfLink::Fd)
}

/// The target of the symlink `at` names.
fn read_link(at: &At) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; PATH_MAX];
    // SAFETY: the host writes at most `buf.len()` bytes into `buf`; `at` keeps its dirfd open.
    let n = host(unsafe {
        libc::readlinkat(
            at.dirfd(),
            at.name().as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    } as i64)?;
    buf.truncate(super::byte_count(n));
    Ok(buf)
}
