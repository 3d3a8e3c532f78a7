use super::*;
use crate::mm_core::MmConfig;
use crate::pagecache::tests::MemFile;
use crate::pagecache::CacheConfig;
use crate::space::AddressSpace;
use crate::types::{madv, map, prot, PAGE_SIZE};
use devices::cast::u64_to_usize;

const PAGES: u64 = 32;

/// A space without a memory limit (so no kswapd runs) with `PAGES` pages of a file
/// mapped shared, each read once through the mapping.
fn mapped() -> (Arc<AddressSpace>, Arc<CachedFile>, u64) {
    let space = AddressSpace::new(MmConfig {
        frame_pool_bytes: 1 << 22,
        cache: CacheConfig {
            readahead_bytes: 0,
            ..CacheConfig::default()
        },
        ..MmConfig::default()
    })
    .unwrap();
    let file = space.page_cache().file((5, 5), MemFile::patterned(PAGES));
    let base = space
        .mmap_file(
            0,
            PAGES * PAGE_SIZE,
            prot::READ,
            map::SHARED,
            (file.clone(), 0),
        )
        .unwrap();
    touch(&space, base, 0..PAGES);
    (space, file, base)
}

fn touch(space: &AddressSpace, base: u64, pages: std::ops::Range<u64>) {
    let mut b = [0u8; 1];
    for p in pages {
        space.read_bytes(base + p * PAGE_SIZE, &mut b).unwrap();
    }
}

fn cached(file: &CachedFile) -> Vec<u64> {
    (0..PAGES).filter(|&p| file.lookup(p).is_some()).collect()
}

fn scan(space: &AddressSpace, nr: usize) -> Pass {
    shrink_file(space.core(), &space.core().caller(), nr)
}

#[test]
fn mapped_pages_referenced_twice_are_activated_and_the_rest_reclaimed() {
    let (space, file, base) = mapped();
    let first = scan(&space, u64_to_usize(PAGES));
    assert_eq!((first.scanned, first.freed, first.activated), (32, 0, 0));
    touch(&space, base, 0..8);
    let second = scan(&space, u64_to_usize(PAGES));
    assert_eq!((second.freed, second.activated), (24, 8));
    assert_eq!(cached(&file), (0..8).collect::<Vec<_>>());
    assert!(
        !space
            .core()
            .page_table()
            .lookup(base + 8 * PAGE_SIZE)
            .is_valid(),
        "reclaimed pages are unmapped"
    );
}

#[test]
fn the_scan_is_split_by_swappiness_unless_inactive_file_pages_suffice() {
    let lists = |file: u64, anon: u64| {
        let mut f = Lru::default();
        for pgoff in 0..file {
            f.add(LruSlot {
                file: Weak::new(),
                pgoff,
                folio: Arc::new(crate::folio::Folio::new_locked(0)),
            });
        }
        let mut a = Lru::default();
        (0..anon).for_each(|p| a.add(p));
        (Mutex::new(f), Mutex::new(a))
    };
    let (f, a) = lists(10, 10);
    assert_eq!(scan_targets(&f, Some(&a), 100), [70, 30], "60 against 140");
    assert_eq!(scan_targets::<u64>(&f, None, 100), [100, 0], "no swap");
    let (f, a) = lists(10, 0);
    assert_eq!(
        scan_targets(&f, Some(&a), 100),
        [100, 0],
        "no anonymous pages"
    );
    let (f, a) = lists(100, 1000);
    assert_eq!(
        scan_targets(&f, Some(&a), 100),
        [100, 0],
        "enough inactive file"
    );
}

#[test]
fn a_page_hot_in_a_tlb_sets_its_accessed_bit_again_once_reclaim_cleared_it() {
    let (space, _file, base) = mapped();
    let mut hart = space.attach_hart(1);
    hart.load(base, 8).unwrap();
    hart.service_interrupts();
    let accessed = || space.core().page_table().lookup(base).is_accessed();
    assert!(accessed());
    scan(&space, u64_to_usize(PAGES));
    assert!(!accessed());
    assert!(hart.interrupt_pending(), "harts are asked to flush");
    hart.service_interrupts();
    hart.load(base, 8).unwrap();
    assert!(accessed(), "the load walked the table again");
}

#[test]
fn madv_cold_pages_are_reclaimed_before_pages_in_use() {
    let (space, file, base) = mapped();
    scan(&space, u64_to_usize(PAGES));
    touch(&space, base, 0..PAGES);
    space
        .madvise(base + 24 * PAGE_SIZE, 8 * PAGE_SIZE, madv::COLD)
        .unwrap();
    let pass = scan(&space, 8);
    assert_eq!(pass.freed, 8);
    assert_eq!(cached(&file), (0..24).collect::<Vec<_>>());
}

#[test]
fn mlocked_pages_are_set_aside_until_munlock() {
    let (space, file, base) = mapped();
    space.mlock(base, 4 * PAGE_SIZE, 0).unwrap();
    scan(&space, u64_to_usize(PAGES));
    let pass = scan(&space, u64_to_usize(PAGES));
    assert_eq!(pass.freed, 28);
    assert_eq!(cached(&file), [0, 1, 2, 3]);
    assert_eq!(
        scan(&space, u64_to_usize(PAGES)).scanned,
        0,
        "not looked at again"
    );
    space.munlock(base, 4 * PAGE_SIZE).unwrap();
    let caller = space.core().caller();
    shrink(space.core().cx(&caller), 4);
    assert!(cached(&file).is_empty(), "evictable again once munlocked");
    let s = space.stats();
    assert_eq!(s.total_of("reclaim.reclaimed"), 4, "counted by shrink");
}

#[test]
fn drop_caches_drops_clean_unmapped_pages_only() {
    let (space, file, base) = mapped();
    // Pages 0..8 stay mapped; 8..16 are unmapped and clean; 16..24 unmapped and dirty.
    space
        .munmap(base + 8 * PAGE_SIZE, (PAGES - 8) * PAGE_SIZE)
        .unwrap();
    for p in 16..24 {
        space.page_cache().set_dirty(&file.lookup(p).unwrap());
    }
    let dropped = space.drop_clean_caches();
    let kept: Vec<u64> = (0..8).chain(16..24).collect();
    assert_eq!(dropped, PAGES - kept.len() as u64);
    assert_eq!(cached(&file), kept);
}
