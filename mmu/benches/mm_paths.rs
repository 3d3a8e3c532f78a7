//! Micro-benchmarks of the memory manager's hot paths: a TLB-hit load and store, an
//! uncontended `mmap_lock` read acquire/release, a minor anonymous fault and a
//! page-cache hit. `cargo bench -p mmu`; not run in CI (timings need a quiet machine).

use criterion::{criterion_group, criterion_main, Criterion};
use devices::{Clock, HostClock};
use mmu::pagecache::FileData;
use mmu::{map, prot, AddressSpace, MmConfig, PAGE_SIZE};
use parking_lot::Mutex;
use std::hint::black_box;
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// A space with 64 MiB of frames and the default (cache-less) configuration.
fn space() -> Arc<AddressSpace> {
    AddressSpace::new(MmConfig {
        frame_pool_bytes: 64 << 20,
        ..MmConfig::default()
    })
    .expect("reserve guest memory")
}

fn tlb_hits(c: &mut Criterion) {
    let space = space();
    let mut hart = space.attach_hart(1);
    let addr = space
        .mmap(
            0,
            PAGE_SIZE,
            prot::READ | prot::WRITE,
            map::PRIVATE | map::ANONYMOUS,
        )
        .unwrap();
    hart.enter_guest();
    hart.store(addr, 8, 1).unwrap();
    c.bench_function("tlb_hit_load_u64", |b| {
        b.iter(|| hart.load(black_box(addr), 8).unwrap())
    });
    c.bench_function("tlb_hit_store_u64", |b| {
        b.iter(|| hart.store(black_box(addr), 8, black_box(7)).unwrap())
    });
    hart.leave_guest();
}

/// `mmap_lock` taken for read and released, uncontended, with its wait and hold
/// accounting: `vmas()` of a space with no VMAs does nothing else under the lock.
fn mmap_lock_read(c: &mut Criterion) {
    let space = space();
    c.bench_function("mmap_lock_read_uncontended", |b| {
        b.iter(|| space.vmas().len())
    });
}

/// Pages mapped at a time for the minor-fault benchmark: each timed store faults in the
/// next page of a fresh mapping; mapping and unmapping stay outside the timed region.
const FAULT_PAGES: u64 = 4096;

fn minor_fault(c: &mut Criterion) {
    let space = space();
    let mut hart = space.attach_hart(1);
    let clock = HostClock::new();
    let rw = prot::READ | prot::WRITE;
    let anon = map::PRIVATE | map::ANONYMOUS;
    c.bench_function("minor_anonymous_fault", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let pages = left.min(FAULT_PAGES);
                let addr = space.mmap(0, pages * PAGE_SIZE, rw, anon).unwrap();
                hart.enter_guest();
                let start = clock.now_ns();
                for page in 0..pages {
                    hart.store(addr + page * PAGE_SIZE, 8, 1).unwrap();
                }
                total += Duration::from_nanos(clock.now_ns() - start);
                hart.leave_guest();
                space.munmap(addr, pages * PAGE_SIZE).unwrap();
                left -= pages;
            }
            total
        })
    });
}

/// An in-memory file for the page cache: its bytes never change.
struct StaticFile(Mutex<Vec<u8>>);

impl FileData for StaticFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let data = self.0.lock();
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(data.len());
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }

    fn write_at(&self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let mut data = self.0.lock();
        let start = usize::try_from(offset).expect("offset fits");
        let end = start + bytes.len();
        if data.len() < end {
            data.resize(end, 0);
        }
        data[start..end].copy_from_slice(bytes);
        Ok(())
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.0.lock().len() as u64)
    }

    fn set_size(&self, size: u64) -> io::Result<()> {
        self.0
            .lock()
            .resize(usize::try_from(size).expect("size fits"), 0);
        Ok(())
    }
}

fn page_cache_hit(c: &mut Criterion) {
    let space = space();
    let data = Arc::new(StaticFile(Mutex::new(vec![0x5a; 16 * 4096])));
    let file = space.page_cache().file((0, 1), data);
    let mut buf = [0u8; 4096];
    // The first read brings the pages in; every timed read is a hit.
    space.read_cached(&file, 0, &mut buf).unwrap();
    c.bench_function("page_cache_hit_read_4k", |b| {
        b.iter(|| space.read_cached(&file, black_box(4096), &mut buf).unwrap())
    });
}

criterion_group!(
    mm_paths,
    tlb_hits,
    mmap_lock_read,
    minor_fault,
    page_cache_hit
);
criterion_main!(mm_paths);
