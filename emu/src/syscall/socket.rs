//! Sockets passed to the host, as qemu-user passes them: AF_UNIX, AF_INET and AF_INET6
//! sockets are host sockets behind guest fds. This module creates, names and connects
//! them; [`super::socket_io`] moves data and descriptors, [`super::socket_opt`] their
//! options. Addresses go through [`crate::os::socket_addr`], which resolves AF_UNIX
//! paths as open(2) resolves paths. read, write and poll reach sockets as any host
//! descriptor; a call that may block (accept, a receive, a send) first waits in the
//! interruptible wait ([`super::blocking_io`]), so a signal ends it as on Linux, and a
//! blocking TCP connect is started non-blocking on the host and waited for the same
//! way.

use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::os::fdtable::HostFd;
use crate::os::host_poll;
use crate::os::socket_addr::Use;
use crate::thread::Thread;
use devices::cast::low_i32;
use mmu::Errno;
use std::os::fd::{FromRawFd, OwnedFd};

use super::sockaddr_io::{host, host_addr, int_sockopt, socklen, write_addr, AddrBuf};
use super::{blocking_io, socket_io, socket_opt};

/// Socket type flags, the same on riscv64 as on the host.
const TYPE_FLAGS: i32 = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;

/// Installs host socket `fd` (just created, as a host call returned it) as a guest fd.
fn install(t: &Thread, fd: i64, cloexec: bool) -> Result<i32, Errno> {
    let fd = i32::try_from(fd).map_err(|_| Errno::EBADF)?;
    // SAFETY: fd was just created by the host and nothing else owns it.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    t.proc.files.install(owned, cloexec)
}

/// The families faultline passes to the host.
fn supported(domain: i32) -> Result<(), Errno> {
    match domain {
        libc::AF_UNIX | libc::AF_INET | libc::AF_INET6 => Ok(()),
        _ => Err(Errno(libc::EAFNOSUPPORT)),
    }
}

/// socket(domain, type, protocol).
fn socket(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let (domain, ty, protocol) = (low_i32(a[0]), low_i32(a[1]), low_i32(a[2]));
    supported(domain)?;
    // SAFETY: socket takes no pointers.
    let fd = host(unsafe { libc::socket(domain, ty | libc::SOCK_CLOEXEC, protocol) }.into())?;
    install(t, fd, ty & libc::SOCK_CLOEXEC != 0).map(i64::from)
}

/// socketpair(domain, type, protocol, sv): AF_UNIX only, as on Linux.
fn socketpair(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let (domain, ty, protocol) = (low_i32(a[0]), low_i32(a[1]), low_i32(a[2]));
    if domain != libc::AF_UNIX {
        supported(domain)?;
        return Err(Errno(libc::EOPNOTSUPP));
    }
    let mut fds = [0; 2];
    let host_ty = ty | libc::SOCK_CLOEXEC;
    // SAFETY: fds is a writable array of two ints.
    let r = unsafe { libc::socketpair(domain, host_ty, protocol, fds.as_mut_ptr()) };
    host(r.into())?;
    // SAFETY: both fds were just created and nothing else owns them.
    let [first, second] = fds.map(|fd| unsafe { OwnedFd::from_raw_fd(fd) });
    let cloexec = ty & TYPE_FLAGS & libc::SOCK_CLOEXEC != 0;
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

/// bind(fd, addr, addrlen) and connect(fd, addr, addrlen).
fn name(t: &Thread, a: [u64; 6], use_: Use) -> Outcome {
    let file = match t.proc.files.file(a[0]) {
        Ok(file) => file,
        Err(e) => return Outcome::Return(e.neg()),
    };
    let internet = use_ == Use::Reach && is_internet(&file);
    if !internet || !host_poll::blocking(file.raw()) {
        return ret(name_now(t, a, use_));
    }
    // A blocking TCP connect waits for the handshake: made non-blocking on the host, it
    // returns EINPROGRESS at once and the wait for it is the interruptible one.
    set_nonblocking(&file, true);
    let started = name_now(t, a, use_);
    set_nonblocking(&file, false);
    match started {
        // EALREADY: a connect restarted after a signal finds the first still going.
        Err(e) if e.0 == libc::EINPROGRESS || e.0 == libc::EALREADY => {}
        other => return ret(other),
    }
    if let Err(code) = blocking_io::wait_for(t, &file, libc::POLLOUT, nr::connect, a[0]) {
        // Interrupted or timed out, the connect goes on in the kernel, as on Linux.
        return Outcome::Return(match code {
            c if c == Errno::EAGAIN.neg() => Errno(libc::EINPROGRESS).neg(),
            c => c,
        });
    }
    ret(socket_error(&file).map(|_| 0))
}

/// Whether `file` is an AF_INET or AF_INET6 socket.
fn is_internet(file: &HostFd) -> bool {
    int_sockopt(file, libc::SO_DOMAIN).is_ok_and(|d| d == libc::AF_INET || d == libc::AF_INET6)
}

/// Sets or clears O_NONBLOCK on `file`'s host open file.
fn set_nonblocking(file: &HostFd, on: bool) {
    let on: libc::c_int = on.into();
    // SAFETY: FIONBIO reads one int.
    unsafe { libc::ioctl(file.raw(), libc::FIONBIO, &on) };
}

/// The error a finished non-blocking connect left on `file` (SO_ERROR).
fn socket_error(file: &HostFd) -> Result<(), Errno> {
    match int_sockopt(file, libc::SO_ERROR)? {
        0 => Ok(()),
        e => Err(Errno(e)),
    }
}

/// bind or connect as one host call.
fn name_now(t: &Thread, a: [u64; 6], use_: Use) -> Result<i64, Errno> {
    let file = t.proc.files.file(a[0])?;
    let addr = host_addr(t, a[1], a[2], use_)?;
    let (ptr, len) = (addr.bytes.as_ptr().cast(), socklen(addr.bytes.len()));
    let r = match use_ {
        // SAFETY: ptr holds len bytes of address, alive across the call.
        Use::Bind => unsafe { libc::bind(file.raw(), ptr, len) },
        // SAFETY: as for bind.
        Use::Reach => unsafe { libc::connect(file.raw(), ptr, len) },
    };
    host(r.into()).map(|_| 0)
}

/// listen(fd, backlog).
fn listen(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let file = t.proc.files.file(a[0])?;
    // SAFETY: listen takes no pointers.
    host(unsafe { libc::listen(file.raw(), low_i32(a[1])) }.into()).map(|_| 0)
}

/// accept4(fd, addr, addrlen, flags); accept is accept4 with no flags.
fn accept4(t: &Thread, a: [u64; 6], flags: i32) -> Result<i64, Errno> {
    let file = t.proc.files.file(a[0])?;
    if flags & !TYPE_FLAGS != 0 {
        return Err(Errno::EINVAL);
    }
    let mut peer = AddrBuf::new();
    // SAFETY: peer has room for `peer.len` bytes of address.
    let fd = host(
        unsafe {
            libc::accept4(
                file.raw(),
                peer.ptr(),
                &mut peer.len,
                flags | libc::SOCK_CLOEXEC,
            )
        }
        .into(),
    )?;
    let guest = install(t, fd, flags & libc::SOCK_CLOEXEC != 0)?;
    if let Err(e) = write_addr(t, a[1], a[2], peer.filled()) {
        drop(t.proc.files.fds.remove(guest));
        return Err(e);
    }
    Ok(guest.into())
}

/// getsockname(fd, addr, addrlen) and getpeername(fd, addr, addrlen).
fn sock_name(t: &Thread, a: [u64; 6], peer: bool) -> Result<i64, Errno> {
    let file = t.proc.files.file(a[0])?;
    let mut buf = AddrBuf::new();
    let r = match peer {
        // SAFETY: buf has room for `buf.len` bytes of address.
        true => unsafe { libc::getpeername(file.raw(), buf.ptr(), &mut buf.len) },
        // SAFETY: as for getpeername.
        false => unsafe { libc::getsockname(file.raw(), buf.ptr(), &mut buf.len) },
    };
    host(r.into())?;
    if a[1] == 0 {
        return Err(Errno::EFAULT);
    }
    write_addr(t, a[1], a[2], buf.filled()).map(|_| 0)
}

/// shutdown(fd, how).
fn shutdown(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let file = t.proc.files.file(a[0])?;
    // SAFETY: shutdown takes no pointers.
    host(unsafe { libc::shutdown(file.raw(), low_i32(a[1])) }.into()).map(|_| 0)
}

/// Handles the socket calls; None if `n` is not one of them.
pub(crate) fn handle(t: &Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    Some(ret(match n {
        nr::socket => socket(t, a),
        nr::socketpair => socketpair(t, a),
        nr::bind => return Some(name(t, a, Use::Bind)),
        nr::connect => return Some(name(t, a, Use::Reach)),
        nr::listen => listen(t, a),
        nr::accept => accept4(t, a, 0),
        nr::accept4 => accept4(t, a, low_i32(a[3])),
        nr::getsockname => sock_name(t, a, false),
        nr::getpeername => sock_name(t, a, true),
        nr::shutdown => shutdown(t, a),
        nr::sendto => socket_io::sendto(t, a),
        nr::recvfrom => socket_io::recvfrom(t, a),
        nr::sendmsg => socket_io::sendmsg(t, a),
        nr::recvmsg => socket_io::recvmsg(t, a),
        nr::setsockopt => socket_opt::setsockopt(t, a),
        nr::getsockopt => socket_opt::getsockopt(t, a),
        _ => return None,
    }))
}
