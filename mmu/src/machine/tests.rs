use crate::mm_core::MmConfig;
use crate::pagecache::tests::{small_space, MemFile};
use crate::pagecache::CacheConfig;
use crate::space::AddressSpace;
use crate::types::{map, prot, PAGE_SIZE};
use devices::cast::{low_u8, u64_to_usize};
use std::sync::Arc;

/// A second space on `space`'s machine.
fn sibling(space: &AddressSpace) -> Arc<AddressSpace> {
    AddressSpace::new_on(space.machine(), MmConfig::default()).unwrap()
}

/// `pages` private anonymous pages in `space`, page `p` filled with `fill + p`.
fn fill(space: &AddressSpace, pages: u64, fill: u8) -> u64 {
    let base = space
        .mmap(
            0,
            pages * PAGE_SIZE,
            prot::READ | prot::WRITE,
            map::PRIVATE | map::ANONYMOUS,
        )
        .unwrap();
    for p in 0..pages {
        let page = [fill.wrapping_add(low_u8(p)); u64_to_usize(PAGE_SIZE)];
        space.write_bytes(base + p * PAGE_SIZE, &page).unwrap();
    }
    base
}

/// Whether the pages written by [`fill`] read back as written.
fn intact(space: &AddressSpace, base: u64, pages: u64, fill: u8) -> bool {
    let mut page = vec![0u8; u64_to_usize(PAGE_SIZE)];
    (0..pages).all(|p| {
        space.read_bytes(base + p * PAGE_SIZE, &mut page).unwrap();
        page.iter().all(|&b| b == fill.wrapping_add(low_u8(p)))
    })
}

/// Pages of `[base, base + pages)` whose entry in `space` is a swap entry.
fn swapped(space: &AddressSpace, base: u64, pages: u64) -> u64 {
    let table = space.core().page_table();
    (0..pages)
        .filter(|p| table.lookup(base + p * PAGE_SIZE).is_swap())
        .count() as u64
}

#[test]
fn a_file_page_read_in_one_space_is_a_cache_hit_in_another() {
    let a = small_space(CacheConfig::default());
    let b = sibling(&a);
    assert!(Arc::ptr_eq(a.machine(), b.machine()));
    let file = a.page_cache().file((7, 1), MemFile::patterned(4));
    let mut buf = [0u8; 16];
    a.read_cached(&file, PAGE_SIZE, &mut buf).unwrap();
    assert_eq!(a.stats().total_of("pagecache.misses"), 1);
    // The same file, looked up by its key in the other space's (the machine's) cache.
    let same = b.page_cache().file((7, 1), MemFile::patterned(4));
    assert!(Arc::ptr_eq(&file, &same));
    let mut again = [0u8; 16];
    b.read_cached(&same, PAGE_SIZE, &mut again).unwrap();
    assert_eq!(again, buf);
    assert_eq!(b.stats().total_of("pagecache.hits"), 1);
    assert_eq!(b.stats().total_of("pagecache.misses"), 0);
    // A mapping in the second space maps the very frame the first read in.
    let addr = b
        .mmap_file(0, 4 * PAGE_SIZE, prot::READ, map::PRIVATE, (same, 0))
        .unwrap();
    let frames = a.frames_in_use();
    let mut byte = [0u8; 1];
    b.read_bytes(addr + PAGE_SIZE, &mut byte).unwrap();
    assert_eq!(byte[0], buf[0]);
    assert_eq!(a.frames_in_use(), frames, "no new frame for a cached page");
}

#[test]
fn the_memory_limit_counts_every_space_and_reclaim_takes_pages_from_each() {
    let limit = 48;
    let a = small_space(CacheConfig {
        swap: Some(1 << 20),
        mem_limit: Some(limit * PAGE_SIZE),
        ..CacheConfig::default()
    });
    let b = sibling(&a);
    let first = fill(&a, 32, 1);
    let second = fill(&b, 32, 101);
    // Together they passed the limit: the older pages (the first space's) went first.
    assert!(u64::from(a.frames_in_use()) <= limit + 1);
    assert!(
        swapped(&a, first, 32) > 0,
        "reclaim took none of the first space's"
    );
    let third = fill(&a, 32, 201);
    assert!(u64::from(b.frames_in_use()) <= limit + 1);
    assert!(
        swapped(&b, second, 32) > 0,
        "reclaim took none of the second space's"
    );
    assert!(intact(&a, first, 32, 1));
    assert!(intact(&b, second, 32, 101));
    assert!(intact(&a, third, 32, 201));
    // The stats of either space show the machine's swap.
    assert_eq!(
        a.stats().total_of("swap.slots_used"),
        b.stats().total_of("swap.slots_used")
    );
}

#[test]
fn a_space_gone_frees_its_frames_and_leaves_the_machine_to_the_others() {
    let a = small_space(CacheConfig::default());
    let b = sibling(&a);
    fill(&a, 8, 1);
    let before = a.frames_in_use();
    let base = fill(&b, 8, 9);
    assert!(a.frames_in_use() >= before + 8);
    drop(b);
    assert_eq!(a.frames_in_use(), before);
    assert_eq!(a.core().machine_spaces().len(), 1);
    let c = sibling(&a);
    let again = fill(&c, 8, 9);
    assert_eq!(again, base, "a fresh space, laid out as the first");
    assert!(intact(&c, again, 8, 9));
}
