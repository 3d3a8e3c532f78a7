//! A host file as the page cache's backing store, and the count of the calls that change
//! host files behind the cache.

use super::fdtable::HostFd;
use mmu::pagecache::FileData;
use parking_lot::Mutex;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Counts the system calls that changed host files directly, bypassing the page cache
/// (O_DIRECT writes, ftruncate, fallocate, truncate, O_TRUNC opens, copies): a cached
/// file's kept size is stale once the count moved. Shared by the process's files.
#[derive(Clone, Debug, Default)]
pub(crate) struct HostChanges(Arc<AtomicU64>);

impl HostChanges {
    /// Records that a call changed a host file directly; call it after the change.
    pub(crate) fn record(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }

    /// How many direct changes there were so far.
    fn count(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// A host file as the page cache reads and writes it: its own descriptor, opened for
/// writing where the host allows, so write-back works whichever guest fd mapped it first.
///
/// Its size is kept, not asked of the host on every read and write: the page cache is
/// the only writer of a cached file's size except for the calls that change host files
/// directly, which the process counts in [`HostChanges`]; the kept size is asked of the
/// host again once that count moved, or once another host process changed the file
/// ([`FileData::changed_elsewhere`], which the page cache asks before each read(2) and
/// write(2)).
pub(crate) struct HostFile {
    fd: OwnedFd,
    /// Opened for both reading and writing, so writes may be cached.
    read_write: bool,
    /// The process's count of direct host-file changes.
    changes: HostChanges,
    /// The size, with the count of direct changes it was read at. Held across the host
    /// call that reads or sets the size, so a size read before a resize is never kept
    /// after it.
    size: Mutex<Option<(u64, u64)>>,
    /// The host file's size, modification and change times as last seen by
    /// [`FileData::changed_elsewhere`], or as faultline's own last change left them.
    seen: Mutex<Option<Stamp>>,
}

/// What tells that a file changed: its size, mtime and ctime (seconds, nanoseconds).
type Stamp = [i64; 5];

impl HostFile {
    /// Opens its own descriptor of the file `file` is open on.
    pub(crate) fn open(file: &HostFd, changes: HostChanges) -> io::Result<HostFile> {
        let path = std::ffi::CString::new(format!("/proc/self/fd/{}", file.raw()))
            .expect("no NUL in a path of digits");
        // SAFETY: a plain open of a valid C string; the result is checked.
        let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
        let fd = match fd {
            fd if fd >= 0 => fd,
            // SAFETY: F_DUPFD_CLOEXEC only reads `file`'s descriptor; the result is
            // checked. A read-only file is still cached (it cannot be dirtied).
            _ => unsafe { libc::fcntl(file.raw(), libc::F_DUPFD_CLOEXEC, 0) },
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: F_GETFL only reads the descriptor's status flags.
        let fl = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
        let read_write = fl >= 0 && fl & libc::O_ACCMODE == libc::O_RDWR;
        let file = HostFile {
            fd,
            read_write,
            changes,
            size: Mutex::new(None),
            seen: Mutex::new(None),
        };
        file.note_own_change();
        Ok(file)
    }
}

impl HostFile {
    /// The file's stamp now, `None` if the host cannot say.
    fn stamp(&self) -> Option<Stamp> {
        let st = stat(self.fd.as_raw_fd()).ok()?;
        Some([
            st.st_size,
            st.st_mtime,
            st.st_mtime_nsec,
            st.st_ctime,
            st.st_ctime_nsec,
        ])
    }

    /// After faultline itself changed the file: the stamp it left is the one later
    /// changes are told from.
    fn note_own_change(&self) {
        *self.seen.lock() = self.stamp();
    }
}

impl FileData for HostFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            // SAFETY: the destination is the unfilled tail of `buf`.
            let n = unsafe {
                libc::pread(
                    self.fd.as_raw_fd(),
                    buf[done..].as_mut_ptr().cast(),
                    buf.len() - done,
                    (offset + done as u64) as libc::off_t,
                )
            };
            match n {
                0 => break,
                n if n < 0 => return Err(io::Error::last_os_error()),
                n => done += n as usize,
            }
        }
        buf[done..].fill(0);
        Ok(done)
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut done = 0;
        while done < data.len() {
            // SAFETY: the source is the unwritten tail of `data`.
            let n = unsafe {
                libc::pwrite(
                    self.fd.as_raw_fd(),
                    data[done..].as_ptr().cast(),
                    data.len() - done,
                    (offset + done as u64) as libc::off_t,
                )
            };
            if n <= 0 {
                return Err(io::Error::last_os_error());
            }
            done += n as usize;
        }
        // The file is at least as long as the write; a kept size still current grows.
        let mut kept = self.size.lock();
        if let Some((seen, size)) = *kept {
            if seen == self.changes.count() {
                *kept = Some((seen, size.max(offset + data.len() as u64)));
            }
        }
        drop(kept);
        self.note_own_change();
        Ok(())
    }

    fn size(&self) -> io::Result<u64> {
        let mut kept = self.size.lock();
        let changes = self.changes.count();
        match *kept {
            Some((seen, size)) if seen == changes => Ok(size),
            _ => {
                let size = stat(self.fd.as_raw_fd())?.st_size as u64;
                *kept = Some((changes, size));
                Ok(size)
            }
        }
    }

    fn set_size(&self, size: u64) -> io::Result<()> {
        let len =
            libc::off_t::try_from(size).map_err(|_| io::Error::from_raw_os_error(libc::EFBIG))?;
        let mut kept = self.size.lock();
        let changes = self.changes.count();
        // SAFETY: ftruncate touches no memory.
        match unsafe { libc::ftruncate(self.fd.as_raw_fd(), len) } {
            0 => {
                *kept = Some((changes, size));
                self.note_own_change();
                Ok(())
            }
            _ => {
                *kept = None;
                Err(io::Error::last_os_error())
            }
        }
    }

    fn changed_elsewhere(&self) -> bool {
        let Some(now) = self.stamp() else {
            return false;
        };
        let changed = self.seen.lock().replace(now).is_some_and(|s| s != now);
        if changed {
            // The kept size is another process's to change now: ask the host again.
            *self.size.lock() = None;
        }
        changed
    }

    fn read_write(&self) -> bool {
        self.read_write
    }
}

/// The status of host fd `fd`.
pub(crate) fn stat(fd: i32) -> io::Result<libc::stat> {
    // SAFETY: libc::stat is plain data, for which all-zero bytes are a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes only into `st`.
    match unsafe { libc::fstat(fd, &mut st) } {
        0 => Ok(st),
        _ => Err(io::Error::last_os_error()),
    }
}
