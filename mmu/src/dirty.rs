//! [`DirtyAccount`]: how many page-cache pages are not yet in their files, and the
//! thresholds at which the flusher wakes and writers are throttled.

use devices::Parker;
use std::sync::atomic::{AtomicU64, Ordering};

/// The cache's count of pages whose bytes are not yet in their files (dirty, or under
/// write-back), and the thresholds Linux derives from `dirty_background_ratio` and
/// `dirty_ratio`.
#[derive(Debug)]
pub(crate) struct DirtyAccount {
    pages: AtomicU64,
    /// Above this many the flusher writes back whatever is dirty.
    background: AtomicU64,
    /// Above this many a writer is throttled.
    limit: AtomicU64,
    /// Wakes the flusher.
    pub(crate) wake: Parker,
}

impl DirtyAccount {
    /// The account of a cache that may use `dirtyable` pages: thresholds at 10% and 20%.
    pub(crate) fn new(dirtyable: u64) -> DirtyAccount {
        let account = DirtyAccount {
            pages: AtomicU64::new(0),
            background: AtomicU64::new(0),
            limit: AtomicU64::new(0),
            wake: Parker::new(),
        };
        account.set_thresholds(dirtyable);
        account
    }

    /// The cache may use `dirtyable` pages from now on (the memory limit moved): the
    /// thresholds follow, and the flusher looks again.
    pub(crate) fn resize(&self, dirtyable: u64) {
        self.set_thresholds(dirtyable);
        self.wake.unpark();
    }

    fn set_thresholds(&self, dirtyable: u64) {
        self.background
            .store((dirtyable / 10).max(1), Ordering::Relaxed);
        self.limit.store((dirtyable / 5).max(2), Ordering::Relaxed);
    }

    /// Above this many pages the flusher writes back whatever is dirty.
    pub(crate) fn background(&self) -> u64 {
        self.background.load(Ordering::Relaxed)
    }

    /// Above this many pages a writer is throttled.
    pub(crate) fn limit(&self) -> u64 {
        self.limit.load(Ordering::Relaxed)
    }

    /// Pages not yet in their files.
    pub(crate) fn pages(&self) -> u64 {
        self.pages.load(Ordering::Acquire)
    }

    /// One more page not in its file; past the background threshold the flusher wakes.
    pub(crate) fn dirtied(&self) {
        if self.pages.fetch_add(1, Ordering::AcqRel) + 1 > self.background() {
            self.wake.unpark();
        }
    }

    /// `n` pages are in their files again (or gone).
    pub(crate) fn cleaned(&self, n: u64) {
        self.pages.fetch_sub(n, Ordering::AcqRel);
    }
}
