//! Socket addresses between the guest and the host. riscv64 and the host lay out
//! `sockaddr_in`, `sockaddr_in6` and `sockaddr_un` alike, so an address is checked (its
//! length, its family) rather than converted, except that an AF_UNIX path is a guest
//! path: it is resolved as open(2) resolves one (confined by `--root`, overlaid by
//! `-L`) and handed to the host as a name the host cannot follow anywhere else,
//! `/proc/self/fd/DIRFD/NAME` on the directory the resolver opened. The names the host
//! then reports back (getsockname, getpeername, accept, recvfrom) are mapped back to
//! the guest's. Abstract names (a leading NUL) and unnamed sockets pass through.

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;

use mmu::Errno;
use parking_lot::Mutex;

use super::path::{At, Base, Entry, Resolver};

/// The largest address a guest may pass, `sizeof(struct sockaddr_storage)`.
pub(crate) const SOCKADDR_MAX: usize = 128;
/// `offsetof(struct sockaddr_un, sun_path)`.
const SUN_PATH_OFFSET: usize = 2;
/// `sizeof(sun_path)`.
const SUN_PATH_MAX: usize = 108;
/// AF_UNIX as a `sa_family_t`.
const UNIX_FAMILY: u16 = 1;

/// What an AF_UNIX path is resolved for: creating the socket file, or reaching one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Use {
    /// bind(2): the last component is created, never followed.
    Bind,
    /// connect(2), sendto(2): the path is followed to the socket.
    Reach,
}

/// A guest address as the host takes it; keeps the directory an AF_UNIX name goes
/// through open until the host call is made.
pub(crate) struct HostAddr {
    /// The `sockaddr` bytes for the host.
    pub bytes: Vec<u8>,
    /// The directory `/proc/self/fd/DIRFD` names, if any.
    _dir: Option<At>,
}

/// The guest names of the AF_UNIX sockets the guest bound under names of its own
/// resolution, keyed by the name the host knows them by. Clones share the names: a
/// socket file is the machine's, whichever process bound it.
#[derive(Debug, Default, Clone)]
pub(crate) struct SocketNames {
    by_host: Arc<Mutex<BTreeMap<Vec<u8>, Vec<u8>>>>,
}

/// Family of the address in `bytes` (at least two bytes long).
fn family(bytes: &[u8]) -> i32 {
    i32::from(u16::from_ne_bytes([bytes[0], bytes[1]]))
}

/// The path of a named AF_UNIX address (not abstract, not unnamed): up to its first NUL.
fn unix_path(bytes: &[u8]) -> Option<&[u8]> {
    let sun = bytes.get(SUN_PATH_OFFSET..)?;
    if sun.first().is_none_or(|&b| b == 0) {
        return None;
    }
    Some(&sun[..sun.iter().position(|&b| b == 0).unwrap_or(sun.len())])
}

/// A `sockaddr_un` naming `path`, as long as Linux reports such names.
fn unix_addr(path: &[u8]) -> Vec<u8> {
    let mut out = UNIX_FAMILY.to_ne_bytes().to_vec();
    out.extend_from_slice(path);
    out.push(0);
    out
}

/// The host name of the entry `at` names: the name itself when it is an absolute host
/// path, else a path through the directory fd the resolver opened (which pins that
/// directory, so nothing renamed meanwhile can send the host elsewhere).
fn host_name(at: &At) -> Vec<u8> {
    let name = at.name().to_bytes();
    if name.first() == Some(&b'/') {
        return name.to_vec();
    }
    let mut out = format!("/proc/self/fd/{}", at.dirfd()).into_bytes();
    if !name.is_empty() {
        out.push(b'/');
        out.extend_from_slice(name);
    }
    out
}

impl SocketNames {
    /// Checks guest address `bytes` and makes the host's: EINVAL if it is too short or
    /// too long for its family, ENAMETOOLONG if an AF_UNIX path's host name does not fit
    /// in `sun_path`, and the path's lookup errors (ENOENT, EACCES, ...).
    pub(crate) fn to_host(
        &self,
        paths: &Resolver,
        bytes: &[u8],
        use_: Use,
    ) -> Result<HostAddr, Errno> {
        if bytes.len() < 2 || bytes.len() > SOCKADDR_MAX {
            return Err(Errno::EINVAL);
        }
        let plain = |min: usize| match bytes.len() >= min {
            true => Ok(HostAddr {
                bytes: bytes.to_vec(),
                _dir: None,
            }),
            false => Err(Errno::EINVAL),
        };
        match family(bytes) {
            libc::AF_INET => plain(std::mem::size_of::<libc::sockaddr_in>()),
            libc::AF_INET6 => plain(std::mem::size_of::<libc::sockaddr_in6>()),
            libc::AF_UNIX if bytes.len() > SUN_PATH_OFFSET + SUN_PATH_MAX => Err(Errno::EINVAL),
            libc::AF_UNIX => {
                let Some(path) = unix_path(bytes) else {
                    return plain(2);
                };
                let at = match use_ {
                    Use::Bind => match paths.entry(Base::Cwd, path)? {
                        Entry::Name(at) => at,
                        _ => return Err(Errno(libc::EADDRINUSE)),
                    },
                    Use::Reach => paths.lookup(Base::Cwd, path, true, false)?,
                };
                let host = host_name(&at);
                if host.len() >= SUN_PATH_MAX {
                    return Err(Errno(libc::ENAMETOOLONG));
                }
                if use_ == Use::Bind && host != path {
                    self.by_host.lock().insert(host.clone(), path.to_vec());
                }
                Ok(HostAddr {
                    bytes: unix_addr(&host),
                    _dir: Some(at),
                })
            }
            // Any other family the host judges (AF_UNSPEC dissolves a UDP association).
            _ => plain(2),
        }
    }

    /// The guest's view of address `bytes` the host reported: an AF_UNIX name the guest
    /// bound under its own path, or one below `--root`, as the guest names it.
    pub(crate) fn to_guest(&self, paths: &Resolver, bytes: &[u8]) -> Vec<u8> {
        if bytes.len() < 2 || family(bytes) != libc::AF_UNIX {
            return bytes.to_vec();
        }
        let Some(path) = unix_path(bytes) else {
            return bytes.to_vec();
        };
        if let Some(guest) = self.by_host.lock().get(path) {
            return unix_addr(guest);
        }
        match paths.guest_view(Path::new(std::ffi::OsStr::from_bytes(path))) {
            Some(guest) if guest != path => unix_addr(&guest),
            _ => bytes.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_paths_and_their_kinds() {
        let named = unix_addr(b"/tmp/s");
        assert_eq!(named.len(), 2 + 6 + 1);
        assert_eq!(unix_path(&named), Some(&b"/tmp/s"[..]));
        assert_eq!(i32::from(UNIX_FAMILY), libc::AF_UNIX);
        let mut abstract_ = UNIX_FAMILY.to_ne_bytes().to_vec();
        abstract_.extend_from_slice(b"\0name");
        assert_eq!(unix_path(&abstract_), None);
        assert_eq!(unix_path(&abstract_[..2]), None);
    }
}
