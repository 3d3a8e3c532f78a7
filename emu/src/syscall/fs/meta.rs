//! File attributes: stat family, access checks, mode, ownership, times, size by path,
//! file-system statistics and the umask.

use devices::cast::{low_i32, low_u32};
use std::ffi::CString;
use std::os::fd::{AsRawFd, RawFd};

use mmu::Errno;

use super::{host, Files, SysResult, AT_FDCWD};
use crate::abi::stat::{encode_stat, STATFS_SIZE, STATX_SIZE};
use crate::os::guest_memory::GuestMemory;
use crate::os::path::{At, Base};

impl Files {
    /// fstat(fd, statbuf).
    pub(super) fn fstat(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        // SAFETY: libc::stat is plain data, for which all-zero bytes are a valid value.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: fstat writes only into `st`.
        host(unsafe { libc::fstat(file.raw(), &mut st) }.into())?;
        mem.write_bytes(a[1], &encode_stat(&st))?;
        Ok(0)
    }

    /// newfstatat(dirfd, path, statbuf, flags).
    pub(super) fn newfstatat(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let flags = low_i32(a[3]);
        let at = self.lookup_at(mem, a[0], a[1], flags)?;
        // SAFETY: libc::stat is plain data, for which all-zero bytes are a valid value.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        let (dirfd, name) = (at.dirfd(), at.name().as_ptr());
        // SAFETY: fstatat writes only into `st`; `at` keeps its dirfd open.
        host(unsafe { libc::fstatat(dirfd, name, &mut st, at.flags(flags)) }.into())?;
        mem.write_bytes(a[2], &encode_stat(&st))?;
        Ok(0)
    }

    /// statx(dirfd, path, flags, mask, statxbuf): `struct statx` passes through.
    pub(super) fn statx(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let flags = low_i32(a[2]);
        let at = self.lookup_at(mem, a[0], a[1], flags)?;
        let mut buf = [0u8; STATX_SIZE];
        // SAFETY: the host writes one struct statx into `buf`, which is that size.
        host(unsafe {
            libc::syscall(
                libc::SYS_statx,
                at.dirfd(),
                at.name().as_ptr(),
                at.flags(flags),
                low_u32(a[3]),
                buf.as_mut_ptr(),
            )
        })?;
        mem.write_bytes(a[4], &buf)?;
        Ok(0)
    }

    /// faccessat(dirfd, path, mode).
    pub(super) fn faccessat(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        self.faccessat2(mem, [a[0], a[1], a[2], 0, 0, 0])
    }

    /// faccessat2(dirfd, path, mode, flags).
    pub(super) fn faccessat2(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let flags = low_i32(a[3]);
        let at = self.lookup_at(mem, a[0], a[1], flags)?;
        // SAFETY: `at` keeps its dirfd open and the name is NUL-terminated.
        host(unsafe {
            libc::syscall(
                libc::SYS_faccessat2,
                at.dirfd(),
                at.name().as_ptr(),
                low_i32(a[2]),
                at.flags(flags),
            )
        })
    }

    /// fchmod(fd, mode).
    pub(super) fn fchmod(&self, _: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        // SAFETY: fchmod touches no memory.
        host(unsafe { libc::fchmod(file.raw(), low_u32(a[1])) }.into())
    }

    /// fchmodat(dirfd, path, mode).
    pub(super) fn fchmodat(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        self.fchmodat2(mem, [a[0], a[1], a[2], 0, 0, 0])
    }

    /// fchmodat2(dirfd, path, mode, flags).
    pub(super) fn fchmodat2(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let flags = low_i32(a[3]);
        let at = self.lookup_at(mem, a[0], a[1], flags)?;
        let mode = low_u32(a[2]);
        if at.name().is_empty() {
            // The object is the fd itself; only fchmodat2 takes AT_EMPTY_PATH, and not on
            // every host, but the fd's /proc link reaches it everywhere.
            let link = proc_fd_link(at.dirfd())?;
            // SAFETY: `link` is NUL-terminated.
            return host(unsafe { libc::chmod(link.as_ptr(), mode) }.into());
        }
        // SAFETY: `at` keeps its dirfd open and the name is NUL-terminated.
        host(unsafe {
            libc::syscall(
                libc::SYS_fchmodat2,
                at.dirfd(),
                at.name().as_ptr(),
                mode,
                flags,
            )
        })
        .or_else(|e| match (e, flags) {
            // Hosts before Linux 6.6 lack fchmodat2; without flags fchmodat is the same.
            (Errno::ENOSYS, 0) => {
                // SAFETY: as above.
                host(unsafe { libc::fchmodat(at.dirfd(), at.name().as_ptr(), mode, 0) }.into())
            }
            _ => Err(e),
        })
    }

    /// fchown(fd, owner, group).
    pub(super) fn fchown(&self, _: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        // SAFETY: fchown touches no memory.
        host(unsafe { libc::fchown(file.raw(), low_u32(a[1]), low_u32(a[2])) }.into())
    }

    /// fchownat(dirfd, path, owner, group, flags).
    pub(super) fn fchownat(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let flags = low_i32(a[4]);
        let at = self.lookup_at(mem, a[0], a[1], flags)?;
        // SAFETY: `at` keeps its dirfd open and the name is NUL-terminated.
        host(
            unsafe {
                libc::fchownat(
                    at.dirfd(),
                    at.name().as_ptr(),
                    low_u32(a[2]),
                    low_u32(a[3]),
                    at.flags(flags),
                )
            }
            .into(),
        )
    }

    /// utimensat(dirfd, path, times[2], flags); a null path means the dirfd itself.
    pub(super) fn utimensat(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let flags = low_i32(a[3]);
        let mut times = [0u8; 32];
        let times_ptr = match a[2] {
            0 => std::ptr::null(),
            addr => {
                // struct timespec[2] is {i64, i64}[2] on both sides.
                mem.read_bytes(addr, &mut times)?;
                times.as_ptr()
            }
        };
        let call = |dirfd: RawFd, name: *const libc::c_char, flags: i32| {
            // SAFETY: `name` is null or NUL-terminated and `times_ptr` null or 32 bytes.
            host(unsafe { libc::syscall(libc::SYS_utimensat, dirfd, name, times_ptr, flags) })
        };
        if a[1] == 0 {
            if low_i32(a[0]) == AT_FDCWD {
                return Err(Errno::EFAULT);
            }
            let file = self.file(a[0])?;
            return call(file.raw(), std::ptr::null(), flags);
        }
        let at = self.lookup_at(mem, a[0], a[1], flags)?;
        call(at.dirfd(), at.name().as_ptr(), at.flags(flags))
    }

    /// truncate(path, length).
    pub(super) fn truncate(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let path = self.path(mem, a[0])?;
        // There is no truncateat: reach the confined object through its /proc link.
        let obj = self.paths.open(Base::Cwd, &path, libc::O_PATH, 0)?;
        let link = proc_fd_link(obj.as_raw_fd())?;
        // SAFETY: `link` is NUL-terminated.
        host(unsafe { libc::truncate(link.as_ptr(), a[1] as i64) }.into())
    }

    /// statfs(path, buf): `struct statfs` is the same on riscv64 and x86_64.
    pub(super) fn statfs(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let path = self.path(mem, a[0])?;
        let obj = self.paths.open(Base::Cwd, &path, libc::O_PATH, 0)?;
        write_statfs(mem, obj.as_raw_fd(), a[1])
    }

    /// fstatfs(fd, buf).
    pub(super) fn fstatfs(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        write_statfs(mem, file.raw(), a[1])
    }

    /// umask(mask): the host's, since host calls create the guest's files.
    pub(super) fn umask(&self, _: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        // SAFETY: umask touches no memory.
        Ok(unsafe { libc::umask(low_u32(a[0]) & 0o777) }.into())
    }

    /// Looks up the guest path at `addr` relative to `dirfd` for an attribute call taking
    /// AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH in `flags` (a null path with AT_EMPTY_PATH
    /// counts as empty, as Linux 6.11 allows).
    fn lookup_at(
        &self,
        mem: &dyn GuestMemory,
        dirfd: u64,
        addr: u64,
        flags: i32,
    ) -> Result<At, Errno> {
        let empty_ok = flags & libc::AT_EMPTY_PATH != 0;
        let path = match addr {
            0 if empty_ok => Vec::new(),
            _ => self.path(mem, addr)?,
        };
        let base = self.base(dirfd, &path)?;
        let follow = flags & libc::AT_SYMLINK_NOFOLLOW == 0;
        self.paths.lookup(base, &path, follow, empty_ok)
    }
}

/// fstatfs of host fd `fd` copied to the guest at `addr`.
fn write_statfs(mem: &dyn GuestMemory, fd: RawFd, addr: u64) -> SysResult {
    let mut buf = [0u8; STATFS_SIZE];
    // SAFETY: the host writes one struct statfs into `buf`, which is that size.
    host(unsafe { libc::syscall(libc::SYS_fstatfs, fd, buf.as_mut_ptr()) })?;
    mem.write_bytes(addr, &buf)?;
    Ok(0)
}

/// The /proc/self/fd link of host fd `fd`, through which path-only calls reach it.
fn proc_fd_link(fd: RawFd) -> Result<CString, Errno> {
    CString::new(format!("/proc/self/fd/{fd}")).map_err(|_| Errno::EINVAL)
}
