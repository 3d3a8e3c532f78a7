//! Harts on several threads: TLB shootdowns, racing faults, and a stress mix of mm calls
//! and guest accesses.

use devices::cast::low_u32;
use devices::trace::{catalog, Owner, Phase, Recorder, TraceRecord, TraceValue};
use mmu::stats::Counter;
use mmu::{
    madv, map, mremap, prot, AddressSpace, FaultKind, FaultPolicy, HartMem, MmConfig, PAGE_SIZE,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::time::Duration;

const P: u64 = PAGE_SIZE;
const RW: u32 = prot::READ | prot::WRITE;
const ANON: u32 = map::PRIVATE | map::ANONYMOUS;
const PATTERN: u64 = 0x1111_2222_3333_4444;

fn space() -> Arc<AddressSpace> {
    space_with(FaultPolicy::default())
}

fn space_with(policy: FaultPolicy) -> Arc<AddressSpace> {
    AddressSpace::new(MmConfig {
        frame_pool_bytes: 256 << 20,
        policy,
        ..MmConfig::default()
    })
    .unwrap()
}

/// Aborts the test process if dropped late: a deadlock fails loudly instead of hanging.
struct Watchdog(Option<mpsc::Sender<()>>);

impl Watchdog {
    fn new(what: &'static str, secs: u64) -> Watchdog {
        let (tx, rx) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(Duration::from_secs(secs))
            {
                eprintln!("watchdog: {what} did not finish in {secs} s (deadlock?)");
                std::process::abort();
            }
        });
        Watchdog(Some(tx))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

/// What the emulator does at a block boundary.
fn boundary(h: &mut HartMem) {
    if h.interrupt_pending() {
        h.service_interrupts();
    }
}

/// A system call made the way the emulator makes it: outside guest state.
fn sys<R>(h: &mut HartMem, call: impl FnOnce() -> R) -> R {
    h.leave_guest();
    let r = call();
    h.enter_guest();
    r
}

#[test]
fn handles_cross_threads() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<HartMem>();
    send_sync::<AddressSpace>();
    send_sync::<mmu::HartSignal>();
}

#[test]
fn signal_bits_raise_interrupts_and_are_taken() {
    let space = space();
    let mut h = space.attach_hart(1);
    assert!(!h.interrupt_pending());
    let sig = h.signal();
    sig.raise(3);
    sig.raise(15);
    assert!(h.interrupt_pending());
    assert_eq!(h.service_interrupts(), (1 << 3) | (1 << 15));
    assert!(!h.interrupt_pending());
    sig.raise(0);
    assert_eq!(sig.take(), 1);
    assert_eq!(sig.take(), 0);
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sig.raise(16))).is_err());
}

#[test]
fn munmap_shoots_down_a_spinning_hart() {
    let _w = Watchdog::new("munmap_shoots_down_a_spinning_hart", 60);
    let recorder = Recorder::in_memory(Arc::new(devices::HostClock::new()));
    recorder.attach(Owner::Daemon("test"));
    let space = space();
    let a = space.mmap(0, P, RW, ANON).unwrap();
    space.write_bytes(a, &PATTERN.to_le_bytes()).unwrap();
    let unmapped = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let hart = {
        let (space, unmapped, reads) = (space.clone(), unmapped.clone(), reads.clone());
        std::thread::spawn(move || {
            let mut h = space.attach_hart(2);
            h.enter_guest();
            loop {
                boundary(&mut h);
                let after = unmapped.load(Ordering::Acquire);
                match h.load(a, 8) {
                    Ok(v) => {
                        assert_eq!(v, PATTERN, "read a freed or reused frame");
                        assert!(!after, "TLB entry survived munmap");
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(f) => {
                        assert_eq!((f.addr, f.kind), (a, FaultKind::Unmapped));
                        return h.stats().get(Counter::TlbFlushes);
                    }
                }
            }
        })
    };
    while reads.load(Ordering::Relaxed) < 10_000 {
        std::thread::yield_now();
    }
    space.munmap(a, P).unwrap();
    unmapped.store(true, Ordering::Release);
    // The frame is free now: reuse it with other contents, at another address (a fault
    // at `a` that comes after this must not find a legitimate new mapping there).
    let b = space.mmap(a - 64 * P, P, RW, ANON).unwrap();
    assert_ne!(a, b);
    space.write_bytes(b, &(!PATTERN).to_le_bytes()).unwrap();
    let flushes = hart.join().unwrap();
    assert!(flushes >= 1);
    let stats = space.stats();
    assert_eq!(stats.total_of("tlb.shootdowns"), 1);
    assert!(
        stats.total_of("tlb.shootdown_wait_ns") > 0,
        "it waited for the spinner"
    );
    devices::trace::detach();
    // The test thread's trace: one shootdown slice, waiting for the one spinning hart
    // (within the time the counter measured around it).
    let records: Vec<TraceRecord> = recorder
        .take_records()
        .into_iter()
        .filter(|(o, _)| *o == Owner::Daemon("test"))
        .map(|(_, r)| r)
        .collect();
    let begins: Vec<usize> = (0..records.len())
        .filter(|&i| records[i].phase == Phase::Begin && records[i].name == catalog::SHOOTDOWN)
        .collect();
    let [i] = begins[..] else {
        panic!("{records:?}")
    };
    let end = records[i + 1];
    assert_eq!(end.phase, Phase::End);
    assert_eq!(
        end.args[0].value,
        TraceValue::Uint(1),
        "waited for one hart"
    );
    let traced_ns = end.ts_ns - records[i].ts_ns;
    assert!(traced_ns > 0 && traced_ns <= stats.total_of("tlb.shootdown_wait_ns"));
}

#[test]
fn hart_outside_guest_code_does_not_block_munmap() {
    let _w = Watchdog::new("hart_outside_guest_code_does_not_block_munmap", 60);
    let space = space();
    let a = space.mmap(0, P, RW, ANON).unwrap();
    space.write_bytes(a, &PATTERN.to_le_bytes()).unwrap();
    let (ready_tx, ready_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let hart = {
        let space = space.clone();
        std::thread::spawn(move || {
            let mut h = space.attach_hart(2);
            h.enter_guest();
            assert_eq!(h.load(a, 8), Ok(PATTERN));
            // Blocked in a system call: never reaches a block boundary until told.
            h.leave_guest();
            ready_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            h.enter_guest();
            assert_eq!(
                h.load(a, 8).unwrap_err().kind,
                FaultKind::Unmapped,
                "flushed on re-entry"
            );
        })
    };
    ready_rx.recv().unwrap();
    space.munmap(a, P).unwrap();
    go_tx.send(()).unwrap();
    hart.join().unwrap();
}

#[test]
fn a_hart_initiating_a_shootdown_does_not_wait_for_itself() {
    let _w = Watchdog::new("a_hart_initiating_a_shootdown_does_not_wait_for_itself", 60);
    let space = space();
    let a = space.mmap(0, P, RW, ANON).unwrap();
    let mut h = space.attach_hart(1);
    h.enter_guest();
    h.store(a, 8, 1).unwrap();
    // Called without leaving guest state first.
    space.munmap(a, P).unwrap();
    assert!(h.interrupt_pending(), "its own TLB still needs the flush");
    h.service_interrupts();
    assert_eq!(h.load(a, 8).unwrap_err().kind, FaultKind::Unmapped);
    assert_eq!(h.stats().get(Counter::TlbShootdowns), 1);
}

#[test]
fn racing_faults_on_one_page_allocate_one_frame() {
    let _w = Watchdog::new("racing_faults_on_one_page_allocate_one_frame", 60);
    let space = space();
    let pages = 256;
    let a = space.mmap(0, pages * P, RW, ANON).unwrap();
    let threads = 4;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let (space, barrier) = (space.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut h = space.attach_hart(10 + low_u32(i as u64));
                h.enter_guest();
                barrier.wait();
                for p in 0..pages {
                    // Everyone touches every page; all must see the same frame.
                    h.atomic_u64(a + p * P)
                        .unwrap()
                        .fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for t in handles {
        t.join().unwrap();
    }
    assert_eq!(space.frames_in_use() as u64, pages);
    assert_eq!(space.stats().total_of("faults.minor"), pages);
    let mut h = space.attach_hart(1);
    for p in 0..pages {
        assert_eq!(h.load(a + p * P, 8), Ok(threads as u64), "page {p}");
    }
}

/// One region a stress worker owns: every page holds `value(page)` at a few offsets.
struct Region {
    addr: u64,
    pages: u64,
    tag: u64,
}

const OFFSETS: [u64; 4] = [0, 8, 2044, 4088];

impl Region {
    fn value(&self, owner: u64, page: u64, off: u64) -> u64 {
        (owner << 56) | (self.tag << 32) | (page << 12) | off
    }
}

fn fill(h: &mut HartMem, owner: u64, r: &Region) {
    for p in 0..r.pages {
        for off in OFFSETS {
            h.store(r.addr + p * P + off, 8, r.value(owner, p, off))
                .unwrap();
        }
    }
}

fn verify(h: &mut HartMem, owner: u64, r: &Region) {
    for p in 0..r.pages {
        boundary(h);
        for off in OFFSETS {
            let got = h.load(r.addr + p * P + off, 8).unwrap();
            assert_eq!(
                got,
                r.value(owner, p, off),
                "lost write: owner {owner} page {p} off {off}"
            );
        }
    }
}

fn stress_worker(space: Arc<AddressSpace>, owner: u64, iterations: u32) {
    let mut h = space.attach_hart(100 + low_u32(owner));
    h.enter_guest();
    let mut rng = StdRng::seed_from_u64(owner);
    let mut regions: Vec<Region> = Vec::new();
    let mut next_tag = 1;
    for _ in 0..iterations {
        boundary(&mut h);
        let pick = if regions.is_empty() {
            0
        } else {
            rng.gen_range(0..12)
        };
        match pick {
            0 if regions.len() < 6 => {
                let pages = rng.gen_range(1..12);
                let addr = sys(&mut h, || space.mmap(0, pages * P, RW, ANON)).unwrap();
                let r = Region {
                    addr,
                    pages,
                    tag: next_tag,
                };
                next_tag += 1;
                fill(&mut h, owner, &r);
                regions.push(r);
            }
            1 => {
                let r = regions.swap_remove(rng.gen_range(0..regions.len()));
                sys(&mut h, || space.munmap(r.addr, r.pages * P)).unwrap();
                // Someone else may have mapped the range again, but never with our data.
                if let Ok(v) = h.load(r.addr, 8) {
                    assert_ne!(v, r.value(owner, 0, 0), "stale TLB after munmap");
                }
            }
            2 => {
                let r = &regions[rng.gen_range(0..regions.len())];
                sys(&mut h, || space.mprotect(r.addr, r.pages * P, prot::READ)).unwrap();
                verify(&mut h, owner, r);
                let e = h.store(r.addr + 8, 8, 0).unwrap_err();
                assert_eq!(
                    e.kind,
                    FaultKind::Protection,
                    "stale write TLB after mprotect"
                );
                sys(&mut h, || space.mprotect(r.addr, r.pages * P, RW)).unwrap();
            }
            3 => {
                let r = &regions[rng.gen_range(0..regions.len())];
                let p = rng.gen_range(0..r.pages);
                sys(&mut h, || space.madvise(r.addr + p * P, P, madv::DONTNEED)).unwrap();
                for off in OFFSETS {
                    assert_eq!(
                        h.load(r.addr + p * P + off, 8),
                        Ok(0),
                        "page survived DONTNEED"
                    );
                    h.store(r.addr + p * P + off, 8, r.value(owner, p, off))
                        .unwrap();
                }
            }
            4 => {
                let i = rng.gen_range(0..regions.len());
                let (old, pages) = (regions[i].addr, regions[i].pages);
                let grow = rng.gen_range(1..4);
                let addr = sys(&mut h, || {
                    space.mremap(old, pages * P, (pages + grow) * P, mremap::MAYMOVE, 0)
                })
                .unwrap();
                let r = &mut regions[i];
                r.addr = addr;
                verify(&mut h, owner, r);
                r.pages += grow;
                fill(&mut h, owner, r);
            }
            8 => {
                // Discarded lazily or at once: either way the data must come back as
                // it was or as zero, never as anything else.
                let r = &regions[rng.gen_range(0..regions.len())];
                let p = rng.gen_range(0..r.pages);
                sys(&mut h, || space.madvise(r.addr + p * P, P, madv::FREE)).unwrap();
                for off in OFFSETS {
                    let v = h.load(r.addr + p * P + off, 8).unwrap();
                    assert!(v == 0 || v == r.value(owner, p, off), "page after FREE");
                    h.store(r.addr + p * P + off, 8, r.value(owner, p, off))
                        .unwrap();
                }
            }
            9 => {
                // Locked, populated and unlocked again: splits and merges the VMA.
                let r = &regions[rng.gen_range(0..regions.len())];
                let p = rng.gen_range(0..r.pages);
                sys(&mut h, || space.mlock(r.addr + p * P, P, 0)).unwrap();
                verify(&mut h, owner, r);
                sys(&mut h, || space.munlock(r.addr, r.pages * P)).unwrap();
            }
            10 => {
                // Flag advice and names split the VMA; populating touches it all.
                let r = &regions[rng.gen_range(0..regions.len())];
                let p = rng.gen_range(0..r.pages);
                sys(&mut h, || space.madvise(r.addr + p * P, P, madv::RANDOM)).unwrap();
                sys(&mut h, || space.set_anon_name(r.addr, P, Some(b"stress"))).unwrap();
                sys(&mut h, || {
                    space.madvise(r.addr, r.pages * P, madv::POPULATE_WRITE)
                })
                .unwrap();
                verify(&mut h, owner, r);
                sys(&mut h, || space.madvise(r.addr, r.pages * P, madv::NORMAL)).unwrap();
                sys(&mut h, || space.set_anon_name(r.addr, r.pages * P, None)).unwrap();
            }
            5 => {
                let r = &regions[rng.gen_range(0..regions.len())];
                let p = rng.gen_range(0..r.pages);
                let mut buf = [0u8; 8];
                sys(&mut h, || space.read_bytes(r.addr + p * P + 8, &mut buf)).unwrap();
                assert_eq!(u64::from_le_bytes(buf), r.value(owner, p, 8));
                let v = r.value(owner, p, 2044).to_le_bytes();
                sys(&mut h, || space.write_bytes(r.addr + p * P + 2044, &v)).unwrap();
            }
            _ => {
                let i = rng.gen_range(0..regions.len());
                let r = &mut regions[i];
                verify(&mut h, owner, r);
                r.tag = next_tag;
                next_tag += 1;
                fill(&mut h, owner, r);
            }
        }
    }
    for r in regions {
        verify(&mut h, owner, &r);
        sys(&mut h, || space.munmap(r.addr, r.pages * P)).unwrap();
    }
}

/// Many harts doing mm calls and faults at once under `policy`: no lost write, no read
/// of a freed frame (values are checked everywhere), no deadlock (the watchdog), and
/// counters that add up.
fn stress(policy: FaultPolicy) {
    let _w = Watchdog::new("stress", 240);
    let space = space_with(policy.clone());
    let shared = space.mmap(0, 4 * P, RW, ANON | map::POPULATE).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    // A hart that only reads, always in guest code: every shootdown must wait for it.
    let spinner = {
        let (space, stop) = (space.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut h = space.attach_hart(1);
            h.enter_guest();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                boundary(&mut h);
                let v = h.load(shared + (n % 4) * P, 8).unwrap();
                h.store(shared + (n % 4) * P, 8, v + 1).unwrap();
                n += 1;
            }
            n
        })
    };
    let workers: Vec<_> = (0..4u64)
        .map(|owner| {
            let space = space.clone();
            std::thread::spawn(move || stress_worker(space, owner, 1200))
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let spins = spinner.join().unwrap();
    let mut total = 0;
    for p in 0..4 {
        let mut b = [0u8; 8];
        space.read_bytes(shared + p * P, &mut b).unwrap();
        total += u64::from_le_bytes(b);
    }
    assert_eq!(total, spins, "the spinner's own stores all landed");
    assert_eq!(space.frames_in_use(), 4, "every worker frame was freed");
    let s = space.stats();
    let t = |n: &str| s.total_of(n);
    assert!(t("tlb.shootdowns") > 0);
    assert!(s.hart_of(100, "mmap_lock.write_acquired") > 0);
    for name in s.total.keys() {
        let harts: u64 = s.per_hart.values().map(|h| h[name]).sum();
        assert!(
            harts <= t(name),
            "{name}: harts add up to more than the total"
        );
    }
    for mode in ["read", "write"] {
        let waits: u64 = s
            .total
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("mmap_lock.{mode}_waits_")))
            .map(|(_, v)| v)
            .sum();
        assert!(
            waits <= t(&format!("mmap_lock.{mode}_acquired")),
            "{mode} waits"
        );
    }
    // Anonymous faults never wait for I/O, so nothing retries.
    assert_eq!((t("faults.retry"), t("vma_lock.retry")), (0, 0));
    // Every page installed by a fault was installed under a VMA lock or mmap_lock.
    assert!(t("faults.minor") <= t("vma_lock.success") + t("mmap_lock.read_acquired"));
    if policy.tries_vma_lock() {
        assert!(t("vma_lock.success") > 0 && t("vma_lock.write_locked") > 0);
    } else {
        for c in ["success", "abort", "miss", "retry", "write_locked"] {
            assert_eq!(t(&format!("vma_lock.{c}")), 0, "{c} under mmap");
        }
    }
}

#[test]
fn stress_mmap_policy() {
    stress(FaultPolicy::MMAP);
}

#[test]
fn stress_vma_policy() {
    stress(FaultPolicy::VMA);
}

#[test]
fn stress_vma_retry_policy() {
    stress(FaultPolicy::VMA_RETRY);
}

#[test]
fn stress_vma_hold_policy() {
    stress(FaultPolicy::VMA_HOLD);
}
