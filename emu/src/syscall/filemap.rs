//! File mmap, buffered reads and writes, and the coherence of the other file system
//! calls with the page cache.
//!
//! mmap of a file descriptor maps the file's pages from the memory manager's page cache
//! (`mmu::pagecache`), reached by the host file's `(st_dev, st_ino)`; the host file is
//! the backing store behind the simulated storage device. Reads ([`read_cached`]) and
//! writes ([`write_cached`]) of regular files go through the same cache: a write leaves
//! its pages dirty (the file grows on the host at once, so its size is right for every
//! call), and they reach the host file when synced, reclaimed or by the flusher. Calls
//! that still use the host file directly (O_DIRECT and RWF_NOWAIT writes, sendfile,
//! copy_file_range, splice, ftruncate, fallocate, reads with RWF_* flags) are kept
//! coherent around the call: the file's dirty pages are written back before it, and the
//! cached pages it changed are reloaded after it (O_DIRECT's write-back and
//! invalidation).

use super::fdtable::HostFd;
use super::fs::Files;
use super::guest::WriteSource;
use super::nr;
use mmu::pagecache::{CachedFile, FileData, FileKey};
use mmu::{map, prot, AddressSpace, Errno, WritePos};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

/// A host file as the page cache reads and writes it: its own descriptor, opened for
/// writing where the host allows, so write-back works whichever guest fd mapped it first.
struct HostFile {
    fd: OwnedFd,
    /// Opened for both reading and writing, so writes may be cached.
    read_write: bool,
}

impl HostFile {
    fn open(file: &HostFd) -> io::Result<HostFile> {
        let path = std::ffi::CString::new(format!("/proc/self/fd/{}", file.raw()))
            .expect("no NUL in a path of digits");
        // SAFETY: a plain open of a valid C string; the result is checked.
        let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
        // SAFETY: as above; a read-only file is still cached (it cannot be dirtied).
        let fd = match fd {
            fd if fd >= 0 => fd,
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
        Ok(HostFile { fd, read_write })
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
        Ok(())
    }

    fn size(&self) -> io::Result<u64> {
        Ok(stat(self.fd.as_raw_fd())?.st_size as u64)
    }

    fn set_size(&self, size: u64) -> io::Result<()> {
        let size =
            libc::off_t::try_from(size).map_err(|_| io::Error::from_raw_os_error(libc::EFBIG))?;
        // SAFETY: ftruncate touches no memory.
        match unsafe { libc::ftruncate(self.fd.as_raw_fd(), size) } {
            0 => Ok(()),
            _ => Err(io::Error::last_os_error()),
        }
    }

    fn read_write(&self) -> bool {
        self.read_write
    }
}

fn stat(fd: i32) -> io::Result<libc::stat> {
    // SAFETY: fstat writes only into `st`.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        match libc::fstat(fd, &mut st) {
            0 => Ok(st),
            _ => Err(io::Error::last_os_error()),
        }
    }
}

/// (st_dev, st_ino) of a host fd: how mappings and system calls find the same file.
fn file_key(file: &HostFd) -> Option<FileKey> {
    key_of(file.raw())
}

/// The page-cache key of the host file open as `fd`.
fn key_of(fd: i32) -> Option<FileKey> {
    stat(fd).ok().map(|st| (st.st_dev, st.st_ino))
}

fn errno(e: io::Error) -> Errno {
    Errno(e.raw_os_error().unwrap_or(libc::EIO))
}

/// mmap(2) of `len` bytes of guest file `fd` at offset `off`.
#[allow(clippy::too_many_arguments)]
pub fn map(
    files: &Files,
    mm: &AddressSpace,
    addr: u64,
    len: u64,
    prot_bits: u32,
    flags: u32,
    fd: i32,
    off: u64,
) -> Result<i64, Errno> {
    let file = files.host_fd(fd)?;
    // SAFETY: F_GETFL only reads the descriptor's status flags.
    let fl = unsafe { libc::fcntl(file.raw(), libc::F_GETFL) };
    let acc = fl & libc::O_ACCMODE;
    let shared = flags & map::SHARED != 0;
    if acc == libc::O_WRONLY || (shared && prot_bits & prot::WRITE != 0 && acc != libc::O_RDWR) {
        return Err(Errno::EACCES);
    }
    let st = stat(file.raw()).map_err(errno)?;
    if is_dev_zero(&st) {
        // Linux gives such a mapping anonymous memory (shmem when shared).
        let anon = flags | map::ANONYMOUS;
        return mm.mmap(addr, len, prot_bits, anon).map(|a| a as i64);
    }
    if st.st_mode & libc::S_IFMT != libc::S_IFREG || on_pseudo_fs(&file) {
        return Err(Errno(libc::ENODEV));
    }
    let cached = cached_file(mm, &file, &st)?;
    mm.mmap_file(addr, len, prot_bits, flags, (cached, off))
        .map(|a| a as i64)
}

/// read(2) of regular file `file` at `offset` through `mm`'s page cache, registering
/// the file on first use.
/// `None` for a file of a pseudo file system (see [`on_pseudo_fs`]), read from the host.
pub fn read_cached(
    mm: &AddressSpace,
    file: &HostFd,
    offset: u64,
    buf: &mut [u8],
) -> Option<Result<usize, Errno>> {
    let st = match stat(file.raw()) {
        Ok(st) => st,
        Err(e) => return Some(Err(errno(e))),
    };
    let cached = match mm.page_cache().known((st.st_dev, st.st_ino)) {
        Some(c) => c,
        None if on_pseudo_fs(file) => return None,
        None => match cached_file(mm, file, &st) {
            Ok(c) => c,
            Err(e) => return Some(Err(e)),
        },
    };
    Some(mm.read_cached(&cached, offset, buf).map_err(errno))
}

/// RWF_* flags of pwritev2 that a cached write honours (the rest go to the host).
const RWF_CACHED: i32 = libc::RWF_HIPRI | libc::RWF_DSYNC | libc::RWF_SYNC | libc::RWF_APPEND;

/// The cached file a write to `file` with pwritev2 flags `rwf` goes through, registered
/// on first use; `None` if it goes to the host file directly: not a regular file, a
/// pseudo file, opened O_DIRECT (written back and invalidated around the call
/// instead) or not for writing, a flag such as RWF_NOWAIT, or a host file the cache
/// could not open for both reading and writing.
fn buffered_target(mm: &AddressSpace, file: &HostFd, rwf: i32) -> Option<Arc<CachedFile>> {
    if rwf & !RWF_CACHED != 0 || !file.is_regular() {
        return None;
    }
    // SAFETY: F_GETFL only reads the descriptor's status flags.
    let fl = unsafe { libc::fcntl(file.raw(), libc::F_GETFL) };
    if fl < 0 || fl & libc::O_ACCMODE == libc::O_RDONLY || fl & libc::O_DIRECT != 0 {
        return None;
    }
    let st = stat(file.raw()).ok()?;
    let cached = match mm.page_cache().known((st.st_dev, st.st_ino)) {
        Some(c) => c,
        None if on_pseudo_fs(file) => return None,
        None => cached_file(mm, file, &st).ok()?,
    };
    cached.caches_writes().then_some(cached)
}

/// write(2) family call to regular file `file` through `mm`'s page cache, of `len`
/// bytes that `fill(done, buf)` supplies: at `at`, or at the file position (advanced)
/// when `None`; at the end of the file for O_APPEND or RWF_APPEND (pwrite too, as on
/// Linux); written back before returning for O_SYNC, O_DSYNC, RWF_SYNC and RWF_DSYNC.
/// `None` where the write goes to the host file instead (see [`buffered_target`]).
pub fn write_cached(
    mm: &AddressSpace,
    file: &HostFd,
    at: Option<u64>,
    rwf: i32,
    len: usize,
    fill: WriteSource<'_>,
) -> Option<Result<usize, Errno>> {
    let cached = buffered_target(mm, file, rwf)?;
    // SAFETY: F_GETFL only reads the descriptor's status flags.
    let fl = unsafe { libc::fcntl(file.raw(), libc::F_GETFL) };
    let pos = if fl & libc::O_APPEND != 0 || rwf & libc::RWF_APPEND != 0 {
        WritePos::Append
    } else {
        match at {
            Some(offset) => WritePos::At(offset),
            // SAFETY: lseek touches no memory.
            None => match unsafe { libc::lseek(file.raw(), 0, libc::SEEK_CUR) } {
                cur if cur >= 0 => WritePos::At(cur as u64),
                _ => return Some(Err(Errno::last_os_error())),
            },
        }
    };
    Some((|| {
        let (start, n) = mm.write_cached(&cached, pos, len, fill).map_err(errno)?;
        if at.is_none() {
            // SAFETY: lseek touches no memory.
            if unsafe { libc::lseek(file.raw(), (start + n as u64) as i64, libc::SEEK_SET) } < 0 {
                return Err(Errno::last_os_error());
            }
        }
        if fl & libc::O_DSYNC != 0 || rwf & (libc::RWF_SYNC | libc::RWF_DSYNC) != 0 {
            mm.sync_file(&cached).map_err(errno)?;
        }
        Ok(n)
    })())
}

/// Whether write-family call `n` with arguments `a` goes to the host file directly, so
/// that the page cache must be kept coherent around it.
pub fn write_bypasses_cache(files: &Files, mm: &AddressSpace, n: u64, a: [u64; 6]) -> bool {
    let rwf = if n == nr::pwritev2 { a[5] as i32 } else { 0 };
    files
        .host_fd(a[0] as i32)
        .map_or(true, |f| buffered_target(mm, &f, rwf).is_none())
}

/// Whether guest fd `fd` was opened O_DIRECT while some file is cached: its reads go to
/// the host file, which must first have the file's dirty pages (as Linux writes them
/// back before a direct read).
pub fn is_direct(files: &Files, mm: &AddressSpace, fd: u64) -> bool {
    !mm.page_cache().is_empty()
        && files.host_fd(fd as i32).is_ok_and(|f| {
            // SAFETY: F_GETFL only reads the descriptor's status flags.
            let fl = unsafe { libc::fcntl(f.raw(), libc::F_GETFL) };
            fl >= 0 && fl & libc::O_DIRECT != 0
        })
}

/// Whether `st` is the status of /dev/zero (character device 1:5).
fn is_dev_zero(st: &libc::stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFCHR
        && libc::major(st.st_rdev) == 1
        && libc::minor(st.st_rdev) == 5
}

/// Whether `file` lives on a file system whose files are generated when read (procfs,
/// sysfs and their kin): their sizes say nothing of their contents, so they bypass the
/// page cache, as their pages are never cached on Linux either.
fn on_pseudo_fs(file: &HostFd) -> bool {
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
    // SAFETY: fstatfs writes only into `sfs`.
    let magic = unsafe {
        let mut sfs: libc::statfs = std::mem::zeroed();
        if libc::fstatfs(file.raw(), &mut sfs) != 0 {
            return true;
        }
        sfs.f_type as i64
    };
    PSEUDO.contains(&magic)
}

/// The page cache's entry for `file` (whose status is `st`), made on first use.
fn cached_file(
    mm: &AddressSpace,
    file: &HostFd,
    st: &libc::stat,
) -> Result<Arc<CachedFile>, Errno> {
    let cache = mm.page_cache();
    let key = (st.st_dev, st.st_ino);
    Ok(match cache.known(key) {
        Some(c) => c,
        None => cache.file(key, Arc::new(HostFile::open(file).map_err(errno)?)),
    })
}

/// The page cache's entry for `file`, which must be a regular file (EACCES otherwise, as
/// for Linux's open_exec): how the ELF loader maps an executable image.
pub(crate) fn cached_regular_file(
    mm: &AddressSpace,
    file: &HostFd,
) -> Result<Arc<CachedFile>, Errno> {
    let st = stat(file.raw()).map_err(errno)?;
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Err(Errno::EACCES);
    }
    cached_file(mm, file, &st)
}

/// Writes back every dirty page-cache page (sync, syncfs, msync, munmap, process exit).
pub fn sync_all(mm: &AddressSpace) -> Result<(), Errno> {
    mm.sync_files().map_err(errno)
}

/// Before a file system call on guest fd `fd`: writes back the cached file's dirty
/// pages, so the call sees them. Returns the cached file, if the fd's file is cached.
pub fn before_file_call(files: &Files, mm: &AddressSpace, fd: u64) -> Option<Arc<CachedFile>> {
    if mm.page_cache().is_empty() {
        return None;
    }
    written_back(mm, file_key(&*files.host_fd(fd as i32).ok()?)?)
}

/// The cached file known as `key`, if any, with its dirty pages written back.
fn written_back(mm: &AddressSpace, key: FileKey) -> Option<Arc<CachedFile>> {
    let file = mm.page_cache().known(key)?;
    if let Err(e) = mm.sync_file(&file) {
        eprintln!("faultline: writing back cached pages of a file failed: {e}");
    }
    Some(file)
}

/// Before truncate(2) of the guest path at `path`: like [`before_file_call`] for the
/// file that path names.
pub fn before_path_truncate(
    files: &Files,
    mm: &AddressSpace,
    path: u64,
) -> Option<Arc<CachedFile>> {
    if mm.page_cache().is_empty() {
        return None;
    }
    let obj = files.open_path(mm, path)?;
    written_back(mm, key_of(obj.as_raw_fd())?)
}

/// After open(2) with O_TRUNC returned guest fd `fd`: the file is empty now, so its
/// cached pages go (and their shared mappings, as after any truncate).
pub fn after_truncating_open(files: &Files, mm: &AddressSpace, fd: u64) {
    let cache = mm.page_cache();
    if cache.is_empty() {
        return;
    }
    let cached = files
        .host_fd(fd as i32)
        .ok()
        .and_then(|f| file_key(&f))
        .and_then(|key| cache.known(key));
    if let Some(file) = cached {
        mm.truncate_cached(&file);
    }
}

/// The bytes `(offset, len)` a successful write-family call `n` with arguments `a`
/// that returned `r` changed, where that is known (write, pwrite64); the whole file
/// otherwise.
pub fn written_range(files: &Files, n: u64, a: [u64; 6], r: u64) -> (u64, u64) {
    let whole = (0, u64::MAX);
    match n {
        nr::pwrite64 => (a[3], r),
        nr::write => {
            let Ok(file) = files.host_fd(a[0] as i32) else {
                return whole;
            };
            // SAFETY: lseek touches no memory.
            let end = unsafe { libc::lseek(file.raw(), 0, libc::SEEK_CUR) };
            match u64::try_from(end) {
                Ok(end) if end >= r => (end - r, r),
                _ => whole,
            }
        }
        _ => whole,
    }
}

/// After a call changed `(offset, len)` of `file`: drops cached pages past its end if it
/// shrank, and reloads those it touched from the host.
pub fn after_file_write(mm: &AddressSpace, file: &Arc<CachedFile>, (offset, len): (u64, u64)) {
    mm.truncate_cached(file);
    mm.page_cache().refresh(file, offset, len);
}
