use crate::mm_core::MmConfig;
use crate::pagecache::tests::{small_space, MemFile};
use crate::pagecache::CacheConfig;
use crate::policy::{FaultPolicy, ForkLock};
use crate::space::AddressSpace;
use crate::stats::{Counter, HartStats};
use crate::types::{madv, map, prot, PAGE_SIZE};
use crate::vma_lock::tests::fault_lock;
use devices::cast::{low_u8, u64_to_usize};
use std::sync::Arc;
use std::time::{Duration, Instant};

const P: u64 = PAGE_SIZE;
const RW: u32 = prot::READ | prot::WRITE;
const ANON: u32 = map::PRIVATE | map::ANONYMOUS;

/// `pages` private anonymous pages in `space`, page `p` filled with `fill + p`.
fn fill(space: &AddressSpace, pages: u64, fill: u8) -> u64 {
    let base = space.mmap(0, pages * P, RW, ANON).unwrap();
    for p in 0..pages {
        let page = [fill.wrapping_add(low_u8(p)); u64_to_usize(PAGE_SIZE)];
        space.write_bytes(base + p * P, &page).unwrap();
    }
    base
}

/// The first byte of the page at `addr`, checked to fill the page.
fn page_byte(space: &AddressSpace, addr: u64) -> u8 {
    let mut page = vec![0u8; u64_to_usize(P)];
    space.read_bytes(addr, &mut page).unwrap();
    assert!(
        page.iter().all(|&b| b == page[0]),
        "a torn page at {addr:#x}"
    );
    page[0]
}

fn total(space: &AddressSpace, name: &str) -> u64 {
    space.stats().total_of(name)
}

/// The frame the entry of `addr` maps, if it is valid.
fn frame_at(space: &AddressSpace, addr: u64) -> Option<u32> {
    let pte = space.core().page_table().lookup(addr);
    pte.is_valid().then(|| pte.frame())
}

#[test]
fn both_sides_write_after_fork_and_each_sees_its_own() {
    let parent = small_space(CacheConfig::default());
    let base = fill(&parent, 4, 10);
    let child = parent.fork().unwrap();
    assert!(Arc::ptr_eq(parent.machine(), child.machine()));
    assert_eq!(child.vmas().len(), parent.vmas().len());
    parent.write_bytes(base, &[b'p'; 8]).unwrap();
    child.write_bytes(base, &[b'c'; 8]).unwrap();
    child.write_bytes(base + P, &[b'c'; 8]).unwrap();
    let mut got = [0u8; 8];
    parent.read_bytes(base, &mut got).unwrap();
    assert_eq!(got, [b'p'; 8]);
    child.read_bytes(base, &mut got).unwrap();
    assert_eq!(got, [b'c'; 8]);
    parent.read_bytes(base + P, &mut got).unwrap();
    assert_eq!(got, [11; 8], "the child's store stayed the child's");
    // The parent's store copied page 0; the child, alone with it then, reused it; the
    // child's store to page 1 copied it.
    assert_eq!(total(&parent, "fork.count"), 1);
    assert_eq!(total(&parent, "fork.cow_faults"), 1);
    assert_eq!(total(&child, "fork.cow_faults"), 1);
    assert_ne!(frame_at(&parent, base), frame_at(&child, base));
    assert_eq!(page_byte(&parent, base + 2 * P), 12);
    assert_eq!(page_byte(&child, base + 3 * P), 13);
}

#[test]
fn a_page_written_by_neither_stays_one_frame() {
    let parent = small_space(CacheConfig::default());
    let base = fill(&parent, 8, 1);
    let frames = parent.frames_in_use();
    let child = parent.fork().unwrap();
    for p in 0..8 {
        assert_eq!(page_byte(&child, base + p * P), 1 + low_u8(p));
        assert_eq!(page_byte(&parent, base + p * P), 1 + low_u8(p));
        assert_eq!(
            frame_at(&parent, base + p * P),
            frame_at(&child, base + p * P)
        );
    }
    assert_eq!(parent.frames_in_use(), frames, "reads share the frames");
    assert_eq!(
        total(&parent, "fork.cow_faults") + total(&child, "fork.cow_faults"),
        0
    );
}

#[test]
fn mprotect_does_not_make_a_shared_page_writable() {
    let parent = small_space(CacheConfig::default());
    let base = fill(&parent, 1, 5);
    let child = parent.fork().unwrap();
    child.mprotect(base, P, prot::READ).unwrap();
    child.mprotect(base, P, RW).unwrap();
    child.write_bytes(base, &[9]).unwrap();
    assert_eq!(page_byte(&parent, base), 5);
    assert_eq!(total(&child, "fork.cow_faults"), 1);
}

#[test]
fn dontfork_wipeonfork_shared_and_locked_vmas_are_copied_as_linux_does() {
    let parent = small_space(CacheConfig::default());
    let gone = fill(&parent, 1, 1);
    parent.madvise(gone, P, madv::DONTFORK).unwrap();
    let wiped = fill(&parent, 1, 2);
    parent.madvise(wiped, P, madv::WIPEONFORK).unwrap();
    let locked = fill(&parent, 1, 3);
    parent.mlock(locked, P, 0).unwrap();
    let shared = parent.mmap(0, P, RW, map::SHARED | map::ANONYMOUS).unwrap();
    parent.write_bytes(shared, &[4]).unwrap();
    let child = parent.fork().unwrap();
    let mut b = [0u8];
    assert!(child.read_bytes(gone, &mut b).is_err(), "not copied");
    assert_eq!(page_byte(&child, wiped), 0, "wiped");
    assert_eq!(page_byte(&parent, wiped), 2);
    let vma = child
        .vmas()
        .into_iter()
        .find(|v| v.start == locked)
        .unwrap();
    assert!(
        !vma.flags.contains(crate::vma::VmaFlags::LOCKED),
        "mlock is not inherited"
    );
    assert_eq!(page_byte(&child, locked), 3);
    // A shared mapping stays shared: a store on either side shows on the other.
    child.write_bytes(shared, &[7]).unwrap();
    parent.read_bytes(shared, &mut b).unwrap();
    assert_eq!(b, [7]);
}

#[test]
fn a_private_file_mapping_shares_its_cache_pages_and_copies_its_own() {
    let parent = small_space(CacheConfig::default());
    let file = parent.page_cache().file((3, 1), MemFile::patterned(2));
    let base = parent
        .mmap_file(0, 2 * P, RW, map::PRIVATE, (file.clone(), 0))
        .unwrap();
    let mut b = [0u8];
    parent.read_bytes(base, &mut b).unwrap();
    let cached = b[0];
    parent.write_bytes(base + P, &[42]).unwrap();
    let child = parent.fork().unwrap();
    // The clean page is the cache's on both sides; the parent's copy is shared.
    assert_eq!(frame_at(&parent, base), frame_at(&child, base));
    assert_eq!(frame_at(&parent, base + P), frame_at(&child, base + P));
    child.write_bytes(base + P, &[43]).unwrap();
    child.write_bytes(base, &[44]).unwrap();
    parent.read_bytes(base + P, &mut b).unwrap();
    assert_eq!(b, [42]);
    parent.read_bytes(base, &mut b).unwrap();
    assert_eq!(b, [cached], "the file page is untouched");
    assert_eq!(
        total(&child, "fork.cow_faults"),
        1,
        "only the shared copy counts"
    );
}

/// A space with swap and `pages` private anonymous pages, all paged out.
fn swapped_out(pages: u64, limit: Option<u64>) -> (Arc<AddressSpace>, u64) {
    let space = small_space(CacheConfig {
        swap: Some(1 << 20),
        mem_limit: limit,
        ..CacheConfig::default()
    });
    let base = fill(&space, pages, 1);
    space.madvise(base, pages * P, madv::PAGEOUT).unwrap();
    (space, base)
}

#[test]
fn a_swapped_out_page_is_shared_by_its_slot_and_copied_on_write() {
    let pages = 8;
    let (parent, base) = swapped_out(pages, None);
    let slots = total(&parent, "swap.slots_used");
    assert_eq!(slots, pages);
    let child = parent.fork().unwrap();
    assert_eq!(
        total(&parent, "swap.slots_used"),
        slots,
        "slots shared, not copied"
    );
    // The child reads its page back: the parent's entry still names the slot.
    assert_eq!(page_byte(&child, base), 1);
    assert_eq!(total(&parent, "swap.slots_used"), slots);
    // The parent finds it in the swap cache: one frame for both.
    assert_eq!(page_byte(&parent, base), 1);
    assert_eq!(frame_at(&parent, base), frame_at(&child, base));
    assert_eq!(total(&parent, "swap.slots_used"), slots - 1);
    child.write_bytes(base, &[b'c'; 4]).unwrap();
    assert_eq!(page_byte(&parent, base), 1);
    // A store to a page swapped in while the other side still names its slot copies it.
    parent.write_bytes(base + P, &[b'p'; 4]).unwrap();
    assert_eq!(page_byte(&child, base + P), 2);
    assert_eq!(
        total(&parent, "fork.cow_faults") + total(&child, "fork.cow_faults"),
        2
    );
    for p in 2..pages {
        assert_eq!(page_byte(&child, base + p * P), 1 + low_u8(p));
        assert_eq!(page_byte(&parent, base + p * P), 1 + low_u8(p));
    }
    assert_eq!(total(&parent, "swap.slots_used"), 0);
}

#[test]
fn fork_under_a_memory_limit_keeps_both_sides_apart_through_swap() {
    let pages = 48;
    let limit = 32;
    let parent = small_space(CacheConfig {
        swap: Some(1 << 20),
        mem_limit: Some(limit * P),
        ..CacheConfig::default()
    });
    let base = fill(&parent, pages, 1);
    assert!(
        total(&parent, "swap.outs") > 0,
        "the limit sent pages to swap"
    );
    let child = parent.fork().unwrap();
    for p in 0..pages {
        child
            .write_bytes(base + p * P, &[200u8.wrapping_add(low_u8(p)); 16])
            .unwrap();
    }
    let mut b = [0u8; 16];
    for p in 0..pages {
        parent.read_bytes(base + p * P, &mut b).unwrap();
        assert_eq!(b, [1 + low_u8(p); 16], "parent page {p}");
        child.read_bytes(base + p * P, &mut b).unwrap();
        assert_eq!(b, [200u8.wrapping_add(low_u8(p)); 16], "child page {p}");
    }
    assert!(u64::from(parent.frames_in_use()) <= limit + 1);
}

#[test]
fn a_child_gone_frees_exactly_its_own_frames_and_slots() {
    let (parent, base) = swapped_out(4, None);
    let more = fill(&parent, 4, 50);
    let frames = parent.frames_in_use();
    let slots = total(&parent, "swap.slots_used");
    let child = parent.fork().unwrap();
    // Two private copies, one swap-in (a frame the parent's slot entry keeps cached).
    child.write_bytes(more, &[1]).unwrap();
    child.write_bytes(more + P, &[1]).unwrap();
    assert_eq!(page_byte(&child, base), 1);
    assert_eq!(parent.frames_in_use(), frames + 3);
    drop(child);
    // Its copies are gone; the page it swapped in stays cached for the parent's entry.
    assert_eq!(parent.frames_in_use(), frames + 1);
    assert_eq!(total(&parent, "swap.slots_used"), slots);
    assert_eq!(page_byte(&parent, more), 50);
    assert_eq!(page_byte(&parent, base), 1);
    assert_eq!(total(&parent, "swap.slots_used"), slots - 1);
    assert_eq!(
        parent.frames_in_use(),
        frames + 1,
        "mapped from the swap cache"
    );
}

fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

/// A space under `policy` and `fork_lock` with a private anonymous VMA and a shared
/// file VMA; returns their addresses.
fn two_kinds(policy: &FaultPolicy, fork_lock: ForkLock) -> (Arc<AddressSpace>, u64, u64) {
    let space = AddressSpace::new(MmConfig {
        frame_pool_bytes: 1 << 22,
        policy: policy.clone(),
        fork_lock,
        ..MmConfig::default()
    })
    .unwrap();
    let anon = fill(&space, 2, 1);
    let file = space.page_cache().file((5, 1), MemFile::patterned(2));
    let shared = space
        .mmap_file(0, 2 * P, RW, map::SHARED, (file, 0))
        .unwrap();
    (space, anon, shared)
}

#[test]
fn with_all_a_file_fault_waits_behind_dup_mmap_and_with_anon_cow_it_need_not() {
    for policy in FaultPolicy::PRESETS {
        let per_vma = policy.tries_vma_lock();
        for fork_lock in [ForkLock::All, ForkLock::AnonCow] {
            let (space, anon, shared) = two_kinds(&policy, fork_lock);
            let stats = HartStats::default();
            let caller = space.core().caller();
            // While dup_mmap copies: can a fault take the file VMA's lock, the anonymous
            // one's?
            let (file_open, anon_open) = crate::fork::dup_mmap(space.core(), &caller, |_, _| {
                (
                    fault_lock(&space, shared, &stats).is_some(),
                    fault_lock(&space, anon, &stats).is_some(),
                )
            })
            .unwrap();
            let name = (policy.spec(), fork_lock.name());
            if !per_vma {
                // Without per-VMA locks (no VMA is write-locked) faults take mmap_lock,
                // which fork holds for write: they wait behind it whatever the knob says.
                assert!(anon_open && file_open, "{name:?}");
                assert_eq!(total(&space, "vma_lock.write_locked"), 0, "{name:?}");
                assert_eq!(total(&space, "fork.count"), 1, "{name:?}");
                continue;
            }
            assert!(!anon_open, "{name:?}: the private VMA is write-locked");
            assert_eq!(
                file_open,
                fork_lock == ForkLock::AnonCow,
                "{name:?}: the file VMA"
            );
            // The attempts that found their VMA write-locked abort to mmap_lock, which
            // fork holds: with `all` the file fault's too.
            let aborts = match fork_lock {
                ForkLock::All => 2,
                ForkLock::AnonCow => 1,
            };
            assert_eq!(stats.get(Counter::VmaLockAbort), aborts, "{name:?}");
            // A file fault holding its VMA lock across I/O when fork comes.
            let held = fault_lock(&space, shared, &stats).expect("free");
            let forker = {
                let space = space.clone();
                std::thread::spawn(move || space.fork().map(drop))
            };
            if fork_lock == ForkLock::All {
                wait_for("fork to mark the file VMA", || {
                    held.node().lock().writer_waiting()
                });
                std::thread::sleep(Duration::from_millis(20));
                assert!(!forker.is_finished(), "{name:?}: fork waits for the fault");
                drop(held);
                forker.join().unwrap().unwrap();
                assert!(
                    total(&space, "fork.vma_write_wait_ns") >= 20_000_000,
                    "{name:?}"
                );
            } else {
                forker.join().unwrap().unwrap();
                drop(held);
                assert_eq!(total(&space, "fork.vma_write_wait_ns"), 0, "{name:?}");
            }
            assert_eq!(total(&space, "fork.count"), 2, "{name:?}");
            assert!(total(&space, "fork.dup_mmap_ns") > 0, "{name:?}");
        }
    }
}

#[test]
fn reclaim_swaps_out_a_page_fork_shares_from_both_sides_at_once() {
    let limit = 32;
    let parent = small_space(CacheConfig {
        swap: Some(1 << 20),
        mem_limit: Some(limit * P),
        ..CacheConfig::default()
    });
    let base = fill(&parent, 16, 1);
    let child = parent.fork().unwrap();
    let more = fill(&parent, 48, 100);
    let swapped = |s: &AddressSpace, p: u64| s.core().page_table().lookup(base + p * P);
    let both: Vec<u64> = (0..16)
        .filter(|&p| swapped(&parent, p).is_swap() && swapped(&child, p).is_swap())
        .collect();
    assert!(!both.is_empty(), "no shared page went to swap");
    for &p in &both {
        assert_eq!(
            swapped(&parent, p).swap_slot(),
            swapped(&child, p).swap_slot(),
            "one slot for both sides"
        );
    }
    assert!(u64::from(parent.frames_in_use()) <= limit + 1);
    child.write_bytes(base, &[b'c'; 4]).unwrap();
    for p in 0..16 {
        assert_eq!(
            page_byte(&parent, base + p * P),
            1 + low_u8(p),
            "parent {p}"
        );
    }
    for p in 1..16 {
        assert_eq!(page_byte(&child, base + p * P), 1 + low_u8(p), "child {p}");
    }
    let mut b = [0u8; 4];
    child.read_bytes(base, &mut b).unwrap();
    assert_eq!(b, [b'c'; 4]);
    assert_eq!(page_byte(&parent, more + 47 * P), 147);
}

#[test]
fn reclaim_swaps_out_shared_memory_both_sides_map() {
    let limit = 32;
    let pages = 24;
    let parent = small_space(CacheConfig {
        swap: Some(1 << 20),
        mem_limit: Some(limit * P),
        ..CacheConfig::default()
    });
    let shared = parent
        .mmap(0, pages * P, RW, map::SHARED | map::ANONYMOUS)
        .unwrap();
    for p in 0..pages {
        parent
            .write_bytes(shared + p * P, &[1 + low_u8(p); 64])
            .unwrap();
    }
    let child = parent.fork().unwrap();
    for p in 0..pages {
        assert_eq!(child.read_bytes(shared + p * P, &mut [0u8; 1]), Ok(()));
    }
    fill(&parent, 32, 100);
    let out = |p: u64| {
        let (a, b) = (
            frame_at(&parent, shared + p * P),
            frame_at(&child, shared + p * P),
        );
        a.is_none() && b.is_none()
    };
    assert!((0..pages).any(out), "no shared page left both spaces");
    child.write_bytes(shared, &[b'c'; 8]).unwrap();
    let mut b = [0u8; 8];
    parent.read_bytes(shared, &mut b).unwrap();
    assert_eq!(b, [b'c'; 8], "still one object");
    for p in 1..pages {
        parent.read_bytes(shared + p * P, &mut b).unwrap();
        assert_eq!(b, [1 + low_u8(p); 8], "page {p}");
    }
}
