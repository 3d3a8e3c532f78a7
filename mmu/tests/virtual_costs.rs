//! Under a virtual clock the memory manager's work takes exactly the time its cost model
//! charges: a first store to a fresh anonymous page costs a TLB miss, a fault, a VMA
//! lock and a page zeroed; a store that hits the TLB costs nothing.

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
