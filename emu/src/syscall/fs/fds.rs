//! Descriptor management: close, dup, fcntl, ioctl, pipes and advisory locks.

use devices::cast::{low_i32, low_u32};
use mmu::Errno;

use super::{host, Files, SysResult};
use crate::abi::stat::{FLOCK_SIZE, TERMIOS_SIZE, WINSIZE_SIZE};
use crate::os::fdtable::HostFd;
use crate::os::guest_memory::GuestMemory;
use crate::os::path::owned;

/// close_range flag: unshare the table first (a no-op: guest threads share one table).
const CLOSE_RANGE_UNSHARE: u32 = 1 << 1;
/// close_range flag: mark close-on-exec instead of closing.
const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;

/// TCGETS (asm-generic ioctl number, the same as x86_64's).
const TCGETS: u32 = 0x5401;
/// TIOCGWINSZ (asm-generic ioctl number, the same as x86_64's).
const TIOCGWINSZ: u32 = 0x5413;
/// FIONREAD: bytes ready to read (asm-generic, the same as x86_64's).
const FIONREAD: u32 = 0x541b;
/// FIONBIO: set or clear non-blocking mode from an int (asm-generic, as x86_64's).
const FIONBIO: u32 = 0x5421;

impl Files {
    /// close(fd).
    pub(super) fn close(&self, _: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        // The host fd closes when the last in-flight call on it lets go of the Arc.
        drop(self.fds.remove(low_i32(a[0]))?);
        Ok(0)
    }

    /// close_range(first, last, flags).
    pub(super) fn close_range(&self, _: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let (first, last, flags) = (low_u32(a[0]), low_u32(a[1]), low_u32(a[2]));
        if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
            return Err(Errno::EINVAL);
        }
        drop(
            self.fds
                .close_range(first, last, flags & CLOSE_RANGE_CLOEXEC != 0),
        );
        Ok(0)
    }

    /// dup(fd): the copy is never close-on-exec.
    pub(super) fn dup(&self, _: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        Ok(self.fds.insert(file, false, 0)?.into())
    }

    /// dup3(oldfd, newfd, flags).
    pub(super) fn dup3(&self, _: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let (old, new, flags) = (low_i32(a[0]), low_i32(a[1]), low_i32(a[2]));
        if flags & !libc::O_CLOEXEC != 0 || old == new {
            return Err(Errno::EINVAL);
        }
        let file = self.fds.get(old)?;
        drop(self.fds.replace(new, file, flags != 0)?);
        Ok(new.into())
    }

    /// fcntl(fd, cmd, arg): descriptor flags are the table's, the rest the host's.
    pub(super) fn fcntl(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let fd = low_i32(a[0]);
        let cmd = low_i32(a[1]);
        let file = self.fds.get(fd)?;
        match cmd {
            libc::F_DUPFD | libc::F_DUPFD_CLOEXEC => {
                let min = usize::try_from(low_i32(a[2])).map_err(|_| Errno::EINVAL)?;
                let cloexec = cmd == libc::F_DUPFD_CLOEXEC;
                Ok(self.fds.insert(file, cloexec, min)?.into())
            }
            libc::F_GETFD => Ok(if self.fds.cloexec(fd)? {
                libc::FD_CLOEXEC.into()
            } else {
                0
            }),
            libc::F_SETFD => {
                self.fds
                    .set_cloexec(fd, low_i32(a[2]) & libc::FD_CLOEXEC != 0)?;
                Ok(0)
            }
            libc::F_GETFL
            | libc::F_SETFL
            | libc::F_GETPIPE_SZ
            | libc::F_SETPIPE_SZ
            | libc::F_ADD_SEALS
            | libc::F_GET_SEALS => {
                // SAFETY: these commands take an int argument and touch no memory.
                host(unsafe { libc::fcntl(file.raw(), cmd, low_i32(a[2])) }.into())
            }
            libc::F_GETLK
            | libc::F_SETLK
            | libc::F_SETLKW
            | libc::F_OFD_GETLK
            | libc::F_OFD_SETLK
            | libc::F_OFD_SETLKW => lock(mem, &file, cmd, a[2]),
            _ => Err(Errno::EINVAL),
        }
    }

    /// ioctl(fd, request, arg): the terminal queries programs make to decide how to
    /// print, and FIONBIO and FIONREAD (sockets and pipes), are answered from the host
    /// fd; everything else is ENOTTY.
    pub(super) fn ioctl(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        let (request, size) = match low_u32(a[1]) {
            TCGETS => (libc::TCGETS, TERMIOS_SIZE),
            TIOCGWINSZ => (libc::TIOCGWINSZ, WINSIZE_SIZE),
            FIONREAD => (libc::FIONREAD, 4),
            FIONBIO => {
                let mut on = [0u8; 4];
                mem.read_bytes(a[2], &mut on)?;
                // SAFETY: FIONBIO reads one int from `on`.
                host(unsafe { libc::ioctl(file.raw(), libc::FIONBIO, on.as_ptr()) }.into())?;
                return Ok(0);
            }
            _ => return Err(Errno::ENOTTY),
        };
        // Room for glibc's larger termios too, whatever the host writes.
        let mut buf = [0u8; 64];
        // SAFETY: both requests write at most `size` (< 64) bytes into `buf`.
        host(unsafe { libc::ioctl(file.raw(), request, buf.as_mut_ptr()) }.into())?;
        mem.write_bytes(a[2], &buf[..size])?;
        Ok(0)
    }

    /// pipe2(fds[2], flags).
    pub(super) fn pipe2(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let flags = low_i32(a[1]);
        let mut ends = [0; 2];
        // SAFETY: pipe2 writes two fds into `ends`.
        host(unsafe { libc::pipe2(ends.as_mut_ptr(), flags | libc::O_CLOEXEC) }.into())?;
        let (r, w) = (owned(ends[0])?, owned(ends[1])?);
        let cloexec = flags & libc::O_CLOEXEC != 0;
        let r = self.install(r, cloexec)?;
        let w = match self.install(w, cloexec) {
            Ok(w) => w,
            Err(e) => {
                drop(self.fds.remove(r));
                return Err(e);
            }
        };
        let mut out = [0u8; 8];
        out[..4].copy_from_slice(&r.to_le_bytes());
        out[4..].copy_from_slice(&w.to_le_bytes());
        if let Err(e) = mem.write_bytes(a[0], &out) {
            drop(self.fds.remove(r));
            drop(self.fds.remove(w));
            return Err(e);
        }
        Ok(0)
    }

    /// flock(fd, operation).
    pub(super) fn flock(&self, _: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        // SAFETY: flock touches no memory.
        host(unsafe { libc::flock(file.raw(), low_i32(a[1])) }.into())
    }
}

/// A record-lock fcntl: `struct flock` has the same layout on both sides.
fn lock(mem: &dyn GuestMemory, file: &HostFd, cmd: i32, addr: u64) -> SysResult {
    let mut buf = [0u8; FLOCK_SIZE];
    mem.read_bytes(addr, &mut buf)?;
    // SAFETY: the host reads and (for the GETLK commands) writes one struct flock in `buf`.
    let r = host(unsafe { libc::fcntl(file.raw(), cmd, buf.as_mut_ptr()) }.into())?;
    if cmd == libc::F_GETLK || cmd == libc::F_OFD_GETLK {
        mem.write_bytes(addr, &buf)?;
    }
    Ok(r)
}
