//! The file-system system calls, run on the process's [`Files`] as host calls.

mod fds;
mod io;
mod meta;
mod names;
pub(crate) mod proc_self;
#[cfg(test)]
mod tests;

use mmu::Errno;

use crate::abi::nr;
use crate::os::files::{Files, AT_FDCWD};
use crate::os::guest_memory::GuestMemory;

/// What a system-call handler gives back: the value for a0, or the errno to negate.
type SysResult = Result<i64, Errno>;

/// A handler of one system call.
type Handler = fn(&Files, &dyn GuestMemory, [u64; 6]) -> SysResult;

impl Files {
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
}

/// A host call's return value as a system-call result: negative means the host errno.
fn host(ret: i64) -> SysResult {
    if ret < 0 {
        Err(Errno::last_os_error())
    } else {
        Ok(ret)
    }
}

/// The byte count a successful host call returned, as an index into its buffer (a
/// successful call's `ssize_t` is never negative).
fn byte_count(n: i64) -> usize {
    usize::try_from(n).expect("a successful call returns a count")
}
