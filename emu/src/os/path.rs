//! Guest path resolution: the guest's working directory and, under `--root`, confinement of
//! every lookup to the root directory, or, under `-L`/`--sysroot`, an overlay of one.
//!
//! Without a root, a guest path is handed to the host `*at` call as is, relative to the guest
//! working directory (a host O_PATH fd) or to the guest dirfd's host fd. Under a root, every
//! path is made absolute in the guest's view and resolved by `openat2(RESOLVE_IN_ROOT)` on a
//! dirfd of the root, so `..`, absolute symlinks and relative symlinks all stop at the root.
//! Calls that act on a final component without following it get the resolved parent
//! directory and the bare last component, which the host cannot follow anywhere.
//!
//! A sysroot is qemu-user's `-L`: an absolute guest path that exists below the sysroot
//! (its last component not followed) is looked up there, any other path on the host as
//! is. The program interpreter and libraries of a dynamically linked program come from
//! the sysroot, while the user's files, `/tmp`, `/proc` and `/dev` stay the host's.

use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mmu::Errno;
use parking_lot::RwLock;

use super::fdtable::HostFd;

/// The directory a relative guest path starts from.
#[derive(Debug)]
pub enum Base {
    /// The guest working directory (AT_FDCWD).
    Cwd,
    /// A directory the guest holds an fd on.
    Fd(Arc<HostFd>),
}

/// A host directory fd the resolver hands out: opened for this lookup, or shared.
#[derive(Debug)]
enum Dir {
    Owned(OwnedFd),
    Shared(Arc<OwnedFd>),
    Guest(Arc<HostFd>),
}

/// The `(dirfd, path)` pair a host `*at` call takes, with the directory kept open.
#[derive(Debug)]
pub struct At {
    dir: Dir,
    name: CString,
}

impl At {
    /// The host directory fd (valid while `self` lives).
    pub fn dirfd(&self) -> RawFd {
        match &self.dir {
            Dir::Owned(fd) => fd.as_raw_fd(),
            Dir::Shared(fd) => fd.as_raw_fd(),
            Dir::Guest(f) => f.raw(),
        }
    }

    /// The path relative to [`At::dirfd`]; empty when the fd is the object itself.
    pub fn name(&self) -> &CStr {
        &self.name
    }

    /// `flags` plus AT_EMPTY_PATH when the fd itself is the object (a root-confined lookup
    /// that had to resolve the whole path to keep the host from following symlinks).
    pub fn flags(&self, flags: i32) -> i32 {
        if self.name.is_empty() {
            flags | libc::AT_EMPTY_PATH
        } else {
            flags
        }
    }
}

/// What names the entry a creating or removing call acts on.
#[derive(Debug)]
pub enum Entry {
    /// A directory and a name in it.
    Name(At),
    /// A path whose last component is `.` (Linux's LAST_DOT).
    Dot,
    /// A path whose last component is `..` (LAST_DOTDOT).
    DotDot,
    /// The root directory itself (LAST_ROOT).
    Root,
}

/// The root directory confining guest paths.
#[derive(Debug)]
struct Root {
    fd: OwnedFd,
    host: PathBuf,
}

/// The guest working directory.
#[derive(Debug)]
struct Cwd {
    guest: Vec<u8>,
    dir: Arc<OwnedFd>,
}

/// How guest paths map onto the host file system.
#[derive(Clone, Copy, Debug)]
pub enum View<'a> {
    /// The host file system as is.
    Host,
    /// Every path confined under this directory (`--root`).
    Root(&'a Path),
    /// Absolute paths looked up under this directory first, then on the host (`-L`).
    Sysroot(&'a Path),
}

/// Resolves guest paths to host lookups and keeps the guest working directory.
#[derive(Debug)]
pub struct Resolver {
    root: Option<Root>,
    sysroot: Option<Arc<OwnedFd>>,
    cwd: RwLock<Cwd>,
}

/// The longest path Linux accepts, NUL included.
pub const PATH_MAX: usize = 4096;

/// Retries of `openat2` that report EAGAIN (a rename raced a confined `..` lookup).
const OPENAT2_RETRIES: usize = 16;

impl Resolver {
    /// A resolver with view `view` of the host file system. The guest starts in the
    /// emulator's working directory, seen from inside the root if it lies there, else at
    /// the root; the sysroot does not move it.
    pub fn new(view: View<'_>) -> std::io::Result<Resolver> {
        let cwd_fd = Arc::new(open_dir_path(Path::new("."))?);
        let here = std::env::current_dir()?;
        let host_cwd = Cwd {
            guest: here.as_os_str().as_bytes().to_vec(),
            dir: cwd_fd.clone(),
        };
        let (root, cwd, sysroot) = match view {
            View::Host => (None, host_cwd, None),
            View::Sysroot(dir) => (None, host_cwd, Some(Arc::new(open_dir_path(dir)?))),
            View::Root(root) => {
                let host = std::fs::canonicalize(root)?;
                let fd = open_dir_path(&host)?;
                let cwd = match strip_root(&host, here.as_os_str().as_bytes()) {
                    Some(guest) => Cwd { guest, dir: cwd_fd },
                    None => Cwd {
                        guest: b"/".to_vec(),
                        dir: Arc::new(open_dir_path(&host)?),
                    },
                };
                (Some(Root { fd, host }), cwd, None)
            }
        };
        Ok(Resolver {
            root,
            sysroot,
            cwd: RwLock::new(cwd),
        })
    }

    /// A copy for a new process (fork, vfork): the same root and sysroot, and a working
    /// directory of its own that starts where this one is.
    pub fn try_clone(&self) -> std::io::Result<Resolver> {
        let root = match &self.root {
            Some(r) => Some(Root {
                fd: r.fd.try_clone()?,
                host: r.host.clone(),
            }),
            None => None,
        };
        let cwd = self.cwd.read();
        Ok(Resolver {
            root,
            sysroot: self.sysroot.clone(),
            cwd: RwLock::new(Cwd {
                guest: cwd.guest.clone(),
                dir: cwd.dir.clone(),
            }),
        })
    }

    /// The guest view of host path `host`: itself without a root, the path below the root
    /// under one; None if it lies outside the root.
    pub fn guest_view(&self, host: &Path) -> Option<Vec<u8>> {
        let bytes = host.as_os_str().as_bytes();
        match &self.root {
            None => Some(bytes.to_vec()),
            Some(root) => strip_root(&root.host, bytes),
        }
    }

    /// The guest working directory as the guest sees it.
    pub fn cwd(&self) -> Vec<u8> {
        self.cwd.read().guest.clone()
    }

    /// Makes `dir` (an O_PATH directory fd) the guest working directory.
    pub fn set_cwd(&self, dir: OwnedFd) -> Result<(), Errno> {
        let guest = self.guest_path_of(dir.as_raw_fd())?;
        *self.cwd.write() = Cwd {
            guest,
            dir: Arc::new(dir),
        };
        Ok(())
    }

    /// Opens guest path `path` (relative to `base`) with open(2) `flags` and `mode`; the
    /// host fd is always close-on-exec, the guest's O_CLOEXEC being kept by the fd table.
    pub fn open(&self, base: Base, path: &[u8], flags: i32, mode: u32) -> Result<OwnedFd, Errno> {
        let flags = flags | libc::O_CLOEXEC;
        match &self.root {
            None => {
                let at = self.plain(base, path)?;
                // SAFETY: `at` keeps the dirfd open and the name is NUL-terminated.
                let fd = unsafe { libc::openat(at.dirfd(), at.name().as_ptr(), flags, mode) };
                owned(fd)
            }
            Some(root) => {
                if path.is_empty() {
                    return Err(Errno::ENOENT);
                }
                let abs = self.absolute(base, path)?;
                openat2_in_root(root, &abs, flags, mode)
            }
        }
    }

    /// Looks up `path` (relative to `base`) for a call that inspects or changes the object
    /// it names: following a final symlink when `follow`, else naming the symlink itself.
    /// An empty `path` names `base` itself when `empty_ok` (AT_EMPTY_PATH), else ENOENT.
    /// Callers pass [`At::flags`] to the host call.
    pub fn lookup(
        &self,
        base: Base,
        path: &[u8],
        follow: bool,
        empty_ok: bool,
    ) -> Result<At, Errno> {
        if path.is_empty() {
            return match empty_ok {
                true => self.plain(base, path),
                false => Err(Errno::ENOENT),
            };
        }
        let Some(root) = &self.root else {
            return self.plain(base, path);
        };
        let abs = self.absolute(base, path)?;
        let split = split_last(&abs);
        match split.last {
            Some(last) if !follow && !split.trailing_slash && !is_dot_or_dotdot(last) => {
                let dir = openat2_in_root(root, split.parent, libc::O_PATH | libc::O_DIRECTORY, 0)?;
                Ok(At {
                    dir: Dir::Owned(dir),
                    name: cstring(last)?,
                })
            }
            _ => {
                let obj = openat2_in_root(root, &abs, nofollow(follow) | libc::O_PATH, 0)?;
                Ok(At {
                    dir: Dir::Owned(obj),
                    name: CString::default(),
                })
            }
        }
    }

    /// Looks up the entry `path` (relative to `base`) names, for calls that create, remove
    /// or rename it and so never follow its last component.
    pub fn entry(&self, base: Base, path: &[u8]) -> Result<Entry, Errno> {
        let Some(root) = &self.root else {
            return self.plain(base, path).map(Entry::Name);
        };
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        let abs = self.absolute(base, path)?;
        let split = split_last(&abs);
        let special = match split.last {
            None => Entry::Root,
            Some(b".") => Entry::Dot,
            Some(b"..") => Entry::DotDot,
            Some(last) => {
                let dir = openat2_in_root(root, split.parent, libc::O_PATH | libc::O_DIRECTORY, 0)?;
                // A trailing slash stays on the name: the host then applies Linux's
                // "must be a directory" rules without ever following the entry.
                let mut name = last.to_vec();
                if split.trailing_slash {
                    name.push(b'/');
                }
                return Ok(Entry::Name(At {
                    dir: Dir::Owned(dir),
                    name: cstring(&name)?,
                }));
            }
        };
        // Linux resolves the whole path before it rejects a `.`, `..` or `/` entry.
        openat2_in_root(root, &abs, libc::O_PATH | libc::O_DIRECTORY, 0)?;
        Ok(special)
    }

    /// The host lookup of `path` relative to `base` as is (no confinement needed), or
    /// below the sysroot when the path is absolute and names an entry there.
    fn plain(&self, base: Base, path: &[u8]) -> Result<At, Errno> {
        if let Some(at) = self.in_sysroot(path)? {
            return Ok(at);
        }
        let dir = match base {
            Base::Cwd => Dir::Shared(self.cwd.read().dir.clone()),
            Base::Fd(f) => Dir::Guest(f),
        };
        Ok(At {
            dir,
            name: cstring(path)?,
        })
    }

    /// The lookup of absolute `path` below the sysroot, if there is one and the entry
    /// exists there (a dangling symlink counts, as it does for qemu's `-L`); `/` itself
    /// stays the host's.
    fn in_sysroot(&self, path: &[u8]) -> Result<Option<At>, Errno> {
        let Some(sysroot) = &self.sysroot else {
            return Ok(None);
        };
        if path.first() != Some(&b'/') {
            return Ok(None);
        }
        let below = &path[path.iter().position(|&b| b != b'/').unwrap_or(path.len())..];
        if below.is_empty() {
            return Ok(None);
        }
        let name = cstring(below)?;
        // SAFETY: an all-zero `stat` is a valid buffer for fstatat to fill.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `name` is NUL-terminated and `st` outlives the call.
        let found = unsafe {
            libc::fstatat(
                sysroot.as_raw_fd(),
                name.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        } == 0;
        Ok(found.then(|| At {
            dir: Dir::Shared(sysroot.clone()),
            name,
        }))
    }

    /// Guest path `path` made absolute against `base` in the guest's view.
    fn absolute(&self, base: Base, path: &[u8]) -> Result<Vec<u8>, Errno> {
        if path.first() == Some(&b'/') {
            return Ok(path.to_vec());
        }
        let mut abs = match base {
            Base::Cwd => self.cwd(),
            Base::Fd(f) => self.guest_path_of(f.raw())?,
        };
        if abs.last() != Some(&b'/') {
            abs.push(b'/');
        }
        abs.extend_from_slice(path);
        Ok(abs)
    }

    /// The guest path of the object host fd `fd` refers to, from its /proc/self/fd link.
    fn guest_path_of(&self, fd: RawFd) -> Result<Vec<u8>, Errno> {
        let host = std::fs::read_link(format!("/proc/self/fd/{fd}"))?;
        let bytes = host.as_os_str().as_bytes();
        if bytes.first() != Some(&b'/') {
            // pipe:[..], socket:[..], anon_inode:[..]: nothing a path can start from.
            return Err(Errno::ENOTDIR);
        }
        if bytes.ends_with(b" (deleted)") {
            return Err(Errno::ENOENT);
        }
        self.guest_view(&host).ok_or(Errno::ENOENT)
    }
}

/// `abs` split into the path of its parent and its last component.
struct Split<'a> {
    parent: &'a [u8],
    last: Option<&'a [u8]>,
    trailing_slash: bool,
}

/// Splits absolute path `abs` at its last component (None for the root itself).
fn split_last(abs: &[u8]) -> Split<'_> {
    let trimmed_len = abs.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    let trimmed = &abs[..trimmed_len];
    if trimmed.is_empty() {
        return Split {
            parent: b"/",
            last: None,
            trailing_slash: false,
        };
    }
    let start = trimmed
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(0, |i| i + 1);
    let parent_len = trimmed[..start]
        .iter()
        .rposition(|&b| b != b'/')
        .map_or(0, |i| i + 1);
    let parent = match &trimmed[..parent_len] {
        b"" => b"/".as_slice(),
        p => p,
    };
    Split {
        parent,
        last: Some(&trimmed[start..]),
        trailing_slash: trimmed_len < abs.len(),
    }
}

fn is_dot_or_dotdot(name: &[u8]) -> bool {
    name == b"." || name == b".."
}

/// The guest path of host path `host` under root `root`; None if outside it.
fn strip_root(root: &Path, host: &[u8]) -> Option<Vec<u8>> {
    let root = root.as_os_str().as_bytes();
    if root == b"/" {
        return Some(host.to_vec());
    }
    match host.strip_prefix(root)? {
        b"" => Some(b"/".to_vec()),
        rest if rest.first() == Some(&b'/') => Some(rest.to_vec()),
        _ => None,
    }
}

/// O_NOFOLLOW unless `follow`.
fn nofollow(follow: bool) -> i32 {
    if follow {
        0
    } else {
        libc::O_NOFOLLOW
    }
}

/// `bytes` as a C string (guest strings never hold a NUL: the copy stops at it).
pub fn cstring(bytes: &[u8]) -> Result<CString, Errno> {
    CString::new(bytes).map_err(|_| Errno::EINVAL)
}

/// Wraps a host fd result, turning -1 into the host errno.
pub fn owned(fd: RawFd) -> Result<OwnedFd, Errno> {
    if fd < 0 {
        return Err(Errno::last_os_error());
    }
    // SAFETY: `fd` was just returned by the host and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Opens host directory `path` as an O_PATH fd.
fn open_dir_path(path: &Path) -> std::io::Result<OwnedFd> {
    let c = CString::new(path.as_os_str().as_bytes())?;
    // SAFETY: `c` is a NUL-terminated path.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    owned(fd).map_err(|e| std::io::Error::from_raw_os_error(e.0))
}

/// The open(2) flags openat2 accepts; open(2) silently ignores the others, openat2 rejects them.
const VALID_OPEN_FLAGS: i32 = libc::O_ACCMODE
    | libc::O_CREAT
    | libc::O_EXCL
    | libc::O_NOCTTY
    | libc::O_TRUNC
    | libc::O_APPEND
    | libc::O_NONBLOCK
    | libc::O_DSYNC
    | libc::O_SYNC
    | libc::O_ASYNC
    | libc::O_DIRECT
    | libc::O_LARGEFILE
    | libc::O_DIRECTORY
    | libc::O_NOFOLLOW
    | libc::O_NOATIME
    | libc::O_CLOEXEC
    | libc::O_PATH
    | libc::O_TMPFILE;

/// `struct open_how`, the argument of openat2.
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

/// Opens guest absolute path `abs` inside `root` with `openat2(RESOLVE_IN_ROOT)`.
fn openat2_in_root(root: &Root, abs: &[u8], flags: i32, mode: u32) -> Result<OwnedFd, Errno> {
    let path = cstring(abs)?;
    let flags = flags & VALID_OPEN_FLAGS;
    // open(2) ignores the mode unless it creates; openat2 insists it be zero then.
    let creates = flags & libc::O_CREAT != 0 || flags & libc::O_TMPFILE == libc::O_TMPFILE;
    let how = OpenHow {
        flags: flags as u64,
        mode: if creates { u64::from(mode & 0o7777) } else { 0 },
        resolve: libc::RESOLVE_IN_ROOT,
    };
    for _ in 0..OPENAT2_RETRIES {
        // SAFETY: `path` is NUL-terminated and `how` is a valid open_how of the size passed.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                root.fd.as_raw_fd(),
                path.as_ptr(),
                &how as *const OpenHow,
                std::mem::size_of::<OpenHow>(),
            )
        };
        match owned(RawFd::try_from(fd).unwrap_or(-1)) {
            Err(Errno::EAGAIN) => continue,
            r => return r,
        }
    }
    Err(Errno::EAGAIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_last_component() {
        let s = split_last(b"/a/b/c");
        assert_eq!(
            (s.parent, s.last, s.trailing_slash),
            (&b"/a/b"[..], Some(&b"c"[..]), false)
        );
        let s = split_last(b"/a//");
        assert_eq!(
            (s.parent, s.last, s.trailing_slash),
            (&b"/"[..], Some(&b"a"[..]), true)
        );
        let s = split_last(b"//");
        assert_eq!((s.parent, s.last), (&b"/"[..], None));
        let s = split_last(b"/x//y");
        assert_eq!((s.parent, s.last), (&b"/x"[..], Some(&b"y"[..])));
        let s = split_last(b"/x/..");
        assert_eq!((s.parent, s.last), (&b"/x"[..], Some(&b".."[..])));
    }

    #[test]
    fn strips_root_on_component_boundaries() {
        let root = Path::new("/srv/root");
        assert_eq!(strip_root(root, b"/srv/root"), Some(b"/".to_vec()));
        assert_eq!(strip_root(root, b"/srv/root/bin"), Some(b"/bin".to_vec()));
        assert_eq!(strip_root(root, b"/srv/rootless"), None);
        assert_eq!(strip_root(Path::new("/"), b"/etc"), Some(b"/etc".to_vec()));
    }
}
