//! Linux's active and inactive LRU lists (`mm/vmscan.c`), one pair per kind of page:
//! page-cache pages and private anonymous pages each have their own [`Lru`].
//!
//! New pages enter the inactive list: file pages as in every Linux, anonymous ones as
//! since Linux 5.8 ("protect the workingset on anonymous LRU"), so that memory touched
//! once streams through the inactive list without pushing the working set out. Reclaim
//! takes a batch from the inactive tail and asks the rules of `folio_check_references`
//! ([`inactive_verdict`]) about each page, from what [`Scanner::look`] finds: how many
//! page-table entries mapping it had their accessed bit set (test-and-cleared), whether
//! one of them is executable, and the page's own referenced and active flags (Linux's
//! PG_referenced and PG_active, set by read(2) through `mark_accessed`):
//! - a page `mark_accessed` promoted (accessed twice) goes to the active list;
//! - an anonymous page with a young entry is activated at once;
//! - a file page with a young entry is activated if it was referenced before, is
//!   mapped young more than once or is executable (Linux's VM_EXEC rule); otherwise it
//!   keeps its place at the inactive head with its referenced flag set, so a second
//!   reference before the next look activates it;
//! - an unreferenced page is reclaimed.
//!
//! When the inactive list gets short against the active one ([`Lru::inactive_is_low`]),
//! `shrink_active_list` moves pages from the active tail to the inactive head, clearing
//! their accessed bits and flags; executable file pages still in use stay active. Pages an
//! mlocked VMA maps are unevictable: they are set aside, not rotated, until the mappings
//! change (munlock and munmap publish a new VMA snapshot), as Linux's unevictable list is
//! emptied back on munlock. MADV_COLD moves pages to the inactive tail, so reclaim takes
//! them first.
//!
//! Lists hold entries, not pages: an entry whose page is gone (dropped from the cache,
//! unmapped, swapped out by MADV_PAGEOUT) is dropped when reclaim reaches it.

use parking_lot::Mutex;
use std::collections::VecDeque;

/// Pages reclaim takes off a list at a time (Linux's `SWAP_CLUSTER_MAX`).
pub(crate) const BATCH: usize = 32;

/// Pages of one kind in the order reclaim considers them. In each queue the front is
/// the tail (the oldest, looked at first) and the back the head.
pub(crate) struct Lru<T> {
    active: VecDeque<T>,
    inactive: VecDeque<T>,
    /// Pages mapped by an mlocked VMA when reclaim last looked.
    unevictable: Vec<T>,
    /// The VMA snapshot generation under which `unevictable` was judged.
    judged_at: u64,
}

impl<T> Default for Lru<T> {
    fn default() -> Self {
        Lru {
            active: VecDeque::new(),
            inactive: VecDeque::new(),
            unevictable: Vec::new(),
            judged_at: 0,
        }
    }
}

impl<T> Lru<T> {
    /// Adds a new page at the inactive head.
    pub(crate) fn add(&mut self, page: T) {
        self.inactive.push_back(page);
    }

    /// Pages on the active and inactive lists (unevictable ones aside).
    pub(crate) fn len(&self) -> usize {
        self.active.len() + self.inactive.len()
    }

    /// Pages on the inactive list.
    pub(crate) fn inactive_len(&self) -> usize {
        self.inactive.len()
    }

    /// Linux's `inactive_is_low`: the inactive list should hold at least
    /// 1/(1 + ratio) of the pages, the ratio being √(10 × GiB) (1 below 1 GiB).
    pub(crate) fn inactive_is_low(&self) -> bool {
        let gib = (self.len() as u64 * crate::types::PAGE_SIZE) >> 30;
        let ratio = if gib == 0 { 1 } else { (10 * gib).isqrt() };
        (self.inactive.len() as u64) * ratio < self.active.len() as u64
    }

    /// Puts the unevictable pages back on the inactive list if the mappings changed
    /// since they were set aside (`generation` is the VMA snapshot's).
    pub(crate) fn rescue_unevictable(&mut self, generation: u64) {
        if self.judged_at != generation {
            self.judged_at = generation;
            self.inactive.extend(self.unevictable.drain(..));
        }
    }

    /// MADV_COLD: moves the pages `cold` selects to the inactive tail, in their order.
    pub(crate) fn make_cold(&mut self, cold: impl Fn(&T) -> bool) {
        let mut moved = VecDeque::new();
        for list in [&mut self.inactive, &mut self.active] {
            let (out, keep): (VecDeque<T>, VecDeque<T>) = list.drain(..).partition(&cold);
            *list = keep;
            moved.extend(out);
        }
        moved.append(&mut self.inactive);
        self.inactive = moved;
    }

    fn take_tail(list: &mut VecDeque<T>, n: usize) -> Vec<T> {
        let n = n.min(list.len());
        list.drain(..n).collect()
    }
}

/// What a look at a listed page found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Look {
    /// The entry no longer names its page (dropped, unmapped): it leaves the list.
    Gone,
    /// An mlocked VMA maps it.
    Unevictable,
    /// The page, with the references gathered (and cleared) by the look.
    Present(Refs),
}

/// The references reclaim found on a page. Looking clears them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Refs {
    /// Mapping entries whose accessed bit was set.
    pub young: u32,
    /// Whether one of those entries is executable.
    pub exec: bool,
    /// Linux's PG_referenced (file pages).
    pub referenced: bool,
    /// Linux's PG_active: `mark_accessed` promoted the page since it was listed.
    pub active: bool,
}

/// Where a page looked at on the inactive list goes (`folio_check_references`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// To the active head.
    Activate,
    /// Back to the inactive head, with its referenced flag set.
    Keep,
    /// Try to free it.
    Reclaim,
}

/// Linux's `folio_check_references` for a page of the inactive list; `anon` for
/// swap-backed pages.
pub(crate) fn inactive_verdict(anon: bool, r: Refs) -> Verdict {
    if r.active {
        return Verdict::Activate;
    }
    if r.young == 0 {
        return Verdict::Reclaim;
    }
    if anon || r.referenced || r.young > 1 || r.exec {
        Verdict::Activate
    } else {
        Verdict::Keep
    }
}

/// Whether a page at the active tail stays active (`shrink_active_list`): only
/// executable file pages in use do, since they are small and costly to lose.
pub(crate) fn stays_active(anon: bool, r: Refs) -> bool {
    !anon && r.young > 0 && r.exec
}

/// How reclaim looks at, flags and frees the pages of one kind.
pub(crate) trait Scanner {
    /// A list entry.
    type Page;
    /// Whether the pages are swap-backed (anonymous).
    const ANON: bool;
    /// Looks at `page`, test-and-clearing its accessed bits and flags.
    fn look(&mut self, page: &Self::Page) -> Look;
    /// Sets the page's referenced and active flags after a verdict.
    fn set_flags(&mut self, page: &Self::Page, referenced: bool, active: bool);
    /// Tries to free `page`; returns whether it was freed (else it stays listed).
    fn reclaim(&mut self, page: &Self::Page) -> bool;
}

/// What one pass over a kind's lists did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pass {
    /// Inactive pages looked at.
    pub scanned: usize,
    /// Pages freed.
    pub freed: u64,
    /// Pages moved to the active list.
    pub activated: u64,
    /// Pages moved from the active list to the inactive one.
    pub deactivated: u64,
}

/// Linux's `shrink_list` for one kind: refills the inactive list from the active tail
/// while it is low, then looks at up to `nr` pages from the inactive tail and reclaims
/// the unreferenced ones. No lock is held while pages are looked at or freed.
pub(crate) fn shrink_list<S: Scanner>(lru: &Mutex<Lru<S::Page>>, s: &mut S, nr: usize) -> Pass {
    let mut pass = Pass::default();
    if lru.lock().inactive_is_low() {
        pass.deactivated = shrink_active(lru, s, nr);
    }
    let batch = Lru::take_tail(&mut lru.lock().inactive, nr);
    pass.scanned = batch.len();
    let (mut active, mut inactive, mut unevictable) = (Vec::new(), Vec::new(), Vec::new());
    for page in batch {
        let r = match s.look(&page) {
            Look::Gone => continue,
            Look::Unevictable => {
                unevictable.push(page);
                continue;
            }
            Look::Present(r) => r,
        };
        match inactive_verdict(S::ANON, r) {
            Verdict::Activate => {
                s.set_flags(&page, true, true);
                active.push(page);
            }
            Verdict::Keep => {
                s.set_flags(&page, true, false);
                inactive.push(page);
            }
            Verdict::Reclaim if s.reclaim(&page) => pass.freed += 1,
            Verdict::Reclaim => inactive.push(page),
        }
    }
    pass.activated = active.len() as u64;
    let mut l = lru.lock();
    l.active.extend(active);
    l.inactive.extend(inactive);
    l.unevictable.extend(unevictable);
    pass
}

/// Linux's `shrink_active_list`: moves up to `nr` pages from the active tail to the
/// inactive head, clearing their references. Returns how many it moved.
fn shrink_active<S: Scanner>(lru: &Mutex<Lru<S::Page>>, s: &mut S, nr: usize) -> u64 {
    let batch = Lru::take_tail(&mut lru.lock().active, nr);
    let (mut active, mut inactive, mut unevictable) = (Vec::new(), Vec::new(), Vec::new());
    for page in batch {
        match s.look(&page) {
            Look::Gone => {}
            Look::Unevictable => unevictable.push(page),
            Look::Present(r) if stays_active(S::ANON, r) => active.push(page),
            Look::Present(_) => {
                s.set_flags(&page, false, false);
                inactive.push(page);
            }
        }
    }
    let moved = inactive.len() as u64;
    let mut l = lru.lock();
    l.active.extend(active);
    l.inactive.extend(inactive);
    l.unevictable.extend(unevictable);
    moved
}

#[cfg(test)]
mod tests;
