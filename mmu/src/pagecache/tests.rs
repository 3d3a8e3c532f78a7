use super::*;
use devices::cast::{low_u8, u64_to_usize};
use devices::storage::LatencyModel;
use std::time::{Duration, Instant};

/// A space of 4 MiB of frames with page cache (and swap) configured as `cache`.
pub(crate) fn small_space(cache: CacheConfig) -> Arc<crate::space::AddressSpace> {
    crate::space::AddressSpace::new(crate::mm_core::MmConfig {
        frame_pool_bytes: 1 << 22,
        cache,
        ..crate::mm_core::MmConfig::default()
    })
    .unwrap()
}

/// A file held in memory.
pub(crate) struct MemFile(pub Mutex<Vec<u8>>);

impl MemFile {
    /// `pages` pages, byte `i` of page `p` being `p * 31 + i`.
    pub(crate) fn patterned(pages: u64) -> Arc<MemFile> {
        let bytes = (0..pages * PAGE_SIZE)
            .map(|i| low_u8((i / PAGE_SIZE) * 31 + i % PAGE_SIZE))
            .collect();
        Arc::new(MemFile(Mutex::new(bytes)))
    }
}

impl FileData for MemFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let data = self.0.lock();
        let start = u64_to_usize(offset).min(data.len());
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        buf[n..].fill(0);
        Ok(n)
    }

    fn write_at(&self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let mut data = self.0.lock();
        let end = u64_to_usize(offset) + bytes.len();
        if data.len() < end {
            data.resize(end, 0);
        }
        data[u64_to_usize(offset)..end].copy_from_slice(bytes);
        Ok(())
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.0.lock().len() as u64)
    }

    fn set_size(&self, size: u64) -> io::Result<()> {
        self.0.lock().resize(u64_to_usize(size), 0);
        Ok(())
    }
}

fn cache(device: Option<DeviceConfig>, readahead_bytes: u64) -> PageCache {
    let frames = Arc::new(FramePool::new(1 << 22).unwrap());
    PageCache::new(
        frames,
        &CacheConfig {
            device,
            readahead_bytes,
            ..CacheConfig::default()
        },
        &(Arc::new(devices::HostClock::new()) as SharedClock),
    )
    .unwrap()
}

fn page_of(c: &PageCache, f: &Folio) -> Vec<u8> {
    let mut page = vec![0; u64_to_usize(PAGE_SIZE)];
    // SAFETY: the folio's frame is held by the cache.
    unsafe {
        std::ptr::copy_nonoverlapping(c.frames.host_ptr(f.frame()), page.as_mut_ptr(), page.len())
    };
    page
}

fn read(c: &PageCache, file: &Arc<CachedFile>, pgoff: u64) -> Lookup {
    c.find_or_read(file, pgoff, AccessHint::Normal, 1, IoPriority::DEFAULT)
        .unwrap()
}

#[test]
fn a_miss_reads_its_window_and_later_lookups_hit_with_the_files_bytes() {
    let c = cache(None, 4 * PAGE_SIZE);
    let data = MemFile::patterned(10);
    let file = c.file((1, 2), data.clone());
    let Lookup::Reading(f) = read(&c, &file, 4) else {
        panic!("a miss")
    };
    assert!(f.is_uptodate() && !f.is_locked());
    assert_eq!(page_of(&c, &f), data.0.lock()[4 * 4096..5 * 4096]);
    let cached: Vec<u64> = (0..10).filter(|&p| file.lookup(p).is_some()).collect();
    assert_eq!(cached, vec![2, 3, 4, 5], "the window around page 4");
    assert!(matches!(read(&c, &file, 5), Lookup::Cached(_)));
    // The next miss reads only the uncached run inside its window.
    assert!(matches!(read(&c, &file, 6), Lookup::Reading(_)));
    let cached: Vec<u64> = (0..10).filter(|&p| file.lookup(p).is_some()).collect();
    assert_eq!(cached, vec![2, 3, 4, 5, 6, 7]);
    assert!(matches!(read(&c, &file, 10), Lookup::BeyondEof));
}

#[test]
fn a_read_in_flight_leaves_its_folio_locked_until_the_device_completes() {
    let device = DeviceConfig {
        latency: LatencyModel::fixed(30_000_000),
        ..DeviceConfig::default()
    };
    let c = cache(Some(device), 0);
    let file = c.file((1, 3), MemFile::patterned(4));
    let start = Instant::now();
    let Lookup::Reading(f) = read(&c, &file, 1) else {
        panic!("a miss")
    };
    assert!(
        f.is_locked() && !f.is_uptodate(),
        "returned before the read"
    );
    assert!(matches!(read(&c, &file, 1), Lookup::Cached(g) if Arc::ptr_eq(&f, &g)));
    f.wait_unlocked(c.clock().as_ref());
    assert!(start.elapsed() >= Duration::from_millis(30));
    assert!(f.is_uptodate());
    assert_eq!(
        c.io_counters()
            .iter()
            .find(|(k, _)| k == "io.reads")
            .unwrap()
            .1,
        1
    );
}

#[test]
fn files_nothing_holds_are_forgotten_once_there_are_too_many() {
    let c = cache(None, 0);
    let held = c.file((0, 0), MemFile::patterned(1));
    let dirty = c.file((0, 1), MemFile::patterned(1));
    let Lookup::Reading(f) = read(&c, &dirty, 0) else {
        panic!("a miss")
    };
    c.set_dirty(&f);
    drop(dirty);
    for ino in 2..MAX_IDLE_FILES as u64 + 2 {
        let file = c.file((0, ino), MemFile::patterned(1));
        read(&c, &file, 0);
    }
    assert!(c.known((0, 0)).is_some(), "held by someone");
    assert!(c.known((0, 1)).is_some(), "has a dirty page");
    assert!(c.known((0, 2)).is_none(), "forgotten");
    assert!(c.files.lock().len() <= MAX_IDLE_FILES + 1);
    drop(held);
}

#[test]
fn host_writes_reload_the_cache_and_dirty_pages_are_counted_until_forgotten() {
    let c = cache(None, 0);
    let data = MemFile::patterned(2);
    let file = c.file((1, 4), data.clone());
    let Lookup::Reading(f) = read(&c, &file, 1) else {
        panic!("a miss")
    };
    f.lock(c.clock().as_ref());
    c.set_dirty(&f);
    c.set_dirty(&f);
    assert_eq!(c.dirty().pages(), 1);
    file.forget(1, &f);
    assert_eq!(
        c.dirty().pages(),
        0,
        "a truncated page's changes go with it"
    );
    let Lookup::Reading(f) = read(&c, &file, 1) else {
        panic!("a miss")
    };
    data.0.lock()[4096 + 8] = 0xDD;
    c.refresh(&file, 4096 + 8, 1);
    assert_eq!(page_of(&c, &f)[8], 0xDD);
}

#[test]
fn a_kill_writes_the_stored_pages_directly_and_only_them() {
    let c = cache(None, 0);
    let data = MemFile::patterned(3);
    let file = c.file((1, 5), data.clone());
    for p in 0..3 {
        let _ = read(&c, &file, p);
    }
    let stored = file.lookup(1).unwrap();
    let byte = c.frames.host_ptr(stored.frame()).wrapping_add(8);
    // SAFETY: the test owns the cache; one byte of the folio's frame is stored into,
    // as a shared mapping would.
    unsafe { byte.write(0xEE) };
    c.set_dirty(&stored);
    // Page 2 is changed on the host meanwhile: a clean cached page is not written over it.
    data.0.lock()[2 * 4096] = 0x77;
    assert_ne!(data.0.lock()[4096 + 8], 0xEE, "not written before the kill");
    c.write_stores_directly();
    let bytes = data.0.lock();
    assert_eq!(bytes[4096 + 8], 0xEE);
    assert_eq!(bytes[2 * 4096], 0x77);
}
