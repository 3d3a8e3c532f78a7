//! Under a virtual clock the memory manager's work takes exactly the time its cost model
//! charges: a first store to a fresh anonymous page costs a TLB miss, a fault, a VMA
//! lock and a page zeroed; a store that hits the TLB costs nothing; a shootdown costs its
//! price per hart it waits for, and waits for that hart's acknowledgement on the clock.

use devices::{spawn_task, Cost, CostModel, SharedClock, TaskKind, VirtualClock, VirtualConfig};
use mmu::{map, prot, AddressSpace, MmConfig, PAGE_SIZE};
use std::sync::mpsc;

/// A cost model where every entry is 0 except those `set` names, in picoseconds.
fn costs(set: &[(Cost, u64)]) -> CostModel {
    let mut m = CostModel::default();
    for c in Cost::ALL {
        m.set(c, 0);
    }
    for &(c, ps) in set {
        m.set(c, ps);
    }
    m
}

#[test]
fn first_stores_charge_a_miss_a_fault_a_lock_and_a_zeroed_page_and_hits_nothing() {
    let (tlb_miss, fault, lock, page_zero) = (3_000, 70_000, 500, 11_000);
    let clock: SharedClock = VirtualClock::new(VirtualConfig {
        costs: costs(&[
            (Cost::TlbMiss, tlb_miss),
            (Cost::Fault, fault),
            (Cost::Lock, lock),
            (Cost::PageZero, page_zero),
        ]),
        ..VirtualConfig::default()
    });
    let space = AddressSpace::new(MmConfig {
        frame_pool_bytes: 1 << 22,
        clock: clock.clone(),
        ..MmConfig::default()
    })
    .expect("a small space");
    let (tx, rx) = mpsc::channel();
    let c = clock.clone();
    let body = move || {
        let pages = 4;
        let a = space
            .mmap(
                0,
                pages * PAGE_SIZE,
                prot::READ | prot::WRITE,
                map::PRIVATE | map::ANONYMOUS,
            )
            .unwrap();
        let mut mem = space.attach_hart(1);
        let start = c.now_ns();
        for p in 0..pages {
            mem.store(a + p * PAGE_SIZE, 8, p).unwrap();
        }
        let first = c.now_ns() - start;
        let start = c.now_ns();
        for p in 0..pages {
            mem.store(a + p * PAGE_SIZE + 8, 8, p).unwrap();
        }
        tx.send((first, c.now_ns() - start)).unwrap();
    };
    let h = spawn_task(
        &clock,
        std::thread::Builder::new(),
        "t1",
        TaskKind::Hart { tid: 1 },
        body,
    )
    .unwrap();
    h.join().unwrap();
    let (first, again) = rx.recv().unwrap();
    let per_page_ps = tlb_miss + fault + lock + page_zero;
    assert_eq!(first, 4 * per_page_ps / 1000, "first stores");
    assert_eq!(again, 0, "stores that hit the TLB");
}

#[test]
fn a_shootdown_charges_each_hart_it_waits_for_and_waits_for_it_on_the_clock() {
    let shootdown = 1_000_000_000;
    let clock: SharedClock = VirtualClock::new(VirtualConfig {
        costs: costs(&[(Cost::Shootdown, shootdown), (Cost::Insn, 1_000)]),
        ..VirtualConfig::default()
    });
    let space = AddressSpace::new(MmConfig {
        frame_pool_bytes: 1 << 22,
        clock: clock.clone(),
        ..MmConfig::default()
    })
    .expect("a small space");
    let rw = prot::READ | prot::WRITE;
    let anon = map::PRIVATE | map::ANONYMOUS;
    let a = space.mmap(0, 2 * PAGE_SIZE, rw, anon).unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    // Hart 2 runs "guest code" (in guest state, acknowledging at each block boundary)
    // until hart 1's munmap is over.
    let guest = {
        let (space, c, done) = (space.clone(), clock.clone(), done.clone());
        move || {
            let mut mem = space.attach_hart(2);
            mem.store(a + PAGE_SIZE, 8, 1).unwrap();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                if mem.interrupt_pending() {
                    mem.service_interrupts();
                }
                c.charge(Cost::Insn, 1_000);
                c.yield_point();
            }
        }
    };
    let unmapper = {
        let c = clock.clone();
        move || {
            let mut mem = space.attach_hart(1);
            mem.store(a, 8, 1).unwrap();
            // Hart 2 gets to run and enter guest state first.
            c.sleep_ns(10_000);
            let start = c.now_ns();
            space.munmap(a, PAGE_SIZE).unwrap();
            tx.send(c.now_ns() - start).unwrap();
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    };
    let b = std::thread::Builder::new;
    let h2 = spawn_task(&clock, b(), "t2", TaskKind::Hart { tid: 2 }, guest).unwrap();
    let h1 = spawn_task(&clock, b(), "t1", TaskKind::Hart { tid: 1 }, unmapper).unwrap();
    h1.join().unwrap();
    h2.join().unwrap();
    let took = rx.recv().unwrap();
    // One target hart; its acknowledgement comes within one of its 1 µs steps.
    assert!(took >= shootdown / 1000, "munmap took {took} ns");
    assert!(took <= shootdown / 1000 + 2_000, "munmap took {took} ns");
}
