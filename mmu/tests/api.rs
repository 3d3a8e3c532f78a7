//! Single-threaded behaviour of the public API: faults, mm system calls, user copies.

use devices::cast::u64_to_usize;
use mmu::{
    madv, map, mremap, prot, Access, AddressSpace, Errno, FaultKind, HartMem, MemFault, MmConfig,
    PAGE_SIZE,
};
use std::sync::Arc;

const P: u64 = PAGE_SIZE;
const RW: u32 = prot::READ | prot::WRITE;
const ANON: u32 = map::PRIVATE | map::ANONYMOUS;

fn space_with(pool_bytes: u64) -> Arc<AddressSpace> {
    AddressSpace::new(MmConfig {
        frame_pool_bytes: pool_bytes,
        ..MmConfig::default()
    })
    .unwrap()
}

fn setup() -> (Arc<AddressSpace>, HartMem) {
    let space = space_with(64 << 20);
    let mut hart = space.attach_hart(1);
    hart.enter_guest();
    (space, hart)
}

/// A system call made the way the emulator makes it: outside guest state.
macro_rules! sys {
    ($h:expr, $call:expr) => {{
        $h.leave_guest();
        let r = $call;
        $h.enter_guest();
        r
    }};
}

fn fault(addr: u64, access: Access, kind: FaultKind) -> MemFault {
    MemFault { addr, access, kind }
}

#[test]
fn demand_zero_pages_and_round_trips() {
    let (space, mut h) = setup();
    let a = sys!(h, space.mmap(0, 3 * P, RW, ANON)).unwrap();
    assert_eq!(space.frames_in_use(), 0, "mmap is lazy");
    assert_eq!(h.load(a + 8, 8), Ok(0));
    assert_eq!(space.frames_in_use(), 1);
    for (i, size) in [1u32, 2, 4, 8].into_iter().enumerate() {
        let addr = a + P + 16 * i as u64;
        h.store(addr, size, 0x1122_3344_5566_7788).unwrap();
        let mask = if size == 8 {
            u64::MAX
        } else {
            (1u64 << (8 * size)) - 1
        };
        assert_eq!(h.load(addr, size), Ok(0x1122_3344_5566_7788 & mask));
    }
    assert_eq!(h.stats().get(mmu::stats::Counter::FaultsMinor), 2);
    assert_eq!(space.stats().total_of("faults.minor"), 2);
    assert_eq!(space.stats().hart_of(1, "faults.major"), 0);
}

#[test]
fn permission_and_unmapped_faults() {
    let (space, mut h) = setup();
    let r = sys!(h, space.mmap(0, P, prot::READ, ANON)).unwrap();
    let none = sys!(h, space.mmap(0, P, 0, ANON)).unwrap();
    let x = sys!(h, space.mmap(0, P, prot::EXEC, ANON)).unwrap();
    assert_eq!(h.load(r, 4), Ok(0));
    assert_eq!(
        h.store(r + 4, 4, 1),
        Err(fault(r + 4, Access::Write, FaultKind::Protection))
    );
    assert_eq!(
        h.load(none, 1),
        Err(fault(none, Access::Read, FaultKind::Protection))
    );
    assert_eq!(
        h.fetch_u16(r),
        Err(fault(r, Access::Exec, FaultKind::Protection))
    );
    assert_eq!(h.fetch_u16(x), Ok(0));
    assert_eq!(
        h.load(x, 2),
        Err(fault(x, Access::Read, FaultKind::Protection)),
        "exec-only"
    );
    assert_eq!(
        h.load(0x1000, 8),
        Err(fault(0x1000, Access::Read, FaultKind::Unmapped))
    );
    let high = 0x40_0000_0000;
    assert_eq!(
        h.store(high, 1, 0),
        Err(fault(high, Access::Write, FaultKind::Unmapped))
    );
    assert_eq!(
        h.load(u64::MAX - 3, 8).unwrap_err().kind,
        FaultKind::Unmapped
    );
    let e = h.store(r, 8, 0).unwrap_err();
    assert_eq!(e.signal(), 11);
    assert!(e.to_string().contains("read-only"));
}

#[test]
fn misaligned_and_page_crossing_accesses() {
    let (space, mut h) = setup();
    let a = sys!(h, space.mmap(0, 2 * P, RW, ANON)).unwrap();
    h.store(a + P - 3, 8, 0x0807_0605_0403_0201).unwrap();
    assert_eq!(h.load(a + P - 3, 8), Ok(0x0807_0605_0403_0201));
    assert_eq!(h.load(a + P - 1, 2), Ok(0x0403));
    h.store(a + 5, 4, 0xdead_beef).unwrap();
    assert_eq!(h.load(a + 5, 4), Ok(0xdead_beef));
    let mut bytes = [0u8; 8];
    space.read_bytes(a + P - 3, &mut bytes).unwrap();
    assert_eq!(bytes, [1, 2, 3, 4, 5, 6, 7, 8]);

    // Crossing into an unmapped page: the fault names the first byte past the end.
    sys!(h, space.munmap(a + P, P)).unwrap();
    assert_eq!(
        h.load(a + P - 2, 4),
        Err(fault(a + P, Access::Read, FaultKind::Unmapped))
    );
    assert_eq!(
        h.store(a + P - 2, 4, 0),
        Err(fault(a + P, Access::Write, FaultKind::Unmapped))
    );
    // Crossing into a read-only page.
    sys!(h, space.mmap(a + P, P, prot::READ, ANON | map::FIXED)).unwrap();
    assert_eq!(
        h.store(a + P - 1, 2, 0xffff),
        Err(fault(a + P, Access::Write, FaultKind::Protection))
    );
}

#[test]
fn atomics_need_alignment_and_write_permission() {
    let (space, mut h) = setup();
    let a = sys!(h, space.mmap(0, P, RW, ANON)).unwrap();
    let r = sys!(h, space.mmap(0, P, prot::READ, ANON)).unwrap();
    h.atomic_u32(a + 4)
        .unwrap()
        .fetch_add(5, std::sync::atomic::Ordering::SeqCst);
    h.atomic_u64(a + 8)
        .unwrap()
        .store(u64::MAX, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(h.load(a + 4, 4), Ok(5));
    assert_eq!(h.load(a + 8, 8), Ok(u64::MAX));
    assert_eq!(
        h.atomic_u32(a + 2).unwrap_err(),
        fault(a + 2, Access::Write, FaultKind::Misaligned)
    );
    assert_eq!(h.atomic_u64(a + 4).unwrap_err().signal(), 7);
    assert_eq!(h.atomic_u32(r).unwrap_err().kind, FaultKind::Protection);
    assert_eq!(h.atomic_u32(0x2000).unwrap_err().kind, FaultKind::Unmapped);
}

#[test]
fn writable_code_stores_bump_the_icache_epoch() {
    let (space, mut h) = setup();
    let code = sys!(
        h,
        space.mmap(0, P, prot::READ | prot::WRITE | prot::EXEC, ANON)
    )
    .unwrap();
    let data = sys!(h, space.mmap(0, P, RW, ANON)).unwrap();
    h.store(data, 4, 1).unwrap();
    let e0 = h.icache_epoch();
    h.store(data, 4, 2).unwrap();
    assert_eq!(h.icache_epoch(), e0, "plain data stores do not");
    h.store(code, 4, 0x0001).unwrap();
    let e1 = h.icache_epoch();
    assert!(e1 > e0);
    h.store(code + 2, 2, 0x4501).unwrap();
    assert!(
        h.icache_epoch() > e1,
        "every store to writable code is seen"
    );
    assert_eq!(h.fetch_u16(code + 2), Ok(0x4501));
    let e2 = h.icache_epoch();
    sys!(h, space.write_bytes(code, &[0x13, 0, 0, 0])).unwrap();
    assert!(h.icache_epoch() > e2);
    let e3 = h.icache_epoch();
    sys!(h, space.flush_icache_all());
    assert!(h.icache_epoch() > e3);
    let e4 = h.icache_epoch();
    sys!(h, space.mprotect(code, P, prot::READ | prot::EXEC)).unwrap();
    assert!(h.icache_epoch() > e4);
    let e5 = h.icache_epoch();
    sys!(h, space.munmap(data, P)).unwrap();
    assert_eq!(
        h.icache_epoch(),
        e5,
        "unmapping data leaves decoded code alone"
    );
    sys!(h, space.munmap(code, P)).unwrap();
    assert!(h.icache_epoch() > e5);
}

#[test]
fn mmap_argument_checks_and_placement() {
    let (space, _h) = setup();
    let base = space.config().mmap_base;
    assert_eq!(space.mmap(0, 0, RW, ANON), Err(Errno::EINVAL));
    assert_eq!(
        space.mmap(0x10_0001, P, RW, ANON | map::FIXED),
        Err(Errno::EINVAL)
    );
    assert_eq!(space.mmap(0, P, RW, map::PRIVATE), Err(Errno::EBADF));
    assert_eq!(space.mmap(0, P, RW, map::ANONYMOUS), Err(Errno::EINVAL));
    assert_eq!(
        space.mmap(0x1000, P, RW, ANON | map::FIXED),
        Err(Errno::EPERM)
    );
    assert_eq!(space.mmap(0, u64::MAX - 10, RW, ANON), Err(Errno::ENOMEM));

    let a = space.mmap(0, 2 * P, RW, ANON).unwrap();
    assert_eq!(a, base - 2 * P, "top-down from mmap_base");
    let b = space.mmap(0, P + 1, RW, ANON).unwrap();
    assert_eq!(b, a - 2 * P);
    assert_eq!(space.vmas().len(), 1, "adjacent anonymous mappings merge");
    let hint = 0x2000_0000;
    assert_eq!(
        space.mmap(hint + 5, P, RW, ANON),
        Ok(hint + P),
        "hint rounded up, honoured"
    );
    assert_eq!(
        space.mmap(hint + P, P, RW, ANON).map(|x| x != hint + P),
        Ok(true),
        "taken hint"
    );
    assert_eq!(
        space.mmap(hint + P, P, RW, ANON | map::FIXED_NOREPLACE),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        space.mmap(hint + 2 * P, P, RW, ANON | map::FIXED_NOREPLACE),
        Ok(hint + 2 * P)
    );
    assert_eq!(
        space.mmap(0x40_0000_0000 - P, 2 * P, RW, ANON | map::FIXED),
        Err(Errno::ENOMEM)
    );
}

#[test]
fn fixed_mapping_replaces_contents() {
    let (space, mut h) = setup();
    let a = sys!(h, space.mmap(0, 4 * P, RW, ANON)).unwrap();
    for i in 0..4 {
        h.store(a + i * P, 8, 0xaa + i).unwrap();
    }
    assert_eq!(space.frames_in_use(), 4);
    assert_eq!(
        sys!(h, space.mmap(a + P, 2 * P, prot::READ, ANON | map::FIXED)),
        Ok(a + P)
    );
    assert_eq!(space.frames_in_use(), 2);
    assert_eq!(h.load(a, 8), Ok(0xaa));
    assert_eq!(h.load(a + P, 8), Ok(0));
    assert_eq!(
        h.store(a + 2 * P, 8, 1).unwrap_err().kind,
        FaultKind::Protection
    );
    assert_eq!(h.load(a + 3 * P, 8), Ok(0xad));
    assert_eq!(space.vmas().len(), 3);
}

#[test]
fn munmap_rules_and_frame_release() {
    let (space, mut h) = setup();
    let a = sys!(h, space.mmap(0, 8 * P, RW, ANON)).unwrap();
    for i in 0..8 {
        h.store(a + i * P, 1, 1).unwrap();
    }
    assert_eq!(sys!(h, space.munmap(a + 1, P)), Err(Errno::EINVAL));
    assert_eq!(sys!(h, space.munmap(a, 0)), Err(Errno::EINVAL));
    assert_eq!(
        sys!(h, space.munmap(0x1000_0000, 16 * P)),
        Ok(()),
        "unmapping nothing is fine"
    );
    sys!(h, space.munmap(a + 2 * P, 3 * P - 100)).unwrap();
    assert_eq!(space.frames_in_use(), 5);
    assert_eq!(space.vmas().len(), 2);
    assert_eq!(h.load(a + 3 * P, 1).unwrap_err().kind, FaultKind::Unmapped);
    assert_eq!(h.load(a + 5 * P, 1), Ok(1));
    sys!(h, space.munmap(a, 8 * P)).unwrap();
    assert_eq!(space.frames_in_use(), 0);
    assert!(space.vmas().is_empty());
    assert_eq!(h.load(a, 1).unwrap_err().kind, FaultKind::Unmapped);
}

#[test]
fn mprotect_changes_access_and_merges_back() {
    let (space, mut h) = setup();
    let a = sys!(h, space.mmap(0, 4 * P, RW, ANON)).unwrap();
    h.store(a + P, 8, 7).unwrap();
    sys!(h, space.mprotect(a + P, P, prot::READ)).unwrap();
    assert_eq!(space.vmas().len(), 3);
    assert_eq!(h.load(a + P, 8), Ok(7));
    assert_eq!(
        h.store(a + P, 8, 1).unwrap_err().kind,
        FaultKind::Protection
    );
    sys!(h, space.mprotect(a + P, P, 0)).unwrap();
    assert_eq!(h.load(a + P, 8).unwrap_err().kind, FaultKind::Protection);
    sys!(h, space.mprotect(a, 4 * P, RW)).unwrap();
    assert_eq!(space.vmas().len(), 1);
    assert_eq!(
        h.load(a + P, 8),
        Ok(7),
        "contents survive protection changes"
    );
    h.store(a + P, 8, 8).unwrap();
    assert_eq!(
        sys!(h, space.mprotect(a + 3 * P, 2 * P, prot::READ)),
        Err(Errno::ENOMEM)
    );
    assert_eq!(
        sys!(h, space.mprotect(a + 1, P, prot::READ)),
        Err(Errno::EINVAL)
    );
    assert_eq!(sys!(h, space.mprotect(a, P, 0x80)), Err(Errno::EINVAL));
    assert_eq!(sys!(h, space.mprotect(a, 0, prot::READ)), Ok(()));
    assert_eq!(space.vmas()[0].prot, RW, "failed mprotect changes nothing");
}

#[test]
fn mremap_grows_moves_and_shrinks() {
    let (space, mut h) = setup();
    let a = sys!(h, space.mmap(0, 2 * P, RW, ANON)).unwrap();
    for i in 0..2 {
        h.store(a + i * P + 8, 8, 0x100 + i).unwrap();
    }
    // Grow in place into the free space above.
    sys!(h, space.munmap(a + 2 * P, 2 * P)).unwrap();
    assert_eq!(sys!(h, space.mremap(a, 2 * P, 3 * P, 0, 0)), Ok(a));
    h.store(a + 2 * P + 8, 8, 0x102).unwrap();
    // Blocked above: without MAYMOVE it fails, with it the pages move.
    sys!(h, space.mmap(a + 3 * P, P, prot::READ, ANON | map::FIXED)).unwrap();
    assert_eq!(
        sys!(h, space.mremap(a, 3 * P, 5 * P, 0, 0)),
        Err(Errno::ENOMEM)
    );
    let frames = space.frames_in_use();
    let b = sys!(h, space.mremap(a, 3 * P, 5 * P, mremap::MAYMOVE, 0)).unwrap();
    assert_ne!(b, a);
    assert_eq!(space.frames_in_use(), frames, "moved, not copied");
    for i in 0..3 {
        assert_eq!(h.load(b + i * P + 8, 8), Ok(0x100 + i));
    }
    assert_eq!(h.load(b + 4 * P, 8), Ok(0), "grown part is demand-zero");
    assert_eq!(h.load(a, 8).unwrap_err().kind, FaultKind::Unmapped);
    // Shrink.
    assert_eq!(sys!(h, space.mremap(b, 5 * P, P, 0, 0)), Ok(b));
    assert_eq!(h.load(b + P, 8).unwrap_err().kind, FaultKind::Unmapped);
    assert_eq!(h.load(b + 8, 8), Ok(0x100));
    // MREMAP_FIXED onto an existing mapping replaces it.
    let target = 0x3000_0000;
    sys!(h, space.mmap(target, 4 * P, RW, ANON | map::FIXED)).unwrap();
    h.store(target, 8, 0xbad).unwrap();
    assert_eq!(
        sys!(
            h,
            space.mremap(b, P, 2 * P, mremap::MAYMOVE | mremap::FIXED, target)
        ),
        Ok(target)
    );
    assert_eq!(h.load(target + 8, 8), Ok(0x100));
    assert_eq!(h.load(target, 8), Ok(0));
    assert_eq!(
        h.load(target + 2 * P, 8),
        Ok(0),
        "rest of the old mapping there stays"
    );
    // Argument checks.
    assert_eq!(
        sys!(
            h,
            space.mremap(target, P, 2 * P, mremap::FIXED, 0x4000_0000)
        ),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        sys!(
            h,
            space.mremap(
                target,
                P,
                2 * P,
                mremap::MAYMOVE | mremap::FIXED,
                target - P
            )
        ),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        sys!(h, space.mremap(0x5000_0000, P, 2 * P, mremap::MAYMOVE, 0)),
        Err(Errno::EFAULT)
    );
    assert_eq!(
        sys!(h, space.mremap(target, 8 * P, 9 * P, mremap::MAYMOVE, 0)),
        Err(Errno::EFAULT)
    );
    assert_eq!(
        sys!(h, space.mremap(target, P, 0, 0, 0)),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        sys!(h, space.mremap(target, 0, P, mremap::MAYMOVE, 0)),
        Err(Errno::EINVAL),
        "private"
    );
}

#[test]
fn mremap_dontunmap_leaves_an_empty_mapping() {
    let (space, mut h) = setup();
    let a = sys!(h, space.mmap(0, P, RW, ANON)).unwrap();
    h.store(a, 8, 42).unwrap();
    let b = sys!(
        h,
        space.mremap(a, P, P, mremap::MAYMOVE | mremap::DONTUNMAP, 0)
    )
    .unwrap();
    assert_eq!(h.load(b, 8), Ok(42));
    assert_eq!(h.load(a, 8), Ok(0));
}

#[test]
fn madvise_dontneed_zeroes_private_but_not_shared() {
    let (space, mut h) = setup();
    let a = sys!(h, space.mmap(0, 3 * P, RW, ANON)).unwrap();
    let s = sys!(h, space.mmap(0, 2 * P, RW, map::SHARED | map::ANONYMOUS)).unwrap();
    for i in 0..3 {
        h.store(a + i * P, 8, 9).unwrap();
    }
    h.store(s, 8, 5).unwrap();
    sys!(h, space.madvise(a, 2 * P, madv::DONTNEED)).unwrap();
    assert_eq!(h.load(a, 8), Ok(0));
    assert_eq!(h.load(a + P, 8), Ok(0));
    assert_eq!(h.load(a + 2 * P, 8), Ok(9));
    sys!(h, space.madvise(a + 2 * P, P, madv::FREE)).unwrap();
    assert_eq!(h.load(a + 2 * P, 8), Ok(0));
    sys!(h, space.madvise(s, 2 * P, madv::DONTNEED)).unwrap();
    assert_eq!(h.load(s, 8), Ok(5), "shared pages live in their object");
    assert_eq!(sys!(h, space.madvise(s, P, madv::FREE)), Err(Errno::EINVAL));
    sys!(h, space.madvise(s, P, madv::REMOVE)).unwrap();
    assert_eq!(h.load(s, 8), Ok(0));
    for advice in [
        madv::NORMAL,
        madv::RANDOM,
        madv::SEQUENTIAL,
        madv::WILLNEED,
        madv::DONTFORK,
        14,
        16,
    ] {
        assert_eq!(
            sys!(h, space.madvise(a, P, advice)),
            Ok(()),
            "advice {advice}"
        );
    }
    assert_eq!(sys!(h, space.madvise(a, P, 7)), Err(Errno::EINVAL));
    assert_eq!(sys!(h, space.madvise(a, P, 100)), Err(Errno::EINVAL));
    assert_eq!(
        sys!(h, space.madvise(a + 1, P, madv::NORMAL)),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        sys!(h, space.madvise(0x1000_0000, P, madv::NORMAL)),
        Err(Errno::ENOMEM)
    );
    h.store(a + 2 * P, 8, 3).unwrap();
    assert_eq!(
        sys!(h, space.madvise(a + 2 * P, 2 * P, madv::DONTNEED)),
        Err(Errno::ENOMEM),
        "partly mapped"
    );
    assert_eq!(
        h.load(a + 2 * P, 8),
        Ok(0),
        "the mapped part was still dropped"
    );
    let l = sys!(h, space.mmap(0, P, RW, ANON | map::LOCKED)).unwrap();
    assert_eq!(
        sys!(h, space.madvise(l, P, madv::DONTNEED)),
        Err(Errno::EINVAL)
    );
    assert_eq!(sys!(h, space.madvise(l, P, madv::DONTNEED_LOCKED)), Ok(()));
    let before = space.frames_in_use();
    let p = sys!(h, space.mmap(0, 4 * P, RW, ANON)).unwrap();
    sys!(h, space.madvise(p, 4 * P, madv::POPULATE_WRITE)).unwrap();
    assert_eq!(space.frames_in_use(), before + 4);
}

#[test]
fn shared_anonymous_mapping_survives_split_and_move() {
    let (space, mut h) = setup();
    let s = sys!(h, space.mmap(0, 4 * P, RW, map::SHARED | map::ANONYMOUS)).unwrap();
    for i in 0..4 {
        h.store(s + i * P, 8, 50 + i).unwrap();
    }
    sys!(h, space.mprotect(s + P, P, prot::READ)).unwrap();
    sys!(h, space.mprotect(s + P, P, RW)).unwrap();
    assert_eq!(space.vmas().len(), 1);
    let alias = sys!(h, space.mremap(s + 2 * P, 0, 2 * P, mremap::MAYMOVE, 0)).unwrap();
    assert_eq!(h.load(alias, 8), Ok(52));
    h.store(alias + P, 8, 99).unwrap();
    assert_eq!(h.load(s + 3 * P, 8), Ok(99), "both mappings see one page");
    sys!(h, space.munmap(s, 4 * P)).unwrap();
    assert_eq!(h.load(alias + P, 8), Ok(99));
    sys!(h, space.munmap(alias, 2 * P)).unwrap();
    assert_eq!(space.frames_in_use(), 0);
}

#[test]
fn brk_grows_and_shrinks() {
    let (space, mut h) = setup();
    let start = 0x1_0000_0000;
    sys!(h, space.set_brk_start(start));
    assert_eq!(sys!(h, space.brk(0)), start);
    assert_eq!(sys!(h, space.brk(start + 100)), start + 100);
    h.store(start + 50, 8, 1).unwrap();
    assert_eq!(sys!(h, space.brk(start + 3 * P)), start + 3 * P);
    h.store(start + 2 * P, 8, 2).unwrap();
    assert_eq!(
        h.load(start + 3 * P, 1).unwrap_err().kind,
        FaultKind::Unmapped
    );
    assert_eq!(space.vmas().len(), 1);
    assert_eq!(space.vmas()[0].name.as_deref(), Some("[heap]"));
    assert_eq!(sys!(h, space.brk(start + 10)), start + 10, "shrink");
    assert_eq!(space.frames_in_use(), 1);
    assert_eq!(
        h.load(start + 2 * P, 8).unwrap_err().kind,
        FaultKind::Unmapped
    );
    assert_eq!(sys!(h, space.brk(start + 3 * P)), start + 3 * P);
    assert_eq!(h.load(start + 2 * P, 8), Ok(0), "regrown heap is zero");
    assert_eq!(
        sys!(h, space.brk(start - P)),
        start + 3 * P,
        "below the start: unchanged"
    );
    sys!(h, space.mmap(start + 5 * P, P, RW, ANON | map::FIXED)).unwrap();
    assert_eq!(
        sys!(h, space.brk(start + 6 * P)),
        start + 3 * P,
        "blocked growth returns the old break"
    );
    assert_eq!(sys!(h, space.brk(start + 5 * P)), start + 5 * P);
}

#[test]
fn user_copies_honour_permissions() {
    let (space, _h) = setup();
    let a = space.mmap(0, 2 * P, RW, ANON).unwrap();
    let r = space.mmap(0, P, prot::READ, ANON).unwrap();
    let data: Vec<u8> = (0..200u8).collect();
    space.write_bytes(a + P - 100, &data).unwrap();
    let mut back = vec![0u8; 200];
    space.read_bytes(a + P - 100, &mut back).unwrap();
    assert_eq!(back, data);
    assert_eq!(space.write_bytes(r, b"x"), Err(Errno::EFAULT));
    assert_eq!(space.read_bytes(r, &mut back), Ok(()));
    assert_eq!(space.read_bytes(0x1000, &mut back), Err(Errno::EFAULT));
    assert_eq!(
        space.read_bytes(a + 2 * P - 10, &mut back),
        Err(Errno::EFAULT),
        "runs off the end"
    );
    assert_eq!(
        space.read_bytes(u64::MAX - 5, &mut back),
        Err(Errno::EFAULT)
    );
    space.write_bytes(a + P - 3, b"hello\0world").unwrap();
    assert_eq!(space.read_cstring(a + P - 3, 100).unwrap(), b"hello");
    assert_eq!(space.read_cstring(a + P - 3, 4).unwrap(), b"hell");
    space.write_bytes(a + 2 * P - 3, b"abc").unwrap();
    assert_eq!(space.read_cstring(a + 2 * P - 3, 100), Err(Errno::EFAULT));

    space.write_bytes(a + 8, &7u32.to_le_bytes()).unwrap();
    assert_eq!(space.load_u32_atomic(a + 8), Ok(7));
    assert_eq!(space.update_u32_atomic(a + 8, &|v| v * 3), Ok(7));
    assert_eq!(space.load_u32_atomic(a + 8), Ok(21));
    assert_eq!(space.load_u32_atomic(a + 9), Err(Errno::EINVAL));
    assert_eq!(space.load_u32_atomic(0x1000), Err(Errno::EFAULT));
    assert_eq!(space.load_u32_atomic(r), Ok(0));
    assert_eq!(space.update_u32_atomic(r, &|v| v + 1), Err(Errno::EFAULT));
}

#[test]
fn populate_and_out_of_memory() {
    let space = space_with(8 * P);
    let a = space.mmap(0, 4 * P, RW, ANON | map::POPULATE).unwrap();
    assert_eq!(space.frames_in_use(), 4);
    assert_eq!(space.stats().total_of("faults.minor"), 4);
    // MAP_POPULATE ignores what it cannot populate, as Linux's mm_populate does.
    let b = space.mmap(0, 8 * P, RW, ANON | map::POPULATE).unwrap();
    assert_eq!(space.frames_in_use(), 8, "populated until the pool ran out");
    // Explicit populating reports it: MADV_POPULATE_* as ENOMEM, mlock as EAGAIN.
    assert_eq!(
        space.madvise(b, 8 * P, madv::POPULATE_WRITE),
        Err(Errno::ENOMEM)
    );
    assert_eq!(space.mlock(b, 8 * P, 0), Err(Errno::EAGAIN));
    space.munmap(b, 8 * P).unwrap();
    assert_eq!(space.vmas().len(), 1);
    let big = space.mmap(0, 8 * P, RW, ANON).unwrap();
    assert_eq!(
        space.write_bytes(big, &[1u8; 8 * u64_to_usize(P)]),
        Err(Errno::ENOMEM)
    );
    space.munmap(a, 4 * P).unwrap();
    let more = space.mmap(0, 16 * P, RW, ANON).unwrap();
    let mut h = space.attach_hart(7);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for i in 0..16 {
            let _ = h.store(more + i * P, 1, 1);
        }
    }));
    let msg = r.unwrap_err();
    let msg = msg.downcast_ref::<String>().unwrap();
    assert!(msg.contains("out of memory"), "{msg}");
}

#[test]
fn stats_follow_the_calling_hart_and_outlive_it() {
    let space = space_with(16 << 20);
    let before = space.stats().total_of("mmap_lock.write_acquired");
    let mut h = space.attach_hart(3);
    h.leave_guest();
    let a = space.mmap(0, P, RW, ANON).unwrap();
    h.enter_guest();
    h.store(a, 8, 1).unwrap();
    assert_eq!(h.stats().get(mmu::stats::Counter::MmapLockWriteAcquired), 1);
    assert_eq!(
        h.stats().get(mmu::stats::Counter::VmaLockSuccess),
        1,
        "the fault, under the VMA's lock"
    );
    assert_eq!(h.stats().get(mmu::stats::Counter::MmapLockReadAcquired), 0);
    space.munmap(a, P).unwrap();
    drop(h);
    let s = space.stats();
    assert_eq!(s.hart_of(3, "mmap_lock.write_acquired"), 2);
    assert_eq!(s.hart_of(3, "tlb.shootdowns"), 1);
    assert_eq!(s.total_of("mmap_lock.write_acquired"), before + 2);
}
