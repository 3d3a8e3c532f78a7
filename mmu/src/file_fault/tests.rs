use super::*;
use crate::mm_core::MmConfig;
use crate::pagecache::tests::MemFile;
use crate::space::AddressSpace;
use crate::types::map;
use devices::cast::u64_to_usize;
use devices::storage::IoPriority;
use devices::trace::{catalog, Owner, Phase, Recorder, TraceRecord, TraceValue};

const PAGES: u64 = 8;

/// A space with `PAGES` pages of a patterned file mapped with `flags`, every page
/// already in the page cache but none mapped.
fn mapped(flags: u32) -> (Arc<AddressSpace>, Arc<CachedFile>, Arc<MemFile>, u64) {
    mapped_with(flags, crate::pagecache::DEFAULT_FAULT_AROUND)
}

/// [`mapped`] with a fault-around block of `fault_around` bytes.
fn mapped_with(
    flags: u32,
    fault_around: u64,
) -> (Arc<AddressSpace>, Arc<CachedFile>, Arc<MemFile>, u64) {
    let space = AddressSpace::new(MmConfig {
        frame_pool_bytes: 1 << 22,
        cache: crate::pagecache::CacheConfig {
            fault_around_bytes: fault_around,
            ..Default::default()
        },
        ..MmConfig::default()
    })
    .unwrap();
    let data = MemFile::patterned(PAGES);
    let file = space.page_cache().file((9, 9), data.clone());
    let cached = space
        .page_cache()
        .find_or_read(&file, 0, AccessHint::Normal, 0, IoPriority::DEFAULT)
        .unwrap();
    assert!(matches!(cached, crate::pagecache::Lookup::Reading(_)));
    let len = PAGES * PAGE_SIZE;
    let base = space
        .mmap_file(0, len, prot::READ | prot::WRITE, flags, (file.clone(), 0))
        .unwrap();
    (space, file, data, base)
}

fn entry(space: &AddressSpace, addr: u64) -> Pte {
    space.core().page_table().lookup(addr)
}

/// A folio wait as the trace shows it: its arguments (what, lock, held, tried) and how
/// long it took.
#[derive(Debug)]
struct FolioWait {
    args: [TraceValue; 4],
    wait_ns: u64,
}

/// The folio waits of one hart's load from an uncached page of a file mapped shared,
/// on a device taking 2 ms per read, under `policy`, from the hart's trace records.
fn waits_of_one_miss(policy: crate::policy::FaultPolicy) -> Vec<FolioWait> {
    let recorder = Recorder::in_memory(Arc::new(devices::HostClock::new()));
    recorder.attach(Owner::Hart {
        tid: 7,
        name: "t7".into(),
    });
    let space = AddressSpace::new(MmConfig {
        frame_pool_bytes: 1 << 22,
        policy,
        cache: crate::pagecache::CacheConfig {
            device: Some(devices::storage::DeviceConfig {
                latency: "fixed:2ms".parse().unwrap(),
                ..Default::default()
            }),
            readahead_bytes: 0,
            ..Default::default()
        },
        ..MmConfig::default()
    })
    .unwrap();
    let file = space.page_cache().file((8, 8), MemFile::patterned(PAGES));
    let base = space
        .mmap_file(0, PAGES * PAGE_SIZE, prot::READ, map::SHARED, (file, 0))
        .unwrap();
    let mut hart = space.attach_hart(7);
    hart.load(base + PAGE_SIZE, 1).unwrap();
    devices::trace::detach();
    let records: Vec<TraceRecord> = recorder
        .take_records()
        .into_iter()
        .filter(|(owner, _)| matches!(owner, Owner::Hart { tid: 7, .. }))
        .map(|(_, r)| r)
        .collect();
    // Pair each folio wait's begin with its end: waits hold no slices of their own.
    let mut waits = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if r.phase == Phase::Begin && r.name == catalog::FOLIO_WAIT {
            let end = records[i + 1..]
                .iter()
                .find(|e| e.phase == Phase::End)
                .expect("a folio wait ends");
            waits.push(FolioWait {
                args: std::array::from_fn(|k| r.args[k].value),
                wait_ns: end.ts_ns - r.ts_ns,
            });
        }
    }
    waits
}

#[test]
fn each_policy_waits_for_a_page_cache_read_its_own_way_as_its_trace_shows() {
    use crate::policy::FaultPolicy;
    // (policy, the lock the waiting attempt held, whether it kept holding it)
    let want = [
        (FaultPolicy::MMAP, "mmap", false),
        (FaultPolicy::VMA, "vma", false),
        (FaultPolicy::VMA_RETRY, "vma", false),
        (FaultPolicy::VMA_HOLD, "vma", true),
    ];
    for (policy, lock, held) in want {
        let waits = waits_of_one_miss(policy.clone());
        // One wait, for the read, on the first try; the retry (if any) finds the page
        // up to date and does not wait again.
        let [w] = &waits[..] else {
            panic!("{policy:?}: {waits:?}");
        };
        assert_eq!(
            w.args,
            [
                TraceValue::Str("io"),
                TraceValue::Str(lock),
                TraceValue::Bool(held),
                TraceValue::Bool(false)
            ],
            "{policy:?}"
        );
        assert!(w.wait_ns >= 1_500_000, "{policy:?} waited {} ns", w.wait_ns);
    }
}

#[test]
fn fault_around_maps_cached_neighbours_read_only_and_skips_locked_ones() {
    let (space, file, data, base) = mapped(map::PRIVATE);
    let busy = file.lookup(3).unwrap();
    assert!(busy.try_lock(space.clock().as_ref()));
    let mut b = [0u8; 1];
    // Would hang if fault-around waited for the locked folio.
    space.read_bytes(base, &mut b).unwrap();
    assert_eq!(b[0], data.0.lock()[0]);
    for p in 0..PAGES {
        let pte = entry(&space, base + p * PAGE_SIZE);
        assert_eq!(pte.is_valid(), p != 3, "page {p}");
        assert!(!pte.allows(Access::Write), "page {p} mapped writable");
    }
    busy.unlock();
}

#[test]
fn the_fault_around_block_is_configured_and_0_or_a_page_turns_it_off() {
    use crate::pagecache::check_fault_around;
    for (bytes, mapped_pages) in [
        (2 * PAGE_SIZE, 2),
        (4 * PAGE_SIZE, 4),
        (PAGE_SIZE, 1),
        (0, 1),
    ] {
        let (space, _, _, base) = mapped_with(map::PRIVATE, bytes);
        let mut b = [0u8; 1];
        space.read_bytes(base + PAGE_SIZE, &mut b).unwrap();
        let valid: Vec<u64> = (0..PAGES)
            .filter(|p| entry(&space, base + p * PAGE_SIZE).is_valid())
            .collect();
        let want: Vec<u64> = match mapped_pages {
            1 => vec![1],
            n => (0..n).collect(),
        };
        assert_eq!(valid, want, "fault-around of {bytes} bytes");
    }
    for ok in [0, PAGE_SIZE, 64 << 10, 2 << 20] {
        assert_eq!(check_fault_around(ok), Ok(ok));
    }
    for bad in [1, 6 << 10, 3 * PAGE_SIZE, 4 << 20] {
        let e = check_fault_around(bad).unwrap_err();
        assert!(e.contains("power of two"), "{e}");
    }
}

#[test]
fn a_private_store_copies_the_page_and_leaves_the_cache_alone() {
    let (space, file, data, base) = mapped(map::PRIVATE);
    let addr = base + PAGE_SIZE + 5;
    let mut b = [0u8; 1];
    space.read_bytes(addr, &mut b).unwrap();
    space.write_bytes(addr, b"X").unwrap();
    let folio = file.lookup(1).unwrap();
    assert_ne!(entry(&space, addr).frame(), folio.frame());
    assert!(!folio.is_dirty());
    space.read_bytes(addr, &mut b).unwrap();
    assert_eq!(&b, b"X");
    space.sync_files().unwrap();
    assert_eq!(data.0.lock()[4096 + 5], 31 + 5);
}

#[test]
fn a_shared_store_dirties_the_cached_page_and_write_back_reaches_the_file() {
    let (space, file, data, base) = mapped(map::SHARED);
    let addr = base + 2 * PAGE_SIZE + 9;
    space.write_bytes(addr, b"Y").unwrap();
    let folio = file.lookup(2).unwrap();
    assert_eq!(entry(&space, addr).frame(), folio.frame());
    assert!(folio.is_dirty());
    space.sync_files().unwrap();
    assert_eq!(data.0.lock()[2 * 4096 + 9], b'Y');
}

#[test]
fn msync_and_munmap_write_back_only_the_dirty_pages_of_their_range() {
    let (space, file, data, base) = mapped(map::SHARED);
    for p in [1, 4, 6] {
        space.write_bytes(base + p * PAGE_SIZE, b"D").unwrap();
    }
    let written = |p: u64| data.0.lock()[u64_to_usize(p * PAGE_SIZE)] == b'D';
    let dirty = |p: u64| file.lookup(p).unwrap().is_dirty();
    // msync of pages 3..5 (from the middle of page 3): page 4 only.
    space
        .sync_range(base + 3 * PAGE_SIZE + 100, 2 * PAGE_SIZE)
        .unwrap();
    assert!(written(4) && !dirty(4));
    assert!(!written(1) && dirty(1) && !written(6) && dirty(6));
    // The write-back before munmap of page 6: page 6 only.
    space.sync_range(base + 6 * PAGE_SIZE, PAGE_SIZE).unwrap();
    space.munmap(base + 6 * PAGE_SIZE, PAGE_SIZE).unwrap();
    assert!(written(6) && !dirty(6));
    assert!(!written(1) && dirty(1));
    let stats = space.stats();
    assert_eq!(stats.total.get("writeback.pages").copied(), Some(2));
}

#[test]
fn write_back_write_protects_so_the_next_store_dirties_the_page_again() {
    let (space, file, data, base) = mapped(map::SHARED);
    space.write_bytes(base + 1, b"A").unwrap();
    space.sync_files().unwrap();
    let folio = file.lookup(0).unwrap();
    assert!(!folio.is_dirty());
    assert!(!entry(&space, base).allows(Access::Write));
    space.write_bytes(base + 2, b"B").unwrap();
    assert!(folio.is_dirty() && entry(&space, base).allows(Access::Write));
    space.sync_files().unwrap();
    assert_eq!(&data.0.lock()[1..3], b"AB");
}

#[test]
fn madv_pageout_writes_back_and_drops_pages_that_fault_back_identical() {
    let (space, file, data, base) = mapped(map::SHARED);
    space.write_bytes(base + 3 * PAGE_SIZE, b"KEEP").unwrap();
    space
        .madvise(base, PAGES * PAGE_SIZE, crate::types::madv::PAGEOUT)
        .unwrap();
    assert!(
        (0..PAGES).all(|p| file.lookup(p).is_none()),
        "all reclaimed"
    );
    assert!(!entry(&space, base + 3 * PAGE_SIZE).is_valid());
    assert_eq!(&data.0.lock()[3 * 4096..3 * 4096 + 4], b"KEEP");
    let mut b = [0u8; 4];
    space.read_bytes(base + 3 * PAGE_SIZE, &mut b).unwrap();
    assert_eq!(&b, b"KEEP");
    let s = space.stats();
    assert_eq!(s.total_of("reclaim.reclaimed"), PAGES);
}

#[test]
fn madv_willneed_reads_ahead_and_madv_cold_clears_referenced_bits() {
    let space = AddressSpace::new(MmConfig {
        frame_pool_bytes: 1 << 22,
        ..MmConfig::default()
    })
    .unwrap();
    let file = space.page_cache().file((7, 7), MemFile::patterned(PAGES));
    let len = PAGES * PAGE_SIZE;
    let base = space
        .mmap_file(0, len, prot::READ, map::PRIVATE, (file.clone(), 0))
        .unwrap();
    space
        .madvise(base, len, crate::types::madv::WILLNEED)
        .unwrap();
    assert!((0..PAGES).all(|p| file.lookup(p).is_some()));
    let mut b = [0u8; 1];
    space.read_bytes(base, &mut b).unwrap();
    assert_eq!(space.stats().total_of("pagecache.hits"), 1);
    file.lookup(0).unwrap().mark_accessed();
    space.madvise(base, len, crate::types::madv::COLD).unwrap();
    assert_eq!(file.lookup(0).unwrap().take_lru_flags(), (false, false));
}

#[test]
fn mprotect_keeps_file_pages_write_protected_until_a_store_faults() {
    let (space, file, _, base) = mapped(map::PRIVATE);
    space.mprotect(base, PAGES * PAGE_SIZE, prot::READ).unwrap();
    let mut b = [0u8; 1];
    space.read_bytes(base, &mut b).unwrap();
    space
        .mprotect(base, PAGES * PAGE_SIZE, prot::READ | prot::WRITE)
        .unwrap();
    assert!(!entry(&space, base).allows(Access::Write));
    space.write_bytes(base, b"Z").unwrap();
    assert_ne!(entry(&space, base).frame(), file.lookup(0).unwrap().frame());
}
