use super::*;
use crate::mm_core::MmConfig;
use crate::pagecache::tests::MemFile;
use crate::pagecache::CacheConfig;
use crate::space::AddressSpace;
use crate::types::{map, prot};
use devices::cast::low_u8;
use std::time::{Duration, Instant};

fn space(cache: CacheConfig) -> Arc<AddressSpace> {
    AddressSpace::new(MmConfig {
        frame_pool_bytes: 1 << 24,
        cache,
        ..MmConfig::default()
    })
    .unwrap()
}

/// write(2) of `data`.
fn write(
    s: &AddressSpace,
    file: &Arc<CachedFile>,
    pos: WritePos,
    data: &[u8],
) -> io::Result<(u64, usize)> {
    s.write_cached(file, pos, data.len(), &mut |done, buf| {
        buf.copy_from_slice(&data[done..done + buf.len()]);
        Ok(())
    })
}

fn count(space: &AddressSpace, name: &str) -> u64 {
    space.stats().total_of(name)
}

#[test]
fn a_partial_write_reads_the_page_first_and_a_whole_or_new_page_is_not_read() {
    let s = space(CacheConfig::default());
    let data = MemFile::patterned(3);
    let file = s.page_cache().file((1, 1), data.clone());
    let before = data.0.lock().clone();
    assert_eq!(
        write(&s, &file, WritePos::At(4096 + 10), b"abc").unwrap(),
        (4106, 3)
    );
    assert_eq!(
        count(&s, "pagecache.misses"),
        1,
        "page 1 read for its other bytes"
    );
    write(&s, &file, WritePos::At(0), &[7; 4096]).unwrap();
    write(&s, &file, WritePos::At(5 * 4096 + 1), b"far").unwrap();
    assert_eq!(
        count(&s, "pagecache.misses"),
        1,
        "whole and past-the-end pages"
    );
    assert_eq!(data.0.lock().len(), 5 * 4096 + 4, "grown at once");
    let mut back = vec![0; 3 * 4096];
    assert_eq!(s.read_cached(&file, 0, &mut back).unwrap(), back.len());
    assert_eq!(&back[..4096], &[7; 4096]);
    assert_eq!(&back[4096..4106], &before[4096..4106]);
    assert_eq!(&back[4106..4109], b"abc");
    assert_eq!(&back[4109..], &before[4109..3 * 4096]);
    assert_eq!(
        &data.0.lock()[4106..4109],
        b"abc",
        "in the host file at once"
    );
    assert_eq!(
        s.page_cache().dirty().pages(),
        3,
        "still dirty in the model"
    );
    s.sync_files().unwrap();
    let host = data.0.lock().clone();
    assert_eq!(&host[..3 * 4096], &back[..]);
    assert_eq!(&host[3 * 4096..5 * 4096 + 1], &vec![0; 2 * 4096 + 1][..]);
    assert_eq!(&host[5 * 4096 + 1..], b"far");
    assert_eq!(count(&s, "writeback.pages"), 3);
    assert_eq!(s.page_cache().dirty().pages(), 0);
}

#[test]
fn a_shared_mapping_and_write_see_each_others_bytes_at_once() {
    let s = space(CacheConfig::default());
    let data = MemFile::patterned(2);
    let file = s.page_cache().file((1, 2), data.clone());
    let len = 2 * PAGE_SIZE;
    let rw = prot::READ | prot::WRITE;
    let base = s
        .mmap_file(0, len, rw, map::SHARED, (file.clone(), 0))
        .unwrap();
    let mut b = [0u8; 5];
    s.read_bytes(base + 100, &mut b).unwrap();
    write(&s, &file, WritePos::At(100), b"WRITE").unwrap();
    s.read_bytes(base + 100, &mut b).unwrap();
    assert_eq!(&b, b"WRITE");
    s.write_bytes(base + 4096, b"STORE").unwrap();
    s.read_cached(&file, 4096, &mut b).unwrap();
    assert_eq!(&b, b"STORE");
    s.sync_files().unwrap();
    assert_eq!(&data.0.lock()[4096..4101], b"STORE");
}

#[test]
fn appends_from_two_threads_lose_nothing() {
    let s = space(CacheConfig::default());
    let data = Arc::new(MemFile(parking_lot::Mutex::new(Vec::new())));
    let file = s.page_cache().file((1, 3), data.clone());
    let writers: Vec<_> = [b'a', b'b']
        .into_iter()
        .map(|c| {
            let (s, file) = (s.clone(), file.clone());
            std::thread::spawn(move || {
                for _ in 0..500 {
                    write(&s, &file, WritePos::Append, &[c; 37]).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    s.sync_files().unwrap();
    let bytes = data.0.lock().clone();
    assert_eq!(bytes.len(), 2 * 500 * 37);
    for record in bytes.chunks(37) {
        assert!(record.iter().all(|&b| b == record[0]), "interleaved record");
    }
    assert_eq!(bytes.iter().filter(|&&b| b == b'a').count(), 500 * 37);
}

#[test]
fn the_flusher_writes_back_expired_pages_without_a_sync() {
    let s = space(CacheConfig {
        dirty_writeback_ns: 10_000_000,
        dirty_expire_ns: 20_000_000,
        ..CacheConfig::default()
    });
    let data = MemFile::patterned(4);
    let file = s.page_cache().file((1, 4), data.clone());
    write(&s, &file, WritePos::At(0), &[9; 3 * 4096]).unwrap();
    assert_eq!(
        data.0.lock()[..3 * 4096],
        [9; 3 * 4096],
        "in the file at once"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while count(&s, "writeback.background") < 3 {
        assert!(Instant::now() < deadline, "never written back");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(count(&s, "writeback.background"), 3);
    assert_eq!(s.page_cache().dirty().pages(), 0);
}

#[test]
fn without_a_period_the_flusher_leaves_old_pages_alone() {
    let s = space(CacheConfig {
        dirty_writeback_ns: 0,
        dirty_expire_ns: 1_000_000,
        ..CacheConfig::default()
    });
    let data = MemFile::patterned(4);
    let file = s.page_cache().file((1, 6), data.clone());
    write(&s, &file, WritePos::At(0), &[9; 4096]).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        s.page_cache().dirty().pages(),
        1,
        "written back without a period"
    );
    assert_eq!(count(&s, "writeback.background"), 0);
    s.sync_files().unwrap();
    assert_eq!(count(&s, "writeback.pages"), 1);
    assert_eq!(data.0.lock()[..4096], [9; 4096]);
}

#[test]
fn a_writer_past_the_dirty_threshold_writes_back_itself() {
    // 1 MiB: 25 pages may be dirty in the background, 51 before a writer waits.
    let s = space(CacheConfig {
        mem_limit: Some(1 << 20),
        ..CacheConfig::default()
    });
    let data = Arc::new(MemFile(parking_lot::Mutex::new(Vec::new())));
    let file = s.page_cache().file((1, 5), data.clone());
    for i in 0..1024u64 {
        write(&s, &file, WritePos::Append, &[low_u8(i); 4096]).unwrap();
        assert!(s.page_cache().dirty().pages() <= 52, "page {i}");
    }
    assert!(count(&s, "writeback.throttled") > 0);
    assert!(s.frames_in_use() <= 260, "{} frames", s.frames_in_use());
    s.sync_files().unwrap();
    let bytes = data.0.lock().clone();
    assert_eq!(bytes.len(), 1024 * 4096);
    for (i, page) in bytes.chunks(4096).enumerate() {
        assert!(page.iter().all(|&b| b == low_u8(i as u64)), "page {i}");
    }
    assert_eq!(count(&s, "writeback.pages"), 1024);
}

#[test]
fn a_write_back_of_written_pages_keeps_what_another_host_writer_put_there_since() {
    // The emulator's own messages on a stderr that shares the guest's stdout file land
    // in pages the guest's write(2) left dirty: their write-back must not undo them.
    let s = space(CacheConfig::default());
    let data = Arc::new(MemFile(parking_lot::Mutex::new(Vec::new())));
    let file = s.page_cache().file((1, 7), data.clone());
    write(&s, &file, WritePos::At(0), b"guest line\n").unwrap();
    data.0.lock().extend_from_slice(b"faultline: a message\n");
    write(&s, &file, WritePos::At(32), b"next\n").unwrap();
    s.sync_files().unwrap();
    assert_eq!(
        &data.0.lock()[..],
        b"guest line\nfaultline: a message\nnext\n"
    );
    assert_eq!(count(&s, "writeback.pages"), 1);
}
