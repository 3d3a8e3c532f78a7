//! `faultline run --inject AT:ACTION` under `--clock virtual`: each action has its effect
//! at its time (a stall and a slower device lengthen a read, dropped caches and a lower
//! memory limit make re-reads major faults, a signal reaches its thread's handler), a
//! run with injections repeats exactly, and a bad value is refused before anything runs;
//! under the host clock an injection fires in elapsed time.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use tests::{count, guests_dir, run_faultline, shell_status, Scratch};

const MS: i64 = 1_000_000;

/// Pages of the file the `faults` runs read (a quarter of them per read-around window).
const FILE_PAGES: usize = 128;

/// A finished run: its output, its stdout as text and its `--stats` totals.
struct Run {
    out: Output,
    stdout: String,
    total: Value,
}

/// A scratch directory with a file of [`FILE_PAGES`] pages to read.
fn file_to_read(name: &str) -> (Scratch, PathBuf) {
    let dir = Scratch::new(name);
    let file = dir.0.join("data");
    let bytes: Vec<u8> = (0..=250u8).cycle().take(FILE_PAGES * 4096).collect();
    std::fs::write(&file, bytes).expect("write the data file");
    (dir, file)
}

/// Runs the `inject` guest with `args` under `--clock virtual`, `opts` and `--stats`
/// in `dir`.
fn run(dir: &Scratch, opts: &[&str], args: &[&str]) -> Run {
    let stats = dir.0.join("stats.json");
    let _ = std::fs::remove_file(&stats);
    let stats_arg = stats.display().to_string();
    let mut all = vec!["--clock", "virtual", "--stats", &stats_arg];
    all.extend_from_slice(opts);
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = run_faultline(&all, &guests_dir().join("inject"), &args);
    assert_eq!(
        shell_status(&out),
        0,
        "inject {args:?} under {opts:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&stats).expect("the stats file"))
        .expect("stats are JSON");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        total: doc["total"].clone(),
        out,
    }
}

/// The `faults` mode over `file`: pass 1 at 10 ms, pass 2 `pause` ms later.
fn faults(dir: &Scratch, file: &Path, opts: &[&str], pause: &str, keep: &str) -> Run {
    let path = file.display().to_string();
    run(dir, opts, &["faults", &path, "10", pause, keep])
}

/// The number after `key` on the line of pass `n`.
fn pass(out: &str, n: u32, key: &str) -> i64 {
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("pass{n} ")))
        .unwrap_or_else(|| panic!("no pass{n} in {out:?}"));
    let mut words = line.split_whitespace();
    words
        .by_ref()
        .find(|w| *w == key)
        .and_then(|_| words.next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in {line:?}"))
}

#[test]
fn a_stall_delays_the_read_it_catches_by_what_is_left_of_it() {
    let (dir, file) = file_to_read("stall");
    let plain = faults(&dir, &file, &[], "1", "keep");
    // The stall starts at 5 ms and lasts until 55 ms; the read starts just after 10 ms.
    let stalled = faults(&dir, &file, &["--inject", "5ms:stall=50ms"], "1", "keep");
    let extra = pass(&stalled.stdout, 1, "elapsed_ns") - pass(&plain.stdout, 1, "elapsed_ns");
    assert!(
        (44 * MS..=45 * MS).contains(&extra),
        "the stall added {extra} ns:\n{}\n{}",
        plain.stdout,
        stalled.stdout
    );
    assert_eq!(count(&stalled.total, "inject.fired"), 1);
    assert!(plain.total.get("inject.fired").is_none());
}

#[test]
fn a_new_latency_serves_the_reads_after_it() {
    let (dir, file) = file_to_read("latency");
    let opts = ["--storage-latency", "fixed:1ms", "--readahead", "0"];
    let plain = faults(&dir, &file, &opts, "1", "keep");
    let mut slower = opts.to_vec();
    slower.extend(["--inject", "5ms:latency=fixed:3ms"]);
    let slow = faults(&dir, &file, &slower, "1", "keep");
    // One page per request, one request at a time: 128 requests, 2 ms slower each.
    let extra = pass(&slow.stdout, 1, "elapsed_ns") - pass(&plain.stdout, 1, "elapsed_ns");
    assert_eq!(extra, FILE_PAGES as i64 * 2 * MS, "{}", slow.stdout);
}

#[test]
fn dropped_caches_make_re_reads_major_faults_again() {
    let (dir, file) = file_to_read("drop");
    let kept = faults(&dir, &file, &[], "20", "unmap");
    assert!(pass(&kept.stdout, 1, "major_faults") > 0, "{}", kept.stdout);
    assert_eq!(pass(&kept.stdout, 2, "major_faults"), 0, "{}", kept.stdout);
    let dropped = faults(
        &dir,
        &file,
        &["--inject", "20ms:drop-caches"],
        "20",
        "unmap",
    );
    assert_eq!(
        pass(&dropped.stdout, 2, "major_faults"),
        pass(&dropped.stdout, 1, "major_faults"),
        "{}",
        dropped.stdout
    );
    // Mapped pages stay: with the mapping kept, nothing is dropped.
    let mapped = faults(&dir, &file, &["--inject", "20ms:drop-caches"], "20", "keep");
    assert_eq!(
        pass(&mapped.stdout, 2, "major_faults"),
        0,
        "{}",
        mapped.stdout
    );
}

#[test]
fn pageout_of_a_file_makes_its_mapped_pages_major_faults_again() {
    let (dir, file) = file_to_read("pageout");
    let spec = format!("20ms:pageout={}", file.display());
    let out = faults(&dir, &file, &["--inject", &spec], "20", "keep");
    assert_eq!(
        pass(&out.stdout, 2, "major_faults"),
        pass(&out.stdout, 1, "major_faults"),
        "{}",
        out.stdout
    );
    // A file nobody maps, or that does not exist, changes nothing.
    let missing = format!("20ms:pageout={}", dir.0.join("missing").display());
    let out = faults(&dir, &file, &["--inject", &missing], "20", "keep");
    assert_eq!(pass(&out.stdout, 2, "major_faults"), 0, "{}", out.stdout);
    assert_eq!(count(&out.total, "inject.fired"), 0);
    let stderr = String::from_utf8_lossy(&out.out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--inject pageout="), "{stderr}");
}

#[test]
fn a_lower_memory_limit_reclaims_the_cache() {
    let (dir, file) = file_to_read("memlimit");
    let opts = ["--mem-limit", "64MiB"];
    let kept = faults(&dir, &file, &opts, "30", "unmap");
    assert_eq!(pass(&kept.stdout, 2, "major_faults"), 0, "{}", kept.stdout);
    let mut lowered = opts.to_vec();
    lowered.extend(["--inject", "20ms:mem-limit=64KiB"]);
    let low = faults(&dir, &file, &lowered, "30", "unmap");
    assert!(
        pass(&low.stdout, 2, "major_faults") > 0,
        "nothing reclaimed: {}",
        low.stdout
    );
    assert!(count(&low.total, "reclaim.reclaimed") > 0);
}

#[test]
fn a_signal_reaches_the_named_thread_at_its_time() {
    let dir = Scratch::new("signal");
    let out = run(
        &dir,
        &["--inject", "30ms:signal=SIGUSR1@waiter"],
        &["signal", "waiter", "200"],
    );
    let line = out.stdout.trim();
    let after: i64 = line
        .strip_prefix("handled signal 10 after_ms ")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{line:?}"));
    assert!((29..=30).contains(&after), "{line}");
    // By number, to a thread id (the first thread's, the process id: 1000 under the
    // virtual clock).
    let by_tid = run(
        &dir,
        &["--inject", "10ms:signal=12@1000"],
        &["signal", "x", "50"],
    );
    assert!(
        by_tid.stdout.starts_with("handled signal 12"),
        "{}",
        by_tid.stdout
    );
}

#[test]
fn a_signal_to_an_unknown_thread_is_one_line_and_the_run_goes_on() {
    let dir = Scratch::new("nobody");
    let out = run(
        &dir,
        &["--inject", "5ms:signal=USR1@nobody"],
        &["signal", "waiter", "20"],
    );
    assert_eq!(out.stdout.trim(), "no signal");
    let stderr = String::from_utf8_lossy(&out.out.stderr);
    assert_eq!(
        stderr.trim(),
        "faultline: --inject signal=USR1@nobody: no live thread 'nobody'"
    );
    assert_eq!(count(&out.total, "inject.fired"), 0);
}

#[test]
fn injections_past_the_end_never_happen() {
    let (dir, file) = file_to_read("late");
    let out = faults(&dir, &file, &["--inject", "10s:stall=1s"], "1", "keep");
    assert_eq!(count(&out.total, "inject.fired"), 0);
}

#[test]
fn a_virtual_run_with_injections_repeats_exactly() {
    let (dir, file) = file_to_read("repeat");
    let spec = format!("25ms:pageout={}", file.display());
    let opts = [
        "--mem-limit",
        "64MiB",
        "--inject",
        "5ms:stall=3ms",
        "--inject",
        "12ms:latency=exp:2ms",
        "--inject",
        "20ms:drop-caches",
        "--inject",
        &spec,
        "--inject",
        "30ms:mem-limit=256KiB",
    ];
    let first = faults(&dir, &file, &opts, "30", "unmap");
    let second = faults(&dir, &file, &opts, "30", "unmap");
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(first.total, second.total);
    assert_eq!(count(&first.total, "inject.fired"), 5);
}

#[test]
fn bad_injections_are_refused_before_the_run() {
    let guest = guests_dir().join("inject");
    for (opts, says) in [
        (&["--inject", "5ms:explode"][..], "unknown action 'explode'"),
        (
            &["--inject", "soon:stall=1ms"][..],
            "'soon:stall=1ms': time",
        ),
        (&["--inject", "5ms:signal=USR1"][..], "expected SIG@THREAD"),
        (
            &["--inject", "5ms:mem-limit=1MiB"][..],
            "--inject mem-limit=1MiB: needs --mem-limit",
        ),
    ] {
        let out = run_faultline(opts, &guest, &["signal".into(), "x".into(), "1".into()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(shell_status(&out), 2, "{opts:?}: {stderr}");
        assert!(stderr.contains(says), "{opts:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{opts:?} ran the guest");
    }
}

#[test]
fn pageout_of_anonymous_memory_sends_it_to_swap() {
    let (dir, file) = file_to_read("anon");
    let plain = faults(&dir, &file, &["--swap", "16MiB"], "20", "keep");
    assert_eq!(count(&plain.total, "swap.outs"), 0);
    let opts = ["--swap", "16MiB", "--inject", "20ms:pageout=anon"];
    let paged = faults(&dir, &file, &opts, "20", "keep");
    assert!(count(&paged.total, "swap.outs") > 0, "{}", paged.total);
}

#[test]
fn an_injection_that_fires_is_an_instant_in_the_trace() {
    let (dir, file) = file_to_read("trace");
    let trace = dir.0.join("run.pftrace");
    let trace_arg = trace.display().to_string();
    let opts = [
        "--trace",
        &trace_arg,
        "--inject",
        "5ms:stall=3ms",
        "--inject",
        "10s:latency=fixed:7ms",
    ];
    faults(&dir, &file, &opts, "1", "keep");
    let bytes = std::fs::read(&trace).expect("the trace");
    let has = |s: &str| bytes.windows(s.len()).any(|w| w == s.as_bytes());
    // The argument's name and the action that fired (the event's name, `inject`, is
    // also the guest's), not the one after the run's end.
    assert!(has("action") && has("stall=3ms"));
    assert!(!has("latency=fixed:7ms"));
}

#[test]
fn under_the_host_clock_an_injection_fires_in_elapsed_time() {
    let guest = guests_dir().join("inject");
    let args: Vec<String> = ["signal", "waiter", "5000"].map(String::from).to_vec();
    let out = run_faultline(&["--inject", "20ms:signal=USR1@waiter"], &guest, &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        shell_status(&out),
        0,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("handled signal 10"), "{stdout}");
}
