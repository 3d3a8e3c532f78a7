//! Shared anonymous memory objects: the pages behind `MAP_SHARED | MAP_ANONYMOUS`.
//!
//! Linux backs such a mapping with a shmem file; its pages belong to the object, not to
//! the page tables, so `MADV_DONTNEED` only unmaps them and the next access finds the
//! same data. Every VMA piece of the mapping (after splits and moves) refers to the same
//! object, at its own page offset.

use crate::frames::{FrameId, FramePool};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The pages of one shared anonymous mapping, by page offset.
pub struct SharedAnon {
    pool: Arc<FramePool>,
    pages: Mutex<BTreeMap<u64, FrameId>>,
}

impl std::fmt::Debug for SharedAnon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedAnon")
            .field("pages", &self.pages.lock().len())
            .finish()
    }
}

impl SharedAnon {
    /// An empty object whose pages come from `pool`.
    pub fn new(pool: Arc<FramePool>) -> Self {
        SharedAnon {
            pool,
            pages: Mutex::new(BTreeMap::new()),
        }
    }

    /// The frame at page offset `pgoff`, allocated zeroed on first use, with a reference
    /// added for the caller; `None` when the pool is exhausted.
    pub fn get_page(&self, pgoff: u64) -> Option<FrameId> {
        let mut pages = self.pages.lock();
        let frame = match pages.get(&pgoff) {
            Some(&f) => f,
            None => {
                let f = self.pool.alloc_zeroed()?;
                pages.insert(pgoff, f);
                f
            }
        };
        self.pool.get(frame);
        Some(frame)
    }

    /// Drops the pages at offsets `[first, first + count)` from the object (hole punch).
    /// Frames still mapped somewhere stay allocated until unmapped.
    pub fn remove_pages(&self, first: u64, count: u64) {
        let removed: Vec<FrameId> = {
            let mut pages = self.pages.lock();
            let keys: Vec<u64> = pages.range(first..first + count).map(|(&k, _)| k).collect();
            keys.iter().filter_map(|k| pages.remove(k)).collect()
        };
        for f in removed {
            self.pool.put(f);
        }
    }
}

impl Drop for SharedAnon {
    fn drop(&mut self) {
        for &f in self.pages.get_mut().values() {
            self.pool.put(f);
        }
    }
}
