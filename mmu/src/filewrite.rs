//! Buffered write(2) through the page cache (Linux's `generic_perform_write`).
//!
//! Each page the write touches is found or made in the cache and locked
//! (`write_begin`): a page the write only partly covers, and that holds bytes of the
//! file, is read through the device first; a page the write covers whole, or one past
//! the end of the file, is not read. The bytes go into the host file at once (the host's
//! own page cache holds them, so a reader of the file or a `kill -9` of the emulator
//! loses nothing) and into the page's frame; the file's kept size grows to take them
//! (before the page is unlocked, so a write-back never sees a page past the end), and
//! the page is left dirty (`write_end`) as the model's state: the write-back paths
//! ([`crate::writeback`]) time and count it as Linux would, without copying bytes the
//! file already has. Mappings of the file map the same frames, so they see the new
//! bytes at once. Writers of one file go one at a time under its inode lock, which makes
//! O_APPEND atomic; every few pages a writer that dirtied too much is throttled.

use crate::caller::Caller;
use crate::errno::Errno;
use crate::file_readahead::AccessHint;
use crate::folio::Folio;
use crate::mm_core::{Cx, MmCore};
use crate::pagecache::{CachedFile, Lookup};
use crate::reclaim;
use crate::stats::Counter;
use crate::types::PAGE_SIZE;
use crate::writeback;
use devices::cast::u64_to_usize;
use std::io;
use std::ops::Range;
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
pub type WriteSource<'a> = &'a mut dyn FnMut(usize, &mut [u8]) -> Result<(), Errno>;

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
    let cx = Cx {
        core: space,
        caller,
        stats,
    };
    let _inode = file.lock_inode();
    let mut size = file.data().size()?;
    let start = match pos {
        WritePos::At(offset) => offset,
        WritePos::Append => size,
    };
    if start > MAX_FILE_SIZE - len as u64 {
        return Err(io::Error::from_raw_os_error(libc::EFBIG));
    }
    let mut page = vec![0u8; u64_to_usize(PAGE_SIZE)];
    let (mut done, mut unbalanced) = (0, 0);
    while done < len {
        let at = start + done as u64;
        let (pgoff, in_page) = (at / PAGE_SIZE, (at % PAGE_SIZE) as usize);
        let n = (u64_to_usize(PAGE_SIZE) - in_page).min(len - done);
        // The source is read before the page is locked: reading guest memory may fault,
        // and the fault may need this very page.
        let step = fill(done, &mut page[..n])
            .map_err(|e| io::Error::from_raw_os_error(e.0))
            .and_then(|()| write_begin(cx, file, pgoff, in_page..in_page + n, &mut size))
            .and_then(
                |folio| match write_through(file, at, &page[..n], &mut size) {
                    Ok(()) => Ok(folio),
                    Err(e) => {
                        folio.unlock();
                        Err(e)
                    }
                },
            );
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
                cache.frames().host_ptr(folio.frame()).wrapping_add(in_page),
                n,
            )
        };
        cache.set_dirty_written(&folio);
        folio.mark_accessed();
        folio.unlock();
        done += n;
        reclaim::direct(cx);
        unbalanced += 1;
        if unbalanced == RATELIMIT_PAGES || done == len {
            writeback::balance_dirty_pages(space, caller, file);
            unbalanced = 0;
        }
    }
    Ok((start, done))
}

/// Puts `bytes` into the host file at `at` (with the page they go to locked), growing
/// it and `size` if they end past it: the file grows by the write itself, never by a
/// truncate first, so a reader of the host file never sees zeros where they go, nor
/// does a write cut what another writer of the host file (the emulator's own messages
/// on a shared stderr) put past the size kept here. Held against a truncate for the
/// while, as a write-back is.
fn write_through(file: &CachedFile, at: u64, bytes: &[u8], size: &mut u64) -> io::Result<()> {
    let _resize = file.resize_shared();
    file.data().write_at(at, bytes)?;
    *size = (*size).max(at + bytes.len() as u64);
    Ok(())
}

/// Linux's `write_begin`: page `pgoff` of `file`, locked and up to date, for a write of
/// the bytes `written` of it. `size` is the file's size, looked at again if it changed
/// under the write (a truncate from elsewhere).
fn write_begin(
    cx: Cx<'_>,
    file: &Arc<CachedFile>,
    pgoff: u64,
    written: Range<usize>,
    size: &mut u64,
) -> io::Result<Arc<Folio>> {
    let Cx {
        core: space,
        caller,
        stats,
    } = cx;
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
        if in_file == 0 || (written.start == 0 && written.end >= in_file) {
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
mod tests;
