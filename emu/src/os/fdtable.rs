//! The guest's file-descriptor table: guest fd numbers mapped to shared host fds.
//!
//! Guest fd numbers are faultline's own, allocated lowest-free like Linux; each entry holds
//! an `Arc` of the host fd so a call can clone it out and drop the table lock before it
//! blocks, and so a concurrent close never pulls a host fd from under a running call.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::{Arc, OnceLock};

use mmu::pagecache::FileKey;
use mmu::Errno;
use parking_lot::Mutex;

/// A host file descriptor the guest holds one or more guest fds on.
///
/// What never changes for an open file is read once, when it is opened, so that reads
/// and writes need no `fstat`: its type, its identity and its file system's kind.
#[derive(Debug)]
pub struct HostFd {
    fd: OwnedFd,
    regular: bool,
    /// `(st_dev, st_ino)`, the page cache's key; `None` if `fstat` failed.
    key: Option<FileKey>,
    /// Whether the file lives on a pseudo file system, found on first use.
    pseudo: OnceLock<bool>,
}

impl HostFd {
    /// Wraps `fd`, remembering whether it is a regular file (reads loop only on regular
    /// files) and which file it is.
    pub fn new(fd: OwnedFd) -> HostFd {
        // SAFETY: libc::stat is plain data, for which all-zero bytes are a valid value.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: fstat writes only into `st`, which is a valid stat buffer.
        let st = (unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } == 0).then_some(st);
        HostFd {
            fd,
            regular: st.is_some_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFREG),
            key: st.map(|st| (st.st_dev, st.st_ino)),
            pseudo: OnceLock::new(),
        }
    }

    /// The file's identity, `(st_dev, st_ino)`: how mappings, reads, writes and other
    /// system calls find the same cached file.
    pub fn key(&self) -> Option<FileKey> {
        self.key
    }

    /// Whether the file lives on a file system whose files are generated when read
    /// (procfs, sysfs and their kin): their sizes say nothing of their contents, so they
    /// bypass the page cache, as their pages are never cached on Linux either.
    pub fn on_pseudo_fs(&self) -> bool {
        *self.pseudo.get_or_init(|| on_pseudo_fs(self.raw()))
    }

    /// The raw host fd, valid while `self` lives.
    pub fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Whether the host fd is a regular file.
    pub fn is_regular(&self) -> bool {
        self.regular
    }
}

/// Whether host fd `fd` is open on a pseudo file system (see [`HostFd::on_pseudo_fs`]).
fn on_pseudo_fs(fd: RawFd) -> bool {
    const PSEUDO: [i64; 12] = [
        0x9fa0,      // proc
        0x6265_6572, // sysfs
        0x6462_6720, // debugfs
        0x7472_6163, // tracefs
        0x7363_6673, // securityfs
        0x0027_e0eb, // cgroup
        0x6367_7270, // cgroup2
        0x6265_6570, // configfs
        0xde5e_81e4, // efivarfs
        0x6165_676c, // pstore
        0xcafe_4a11, // bpf
        0x6573_5543, // fusectl
    ];
    // SAFETY: libc::statfs is plain data, for which all-zero bytes are a valid value.
    let mut sfs: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: fstatfs writes only into `sfs`.
    if unsafe { libc::fstatfs(fd, &mut sfs) } != 0 {
        return true;
    }
    let magic = sfs.f_type as i64;
    PSEUDO.contains(&magic)
}

/// One open guest fd.
#[derive(Debug)]
struct Slot {
    file: Arc<HostFd>,
    cloexec: bool,
}

/// The guest fd table (shared by all guest threads).
#[derive(Debug)]
pub struct FdTable {
    slots: Mutex<Vec<Option<Slot>>>,
    limit: usize,
}

/// The EMFILE errno (too many open files).
const EMFILE: Errno = Errno(libc::EMFILE);

impl FdTable {
    /// An empty table allowing guest fds `0..limit`.
    pub fn new(limit: usize) -> FdTable {
        FdTable {
            slots: Mutex::new(Vec::new()),
            limit,
        }
    }

    /// The host file behind guest fd `fd`; EBADF if it is not open.
    pub fn get(&self, fd: i32) -> Result<Arc<HostFd>, Errno> {
        let slots = self.slots.lock();
        slot(&slots, fd).map(|s| s.file.clone()).ok_or(Errno::EBADF)
    }

    /// Installs `file` at the lowest free guest fd not below `min`; EMFILE if none is free,
    /// EINVAL if `min` is beyond the limit (as F_DUPFD reports it).
    pub fn insert(&self, file: Arc<HostFd>, cloexec: bool, min: usize) -> Result<i32, Errno> {
        if min >= self.limit {
            return Err(Errno::EINVAL);
        }
        let mut slots = self.slots.lock();
        let fd = (min..slots.len())
            .find(|&i| slots[i].is_none())
            .unwrap_or(slots.len().max(min));
        if fd >= self.limit {
            return Err(EMFILE);
        }
        if fd >= slots.len() {
            slots.resize_with(fd + 1, || None);
        }
        slots[fd] = Some(Slot { file, cloexec });
        Ok(i32::try_from(fd).expect("guest fds stay below NR_OPEN"))
    }

    /// Installs `file` at guest fd `fd`, returning what was open there (for the caller to
    /// drop after the table lock is released); EBADF if `fd` is out of range.
    pub fn replace(
        &self,
        fd: i32,
        file: Arc<HostFd>,
        cloexec: bool,
    ) -> Result<Option<Arc<HostFd>>, Errno> {
        let index = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        if index >= self.limit {
            return Err(Errno::EBADF);
        }
        let mut slots = self.slots.lock();
        if index >= slots.len() {
            slots.resize_with(index + 1, || None);
        }
        let old = slots[index].replace(Slot { file, cloexec });
        Ok(old.map(|s| s.file))
    }

    /// Closes guest fd `fd`, returning its host file; EBADF if it is not open.
    pub fn remove(&self, fd: i32) -> Result<Arc<HostFd>, Errno> {
        let mut slots = self.slots.lock();
        let index = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        let old = slots.get_mut(index).and_then(Option::take);
        trim(&mut slots);
        old.map(|s| s.file).ok_or(Errno::EBADF)
    }

    /// Whether guest fd `fd` is close-on-exec; EBADF if it is not open.
    pub fn cloexec(&self, fd: i32) -> Result<bool, Errno> {
        let slots = self.slots.lock();
        slot(&slots, fd).map(|s| s.cloexec).ok_or(Errno::EBADF)
    }

    /// Sets or clears close-on-exec on guest fd `fd`; EBADF if it is not open.
    pub fn set_cloexec(&self, fd: i32, cloexec: bool) -> Result<(), Errno> {
        let mut slots = self.slots.lock();
        let index = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        match slots.get_mut(index) {
            Some(Some(s)) => {
                s.cloexec = cloexec;
                Ok(())
            }
            _ => Err(Errno::EBADF),
        }
    }

    /// Closes (or, with `cloexec_only`, marks close-on-exec) every open guest fd in
    /// `first..=last`; returns the closed host files for the caller to drop unlocked.
    pub fn close_range(&self, first: u32, last: u32, cloexec_only: bool) -> Vec<Arc<HostFd>> {
        let mut slots = self.slots.lock();
        let first = first as usize;
        let end = slots.len().min((last as usize).saturating_add(1));
        let mut closed = Vec::new();
        for s in slots.iter_mut().take(end).skip(first) {
            if cloexec_only {
                if let Some(s) = s {
                    s.cloexec = true;
                }
            } else if let Some(s) = s.take() {
                closed.push(s.file);
            }
        }
        trim(&mut slots);
        closed
    }

    /// A copy for a new process (fork, vfork): the same open files in the same slots,
    /// with their close-on-exec flags.
    pub fn copy(&self) -> FdTable {
        let slots = self
            .slots
            .lock()
            .iter()
            .map(|s| {
                s.as_ref().map(|s| Slot {
                    file: s.file.clone(),
                    cloexec: s.cloexec,
                })
            })
            .collect();
        FdTable {
            slots: Mutex::new(slots),
            limit: self.limit,
        }
    }

    /// Closes every close-on-exec guest fd, as a successful execve does; returns the closed
    /// host files for the caller to drop.
    pub fn close_on_exec(&self) -> Vec<Arc<HostFd>> {
        let mut slots = self.slots.lock();
        let closed = slots
            .iter_mut()
            .filter(|s| s.as_ref().is_some_and(|s| s.cloexec))
            .filter_map(|s| s.take().map(|s| s.file))
            .collect();
        trim(&mut slots);
        closed
    }
}

/// The open slot at guest fd `fd`, if any.
fn slot(slots: &[Option<Slot>], fd: i32) -> Option<&Slot> {
    usize::try_from(fd)
        .ok()
        .and_then(|i| slots.get(i)?.as_ref())
}

/// Drops trailing empty slots so the table does not stay as long as its high-water mark.
fn trim(slots: &mut Vec<Option<Slot>>) {
    while matches!(slots.last(), Some(None)) {
        slots.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn devnull() -> Arc<HostFd> {
        Arc::new(HostFd::new(
            std::fs::File::open("/dev/null").unwrap().into(),
        ))
    }

    #[test]
    fn allocates_lowest_free() {
        let t = FdTable::new(8);
        assert_eq!(t.insert(devnull(), false, 0), Ok(0));
        assert_eq!(t.insert(devnull(), false, 0), Ok(1));
        assert_eq!(t.insert(devnull(), false, 0), Ok(2));
        t.remove(1).unwrap();
        assert_eq!(t.insert(devnull(), false, 0), Ok(1));
        assert_eq!(t.insert(devnull(), false, 5), Ok(5));
        assert_eq!(t.insert(devnull(), false, 0), Ok(3));
        assert_eq!(t.insert(devnull(), false, 8), Err(Errno::EINVAL));
        assert_eq!(t.remove(7).unwrap_err(), Errno::EBADF);
        assert_eq!(t.get(-1).unwrap_err(), Errno::EBADF);
    }

    #[test]
    fn runs_out_at_the_limit() {
        let t = FdTable::new(2);
        t.insert(devnull(), false, 0).unwrap();
        t.insert(devnull(), false, 0).unwrap();
        assert_eq!(t.insert(devnull(), false, 0), Err(EMFILE));
    }

    #[test]
    fn close_range_and_cloexec() {
        let t = FdTable::new(16);
        for _ in 0..6 {
            t.insert(devnull(), false, 0).unwrap();
        }
        t.set_cloexec(4, true).unwrap();
        assert_eq!(t.close_range(1, 2, false).len(), 2);
        assert!(t.get(1).is_err() && t.get(3).is_ok());
        assert!(t.close_range(3, u32::MAX, true).is_empty());
        assert_eq!(t.cloexec(5), Ok(true));
        assert_eq!(t.close_on_exec().len(), 3);
        assert_eq!(t.insert(devnull(), false, 0), Ok(1));
    }
}
