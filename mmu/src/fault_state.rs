//! The fault state machine of the arch fault handler (Linux's `do_user_addr_fault`),
//! with the fault-locking policy as a parameter.
//!
//! 1. Unless the policy is `mmap`, an attempt under the per-VMA lock
//!    (`vma_index::lock_vma_for_fault`). Done, or a permission failure, counts
//!    `vma_lock.success`. An abort goes to step 2. A RETRY (the handler dropped the VMA
//!    lock to wait) counts `vma_lock.retry` and carries TRIED if the attempt was major;
//!    `vma-retry` then makes the attempt again under the per-VMA lock (with TRIED its
//!    waits hold the lock, so that ends it), the other policies go to step 2.
//! 2. Under `mmap_lock` for read (a trylock first, then a killable wait): no VMA is
//!    SIGSEGV, a permission failure too; a RETRY loops with TRIED set.
//!
//! Every RETRY counts `faults.retry`; a thread with a fatal signal pending does not go
//! round again after one.
//!
//! The per-page work is a [`PageFaultHandler`]. Where it would have to wait — for I/O, or
//! for a folio someone else holds locked — it calls [`FaultCtx::wait_for`], the hook
//! point where the policy and TRIED decide between waiting with the fault lock held and
//! dropping it, waiting and returning [`FaultOutcome::Retry`]. The page cache and swap
//! wait there; other anonymous memory never waits.

use crate::caller::Caller;
use crate::events::{FaultWaitRecord, MmEvent};
use crate::folio::Folio;
use crate::mm_core::{MmCore, MmState};
use crate::pagetable::Pte;
use crate::policy::{FaultLock, FaultPolicy, PageWait, WaitAction};
use crate::reclaim;
use crate::rwsem::RwSemReadGuard;
use crate::stats::Counter;
use crate::stats::HartStats;
use crate::types::FaultError;
use crate::types::{Access, FaultKind};
use crate::vma::Vma;
use crate::vma_index::{self, VmaReadGuard, VmaView};

/// How one fault attempt ended (Linux's `vm_fault_t`, reduced to what the state machine
/// acts on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultOutcome {
    /// The page is mapped: its entry.
    Done(Pte),
    /// The handler dropped the fault lock to wait; the fault must be made again.
    /// `major` when the attempt started I/O.
    Retry {
        /// Whether the attempt was a major fault.
        major: bool,
    },
    /// The access cannot be satisfied.
    Error(FaultError),
}

/// The fault lock a [`FaultCtx`] holds; dropping it releases the lock.
enum HeldLock<'a> {
    Vma { _guard: VmaReadGuard },
    Mmap { _guard: RwSemReadGuard<'a, MmState> },
}

/// A fault attempt's locking context: the policy, TRIED, and the lock held.
pub struct FaultCtx<'a> {
    space: &'a MmCore,
    caller: &'a Caller,
    policy: FaultPolicy,
    tried: bool,
    kind: FaultLock,
    lock: Option<HeldLock<'a>>,
}

/// The attempt dropped its fault lock at a wait point and must return
/// [`FaultOutcome::Retry`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MustRetry;

impl<'a> FaultCtx<'a> {
    /// Whose fault this is.
    pub(crate) fn caller(&self) -> &'a Caller {
        self.caller
    }

    /// Whether this is a TRIED pass.
    pub fn tried(&self) -> bool {
        self.tried
    }

    /// Whether the fault lock is still held.
    pub fn holds_lock(&self) -> bool {
        self.lock.is_some()
    }

    /// The hook point: the fault must wait for `what` before it can go on, and `wait`
    /// does that waiting (out of guest state). Depending on the policy, the lock and
    /// TRIED, it either waits holding the fault lock and returns `Ok`, or drops the lock,
    /// waits and returns [`MustRetry`].
    pub fn wait_for(&mut self, what: PageWait, wait: impl FnOnce()) -> Result<(), MustRetry> {
        debug_assert!(self.holds_lock(), "a wait point after the lock was dropped");
        let action = self.policy.on_wait(self.kind, self.tried, what);
        if action == WaitAction::DropAndRetry {
            self.lock = None;
        }
        let clock = self.space.clock();
        let start = clock.now_ns();
        self.space.blocking(self.caller, wait);
        self.space
            .stats_of(self.caller)
            .record(MmEvent::FaultWait(FaultWaitRecord {
                at_ns: start,
                wait_ns: clock.now_ns() - start,
                what,
                lock: self.kind,
                held: action == WaitAction::WaitHolding,
                tried: self.tried,
            }));
        match action {
            WaitAction::WaitHolding => Ok(()),
            WaitAction::DropAndRetry => Err(MustRetry),
        }
    }
}

/// The per-page work of a fault (Linux's `handle_mm_fault`), called with `vma` held
/// stable by the context's lock; `vma` allows `access`.
pub trait PageFaultHandler {
    /// Makes the page at `addr` accessible for `access`.
    fn handle(&self, ctx: &mut FaultCtx<'_>, vma: &Vma, addr: u64, access: Access) -> FaultOutcome;
}

/// Resolves a fault of the caller's hart at `addr` under `policy`, looking VMAs up in
/// `view`. Returns the page's entry, which allows `access`.
pub(crate) fn handle_guest_fault(
    space: &MmCore,
    caller: &Caller,
    view: &mut VmaView,
    policy: FaultPolicy,
    addr: u64,
    access: Access,
    handler: &dyn PageFaultHandler,
) -> Result<Pte, FaultError> {
    let stats = space.stats_of(caller);
    let mut tried = false;
    if policy.tries_vma_lock() {
        loop {
            space.vma_index().refresh(view);
            let Some(guard) = vma_index::lock_vma_for_fault(space.vma_index(), view, addr, stats)
            else {
                break;
            };
            let node = guard.node().clone();
            if !node.allows(access) {
                stats.add(Counter::VmaLockSuccess, 1);
                return Err(FaultError::Fault(FaultKind::Protection));
            }
            let mut ctx = FaultCtx {
                space,
                caller,
                policy,
                tried,
                kind: FaultLock::Vma,
                lock: Some(HeldLock::Vma { _guard: guard }),
            };
            match handler.handle(&mut ctx, &node, addr, access) {
                FaultOutcome::Done(pte) => {
                    stats.add(Counter::VmaLockSuccess, 1);
                    return Ok(pte);
                }
                FaultOutcome::Error(e) => {
                    stats.add(Counter::VmaLockSuccess, 1);
                    return Err(e);
                }
                FaultOutcome::Retry { major } => {
                    debug_assert!(!ctx.holds_lock(), "RETRY with the VMA lock held");
                    stats.add(Counter::VmaLockRetry, 1);
                    stats.add(Counter::FaultsRetry, 1);
                    tried |= major;
                    if fatal_pending(caller) {
                        return Err(FaultError::Killed);
                    }
                    if !policy.retries_under_vma_lock() {
                        break;
                    }
                }
            }
        }
    }
    loop {
        let mm = space
            .lock_read_killable(caller)
            .map_err(|_| FaultError::Killed)?;
        let node = mm
            .vmas
            .find_node(addr)
            .ok_or(FaultError::Fault(FaultKind::Unmapped))?
            .clone();
        if !node.allows(access) {
            return Err(FaultError::Fault(FaultKind::Protection));
        }
        let mut ctx = FaultCtx {
            space,
            caller,
            policy,
            tried,
            kind: FaultLock::Mmap,
            lock: Some(HeldLock::Mmap { _guard: mm }),
        };
        match handler.handle(&mut ctx, &node, addr, access) {
            FaultOutcome::Done(pte) => return Ok(pte),
            FaultOutcome::Error(e) => return Err(e),
            FaultOutcome::Retry { .. } => {
                debug_assert!(!ctx.holds_lock(), "RETRY with mmap_lock held");
                stats.add(Counter::FaultsRetry, 1);
                tried = true;
                if fatal_pending(caller) {
                    return Err(FaultError::Killed);
                }
            }
        }
    }
}

/// Linux's `fault_signal_pending`: a fault that dropped its lock does not go round again
/// for a thread that is dying.
fn fatal_pending(caller: &Caller) -> bool {
    caller.hart().is_some_and(|h| h.signal.fatal_pending())
}

/// Where a file fault waits: through the policy's hook, or (system calls and populate,
/// with `mmap_lock` held) simply in place.
pub(crate) enum Waits<'c, 'a> {
    /// A guest fault: the policy decides.
    Policy(&'c mut FaultCtx<'a>),
    /// Wait holding whatever lock the caller holds.
    InPlace,
}

impl Waits<'_, '_> {
    /// Waits for `what` with `wait`, as the policy says; `Err` once the lock is dropped.
    pub(crate) fn wait(&mut self, what: PageWait, wait: impl FnOnce()) -> Result<(), MustRetry> {
        match self {
            Waits::Policy(ctx) => ctx.wait_for(what, wait),
            Waits::InPlace => {
                wait();
                Ok(())
            }
        }
    }

    /// A major fault has just started reading `folio` in: counts a retry that finds its
    /// page gone again (`faults.retry_io_miss`), reclaims while the space is over its
    /// limit, and waits for the read the policy's way. `Err` once the fault lock was
    /// dropped: the fault must be retried.
    pub(crate) fn wait_for_read(
        &mut self,
        space: &MmCore,
        caller: &Caller,
        stats: &HartStats,
        folio: &Folio,
    ) -> Result<(), MustRetry> {
        if self.tried() {
            stats.add(Counter::FaultsRetryIoMiss, 1);
        }
        reclaim::direct(space, caller, stats);
        self.wait(PageWait::Io, || folio.wait_unlocked(space.clock().as_ref()))
    }

    /// Whether an earlier attempt of this fault already waited for its page.
    pub(crate) fn tried(&self) -> bool {
        match self {
            Waits::Policy(ctx) => ctx.tried(),
            Waits::InPlace => false,
        }
    }
}

#[cfg(test)]
mod tests {
    //! The state machine driven by a scripted handler: each call takes the next step of
    //! its script and records which lock it held and whether it was a TRIED pass.
    use super::*;
    use crate::fault::PteFaultHandler;
    use crate::mm_core::MmConfig;
    use crate::space::AddressSpace;
    use crate::stats::{HartStats, MmStats};
    use crate::types::{map, prot, PAGE_SIZE};
    use parking_lot::Mutex;
    use std::collections::VecDeque;
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    use FaultLock::{Mmap as M, Vma as V};

    enum Step {
        /// Reach a wait point for this; `major` if the attempt started the I/O.
        Wait(PageWait, bool),
    }

    #[derive(Default)]
    struct Script {
        steps: Mutex<VecDeque<Step>>,
        calls: Mutex<Vec<(FaultLock, bool)>>,
    }

    impl Script {
        fn new(steps: impl IntoIterator<Item = Step>) -> Script {
            Script {
                steps: Mutex::new(steps.into_iter().collect()),
                ..Script::default()
            }
        }
    }

    impl PageFaultHandler for Script {
        fn handle(&self, ctx: &mut FaultCtx<'_>, vma: &Vma, _: u64, _: Access) -> FaultOutcome {
            self.calls.lock().push((ctx.kind, ctx.tried()));
            let Step::Wait(what, major) = self.steps.lock().pop_front().expect("a step left");
            match ctx.wait_for(what, || {}) {
                Ok(()) => FaultOutcome::Done(Pte::new(0, vma.prot)),
                Err(MustRetry) => FaultOutcome::Retry { major },
            }
        }
    }

    const IO: Step = Step::Wait(PageWait::Io, true);
    const BRIEF: Step = Step::Wait(PageWait::FolioLocked { uptodate: true }, false);

    fn space(policy: FaultPolicy) -> (Arc<AddressSpace>, u64) {
        let space = AddressSpace::new(MmConfig {
            frame_pool_bytes: 1 << 20,
            policy,
            ..MmConfig::default()
        })
        .unwrap();
        let a = space
            .mmap(
                0,
                4 * PAGE_SIZE,
                prot::READ | prot::WRITE,
                map::PRIVATE | map::ANONYMOUS,
            )
            .unwrap();
        (space, a)
    }

    /// Runs one fault at `a` under the space's policy with `script`; returns the calls
    /// the handler saw and the counters.
    fn run(policy: FaultPolicy, script: Script) -> (Vec<(FaultLock, bool)>, MmStats) {
        let (space, a) = space(policy);
        let caller = space.core().caller();
        let mut view = VmaView::default();
        let before = space.stats();
        let r = handle_guest_fault(
            space.core(),
            &caller,
            &mut view,
            policy,
            a,
            Access::Write,
            &script,
        );
        assert!(r.is_ok(), "{r:?}");
        assert!(script.steps.lock().is_empty(), "every step taken");
        let after = space.stats();
        let mut delta = MmStats::default();
        for (k, v) in &after.total {
            delta.total.insert(k.clone(), v - before.total_of(k));
        }
        let calls = script.calls.lock().clone();
        (calls, delta)
    }

    fn count(s: &MmStats, names: &[&str]) -> Vec<u64> {
        names.iter().map(|n| s.total_of(n)).collect()
    }

    const SIGNATURE: [&str; 5] = [
        "vma_lock.success",
        "vma_lock.retry",
        "faults.retry",
        "mmap_lock.read_acquired",
        "vma_lock.abort",
    ];

    #[test]
    fn mmap_drops_mmap_lock_for_io_then_waits_holding_it_on_the_tried_pass() {
        let (calls, s) = run(FaultPolicy::Mmap, Script::new([IO, IO]));
        assert_eq!(calls, vec![(M, false), (M, true)]);
        assert_eq!(count(&s, &SIGNATURE), vec![0, 0, 1, 2, 0]);
    }

    #[test]
    fn vma_drops_the_vma_lock_and_redoes_a_major_fault_under_mmap_lock_with_tried() {
        let (calls, s) = run(FaultPolicy::Vma, Script::new([IO, IO]));
        assert_eq!(calls, vec![(V, false), (M, true)]);
        assert_eq!(count(&s, &SIGNATURE), vec![0, 1, 1, 1, 0]);
    }

    #[test]
    fn vma_redoes_a_minor_retry_under_mmap_lock_without_tried() {
        let (calls, s) = run(FaultPolicy::Vma, Script::new([BRIEF, BRIEF, BRIEF]));
        assert_eq!(calls, vec![(V, false), (M, false), (M, true)]);
        assert_eq!(count(&s, &SIGNATURE), vec![0, 1, 2, 2, 0]);
    }

    #[test]
    fn vma_retry_goes_back_under_the_vma_lock_after_io() {
        let (calls, s) = run(FaultPolicy::VmaRetry, Script::new([IO, IO]));
        assert_eq!(calls, vec![(V, false), (V, true)]);
        assert_eq!(count(&s, &SIGNATURE), vec![1, 1, 1, 0, 0]);
    }

    #[test]
    fn vma_retry_waits_for_a_briefly_locked_uptodate_folio_holding_the_vma_lock() {
        let (calls, s) = run(FaultPolicy::VmaRetry, Script::new([BRIEF]));
        assert_eq!(calls, vec![(V, false)]);
        assert_eq!(count(&s, &SIGNATURE), vec![1, 0, 0, 0, 0]);
    }

    #[test]
    fn vma_hold_waits_for_io_holding_the_vma_lock() {
        let (calls, s) = run(FaultPolicy::VmaHold, Script::new([IO]));
        assert_eq!(calls, vec![(V, false)]);
        assert_eq!(count(&s, &SIGNATURE), vec![1, 0, 0, 0, 0]);
    }

    fn wait_for(what: &str, cond: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !cond() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::yield_now();
        }
    }

    #[test]
    fn a_fault_on_a_vma_being_written_goes_the_mmap_lock_way() {
        for policy in [
            FaultPolicy::Vma,
            FaultPolicy::VmaRetry,
            FaultPolicy::VmaHold,
        ] {
            let (space, a) = space(policy);
            let stats = HartStats::default();
            // A reader holds the VMA, so an mprotect of it waits with the VMA marked.
            let mut view = VmaView::default();
            space.core().vma_index().refresh(&mut view);
            let held =
                vma_index::lock_vma_for_fault(space.core().vma_index(), &mut view, a, &stats)
                    .expect("free");
            let mprotect = {
                let space = space.clone();
                std::thread::spawn(move || space.mprotect(a, PAGE_SIZE, prot::READ))
            };
            wait_for("the VMA marked", || held.node().lock().writer_waiting());
            let fault = {
                let space = space.clone();
                std::thread::spawn(move || {
                    let caller = space.core().caller();
                    let handler = PteFaultHandler {
                        space: space.core(),
                        stats: space.core().stats_of(&caller),
                    };
                    let mut view = VmaView::default();
                    let r = handle_guest_fault(
                        space.core(),
                        &caller,
                        &mut view,
                        policy,
                        a + 2 * PAGE_SIZE,
                        Access::Write,
                        &handler,
                    );
                    r.map(|pte| pte.allows(Access::Write))
                })
            };
            // Aborted, it queues for mmap_lock behind the writer.
            wait_for("the fault to queue", || {
                space.mmap_lock_state().queue.len() == 1
            });
            assert_eq!(space.stats().total_of("vma_lock.abort"), 1, "{policy}");
            drop(held);
            mprotect.join().unwrap().unwrap();
            assert_eq!(fault.join().unwrap(), Ok(true));
            let s = space.stats();
            assert_eq!(s.total_of("vma_lock.success"), 0, "{policy}");
            assert_eq!(s.total_of("mmap_lock.read_acquired"), 1, "{policy}");
            assert_eq!(s.total_of("faults.minor"), 1, "{policy}");
        }
    }

    #[test]
    fn a_fault_waiting_for_mmap_lock_dies_with_its_hart() {
        let (space, a) = space(FaultPolicy::Mmap);
        let mut h = space.attach_hart(7);
        let signal = h.signal();
        let writer = space.core().caller();
        let held = space.core().lock_write(&writer);
        let hart = std::thread::spawn(move || {
            h.enter_guest();
            h.store(a, 8, 1)
        });
        wait_for("the fault to queue", || {
            space.mmap_lock_state().queue.len() == 1
        });
        signal.kill();
        let err = hart.join().unwrap().unwrap_err();
        assert_eq!((err.kind, err.signal()), (FaultKind::Killed, 9));
        drop(held);
        assert_eq!(space.stats().hart_of(7, "mmap_lock.killed"), 1);
        assert!(space.mmap_lock_state().queue.is_empty());
    }
}
