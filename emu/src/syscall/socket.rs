//! Sockets passed to the host, so far socketpair(AF_UNIX) and the calls a connected
//! pair needs: sendto and recvfrom without an address, and shutdown. read, write and
//! poll reach them as any host descriptor; a blocking call waits in the interruptible
//! wait first ([`super::blocking_io`]).

use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::thread::Thread;
use devices::cast::low_i32;
use mmu::Errno;
use std::os::fd::{FromRawFd, OwnedFd};

/// The most bytes one sendto or recvfrom moves (a short transfer, as a stream socket
/// may make; a datagram this large fails on the host anyway).
const MAX_TRANSFER: usize = 4 << 20;
/// Socket type flags, the same on riscv64 as on the host.
const TYPE_FLAGS: i32 = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;

/// The last host error as an errno.
fn last_errno() -> Errno {
    Errno(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

/// socketpair(domain, type, protocol, sv): AF_UNIX only.
fn socketpair(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let (domain, ty, protocol) = (low_i32(a[0]), low_i32(a[1]), low_i32(a[2]));
    if domain != libc::AF_UNIX {
        return Err(Errno(libc::EAFNOSUPPORT));
    }
    let mut fds = [0; 2];
    let host_ty = (ty & !libc::SOCK_CLOEXEC) | libc::SOCK_CLOEXEC;
    // SAFETY: fds is a writable array of two ints.
    if unsafe { libc::socketpair(domain, host_ty, protocol, fds.as_mut_ptr()) } < 0 {
        return Err(last_errno());
    }
    // SAFETY: both fds were just created and nothing else owns them.
    let owned = fds.map(|fd| unsafe { OwnedFd::from_raw_fd(fd) });
    let cloexec = ty & TYPE_FLAGS & libc::SOCK_CLOEXEC != 0;
    let [first, second] = owned;
    let files = &t.proc.files;
    let g0 = files.install(first, cloexec)?;
    let g1 = match files.install(second, cloexec) {
        Ok(fd) => fd,
        Err(e) => {
            drop(files.fds.remove(g0));
            return Err(e);
        }
    };
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&g0.to_le_bytes());
    out[4..].copy_from_slice(&g1.to_le_bytes());
    if let Err(e) = t.proc.mm.write_bytes(a[3], &out) {
        drop(files.fds.remove(g0));
        drop(files.fds.remove(g1));
        return Err(e);
    }
    Ok(0)
}

/// sendto(fd, buf, len, flags, addr, addrlen) on a connected socket.
fn sendto(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let file = t.proc.files.file(a[0])?;
    if a[4] != 0 {
        return Err(Errno(libc::EISCONN));
    }
    let len = usize::try_from(a[2])
        .unwrap_or(usize::MAX)
        .min(MAX_TRANSFER);
    let mut buf = vec![0u8; len];
    t.proc.mm.read_bytes(a[1], &mut buf)?;
    // SAFETY: buf holds len readable bytes.
    let n = unsafe { libc::send(file.raw(), buf.as_ptr().cast(), len, low_i32(a[3])) };
    if n < 0 {
        return Err(last_errno());
    }
    Ok(n as i64)
}

/// recvfrom(fd, buf, len, flags, addr, addrlen): a connected socket's peer has no
/// address to report, so `*addrlen` becomes 0.
fn recvfrom(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let file = t.proc.files.file(a[0])?;
    let len = usize::try_from(a[2])
        .unwrap_or(usize::MAX)
        .min(MAX_TRANSFER);
    let mut buf = vec![0u8; len];
    // SAFETY: buf holds len writable bytes.
    let n = unsafe { libc::recv(file.raw(), buf.as_mut_ptr().cast(), len, low_i32(a[3])) };
    if n < 0 {
        return Err(last_errno());
    }
    let got = usize::try_from(n).map_err(|_| Errno::EINVAL)?;
    t.proc.mm.write_bytes(a[1], &buf[..got.min(len)])?;
    if a[4] != 0 && a[5] != 0 {
        t.proc.mm.write_bytes(a[5], &0u32.to_le_bytes())?;
    }
    Ok(n as i64)
}

/// shutdown(fd, how).
fn shutdown(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let file = t.proc.files.file(a[0])?;
    // SAFETY: shutdown takes no pointers.
    if unsafe { libc::shutdown(file.raw(), low_i32(a[1])) } < 0 {
        return Err(last_errno());
    }
    Ok(0)
}

/// Handles the socket calls; None if `n` is not one of them.
pub(crate) fn handle(t: &Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    Some(ret(match n {
        nr::socketpair => socketpair(t, a),
        nr::sendto => sendto(t, a),
        nr::recvfrom => recvfrom(t, a),
        nr::shutdown => shutdown(t, a),
        _ => return None,
    }))
}
