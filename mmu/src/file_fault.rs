//! Faults on file-backed VMAs (Linux's `filemap_fault` and `finish_fault`).
//!
//! A read fault maps the page-cache page without write permission: private mappings
//! copy on write, and shared ones learn of their first store (write-notify), which
//! marks the folio dirty. A miss starts the read with read-around and waits for it at
//! [`FaultCtx::wait_for`], where the policy decides whether the fault lock is dropped; a
//! folio someone else holds locked is waited for the same way. A hit also maps the
//! already-cached, unlocked neighbours in its fault-around block, read-only, never
//! waiting for any of them. A private mapping's copies are anonymous memory: they go to
//! swap like any other, and a fault on the swap entry one leaves reads it back from
//! swap (`do_swap_page`), never from the file.

use crate::caller::Caller;
use crate::fault_state::{FaultOutcome, Waits};
use crate::file_readahead::AccessHint;
use crate::folio::Folio;
use crate::frames::FrameId;
use crate::invalidate::Invalidation;
use crate::mm_core::MmCore;
use crate::pagecache::{CachedFile, Lookup};
use crate::pagetable::Pte;
use crate::policy::PageWait;
use crate::reclaim;
use crate::stats::{Counter, HartStats};
use crate::swapin::swap_fault;
use crate::types::{prot, Access, PAGE_SIZE};
use crate::types::{FaultError, FaultKind};
use crate::vma::{Backing, Vma, VmaFlags};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Pages in a fault-around block (Linux's default `fault_around_bytes` of 64 KiB).
const FAULT_AROUND_PAGES: u64 = 16;

/// Resolves a fault at `addr` of the file-backed `vma` (held stable by the caller),
/// which allows `access`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn file_fault(
    space: &MmCore,
    caller: &Caller,
    vma: &Vma,
    file: &Arc<CachedFile>,
    addr: u64,
    access: Access,
    stats: &HartStats,
    mut waits: Waits<'_, '_>,
) -> FaultOutcome {
    let slot = space.page_table().slot_or_alloc(addr);
    loop {
        let current = Pte::from_bits(slot.load(Ordering::Acquire));
        let outcome = if current.is_swap() {
            // A private copy of the page went to swap: it comes back from there, never
            // from the file.
            swap_fault(space, caller, vma, addr, stats, &mut waits)
        } else if !current.is_valid() {
            fill_entry(
                space, caller, vma, file, addr, access, stats, &mut waits, slot,
            )
        } else if current.allows(access) {
            Some(FaultOutcome::Done(current))
        } else {
            write_upgrade(space, caller, vma, file, addr, slot, current, stats)
        };
        // `None`: another fault changed the entry meanwhile; look at it again.
        if let Some(outcome) = outcome {
            return outcome;
        }
    }
}

/// Maps the page-cache page of `addr` at its empty `slot`, reading it in if need be.
#[allow(clippy::too_many_arguments)]
fn fill_entry(
    space: &MmCore,
    caller: &Caller,
    vma: &Vma,
    file: &Arc<CachedFile>,
    addr: u64,
    access: Access,
    stats: &HartStats,
    waits: &mut Waits<'_, '_>,
    slot: &AtomicU64,
) -> Option<FaultOutcome> {
    let pgoff = vma.pgoff_of(addr);
    let (tid, priority) = caller.io();
    let mut major = false;
    let folio = loop {
        let found = space
            .page_cache()
            .find_or_read(file, pgoff, hint(vma), tid, priority);
        match found {
            Err(_) => return Some(FaultOutcome::Error(FaultError::OutOfMemory)),
            Ok(Lookup::BeyondEof) => {
                return Some(FaultOutcome::Error(FaultError::Fault(FaultKind::Bus)))
            }
            Ok(Lookup::Reading(f)) => {
                stats.add(Counter::PagecacheMisses, 1);
                major = true;
                if waits.wait_for_read(space, caller, stats, &f).is_err() {
                    return Some(FaultOutcome::Retry { major: true });
                }
                // Out of guest state: whoever holds it now (reclaim, write-back) may be
                // shooting down TLBs and waiting for this hart.
                space.blocking(caller, || f.lock(space.clock().as_ref()));
                match usable(file, pgoff, &f) {
                    Some(true) => break f,
                    Some(false) => continue,
                    None => return Some(FaultOutcome::Error(FaultError::Fault(FaultKind::Bus))),
                }
            }
            Ok(Lookup::Cached(f)) => {
                if !f.try_lock() {
                    let what = PageWait::FolioLocked {
                        uptodate: f.is_uptodate(),
                    };
                    if waits
                        .wait(what, || f.wait_unlocked(space.clock().as_ref()))
                        .is_err()
                    {
                        return Some(FaultOutcome::Retry { major: false });
                    }
                    continue;
                }
                match usable(file, pgoff, &f) {
                    Some(true) => {
                        stats.add(Counter::PagecacheHits, 1);
                        break f;
                    }
                    Some(false) => continue,
                    None => return Some(FaultOutcome::Error(FaultError::Fault(FaultKind::Bus))),
                }
            }
        }
    };
    // The folio is locked by this fault from here on.
    let outcome = map_folio(space, vma, &folio, slot, access);
    folio.unlock();
    if let Some(FaultOutcome::Done(pte)) = outcome {
        if pte.frame() != folio.frame() {
            new_private_copy(space, caller, addr, pte.frame(), stats);
        }
        let counter = match major || waits.tried() {
            true => Counter::FaultsMajor,
            false => Counter::FaultsMinor,
        };
        stats.add(counter, 1);
        if access != Access::Write {
            fault_around(space, vma, file, addr);
        }
    }
    outcome
}

/// Maps the cached, up-to-date, unlocked pages of `addr`'s fault-around block that have
/// no entry yet, read-only; a folio that is locked is skipped, never waited for.
fn fault_around(space: &MmCore, vma: &Vma, file: &CachedFile, addr: u64) {
    let block = FAULT_AROUND_PAGES * PAGE_SIZE;
    let start = (addr & !(block - 1)).max(vma.start);
    let end = ((addr & !(block - 1)) + block).min(vma.end);
    let frames = space.frames();
    for a in (start..end)
        .step_by(PAGE_SIZE as usize)
        .filter(|&a| a != addr & !(PAGE_SIZE - 1))
    {
        let Some(folio) = file.lookup(vma.pgoff_of(a)) else {
            continue;
        };
        if !folio.try_lock() {
            continue;
        }
        if folio.is_uptodate() {
            let slot = space.page_table().slot_or_alloc(a);
            frames.get(folio.frame());
            let pte = Pte::new(folio.frame(), read_prot(vma));
            if slot
                .compare_exchange(0, pte.bits(), Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                frames.put(folio.frame());
            }
        }
        folio.unlock();
    }
}

/// Whether the locked folio `f` of page `pgoff` can be mapped. If not it is unlocked:
/// reclaimed meanwhile (`Some(false)`: look again), or its read failed (`None`, after
/// dropping it so a later access reads again: the fault ends in SIGBUS).
fn usable(file: &CachedFile, pgoff: u64, f: &Arc<Folio>) -> Option<bool> {
    if f.is_uptodate() {
        return Some(true);
    }
    f.unlock();
    if f.has_error() {
        file.forget(pgoff, f);
        return None;
    }
    Some(false)
}

/// MADV_WILLNEED of `vma`'s part `[start, end)`: starts reading the file pages not
/// cached yet, without waiting for them.
pub(crate) fn will_need(space: &MmCore, caller: &Caller, vma: &Vma, start: u64, end: u64) {
    let Backing::File(file) = &vma.backing else {
        return;
    };
    let (tid, priority) = caller.io();
    let cache = space.page_cache();
    for pgoff in vma.pgoff_of(start)..vma.pgoff_of(end - 1) + 1 {
        match cache.find_or_read(file, pgoff, AccessHint::Sequential, tid, priority) {
            Ok(Lookup::Cached(_)) | Ok(Lookup::Reading(_)) => {}
            Ok(Lookup::BeyondEof) | Err(_) => break,
        }
    }
    reclaim::direct(space, caller, space.stats_of(caller));
}

/// The read-around hint of `vma`'s madvise flags.
fn hint(vma: &Vma) -> AccessHint {
    if vma.flags.contains(VmaFlags::RAND_READ) {
        AccessHint::Random
    } else if vma.flags.contains(VmaFlags::SEQ_READ) {
        AccessHint::Sequential
    } else {
        AccessHint::Normal
    }
}

/// What a page of `vma` is mapped with before anyone writes it: never writable, so the
/// first store faults (to copy, or to mark the folio dirty).
fn read_prot(vma: &Vma) -> u32 {
    vma.prot & !prot::WRITE
}

/// Installs `folio` (locked, up to date) at `slot` for `access`.
fn map_folio(
    space: &MmCore,
    vma: &Vma,
    folio: &Folio,
    slot: &AtomicU64,
    access: Access,
) -> Option<FaultOutcome> {
    let frames = space.frames();
    let pte = match (access, vma.is_shared()) {
        (Access::Write, false) => match copy_frame(space, folio.frame()) {
            Some(copy) => Pte::new(copy, vma.prot),
            None => return Some(FaultOutcome::Error(FaultError::OutOfMemory)),
        },
        (Access::Write, true) => {
            space.page_cache().set_dirty(folio);
            frames.get(folio.frame());
            Pte::new(folio.frame(), vma.prot)
        }
        _ => {
            frames.get(folio.frame());
            Pte::new(folio.frame(), read_prot(vma))
        }
    };
    // Release: the frame's bytes are visible to every walker that finds the entry.
    match slot.compare_exchange(0, pte.bits(), Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => Some(FaultOutcome::Done(pte)),
        Err(_) => {
            // Another fault mapped it first: its entry decides what comes next.
            frames.put(pte.frame());
            None
        }
    }
}

/// A private copy of a file page now mapped at `addr`: anonymous memory, which goes to
/// swap (when there is swap) like any other, so it is a reclaim candidate and may push
/// the space over its memory limit.
fn new_private_copy(space: &MmCore, caller: &Caller, addr: u64, frame: FrameId, stats: &HartStats) {
    if let Some(swap) = space.swap() {
        swap.note_mapped(addr, frame);
        reclaim::direct(space, caller, stats);
    }
}

/// A new frame holding a copy of `frame`'s bytes.
fn copy_frame(space: &MmCore, frame: u32) -> Option<u32> {
    let copy = space.frames().alloc_zeroed()?;
    // SAFETY: `copy` is ours alone; `frame` is pinned by its folio (or entry).
    unsafe {
        std::ptr::copy_nonoverlapping(
            space.frames().host_ptr(frame),
            space.frames().host_ptr(copy),
            PAGE_SIZE as usize,
        )
    };
    Some(copy)
}

/// A store to a page mapped without write permission in a writable `vma`: a shared
/// mapping marks the folio dirty and gains write permission; a private mapping copies a
/// page-cache page (its own copy, write-protected by mprotect, just regains it).
#[allow(clippy::too_many_arguments)]
fn write_upgrade(
    space: &MmCore,
    caller: &Caller,
    vma: &Vma,
    file: &CachedFile,
    addr: u64,
    slot: &AtomicU64,
    current: Pte,
    stats: &HartStats,
) -> Option<FaultOutcome> {
    let folio = file.lookup(vma.pgoff_of(addr));
    let cached = folio.as_ref().filter(|f| f.frame() == current.frame());
    let new = match (vma.is_shared(), cached) {
        (true, Some(f)) => {
            space.page_cache().set_dirty(f);
            current.with_prot(vma.prot)
        }
        (false, Some(f)) => match copy_frame(space, f.frame()) {
            Some(copy) => Pte::new(copy, vma.prot),
            None => return Some(FaultOutcome::Error(FaultError::OutOfMemory)),
        },
        (_, None) => current.with_prot(vma.prot),
    };
    match slot.compare_exchange(
        current.bits(),
        new.bits(),
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        Ok(_) => {
            if new.frame() != current.frame() {
                // Other harts may still read the cache page through their TLBs.
                let mut inv = Invalidation::new(space, caller);
                inv.release_after_flush(current.frame());
                drop(inv);
                new_private_copy(space, caller, addr, new.frame(), stats);
            }
            stats.add(Counter::FaultsMinor, 1);
            Some(FaultOutcome::Done(new))
        }
        Err(_) => {
            if new.frame() != current.frame() {
                space.frames().put(new.frame());
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm_core::MmConfig;
    use crate::pagecache::tests::MemFile;
    use crate::space::AddressSpace;
    use crate::types::map;
    use devices::storage::IoPriority;

    const PAGES: u64 = 8;

    /// A space with `PAGES` pages of a patterned file mapped with `flags`, every page
    /// already in the page cache but none mapped.
    fn mapped(flags: u32) -> (Arc<AddressSpace>, Arc<CachedFile>, Arc<MemFile>, u64) {
        let space = AddressSpace::new(MmConfig {
            frame_pool_bytes: 1 << 22,
            ..MmConfig::default()
        })
        .unwrap();
        let data = MemFile::patterned(PAGES);
        let file = space.page_cache().file((9, 9), data.clone());
        let cached = space
            .page_cache()
            .find_or_read(&file, 0, AccessHint::Normal, 0, IoPriority::DEFAULT)
            .unwrap();
        assert!(matches!(cached, crate::pagecache::Lookup::Reading(_)));
        let len = PAGES * PAGE_SIZE;
        let base = space
            .mmap_file(0, len, prot::READ | prot::WRITE, flags, file.clone(), 0)
            .unwrap();
        (space, file, data, base)
    }

    fn entry(space: &AddressSpace, addr: u64) -> Pte {
        space.core().page_table().lookup(addr)
    }

    /// The fault-wait records of one hart's load from an uncached page of a file mapped
    /// shared, on a device taking 2 ms per read, under `policy`.
    fn waits_of_one_miss(
        policy: crate::policy::FaultPolicy,
    ) -> Vec<crate::events::FaultWaitRecord> {
        let space = AddressSpace::new(MmConfig {
            frame_pool_bytes: 1 << 22,
            policy,
            cache: crate::pagecache::CacheConfig {
                device: Some(devices::storage::DeviceConfig {
                    latency: "fixed:2ms".parse().unwrap(),
                    ..Default::default()
                }),
                readahead_bytes: 0,
                ..Default::default()
            },
            ..MmConfig::default()
        })
        .unwrap();
        let file = space.page_cache().file((8, 8), MemFile::patterned(PAGES));
        let base = space
            .mmap_file(0, PAGES * PAGE_SIZE, prot::READ, map::SHARED, file, 0)
            .unwrap();
        let mut hart = space.attach_hart(7);
        hart.load(base + PAGE_SIZE, 1).unwrap();
        space
            .drain_events()
            .into_iter()
            .filter_map(|(tid, e)| match e {
                crate::events::MmEvent::FaultWait(w)
                    if tid == crate::stats::StatsOwner::Hart(7) =>
                {
                    Some(w)
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn each_policy_waits_for_a_page_cache_read_its_own_way_as_its_events_show() {
        use crate::policy::FaultPolicy;
        use crate::policy::{FaultLock, PageWait};
        // (policy, the lock the waiting attempt held, whether it kept holding it)
        let want = [
            (FaultPolicy::Mmap, FaultLock::Mmap, false),
            (FaultPolicy::Vma, FaultLock::Vma, false),
            (FaultPolicy::VmaRetry, FaultLock::Vma, false),
            (FaultPolicy::VmaHold, FaultLock::Vma, true),
        ];
        for (policy, lock, held) in want {
            let waits = waits_of_one_miss(policy);
            // One wait, for the read, on the first try; the retry (if any) finds the page
            // up to date and does not wait again.
            let [w] = waits[..] else {
                panic!("{policy:?}: {waits:?}");
            };
            assert_eq!(
                (w.what, w.lock, w.held, w.tried),
                (PageWait::Io, lock, held, false),
                "{policy:?}"
            );
            assert!(w.wait_ns >= 1_500_000, "{policy:?} waited {} ns", w.wait_ns);
        }
    }

    #[test]
    fn fault_around_maps_cached_neighbours_read_only_and_skips_locked_ones() {
        let (space, file, data, base) = mapped(map::PRIVATE);
        let busy = file.lookup(3).unwrap();
        assert!(busy.try_lock());
        let mut b = [0u8; 1];
        // Would hang if fault-around waited for the locked folio.
        space.read_bytes(base, &mut b).unwrap();
        assert_eq!(b[0], data.0.lock()[0]);
        for p in 0..PAGES {
            let pte = entry(&space, base + p * PAGE_SIZE);
            assert_eq!(pte.is_valid(), p != 3, "page {p}");
            assert!(!pte.allows(Access::Write), "page {p} mapped writable");
        }
        busy.unlock();
    }

    #[test]
    fn a_private_store_copies_the_page_and_leaves_the_cache_alone() {
        let (space, file, data, base) = mapped(map::PRIVATE);
        let addr = base + PAGE_SIZE + 5;
        let mut b = [0u8; 1];
        space.read_bytes(addr, &mut b).unwrap();
        space.write_bytes(addr, b"X").unwrap();
        let folio = file.lookup(1).unwrap();
        assert_ne!(entry(&space, addr).frame(), folio.frame());
        assert!(!folio.is_dirty());
        space.read_bytes(addr, &mut b).unwrap();
        assert_eq!(&b, b"X");
        space.sync_files().unwrap();
        assert_eq!(data.0.lock()[4096 + 5], (31 + 5) as u8);
    }

    #[test]
    fn a_shared_store_dirties_the_cached_page_and_write_back_reaches_the_file() {
        let (space, file, data, base) = mapped(map::SHARED);
        let addr = base + 2 * PAGE_SIZE + 9;
        space.write_bytes(addr, b"Y").unwrap();
        let folio = file.lookup(2).unwrap();
        assert_eq!(entry(&space, addr).frame(), folio.frame());
        assert!(folio.is_dirty());
        space.sync_files().unwrap();
        assert_eq!(data.0.lock()[2 * 4096 + 9], b'Y');
    }

    #[test]
    fn msync_and_munmap_write_back_only_the_dirty_pages_of_their_range() {
        let (space, file, data, base) = mapped(map::SHARED);
        for p in [1, 4, 6] {
            space.write_bytes(base + p * PAGE_SIZE, b"D").unwrap();
        }
        let written = |p: u64| data.0.lock()[(p * PAGE_SIZE) as usize] == b'D';
        let dirty = |p: u64| file.lookup(p).unwrap().is_dirty();
        // msync of pages 3..5 (from the middle of page 3): page 4 only.
        space
            .sync_range(base + 3 * PAGE_SIZE + 100, 2 * PAGE_SIZE)
            .unwrap();
        assert!(written(4) && !dirty(4));
        assert!(!written(1) && dirty(1) && !written(6) && dirty(6));
        // The write-back before munmap of page 6: page 6 only.
        space.sync_range(base + 6 * PAGE_SIZE, PAGE_SIZE).unwrap();
        space.munmap(base + 6 * PAGE_SIZE, PAGE_SIZE).unwrap();
        assert!(written(6) && !dirty(6));
        assert!(!written(1) && dirty(1));
        let stats = space.stats();
        assert_eq!(stats.total.get("writeback.pages").copied(), Some(2));
    }

    #[test]
    fn write_back_write_protects_so_the_next_store_dirties_the_page_again() {
        let (space, file, data, base) = mapped(map::SHARED);
        space.write_bytes(base + 1, b"A").unwrap();
        space.sync_files().unwrap();
        let folio = file.lookup(0).unwrap();
        assert!(!folio.is_dirty());
        assert!(!entry(&space, base).allows(Access::Write));
        space.write_bytes(base + 2, b"B").unwrap();
        assert!(folio.is_dirty() && entry(&space, base).allows(Access::Write));
        space.sync_files().unwrap();
        assert_eq!(&data.0.lock()[1..3], b"AB");
    }

    #[test]
    fn madv_pageout_writes_back_and_drops_pages_that_fault_back_identical() {
        let (space, file, data, base) = mapped(map::SHARED);
        space.write_bytes(base + 3 * PAGE_SIZE, b"KEEP").unwrap();
        space
            .madvise(base, PAGES * PAGE_SIZE, crate::types::madv::PAGEOUT)
            .unwrap();
        assert!(
            (0..PAGES).all(|p| file.lookup(p).is_none()),
            "all reclaimed"
        );
        assert!(!entry(&space, base + 3 * PAGE_SIZE).is_valid());
        assert_eq!(&data.0.lock()[3 * 4096..3 * 4096 + 4], b"KEEP");
        let mut b = [0u8; 4];
        space.read_bytes(base + 3 * PAGE_SIZE, &mut b).unwrap();
        assert_eq!(&b, b"KEEP");
        let s = space.stats();
        assert_eq!(s.total_of("reclaim.reclaimed"), PAGES);
    }

    #[test]
    fn madv_willneed_reads_ahead_and_madv_cold_clears_referenced_bits() {
        let space = AddressSpace::new(MmConfig {
            frame_pool_bytes: 1 << 22,
            ..MmConfig::default()
        })
        .unwrap();
        let file = space.page_cache().file((7, 7), MemFile::patterned(PAGES));
        let len = PAGES * PAGE_SIZE;
        let base = space
            .mmap_file(0, len, prot::READ, map::PRIVATE, file.clone(), 0)
            .unwrap();
        space
            .madvise(base, len, crate::types::madv::WILLNEED)
            .unwrap();
        assert!((0..PAGES).all(|p| file.lookup(p).is_some()));
        let mut b = [0u8; 1];
        space.read_bytes(base, &mut b).unwrap();
        assert_eq!(space.stats().total_of("pagecache.hits"), 1);
        file.lookup(0).unwrap().mark_accessed();
        space.madvise(base, len, crate::types::madv::COLD).unwrap();
        assert_eq!(file.lookup(0).unwrap().take_lru_flags(), (false, false));
    }

    #[test]
    fn mprotect_keeps_file_pages_write_protected_until_a_store_faults() {
        let (space, file, _, base) = mapped(map::PRIVATE);
        space.mprotect(base, PAGES * PAGE_SIZE, prot::READ).unwrap();
        let mut b = [0u8; 1];
        space.read_bytes(base, &mut b).unwrap();
        space
            .mprotect(base, PAGES * PAGE_SIZE, prot::READ | prot::WRITE)
            .unwrap();
        assert!(!entry(&space, base).allows(Access::Write));
        space.write_bytes(base, b"Z").unwrap();
        assert_ne!(entry(&space, base).frame(), file.lookup(0).unwrap().frame());
    }
}
