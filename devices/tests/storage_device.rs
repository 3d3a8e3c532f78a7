//! The device on the host clock: real bytes through a backing file, real elapsed time.

use devices::storage::{
    BackingStore, DeviceConfig, ErrorInjection, IoKind, IoOp, IoPriority, LatencyModel,
    StorageDevice,
};
use devices::HostClock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn device(dir: &tempfile::TempDir, config: DeviceConfig) -> StorageDevice {
    let backing = Arc::new(BackingStore::create(dir.path().join("swap"), 1 << 20).unwrap());
    StorageDevice::new(
        "disk",
        config,
        backing,
        std::sync::Arc::new(HostClock::new()),
    )
    .unwrap()
}

fn be() -> IoPriority {
    IoPriority::best_effort(4).unwrap()
}

#[test]
fn requests_take_at_least_the_modelled_latency() {
    let dir = tempfile::tempdir().unwrap();
    let dev = device(
        &dir,
        DeviceConfig {
            latency: "fixed:2ms".parse().unwrap(),
            depth: 2,
            ..DeviceConfig::default()
        },
    );
    let data: Vec<u8> = (0..8192u32).map(|i| (i % 253) as u8).collect();
    let start = Instant::now();
    let w = dev.write(4096, &data, 1, be());
    assert!(w.result.is_ok());
    assert!(start.elapsed() >= Duration::from_millis(2));
    assert_eq!(w.service_ns(), 2_000_000);

    // Four concurrent readers on two channels: two rounds of 2 ms at the least.
    let dev = Arc::new(dev);
    let start = Instant::now();
    let readers: Vec<_> = (0..4)
        .map(|tid| {
            let dev = dev.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0; 8192];
                let c = dev.read(4096, &mut buf, tid, be());
                (c, buf)
            })
        })
        .collect();
    for r in readers {
        let (c, buf) = r.join().unwrap();
        assert!(c.result.is_ok());
        assert_eq!(buf, data);
    }
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(4), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    let stats = dev.stats();
    assert_eq!((stats.total.reads, stats.total.writes), (4, 1));
    assert!(stats.total.read_latency.quantile_ns(0.5) >= 2_000_000);
}

#[test]
fn past_end_reads_zeroes_and_injected_errors_fail() {
    let dir = tempfile::tempdir().unwrap();
    let dev = device(
        &dir,
        DeviceConfig {
            latency: LatencyModel::fixed(10_000),
            errors: ErrorInjection::range(0, 4096).unwrap(),
            ..DeviceConfig::default()
        },
    );
    let mut buf = vec![0xEE; 4096];
    let c = dev.read(1 << 20, &mut buf, 1, be());
    assert!(c.result.is_ok());
    assert!(buf.iter().all(|&b| b == 0));

    let mut buf = vec![0xEE; 16];
    let c = dev.read(100, &mut buf, 1, be());
    assert_eq!(c.result.as_ref().unwrap_err().errno(), 5);
    assert!(
        buf.iter().all(|&b| b == 0xEE),
        "a failed read leaves the buffer alone"
    );
}

#[test]
fn asynchronous_requests_all_complete_before_drop_returns() {
    let dir = tempfile::tempdir().unwrap();
    let dev = device(
        &dir,
        DeviceConfig {
            latency: "uniform:100us..500us".parse().unwrap(),
            depth: 3,
            ..DeviceConfig::default()
        },
    );
    let backing = dev.backing().clone();
    let done = Arc::new(AtomicUsize::new(0));
    for i in 0..50u64 {
        let done = done.clone();
        let op = IoOp::Write {
            offset: i * 512,
            data: vec![devices::cast::low_u8(i); 512],
        };
        dev.submit(op, 7, IoPriority::idle(), move |d| {
            assert!(d.completion.result.is_ok());
            done.fetch_add(1, Ordering::SeqCst);
        });
    }
    drop(dev);
    assert_eq!(done.load(Ordering::SeqCst), 50);
    let mut buf = [0; 512];
    backing.read_at(49 * 512, &mut buf);
    assert_eq!(buf, [49; 512]);
}

#[test]
fn timed_requests_are_served_and_counted_without_touching_the_backing_store() {
    let dir = tempfile::tempdir().unwrap();
    let dev = device(
        &dir,
        DeviceConfig {
            latency: "fixed:1ms".parse().unwrap(),
            ..DeviceConfig::default()
        },
    );
    let backing = dev.backing().clone();
    backing.write_at(0, &[0xAA; 8192]).unwrap();
    let start = Instant::now();
    for kind in [IoKind::Write, IoKind::Read] {
        let op = IoOp::Timed {
            kind,
            offset: 0,
            len: 8192,
        };
        let done = dev.submit_and_wait(op, 1, be());
        assert!(done.completion.result.is_ok());
        assert!(done.data.is_empty(), "a timed read returns no bytes");
    }
    assert!(start.elapsed() >= Duration::from_millis(2));
    let stats = dev.stats();
    assert_eq!((stats.total.reads, stats.total.writes), (1, 1));
    let mut buf = [0; 8192];
    backing.read_at(0, &mut buf);
    assert_eq!(buf, [0xAA; 8192], "the timed write left the store alone");
}

#[test]
fn finish_promptly_completes_queued_and_in_flight_requests_without_their_time() {
    let dir = tempfile::tempdir().unwrap();
    let dev = Arc::new(device(
        &dir,
        DeviceConfig {
            latency: "fixed:10s".parse().unwrap(),
            depth: 1,
            ..DeviceConfig::default()
        },
    ));
    let start = Instant::now();
    let writers: Vec<_> = (0..3u32)
        .map(|tid| {
            let dev = dev.clone();
            std::thread::spawn(move || dev.write(u64::from(tid) * 4096, &[7; 4096], tid, be()))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(50));
    dev.finish_promptly();
    for w in writers {
        assert!(w.join().unwrap().result.is_ok());
    }
    let c = dev.write(0, &[8; 4096], 9, be());
    assert!(c.result.is_ok());
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(dev.stats().total.writes, 4);
}

#[test]
fn a_device_that_cannot_start_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let backing = Arc::new(BackingStore::create(dir.path().join("swap"), 4096).unwrap());
    let config = DeviceConfig {
        depth: 0,
        ..DeviceConfig::default()
    };
    let err = StorageDevice::new("disk", config, backing, Arc::new(HostClock::new())).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
