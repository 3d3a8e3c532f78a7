//! The swap area: a sparse host file in the system temp directory (unlinked at once, so
//! it goes away with the process), divided into page-sized slots, behind a simulated
//! storage device that times every request and moves its bytes.

use crate::frames::{FrameId, FramePool};
use crate::types::PAGE_SIZE;
use devices::cast::u64_to_usize;
use devices::storage::{BackingStore, DeviceConfig, IoOp, IoPriority, StorageDevice};
use devices::SharedClock;
use parking_lot::Mutex;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::sync::Arc;

/// Slots, free and used, of a swap area.
struct Slots {
    /// Slots given back, reused first, lowest first: pages swapped out one after the
    /// other get neighbouring slots where they can, so reading them back together
    /// (read-ahead) is one request, as Linux's cluster allocation aims for.
    free: BTreeSet<u32>,
    /// Slots never used yet start here.
    next: u32,
    /// Slots more than one entry names (fork copied a swap entry: Linux's
    /// `swap_duplicate`), with how many entries beyond the first do.
    shared: BTreeMap<u32, u32>,
}

/// A swap area of page-sized slots.
pub(crate) struct SwapFile {
    device: StorageDevice,
    slots: Mutex<Slots>,
    capacity: u32,
}

impl SwapFile {
    /// A swap area of `bytes` (whole pages) behind a device configured as `cfg`.
    pub(crate) fn create(
        bytes: u64,
        cfg: DeviceConfig,
        clock: SharedClock,
    ) -> io::Result<SwapFile> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("faultline-swap-{}-{n}", std::process::id()));
        let capacity = u32::try_from(bytes / PAGE_SIZE).unwrap_or(u32::MAX);
        let store = BackingStore::create(&path, u64::from(capacity) * PAGE_SIZE)?;
        // Unlinked now: the open file lives until the process ends, whatever way it ends.
        std::fs::remove_file(&path)?;
        let device = StorageDevice::new("swap", cfg, Arc::new(store), clock)?;
        Ok(SwapFile {
            device,
            slots: Mutex::new(Slots {
                free: BTreeSet::new(),
                next: 0,
                shared: BTreeMap::new(),
            }),
            capacity,
        })
    }

    /// The device behind the area.
    pub(crate) fn device(&self) -> &StorageDevice {
        &self.device
    }

    /// A free slot, or `None` when swap is full.
    pub(crate) fn alloc(&self) -> Option<u32> {
        let mut s = self.slots.lock();
        if let Some(slot) = s.free.pop_first() {
            return Some(slot);
        }
        (s.next < self.capacity).then(|| {
            s.next += 1;
            s.next - 1
        })
    }

    /// Gives `slot` back; no I/O on it may be in flight, and no other entry names it
    /// ([`SwapFile::put_shared`] first).
    pub(crate) fn free(&self, slot: u32) {
        let mut s = self.slots.lock();
        debug_assert!(!s.shared.contains_key(&slot), "free of shared slot {slot}");
        s.free.insert(slot);
    }

    /// Notes that one more entry names the used `slot` (fork copied one).
    pub(crate) fn dup(&self, slot: u32) {
        *self.slots.lock().shared.entry(slot).or_insert(0) += 1;
    }

    /// Whether other entries than the caller's name `slot`.
    pub(crate) fn is_shared(&self, slot: u32) -> bool {
        self.slots.lock().shared.contains_key(&slot)
    }

    /// An entry naming `slot` is gone: if others still name it, forgets one of them and
    /// returns `true` (the slot stays); `false` when that entry was the last, whose
    /// owner frees the slot.
    pub(crate) fn put_shared(&self, slot: u32) -> bool {
        let mut s = self.slots.lock();
        let Some(n) = s.shared.get_mut(&slot) else {
            return false;
        };
        *n -= 1;
        if *n == 0 {
            s.shared.remove(&slot);
        }
        true
    }

    /// Slots in use.
    pub(crate) fn used(&self) -> u64 {
        let s = self.slots.lock();
        u64::from(s.next) - s.free.len() as u64
    }

    /// Writes `page` to `slot` and waits for the device to complete it.
    pub(crate) fn write(&self, slot: u32, page: Vec<u8>, submitter: u32, priority: IoPriority) {
        let op = IoOp::Write {
            offset: u64::from(slot) * PAGE_SIZE,
            data: page,
        };
        self.device.submit_and_wait(op, submitter, priority);
    }

    /// Starts reading the run of slots from `first` into `frames` (one frame per slot,
    /// in slot order) as one device request; `done(ok)` runs once the bytes are there
    /// (or the read failed).
    pub(crate) fn read(
        &self,
        first: u32,
        frames: &Arc<FramePool>,
        into: Vec<FrameId>,
        (submitter, priority): (u32, IoPriority),
        done: impl FnOnce(bool) + Send + 'static,
    ) {
        let len = into.len() as u64 * PAGE_SIZE;
        let op = IoOp::Read {
            offset: u64::from(first) * PAGE_SIZE,
            len,
        };
        let frames = frames.clone();
        self.device.submit(op, submitter, priority, move |io| {
            let ok = io.completion.result.is_ok() && io.data.len() as u64 == len;
            if ok {
                for (page, &frame) in io.data.chunks_exact(u64_to_usize(PAGE_SIZE)).zip(&into) {
                    // SAFETY: each frame belongs to a locked swap-cache folio being read.
                    unsafe {
                        std::ptr::copy_nonoverlapping(
                            page.as_ptr(),
                            frames.host_ptr(frame),
                            page.len(),
                        )
                    };
                }
            }
            done(ok);
        });
    }

    /// The device's totals, named `swap.io.*` (the per-class split the page cache's
    /// device reports would only repeat them: swap I/O is all best-effort).
    pub(crate) fn io_counters(&self) -> Vec<(String, u64)> {
        const CLASSES: [&str; 3] = ["io.be.", "io.rt.", "io.idle."];
        let stats = self.device.stats();
        stats
            .counters()
            .into_iter()
            .filter(|(k, _)| !CLASSES.iter().any(|c| k.starts_with(c)))
            .map(|(k, v)| (format!("swap.{k}"), v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_slots_are_reused_lowest_first_so_runs_stay_contiguous() {
        let swap = SwapFile::create(
            8 * PAGE_SIZE,
            DeviceConfig::default(),
            Arc::new(devices::HostClock::new()),
        )
        .unwrap();
        let slots: Vec<u32> = (0..6).map(|_| swap.alloc().unwrap()).collect();
        assert_eq!(slots, [0, 1, 2, 3, 4, 5]);
        for s in [4, 2, 3] {
            swap.free(s);
        }
        assert_eq!(swap.used(), 3);
        let again: Vec<u32> = (0..5).filter_map(|_| swap.alloc()).collect();
        assert_eq!(again, [2, 3, 4, 6, 7], "then the untouched ones, then full");
        assert_eq!(swap.used(), 8);
    }
}
