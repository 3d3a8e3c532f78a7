//! Linux error numbers returned by the mm system calls and guest-memory copies.

use std::fmt;

/// A Linux errno value (positive); system calls return its negation to the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    /// Operation not permitted.
    pub const EPERM: Errno = Errno(1);
    /// No such file or directory.
    pub const ENOENT: Errno = Errno(2);
    /// No such process.
    pub const ESRCH: Errno = Errno(3);
    /// Interrupted system call.
    pub const EINTR: Errno = Errno(4);
    /// I/O error.
    pub const EIO: Errno = Errno(5);
    /// Bad file descriptor.
    pub const EBADF: Errno = Errno(9);
    /// Try again.
    pub const EAGAIN: Errno = Errno(11);
    /// Out of memory.
    pub const ENOMEM: Errno = Errno(12);
    /// Permission denied.
    pub const EACCES: Errno = Errno(13);
    /// Bad address.
    pub const EFAULT: Errno = Errno(14);
    /// Device or resource busy.
    pub const EBUSY: Errno = Errno(16);
    /// File exists.
    pub const EEXIST: Errno = Errno(17);
    /// Not a directory.
    pub const ENOTDIR: Errno = Errno(20);
    /// Is a directory.
    pub const EISDIR: Errno = Errno(21);
    /// Invalid argument.
    pub const EINVAL: Errno = Errno(22);
    /// Inappropriate ioctl for device.
    pub const ENOTTY: Errno = Errno(25);
    /// Illegal seek.
    pub const ESPIPE: Errno = Errno(29);
    /// Result out of range.
    pub const ERANGE: Errno = Errno(34);
    /// Function not implemented.
    pub const ENOSYS: Errno = Errno(38);
    /// Connection timed out (futex timeouts report ETIMEDOUT).
    pub const ETIMEDOUT: Errno = Errno(110);

    /// The value a system call returns to the guest for this error: `-errno`.
    // Named for what the guest gets back; `Errno` is not a number to negate in general.
    #[allow(clippy::should_implement_trait)]
    pub fn neg(self) -> i64 {
        -(self.0 as i64)
    }

    /// The errno of the last failed host libc call.
    pub fn last_os_error() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(5))
    }
}

impl From<std::io::Error> for Errno {
    fn from(e: std::io::Error) -> Self {
        Errno(e.raw_os_error().unwrap_or(5))
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "errno {}", self.0)
    }
}
