//! A page of the page cache ([`Folio`]): its frame and the flags that say whether its
//! bytes may be used (`uptodate`), whether they must go back to the file (`dirty`, since
//! when), whether they are on their way there (`writeback`) and whether someone is
//! filling or writing it (the folio lock).
//!
//! Dirtiness is the model's state (what Linux would still have to write back, and when
//! it became so); which bytes the host file actually lacks is tracked apart from it
//! (`stored`): a write(2) puts its bytes into the host file at once and leaves the page
//! dirty only as state, while a store through a shared mapping changes only the frame,
//! whose bytes the write-back must then copy to the file.
//!
//! The folio lock has its own wait queue of parkers, so a fault waiting for a read in
//! flight sleeps through the same seam as every other wait and is woken, with all the
//! other waiters, when the reader unlocks.

use crate::frames::FrameId;
use devices::{Clock, Cost, Parker, WaitNote};
use parking_lot::Mutex;
use std::sync::Arc;

#[derive(Default)]
struct FolioState {
    locked: bool,
    uptodate: bool,
    dirty: bool,
    /// When it last went from clean to dirty (monotonic ns): the flusher writes back
    /// pages dirty for longer than the expiry.
    dirtied_at: u64,
    /// Its bytes are being written back (Linux's PG_writeback): a sync must wait for it
    /// even though it is no longer dirty.
    writeback: bool,
    /// The frame holds bytes the host file lacks (a store through a shared mapping since
    /// the last write-back took them).
    stored: bool,
    /// The write-back in flight copies the frame's bytes to the file (it took `stored`).
    copying: bool,
    /// The read that filled it failed: faults on it get SIGBUS, read(2) EIO.
    error: bool,
    /// Linux's PG_referenced: used since reclaim last looked at it ([`crate::lru`]).
    referenced: bool,
    /// Linux's PG_active: on the active list, or promoted there by a second use.
    active: bool,
    waiters: Vec<Arc<Parker>>,
}

/// One cached page of a file.
pub struct Folio {
    frame: FrameId,
    state: Mutex<FolioState>,
}

impl std::fmt::Debug for Folio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.state.lock();
        f.debug_struct("Folio")
            .field("frame", &self.frame)
            .field("locked", &s.locked)
            .field("uptodate", &s.uptodate)
            .field("dirty", &s.dirty)
            .finish()
    }
}

impl Folio {
    /// A folio over `frame`, locked and not yet up to date: its creator fills it and
    /// then calls [`Folio::finish_read`].
    pub fn new_locked(frame: FrameId) -> Folio {
        Folio {
            frame,
            state: Mutex::new(FolioState {
                locked: true,
                ..FolioState::default()
            }),
        }
    }

    /// A folio over `frame`, locked and already up to date: a page a write fills whole,
    /// or one past the end of the file, needs no read.
    pub fn new_filled(frame: FrameId) -> Folio {
        Folio {
            frame,
            state: Mutex::new(FolioState {
                locked: true,
                uptodate: true,
                ..FolioState::default()
            }),
        }
    }

    /// The frame holding the page's bytes.
    pub fn frame(&self) -> FrameId {
        self.frame
    }

    /// Whether the bytes are valid.
    pub fn is_uptodate(&self) -> bool {
        self.state.lock().uptodate
    }

    /// Whether someone holds the folio lock.
    pub fn is_locked(&self) -> bool {
        self.state.lock().locked
    }

    /// Whether the read that filled it failed.
    pub fn has_error(&self) -> bool {
        self.state.lock().error
    }

    /// Whether it holds bytes not yet written to the file.
    pub fn is_dirty(&self) -> bool {
        self.state.lock().dirty
    }

    /// Notes a use (Linux's `folio_mark_accessed`): the first sets the referenced flag,
    /// a second one while it is set promotes the page to the active list (reclaim moves
    /// it there when it next looks).
    pub fn mark_accessed(&self) {
        let mut s = self.state.lock();
        if s.referenced && !s.active {
            s.active = true;
            s.referenced = false;
        } else {
            s.referenced = true;
        }
    }

    /// Takes the referenced and active flags, clearing them.
    pub fn take_lru_flags(&self) -> (bool, bool) {
        let mut s = self.state.lock();
        (
            std::mem::take(&mut s.referenced),
            std::mem::take(&mut s.active),
        )
    }

    /// Sets the referenced and active flags (reclaim's verdict on the page).
    pub fn set_lru_flags(&self, referenced: bool, active: bool) {
        let mut s = self.state.lock();
        s.referenced = referenced;
        s.active = active;
    }

    /// Marks it as changed at `now` (monotonic ns): a store through a shared mapping,
    /// which was allowed only once this is done (`stored`: the frame will hold bytes the
    /// file lacks), or a write(2), whose bytes are already in the file. Returns whether
    /// it is dirty only from now on (neither dirty nor under write-back before), so the
    /// caller counts it.
    pub fn mark_dirty(&self, now: u64, stored: bool) -> bool {
        let mut s = self.state.lock();
        s.stored |= stored;
        if !s.dirty {
            s.dirty = true;
            s.dirtied_at = now;
            return !s.writeback;
        }
        false
    }

    /// When it last became dirty, if it is dirty.
    pub fn dirty_since(&self) -> Option<u64> {
        let s = self.state.lock();
        s.dirty.then_some(s.dirtied_at)
    }

    /// Whether a sync must wait for it: dirty, or its write-back still in flight.
    pub fn needs_sync(&self) -> bool {
        let s = self.state.lock();
        s.dirty || s.writeback
    }

    /// Whether its write-back is in flight.
    pub fn under_writeback(&self) -> bool {
        self.state.lock().writeback
    }

    /// Takes the folio lock if it is free, charging the lock operation to `clock`; never
    /// waits (fault-around uses this).
    pub fn try_lock(&self, clock: &dyn Clock) -> bool {
        let taken = !std::mem::replace(&mut self.state.lock().locked, true);
        if taken {
            clock.charge(Cost::Lock, 1);
        }
        taken
    }

    /// Takes the folio lock, sleeping on `clock` until it is free.
    pub fn lock(&self, clock: &dyn Clock) {
        while !self.try_lock(clock) {
            self.wait_unlocked(clock);
        }
    }

    /// Sleeps on `clock` until the folio lock is free (without taking it).
    pub fn wait_unlocked(&self, clock: &dyn Clock) {
        let parker = Arc::new(Parker::new());
        loop {
            {
                let mut s = self.state.lock();
                if !s.locked {
                    return;
                }
                s.waiters.push(parker.clone());
            }
            if clock.is_virtual() {
                // The folio lock records no owner; its frame names it.
                clock.note_wait(WaitNote {
                    what: format!("folio lock (frame {})", self.frame),
                    holders: Vec::new(),
                });
            }
            clock.park(&parker);
        }
    }

    /// Releases the folio lock and wakes every waiter.
    pub fn unlock(&self) {
        let waiters = {
            let mut s = self.state.lock();
            debug_assert!(s.locked, "unlock of an unlocked folio");
            s.locked = false;
            std::mem::take(&mut s.waiters)
        };
        for w in waiters {
            w.unpark();
        }
    }

    /// Ends the read its creator started: up to date on success, in error otherwise;
    /// unlocks.
    pub fn finish_read(&self, ok: bool) {
        {
            let mut s = self.state.lock();
            s.uptodate = ok;
            s.error = !ok;
        }
        self.unlock();
    }

    /// Called with the folio lock held as reclaim drops it from the cache: whoever still
    /// holds it finds it no longer up to date (and without error) and looks again.
    pub fn evict(&self) {
        self.state.lock().uptodate = false;
    }

    /// Called with the folio lock held before its bytes are written back (and its
    /// mappings write-protected): moves it from dirty to under write-back. Returns
    /// whether it was dirty (if not, nothing was started).
    pub fn start_writeback(&self) -> bool {
        let mut s = self.state.lock();
        if !std::mem::take(&mut s.dirty) {
            return false;
        }
        s.writeback = true;
        s.copying = std::mem::take(&mut s.stored);
        true
    }

    /// Whether the frame holds bytes a shared mapping stored that the host file lacks
    /// yet (dirty from a store, or under a write-back that copies them).
    pub(crate) fn holds_stores(&self) -> bool {
        let s = self.state.lock();
        s.stored || (s.writeback && s.copying)
    }

    /// Whether the write-back in flight must copy the frame's bytes to the file (a
    /// shared mapping stored into it); if not, the file has them already and the
    /// write-back is only timed.
    pub fn copies_bytes(&self) -> bool {
        self.state.lock().copying
    }

    /// Ends a write-back started by [`Folio::start_writeback`]: a failed one makes the
    /// page dirty again (at `now`), so its bytes are not lost. Returns whether the page
    /// is now clean, so the caller stops counting it (a store may have dirtied it again
    /// meanwhile).
    pub fn end_writeback(&self, ok: bool, now: u64) -> bool {
        let mut s = self.state.lock();
        s.writeback = false;
        let copying = std::mem::take(&mut s.copying);
        if !ok {
            s.stored |= copying;
            if !s.dirty {
                s.dirty = true;
                s.dirtied_at = now;
            }
        }
        !s.dirty
    }

    /// Called with the folio lock held as the page leaves the cache without write-back
    /// (truncated away): forgets its changes. Returns whether it was dirty.
    pub fn cancel_dirty(&self) -> bool {
        let mut s = self.state.lock();
        s.stored = false;
        std::mem::take(&mut s.dirty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn a_new_folio_is_locked_and_not_uptodate_until_its_read_finishes() {
        let f = Folio::new_locked(3);
        assert!(f.is_locked() && !f.is_uptodate() && !f.try_lock(&devices::HostClock::new()));
        f.finish_read(true);
        assert!(!f.is_locked() && f.is_uptodate() && !f.has_error());
        let g = Folio::new_locked(4);
        g.finish_read(false);
        assert!(!g.is_uptodate() && g.has_error());
    }

    #[test]
    fn waiters_sleep_until_the_lock_is_released() {
        let f = Arc::new(Folio::new_locked(1));
        let woke = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (f, woke) = (f.clone(), woke.clone());
            std::thread::spawn(move || {
                f.wait_unlocked(&devices::HostClock::new());
                woke.store(true, Ordering::SeqCst);
                assert!(f.is_uptodate());
            })
        };
        devices::HostClock::new().sleep_ns(20_000_000);
        assert!(!woke.load(Ordering::SeqCst));
        f.finish_read(true);
        waiter.join().unwrap();
        assert!(woke.load(Ordering::SeqCst));
    }

    #[test]
    fn write_back_takes_the_dirty_flag_once() {
        let f = Folio::new_locked(1);
        assert!(f.mark_dirty(5, true) && !f.mark_dirty(6, true));
        assert_eq!(f.dirty_since(), Some(5));
        assert!(f.start_writeback() && !f.is_dirty() && f.needs_sync());
        assert!(!f.start_writeback());
        assert!(f.end_writeback(true, 7) && !f.needs_sync());
    }

    #[test]
    fn a_page_dirtied_during_its_write_back_stays_dirty_and_counted() {
        let f = Folio::new_locked(1);
        f.mark_dirty(1, true);
        assert!(f.start_writeback());
        assert!(!f.mark_dirty(2, true), "still counted from before");
        assert!(!f.end_writeback(true, 3), "dirty again: not clean");
        assert_eq!(f.dirty_since(), Some(2));
    }

    #[test]
    fn a_failed_write_back_makes_the_page_dirty_again() {
        let f = Folio::new_locked(1);
        f.mark_dirty(1, true);
        assert!(f.start_writeback());
        assert!(!f.end_writeback(false, 9));
        assert_eq!(f.dirty_since(), Some(9));
        assert!(f.cancel_dirty() && !f.needs_sync());
    }

    #[test]
    fn only_stores_through_a_mapping_make_a_write_back_copy_bytes() {
        let f = Folio::new_locked(1);
        f.mark_dirty(1, false);
        assert!(
            f.start_writeback() && !f.copies_bytes(),
            "write(2): timed only"
        );
        assert!(f.end_writeback(true, 2));
        f.mark_dirty(3, true);
        f.mark_dirty(4, false);
        assert!(
            f.start_writeback() && f.copies_bytes(),
            "a store is in the frame only"
        );
        assert!(!f.end_writeback(false, 5));
        assert!(
            f.start_writeback() && f.copies_bytes(),
            "a failed copy is tried again"
        );
        assert!(f.end_writeback(true, 6));
        f.mark_dirty(7, false);
        assert!(f.start_writeback() && !f.copies_bytes(), "copied once");
    }
}
