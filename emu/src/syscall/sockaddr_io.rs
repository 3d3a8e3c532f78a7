//! What the socket calls share: guest addresses read from and written to guest memory
//! (through [`crate::os::socket_addr`]), the buffer a host call fills with an address,
//! and host results as errnos.

use crate::os::fdtable::HostFd;
use crate::os::socket_addr::{HostAddr, Use, SOCKADDR_MAX};
use crate::thread::Thread;
use devices::cast::{low_i32, u64_to_usize};
use mmu::Errno;

/// The last host error as an errno.
pub(crate) fn last_errno() -> Errno {
    Errno(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

/// A host call's result: its value, or the host's errno when it is negative.
pub(crate) fn host(r: i64) -> Result<i64, Errno> {
    if r < 0 {
        Err(last_errno())
    } else {
        Ok(r)
    }
}

/// Reads the guest address of `len` bytes at `addr` and makes it the host's.
pub(crate) fn host_addr(t: &Thread, addr: u64, len: u64, use_: Use) -> Result<HostAddr, Errno> {
    let len = usize::try_from(low_i32(len)).map_err(|_| Errno::EINVAL)?;
    if len > SOCKADDR_MAX {
        return Err(Errno::EINVAL);
    }
    let mut bytes = vec![0u8; len];
    t.proc.mm.read_bytes(addr, &mut bytes)?;
    t.proc
        .files
        .socket_names
        .to_host(&t.proc.files.paths, &bytes, use_)
}

/// Writes the host-reported address `host` (in the guest's view) to `addr`, truncated
/// to the `*len_addr` bytes the guest offers, and its full length to `*len_addr`, as
/// Linux does. Nothing when `addr` is null.
pub(crate) fn write_addr(t: &Thread, addr: u64, len_addr: u64, host: &[u8]) -> Result<(), Errno> {
    if addr == 0 {
        return Ok(());
    }
    let mut len = [0u8; 4];
    t.proc.mm.read_bytes(len_addr, &mut len)?;
    let room = usize::try_from(i32::from_le_bytes(len)).map_err(|_| Errno::EINVAL)?;
    let guest = t
        .proc
        .files
        .socket_names
        .to_guest(&t.proc.files.paths, host);
    t.proc
        .mm
        .write_bytes(addr, &guest[..room.min(guest.len())])?;
    let full = u32::try_from(guest.len()).map_err(|_| Errno::EINVAL)?;
    t.proc.mm.write_bytes(len_addr, &full.to_le_bytes())
}

/// A buffer the host fills with an address, and its length.
pub(crate) struct AddrBuf {
    /// The address bytes.
    pub bytes: [u8; SOCKADDR_MAX],
    /// In: the room; out: the address's length.
    pub len: libc::socklen_t,
}

impl AddrBuf {
    /// An empty buffer with room for any address.
    pub(crate) fn new() -> AddrBuf {
        AddrBuf {
            bytes: [0; SOCKADDR_MAX],
            len: socklen(SOCKADDR_MAX),
        }
    }

    /// The address the host wrote.
    pub(crate) fn filled(&self) -> &[u8] {
        &self.bytes[..u64_to_usize(self.len.into()).min(SOCKADDR_MAX)]
    }

    /// The buffer as the host's `struct sockaddr *`.
    pub(crate) fn ptr(&mut self) -> *mut libc::sockaddr {
        self.bytes.as_mut_ptr().cast()
    }
}

/// A buffer length as the host's `socklen_t` (every buffer here is far below 4 GiB).
pub(crate) fn socklen(n: usize) -> libc::socklen_t {
    libc::socklen_t::try_from(n).unwrap_or(libc::socklen_t::MAX)
}

/// A non-negative host result (a length, an fd) as a `usize`.
pub(crate) fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// Rewrites the pid at the start of a `struct ucred` (SCM_CREDENTIALS, SO_PEERCRED)
/// from `from` to `to`: the guest's pid is not the host's under the virtual clock, and
/// the host checks a sender's credentials against its own pid.
pub(crate) fn swap_pid(ucred: &mut [u8], from: u32, to: u32) {
    if let Some(pid) = ucred.get_mut(..4) {
        if u32::from_le_bytes(pid.try_into().expect("4 bytes")) == from {
            pid.copy_from_slice(&to.to_le_bytes());
        }
    }
}

/// The int value of `file`'s SOL_SOCKET option `name` (SO_DOMAIN, SO_TYPE, SO_ERROR).
pub(super) fn int_sockopt(file: &HostFd, name: libc::c_int) -> Result<libc::c_int, Errno> {
    let mut value: libc::c_int = 0;
    let mut len = socklen(std::mem::size_of::<libc::c_int>());
    // SAFETY: value has room for `len` bytes.
    let r = unsafe {
        libc::getsockopt(
            file.raw(),
            libc::SOL_SOCKET,
            name,
            (&raw mut value).cast(),
            &mut len,
        )
    };
    host(r.into())?;
    Ok(value)
}
