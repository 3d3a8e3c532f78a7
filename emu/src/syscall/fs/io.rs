//! Data transfer on open files: read and write families, seeking, directory reading,
//! in-kernel copies, and flushing.
//!
//! Guest buffers are reached only through [`GuestMemory`], so data passes through a bounded
//! bounce buffer. A transfer that fits the buffer is one host call (keeping pipe writes up
//! to PIPE_BUF atomic); a longer one continues chunk by chunk only where another host call
//! cannot block after partial progress: regular files for reads, blocking writes otherwise.

use devices::cast::{low_i32, low_u32, u64_to_usize};
use mmu::Errno;

use super::{byte_count, host, Files, SysResult};
use crate::os::fdtable::HostFd;
use crate::os::guest_memory::{GuestMemory, GuestMemoryExt};

/// Size of the bounce buffer one host call moves at most.
const BOUNCE: usize = 256 * 1024;

/// Linux's cap on one read or write (MAX_RW_COUNT).
const MAX_RW_COUNT: usize = 0x7fff_f000;

/// Linux's cap on the number of iovecs (UIO_MAXIOV).
const UIO_MAXIOV: u64 = 1024;

/// Size of the bounce buffer for getdents64.
const DIRENT_BOUNCE: usize = 64 * 1024;

/// One guest buffer of a vectored transfer.
#[derive(Clone, Copy)]
struct Iov {
    addr: u64,
    len: usize,
}

/// Where in the file a transfer happens.
#[derive(Clone, Copy)]
enum Pos {
    /// At the file position, advancing it (read/write).
    Current,
    /// At this offset, leaving the file position alone (pread/pwrite).
    At(i64),
    /// preadv2/pwritev2: at this offset (-1: the file position) with RWF_* flags.
    V2(i64, i32),
}

impl Files {
    pub(super) fn read(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let iov = [Iov {
            addr: a[1],
            len: u64_to_usize(a[2]),
        }];
        let file = self.file(a[0])?;
        read_to(mem, &file, &iov, Pos::Current)
    }

    pub(super) fn write(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let iov = [Iov {
            addr: a[1],
            len: u64_to_usize(a[2]),
        }];
        let file = self.file(a[0])?;
        write_from(mem, &file, &iov, Pos::Current)
    }

    pub(super) fn pread64(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let iov = [Iov {
            addr: a[1],
            len: u64_to_usize(a[2]),
        }];
        let file = self.file(a[0])?;
        read_to(mem, &file, &iov, Pos::At(a[3] as i64))
    }

    pub(super) fn pwrite64(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let iov = [Iov {
            addr: a[1],
            len: u64_to_usize(a[2]),
        }];
        let file = self.file(a[0])?;
        write_from(mem, &file, &iov, Pos::At(a[3] as i64))
    }

    pub(super) fn readv(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        read_to(mem, &file, &iovecs(mem, a[1], a[2])?, Pos::Current)
    }

    pub(super) fn writev(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        write_from(mem, &file, &iovecs(mem, a[1], a[2])?, Pos::Current)
    }

    /// preadv(fd, iov, iovcnt, pos_l, pos_h): on 64-bit the offset is all in pos_l.
    pub(super) fn preadv(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        read_to(mem, &file, &iovecs(mem, a[1], a[2])?, Pos::At(a[3] as i64))
    }

    pub(super) fn pwritev(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        write_from(mem, &file, &iovecs(mem, a[1], a[2])?, Pos::At(a[3] as i64))
    }

    /// preadv2(fd, iov, iovcnt, pos_l, pos_h, flags).
    pub(super) fn preadv2(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        let pos = Pos::V2(a[3] as i64, low_i32(a[5]));
        read_to(mem, &file, &iovecs(mem, a[1], a[2])?, pos)
    }

    pub(super) fn pwritev2(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        let pos = Pos::V2(a[3] as i64, low_i32(a[5]));
        write_from(mem, &file, &iovecs(mem, a[1], a[2])?, pos)
    }

    pub(super) fn lseek(&self, _: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        // SAFETY: lseek touches no memory.
        host(unsafe { libc::lseek(file.raw(), a[1] as i64, low_i32(a[2])) })
    }

    /// getdents64(fd, dirp, count): `struct linux_dirent64` is the same everywhere.
    pub(super) fn getdents64(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        let mut buf = vec![0u8; (low_u32(a[2]) as usize).min(DIRENT_BOUNCE)];
        // SAFETY: the host writes at most `buf.len()` bytes into `buf`.
        let n = host(unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                file.raw(),
                buf.as_mut_ptr(),
                buf.len(),
            )
        })?;
        mem.write_bytes(a[1], &buf[..byte_count(n)])?;
        Ok(n)
    }

    /// sendfile(out_fd, in_fd, offset*, count).
    pub(super) fn sendfile(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let (out, inp) = (self.file(a[0])?, self.file(a[1])?);
        let count = u64_to_usize(a[3]).min(MAX_RW_COUNT);
        let Some(off_addr) = nonnull(a[2]) else {
            // SAFETY: a null offset pointer is allowed.
            let n = unsafe { libc::sendfile(out.raw(), inp.raw(), std::ptr::null_mut(), count) };
            return host(n as i64);
        };
        let mut off = mem.read_u64(off_addr)? as i64;
        // SAFETY: `off` is a valid offset the host may update.
        let n = host(unsafe { libc::sendfile(out.raw(), inp.raw(), &mut off, count) } as i64)?;
        mem.write_u64(off_addr, off as u64)?;
        Ok(n)
    }

    /// copy_file_range(fd_in, off_in*, fd_out, off_out*, len, flags).
    pub(super) fn copy_file_range(&self, mem: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let (inp, out) = (self.file(a[0])?, self.file(a[2])?);
        let mut off_in = nonnull(a[1]).map(|p| mem.read_u64(p)).transpose()?;
        let mut off_out = nonnull(a[3]).map(|p| mem.read_u64(p)).transpose()?;
        let ptr = |o: &mut Option<u64>| o.as_mut().map_or(std::ptr::null_mut(), |v| v as *mut u64);
        // SAFETY: the offset pointers are null or point at live locals.
        let n = host(unsafe {
            libc::syscall(
                libc::SYS_copy_file_range,
                inp.raw(),
                ptr(&mut off_in),
                out.raw(),
                ptr(&mut off_out),
                u64_to_usize(a[4]),
                low_u32(a[5]),
            )
        })?;
        if let (Some(p), Some(v)) = (nonnull(a[1]), off_in) {
            mem.write_u64(p, v)?;
        }
        if let (Some(p), Some(v)) = (nonnull(a[3]), off_out) {
            mem.write_u64(p, v)?;
        }
        Ok(n)
    }

    pub(super) fn ftruncate(&self, _: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        // SAFETY: ftruncate touches no memory.
        host(unsafe { libc::ftruncate(file.raw(), a[1] as i64) }.into())
    }

    /// fallocate(fd, mode, offset, len).
    pub(super) fn fallocate(&self, _: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        // SAFETY: fallocate touches no memory.
        host(unsafe { libc::fallocate(file.raw(), low_i32(a[1]), a[2] as i64, a[3] as i64) }.into())
    }

    pub(super) fn fsync(&self, _: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        // SAFETY: fsync touches no memory.
        host(unsafe { libc::fsync(file.raw()) }.into())
    }

    pub(super) fn fdatasync(&self, _: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        // SAFETY: fdatasync touches no memory.
        host(unsafe { libc::fdatasync(file.raw()) }.into())
    }

    /// sync_file_range(fd, offset, nbytes, flags): the file's dirty cached pages were
    /// written back before the call (all of them, which any flags allow).
    pub(super) fn sync_file_range(&self, _: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        // SAFETY: sync_file_range touches no memory.
        host(
            unsafe { libc::sync_file_range(file.raw(), a[1] as i64, a[2] as i64, low_u32(a[3])) }
                .into(),
        )
    }

    pub(super) fn sync(&self, _: &dyn GuestMemory, _: [u64; 6]) -> SysResult {
        // SAFETY: sync takes no arguments.
        unsafe { libc::sync() };
        Ok(0)
    }

    pub(super) fn syncfs(&self, _: &dyn GuestMemory, a: [u64; 6]) -> SysResult {
        let file = self.file(a[0])?;
        // SAFETY: syncfs touches no memory.
        host(unsafe { libc::syncfs(file.raw()) }.into())
    }
}

/// `addr` unless it is the null pointer.
fn nonnull(addr: u64) -> Option<u64> {
    (addr != 0).then_some(addr)
}

/// Reads the guest's iovec array (`cnt` entries of {base u64, len u64} at `addr`).
fn iovecs(mem: &dyn GuestMemory, addr: u64, cnt: u64) -> Result<Vec<Iov>, Errno> {
    if cnt > UIO_MAXIOV {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; u64_to_usize(cnt) * 16];
    mem.read_bytes(addr, &mut raw)?;
    let mut total: u64 = 0;
    let iov = raw
        .chunks_exact(16)
        .map(|c| {
            let base = u64::from_le_bytes(c[..8].try_into().expect("8 bytes"));
            let len = u64::from_le_bytes(c[8..].try_into().expect("8 bytes"));
            // Linux rejects lengths that overflow ssize_t, alone or summed.
            total = total
                .checked_add(len)
                .filter(|&t| t <= isize::MAX as u64)
                .ok_or(Errno::EINVAL)?;
            Ok(Iov {
                addr: base,
                len: u64_to_usize(len),
            })
        })
        .collect::<Result<Vec<_>, Errno>>()?;
    Ok(iov)
}

/// Total bytes of `iov`, capped at Linux's per-call limit.
fn total_len(iov: &[Iov]) -> usize {
    iov.iter().map(|v| v.len).sum::<usize>().min(MAX_RW_COUNT)
}

/// Copies `data` into the guest buffers `iov`, starting `start` bytes into them.
fn scatter(mem: &dyn GuestMemory, iov: &[Iov], start: usize, mut data: &[u8]) -> Result<(), Errno> {
    let mut skip = start;
    for v in iov {
        if data.is_empty() {
            break;
        }
        if skip >= v.len {
            skip -= v.len;
            continue;
        }
        let n = (v.len - skip).min(data.len());
        mem.write_bytes(v.addr + skip as u64, &data[..n])?;
        data = &data[n..];
        skip = 0;
    }
    Ok(())
}

/// Fills `buf` from the guest buffers `iov`, starting `start` bytes into them.
fn gather(
    mem: &dyn GuestMemory,
    iov: &[Iov],
    start: usize,
    mut buf: &mut [u8],
) -> Result<(), Errno> {
    let mut skip = start;
    for v in iov {
        if buf.is_empty() {
            break;
        }
        if skip >= v.len {
            skip -= v.len;
            continue;
        }
        let n = (v.len - skip).min(buf.len());
        let (head, rest) = buf.split_at_mut(n);
        mem.read_bytes(v.addr + skip as u64, head)?;
        buf = rest;
        skip = 0;
    }
    Ok(())
}

/// The offset `done` bytes into a transfer at `pos`.
fn offset(pos: Pos, done: usize) -> Pos {
    match pos {
        Pos::Current => Pos::Current,
        Pos::At(o) => Pos::At(o.saturating_add(done as i64)),
        Pos::V2(-1, f) => Pos::V2(-1, f),
        Pos::V2(o, f) => Pos::V2(o.saturating_add(done as i64), f),
    }
}

/// A read of `buf.len()` bytes at `pos`: through the page cache for a regular file open
/// for reading (plain reads, no RWF_* flags), from the host otherwise.
fn file_read(mem: &dyn GuestMemory, file: &HostFd, buf: &mut [u8], pos: Pos) -> SysResult {
    let at = match pos {
        Pos::Current | Pos::V2(-1, 0) => None,
        Pos::At(o) | Pos::V2(o, 0) if o >= 0 => Some(o),
        _ => return host_read(file, buf, pos),
    };
    // SAFETY: F_GETFL only reads the descriptor's status flags.
    let fl = unsafe { libc::fcntl(file.raw(), libc::F_GETFL) };
    if !file.is_regular()
        || fl < 0
        || fl & libc::O_ACCMODE == libc::O_WRONLY
        || fl & libc::O_DIRECT != 0
    {
        return host_read(file, buf, pos);
    }
    // SAFETY: lseek touches no memory.
    let start = at.map_or_else(
        || host(unsafe { libc::lseek(file.raw(), 0, libc::SEEK_CUR) }),
        Ok,
    )?;
    let Some(read) = mem.read_file(file, start as u64, buf) else {
        return host_read(file, buf, pos);
    };
    let n = read?;
    if at.is_none() {
        // SAFETY: as above.
        host(unsafe { libc::lseek(file.raw(), start + n as i64, libc::SEEK_SET) })?;
    }
    Ok(n as i64)
}

/// Host read of `buf.len()` bytes at `pos`.
fn host_read(file: &HostFd, buf: &mut [u8], pos: Pos) -> SysResult {
    let (fd, p, len) = (file.raw(), buf.as_mut_ptr().cast(), buf.len());
    let n = match pos {
        // SAFETY: the host writes at most `len` bytes into `buf`.
        Pos::Current => unsafe { libc::read(fd, p, len) },
        // SAFETY: as above.
        Pos::At(off) => unsafe { libc::pread(fd, p, len, off) },
        Pos::V2(off, flags) => {
            let v = libc::iovec {
                iov_base: p,
                iov_len: len,
            };
            // SAFETY: as above, through the one iovec that describes `buf`.
            unsafe { libc::preadv2(fd, &v, 1, off, flags) }
        }
    };
    host(n as i64)
}

/// Host write of `buf` at `pos`.
fn host_write(file: &HostFd, buf: &[u8], pos: Pos) -> SysResult {
    let (fd, p, len) = (file.raw(), buf.as_ptr().cast(), buf.len());
    let n = match pos {
        // SAFETY: the host reads at most `len` bytes from `buf`.
        Pos::Current => unsafe { libc::write(fd, p, len) },
        // SAFETY: as above.
        Pos::At(off) => unsafe { libc::pwrite(fd, p, len, off) },
        Pos::V2(off, flags) => {
            let v = libc::iovec {
                iov_base: p as *mut libc::c_void,
                iov_len: len,
            };
            // SAFETY: as above, through the one iovec that describes `buf`.
            unsafe { libc::pwritev2(fd, &v, 1, off, flags) }
        }
    };
    host(n as i64)
}

/// Reads from `file` at `pos` into the guest buffers `iov`. Like Linux, an error after
/// some bytes arrived reports the bytes instead.
fn read_to(mem: &dyn GuestMemory, file: &HostFd, iov: &[Iov], pos: Pos) -> SysResult {
    let total = total_len(iov);
    let mut buf = vec![0u8; total.min(BOUNCE)];
    let mut done = 0;
    loop {
        let want = (total - done).min(buf.len());
        let step = file_read(mem, file, &mut buf[..want], offset(pos, done)).and_then(|n| {
            scatter(mem, iov, done, &buf[..byte_count(n)])?;
            Ok(byte_count(n))
        });
        let n = match step {
            Ok(n) => n,
            Err(_) if done > 0 => return Ok(done as i64),
            Err(e) => return Err(e),
        };
        done += n;
        // Only a regular file can be asked again without risking a block on data that a
        // single Linux read would not have waited for.
        if n < want || done == total || !file.is_regular() {
            return Ok(done as i64);
        }
    }
}

/// A write of the guest buffers `iov` (`total` bytes) at `pos` through the page cache,
/// in one piece, where it can go there (see `filemap::write_cached`); `None` otherwise.
fn cached_write(
    mem: &dyn GuestMemory,
    file: &HostFd,
    iov: &[Iov],
    total: usize,
    pos: Pos,
) -> Option<SysResult> {
    let (at, rwf) = match pos {
        Pos::Current => (None, 0),
        Pos::V2(-1, flags) => (None, flags),
        Pos::At(o) if o >= 0 => (Some(o as u64), 0),
        Pos::V2(o, flags) if o >= 0 => (Some(o as u64), flags),
        _ => return None,
    };
    let mut fill = |done: usize, buf: &mut [u8]| gather(mem, iov, done, buf);
    let written = mem.write_file(file, at, rwf, total, &mut fill)?;
    Some(written.map(|n| n as i64))
}

/// Writes the guest buffers `iov` to `file` at `pos`. Like Linux, an error after some
/// bytes went out reports the bytes instead.
fn write_from(mem: &dyn GuestMemory, file: &HostFd, iov: &[Iov], pos: Pos) -> SysResult {
    let total = total_len(iov);
    if let Some(written) = cached_write(mem, file, iov, total, pos) {
        return written;
    }
    let mut buf = vec![0u8; total.min(BOUNCE)];
    let mut done = 0;
    loop {
        let want = (total - done).min(buf.len());
        let step = gather(mem, iov, done, &mut buf[..want])
            .and_then(|()| host_write(file, &buf[..want], offset(pos, done)));
        let n = match step {
            Ok(n) => byte_count(n),
            Err(_) if done > 0 => return Ok(done as i64),
            Err(e) => return Err(e),
        };
        done += n;
        if n < want || done == total {
            return Ok(done as i64);
        }
    }
}
