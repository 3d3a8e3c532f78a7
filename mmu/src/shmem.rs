//! Shared anonymous memory objects: the pages behind `MAP_SHARED | MAP_ANONYMOUS`.
//!
//! Linux backs such a mapping with a shmem file; its pages belong to the object, not to
//! the page tables, so `MADV_DONTNEED` only unmaps them and the next access finds the
//! same data. Every VMA piece of the mapping (after splits and moves) refers to the same
//! object, at its own page offset.
//!
//! With swap, a page of the object may live in a swap slot instead of a frame: the
//! object records the slot (as shmem records a swap entry in its mapping), and page
//! tables never hold it — a fault asks the object. Moving pages between the two is the
//! `shmem_swap` module's work; the object only keeps the record, changed under its lock.

use crate::frames::{FrameId, FramePool};
use crate::swap::Swap;
use devices::{Clock, Cost};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where one page of an object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ShmemPage {
    /// In memory, in this frame (the object holds a reference to it).
    Resident(FrameId),
    /// In this swap slot.
    Swapped(u32),
}

#[derive(Default)]
struct Pages {
    map: BTreeMap<u64, ShmemPage>,
    /// Where reclaim's scan of the object goes on (a clock hand over page offsets).
    hand: u64,
}

/// The pages of one shared anonymous mapping, by page offset.
pub struct SharedAnon {
    pool: Arc<FramePool>,
    pages: Mutex<Pages>,
    /// The swap area its pages may go to, if any.
    swap: Option<Arc<Swap>>,
}

impl std::fmt::Debug for SharedAnon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedAnon")
            .field("pages", &self.pages.lock().map.len())
            .finish()
    }
}

impl SharedAnon {
    /// An empty object whose pages come from `pool` and never go to swap.
    pub fn new(pool: Arc<FramePool>) -> Self {
        Self::with_swap(pool, None)
    }

    /// An empty object whose pages come from `pool` and may go to `swap`.
    pub(crate) fn with_swap(pool: Arc<FramePool>, swap: Option<Arc<Swap>>) -> Self {
        SharedAnon {
            pool,
            pages: Mutex::new(Pages::default()),
            swap,
        }
    }

    /// The page at offset `pgoff`: its frame (allocated zeroed on first use), with a
    /// reference added for the caller, or the slot it was swapped to. `None` when the
    /// pool is exhausted. Zeroing a new page is charged to `clock`.
    pub(crate) fn find_page(&self, pgoff: u64, clock: &dyn Clock) -> Option<ShmemPage> {
        let mut pages = self.pages.lock();
        let page = match pages.map.get(&pgoff) {
            Some(&p) => p,
            None => {
                let p = ShmemPage::Resident(self.pool.alloc_zeroed()?);
                clock.charge(Cost::PageZero, 1);
                pages.map.insert(pgoff, p);
                p
            }
        };
        if let ShmemPage::Resident(frame) = page {
            self.pool.get(frame);
        }
        Some(page)
    }

    /// Replaces page `pgoff`'s record with `new` if it is still `current` and `also`
    /// (run under the object's lock, so no fault takes a reference meanwhile) agrees.
    /// The frame reference a resident record holds passes to whoever takes it out, and
    /// comes from whoever puts it in.
    pub(crate) fn exchange(
        &self,
        pgoff: u64,
        current: ShmemPage,
        new: ShmemPage,
        also: impl FnOnce() -> bool,
    ) -> bool {
        let mut pages = self.pages.lock();
        let ok = pages.map.get(&pgoff) == Some(&current) && also();
        if ok {
            pages.map.insert(pgoff, new);
        }
        ok
    }

    /// The next resident page after the scan's hand, going round once: reclaim's next
    /// look at the object.
    pub(crate) fn next_resident(&self) -> Option<(u64, FrameId)> {
        let mut pages = self.pages.lock();
        let hand = pages.hand;
        let resident = |(&pgoff, page): (&u64, &ShmemPage)| match *page {
            ShmemPage::Resident(frame) => Some((pgoff, frame)),
            ShmemPage::Swapped(_) => None,
        };
        let next = pages
            .map
            .range(hand..)
            .find_map(resident)
            .or_else(|| pages.map.range(..hand).find_map(resident))?;
        pages.hand = next.0 + 1;
        Some(next)
    }

    /// Drops the pages at offsets `[first, first + count)` from the object (hole punch).
    /// Frames still mapped somewhere stay allocated until unmapped; swap slots are
    /// freed.
    pub fn remove_pages(&self, first: u64, count: u64) {
        let removed: Vec<ShmemPage> = {
            let mut pages = self.pages.lock();
            let keys: Vec<u64> = pages
                .map
                .range(first..first + count)
                .map(|(&k, _)| k)
                .collect();
            keys.iter().filter_map(|k| pages.map.remove(k)).collect()
        };
        for page in removed {
            self.release(page);
        }
    }

    fn release(&self, page: ShmemPage) {
        match (page, &self.swap) {
            (ShmemPage::Resident(frame), _) => self.pool.put(frame),
            // Waits for a fault's read or reclaim's write of the slot, if any (only a
            // hole punch can meet one: both hold the object, which is not dropped then).
            (ShmemPage::Swapped(slot), Some(swap)) => {
                swap.discard(slot, &self.pool, |f| f.lock(swap.clock().as_ref()))
            }
            (ShmemPage::Swapped(_), None) => unreachable!("swapped out without swap"),
        }
    }
}

impl Drop for SharedAnon {
    fn drop(&mut self) {
        for page in std::mem::take(&mut self.pages.get_mut().map).into_values() {
            self.release(page);
        }
    }
}
