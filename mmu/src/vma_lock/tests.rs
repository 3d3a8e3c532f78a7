//! The protocol, scripted: each step is taken by the test, and a thread that must
//! block is seen blocking in the lock's state before the test goes on.
use super::*;
use crate::mm_core::MmConfig;
use crate::space::AddressSpace;
use crate::stats::{Counter, HartStats};
use crate::types::{map, prot, PAGE_SIZE};
use crate::vma_index::{lock_vma_for_fault, VmaReadGuard, VmaView};
use devices::HostClock;
use std::sync::Arc;
use std::time::{Duration, Instant};

const P: u64 = PAGE_SIZE;

fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

fn no_wait(_: u32, _: &dyn Fn()) {
    panic!("nobody to wait for");
}

#[test]
fn a_write_locked_vma_refuses_readers_until_the_session_ends() {
    let seq = AtomicU64::new(5);
    let l = VmaLock::new(0);
    assert_eq!(l.try_read(&seq), Ok(()));
    l.read_unlock();
    assert!(l.start_write(5, (0, P), &HostClock::new(), no_wait));
    assert_eq!(l.try_read(&seq), Err(ReadFail::Abort));
    assert!(
        !l.start_write(5, (0, P), &HostClock::new(), no_wait),
        "already write-locked in this session"
    );
    // Ending the session releases the write lock without touching the VMA.
    seq.store(6, Ordering::SeqCst);
    assert_eq!(l.try_read(&seq), Ok(()));
    l.read_unlock();
}

#[test]
fn a_vma_born_in_a_session_is_write_locked_in_it() {
    let seq = AtomicU64::new(3);
    let l = VmaLock::new(3);
    assert_eq!(l.try_read(&seq), Err(ReadFail::Abort));
    assert!(!l.start_write(3, (0, P), &HostClock::new(), no_wait));
}

#[test]
fn a_writer_marks_then_waits_for_readers_and_new_readers_fail_meanwhile() {
    let seq = Arc::new(AtomicU64::new(5));
    let l = Arc::new(VmaLock::new(0));
    assert_eq!(l.try_read(&seq), Ok(()));
    assert_eq!(l.try_read(&seq), Ok(()));
    let writer = {
        let l = l.clone();
        std::thread::spawn(move || l.start_write(5, (0, P), &HostClock::new(), |_, drain| drain()))
    };
    wait_for("the writer to mark the VMA", || l.writer_waiting());
    assert_eq!(l.try_read(&seq), Err(ReadFail::Abort), "being write-locked");
    assert_eq!(l.readers(), 2);
    l.read_unlock();
    assert!(
        !writer.is_finished() && l.writer_waiting(),
        "one reader left"
    );
    l.read_unlock();
    assert!(writer.join().unwrap());
    assert!(!l.writer_waiting() && l.is_write_locked(5));
    assert_eq!(l.try_read(&seq), Err(ReadFail::Abort));
}

#[test]
fn a_detached_vma_is_a_miss_once_its_session_ended() {
    let seq = AtomicU64::new(5);
    let l = VmaLock::new(0);
    assert!(l.start_write(5, (0, P), &HostClock::new(), no_wait));
    l.detach();
    assert_eq!(l.try_read(&seq), Err(ReadFail::Abort), "still write-locked");
    seq.store(6, Ordering::SeqCst);
    assert_eq!(l.try_read(&seq), Err(ReadFail::Miss));
    assert_eq!(l.readers(), 0, "the failed attempt left no reader behind");
}

fn space() -> Arc<AddressSpace> {
    AddressSpace::new(MmConfig {
        frame_pool_bytes: 1 << 20,
        ..MmConfig::default()
    })
    .unwrap()
}

const RW: u32 = prot::READ | prot::WRITE;
const ANON: u32 = map::PRIVATE | map::ANONYMOUS;

/// Read-locks the VMA at `addr` as a fault would, with a freshly refreshed view (fork's
/// tests use it too).
pub(crate) fn fault_lock(
    space: &AddressSpace,
    addr: u64,
    stats: &HartStats,
) -> Option<VmaReadGuard> {
    let mut view = VmaView::default();
    space.core().vma_index().refresh(&mut view);
    lock_vma_for_fault(
        space.core().vma_index(),
        &mut view,
        addr,
        (stats, space.clock().as_ref()),
        |_| true,
    )
}

#[test]
fn a_fault_that_finds_its_vma_replaced_looks_again() {
    let space = space();
    let stats = HartStats::default();
    let a = space.mmap(0, 4 * P, RW, ANON).unwrap();
    let mut view = VmaView::default();
    space.core().vma_index().refresh(&mut view);
    let old = view.find(a).unwrap().clone();
    // Replaced after this view was taken: mprotect splits the VMA.
    space.mprotect(a + 2 * P, 2 * P, prot::READ).unwrap();
    assert!(old.lock().is_detached());
    let g = lock_vma_for_fault(
        space.core().vma_index(),
        &mut view,
        a,
        (&stats, space.clock().as_ref()),
        |_| true,
    )
    .expect("found");
    assert!(!Arc::ptr_eq(g.node(), &old));
    assert_eq!((g.node().start, g.node().end), (a, a + 2 * P));
    assert_eq!(stats.get(Counter::VmaLockMiss), 1);
    assert_eq!(stats.get(Counter::VmaLockAbort), 0);
}

#[test]
fn no_vma_at_the_address_is_an_abort() {
    let space = space();
    let stats = HartStats::default();
    assert!(fault_lock(&space, 0x1000_0000, &stats).is_none());
    assert_eq!(stats.get(Counter::VmaLockAbort), 1);
}

#[test]
fn only_the_vmas_an_operation_changes_are_write_locked() {
    let space = space();
    let stats = HartStats::default();
    let a = space.mmap(0, 4 * P, RW, ANON).unwrap();
    let b = space.mmap(a - 4 * P, 4 * P, prot::READ, ANON).unwrap();
    assert_eq!(space.vmas().len(), 2);
    let held_b = fault_lock(&space, b, &stats).expect("b is free");
    let before = space.stats().total_of("vma_lock.write_locked");
    // Changing a's protection neither waits for b's reader nor locks b.
    let mprotect = {
        let space = space.clone();
        std::thread::spawn(move || space.mprotect(a, 4 * P, prot::READ | prot::EXEC))
    };
    wait_for("mprotect of a alone", || mprotect.is_finished());
    mprotect.join().unwrap().unwrap();
    let s = space.stats();
    assert_eq!(s.total_of("vma_lock.write_locked"), before + 1);
    // Asking for the protection it has already changes nothing and locks nothing.
    space.mprotect(a, 2 * P, prot::READ | prot::EXEC).unwrap();
    assert_eq!(space.stats().total_of("vma_lock.write_locked"), before + 1);
    assert!(!held_b.node().lock().is_detached());
    drop(held_b);
}

#[test]
fn a_change_waits_for_the_vmas_readers() {
    let space = space();
    let stats = HartStats::default();
    let a = space.mmap(0, 4 * P, RW, ANON).unwrap();
    let held = fault_lock(&space, a, &stats).expect("free");
    let mprotect = {
        let space = space.clone();
        std::thread::spawn(move || space.mprotect(a, P, prot::READ))
    };
    wait_for("mprotect to mark the VMA", || {
        held.node().lock().writer_waiting()
    });
    assert!(
        fault_lock(&space, a + 3 * P, &stats).is_none(),
        "new faults abort"
    );
    assert!(!mprotect.is_finished());
    drop(held);
    mprotect.join().unwrap().unwrap();
    let g = fault_lock(&space, a + 3 * P, &stats).expect("the new VMA");
    assert_eq!(g.node().start, a + P);
    assert!(space.stats().total_of("vma_lock.write_wait_ns") > 0);
}

#[test]
fn a_move_waits_for_the_source_vmas_readers_before_moving_anything() {
    use crate::types::mremap::{DONTUNMAP, FIXED, MAYMOVE};
    for flags in [MAYMOVE | FIXED, MAYMOVE | FIXED | DONTUNMAP] {
        let space = space();
        let stats = HartStats::default();
        let a = space.mmap(0, 2 * P, RW, ANON | map::POPULATE).unwrap();
        let held = fault_lock(&space, a, &stats).expect("free");
        // Far from `a`, so the moved VMA merges with nothing.
        let to = a - 64 * P;
        let mremap = {
            let space = space.clone();
            std::thread::spawn(move || space.mremap(a, 2 * P, 2 * P, flags, to))
        };
        wait_for("mremap to mark the source", || {
            held.node().lock().writer_waiting()
        });
        assert!(
            space.core().page_table().lookup(a).is_valid(),
            "nothing moved while a fault holds the source"
        );
        drop(held);
        assert_eq!(mremap.join().unwrap(), Ok(to));
        assert!(!space.core().page_table().lookup(a).is_valid());
        assert!(space.core().page_table().lookup(to).is_valid());
    }
}

#[test]
fn a_hart_waiting_to_write_lock_a_vma_does_not_hold_up_shootdowns() {
    let space = space();
    let stats = HartStats::default();
    let a = space.mmap(0, 2 * P, RW, ANON).unwrap();
    let held = fault_lock(&space, a, &stats).expect("free");
    // A hart calls mprotect straight from guest code and waits for the reader.
    let hart = {
        let space = space.clone();
        std::thread::spawn(move || {
            let mut h = space.attach_hart(2);
            h.enter_guest();
            space.mprotect(a, P, prot::READ)
        })
    };
    wait_for("the hart to wait for the reader", || {
        held.node().lock().writer_waiting()
    });
    // The reader shoots down TLBs (as MADV_DONTNEED under the VMA lock does): it
    // must not wait for the hart that waits for it.
    let shooter = {
        let space = space.clone();
        std::thread::spawn(move || space.core().shootdown().shoot(None))
    };
    wait_for("the shootdown", || shooter.is_finished());
    assert_eq!(
        shooter.join().unwrap(),
        0,
        "no hart in guest code to wait for"
    );
    drop(held);
    assert_eq!(hart.join().unwrap(), Ok(()));
}

#[test]
fn fork_write_locks_every_vma_and_the_session_end_releases_them_all() {
    let space = space();
    let stats = HartStats::default();
    let a = space.mmap(0, 2 * P, RW, ANON).unwrap();
    let b = space.mmap(a - 8 * P, 2 * P, prot::READ, ANON).unwrap();
    let caller = space.core().caller();
    let seen = crate::fork::dup_mmap(space.core(), &caller, |mm, _| {
        for v in mm.vmas.iter() {
            assert!(
                fault_lock(&space, v.start, &stats).is_none(),
                "{:#x}",
                v.start
            );
        }
        mm.vmas.len()
    });
    assert_eq!(seen, Ok(2));
    assert_eq!(stats.get(Counter::VmaLockAbort), 2);
    // Nothing changed, yet every VMA is readable again: released all at once.
    for addr in [a, b] {
        assert!(fault_lock(&space, addr, &stats).is_some());
    }
    assert_eq!(space.stats().total_of("vma_lock.write_locked"), 2);
}
