use crate::pagecache::tests::{small_space, MemFile};
use crate::pagecache::CacheConfig;
use crate::pagetable::Pte;
use crate::space::AddressSpace;
use crate::types::{madv, map, prot, PAGE_SIZE};
use devices::cast::{low_u32, low_u8, u64_to_usize};
use std::sync::Arc;

const PAGES: u64 = 16;

/// A space with swap and `PAGES` private anonymous pages, each filled with its own
/// byte.
fn filled() -> (Arc<AddressSpace>, u64) {
    filled_pages(PAGES, None)
}

/// A space with swap, a memory limit of `limit` bytes if any, and `pages` private
/// anonymous pages, page `p` filled with byte `p + 1`.
fn filled_pages(pages: u64, limit: Option<u64>) -> (Arc<AddressSpace>, u64) {
    let space = small_space(CacheConfig {
        swap: Some(1 << 20),
        mem_limit: limit,
        ..CacheConfig::default()
    });
    let len = pages * PAGE_SIZE;
    let base = space
        .mmap(
            0,
            len,
            prot::READ | prot::WRITE,
            map::PRIVATE | map::ANONYMOUS,
        )
        .unwrap();
    for p in 0..pages {
        space
            .write_bytes(
                base + p * PAGE_SIZE,
                &[low_u8(p) + 1; u64_to_usize(PAGE_SIZE)],
            )
            .unwrap();
    }
    (space, base)
}

/// Reads page `p` of the region at `base` and checks it holds its own byte.
fn check_page(space: &AddressSpace, base: u64, p: u64) {
    let mut page = vec![0u8; u64_to_usize(PAGE_SIZE)];
    space.read_bytes(base + p * PAGE_SIZE, &mut page).unwrap();
    assert!(page.iter().all(|&b| b == low_u8(p) + 1), "page {p}");
}

fn total(space: &AddressSpace, name: &str) -> u64 {
    space.stats().total_of(name)
}

#[test]
fn a_sequential_reader_of_swapped_memory_hits_pages_read_ahead() {
    let pages = 64;
    let (space, base) = filled_pages(pages, None);
    space
        .madvise(base, pages * PAGE_SIZE, madv::PAGEOUT)
        .unwrap();
    let majors = total(&space, "faults.major");
    for p in 0..pages {
        check_page(&space, base, p);
    }
    let majors = total(&space, "faults.major") - majors;
    let (ra, hits) = (total(&space, "swap.ra"), total(&space, "swap.ra_hits"));
    // Windows of 1, 2, 4, then 8: a major fault per window.
    assert!(majors <= pages / 8 + 4, "{majors} major faults");
    assert_eq!(majors + ra, pages, "every page read once");
    assert_eq!(hits, ra, "every page read ahead was used");
    assert_eq!(total(&space, "swap.ins"), pages);
    // Paged out in order, the pages sit in consecutive slots: a window is one read.
    assert_eq!(total(&space, "swap.io.reads"), majors);
    assert_eq!(slots_used(&space), 0);
}

#[test]
fn the_read_ahead_window_shrinks_when_access_turns_random() {
    let pages = 128;
    let (space, base) = filled_pages(pages, None);
    space
        .madvise(base, pages * PAGE_SIZE, madv::PAGEOUT)
        .unwrap();
    for p in 0..32 {
        check_page(&space, base, p);
    }
    let ra = total(&space, "swap.ra");
    // Far apart, never next to the last fault: windows 4, 2, 1, 1, ...
    let order = [100, 40, 70, 55, 120, 85, 64, 110];
    for &p in &order {
        check_page(&space, base, p);
    }
    let ra = total(&space, "swap.ra") - ra;
    assert!(ra <= 3 + 1, "{ra} pages read ahead of random faults");
    let ra = total(&space, "swap.ra");
    check_page(&space, base, 90);
    assert_eq!(
        total(&space, "swap.ra"),
        ra,
        "the window is down to one page"
    );
}

#[test]
fn pages_read_ahead_and_never_used_are_reclaimed_without_writes() {
    let pages = 64;
    let limit = 16;
    let (space, base) = filled_pages(pages, Some(limit * PAGE_SIZE));
    space
        .madvise(base, pages * PAGE_SIZE, madv::PAGEOUT)
        .unwrap();
    let outs = total(&space, "swap.outs");
    space
        .madvise(base, pages * PAGE_SIZE, madv::WILLNEED)
        .unwrap();
    // The reads complete asynchronously; the background reclaimer then drops what
    // is over the limit.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while u64::from(space.frames_in_use()) > limit && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(u64::from(space.frames_in_use()) <= limit);
    assert_eq!(
        total(&space, "swap.outs"),
        outs,
        "clean pages need no write"
    );
    assert_eq!(slots_used(&space), pages);
    for p in 0..pages {
        check_page(&space, base, p);
    }
}

fn slots_used(space: &AddressSpace) -> u64 {
    space.stats().total_of("swap.slots_used")
}

#[test]
fn a_paged_out_page_faults_back_identical_and_gives_its_slot_back() {
    let (space, base) = filled();
    let frames = space.frames_in_use();
    space
        .madvise(base, PAGES * PAGE_SIZE, madv::PAGEOUT)
        .unwrap();
    assert!(Pte::is_swap(space.core().page_table().lookup(base)));
    assert_eq!(space.frames_in_use(), frames - low_u32(PAGES));
    assert_eq!(slots_used(&space), PAGES);
    let mut page = vec![0u8; u64_to_usize(PAGE_SIZE)];
    for p in 0..PAGES {
        space.read_bytes(base + p * PAGE_SIZE, &mut page).unwrap();
        assert!(page.iter().all(|&b| b == low_u8(p) + 1), "page {p}");
    }
    let s = space.stats();
    assert_eq!(s.total_of("swap.outs"), PAGES);
    assert_eq!(s.total_of("swap.ins"), PAGES);
    assert_eq!(slots_used(&space), 0);
}

#[test]
fn munmap_and_dontneed_free_the_slots_of_swapped_pages() {
    let (space, base) = filled();
    space
        .madvise(base, PAGES * PAGE_SIZE, madv::PAGEOUT)
        .unwrap();
    let half = PAGES / 2 * PAGE_SIZE;
    space.madvise(base, half, madv::DONTNEED).unwrap();
    assert_eq!(slots_used(&space), PAGES / 2);
    let mut b = [1u8; 1];
    space.read_bytes(base, &mut b).unwrap();
    assert_eq!(b[0], 0, "DONTNEED of swapped memory reads back as zeroes");
    space.munmap(base + half, half).unwrap();
    assert_eq!(slots_used(&space), 0);
}

#[test]
fn willneed_reads_swapped_pages_into_the_swap_cache_so_faults_are_minor() {
    let (space, base) = filled();
    space
        .madvise(base, PAGES * PAGE_SIZE, madv::PAGEOUT)
        .unwrap();
    space
        .madvise(base, PAGES * PAGE_SIZE, madv::WILLNEED)
        .unwrap();
    assert_eq!(space.stats().total_of("swap.ins"), PAGES);
    let majors = space.stats().total_of("faults.major");
    let mut b = [0u8; 1];
    space.read_bytes(base + 3 * PAGE_SIZE, &mut b).unwrap();
    assert_eq!(b[0], 4);
    assert_eq!(space.stats().total_of("faults.major"), majors);
    assert_eq!(space.stats().total_of("swap.ins"), PAGES);
}

#[test]
fn pages_moved_by_mremap_stay_reclaim_candidates() {
    // A limit the pages fit in: nothing is reclaimed before the move.
    let (space, base) = filled_pages(PAGES, Some(2 << 20));
    let len = PAGES * PAGE_SIZE;
    // A neighbour right behind the range, so that growing it must move it.
    let rw = prot::READ | prot::WRITE;
    let fixed = map::PRIVATE | map::ANONYMOUS | map::FIXED;
    space.mmap(base + len, PAGE_SIZE, rw, fixed).unwrap();
    let moved = space
        .mremap(base, len, 2 * len, crate::types::mremap::MAYMOVE, 0)
        .unwrap();
    assert_ne!(moved, base);
    let caller = space.core().caller();
    // Young pages are activated first and aged on the next passes.
    for _ in 0..16 {
        super::shrink(space.core().cx(&caller), 64);
    }
    assert_eq!(
        total(&space, "swap.outs"),
        PAGES,
        "moved pages never reclaimed"
    );
    let mut b = [0u8; 1];
    for p in 0..PAGES {
        space.read_bytes(moved + p * PAGE_SIZE + 7, &mut b).unwrap();
        assert_eq!(b[0], low_u8(p) + 1, "page {p}");
    }
}

#[test]
fn mremap_moves_swapped_pages_with_their_slots() {
    let (space, base) = filled();
    space
        .madvise(base, PAGES * PAGE_SIZE, madv::PAGEOUT)
        .unwrap();
    let len = PAGES * PAGE_SIZE;
    let moved = space
        .mremap(base, len, 2 * len, crate::types::mremap::MAYMOVE, 0)
        .unwrap();
    let mut b = [0u8; 1];
    for p in 0..PAGES {
        space.read_bytes(moved + p * PAGE_SIZE + 7, &mut b).unwrap();
        assert_eq!(b[0], low_u8(p) + 1, "page {p}");
    }
    assert_eq!(slots_used(&space), 0);
}

/// A space with swap and a memory limit of `limit` bytes if any, and a private
/// writable mapping of a patterned file of `pages` pages (at the returned address).
fn private_file(pages: u64, limit: Option<u64>) -> (Arc<AddressSpace>, Arc<MemFile>, u64) {
    let space = small_space(CacheConfig {
        swap: Some(1 << 20),
        mem_limit: limit,
        ..CacheConfig::default()
    });
    let data = MemFile::patterned(pages);
    let file = space.page_cache().file((5, 5), data.clone());
    let rw = prot::READ | prot::WRITE;
    let base = space
        .mmap_file(0, pages * PAGE_SIZE, rw, map::PRIVATE, (file, 0))
        .unwrap();
    (space, data, base)
}

/// Page `p` as a private mapping of `file` shows it: the file's bytes, with `mark`
/// as its first byte when it was written.
fn expect_page(file: &[u8], p: u64, mark: Option<u8>) -> Vec<u8> {
    let start = u64_to_usize(p * PAGE_SIZE);
    let mut page = file[start..start + u64_to_usize(PAGE_SIZE)].to_vec();
    if let Some(m) = mark {
        page[0] = m;
    }
    page
}

fn read_page(space: &AddressSpace, base: u64, p: u64) -> Vec<u8> {
    let mut page = vec![0u8; u64_to_usize(PAGE_SIZE)];
    space.read_bytes(base + p * PAGE_SIZE, &mut page).unwrap();
    page
}

#[test]
fn copies_on_write_of_a_private_file_mapping_go_to_swap_and_cache_pages_never_do() {
    let (space, data, base) = private_file(PAGES, None);
    let original = data.0.lock().clone();
    // Even pages copied on write, odd pages mapped from the page cache.
    for p in 0..PAGES {
        match p % 2 {
            0 => space
                .write_bytes(base + p * PAGE_SIZE, &[low_u8(p) | 0x80])
                .unwrap(),
            _ => drop(read_page(&space, base, p)),
        }
    }
    space
        .madvise(base, PAGES * PAGE_SIZE, madv::PAGEOUT)
        .unwrap();
    for p in 0..PAGES {
        let pte = space.core().page_table().lookup(base + p * PAGE_SIZE);
        assert_eq!(pte.is_swap(), p % 2 == 0, "page {p}: {pte:?}");
    }
    assert_eq!(total(&space, "swap.outs"), PAGES / 2);
    assert_eq!(slots_used(&space), PAGES / 2);
    for p in (0..PAGES).rev() {
        let mark = (p % 2 == 0).then_some(low_u8(p) | 0x80);
        assert_eq!(read_page(&space, base, p), expect_page(&original, p, mark));
    }
    assert_eq!(slots_used(&space), 0);
    assert!(total(&space, "swap.ins") == PAGES / 2);
    assert_eq!(*data.0.lock(), original, "copies never reach the file");
}

#[test]
fn dontneed_and_munmap_free_the_slots_of_swapped_copies() {
    let (space, data, base) = private_file(PAGES, None);
    let original = data.0.lock().clone();
    for p in 0..PAGES {
        space.write_bytes(base + p * PAGE_SIZE, b"copy").unwrap();
    }
    let len = PAGES * PAGE_SIZE;
    space.madvise(base, len, madv::PAGEOUT).unwrap();
    assert_eq!(slots_used(&space), PAGES);
    space.madvise(base, len / 2, madv::DONTNEED).unwrap();
    assert_eq!(slots_used(&space), PAGES / 2);
    // Dropped copies read the file again; the rest come back from swap.
    assert_eq!(read_page(&space, base, 1), expect_page(&original, 1, None));
    let mut b = [0u8; 4];
    space.read_bytes(base + len / 2, &mut b).unwrap();
    assert_eq!(&b, b"copy");
    space.munmap(base, len).unwrap();
    assert_eq!(slots_used(&space), 0);
}

#[test]
fn copies_on_write_beyond_the_memory_limit_survive_swap() {
    let (pages, limit) = (96, 24);
    let (space, data, base) = private_file(pages, Some(limit * PAGE_SIZE));
    let original = data.0.lock().clone();
    for p in 0..pages {
        space
            .write_bytes(base + p * PAGE_SIZE, &[low_u8(p)])
            .unwrap();
    }
    assert!(
        total(&space, "swap.outs") >= pages - limit,
        "copies went to swap: {}",
        total(&space, "swap.outs")
    );
    assert!(u64::from(space.frames_in_use()) <= limit);
    for p in 0..pages {
        assert_eq!(
            read_page(&space, base, p),
            expect_page(&original, p, Some(low_u8(p))),
            "page {p}"
        );
    }
    assert_eq!(*data.0.lock(), original);
}

#[test]
fn without_swap_pageout_leaves_anonymous_memory_alone() {
    let space = small_space(CacheConfig::default());
    let base = space
        .mmap(
            0,
            PAGE_SIZE,
            prot::READ | prot::WRITE,
            map::PRIVATE | map::ANONYMOUS,
        )
        .unwrap();
    space.write_bytes(base, b"stay").unwrap();
    space.madvise(base, PAGE_SIZE, madv::PAGEOUT).unwrap();
    assert!(space.core().page_table().lookup(base).is_valid());
}
