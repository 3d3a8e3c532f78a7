//! `--stats FILE`: per-hart and total counters with the documented names, consistent
//! with each other and with what the guest did.

use serde_json::Value;
use tests::{guests_dir, run_faultline, shell_status};

fn stats_of(guest: &str, args: &[&str]) -> Value {
    let path = std::env::temp_dir().join(format!(
        "faultline-stats-{}-{guest}.json",
        std::process::id()
    ));
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = run_faultline(
        &["--stats", path.to_str().unwrap()],
        &guests_dir().join(guest),
        &args,
    );
    assert_eq!(
        shell_status(&out),
        0,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("stats file")).expect("JSON");
    std::fs::remove_file(&path).ok();
    v
}

const COUNTERS: &[&str] = &[
    "instructions",
    "faults.minor",
    "faults.major",
    "mmap_lock.read_acquired",
    "mmap_lock.write_acquired",
    "mmap_lock.read_wait_ns",
    "mmap_lock.write_wait_ns",
    "tlb.shootdowns",
];

#[test]
fn every_hart_and_the_total_carry_the_counters_and_add_up() {
    let v = stats_of("threads", &["4", "2000"]);
    let harts = v["harts"].as_array().expect("harts array");
    assert!(
        harts.len() > 4,
        "threads 4 runs more than 4 harts, got {}",
        harts.len()
    );
    for name in COUNTERS {
        let sum: u64 = harts
            .iter()
            .map(|h| h[name].as_u64().unwrap_or_else(|| panic!("{name} missing")))
            .sum();
        let total = v["total"][name].as_u64().unwrap();
        if *name == "instructions" {
            assert_eq!(total, sum, "total {name} is the sum over harts");
        } else {
            // The total also holds work done before the first hart ran (the loader's
            // mmaps and the faults of copying the image in), so it may exceed the sum.
            assert!(total >= sum, "total {name} {total} < sum over harts {sum}");
        }
    }
    for h in harts {
        assert!(h["tid"].as_u64().is_some());
        assert!(
            h["instructions"].as_u64().unwrap() > 0,
            "every hart retired instructions: {h}"
        );
    }
}

#[test]
fn page_faults_are_counted() {
    // 2 threads x 2 iterations x 16 MiB, one write per 4 KiB page.
    let v = stats_of("page_fault1", &["2", "2", "16"]);
    let minor = v["total"]["faults.minor"].as_u64().unwrap();
    assert!(
        minor >= 16384,
        "at least one fault per touched page, got {minor}"
    );
    assert!(
        v["total"]["mmap_lock.write_acquired"].as_u64().unwrap() >= 8,
        "mmap + munmap take the write side"
    );
    assert!(
        v["total"]["tlb.shootdowns"].as_u64().unwrap() >= 4,
        "munmap shoots down"
    );
}
