//! The inversion guest under `--clock virtual`: a real-time thread's mprotect waits for
//! the faulters' I/O when faults hold the VMA lock through it (`--policy vma-hold`) and
//! not when they drop it (`vma`); its trace markers return 0 without `--trace`; the run
//! repeats exactly.

use tests::{guests_dir, run_faultline, shell_status, Scratch};

/// Runs the inversion guest (4 faulters, a 4 MiB file, 20 mprotects every 7 ms) under
/// `--clock virtual --storage-latency fixed:5ms` and `policy`; returns its stdout.
fn inversion(policy: &str) -> String {
    let dir = Scratch::new(policy);
    let args: Vec<String> = ["4", "4", "20", "7", &dir.path()]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let opts = [
        "--clock",
        "virtual",
        "--storage-latency",
        "fixed:5ms",
        "--policy",
        policy,
    ];
    let out = run_faultline(&opts, &guests_dir().join("inversion"), &args);
    assert_eq!(
        shell_status(&out),
        0,
        "inversion under {policy}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The count and the columns (min, mean, p50, p90, p99, p99.9, p99.99, max, in µs) of
/// the table row `label`.
fn row(out: &str, label: &str) -> (u64, Vec<f64>) {
    let line = out
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .unwrap_or_else(|| panic!("no `{label}` row in {out:?}"));
    let mut fields = line.split_whitespace();
    let count = fields.next().and_then(|c| c.parse().ok()).expect("a count");
    let columns: Vec<f64> = fields.map(|v| v.parse().expect("a number")).collect();
    assert_eq!(columns.len(), 8, "{line}");
    (count, columns)
}

#[test]
fn vma_hold_makes_the_real_time_mprotect_wait_for_the_faulters_io() {
    let hold = inversion("vma-hold");
    let vma = inversion("vma");
    let (count, held) = row(&hold, "rt mprotect");
    assert_eq!(count, 20);
    let (_, free) = row(&vma, "rt mprotect");
    let (p50, p99, max) = (2, 4, 7);
    // Under vma-hold most mprotects wait for a read and some for most of a 5 ms one;
    // under vma none waits 1 ms.
    assert!(held[p50] >= 1000.0, "vma-hold: {hold}");
    assert!(held[p99] >= 4000.0, "vma-hold: {hold}");
    assert!(free[max] < 1000.0, "vma: {vma}");
    // Every faulter read comes from the device.
    let (_, reads) = row(&vma, "faulter page read");
    assert!(reads[0] >= 5000.0, "vma: {vma}");
    assert!(vma.contains(", 0 wrong"), "{vma}");
    assert_eq!(hold, inversion("vma-hold"), "a virtual run repeats exactly");
}
