//! `faultline run --trace` end to end: real guests' traces parse with Perfetto's own
//! protos, their slices add up to `--stats` and to `faultline report`, and a virtual run's
//! trace is the same byte for byte.

use std::path::Path;
use std::process::Command;
use tests::{count, faultline_bin, guests_dir, perfetto_python, repo_root, run_faultline, Scratch};

/// Runs `guest` with `opts`, tracing to `dir/NAME.pftrace` and writing `--stats` beside;
/// returns the trace's and the statistics' paths. The inversion guest makes its file in
/// `dir` (its name holds the pid, which every virtual run shares).
fn traced(dir: &Scratch, name: &str, opts: &[&str], guest: &str) -> (String, String) {
    let trace = format!("{}/{name}.pftrace", dir.path());
    let stats = format!("{}/{name}.json", dir.path());
    let mut all = vec!["--trace", &trace, "--stats", &stats];
    all.extend_from_slice(opts);
    let args: Vec<String> = match guest {
        "inversion" => ["4", "16", "40", "7", &dir.path()]
            .map(String::from)
            .to_vec(),
        "page_fault1" => ["2", "2", "16"].map(String::from).to_vec(),
        _ => Vec::new(),
    };
    let out = run_faultline(&all, &guests_dir().join(guest), &args);
    assert!(
        out.status.success(),
        "{name}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (trace, stats)
}

fn totals(stats: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(stats).unwrap();
    serde_json::from_str::<serde_json::Value>(&text).unwrap()["total"].clone()
}

/// The runs checked: the host clock with several harts, the virtual clock with I/O, and
/// the inversion guest under the policy that holds the VMA lock through I/O.
const RUNS: &[(&str, &[&str], &str)] = &[
    ("pf1", &[], "page_fault1"),
    (
        "thrash",
        &[
            "--clock",
            "virtual",
            "--policy",
            "vma-hold",
            "--storage-latency",
            "fixed:1ms",
        ],
        "thrash",
    ),
    (
        "inversion",
        &["--policy", "vma-hold", "--storage-latency", "fixed:5ms"],
        "inversion",
    ),
];

#[test]
fn traces_of_real_runs_parse_and_add_up_to_the_stats_and_the_report() {
    let dir = Scratch::new("checked");
    let python = perfetto_python("checking real runs' traces");
    for (name, opts, guest) in RUNS {
        let (trace, stats) = traced(&dir, name, opts, guest);
        let t = totals(&stats);
        assert_eq!(count(&t, "trace.dropped"), 0, "{name}");
        assert!(count(&t, "trace.records") > 0, "{name}");
        let size = std::fs::metadata(&trace).unwrap().len();
        assert_eq!(
            count(&t, "trace.bytes"),
            size,
            "{name}: the file is what was written"
        );
        let report = format!("{}/{name}.report.json", dir.path());
        let out = Command::new(faultline_bin())
            .args(["report", "--json", &trace])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&report, &out.stdout).unwrap();
        let Some(python) = &python else { continue };
        let out = Command::new(python)
            .arg(repo_root().join("tools/check_trace.py"))
            .args(["--stats", &stats, "--report", &report, &trace])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The inversion guest under the virtual clock, the VMA lock held through 5 ms reads.
const VIRTUAL_INVERSION: &[&str] = &[
    "--clock",
    "virtual",
    "--policy",
    "vma-hold",
    "--storage-latency",
    "fixed:5ms",
];

#[test]
fn a_virtual_runs_trace_is_the_same_byte_for_byte() {
    let dir = Scratch::new("twice");
    let (a, _) = traced(&dir, "a", VIRTUAL_INVERSION, "inversion");
    let (b, _) = traced(&dir, "b", VIRTUAL_INVERSION, "inversion");
    let (a, b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    assert!(a.len() > 10_000, "a trace of {} bytes", a.len());
    assert!(a == b, "the traces of two identical virtual runs differ");
}

#[test]
fn the_inversion_chain_is_blamed_on_the_idle_faulters_reads() {
    let dir = Scratch::new("blame");
    let (trace, _) = traced(&dir, "inversion", VIRTUAL_INVERSION, "inversion");
    let out = Command::new(faultline_bin())
        .args(["report", &trace, "--blame", "rt-mprotect", "--top", "1"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The real-time thread's worst wait is a VMA drain, behind a low-priority faulter
    // holding the VMA through its read, a request of the idle class served by the disk.
    let worst: Vec<&str> = text.lines().skip_while(|l| !l.starts_with("#1")).collect();
    assert!(worst[0].contains("vma write wait"), "{text}");
    assert!(
        worst
            .iter()
            .any(|l| l.contains("(faulter-") && l.contains("held VMA")),
        "{text}"
    );
    assert!(
        worst
            .iter()
            .any(|l| l.contains("folio wait") && l.contains("kept: true")),
        "{text}"
    );
    assert!(worst.iter().any(|l| l.contains("class idle")), "{text}");
    assert!(
        worst.iter().any(|l| l.contains("served by disk lane")),
        "{text}"
    );
}

#[test]
fn bad_trace_options_are_one_line_errors() {
    let hello = guests_dir().join("hello");
    let out = run_faultline(&["--trace", "/nonexistent/dir/t.pftrace"], &hello, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--trace /nonexistent/dir/t.pftrace"), "{err}");
    let out = run_faultline(&["--trace-drop"], &hello, &[]);
    assert!(!out.status.success(), "--trace-drop needs --trace");
    assert!(!Path::new("t.pftrace").exists());
}
