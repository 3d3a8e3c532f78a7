//! Write-back of dirty page-cache pages to their files, through the simulated device.
//!
//! Pages go back in runs of contiguous dirty pages, one device request per run (Linux's
//! `writepages` building a bio), when:
//! - someone syncs (fsync, msync, munmap, sync, exit, a file system call that must see
//!   the file): every dirty page, waiting for write-backs already in flight;
//! - the flusher (Linux's per-device writeback worker) wakes: every `--dirty-writeback`
//!   period it writes back the pages dirty for longer than `--dirty-expire`, and it is
//!   woken early when dirty pages pass the background threshold (10% of the memory a
//!   cache may use: `--mem-limit`, or the host's available memory), then writing until
//!   they are below it again;
//! - a writer pushes them past the dirty threshold (20%): `balance_dirty_pages` makes it
//!   write back (or wait for) pages itself until they are halfway between the two;
//! - reclaim takes a dirty page (one page, `pageout`).
//!
//! A page under write-back stays locked, moved from dirty to write-back
//! ([`Folio::start_writeback`]) and write-protected in every mapping before its bytes
//! are copied: a store after the copy faults and dirties it again, and a write(2) waits
//! for the lock; either way the page is still dirty when the write-back ends.
//!
//! The device request times the whole run, as Linux's would; but only pages a shared
//! mapping stored into have bytes to copy ([`Folio::copies_bytes`]): a write(2) put
//! its bytes into the host file when it ran ([`crate::filewrite`]).

use crate::caller::Caller;
use crate::current;
use crate::folio::Folio;
use crate::machine::MachineMemory;
use crate::mm_core::{Cx, MmCore};
use crate::pagecache::{file_region, CachedFile, PageCache};
use crate::rmap;
use crate::stats::{Counter, Daemon};
use crate::types::PAGE_SIZE;
use devices::cast::u64_to_usize;
use devices::storage::{IoKind, IoOp, IoPriority};
use devices::trace::{self, catalog, Owner, TraceArg, TraceValue};
use devices::TaskKind;
use std::io;
use std::ops::Range;
use std::sync::{Arc, Weak};

/// Every page offset of a file.
const ALL_PAGES: Range<u64> = 0..u64::MAX;

/// Pages in one write-back request at most (1 MiB).
const MAX_RUN: usize = 256;

/// How often a flusher without a period looks, to notice its address space is gone.
const IDLE_POLL_NS: u64 = 1_000_000_000;

/// Which dirty pages a pass writes back, and whether it waits for busy ones.
#[derive(Clone, Copy, Debug)]
struct Pick {
    /// Only pages dirty since this time or earlier (monotonic ns); all with `None`.
    dirty_before: Option<u64>,
    /// Wait for locked pages and for write-backs already in flight (a sync, a throttled
    /// writer); the flusher skips them instead.
    wait: bool,
    /// Written by the flusher (counted `writeback.background`).
    background: bool,
}

impl Pick {
    /// Every dirty page, and every write-back in flight waited for.
    const SYNC: Pick = Pick {
        dirty_before: None,
        wait: true,
        background: false,
    };
}

/// Who a pass writes for: its space, its caller (I/O attribution, shootdowns) and the
/// counters it adds to.
struct Writer<'a>(Cx<'a>);

impl Writer<'_> {
    /// Writes back up to `budget` pages of `file` at page offsets `pages` that `pick`
    /// chooses, in page order; returns how many it wrote, and the first error (the pages
    /// of a failed run stay dirty).
    fn file(
        &self,
        file: &Arc<CachedFile>,
        pages: Range<u64>,
        pick: Pick,
        budget: u64,
    ) -> (u64, io::Result<()>) {
        let wanted: Vec<(u64, Arc<Folio>)> = file
            .pages_from(pages.start)
            .into_iter()
            .take_while(|(pgoff, _)| *pgoff < pages.end)
            .filter(|(_, f)| match f.dirty_since() {
                Some(t) => pick.dirty_before.is_none_or(|before| t <= before),
                None => pick.wait && f.under_writeback(),
            })
            .collect();
        let (mut written, mut result) = (0, Ok(()));
        let mut run: Vec<(u64, Arc<Folio>)> = Vec::new();
        for (pgoff, folio) in wanted {
            if written + run.len() as u64 >= budget {
                break;
            }
            let joins = run
                .last()
                .is_some_and(|(last, _)| *last + 1 == pgoff && run.len() < MAX_RUN);
            if !joins && !run.is_empty() {
                self.finish_run(file, &mut run, pick, &mut written, &mut result);
            }
            if pick.wait {
                self.0
                    .core
                    .blocking(self.0.caller, || folio.lock(self.0.core.clock().as_ref()));
            } else if !folio.try_lock(self.0.core.clock().as_ref()) {
                continue;
            }
            // A page cleaned meanwhile (or whose write-back was only waited for) ends
            // nothing but its own turn.
            if folio.start_writeback() {
                run.push((pgoff, folio));
            } else {
                folio.unlock();
            }
        }
        self.finish_run(file, &mut run, pick, &mut written, &mut result);
        (written, result)
    }

    /// Writes `run` back, unlocks it and empties it.
    fn finish_run(
        &self,
        file: &Arc<CachedFile>,
        run: &mut Vec<(u64, Arc<Folio>)>,
        pick: Pick,
        written: &mut u64,
        result: &mut io::Result<()>,
    ) {
        if run.is_empty() {
            return;
        }
        let clean = |p: u64, f: &Folio| rmap::write_protect(self.0.core, self.0.caller, file, p, f);
        trace::begin(catalog::WRITEBACK, &[]);
        let wrote = write_run(
            self.0.core.page_cache(),
            file,
            run,
            self.0.caller.io(),
            &clean,
        );
        trace::end(&[TraceArg::new(
            catalog::PAGES,
            TraceValue::Uint(run.len() as u64),
        )]);
        match wrote {
            Ok(()) => {
                let n = run.len() as u64;
                *written += n;
                self.0.stats.add(Counter::WritebackPages, n);
                if pick.background {
                    self.0.stats.add(Counter::WritebackBackground, n);
                }
            }
            Err(e) => {
                if result.is_ok() {
                    *result = Err(e);
                }
            }
        }
        for (_, f) in run.drain(..) {
            f.unlock();
        }
    }
}

/// Writes the locked folios of `run` (contiguous pages of `file`, each with its
/// write-back started) to the file in one device request on behalf of thread `io.0` at
/// I/O priority `io.1`, after `clean` has
/// write-protected each page's mappings; ends their write-backs (a failure leaves them
/// dirty) but leaves them locked.
fn write_run(
    cache: &PageCache,
    file: &CachedFile,
    run: &[(u64, Arc<Folio>)],
    (tid, priority): (u32, IoPriority),
    clean: &dyn Fn(u64, &Folio),
) -> io::Result<()> {
    let result = (|| {
        let start = run[0].0 * PAGE_SIZE;
        // Bytes past the end of the file (the tail of its last page) are not the file's.
        let len = (run.len() as u64 * PAGE_SIZE).min(file.data().size()?.saturating_sub(start));
        for (pgoff, folio) in run {
            clean(*pgoff, folio);
        }
        // Only the pages a shared mapping stored into hold bytes the file lacks: those of
        // a write(2) are in it already, and copying the frame over them again could
        // undo what another writer of the host file put there since.
        let stored: Vec<(u64, Vec<u8>)> = run
            .iter()
            .filter(|(_, folio)| folio.copies_bytes())
            .map(|(pgoff, folio)| {
                let mut bytes = vec![0u8; u64_to_usize(PAGE_SIZE)];
                // SAFETY: the frame is the locked folio's, alive while the cache holds
                // it; the copy is one page.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        cache.frames().host_ptr(folio.frame()),
                        bytes.as_mut_ptr(),
                        bytes.len(),
                    )
                };
                (*pgoff * PAGE_SIZE, bytes)
            })
            .collect();
        if len == 0 {
            return Ok(());
        }
        if let Some(dev) = cache.device() {
            // The device only times the request: the bytes go to the file below.
            let op = IoOp::Timed {
                kind: IoKind::Write,
                offset: file_region(file) + start,
                len,
            };
            let done = dev.submit_and_wait(op, tid, priority);
            if let Err(e) = done.completion.result {
                return Err(io::Error::other(e.to_string()));
            }
        }
        // A truncate that ran meanwhile must not see the bytes it cut come back: the
        // write stays inside the file as it is now, and truncating calls wait for it.
        let _resize = file.resize_shared();
        let size = file.data().size()?;
        for (at, bytes) in &stored {
            let n = u64_to_usize(PAGE_SIZE.min(size.saturating_sub(*at)));
            if n > 0 {
                file.data().write_at(*at, &bytes[..n])?;
            }
        }
        Ok(())
    })();
    let now = cache.clock().now_ns();
    let cleaned = run
        .iter()
        .filter(|(_, f)| f.end_writeback(result.is_ok(), now))
        .count();
    cache.dirty().cleaned(cleaned as u64);
    result
}

/// Writes back every dirty page of `file` on behalf of `caller`, and waits for those
/// already being written (fsync, a file system call that must see them).
pub(crate) fn sync_file(space: &MmCore, caller: &Caller, file: &Arc<CachedFile>) -> io::Result<()> {
    sync_pages(space, caller, file, ALL_PAGES)
}

/// Writes back the dirty pages of `file` at page offsets `pages` on behalf of `caller`,
/// and waits for those of them already being written (msync, munmap).
pub(crate) fn sync_pages(
    space: &MmCore,
    caller: &Caller,
    file: &Arc<CachedFile>,
    pages: Range<u64>,
) -> io::Result<()> {
    let w = Writer(space.cx(caller));
    w.file(file, pages, Pick::SYNC, u64::MAX).1
}

/// [`sync_file`] of every cached file (sync, syncfs, exit); every file gets its turn
/// even when an earlier one failed.
pub(crate) fn sync_all(space: &MmCore, caller: &Caller) -> io::Result<()> {
    let mut result = Ok(());
    for f in space.page_cache().files() {
        if let Err(e) = sync_file(space, caller, &f) {
            result = Err(e);
        }
    }
    result
}

/// Writes back one locked page of `file` if it is dirty, on behalf of thread `tid` at
/// `priority` (reclaim's `pageout`: its mappings are already gone).
pub(crate) fn write_page(
    space: &MmCore,
    file: &CachedFile,
    pgoff: u64,
    folio: &Arc<Folio>,
    tid: u32,
    priority: IoPriority,
) -> io::Result<()> {
    if !folio.start_writeback() {
        return Ok(());
    }
    let run = [(pgoff, folio.clone())];
    write_run(space.page_cache(), file, &run, (tid, priority), &|_, _| {})?;
    space
        .stats_of(&space.caller())
        .add(Counter::WritebackPages, 1);
    Ok(())
}

/// Linux's `balance_dirty_pages`, after a write(2) to `file` dirtied pages: past the
/// dirty threshold the writer is throttled, writing back (or waiting for) dirty pages
/// itself, `file`'s first, until they are halfway down to the background threshold.
/// Counts `writeback.throttled` once per throttled write.
pub(crate) fn balance_dirty_pages(space: &MmCore, caller: &Caller, file: &Arc<CachedFile>) {
    let acct = space.page_cache().dirty();
    if acct.pages() <= acct.limit() {
        return;
    }
    let stats = space.stats_of(caller);
    stats.add(Counter::WritebackThrottled, 1);
    acct.wake.unpark();
    let target = (acct.background() + acct.limit()) / 2;
    let w = Writer(Cx {
        core: space,
        caller,
        stats,
    });
    let others = space.page_cache().files();
    let others = others.iter().filter(|f| !Arc::ptr_eq(f, file));
    for f in std::iter::once(file).chain(others) {
        let over = acct.pages().saturating_sub(target);
        if over == 0 {
            break;
        }
        // A failed write-back leaves its pages dirty for a sync to report.
        let _ = w.file(f, ALL_PAGES, Pick::SYNC, over);
    }
}

/// Starts the flusher of `machine` (Linux's writeback worker): it ends once the machine is
/// gone. Its work is counted as the `flusher` daemon's.
pub(crate) fn spawn_flusher(machine: &Arc<MachineMemory>) -> io::Result<()> {
    let weak = Arc::downgrade(machine);
    let builder = std::thread::Builder::new().name("flusher".into());
    let recorder = trace::current();
    devices::spawn_task(
        &machine.config().clock,
        builder,
        "flusher",
        TaskKind::Daemon,
        move || {
            if let Some(r) = recorder {
                r.attach(Owner::Daemon(Daemon::Flusher.name()));
            }
            flusher(&weak);
        },
    )
    .map(drop)
}

fn flusher(machine: &Weak<MachineMemory>) {
    current::become_daemon(Daemon::Flusher);
    let Some((clock, acct, (period_ns, expire_ns))) = machine.upgrade().map(|m| {
        let cache = m.page_cache();
        (
            m.config().clock.clone(),
            cache.dirty().clone(),
            cache.writeback_times(),
        )
    }) else {
        return;
    };
    let period = match period_ns {
        0 => IDLE_POLL_NS,
        ns => ns,
    };
    loop {
        let deadline = clock.now_ns().saturating_add(period);
        // With nothing dirty the periodic pass has nothing to do: an idle wake-up, which
        // does not keep a virtual run whose threads all wait from being a deadlock.
        let woken = if acct.pages() == 0 {
            clock.park_idle_until(&acct.wake, deadline)
        } else {
            clock.park_until(&acct.wake, deadline)
        };
        let Some(machine) = machine.upgrade() else {
            return;
        };
        if !woken && period_ns == 0 {
            continue;
        }
        // The pass acts for the oldest space: write-protecting a page reaches every
        // space's mappings of it.
        let Some(space) = machine.first_space::<MmCore>() else {
            continue;
        };
        let caller = space.caller();
        let w = Writer(space.cx(&caller));
        let expired_before = clock.now_ns().saturating_sub(expire_ns);
        let mut written = 0;
        for file in space.page_cache().files() {
            let over = acct.pages().saturating_sub(acct.background());
            let pick = Pick {
                dirty_before: (over == 0).then_some(expired_before),
                wait: false,
                background: true,
            };
            // What fails stays dirty: the next pass, a sync or exit tries again.
            let (pages, _) = w.file(
                &file,
                ALL_PAGES,
                pick,
                if over > 0 { over } else { u64::MAX },
            );
            written += pages;
        }
        if written > 0 {
            tracing::debug!(target: "faultline::writeback", pages = written, "flusher pass");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::filewrite::WritePos;
    use crate::mm_core::MmConfig;
    use crate::pagecache::tests::MemFile;
    use crate::pagecache::CacheConfig;
    use crate::space::AddressSpace;
    use devices::storage::{DeviceConfig, LatencyModel};

    #[test]
    fn a_truncate_during_a_write_back_does_not_see_the_cut_bytes_come_back() {
        let s = AddressSpace::new(MmConfig {
            frame_pool_bytes: 1 << 22,
            cache: CacheConfig {
                device: Some(DeviceConfig {
                    latency: LatencyModel::fixed(50_000_000),
                    ..DeviceConfig::default()
                }),
                ..CacheConfig::default()
            },
            ..MmConfig::default()
        })
        .unwrap();
        let data = MemFile::patterned(0);
        let file = s.page_cache().file((2, 1), data.clone());
        let bytes = [5u8; 8192];
        s.write_cached(&file, WritePos::At(0), bytes.len(), &mut |done, buf| {
            buf.copy_from_slice(&bytes[done..done + buf.len()]);
            Ok(())
        })
        .unwrap();
        let syncer = {
            let (s, file) = (s.clone(), file.clone());
            std::thread::spawn(move || s.sync_file(&file).unwrap())
        };
        // The write-back is waiting for the device: truncate the file under it.
        s.clock().sleep_ns(20_000_000);
        {
            let _resize = file.lock_resize();
            data.0.lock().clear();
        }
        syncer.join().unwrap();
        assert!(data.0.lock().is_empty(), "truncated bytes written back");
    }
}
