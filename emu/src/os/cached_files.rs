//! File mmap, buffered reads and writes, and the coherence of the other file system
//! calls with the page cache.
//!
//! mmap of a file descriptor maps the file's pages from the memory manager's page cache
//! (`mmu::pagecache`), reached by the host file's `(st_dev, st_ino)`; the host file is
//! the backing store behind the simulated storage device. Reads ([`read_cached`]) and
//! writes ([`write_cached`]) of regular files go through the same cache: a write puts
//! its bytes into the host file at once (so a reader of the file, or a `kill -9` of the
//! emulator, sees every byte written) and leaves its pages dirty as the model's state,
//! written back (timed and counted) when synced, reclaimed or by the flusher. Stores
//! through a shared mapping reach the host file at those write-backs. Calls
//! that still use the host file directly (O_DIRECT and RWF_NOWAIT writes, sendfile,
//! copy_file_range, splice, ftruncate, fallocate, reads with RWF_* flags) are kept
//! coherent around the call: the file's dirty pages are written back before it, and the
//! cached pages it changed are reloaded after it (O_DIRECT's write-back and
//! invalidation).

use super::fdtable::HostFd;
use super::files::Files;
use super::guest_memory::{GuestMemory, WriteSource};
use super::host_file::{stat, HostFile};
use crate::abi::nr;
use devices::cast::low_i32;
use mmu::pagecache::{CachedFile, FileKey};
use mmu::{map, prot, AddressSpace, Errno, WritePos};
use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;

/// The identity of `file`, as it was when it was opened; the host's error if it could
/// not be read then.
fn identity(file: &HostFd) -> Result<FileKey, Errno> {
    match file.key() {
        Some(key) => Ok(key),
        None => Err(stat(file.raw()).map_or_else(errno, |_| Errno::EBADF)),
    }
}

fn errno(e: io::Error) -> Errno {
    Errno(e.raw_os_error().unwrap_or(libc::EIO))
}

/// An mmap(2) of a guest file: its arguments.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FileMapping {
    /// The address asked for (a hint without MAP_FIXED).
    pub(crate) addr: u64,
    /// The length in bytes.
    pub(crate) len: u64,
    /// PROT_* bits.
    pub(crate) prot: u32,
    /// MAP_* flags.
    pub(crate) flags: u32,
    /// The guest fd.
    pub(crate) fd: i32,
    /// The offset in the file.
    pub(crate) offset: u64,
}

/// mmap(2) of the guest file `m.fd`.
pub(crate) fn map(files: &Files, mm: &AddressSpace, m: FileMapping) -> Result<i64, Errno> {
    let FileMapping {
        addr,
        len,
        prot: prot_bits,
        flags,
        fd,
        offset: off,
    } = m;
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
    if st.st_mode & libc::S_IFMT != libc::S_IFREG || file.on_pseudo_fs() {
        return Err(Errno(libc::ENODEV));
    }
    let cached = cached_file(files, mm, &file, (st.st_dev, st.st_ino))?;
    mm.mmap_file(addr, len, prot_bits, flags, (cached, off))
        .map(|a| a as i64)
}

/// read(2) of regular file `file` at `offset` through `mm`'s page cache, registering
/// the file on first use. `None` for a file of a pseudo file system (see
/// [`HostFd::on_pseudo_fs`]), read from the host.
fn read_cached(
    files: &Files,
    mm: &AddressSpace,
    file: &HostFd,
    offset: u64,
    buf: &mut [u8],
) -> Option<Result<usize, Errno>> {
    let key = match identity(file) {
        Ok(key) => key,
        Err(e) => return Some(Err(e)),
    };
    let cached = match mm.page_cache().known(key) {
        Some(c) => c,
        None if file.on_pseudo_fs() => return None,
        None => match cached_file(files, mm, file, key) {
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
/// could not open for both reading and writing. With it, the fd's status flags.
fn buffered_target(
    files: &Files,
    mm: &AddressSpace,
    file: &HostFd,
    rwf: i32,
) -> Option<(Arc<CachedFile>, i32)> {
    if rwf & !RWF_CACHED != 0 || !file.is_regular() {
        return None;
    }
    // SAFETY: F_GETFL only reads the descriptor's status flags.
    let fl = unsafe { libc::fcntl(file.raw(), libc::F_GETFL) };
    if fl < 0 || fl & libc::O_ACCMODE == libc::O_RDONLY || fl & libc::O_DIRECT != 0 {
        return None;
    }
    let key = file.key()?;
    let cached = match mm.page_cache().known(key) {
        Some(c) => c,
        None if file.on_pseudo_fs() => return None,
        None => cached_file(files, mm, file, key).ok()?,
    };
    cached.caches_writes().then_some((cached, fl))
}

/// write(2) family call to regular file `file` through `mm`'s page cache, of `len`
/// bytes that `fill(done, buf)` supplies: at `at`, or at the file position (advanced)
/// when `None`; at the end of the file for O_APPEND or RWF_APPEND (pwrite too, as on
/// Linux); written back before returning for O_SYNC, O_DSYNC, RWF_SYNC and RWF_DSYNC.
/// `None` where the write goes to the host file instead (see [`buffered_target`]).
fn write_cached(
    mem: &ProcessMemory<'_>,
    file: &HostFd,
    at: Option<u64>,
    rwf: i32,
    len: usize,
    fill: WriteSource<'_>,
) -> Option<Result<usize, Errno>> {
    let mm = mem.mm;
    let (cached, fl) = buffered_target(mem.files, mm, file, rwf)?;
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
pub(crate) fn write_bypasses_cache(files: &Files, mm: &AddressSpace, n: u64, a: [u64; 6]) -> bool {
    let rwf = if n == nr::pwritev2 { low_i32(a[5]) } else { 0 };
    files
        .host_fd(low_i32(a[0]))
        .map_or(true, |f| buffered_target(files, mm, &f, rwf).is_none())
}

/// Whether guest fd `fd` was opened O_DIRECT while some file is cached: its reads go to
/// the host file, which must first have the file's dirty pages (as Linux writes them
/// back before a direct read).
pub(crate) fn is_direct(files: &Files, mm: &AddressSpace, fd: u64) -> bool {
    !mm.page_cache().is_empty()
        && files.host_fd(low_i32(fd)).is_ok_and(|f| {
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

/// The page cache's entry for `file` (whose identity is `key`), made on first use.
fn cached_file(
    files: &Files,
    mm: &AddressSpace,
    file: &HostFd,
    key: FileKey,
) -> Result<Arc<CachedFile>, Errno> {
    let cache = mm.page_cache();
    Ok(match cache.known(key) {
        Some(c) => c,
        None => {
            let host = HostFile::open(file, files.host_changes.clone()).map_err(errno)?;
            cache.file(key, Arc::new(host))
        }
    })
}

/// The page cache's entry for `file`, which must be a regular file (EACCES otherwise, as
/// for Linux's open_exec): how the ELF loader maps an executable image.
pub(crate) fn cached_regular_file(
    files: &Files,
    mm: &AddressSpace,
    file: &HostFd,
) -> Result<Arc<CachedFile>, Errno> {
    let key = identity(file)?;
    if !file.is_regular() {
        return Err(Errno::EACCES);
    }
    cached_file(files, mm, file, key)
}

/// Writes back every dirty page-cache page (sync, syncfs, process exit; msync and munmap
/// write back only their range through `AddressSpace::sync_range`).
pub(crate) fn sync_all(mm: &AddressSpace) -> Result<(), Errno> {
    mm.sync_files().map_err(errno)
}

/// Before a file system call on guest fd `fd`: writes back the cached file's dirty
/// pages, so the call sees them. Returns the cached file, if the fd's file is cached.
pub(crate) fn before_file_call(
    files: &Files,
    mm: &AddressSpace,
    fd: u64,
) -> Option<Arc<CachedFile>> {
    if mm.page_cache().is_empty() {
        return None;
    }
    written_back(mm, files.host_fd(low_i32(fd)).ok()?.key()?)
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
pub(crate) fn before_path_truncate(
    files: &Files,
    mm: &AddressSpace,
    path: u64,
) -> Option<Arc<CachedFile>> {
    if mm.page_cache().is_empty() {
        return None;
    }
    let obj = files.open_path(&ProcessMemory { mm, files }, path)?;
    let st = stat(obj.as_raw_fd()).ok()?;
    written_back(mm, (st.st_dev, st.st_ino))
}

/// After open(2) with O_TRUNC returned guest fd `fd`: the file is empty now, so its
/// cached pages go (and their shared mappings, as after any truncate).
pub(crate) fn after_truncating_open(files: &Files, mm: &AddressSpace, fd: u64) {
    let cache = mm.page_cache();
    if cache.is_empty() {
        return;
    }
    let cached = files
        .host_fd(low_i32(fd))
        .ok()
        .and_then(|f| f.key())
        .and_then(|key| cache.known(key));
    if let Some(file) = cached {
        mm.truncate_cached(&file);
    }
}

/// The bytes `(offset, len)` a successful write-family call `n` with arguments `a`
/// that returned `r` changed, where that is known (write, pwrite64); the whole file
/// otherwise.
pub(crate) fn written_range(files: &Files, n: u64, a: [u64; 6], r: u64) -> (u64, u64) {
    let whole = (0, u64::MAX);
    match n {
        nr::pwrite64 => (a[3], r),
        nr::write => {
            let Ok(file) = files.host_fd(low_i32(a[0])) else {
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
pub(crate) fn after_file_write(
    mm: &AddressSpace,
    file: &Arc<CachedFile>,
    (offset, len): (u64, u64),
) {
    mm.truncate_cached(file);
    mm.page_cache().refresh(file, offset, len);
}

/// The guest memory of a process as its file system calls see it: the address space,
/// with the process's regular files read and written through its page cache.
#[derive(Clone, Copy)]
pub(crate) struct ProcessMemory<'a> {
    /// The address space.
    pub mm: &'a AddressSpace,
    /// The process's files, whose host files back the cache.
    pub files: &'a Files,
}

impl GuestMemory for ProcessMemory<'_> {
    fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        self.mm.read_bytes(addr, buf)
    }

    fn write_bytes(&self, addr: u64, data: &[u8]) -> Result<(), Errno> {
        self.mm.write_bytes(addr, data)
    }

    fn read_cstring(&self, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
        self.mm.read_cstring(addr, max)
    }

    fn read_file(
        &self,
        file: &HostFd,
        offset: u64,
        buf: &mut [u8],
    ) -> Option<Result<usize, Errno>> {
        read_cached(self.files, self.mm, file, offset, buf)
    }

    fn write_file(
        &self,
        file: &HostFd,
        at: Option<u64>,
        rwf: i32,
        len: usize,
        fill: WriteSource<'_>,
    ) -> Option<Result<usize, Errno>> {
        write_cached(self, file, at, rwf, len, fill)
    }
}
