//! The memory manager's daemons end with their address space, at once: a run (or a test,
//! or a fuzz loop) that creates many spaces must not pile up sleeping threads.

use mmu::{AddressSpace, MmConfig};
use std::time::{Duration, Instant};

/// Threads of this process now.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("list /proc/self/task")
        .count()
}

#[test]
fn dropping_a_space_ends_its_daemons_at_once() {
    let before = threads();
    for _ in 0..50 {
        // Each space starts a flusher whose period (5 s by default) is far longer than
        // this test waits.
        let space = AddressSpace::new(MmConfig {
            frame_pool_bytes: 1 << 20,
            ..MmConfig::default()
        })
        .expect("a small space");
        drop(space);
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while threads() > before {
        assert!(
            Instant::now() < deadline,
            "{} daemon threads still running 2 s after their spaces were dropped",
            threads() - before
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}
