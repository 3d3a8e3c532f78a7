//! eventfd2, on a host eventfd: the host keeps the counter and its read, write and
//! semaphore rules; a blocking read or write waits through the interruptible wait
//! ([`super::blocking_io`]).

use crate::abi::outcome::{ret, Outcome};
use crate::thread::Thread;
use devices::cast::{low_i32, low_u32};
use mmu::Errno;
use std::os::fd::{FromRawFd, OwnedFd};

/// eventfd2(initval, flags): EFD_SEMAPHORE, EFD_NONBLOCK and EFD_CLOEXEC have the same
/// values on riscv64 as on the host.
pub(crate) fn eventfd2(t: &Thread, a: [u64; 6]) -> Outcome {
    let flags = a[1];
    let known = (libc::EFD_SEMAPHORE | libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) as u64;
    if flags & !known != 0 {
        return ret(Err(Errno::EINVAL));
    }
    let host_flags = (low_i32(flags) & !libc::EFD_CLOEXEC) | libc::EFD_CLOEXEC;
    // SAFETY: eventfd takes no pointers.
    let fd = unsafe { libc::eventfd(low_u32(a[0]), host_flags) };
    if fd < 0 {
        let e = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        return ret(Err(Errno(e)));
    }
    // SAFETY: fd was just created and nothing else owns it.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let cloexec = flags & libc::EFD_CLOEXEC as u64 != 0;
    ret(t.proc.files.install(owned, cloexec).map(i64::from))
}
