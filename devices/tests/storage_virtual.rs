//! The device on the virtual clock: its dispatcher is a task, a request takes exactly its
//! modelled latency plus the costs of its submission and of switching its waiter back in,
//! and closing the device waits through the clock.

use devices::storage::{BackingStore, DeviceConfig, IoPriority, StorageDevice};
use devices::{spawn_task, Cost, SharedClock, TaskKind, VirtualClock, VirtualConfig};
use std::sync::{mpsc, Arc};

#[test]
fn a_request_takes_its_latency_plus_its_costs_in_virtual_time() {
    let clock: SharedClock = VirtualClock::new(VirtualConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let backing = Arc::new(BackingStore::create(dir.path().join("swap"), 1 << 20).unwrap());
    let (tx, rx) = mpsc::channel();
    let c = clock.clone();
    let body = move || {
        let config = DeviceConfig {
            latency: "fixed:5ms".parse().unwrap(),
            ..DeviceConfig::default()
        };
        let dev = StorageDevice::new("disk", config, backing, c.clone()).unwrap();
        let be = IoPriority::best_effort(4).unwrap();
        let start = c.now_ns();
        let written = dev.write(4096, &[7u8; 4096], 1, be).result.is_ok();
        let took = c.now_ns() - start;
        let mut buf = vec![0u8; 4096];
        let read = dev.read(4096, &mut buf, 1, be).result.is_ok();
        // Waits for the dispatcher task to stop, on the clock.
        drop(dev);
        tx.send((took, written && read, buf)).unwrap();
    };
    spawn_task(
        &clock,
        std::thread::Builder::new(),
        "t1",
        TaskKind::Hart { tid: 1 },
        body,
    )
    .unwrap()
    .join()
    .unwrap();
    let (took, ok, buf) = rx.recv().unwrap();
    assert!(ok);
    assert!(buf.iter().all(|&b| b == 7));
    // The submitter is switched back in when the request completes.
    let costs_ps = Cost::IoSubmit.default_ps() + Cost::ContextSwitch.default_ps();
    assert_eq!(took, 5_000_000 + costs_ps / 1000);
}
