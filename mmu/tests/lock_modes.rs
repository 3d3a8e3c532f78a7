//! The lock each mm operation takes, read off the counters, and the semantics that came
//! with the lock modes: madvise flag advices, anonymous VMA names, the mlock family and
//! populating.

use mmu::madvise::{advice_lock, AdviceLock};
use mmu::{madv, map, mlock_flags, prot, AddressSpace, Errno, MmConfig, PAGE_SIZE};
use std::sync::Arc;

const P: u64 = PAGE_SIZE;
const RW: u32 = prot::READ | prot::WRITE;
const ANON: u32 = map::PRIVATE | map::ANONYMOUS;

fn space() -> Arc<AddressSpace> {
    AddressSpace::new(MmConfig {
        frame_pool_bytes: 16 << 20,
        ..MmConfig::default()
    })
    .unwrap()
}

/// `(mmap_lock read, mmap_lock write, VMAs write-locked)` taken by `op`.
fn locks<R>(space: &AddressSpace, op: impl FnOnce() -> R) -> (u64, u64, u64) {
    let names = [
        "mmap_lock.read_acquired",
        "mmap_lock.write_acquired",
        "vma_lock.write_locked",
    ];
    let before = space.stats();
    op();
    let after = space.stats();
    let d = |n: &str| after.total_of(n) - before.total_of(n);
    (d(names[0]), d(names[1]), d(names[2]))
}

#[test]
fn mapping_calls_take_mmap_lock_for_write() {
    let s = space();
    let mut a = 0;
    assert_eq!(
        locks(&s, || a = s.mmap(0, 8 * P, RW, ANON).unwrap()),
        (0, 1, 0)
    );
    assert_eq!(locks(&s, || s.mprotect(a, P, prot::READ)), (0, 1, 1));
    assert_eq!(locks(&s, || s.munmap(a + 7 * P, P)), (0, 1, 1));
    let grown = locks(&s, || s.mremap(a, 7 * P, 9 * P, mmu::mremap::MAYMOVE, 0));
    assert_eq!((grown.0, grown.1), (0, 1));
    s.set_brk_start(0x100_0000);
    assert_eq!(locks(&s, || s.brk(0x100_0000 + 3 * P)), (0, 1, 0));
    // Only the locked VMA is touched, then populated under the read side.
    let b = s.mmap(0, 2 * P, RW, ANON).unwrap();
    assert_eq!(locks(&s, || s.mlock(b, 2 * P, 0)), (1, 1, 1));
    assert_eq!(
        locks(&s, || s.mlock(b, 2 * P, mlock_flags::ONFAULT)),
        (0, 1, 1)
    );
    assert_eq!(locks(&s, || s.munlock(b, 2 * P)), (0, 1, 1));
    assert_eq!(locks(&s, || s.set_anon_name(b, P, Some(b"x"))), (0, 1, 1));
    let n = s.vmas().len() as u64;
    assert_eq!(
        locks(&s, || s.mlockall(mlock_flags::MCL_CURRENT)),
        (1, 1, n)
    );
    assert_eq!(locks(&s, || s.munlockall()), (0, 1, n));
    assert_eq!(
        locks(&s, || drop(s.fork().unwrap())),
        (0, 1, n),
        "fork locks them all"
    );
}

#[test]
fn each_advice_takes_the_lock_linux_takes() {
    use AdviceLock::*;
    let table = [
        (madv::DONTNEED, VmaRead),
        (madv::DONTNEED_LOCKED, VmaRead),
        (madv::FREE, VmaRead),
        (madv::WILLNEED, MmapRead),
        (madv::COLD, MmapRead),
        (madv::PAGEOUT, MmapRead),
        (madv::POPULATE_READ, MmapRead),
        (madv::POPULATE_WRITE, MmapRead),
        (madv::COLLAPSE, MmapRead),
        (madv::REMOVE, MmapRead),
        (madv::NORMAL, MmapWrite),
        (madv::RANDOM, MmapWrite),
        (madv::SEQUENTIAL, MmapWrite),
        (madv::DONTFORK, MmapWrite),
        (madv::DOFORK, MmapWrite),
        (madv::MERGEABLE, MmapWrite),
        (madv::HUGEPAGE, MmapWrite),
        (madv::DONTDUMP, MmapWrite),
        (madv::WIPEONFORK, MmapWrite),
        (madv::KEEPONFORK, MmapWrite),
    ];
    let s = space();
    let a = s.mmap(0, 4 * P, RW, ANON).unwrap();
    let shared = s.mmap(0, 2 * P, RW, map::SHARED | map::ANONYMOUS).unwrap();
    for (advice, lock) in table {
        assert_eq!(advice_lock(advice), lock, "advice {advice}");
        let at = if advice == madv::REMOVE { shared } else { a };
        let (r, w, _) = locks(&s, || s.madvise(at, 2 * P, advice).unwrap());
        let want = match lock {
            VmaRead => (0, 0),
            MmapRead => (1, 0),
            MmapWrite => (0, 1),
        };
        assert_eq!((r, w), want, "advice {advice}");
    }
}

#[test]
fn discarding_across_vmas_falls_back_to_mmap_lock_for_read() {
    let s = space();
    let a = s.mmap(0, 4 * P, RW, ANON | map::POPULATE).unwrap();
    s.mprotect(a + 2 * P, 2 * P, prot::READ).unwrap();
    let before = s.stats().total_of("vma_lock.abort");
    assert_eq!(
        locks(&s, || s.madvise(a, 4 * P, madv::DONTNEED).unwrap()),
        (1, 0, 0)
    );
    assert_eq!(s.stats().total_of("vma_lock.abort"), before);
    assert_eq!(s.frames_in_use(), 0);
}

#[test]
fn flag_advices_split_and_merge_back() {
    let s = space();
    let a = s.mmap(0, 6 * P, RW, ANON).unwrap();
    let (_, _, locked) = locks(&s, || s.madvise(a + 2 * P, 2 * P, madv::RANDOM).unwrap());
    assert_eq!(locked, 1, "the one VMA changed");
    let v = s.vmas();
    assert_eq!(v.len(), 3);
    assert!(v[1].flags.contains(mmu::vma::VmaFlags::RAND_READ));
    assert!(!v[0].flags.contains(mmu::vma::VmaFlags::RAND_READ));
    // Advice that changes nothing touches nothing.
    assert_eq!(
        locks(&s, || s.madvise(a, 2 * P, madv::NORMAL).unwrap()).2,
        0
    );
    s.madvise(a, 6 * P, madv::NORMAL).unwrap();
    assert_eq!(s.vmas().len(), 1);
    let sh = s.mmap(0, P, RW, map::SHARED | map::ANONYMOUS).unwrap();
    assert_eq!(s.madvise(sh, P, madv::WIPEONFORK), Err(Errno::EINVAL));
    assert_eq!(s.madvise(sh, P, madv::FREE), Err(Errno::EINVAL));
    // A hole: the mapped part still gets the advice, then ENOMEM.
    s.munmap(a + 3 * P, P).unwrap();
    assert_eq!(s.madvise(a, 6 * P, madv::DONTDUMP), Err(Errno::ENOMEM));
    assert!(s
        .vmas()
        .iter()
        .filter(|v| v.start >= a && v.end <= a + 6 * P)
        .all(|v| v.flags.contains(mmu::vma::VmaFlags::DONTDUMP)));
}

#[test]
fn anonymous_names_split_and_merge_like_linux() {
    let s = space();
    let a = s.mmap(0, 4 * P, RW, ANON).unwrap();
    s.set_anon_name(a + P, 2 * P, Some(b"cache")).unwrap();
    let v = s.vmas();
    assert_eq!(v.len(), 3);
    assert_eq!(v[1].anon_name.as_deref(), Some("cache"));
    s.set_anon_name(a, P, Some(b"other")).unwrap();
    assert_eq!(s.vmas().len(), 3, "different names do not merge");
    s.set_anon_name(a, P, Some(b"cache")).unwrap();
    assert_eq!(s.vmas().len(), 2, "the same name merges");
    s.set_anon_name(a, 4 * P, None).unwrap();
    assert_eq!(s.vmas().len(), 1, "unnamed again");
    assert_eq!(s.set_anon_name(a, P, Some(b"a[1]")), Err(Errno::EINVAL));
    assert_eq!(
        s.set_anon_name(a, P, Some(b"tab\there")),
        Err(Errno::EINVAL)
    );
    assert_eq!(s.set_anon_name(a, P, Some(&[b'x'; 80])), Err(Errno::EINVAL));
    s.set_anon_name(a, P, Some(&[b'x'; 79])).unwrap();
    assert_eq!(s.set_anon_name(a + 1, P, Some(b"x")), Err(Errno::EINVAL));
    assert_eq!(s.set_anon_name(a, 0, Some(b"x")), Ok(()));
    assert_eq!(
        s.set_anon_name(a + 3 * P, 2 * P, Some(b"edge")),
        Err(Errno::ENOMEM)
    );
    assert_eq!(s.vmas().last().unwrap().anon_name.as_deref(), Some("edge"));
}

#[test]
fn mlock_populates_and_munlock_unlocks() {
    use mmu::vma::VmaFlags;
    let s = space();
    let a = s.mmap(0, 4 * P, RW, ANON).unwrap();
    // An unaligned start is rounded down, the end up.
    s.mlock(a + P + 10, P, 0).unwrap();
    assert_eq!(s.frames_in_use(), 2);
    let v = s.vmas();
    assert_eq!(v.len(), 3);
    assert!(v[1].flags.contains(VmaFlags::LOCKED));
    assert_eq!(s.madvise(a + P, P, madv::DONTNEED), Err(Errno::EINVAL));
    s.munlock(a, 4 * P).unwrap();
    assert_eq!(s.vmas().len(), 1);
    s.mlock(a, 4 * P, mlock_flags::ONFAULT).unwrap();
    assert_eq!(s.frames_in_use(), 2, "locked on fault: nothing populated");
    assert_eq!(s.mlock(a, P, 2), Err(Errno::EINVAL));
    s.munmap(a + 3 * P, P).unwrap();
    assert_eq!(s.mlock(a, 4 * P, 0), Err(Errno::ENOMEM), "a hole");
    let none = s.mmap(0, P, 0, ANON).unwrap();
    s.mlock(none, P, 0).unwrap();
}

#[test]
fn mlockall_future_locks_later_mappings_and_the_heap() {
    use mmu::vma::VmaFlags;
    let s = space();
    assert_eq!(s.mlockall(0), Err(Errno::EINVAL));
    assert_eq!(s.mlockall(mlock_flags::MCL_ONFAULT), Err(Errno::EINVAL));
    assert_eq!(s.mlockall(8), Err(Errno::EINVAL));
    let before = s.mmap(0, 2 * P, RW, ANON).unwrap();
    s.mlockall(mlock_flags::MCL_FUTURE).unwrap();
    assert_eq!(s.frames_in_use(), 0, "MCL_FUTURE alone locks nothing now");
    let later = s.mmap(0, 3 * P, RW, ANON).unwrap();
    assert_eq!(s.frames_in_use(), 3, "populated when mapped");
    s.set_brk_start(0x100_0000);
    s.brk(0x100_0000 + 2 * P);
    assert_eq!(s.frames_in_use(), 5, "the heap too");
    s.munlockall().unwrap();
    assert!(s.vmas().iter().all(|v| !v.flags.contains(VmaFlags::LOCKED)));
    s.mmap(0, P, RW, ANON).unwrap();
    assert_eq!(s.frames_in_use(), 5);
    s.mlockall(mlock_flags::MCL_CURRENT).unwrap();
    assert_eq!(s.frames_in_use(), 8, "everything mapped populated");
    assert!(s.vmas().iter().all(|v| v.flags.contains(VmaFlags::LOCKED)));
    let _ = (before, later);
}

#[test]
fn madv_populate_stops_at_holes_and_refuses_what_the_access_may_not_do() {
    let s = space();
    let a = s.mmap(0, 4 * P, RW, ANON).unwrap();
    s.munmap(a + 2 * P, P).unwrap();
    assert_eq!(s.madvise(a, 4 * P, madv::POPULATE_READ), Err(Errno::ENOMEM));
    assert_eq!(s.frames_in_use(), 2, "the pages before the hole");
    let r = s.mmap(0, P, prot::READ, ANON).unwrap();
    assert_eq!(s.madvise(r, P, madv::POPULATE_WRITE), Err(Errno::EINVAL));
    s.madvise(r, P, madv::POPULATE_READ).unwrap();
    let none = s.mmap(0, P, 0, ANON).unwrap();
    assert_eq!(s.madvise(none, P, madv::POPULATE_READ), Err(Errno::EINVAL));
}
