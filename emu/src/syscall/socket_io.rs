//! Data and descriptors through host sockets: sendto, recvfrom, sendmsg and recvmsg.
//! A guest's scattered buffers are gathered into one host buffer (and a received one
//! scattered back), which a stream socket or a datagram sees alike. Control messages
//! keep their layout (riscv64's `cmsghdr` is the host's), except SCM_RIGHTS, whose
//! descriptors are guest fds on one side and host fds on the other: those sent are
//! looked up in the guest's table, those received installed in it, and SCM_CREDENTIALS,
//! whose pid is the guest's on one side and the host's on the other. Other SOL_SOCKET
//! messages than SCM_RIGHTS and SCM_CREDENTIALS are refused with EINVAL, as Linux
//! refuses unknown ones; messages of other levels pass as they are.

use crate::abi::nr;
use crate::os::fdtable::HostFd;
use crate::os::host_poll;
use crate::os::socket_addr::Use;
use crate::thread::Thread;
use devices::cast::low_i32;
use mmu::Errno;
use std::os::fd::{FromRawFd, OwnedFd};

use super::blocking_io;
use super::sockaddr_io::{
    count, host, host_addr, int_sockopt, socklen, swap_pid, write_addr, AddrBuf,
};
use devices::cast::u64_to_usize;

/// The most bytes one call moves (a short transfer, as a stream socket may make; a
/// datagram this large fails on the host anyway).
const MAX_TRANSFER: usize = 4 << 20;
/// The most buffers one sendmsg or recvmsg takes (Linux's UIO_MAXIOV).
const MAX_IOV: u64 = 1024;
/// The most control bytes one call passes (Linux's default optmem_max is 20 KiB).
const MAX_CONTROL: u64 = 64 << 10;
/// `sizeof(struct cmsghdr)`: a size_t length, a level and a type.
const CMSG_HDR: usize = 16;
/// The guest's `struct msghdr` size and field offsets (riscv64 LP64, as on the host).
const MSGHDR_SIZE: usize = 56;
const MSG_NAMELEN: u64 = 8;
const MSG_CONTROLLEN: u64 = 40;
const MSG_FLAGS: u64 = 48;

/// A control message's length rounded up to the next header (CMSG_ALIGN).
fn cmsg_align(len: usize) -> usize {
    (len + 7) & !7
}

/// The guest's `struct msghdr`.
struct MsgHdr {
    name: u64,
    namelen: u32,
    iov: u64,
    iovlen: u64,
    control: u64,
    controllen: u64,
}

impl MsgHdr {
    /// Reads the header at `addr`.
    fn read(t: &Thread, addr: u64) -> Result<MsgHdr, Errno> {
        let mut b = [0u8; MSGHDR_SIZE];
        t.proc.mm.read_bytes(addr, &mut b)?;
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
        Ok(MsgHdr {
            name: u64_at(0),
            namelen: u32::from_le_bytes(b[8..12].try_into().expect("4 bytes")),
            iov: u64_at(16),
            iovlen: u64_at(24),
            control: u64_at(32),
            controllen: u64_at(40),
        })
    }

    /// The guest's buffers, `(address, length)`, their total capped at MAX_TRANSFER.
    fn buffers(&self, t: &Thread) -> Result<Vec<(u64, usize)>, Errno> {
        if self.iovlen > MAX_IOV {
            return Err(Errno(libc::EMSGSIZE));
        }
        let mut raw = vec![0u8; u64_to_usize(self.iovlen) * 16];
        t.proc.mm.read_bytes(self.iov, &mut raw)?;
        let mut left = MAX_TRANSFER;
        let mut out = Vec::new();
        for iov in raw.chunks_exact(16) {
            let base = u64::from_le_bytes(iov[..8].try_into().expect("8 bytes"));
            let len = i64::from_le_bytes(iov[8..].try_into().expect("8 bytes"));
            let len = usize::try_from(len).map_err(|_| Errno::EINVAL)?.min(left);
            left -= len;
            out.push((base, len));
        }
        Ok(out)
    }
}

/// Sends `data` with the host's `msghdr` made of it, `name` and `control`.
fn host_send(
    fd: i32,
    data: &mut [u8],
    name: Option<&[u8]>,
    control: &mut [u8],
    flags: i32,
) -> Result<i64, Errno> {
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    // SAFETY: msghdr is plain data, for which all-zero bytes are a valid value.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    if let Some(name) = name {
        msg.msg_name = name.as_ptr().cast_mut().cast();
        msg.msg_namelen = socklen(name.len());
    }
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if !control.is_empty() {
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control.len();
    }
    // SAFETY: every pointer in msg refers to a buffer alive across the call.
    host(unsafe { libc::sendmsg(fd, &msg, flags) } as i64)
}

/// sendto(fd, buf, len, flags, addr, addrlen).
pub(super) fn sendto(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let file = t.proc.files.file(a[0])?;
    let len = usize::try_from(a[2])
        .unwrap_or(usize::MAX)
        .min(MAX_TRANSFER);
    let mut buf = vec![0u8; len];
    t.proc.mm.read_bytes(a[1], &mut buf)?;
    let name = match a[4] {
        0 => None,
        addr => Some(host_addr(t, addr, a[5], Use::Reach)?),
    };
    let name = name.as_ref().map(|n| &n.bytes[..]);
    host_send(file.raw(), &mut buf, name, &mut [], low_i32(a[3]))
}

/// Translates the guest's control messages in place for the host: SCM_RIGHTS guest
/// fds become host fds (kept open by the returned files until the send is done).
fn control_to_host(t: &Thread, control: &mut [u8]) -> Result<Vec<std::sync::Arc<HostFd>>, Errno> {
    let mut held = Vec::new();
    let mut off = 0;
    while off + CMSG_HDR <= control.len() {
        let len = u64::from_le_bytes(control[off..off + 8].try_into().expect("8 bytes"));
        let len = usize::try_from(len).map_err(|_| Errno::EINVAL)?;
        if len < CMSG_HDR || off + len > control.len() {
            return Err(Errno::EINVAL);
        }
        let level = i32::from_le_bytes(control[off + 8..off + 12].try_into().expect("4"));
        let ty = i32::from_le_bytes(control[off + 12..off + 16].try_into().expect("4"));
        match (level, ty) {
            (libc::SOL_SOCKET, libc::SCM_RIGHTS) => {
                for fd in control[off + CMSG_HDR..off + len].chunks_exact_mut(4) {
                    let file = t
                        .proc
                        .files
                        .fds
                        .get(i32::from_le_bytes(fd.try_into().expect("4 bytes")))?;
                    fd.copy_from_slice(&file.raw().to_le_bytes());
                    held.push(file);
                }
            }
            (libc::SOL_SOCKET, libc::SCM_CREDENTIALS) => swap_pid(
                &mut control[off + CMSG_HDR..off + len],
                t.proc.pid,
                std::process::id(),
            ),
            (libc::SOL_SOCKET, _) => return Err(Errno::EINVAL),
            _ => {}
        }
        off += cmsg_align(len);
    }
    Ok(held)
}

/// sendmsg(fd, msg, flags).
pub(super) fn sendmsg(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let file = t.proc.files.file(a[0])?;
    let msg = MsgHdr::read(t, a[1])?;
    let mut data = Vec::new();
    for (base, len) in msg.buffers(t)? {
        let start = data.len();
        data.resize(start + len, 0);
        t.proc.mm.read_bytes(base, &mut data[start..])?;
    }
    let name = match (msg.name, msg.namelen) {
        (0, _) | (_, 0) => None,
        (addr, len) => Some(host_addr(t, addr, u64::from(len), Use::Reach)?),
    };
    if msg.controllen > MAX_CONTROL {
        return Err(Errno(libc::ENOBUFS));
    }
    let mut control = vec![0u8; u64_to_usize(msg.controllen)];
    if !control.is_empty() {
        t.proc.mm.read_bytes(msg.control, &mut control)?;
    }
    let _held = control_to_host(t, &mut control)?;
    let name = name.as_ref().map(|n| &n.bytes[..]);
    host_send(file.raw(), &mut data, name, &mut control, low_i32(a[2]))
}

/// What one host receive returned.
struct Received {
    /// The call's result (the datagram's full length under MSG_TRUNC).
    n: usize,
    /// The sender's address, if the caller asked for it.
    name: Option<AddrBuf>,
    /// The control bytes the host wrote.
    control: Vec<u8>,
    /// The host's msg_flags.
    flags: i32,
}

/// Receives into `data` (and, when `room` is non-zero, that many control bytes), with
/// the sender's address when `want_name`. Received descriptors are close-on-exec on the
/// host whatever the guest asked.
fn host_recv(
    fd: i32,
    data: &mut [u8],
    want_name: bool,
    room: usize,
    flags: i32,
) -> Result<Received, Errno> {
    let mut name = want_name.then(AddrBuf::new);
    let mut control = vec![0u8; room];
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    // SAFETY: msghdr is plain data, for which all-zero bytes are a valid value.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    if let Some(name) = name.as_mut() {
        msg.msg_name = name.ptr().cast();
        msg.msg_namelen = name.len;
    }
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if room > 0 {
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = room;
    }
    // SAFETY: every pointer in msg refers to a buffer alive across the call.
    let n = host(unsafe { libc::recvmsg(fd, &mut msg, flags | libc::MSG_CMSG_CLOEXEC) } as i64)?;
    if let Some(name) = name.as_mut() {
        name.len = msg.msg_namelen;
    }
    control.truncate(msg.msg_controllen.min(room));
    Ok(Received {
        n: count(n),
        name,
        control,
        flags: msg.msg_flags,
    })
}

/// Whether `file` is a stream socket, whose MSG_WAITALL waits for the whole buffer
/// (a datagram socket's takes one datagram whatever the flag says).
fn is_stream(file: &HostFd) -> bool {
    int_sockopt(file, libc::SO_TYPE).is_ok_and(|ty| ty == libc::SOCK_STREAM)
}

/// What a receive asks for besides the data.
#[derive(Clone, Copy)]
struct Wants {
    /// The sender's address.
    name: bool,
    /// Room for this many control bytes.
    control: usize,
}

/// A receive as [`host_recv`] makes it, except that MSG_WAITALL on a blocking stream
/// socket gathers the buffer through the interruptible wait rather than blocking in
/// the host: a signal, EOF or an error after some bytes returns those bytes, as Linux
/// does, and before any is the wait's EINTR or restart.
fn recv_waiting(
    t: &Thread,
    fd: u64,
    file: &HostFd,
    data: &mut [u8],
    wants: Wants,
    flags: i32,
) -> Result<Received, Errno> {
    let Wants {
        name: want_name,
        control: room,
    } = wants;
    let gathers = flags & libc::MSG_WAITALL != 0
        && flags & (libc::MSG_PEEK | libc::MSG_DONTWAIT) == 0
        && host_poll::blocking(file.raw())
        && is_stream(file);
    if !gathers {
        return host_recv(file.raw(), data, want_name, room, flags);
    }
    let step = (flags & !libc::MSG_WAITALL) | libc::MSG_DONTWAIT;
    let mut first: Option<Received> = None;
    let mut total = 0;
    while total < data.len() {
        let (name, ctl) = match first {
            None => (want_name, room),
            Some(_) => (false, 0),
        };
        match host_recv(file.raw(), &mut data[total..], name, ctl, step) {
            Ok(got) if got.n == 0 => break,
            Ok(got) => {
                total += got.n;
                first.get_or_insert(got);
                continue;
            }
            Err(e) if e == Errno::EAGAIN => {}
            Err(_) if total > 0 => break,
            Err(e) => return Err(e),
        }
        if let Err(code) = blocking_io::wait_for(t, file, libc::POLLIN, nr::recvfrom, fd) {
            if total > 0 {
                break;
            }
            return Err(Errno(i32::try_from(-code).unwrap_or(libc::EINTR)));
        }
    }
    let mut got = first.unwrap_or(Received {
        n: 0,
        name: None,
        control: Vec::new(),
        flags: 0,
    });
    got.n = total;
    Ok(got)
}

/// recvfrom(fd, buf, len, flags, addr, addrlen).
pub(super) fn recvfrom(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let file = t.proc.files.file(a[0])?;
    let len = usize::try_from(a[2])
        .unwrap_or(usize::MAX)
        .min(MAX_TRANSFER);
    let mut buf = vec![0u8; len];
    let got = recv_waiting(
        t,
        a[0],
        &file,
        &mut buf,
        Wants {
            name: a[4] != 0,
            control: 0,
        },
        low_i32(a[3]),
    )?;
    t.proc.mm.write_bytes(a[1], &buf[..got.n.min(len)])?;
    if let Some(name) = &got.name {
        write_addr(t, a[4], a[5], name.filled())?;
    }
    Ok(got.n as i64)
}

/// Makes the received control messages the guest's: SCM_RIGHTS host fds are installed
/// as guest fds (close-on-exec under MSG_CMSG_CLOEXEC). Where the guest's table is
/// full, the rest are closed and MSG_CTRUNC is set, as Linux does.
fn control_to_guest(t: &Thread, control: &mut [u8], cloexec: bool, flags: &mut i32) {
    let mut off = 0;
    while off + CMSG_HDR <= control.len() {
        let len = u64_to_usize(u64::from_le_bytes(
            control[off..off + 8].try_into().expect("8 bytes"),
        ));
        let end = (off + len).min(control.len());
        let level = i32::from_le_bytes(control[off + 8..off + 12].try_into().expect("4"));
        let ty = i32::from_le_bytes(control[off + 12..off + 16].try_into().expect("4"));
        if (level, ty) == (libc::SOL_SOCKET, libc::SCM_CREDENTIALS) {
            swap_pid(
                &mut control[off + CMSG_HDR..end],
                std::process::id(),
                t.proc.pid,
            );
        }
        if (level, ty) == (libc::SOL_SOCKET, libc::SCM_RIGHTS) {
            for fd in control[off + CMSG_HDR..end].chunks_exact_mut(4) {
                let raw = i32::from_le_bytes(fd.try_into().expect("4 bytes"));
                // SAFETY: the host just gave this process the fd; nothing else owns it.
                let owned = unsafe { OwnedFd::from_raw_fd(raw) };
                let guest = t.proc.files.install(owned, cloexec).unwrap_or_else(|_| {
                    *flags |= libc::MSG_CTRUNC;
                    -1
                });
                fd.copy_from_slice(&guest.to_le_bytes());
            }
        }
        if len < CMSG_HDR {
            break;
        }
        off += cmsg_align(len);
    }
}

/// recvmsg(fd, msg, flags).
pub(super) fn recvmsg(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let file = t.proc.files.file(a[0])?;
    let flags = low_i32(a[2]);
    let msg = MsgHdr::read(t, a[1])?;
    let buffers = msg.buffers(t)?;
    let mut data = vec![0u8; buffers.iter().map(|b| b.1).sum()];
    let room = u64_to_usize(msg.controllen.min(MAX_CONTROL));
    let want_name = msg.name != 0;
    let mut got = recv_waiting(
        t,
        a[0],
        &file,
        &mut data,
        Wants {
            name: want_name,
            control: room,
        },
        flags,
    )?;
    let mut out_flags = got.flags;
    control_to_guest(
        t,
        &mut got.control,
        flags & libc::MSG_CMSG_CLOEXEC != 0,
        &mut out_flags,
    );
    let mut left = &data[..got.n.min(data.len())];
    for (base, len) in buffers {
        let take = len.min(left.len());
        t.proc.mm.write_bytes(base, &left[..take])?;
        left = &left[take..];
    }
    if let Some(name) = &got.name {
        write_addr(t, msg.name, a[1] + MSG_NAMELEN, name.filled())?;
    } else if msg.namelen != 0 {
        t.proc
            .mm
            .write_bytes(a[1] + MSG_NAMELEN, &0u32.to_le_bytes())?;
    }
    if !got.control.is_empty() {
        t.proc.mm.write_bytes(msg.control, &got.control)?;
    }
    t.proc.mm.write_bytes(
        a[1] + MSG_CONTROLLEN,
        &(got.control.len() as u64).to_le_bytes(),
    )?;
    t.proc
        .mm
        .write_bytes(a[1] + MSG_FLAGS, &out_flags.to_le_bytes())?;
    Ok(got.n as i64)
}
