//! setsockopt and getsockopt on host sockets. riscv64 uses the generic option numbers
//! and the same layouts as the host for the values they take (ints, `struct timeval`
//! for SO_RCVTIMEO and SO_SNDTIMEO, `struct linger`, `struct ucred`, `ip_mreqn`, ...),
//! so a value is copied across as it is, after a length check; the options whose values
//! hold guest pointers (socket filters) are refused.

use crate::thread::Thread;
use devices::cast::low_i32;
use mmu::Errno;

use super::sockaddr_io::{host, socklen, swap_pid};
use devices::cast::u64_to_usize;

/// The longest option value passed across (TCP_INFO, the largest common one, is 232
/// bytes).
const MAX_OPTION: usize = 1024;
/// SOL_SOCKET options whose values point into the caller's memory: SO_ATTACH_FILTER,
/// SO_ATTACH_REUSEPORT_CBPF (a `struct sock_fprog`).
const POINTER_OPTIONS: [i32; 2] = [26, 51];
/// The SOL_SOCKET options that take a `struct timeval`, which must be whole.
const TIMEVAL_OPTIONS: [i32; 2] = [libc::SO_RCVTIMEO, libc::SO_SNDTIMEO];

/// Refuses what cannot be passed to the host as bytes.
fn passable(level: i32, name: i32, len: usize) -> Result<(), Errno> {
    if level == libc::SOL_SOCKET && POINTER_OPTIONS.contains(&name) {
        return Err(Errno(libc::ENOPROTOOPT));
    }
    if level == libc::SOL_SOCKET
        && TIMEVAL_OPTIONS.contains(&name)
        && len < std::mem::size_of::<libc::timeval>()
    {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// setsockopt(fd, level, name, value, len).
pub(super) fn setsockopt(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let file = t.proc.files.file(a[0])?;
    let (level, name) = (low_i32(a[1]), low_i32(a[2]));
    let len = usize::try_from(low_i32(a[4])).map_err(|_| Errno::EINVAL)?;
    passable(level, name, len)?;
    let mut value = vec![0u8; len.min(MAX_OPTION)];
    t.proc.mm.read_bytes(a[3], &mut value)?;
    // SAFETY: value holds value.len() bytes, alive across the call.
    let r = unsafe {
        libc::setsockopt(
            file.raw(),
            level,
            name,
            value.as_ptr().cast(),
            socklen(value.len()),
        )
    };
    host(r.into()).map(|_| 0)
}

/// getsockopt(fd, level, name, value, len).
pub(super) fn getsockopt(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let file = t.proc.files.file(a[0])?;
    let (level, name) = (low_i32(a[1]), low_i32(a[2]));
    let mut len = [0u8; 4];
    t.proc.mm.read_bytes(a[4], &mut len)?;
    let room = usize::try_from(i32::from_le_bytes(len)).map_err(|_| Errno::EINVAL)?;
    passable(level, name, usize::MAX)?;
    let mut value = vec![0u8; room.min(MAX_OPTION)];
    let mut got = socklen(value.len());
    // SAFETY: value has room for `got` bytes.
    let r =
        unsafe { libc::getsockopt(file.raw(), level, name, value.as_mut_ptr().cast(), &mut got) };
    host(r.into())?;
    let got = u64_to_usize(got.into()).min(value.len());
    if (level, name) == (libc::SOL_SOCKET, libc::SO_PEERCRED) {
        swap_pid(&mut value[..got], std::process::id(), t.proc.pid);
    }
    t.proc.mm.write_bytes(a[3], &value[..got])?;
    t.proc.mm.write_bytes(a[4], &socklen(got).to_le_bytes())?;
    Ok(0)
}
