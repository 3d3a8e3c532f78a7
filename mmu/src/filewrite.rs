//! Buffered write(2) through the page cache (Linux's `generic_perform_write`).
//!
//! Each page the write touches is found or made in the cache and locked
//! (`write_begin`): a page the write only partly covers, and that holds bytes of the
//! file, is read through the device first; a page the write covers whole, or one past
//! the end of the file, is not read. The bytes are copied in, the file grows to take
//! them (before the page is unlocked, so a write-back never sees a page past the end),
//! and the page is left dirty (`write_end`) for the write-back paths
//! ([`crate::writeback`]). Mappings of the file map the same frames, so they see the new
//! bytes at once. Writers of one file go one at a time under its inode lock, which makes
//! O_APPEND atomic; every few pages a writer that dirtied too much is throttled.

use crate::caller::Caller;
use crate::file_readahead::AccessHint;
use crate::folio::Folio;
use crate::mm_core::MmCore;
use crate::pagecache::{CachedFile, Lookup};
use crate::reclaim;
use crate::stats::{Counter, HartStats};
use crate::types::PAGE_SIZE;
use crate::writeback;
use std::io;
use std::sync::Arc;

/// Where a buffered write starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WritePos {
    /// At this byte offset.
    At(u64),
    /// At the end of the file as it is once the write holds the file (O_APPEND).
    Append,
}

/// Largest file offset a write may reach (Linux's `MAX_LFS_FILESIZE` on 64-bit).
const MAX_FILE_SIZE: u64 = i64::MAX as u64;

/// Where a write's bytes come from: `fill(done, buf)` fills `buf` with the bytes that
/// start `done` bytes into the write (from guest memory, which may fault: EFAULT).
pub type WriteSource<'a> = &'a mut dyn FnMut(usize, &mut [u8]) -> io::Result<()>;

/// Pages a writer dirties between two looks at the dirty thresholds (Linux's
/// `ratelimit_pages` keeps it about this small for a small memory).
const RATELIMIT_PAGES: u64 = 32;

/// write(2) of `len` bytes from `fill` to `file` at `pos` through the page cache, on
/// behalf of `caller`, all under the file's inode lock (so an append is never split).
/// Returns where it started and how many bytes it wrote: short if a page or the source
/// failed after some bytes went in, an error (EFAULT, EIO, ENOMEM, EFBIG, the file's
/// own) if none did.
pub(crate) fn write(
    space: &MmCore,
    caller: &Caller,
    file: &Arc<CachedFile>,
    pos: WritePos,
    len: usize,
    fill: WriteSource<'_>,
) -> io::Result<(u64, usize)> {
    let cache = space.page_cache();
    let stats = space.stats_of(caller);
    let _inode = file.lock_inode();
    let mut size = file.data().size()?;
    let start = match pos {
        WritePos::At(offset) => offset,
        WritePos::Append => size,
    };
    if start > MAX_FILE_SIZE - len as u64 {
        return Err(io::Error::from_raw_os_error(libc::EFBIG));
    }
    let mut page = vec![0u8; PAGE_SIZE as usize];
    let (mut done, mut unbalanced) = (0, 0);
    while done < len {
        let at = start + done as u64;
        let (pgoff, in_page) = (at / PAGE_SIZE, (at % PAGE_SIZE) as usize);
        let n = (PAGE_SIZE as usize - in_page).min(len - done);
        // The source is read before the page is locked: reading guest memory may fault,
        // and the fault may need this very page.
        let step = fill(done, &mut page[..n])
            .and_then(|()| write_begin(space, caller, stats, file, pgoff, in_page, n, &mut size))
            .and_then(|folio| {
                let end = at + n as u64;
                if end > size {
                    if let Err(e) = file.data().set_size(end) {
                        folio.unlock();
                        return Err(e);
                    }
                    size = end;
                }
                Ok(folio)
            });
        let folio = match step {
            Ok(f) => f,
            Err(_) if done > 0 => break,
            Err(e) => return Err(e),
        };
        // SAFETY: the folio is locked and its frame held by the cache; the copy stays
        // inside the page.
        unsafe {
            std::ptr::copy_nonoverlapping(
                page.as_ptr(),
                cache.frames().host_ptr(folio.frame()).add(in_page),
                n,
            )
        };
        cache.set_dirty(&folio);
        folio.mark_accessed();
        folio.unlock();
        done += n;
        reclaim::direct(space, caller, stats);
        unbalanced += 1;
        if unbalanced == RATELIMIT_PAGES || done == len {
            writeback::balance_dirty_pages(space, caller, file);
            unbalanced = 0;
        }
    }
    Ok((start, done))
}

/// Linux's `write_begin`: page `pgoff` of `file`, locked and up to date, for a write of
/// `n` bytes at `in_page` into it. `size` is the file's size, looked at again if it
/// changed under the write (a truncate from elsewhere).
#[allow(clippy::too_many_arguments)]
fn write_begin(
    space: &MmCore,
    caller: &Caller,
    stats: &HartStats,
    file: &Arc<CachedFile>,
    pgoff: u64,
    in_page: usize,
    n: usize,
    size: &mut u64,
) -> io::Result<Arc<Folio>> {
    let cache = space.page_cache();
    loop {
        if let Some(f) = file.lookup(pgoff) {
            f.lock(cache.clock().as_ref());
            if f.is_uptodate() {
                return Ok(f);
            }
            f.unlock();
            if f.has_error() {
                file.forget(pgoff, &f);
                return Err(io::Error::from_raw_os_error(libc::EIO));
            }
            // Reclaimed before it could be written: look again.
            continue;
        }
        // The page's bytes that are the file's: unless the write covers them all, they
        // must be read first.
        let in_file = size.saturating_sub(pgoff * PAGE_SIZE).min(PAGE_SIZE) as usize;
        if in_file == 0 || (in_page == 0 && n >= in_file) {
            let frame = cache
                .frames()
                .alloc_zeroed()
                .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOMEM))?;
            let folio = Arc::new(Folio::new_filled(frame));
            if !file.insert(pgoff, &folio) {
                cache.frames().put(frame);
                continue;
            }
            cache.added(file, &[(pgoff, folio.clone())]);
            return Ok(folio);
        }
        let (tid, priority) = caller.io();
        match cache.find_or_read(file, pgoff, AccessHint::Random, tid, priority)? {
            Lookup::Reading(_) => stats.add(Counter::PagecacheMisses, 1),
            Lookup::Cached(_) => {}
            Lookup::BeyondEof => *size = file.data().size()?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm_core::MmConfig;
    use crate::pagecache::tests::MemFile;
    use crate::pagecache::CacheConfig;
    use crate::space::AddressSpace;
    use crate::types::{map, prot};
    use std::time::{Duration, Instant};

    fn space(cache: CacheConfig) -> Arc<AddressSpace> {
        AddressSpace::new(MmConfig {
            frame_pool_bytes: 1 << 24,
            cache,
            ..MmConfig::default()
        })
        .unwrap()
    }

    /// write(2) of `data`.
    fn write(
        s: &AddressSpace,
        file: &Arc<CachedFile>,
        pos: WritePos,
        data: &[u8],
    ) -> io::Result<(u64, usize)> {
        s.write_cached(file, pos, data.len(), &mut |done, buf| {
            buf.copy_from_slice(&data[done..done + buf.len()]);
            Ok(())
        })
    }

    fn count(space: &AddressSpace, name: &str) -> u64 {
        space.stats().total_of(name)
    }

    #[test]
    fn a_partial_write_reads_the_page_first_and_a_whole_or_new_page_is_not_read() {
        let s = space(CacheConfig::default());
        let data = MemFile::patterned(3);
        let file = s.page_cache().file((1, 1), data.clone());
        let before = data.0.lock().clone();
        assert_eq!(
            write(&s, &file, WritePos::At(4096 + 10), b"abc").unwrap(),
            (4106, 3)
        );
        assert_eq!(
            count(&s, "pagecache.misses"),
            1,
            "page 1 read for its other bytes"
        );
        write(&s, &file, WritePos::At(0), &[7; 4096]).unwrap();
        write(&s, &file, WritePos::At(5 * 4096 + 1), b"far").unwrap();
        assert_eq!(
            count(&s, "pagecache.misses"),
            1,
            "whole and past-the-end pages"
        );
        assert_eq!(data.0.lock().len(), 5 * 4096 + 4, "grown at once");
        let mut back = vec![0; 3 * 4096];
        assert_eq!(s.read_cached(&file, 0, &mut back).unwrap(), back.len());
        assert_eq!(&back[..4096], &[7; 4096]);
        assert_eq!(&back[4096..4106], &before[4096..4106]);
        assert_eq!(&back[4106..4109], b"abc");
        assert_eq!(&back[4109..], &before[4109..3 * 4096]);
        assert_eq!(data.0.lock()[4106], before[4106], "still only in the cache");
        s.sync_files().unwrap();
        let host = data.0.lock().clone();
        assert_eq!(&host[..3 * 4096], &back[..]);
        assert_eq!(&host[3 * 4096..5 * 4096 + 1], &vec![0; 2 * 4096 + 1][..]);
        assert_eq!(&host[5 * 4096 + 1..], b"far");
        assert_eq!(count(&s, "writeback.pages"), 3);
        assert_eq!(s.page_cache().dirty().pages(), 0);
    }

    #[test]
    fn a_shared_mapping_and_write_see_each_others_bytes_at_once() {
        let s = space(CacheConfig::default());
        let data = MemFile::patterned(2);
        let file = s.page_cache().file((1, 2), data.clone());
        let len = 2 * PAGE_SIZE;
        let rw = prot::READ | prot::WRITE;
        let base = s
            .mmap_file(0, len, rw, map::SHARED, file.clone(), 0)
            .unwrap();
        let mut b = [0u8; 5];
        s.read_bytes(base + 100, &mut b).unwrap();
        write(&s, &file, WritePos::At(100), b"WRITE").unwrap();
        s.read_bytes(base + 100, &mut b).unwrap();
        assert_eq!(&b, b"WRITE");
        s.write_bytes(base + 4096, b"STORE").unwrap();
        s.read_cached(&file, 4096, &mut b).unwrap();
        assert_eq!(&b, b"STORE");
        s.sync_files().unwrap();
        assert_eq!(&data.0.lock()[4096..4101], b"STORE");
    }

    #[test]
    fn appends_from_two_threads_lose_nothing() {
        let s = space(CacheConfig::default());
        let data = Arc::new(MemFile(parking_lot::Mutex::new(Vec::new())));
        let file = s.page_cache().file((1, 3), data.clone());
        let writers: Vec<_> = [b'a', b'b']
            .into_iter()
            .map(|c| {
                let (s, file) = (s.clone(), file.clone());
                std::thread::spawn(move || {
                    for _ in 0..500 {
                        write(&s, &file, WritePos::Append, &[c; 37]).unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        s.sync_files().unwrap();
        let bytes = data.0.lock().clone();
        assert_eq!(bytes.len(), 2 * 500 * 37);
        for record in bytes.chunks(37) {
            assert!(record.iter().all(|&b| b == record[0]), "interleaved record");
        }
        assert_eq!(bytes.iter().filter(|&&b| b == b'a').count(), 500 * 37);
    }

    #[test]
    fn the_flusher_writes_back_expired_pages_without_a_sync() {
        let s = space(CacheConfig {
            dirty_writeback_ns: 10_000_000,
            dirty_expire_ns: 20_000_000,
            ..CacheConfig::default()
        });
        let data = MemFile::patterned(4);
        let file = s.page_cache().file((1, 4), data.clone());
        write(&s, &file, WritePos::At(0), &[9; 3 * 4096]).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while data.0.lock()[..3 * 4096].iter().any(|&b| b != 9) {
            assert!(Instant::now() < deadline, "never written back");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(count(&s, "writeback.background"), 3);
        assert_eq!(s.page_cache().dirty().pages(), 0);
    }

    #[test]
    fn without_a_period_the_flusher_leaves_old_pages_alone() {
        let s = space(CacheConfig {
            dirty_writeback_ns: 0,
            dirty_expire_ns: 1_000_000,
            ..CacheConfig::default()
        });
        let data = MemFile::patterned(4);
        let file = s.page_cache().file((1, 6), data.clone());
        write(&s, &file, WritePos::At(0), &[9; 4096]).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert_ne!(data.0.lock()[0], 9, "written back without a period");
        assert_eq!(count(&s, "writeback.background"), 0);
        s.sync_files().unwrap();
        assert_eq!(data.0.lock()[..4096], [9; 4096]);
    }

    #[test]
    fn a_writer_past_the_dirty_threshold_writes_back_itself() {
        // 1 MiB: 25 pages may be dirty in the background, 51 before a writer waits.
        let s = space(CacheConfig {
            mem_limit: Some(1 << 20),
            ..CacheConfig::default()
        });
        let data = Arc::new(MemFile(parking_lot::Mutex::new(Vec::new())));
        let file = s.page_cache().file((1, 5), data.clone());
        for i in 0..1024u64 {
            write(&s, &file, WritePos::Append, &[i as u8; 4096]).unwrap();
            assert!(s.page_cache().dirty().pages() <= 52, "page {i}");
        }
        assert!(count(&s, "writeback.throttled") > 0);
        assert!(s.frames_in_use() <= 260, "{} frames", s.frames_in_use());
        s.sync_files().unwrap();
        let bytes = data.0.lock().clone();
        assert_eq!(bytes.len(), 1024 * 4096);
        for (i, page) in bytes.chunks(4096).enumerate() {
            assert!(page.iter().all(|&b| b == i as u8), "page {i}");
        }
        assert_eq!(count(&s, "writeback.pages"), 1024);
    }
}
