//! TLB shootdown: making sure no hart can still reach a translation before the frame or
//! permission behind it goes away.
//!
//! Every attached hart publishes a [`HartShared`]: whether it is running guest code, and
//! the last TLB generation it acknowledged. An initiator (holding `mmap_lock` for write,
//! after changing the page table) bumps the space's generation, raises the shootdown
//! request bit on every attached hart, and waits until each other hart either is outside
//! guest code or has acknowledged the new generation. A hart acknowledges at a block
//! boundary by flushing its whole TLB.
//!
//! Ordering (a Dekker handshake, all SeqCst):
//! - initiator: clear entries; `generation += 1`; raise bits; load each `in_guest`;
//! - hart entering guest code: store `in_guest = true`; load `generation`; flush if it
//!   moved.
//!
//! Either the initiator sees `in_guest == true` (and waits for the acknowledgement) or the
//! hart sees the new generation (and flushes before touching guest memory, and its walks
//! then see the cleared entries, which were stored before the generation). A hart leaving
//! guest code stores `in_guest = false` after its last access through the TLB, so the
//! initiator that reads `false` frees frames only after those accesses.

use crate::caller::{Caller, HartShared};
use devices::{Cost, Parker, SharedClock, WaitNote};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// The shootdown state of one address space.
pub(crate) struct Shootdown {
    /// The clock an initiator waits for acknowledgements on.
    clock: SharedClock,
    generation: AtomicU64,
    harts: Mutex<Vec<Arc<HartShared>>>,
    /// Initiators parked waiting for acknowledgements.
    waiters: Mutex<Vec<Arc<Parker>>>,
    nwaiters: AtomicUsize,
}

/// How long an initiator spins, then yields, before it parks between checks (on the host
/// clock only: under a virtual one the harts it waits for run only once it parks).
const SPIN_ROUNDS: u32 = 64;
const YIELD_ROUNDS: u32 = 64;
/// How long a parked initiator sleeps before checking again on its own (acknowledging
/// harts normally wake it sooner).
const PARK_TIMEOUT_NS: u64 = 200_000;

impl Shootdown {
    /// No harts yet, generation 0; initiators wait on `clock`.
    pub(crate) fn new(clock: SharedClock) -> Self {
        Shootdown {
            clock,
            generation: AtomicU64::new(0),
            harts: Mutex::default(),
            waiters: Mutex::default(),
            nwaiters: AtomicUsize::new(0),
        }
    }

    /// The current TLB generation.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Registers a hart; returns the generation its (empty) TLB is current with.
    pub(crate) fn attach(&self, hart: Arc<HartShared>) -> u64 {
        let mut harts = self.harts.lock();
        harts.push(hart);
        // Read under the list lock: an initiator that bumps later also sees the hart.
        self.generation()
    }

    /// Unregisters a hart that no longer uses its TLB.
    pub(crate) fn detach(&self, hart: &Arc<HartShared>) {
        hart.in_guest.store(false, Ordering::SeqCst);
        hart.owner.store(0, Ordering::Relaxed);
        self.harts.lock().retain(|h| !Arc::ptr_eq(h, hart));
        self.notify_waiters();
    }

    /// Invalidates every TLB: returns once no hart other than `initiator` can still use a
    /// translation made before the call. The initiator's own hart gets the request too and
    /// flushes at its next block boundary (or when it re-enters guest code). Returns how
    /// many other harts it had to wait for (those in guest code when it started).
    pub(crate) fn shoot(&self, initiator: Option<&HartShared>) -> usize {
        let gen = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let harts: Vec<Arc<HartShared>> = self.harts.lock().clone();
        for h in &harts {
            h.signal.raise_shootdown();
        }
        let mut pending: Vec<&Arc<HartShared>> = harts
            .iter()
            .filter(|h| !initiator.is_some_and(|i| std::ptr::eq(&***h, i)))
            .collect();
        pending.retain(|h| !h.released(gen));
        let waited_for = pending.len();
        self.clock.charge(Cost::Shootdown, waited_for as u64);
        let mut parker: Option<Arc<Parker>> = None;
        // Spinning or yielding the host CPU is of no use under a virtual clock: the
        // harts to acknowledge cannot run while this one holds the baton.
        let mut round = match self.clock.is_virtual() {
            true => SPIN_ROUNDS + YIELD_ROUNDS,
            false => 0u32,
        };
        loop {
            pending.retain(|h| !h.released(gen));
            if pending.is_empty() {
                break;
            }
            round += 1;
            if round <= SPIN_ROUNDS {
                for _ in 0..32 {
                    std::hint::spin_loop();
                }
            } else if round <= SPIN_ROUNDS + YIELD_ROUNDS {
                std::thread::yield_now();
            } else {
                let p = parker.get_or_insert_with(|| {
                    let p = Arc::new(Parker::new());
                    self.waiters.lock().push(p.clone());
                    // SeqCst pairs with the load in `notify_waiters`: a hart that
                    // acknowledges after this store sees a waiter and unparks it.
                    self.nwaiters.fetch_add(1, Ordering::SeqCst);
                    p
                });
                if pending.iter().all(|h| h.released(gen)) {
                    continue;
                }
                if self.clock.is_virtual() {
                    // Every acknowledgement unparks this initiator, and a virtual clock
                    // loses no wake-up: no timed look, so that a hart that never comes
                    // back shows in the wait report instead of a poll that never ends.
                    self.clock.note_wait(WaitNote {
                        what: "TLB shootdown acknowledgement".to_string(),
                        holders: pending.iter().map(|h| h.tid).collect(),
                    });
                    self.clock.park(p);
                } else {
                    let deadline = self.clock.now_ns() + PARK_TIMEOUT_NS;
                    self.clock.park_until(p, deadline);
                }
            }
        }
        if let Some(p) = parker {
            self.waiters.lock().retain(|w| !Arc::ptr_eq(w, &p));
            self.nwaiters.fetch_sub(1, Ordering::SeqCst);
        }
        waited_for
    }

    /// Asks every hart to flush its TLB at its next block boundary (or when it next
    /// enters guest code) and waits for none. Reclaim calls it after clearing accessed
    /// bits: a page hot in a TLB is used without a walk, so its bit would stay clear and
    /// the page would look idle. Once flushed, the next use walks and sets the bit again.
    /// x86 Linux skips this flush and relies on TLB capacity misses, which a 512-set
    /// software TLB with a small hot set never has; a per-page synchronous shootdown
    /// (`ptep_clear_flush_young`) would make every reclaim batch wait for every hart.
    /// One lazy flush per batch costs the harts a refill of their hot entries. (A batch
    /// that evicts pages shoots down every TLB anyway; this one matters for batches that
    /// only age pages: deactivations, batches of pages all referenced.)
    pub(crate) fn flush_lazily(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        for h in self.harts.lock().iter() {
            h.signal.raise_shootdown();
        }
    }

    /// Tells every hart that decoded code may be stale (see
    /// [`crate::hart_signal::HartSignal::raise_icache`]); waits for none.
    pub(crate) fn raise_icache(&self) {
        for h in self.harts.lock().iter() {
            h.signal.raise_icache();
        }
    }

    /// Wakes parked initiators: a hart calls this after acknowledging or leaving guest code.
    pub(crate) fn notify_waiters(&self) {
        if self.nwaiters.load(Ordering::SeqCst) == 0 {
            return;
        }
        for p in self.waiters.lock().iter() {
            p.unpark();
        }
    }

    /// Runs `wait` with the caller's hart out of guest state if it was in it: the holder
    /// of the lock being waited for may be waiting for this hart's acknowledgement. The
    /// hart's TLB cannot be flushed from here, so if a shootdown happened meanwhile its
    /// request stays raised and the hart flushes at its next block boundary.
    pub(crate) fn blocking<R>(&self, caller: &Caller, wait: impl FnOnce() -> R) -> R {
        let hart = caller.hart().filter(|h| h.in_guest.load(Ordering::Relaxed));
        if let Some(h) = hart {
            h.in_guest.store(false, Ordering::SeqCst);
            self.notify_waiters();
        }
        let r = wait();
        if let Some(h) = hart {
            h.in_guest.store(true, Ordering::SeqCst);
            if h.acked_gen.load(Ordering::SeqCst) != self.generation() {
                h.signal.raise_shootdown();
            }
        }
        r
    }
}
