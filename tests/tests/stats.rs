//! `--stats FILE`: per-hart and total counters with the documented names, consistent
//! with each other and with what the guest did.

use serde_json::Value;
use tests::{guests_dir, run_faultline, shell_status};

fn stats_of(guest: &str, args: &[&str]) -> Value {
    stats_with(&[], guest, args)
}

/// The `--stats` document of `guest args` run with faultline options `opts`.
fn stats_with(opts: &[&str], guest: &str, args: &[&str]) -> Value {
    let path = std::env::temp_dir().join(format!(
        "faultline-stats-{}-{guest}.json",
        std::process::id()
    ));
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let mut opts = opts.to_vec();
    opts.extend(["--stats", path.to_str().unwrap()]);
    let out = run_faultline(&opts, &guests_dir().join(guest), &args);
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
    "fork.count",
    "fork.dup_mmap_ns",
    "fork.cow_faults",
    "fork.vma_write_wait_ns",
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

/// The value of `name` in the daemon entry called `daemon`.
fn daemon(v: &Value, daemon: &str, name: &str) -> u64 {
    let d = v["daemons"]
        .as_array()
        .expect("daemons array")
        .iter()
        .find(|d| d["name"] == daemon)
        .unwrap_or_else(|| panic!("no daemon {daemon} in {}", v["daemons"]));
    d[name]
        .as_u64()
        .unwrap_or_else(|| panic!("{daemon} has no {name}"))
}

#[test]
fn background_reclaim_and_writeback_are_counted_as_their_daemons_work() {
    // Four 4 MiB files written with write(2), then mapped and read twice, in 8 MiB: the
    // files' dirty pages pass the background threshold (the flusher writes them), and
    // reading 16 MiB through 8 MiB wakes kswapd long before direct reclaim is needed.
    let opts = ["--mem-limit", "8MiB", "--storage-latency", "fixed:200us"];
    let v = stats_with(&opts, "thrash", &["4", "4", "2"]);
    for name in ["reclaim.scanned", "reclaim.reclaimed", "writeback.pages"] {
        let harts: u64 = v["harts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h[name].as_u64().unwrap())
            .sum();
        let daemons = daemon(&v, "kswapd", name) + daemon(&v, "flusher", name);
        let total = v["total"][name].as_u64().unwrap();
        assert!(
            harts + daemons <= total,
            "{name}: {harts} + {daemons} > {total}"
        );
    }
    assert!(
        daemon(&v, "kswapd", "reclaim.reclaimed") > 0,
        "{}",
        v["daemons"]
    );
    assert!(
        daemon(&v, "flusher", "writeback.pages") > 0,
        "{}",
        v["daemons"]
    );
    assert_eq!(
        daemon(&v, "flusher", "writeback.pages"),
        daemon(&v, "flusher", "writeback.background"),
        "everything the flusher writes is background write-back"
    );
    // Reclaim is the daemons' and the harts' work, nobody else's.
    assert_eq!(daemon(&v, "flusher", "reclaim.scanned"), 0);
}
