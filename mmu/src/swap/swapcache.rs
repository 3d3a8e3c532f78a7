//! The swap cache (Linux's `swapper_spaces`): the folios of swap slots whose page is in
//! memory without being mapped — being written out, being read in, or read in and not
//! mapped yet (a fault's page before its retry, a read-ahead or MADV_WILLNEED page).
//!
//! Folios read in hold frames that count against the memory limit, so the clean ones
//! are kept in age order for reclaim ([`SwapCache::shrink`]), which drops them without
//! any write: their slot still holds the same bytes. Pages read ahead carry a mark
//! (Linux's PG_readahead) that the first fault to look them up takes, so read-ahead
//! can tell how many of its pages were used.

use crate::folio::Folio;
use crate::frames::FramePool;
use devices::Clock;
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// What a swap-cache look-up found.
pub(crate) enum Found {
    /// The slot's folio was cached.
    Cached(Arc<Folio>),
    /// It was not: this call put a new locked folio there, whose frame the caller fills.
    Reading(Arc<Folio>),
}

/// One cached folio.
struct Entry {
    folio: Arc<Folio>,
    /// Its place in the age list, when it was read in (not when it is being written).
    age: Option<u64>,
    /// Read ahead and not looked up by a fault since.
    readahead: bool,
}

#[derive(Default)]
struct Inner {
    folios: HashMap<u32, Entry>,
    /// Slots of folios read in, by age (oldest first).
    read_in: BTreeMap<u64, u32>,
    next_age: u64,
}

impl Inner {
    /// Takes `slot`'s entry out if it still holds `folio`.
    fn remove(&mut self, slot: u32, folio: &Arc<Folio>) -> bool {
        match self.folios.get(&slot) {
            Some(e) if Arc::ptr_eq(&e.folio, folio) => {
                if let Some(age) = e.age {
                    self.read_in.remove(&age);
                }
                self.folios.remove(&slot);
                true
            }
            _ => false,
        }
    }
}

/// The swap cache of one swap area. Each cached folio holds one reference to its frame.
#[derive(Default)]
pub(crate) struct SwapCache {
    inner: Mutex<Inner>,
}

impl SwapCache {
    /// The folio of `slot`, if cached.
    pub(crate) fn get(&self, slot: u32) -> Option<Arc<Folio>> {
        self.inner.lock().folios.get(&slot).map(|e| e.folio.clone())
    }

    /// A fault's look-up of `slot`: the folio, and whether it had been read ahead and
    /// this is the first fault to find it (the mark is taken).
    pub(crate) fn lookup(&self, slot: u32) -> Option<(Arc<Folio>, bool)> {
        let mut inner = self.inner.lock();
        let e = inner.folios.get_mut(&slot)?;
        Some((e.folio.clone(), std::mem::take(&mut e.readahead)))
    }

    /// The folio of `slot`, or a new locked one (with a fresh frame from `frames`) to
    /// read it into; `readahead` marks a new one as read ahead. `None` when no frame is
    /// left.
    pub(crate) fn find_or_add(
        &self,
        slot: u32,
        frames: &FramePool,
        readahead: bool,
    ) -> Option<Found> {
        let mut inner = self.inner.lock();
        if let Some(e) = inner.folios.get(&slot) {
            return Some(Found::Cached(e.folio.clone()));
        }
        let folio = Arc::new(Folio::new_locked(frames.alloc_zeroed()?));
        let age = inner.next_age;
        inner.next_age += 1;
        inner.read_in.insert(age, slot);
        let entry = Entry {
            folio: folio.clone(),
            age: Some(age),
            readahead,
        };
        inner.folios.insert(slot, entry);
        Some(Found::Reading(folio))
    }

    /// Puts `folio`, locked for its write to `slot`, in the cache; returns the folio it
    /// replaced (a stale copy of the slot's former contents), whose frame the caller
    /// must give back.
    pub(crate) fn insert_for_write(&self, slot: u32, folio: Arc<Folio>) -> Option<Arc<Folio>> {
        let mut inner = self.inner.lock();
        let entry = Entry {
            folio,
            age: None,
            readahead: false,
        };
        let stale = inner.folios.insert(slot, entry)?;
        if let Some(age) = stale.age {
            inner.read_in.remove(&age);
        }
        Some(stale.folio)
    }

    /// Takes the slot's folio out of the cache if it is still `folio`; the caller then
    /// owns its frame reference.
    pub(crate) fn remove(&self, slot: u32, folio: &Arc<Folio>) -> bool {
        self.inner.lock().remove(slot, folio)
    }

    /// Reclaim: drops up to `want` clean folios read in and not mapped, oldest first,
    /// looking at no more than `budget`; folios locked (read in flight, or being mapped)
    /// are passed over, the locks it takes charged to `clock`. Returns how many it looked
    /// at and how many it freed.
    pub(crate) fn shrink(
        &self,
        frames: &FramePool,
        want: u64,
        budget: usize,
        clock: &dyn Clock,
    ) -> (usize, u64) {
        let (mut scanned, mut freed) = (0, 0);
        if want == 0 {
            return (scanned, freed);
        }
        let mut inner = self.inner.lock();
        let ages: Vec<u64> = inner.read_in.keys().take(budget).copied().collect();
        for age in ages {
            if freed == want {
                break;
            }
            scanned += 1;
            let slot = inner.read_in[&age];
            let folio = inner.folios[&slot].folio.clone();
            if !folio.try_lock(clock) {
                continue;
            }
            // Not up to date: its read failed, and the fault that finds it reports that.
            if folio.is_uptodate() {
                inner.remove(slot, &folio);
                folio.evict();
                frames.put(folio.frame());
                freed += 1;
            }
            folio.unlock();
        }
        (scanned, freed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use devices::HostClock;

    fn pool() -> Arc<FramePool> {
        Arc::new(FramePool::new(1 << 20).unwrap())
    }

    fn reading(f: Option<Found>) -> Arc<Folio> {
        match f {
            Some(Found::Reading(f)) => f,
            _ => panic!("expected a new folio"),
        }
    }

    #[test]
    fn the_readahead_mark_is_taken_by_the_first_lookup_only() {
        let (frames, cache) = (pool(), SwapCache::default());
        reading(cache.find_or_add(3, &frames, true)).finish_read(true);
        reading(cache.find_or_add(4, &frames, false)).finish_read(true);
        assert!(cache.lookup(3).unwrap().1);
        assert!(!cache.lookup(3).unwrap().1);
        assert!(!cache.lookup(4).unwrap().1);
        assert!(matches!(
            cache.find_or_add(3, &frames, true),
            Some(Found::Cached(_))
        ));
    }

    #[test]
    fn shrink_drops_clean_folios_oldest_first_and_passes_over_locked_ones() {
        let (frames, cache) = (pool(), SwapCache::default());
        let busy = reading(cache.find_or_add(1, &frames, true));
        reading(cache.find_or_add(2, &frames, true)).finish_read(true);
        reading(cache.find_or_add(3, &frames, true)).finish_read(true);
        let writing = Arc::new(Folio::new_locked(frames.alloc_zeroed().unwrap()));
        writing.unlock();
        assert!(cache.insert_for_write(9, writing).is_none());
        assert_eq!(frames.in_use(), 4);
        assert_eq!(cache.shrink(&frames, 1, 16, &HostClock::new()), (2, 1));
        assert!(cache.get(2).is_none() && cache.get(3).is_some());
        assert_eq!(cache.shrink(&frames, 8, 16, &HostClock::new()), (2, 1));
        assert!(cache.get(1).is_some() && cache.get(9).is_some());
        assert_eq!(frames.in_use(), 2);
        busy.finish_read(true);
        assert_eq!(cache.shrink(&frames, 8, 16, &HostClock::new()), (1, 1));
        assert!(cache.get(1).is_none());
    }
}
