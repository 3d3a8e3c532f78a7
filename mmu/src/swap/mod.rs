//! Swap for anonymous memory, private file mappings' copies on write included: the swap
//! area ([`SwapFile`]), Linux's swap cache ([`swapcache`]: folios of slots with I/O in
//! flight, or read back and not yet mapped), the private anonymous reclaim candidates,
//! and the batches pages are read back in.
//!
//! A page goes out under a locked folio in the swap cache ([`Swap::begin_write`], then
//! [`Swap::finish_write`] once no mapping reaches it: the `swapout` and `shmem_swap`
//! modules); a fault on a swap entry (`swapin`) finds its folio in the swap cache or
//! starts reading the slot, with the read-ahead window around it ([`ra_window`]).

pub(crate) mod ra_window;
mod swapcache;

pub(crate) use swapcache::Found;

use crate::folio::Folio;
use crate::frames::{FrameId, FramePool};
use crate::lru::Lru;
use crate::stats::{Counter, HartStats};
use crate::swapfile::SwapFile;
use crate::types::PAGE_SIZE;
use devices::cast::u64_to_usize;
use devices::storage::{DeviceConfig, IoPriority};
use devices::SharedClock;
use parking_lot::Mutex;
use std::io;
use std::sync::Arc;
use swapcache::SwapCache;

/// Slots one device request reads at most.
const MAX_RUN: usize = 32;

/// A private anonymous page on the reclaim candidates' lists: which space maps it (its
/// id: the machine's spaces share one swap), where, and its frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AnonPage {
    /// The id of the address space that mapped it.
    pub space: u64,
    /// Its page-aligned address in that space.
    pub addr: u64,
    /// The frame it was mapped with.
    pub frame: FrameId,
}

/// Swap of one machine: its area, its swap cache and its reclaim candidates.
pub(crate) struct Swap {
    pub(crate) file: SwapFile,
    /// Folios of slots with I/O in flight or read back but not mapped yet.
    pub(crate) cache: SwapCache,
    /// Private anonymous pages that may be swapped out, by space, address and frame
    /// (stale entries are dropped when their address no longer maps the frame, or their
    /// space is gone).
    pub(crate) lru: Mutex<Lru<AnonPage>>,
    /// Whether reclaim runs at all (a memory limit is set): only then are candidates
    /// worth keeping.
    pub(crate) tracks_candidates: bool,
    /// The run's clock, which waits for a slot's folio sleep on.
    clock: SharedClock,
}

impl Swap {
    /// Swap of `bytes` behind a device configured as `device`; `reclaims` when a memory
    /// limit makes reclaim look for candidates.
    pub(crate) fn new(
        bytes: u64,
        device: DeviceConfig,
        clock: SharedClock,
        reclaims: bool,
    ) -> io::Result<Swap> {
        Ok(Swap {
            file: SwapFile::create(bytes, device, clock.clone())?,
            cache: SwapCache::default(),
            lru: Mutex::new(Lru::default()),
            tracks_candidates: reclaims,
            clock,
        })
    }

    /// The run's clock.
    pub(crate) fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Notes a private anonymous page just mapped at `addr` of space `space`, as a
    /// reclaim candidate: it enters the inactive list.
    pub(crate) fn note_mapped(&self, space: u64, addr: u64, frame: FrameId) {
        if self.tracks_candidates {
            self.lru.lock().add(AnonPage {
                space,
                addr: addr & !(PAGE_SIZE - 1),
                frame,
            });
        }
    }

    /// The reclaim candidates' active and inactive lists.
    pub(crate) fn candidates(&self) -> &Mutex<Lru<AnonPage>> {
        &self.lru
    }

    /// An entry naming `slot` is gone: unless other entries still name it, frees the
    /// slot with its swap-cache folio if any, once `lock` has taken that folio's lock (so
    /// no I/O on it is in flight).
    pub(crate) fn discard(&self, slot: u32, frames: &FramePool, lock: impl FnOnce(&Folio)) {
        if self.file.put_shared(slot) {
            // Another entry (a fork's other side) still names the slot.
            return;
        }
        if let Some(folio) = self.cache.get(slot) {
            lock(&folio);
            if self.cache.remove(slot, &folio) {
                folio.evict();
                frames.put(folio.frame());
            }
            folio.unlock();
        }
        self.file.free(slot);
    }

    /// The counters of the swap device and slots, in total.
    pub(crate) fn counters(&self) -> Vec<(String, u64)> {
        let mut out = self.file.io_counters();
        out.push(("swap.slots_used".into(), self.file.used()));
        out
    }

    /// Takes a free slot for the page in `frame` and puts it in the swap cache under a
    /// locked folio, which holds the frame's reference once the caller has handed it
    /// over (or gives it back with [`Swap::abandon_write`]). A stale folio of the slot
    /// is taken with `lock` and freed to `frames`. `None` when swap is full.
    pub(crate) fn begin_write(
        &self,
        frame: FrameId,
        frames: &FramePool,
        lock: impl FnOnce(&Folio),
    ) -> Option<(u32, Arc<Folio>)> {
        let slot = self.file.alloc()?;
        let folio = Arc::new(Folio::new_locked(frame));
        if let Some(stale) = self.cache.insert_for_write(slot, folio.clone()) {
            // A fault read the slot after a zap had freed it (it looked at the entry
            // first): nobody maps that copy, so it goes once its read is done.
            lock(&stale);
            stale.evict();
            frames.put(stale.frame());
            stale.unlock();
        }
        Some((slot, folio))
    }

    /// Undoes [`Swap::begin_write`] before the frame's reference was handed over.
    pub(crate) fn abandon_write(&self, slot: u32, folio: &Arc<Folio>) {
        self.cache.remove(slot, folio);
        folio.unlock();
        self.file.free(slot);
    }

    /// Writes the page of `folio` (begun with [`Swap::begin_write`]; nothing maps it any
    /// more) to `slot` on behalf of thread `io.0` at priority `io.1`, then takes it out
    /// of the swap cache and frees its frame to `frames`.
    pub(crate) fn finish_write(
        &self,
        slot: u32,
        folio: &Arc<Folio>,
        frames: &FramePool,
        (tid, priority): (u32, IoPriority),
        stats: &HartStats,
    ) {
        let mut page = vec![0u8; u64_to_usize(PAGE_SIZE)];
        // SAFETY: the frame is the locked folio's and no mapping reaches it any more.
        unsafe {
            std::ptr::copy_nonoverlapping(
                frames.host_ptr(folio.frame()),
                page.as_mut_ptr(),
                page.len(),
            )
        };
        self.file.write(slot, page, tid, priority);
        stats.add(Counter::SwapOuts, 1);
        if self.cache.remove(slot, folio) {
            frames.put(folio.frame());
        }
        // A fault that waited for the write finds the folio gone and reads the slot.
        folio.evict();
        folio.unlock();
    }
}

/// New folios of one batch, read together.
#[derive(Default)]
pub(crate) struct Batch(Vec<(u32, Arc<Folio>)>);

impl Batch {
    /// Finds `slot` in the swap cache, or adds a new folio for it to this batch
    /// (`readahead` marks it as read ahead); `None` when no frame is left.
    pub(crate) fn add(
        &mut self,
        swap: &Swap,
        frames: &FramePool,
        slot: u32,
        readahead: bool,
    ) -> Option<Found> {
        let found = swap.cache.find_or_add(slot, frames, readahead)?;
        if let Found::Reading(f) = &found {
            self.0.push((slot, f.clone()));
        }
        Some(found)
    }

    /// Starts the reads, one request per run of consecutive slots, each completion
    /// filling and unlocking its folios, on behalf of thread `io.0` at priority `io.1`;
    /// counts them as swapped in. Returns how many pages it reads.
    pub(crate) fn submit(
        mut self,
        swap: &Swap,
        frames: &Arc<FramePool>,
        (tid, priority): (u32, IoPriority),
        stats: &HartStats,
    ) -> u64 {
        let pages = self.0.len() as u64;
        self.0.sort_unstable_by_key(|&(slot, _)| slot);
        let mut rest = &self.0[..];
        while let Some(&(first, _)) = rest.first() {
            let len = rest
                .iter()
                .zip(first..)
                .take(MAX_RUN)
                .take_while(|((slot, _), want)| slot == want)
                .count();
            let (run, tail) = rest.split_at(len);
            rest = tail;
            let folios: Vec<Arc<Folio>> = run.iter().map(|(_, f)| f.clone()).collect();
            let run_frames: Vec<FrameId> = folios.iter().map(|f| f.frame()).collect();
            swap.file
                .read(first, frames, run_frames, (tid, priority), move |ok| {
                    for f in folios {
                        f.finish_read(ok);
                    }
                });
        }
        stats.add(Counter::SwapIns, pages);
        pages
    }
}
