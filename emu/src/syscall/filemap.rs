//! File-backed mmap until the page cache exists.
//!
//! A mapping is filled with a copy of the file's bytes. For MAP_SHARED, faultline keeps a
//! snapshot of what it copied and writes back every page the guest changed at msync,
//! munmap, a MAP_FIXED replacement, mremap and process exit. Only changed pages are
//! written, so a page the guest never stored to cannot clobber the file with stale bytes.
//! The file system calls of this process stay coherent with the mappings: before one
//! touches a mapped file, the guest's changes are written back; after one writes it, the
//! mappings are refreshed from the file. The gap to Linux: two shared mappings of one
//! file are separate copies, and a store racing a write(2) of the same page from another
//! thread may be overwritten by the refresh (the page cache will make them one).

use super::fdtable::HostFd;
use super::fs::Files;
use mmu::{map, prot, AddressSpace, Errno, PAGE_SIZE};
use parking_lot::Mutex;
use std::sync::Arc;

/// One live MAP_SHARED file mapping.
struct SharedMap {
    base: u64,
    /// (st_dev, st_ino) of the file.
    key: (u64, u64),
    file: Arc<HostFd>,
    offset: u64,
    /// The bytes as last synchronised with the file (the file-backed part only).
    snapshot: Vec<u8>,
}

/// The process's MAP_SHARED file mappings.
#[derive(Default)]
pub struct SharedFileMaps {
    maps: Mutex<Vec<SharedMap>>,
}

fn overlaps(m: &SharedMap, addr: u64, len: u64) -> bool {
    m.base < addr.saturating_add(len) && addr < m.base + m.snapshot.len() as u64
}

/// (st_dev, st_ino) of a host fd: how mappings and system calls find the same file.
fn file_key(file: &HostFd) -> Option<(u64, u64)> {
    // SAFETY: fstat writes only into `st`.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        (libc::fstat(file.raw(), &mut st) == 0).then_some((st.st_dev, st.st_ino))
    }
}

fn pread_full(file: &HostFd, buf: &mut [u8], offset: u64) -> Result<usize, Errno> {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: the destination is the unfilled tail of `buf`.
        let n = unsafe {
            libc::pread(
                file.raw(),
                buf[done..].as_mut_ptr().cast(),
                buf.len() - done,
                (offset + done as u64) as libc::off_t,
            )
        };
        match n {
            0 => break,
            n if n < 0 => return Err(Errno::last_os_error()),
            n => done += n as usize,
        }
    }
    Ok(done)
}

fn pwrite_full(file: &HostFd, buf: &[u8], offset: u64) -> Result<(), Errno> {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: the source is the unwritten tail of `buf`.
        let n = unsafe {
            libc::pwrite(
                file.raw(),
                buf[done..].as_ptr().cast(),
                buf.len() - done,
                (offset + done as u64) as libc::off_t,
            )
        };
        if n <= 0 {
            return Err(Errno::last_os_error());
        }
        done += n as usize;
    }
    Ok(())
}

/// Writes the guest's changes to pages of `m` inside [addr, addr+len) back to the file.
fn write_back(mm: &AddressSpace, m: &mut SharedMap, addr: u64, len: u64) -> Result<(), Errno> {
    let first = addr.saturating_sub(m.base) / PAGE_SIZE * PAGE_SIZE;
    let end = (addr.saturating_add(len) - m.base).min(m.snapshot.len() as u64);
    let mut page = vec![0u8; PAGE_SIZE as usize];
    let mut at = first;
    while at < end {
        let n = (m.snapshot.len() as u64 - at).min(PAGE_SIZE) as usize;
        let seen = &mut m.snapshot[at as usize..at as usize + n];
        // A page unmapped or protected since is skipped: its content is not the guest's
        // to write any more (it was written back when it was unmapped).
        if mm.read_bytes(m.base + at, &mut page[..n]).is_ok() && page[..n] != *seen {
            pwrite_full(&m.file, &page[..n], m.offset + at)?;
            seen.copy_from_slice(&page[..n]);
        }
        at += PAGE_SIZE;
    }
    Ok(())
}

impl SharedFileMaps {
    /// mmap(2) of `len` bytes of guest file `fd` at offset `off`.
    #[allow(clippy::too_many_arguments)]
    pub fn map(
        &self,
        files: &Files,
        mm: &AddressSpace,
        addr: u64,
        len: u64,
        prot_bits: u32,
        flags: u32,
        fd: i32,
        off: u64,
    ) -> Result<i64, Errno> {
        if !off.is_multiple_of(PAGE_SIZE) || len == 0 {
            return Err(Errno::EINVAL);
        }
        let file = files.host_fd(fd)?;
        // SAFETY: F_GETFL only reads the descriptor's status flags.
        let fl = unsafe { libc::fcntl(file.raw(), libc::F_GETFL) };
        let acc = fl & libc::O_ACCMODE;
        let shared = flags & map::SHARED != 0;
        if acc == libc::O_WRONLY || (shared && prot_bits & prot::WRITE != 0 && acc != libc::O_RDWR)
        {
            return Err(Errno::EACCES);
        }
        if flags & map::FIXED != 0 {
            self.sync(mm, addr, len)?;
        }
        let mut data = vec![0u8; len.min(1 << 34) as usize];
        let got = pread_full(&file, &mut data, off)?;
        data.truncate(got);
        let anon = (flags & !map::SHARED) | map::PRIVATE | map::ANONYMOUS;
        let base = mm.mmap(addr, len, prot::READ | prot::WRITE, anon)?;
        if let Err(e) = mm.write_bytes(base, &data) {
            let _ = mm.munmap(base, len);
            return Err(e);
        }
        if prot_bits != prot::READ | prot::WRITE {
            mm.mprotect(base, len, prot_bits)?;
        }
        if shared {
            let key = file_key(&file).ok_or_else(Errno::last_os_error)?;
            self.maps.lock().push(SharedMap {
                base,
                key,
                file,
                offset: off,
                snapshot: data,
            });
        }
        Ok(base as i64)
    }

    /// Writes back the shared file pages in [addr, addr+len) the guest changed (msync).
    pub fn sync(&self, mm: &AddressSpace, addr: u64, len: u64) -> Result<(), Errno> {
        let mut maps = self.maps.lock();
        for m in maps.iter_mut().filter(|m| overlaps(m, addr, len)) {
            write_back(mm, m, addr, len)?;
        }
        Ok(())
    }

    /// Writes back and forgets the part of every shared mapping in [addr, addr+len), as
    /// munmap, mremap and a MAP_FIXED replacement need before the range changes.
    pub fn release(&self, mm: &AddressSpace, addr: u64, len: u64) -> Result<(), Errno> {
        self.sync(mm, addr, len)?;
        let end = addr.saturating_add(len);
        self.maps
            .lock()
            .retain(|m| !(addr <= m.base && m.base + m.snapshot.len() as u64 <= end));
        Ok(())
    }

    /// The mapped file behind guest fd `fd`, if any shared mapping of it is live.
    fn mapped_key(&self, files: &Files, fd: u64) -> Option<(u64, u64)> {
        let maps = self.maps.lock();
        if maps.is_empty() {
            return None;
        }
        let key = file_key(&*files.host_fd(fd as i32).ok()?)?;
        maps.iter().any(|m| m.key == key).then_some(key)
    }

    /// Before a file system call on guest fd `fd`: writes back the guest's changes to
    /// mappings of that file, so the call sees them. Returns the file if it is mapped.
    pub fn before_file_call(
        &self,
        files: &Files,
        mm: &AddressSpace,
        fd: u64,
    ) -> Option<(u64, u64)> {
        let key = self.mapped_key(files, fd)?;
        for m in self.maps.lock().iter_mut().filter(|m| m.key == key) {
            let len = m.snapshot.len() as u64;
            let base = m.base;
            if let Err(e) = write_back(mm, m, base, len) {
                eprintln!(
                    "faultline: writing back a shared file mapping failed: errno {}",
                    e.0
                );
            }
        }
        Some(key)
    }

    /// After a call that may have changed file `key`: reloads its mappings from the file.
    pub fn after_file_write(&self, mm: &AddressSpace, key: (u64, u64)) {
        for m in self.maps.lock().iter_mut().filter(|m| m.key == key) {
            let mut fresh = vec![0u8; m.snapshot.len()];
            let Ok(got) = pread_full(&m.file, &mut fresh, m.offset) else {
                continue;
            };
            // Bytes past a truncated end read back as zeroes, as the mapping would show.
            fresh[got..].fill(0);
            let mut at = 0;
            while at < fresh.len() {
                let n = (fresh.len() - at).min(PAGE_SIZE as usize);
                if fresh[at..at + n] != m.snapshot[at..at + n] {
                    // Unwritable pages (mprotect) keep their old bytes, as a copy must.
                    let _ = mm.write_bytes(m.base + at as u64, &fresh[at..at + n]);
                }
                at += n;
            }
            m.snapshot = fresh;
        }
    }

    /// Writes back every shared mapping (process exit).
    pub fn sync_all(&self, mm: &AddressSpace) {
        if let Err(e) = self.sync(mm, 0, u64::MAX) {
            eprintln!(
                "faultline: writing back a shared file mapping failed: errno {}",
                e.0
            );
        }
    }
}
