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
    /// The same for a page being read back from swap.
    Swap(PageWait, bool),
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
        let (backing, what, major) = match self.steps.lock().pop_front().expect("a step left") {
            Step::Wait(what, major) => (vma.fault_backing(), what, major),
            Step::Swap(what, major) => (FaultBacking::Swap, what, major),
        };
        match ctx.wait_for(backing, what, || {}) {
            Ok(()) => FaultOutcome::Done(Pte::new(0, vma.prot)),
            Err(_) => FaultOutcome::Retry { major },
        }
    }
}

const IO: Step = Step::Wait(PageWait::Io, true);
const BRIEF: Step = Step::Wait(PageWait::FolioLocked { uptodate: true }, false);
const SWAP_IO: Step = Step::Swap(PageWait::Io, true);

fn custom(spec: &str) -> FaultPolicy {
    FaultPolicy::parse(spec).unwrap()
}

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
    let r = handle_guest_fault(space.core(), &caller, &mut view, a, Access::Write, &script);
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
    let (calls, s) = run(FaultPolicy::MMAP, Script::new([IO, IO]));
    assert_eq!(calls, vec![(M, false), (M, true)]);
    assert_eq!(count(&s, &SIGNATURE), vec![0, 0, 1, 2, 0]);
}

#[test]
fn vma_drops_the_vma_lock_and_redoes_a_major_fault_under_mmap_lock_with_tried() {
    let (calls, s) = run(FaultPolicy::VMA, Script::new([IO, IO]));
    assert_eq!(calls, vec![(V, false), (M, true)]);
    assert_eq!(count(&s, &SIGNATURE), vec![0, 1, 1, 1, 0]);
}

#[test]
fn vma_redoes_a_minor_retry_under_mmap_lock_without_tried() {
    let (calls, s) = run(FaultPolicy::VMA, Script::new([BRIEF, BRIEF, BRIEF]));
    assert_eq!(calls, vec![(V, false), (M, false), (M, true)]);
    assert_eq!(count(&s, &SIGNATURE), vec![0, 1, 2, 2, 0]);
}

#[test]
fn vma_retry_goes_back_under_the_vma_lock_after_io() {
    let (calls, s) = run(FaultPolicy::VMA_RETRY, Script::new([IO, IO]));
    assert_eq!(calls, vec![(V, false), (V, true)]);
    assert_eq!(count(&s, &SIGNATURE), vec![1, 1, 1, 0, 0]);
}

#[test]
fn vma_retry_waits_for_a_briefly_locked_uptodate_folio_holding_the_vma_lock() {
    let (calls, s) = run(FaultPolicy::VMA_RETRY, Script::new([BRIEF]));
    assert_eq!(calls, vec![(V, false)]);
    assert_eq!(count(&s, &SIGNATURE), vec![1, 0, 0, 0, 0]);
}

#[test]
fn vma_hold_waits_for_io_holding_the_vma_lock() {
    let (calls, s) = run(FaultPolicy::VMA_HOLD, Script::new([IO]));
    assert_eq!(calls, vec![(V, false)]);
    assert_eq!(count(&s, &SIGNATURE), vec![1, 0, 0, 0, 0]);
}

#[test]
fn anon_first_mmap_aborts_the_vma_attempt_of_an_anonymous_fault() {
    let (calls, s) = run(custom("x:anon.first=mmap"), Script::new([IO, IO]));
    assert_eq!(calls, vec![(M, false), (M, true)]);
    assert_eq!(count(&s, &SIGNATURE), vec![0, 0, 1, 2, 1]);
    // Only the file VMAs' faults would go under mmap_lock first.
    let (calls, _) = run(custom("x:file.first=mmap"), Script::new([IO, IO]));
    assert_eq!(calls, vec![(V, false), (M, true)]);
}

#[test]
fn retry_vma_with_io_drop_goes_round_under_the_vma_lock_until_a_tried_pass_holds() {
    let script = Script::new([BRIEF, BRIEF, IO, IO]);
    let (calls, s) = run(custom("x:retry=vma"), script);
    assert_eq!(calls, vec![(V, false), (V, false), (V, false), (V, true)]);
    assert_eq!(count(&s, &SIGNATURE), vec![1, 3, 3, 0, 0]);
}

#[test]
fn a_swap_in_waits_by_the_swap_knobs() {
    let (calls, s) = run(custom("x:swap.io=hold"), Script::new([SWAP_IO]));
    assert_eq!(calls, vec![(V, false)]);
    assert_eq!(count(&s, &SIGNATURE), vec![1, 0, 0, 0, 0]);
    let (calls, _) = run(custom("x:swap.io=hold"), Script::new([IO, IO]));
    assert_eq!(calls, vec![(V, false), (M, true)]);
    let (calls, _) = run(custom("x:swap.retry=vma"), Script::new([SWAP_IO, SWAP_IO]));
    assert_eq!(calls, vec![(V, false), (V, true)]);
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
        FaultPolicy::VMA,
        FaultPolicy::VMA_RETRY,
        FaultPolicy::VMA_HOLD,
    ] {
        let (space, a) = space(policy.clone());
        let stats = HartStats::default();
        // A reader holds the VMA, so an mprotect of it waits with the VMA marked.
        let mut view = VmaView::default();
        space.core().vma_index().refresh(&mut view);
        let held = vma_index::lock_vma_for_fault(
            space.core().vma_index(),
            &mut view,
            a,
            (&stats, space.clock().as_ref()),
            |_| true,
        )
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
    let (space, a) = space(FaultPolicy::MMAP);
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
