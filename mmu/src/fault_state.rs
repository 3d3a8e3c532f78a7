//! The fault state machine of the arch fault handler (Linux's `do_user_addr_fault`),
//! with the fault-locking policy as a parameter.
//!
//! 1. Unless the policy's `first` is `mmap` for every backing, an attempt under the
//!    per-VMA lock (`vma_index::lock_vma_for_fault`); a VMA whose backing's `first` is
//!    `mmap` aborts it. Done, or a permission failure, counts `vma_lock.success`. An
//!    abort goes to step 2. A RETRY (the handler dropped the VMA lock to wait) counts
//!    `vma_lock.retry` and carries TRIED if the attempt was major; where the `retry` knob
//!    of the backing that waited is `vma` (as in `vma-retry`) the attempt is made again
//!    under the per-VMA lock (with TRIED its waits hold the lock, so that ends it), else
//!    the fault goes to step 2.
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
use crate::folio::Folio;
use crate::mm_core::{Cx, MmCore, MmState};
use crate::pagetable::Pte;
use crate::policy::{FaultBacking, FaultLock, FaultPolicy, PageWait, WaitAction};
use crate::reclaim;
use crate::rwsem::RwSemReadGuard;
use crate::stats::Counter;
use crate::types::FaultError;
use crate::types::{Access, FaultKind};
use crate::vma::Vma;
use crate::vma_index::{self, VmaReadGuard, VmaView};
use devices::trace::{self, catalog, TraceArg, TraceValue};
use devices::Cost;
use std::cell::Cell;

/// How a fault, or one step of it, ended (Linux's `vm_fault_t`, reduced to what the
/// fault layer acts on): the one signal every loop of the fault layer goes round on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultOutcome {
    /// The page is mapped: its entry.
    Done(Pte),
    /// What the step looked at changed under it (another fault filled the entry, a page
    /// went to swap or was reclaimed): the step is taken again, under the same lock.
    Again,
    /// The fault lock was dropped to wait; the fault must be made again. `major` when
    /// the attempt started I/O.
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
pub(crate) struct FaultCtx<'a> {
    space: &'a MmCore,
    caller: &'a Caller,
    policy: &'a FaultPolicy,
    tried: bool,
    kind: FaultLock,
    lock: Option<HeldLock<'a>>,
    /// The lock the retry takes once a wait dropped `lock`: the `retry` knob of the
    /// backing that waited.
    retry: FaultLock,
}

impl<'a> FaultCtx<'a> {
    /// Whose fault this is.
    pub(crate) fn caller(&self) -> &'a Caller {
        self.caller
    }

    /// Whether this is a TRIED pass.
    pub(crate) fn tried(&self) -> bool {
        self.tried
    }

    /// Whether the fault lock is still held.
    pub(crate) fn holds_lock(&self) -> bool {
        self.lock.is_some()
    }

    /// The hook point: a fault on `backing` must wait for `what` before it can go on,
    /// and `wait` does that waiting (out of guest state). Depending on the policy's knobs
    /// for `backing`, the lock and TRIED, it either waits holding the fault lock and
    /// returns `Ok`, or drops the lock, waits and returns the [`FaultOutcome::Retry`] the
    /// attempt ends with (major when it waited for I/O).
    pub(crate) fn wait_for(
        &mut self,
        backing: FaultBacking,
        what: PageWait,
        wait: impl FnOnce(),
    ) -> Result<(), FaultOutcome> {
        debug_assert!(self.holds_lock(), "a wait point after the lock was dropped");
        let action = self.policy.on_wait(backing, self.kind, self.tried, what);
        if action == WaitAction::DropAndRetry {
            self.lock = None;
            self.retry = self.policy.knobs(backing).retry;
        }
        let held = action == WaitAction::WaitHolding;
        trace::begin(
            catalog::FOLIO_WAIT,
            &[
                TraceArg::new(catalog::WHAT, TraceValue::Str(what.name())),
                TraceArg::new(catalog::LOCK, TraceValue::Str(self.kind.name())),
                TraceArg::new(catalog::HELD, TraceValue::Bool(held)),
                TraceArg::new(catalog::TRIED, TraceValue::Bool(self.tried)),
            ],
        );
        self.space.blocking(self.caller, wait);
        trace::end(&[]);
        match action {
            WaitAction::WaitHolding => Ok(()),
            WaitAction::DropAndRetry => Err(FaultOutcome::Retry {
                major: what == PageWait::Io,
            }),
        }
    }
}

/// The per-page work of a fault (Linux's `handle_mm_fault`), called with `vma` held
/// stable by the context's lock; `vma` allows `access`.
pub(crate) trait PageFaultHandler {
    /// Makes the page at `addr` accessible for `access`.
    fn handle(&self, ctx: &mut FaultCtx<'_>, vma: &Vma, addr: u64, access: Access) -> FaultOutcome;
}

/// Resolves a fault of the caller's hart at `addr` under the space's policy, looking
/// VMAs up in `view`. Returns the page's entry, which allows `access`. A thread that
/// records a trace shows it as a `fault` slice around its attempts.
pub(crate) fn handle_guest_fault(
    space: &MmCore,
    caller: &Caller,
    view: &mut VmaView,
    addr: u64,
    access: Access,
    handler: &dyn PageFaultHandler,
) -> Result<Pte, FaultError> {
    let mut trail = FaultTrail::default();
    if !trace::enabled() {
        return resolve_guest_fault(space, caller, view, (addr, access), handler, &mut trail);
    }
    trail.traced = true;
    let stats = space.stats_of(caller);
    let majors = stats.get(Counter::FaultsMajor);
    trace::begin(
        catalog::FAULT,
        &[
            TraceArg::new(catalog::ADDR, TraceValue::Addr(addr)),
            TraceArg::new(catalog::ACCESS, TraceValue::Str(access.name())),
        ],
    );
    let r = resolve_guest_fault(space, caller, view, (addr, access), handler, &mut trail);
    let outcome = match r {
        Ok(_) if stats.get(Counter::FaultsMajor) > majors => "major",
        Ok(_) => "minor",
        Err(e) => e.outcome_name(),
    };
    let outcome = TraceArg::new(catalog::OUTCOME, TraceValue::Str(outcome));
    let path = TraceArg::new(catalog::PATH, TraceValue::Str(trail.path()));
    match trail.attempts {
        // The common case says so by leaving the count out (a few bytes of each fault).
        1 => trace::end(&[outcome, path]),
        n => trace::end(&[
            outcome,
            path,
            TraceArg::new(catalog::ATTEMPTS, TraceValue::Uint(n)),
        ]),
    }
    trace_memory_in_steps(space);
    r
}

/// Pages of memory use between two samples of the memory counters taken by faults.
const MEMORY_SAMPLE_PAGES: u32 = 256;

thread_local! {
    /// The step of memory use this thread's faults last recorded.
    static MEMORY_STEP: Cell<u32> = const { Cell::new(u32::MAX) };
}

/// Records the memory counters when use has moved to another step of
/// [`MEMORY_SAMPLE_PAGES`] since this thread last did: resident memory drawn as it grows,
/// at a small fraction of the faults' records.
fn trace_memory_in_steps(space: &MmCore) {
    let step = space.frames().in_use() / MEMORY_SAMPLE_PAGES;
    if MEMORY_STEP.with(|s| s.replace(step)) != step {
        reclaim::trace_memory(space.frames());
    }
}

/// Which locks a fault's attempts took, and how many there were, for its trace slice.
#[derive(Debug, Default)]
struct FaultTrail {
    /// Whether the fault is traced: untraced, the attempts only count.
    traced: bool,
    vma: bool,
    mmap: bool,
    attempts: u64,
}

impl FaultTrail {
    /// Notes an attempt under `lock`, and opens its slice (with `tried` and, under a
    /// VMA lock, the VMA's start) — lazily: an attempt with nothing inside it (no wait,
    /// no lock taken) leaves no slice; the fault's `path` and `attempts` still count it.
    fn attempt(&mut self, lock: FaultLock, tried: bool, vma_start: u64) {
        self.attempts += 1;
        match lock {
            FaultLock::Vma => self.vma = true,
            FaultLock::Mmap => self.mmap = true,
        }
        if !self.traced {
            return;
        }
        trace::begin_lazy(
            catalog::FAULT_ATTEMPT,
            &[
                TraceArg::new(catalog::LOCK, TraceValue::Str(lock.name())),
                TraceArg::new(catalog::TRIED, TraceValue::Bool(tried)),
                TraceArg::new(catalog::VMA, TraceValue::Addr(vma_start)),
            ],
        );
    }

    /// Closes the attempt's slice with how it ended.
    fn attempt_ended(&self, outcome: &FaultOutcome) {
        if !self.traced {
            return;
        }
        let result = match outcome {
            FaultOutcome::Done(_) => "done",
            FaultOutcome::Retry { .. } => "retry",
            FaultOutcome::Error(_) => "error",
            FaultOutcome::Again => "again",
        };
        trace::end_lazy(&[TraceArg::new(catalog::RESULT, TraceValue::Str(result))]);
    }

    /// `vma`, `mmap` or `vma+mmap`.
    fn path(&self) -> &'static str {
        match (self.vma, self.mmap) {
            (true, true) => "vma+mmap",
            (true, false) => "vma",
            _ => "mmap",
        }
    }
}

/// The fault state machine proper (see the module docs); `trail` gathers what the
/// trace shows of it.
fn resolve_guest_fault(
    space: &MmCore,
    caller: &Caller,
    view: &mut VmaView,
    (addr, access): (u64, Access),
    handler: &dyn PageFaultHandler,
    trail: &mut FaultTrail,
) -> Result<Pte, FaultError> {
    space.clock().charge(Cost::Fault, 1);
    let policy = &space.config().policy;
    let stats = space.stats_of(caller);
    let mut tried = false;
    if policy.tries_vma_lock() {
        loop {
            space.vma_index().refresh(view);
            let clock = space.clock().as_ref();
            let first_vma = |v: &Vma| policy.knobs(v.fault_backing()).first == FaultLock::Vma;
            let Some(guard) = vma_index::lock_vma_for_fault(
                space.vma_index(),
                view,
                addr,
                (stats, clock),
                first_vma,
            ) else {
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
                retry: FaultLock::Mmap,
            };
            match attempt(handler, &mut ctx, &node, addr, access, trail) {
                FaultOutcome::Done(pte) => {
                    stats.add(Counter::VmaLockSuccess, 1);
                    return Ok(pte);
                }
                FaultOutcome::Again => unreachable!("settle takes the step again"),
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
                    if ctx.retry == FaultLock::Mmap {
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
            retry: FaultLock::Mmap,
        };
        match attempt(handler, &mut ctx, &node, addr, access, trail) {
            FaultOutcome::Done(pte) => return Ok(pte),
            FaultOutcome::Error(e) => return Err(e),
            FaultOutcome::Again => unreachable!("settle takes the step again"),
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

/// One attempt under the context's lock: its slice in a trace around [`settle`]. The
/// lock is released before the slice ends, so a hold slice of it nests inside.
fn attempt(
    handler: &dyn PageFaultHandler,
    ctx: &mut FaultCtx<'_>,
    vma: &Vma,
    addr: u64,
    access: Access,
    trail: &mut FaultTrail,
) -> FaultOutcome {
    trail.attempt(ctx.kind, ctx.tried, vma.start);
    let outcome = settle(handler, ctx, vma, addr, access);
    ctx.lock = None;
    trail.attempt_ended(&outcome);
    outcome
}

/// Takes the handler's step until it settles: after [`FaultOutcome::Again`] the step is
/// taken again, under the lock it still holds.
fn settle(
    handler: &dyn PageFaultHandler,
    ctx: &mut FaultCtx<'_>,
    vma: &Vma,
    addr: u64,
    access: Access,
) -> FaultOutcome {
    loop {
        match handler.handle(ctx, vma, addr, access) {
            FaultOutcome::Again => debug_assert!(ctx.holds_lock(), "AGAIN without the lock"),
            outcome => return outcome,
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
    /// Waits for `what` of a fault on `backing` with `wait`, as the policy says; `Err`
    /// with the attempt's [`FaultOutcome::Retry`] once the lock is dropped.
    pub(crate) fn wait(
        &mut self,
        backing: FaultBacking,
        what: PageWait,
        wait: impl FnOnce(),
    ) -> Result<(), FaultOutcome> {
        match self {
            Waits::Policy(ctx) => ctx.wait_for(backing, what, wait),
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
        cx: Cx<'_>,
        backing: FaultBacking,
        folio: &Folio,
    ) -> Result<(), FaultOutcome> {
        if self.tried() {
            cx.stats.add(Counter::FaultsRetryIoMiss, 1);
            trace::instant(catalog::RETRY_IO_MISS, &[]);
        }
        reclaim::direct(cx);
        self.wait(backing, PageWait::Io, || {
            folio.wait_unlocked(cx.core.clock().as_ref())
        })
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
mod tests;
