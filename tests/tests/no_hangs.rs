//! No value the command line accepts hangs a run: values a run cannot use (a device
//! latency or stall beyond 10s, a bandwidth below 1MiB/s, a read-around window beyond
//! 64MiB, a memory limit below 64KiB) are refused with one line naming the limit, a
//! program that is not a regular file is refused before anything waits on it,
//! `vm.max_map_count` ends a run of 300,000 mmaps with ENOMEM in well under a second per
//! ten thousand, and a negative number reaches the option's own check (or is taken,
//! where it means something) instead of being read as an unknown option.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use tests::{faultline_bin, guests_dir, shell_status, Scratch};

/// Runs `faultline run opts... guest args...`, failing the test if it is still running
/// after `limit`.
fn run_within(limit: Duration, opts: &[&str], guest: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(faultline_bin())
        .arg("run")
        .args(opts)
        .arg(guest)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn faultline");
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("{opts:?} {guest:?} {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Asserts that `out` is a refusal: status 2, no panic, `what` on the first line.
fn refused(out: &Output, what: &str, case: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(shell_status(out), 2, "{case}: {stderr}");
    assert!(!stderr.contains("panicked"), "{case}: {stderr}");
    let first = stderr.lines().next().unwrap_or("");
    assert!(
        first.contains(what),
        "{case}: expected {what:?} in {stderr}"
    );
}

#[test]
fn values_a_run_cannot_use_are_refused_naming_the_limit() {
    let hello = guests_dir().join("hello");
    for (opts, what) in [
        (
            &["--storage-latency", "fixed:18446744073709551614ns"][..],
            "beyond the maximum of 10s",
        ),
        (
            &["--storage-latency", "lognormal:1ms,100000s"],
            "beyond the maximum of 10s",
        ),
        (
            &["--storage-latency", "mix:0.5*fixed:1ms+0.5*exp:1000s"],
            "beyond the maximum of 10s",
        ),
        (
            &["--storage-stall", "every:1s,for:100000s"],
            "beyond the maximum of 10s",
        ),
        (
            &["--inject", "1ms:stall=100000s"],
            "beyond the maximum of 10s",
        ),
        (&["--storage-bw", "1B/s"], "below the minimum of 1MiB/s"),
        (&["--storage-bw", "1000KB/s"], "below the minimum of 1MiB/s"),
        (&["--readahead", "1TiB"], "beyond the maximum of 64MiB"),
        (&["--mem-limit", "0"], "below 64KiB"),
        (&["--mem-limit", "1", "--swap", "64MiB"], "below 64KiB"),
        (&["--mem-limit", "4096", "--swap", "64MiB"], "below 64KiB"),
        (
            &["--mem-limit", "1MiB", "--inject", "1ms:mem-limit=4096"],
            "below 64KiB",
        ),
        (&["--max-map-count", "0"], "from 1 to"),
    ] {
        let out = run_within(Duration::from_secs(10), opts, &hello, &[]);
        refused(&out, what, &format!("{opts:?}"));
    }
}

#[test]
fn values_at_the_limits_complete() {
    let hello = guests_dir().join("hello");
    for opts in [
        &["--storage-bw", "1MiB/s"][..],
        &["--storage-latency", "uniform:0ns..10s", "--seed", "1"],
        &["--readahead", "64MiB"],
        &["--mem-limit", "64KiB", "--swap", "64MiB"],
        &["--mem-limit", "64KiB"],
    ] {
        // A 10s bound on single requests is no bound on a run: the uniform case draws
        // from the seed, whose first draws are short enough.
        let limit = if opts[1].starts_with("uniform") {
            120
        } else {
            30
        };
        let out = run_within(Duration::from_secs(limit), opts, &hello, &[]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(shell_status(&out), 0, "{opts:?}: {out:?}");
        assert!(stdout.starts_with("hello, world"), "{opts:?}: {stdout}");
    }
}

#[test]
fn a_program_that_is_not_a_regular_file_is_refused_before_anything_blocks() {
    let dir = Scratch::new("not-regular");
    let fifo = dir.0.join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo")
        .success());
    for (path, kind) in [
        (fifo.as_path(), "not a regular file (a FIFO)"),
        (dir.0.as_path(), "not a regular file (a directory)"),
        (Path::new("/dev/null"), "not a regular file (a device)"),
    ] {
        let out = run_within(Duration::from_secs(10), &[], path, &[]);
        refused(&out, kind, kind);
        assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    }
}

/// The `mapmany` guest's line that starts with `prefix`.
fn line<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in {stdout}"))
}

#[test]
fn max_map_count_ends_300000_mmaps_with_enomem_promptly() {
    let mapmany = guests_dir().join("mapmany");
    let out = run_within(Duration::from_secs(60), &[], &mapmany, &["300000"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(shell_status(&out), 0, "{out:?}");
    // The program's own mappings (image, stack, heap) count too.
    let made: u64 = line(&stdout, "mapmany: ENOMEM after ")
        .split(' ')
        .nth(3)
        .unwrap()
        .parse()
        .unwrap();
    assert!((65_400..=65_530).contains(&made), "{stdout}");
    // A lower limit of one's own.
    let out = run_within(
        Duration::from_secs(60),
        &["--max-map-count", "1000"],
        &mapmany,
        &["5000"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let made: u64 = line(&stdout, "mapmany: ENOMEM after ")
        .split(' ')
        .nth(3)
        .unwrap()
        .parse()
        .unwrap();
    assert!((900..=1000).contains(&made), "{stdout}");
}

#[test]
fn splits_past_max_map_count_fail_with_enomem_and_succeed_with_room() {
    let mapmany = guests_dir().join("mapmany");
    let out = run_within(
        Duration::from_secs(60),
        &["--max-map-count", "2000"],
        &mapmany,
        &["5000", "split"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(shell_status(&out), 0, "{out:?}");
    assert_eq!(
        line(&stdout, "mapmany: munmap of a middle page"),
        "mapmany: munmap of a middle page: ENOMEM"
    );
    assert_eq!(
        line(&stdout, "mapmany: mprotect of a middle page"),
        "mapmany: mprotect of a middle page: ENOMEM"
    );
    assert_eq!(
        line(&stdout, "mapmany: mprotect with room"),
        "mapmany: mprotect with room: ok"
    );
}

#[test]
fn negative_numbers_reach_each_options_check() {
    let hello = guests_dir().join("hello");
    for (opts, name) in [
        (&["--seed", "-1"][..], "--seed"),
        (&["--clock", "virtual", "--cpus", "-1"], "--cpus"),
        (&["--clock", "virtual", "--epoch", "-5"], "--epoch"),
        (&["--clock", "virtual", "--max-time", "-1s"], "--max-time"),
        (&["--clock", "virtual", "--cost", "insn=-1ns"], "--cost"),
        (&["--mem-limit", "-1"], "--mem-limit"),
        (&["--swap", "-64MiB"], "--swap"),
        (&["--readahead", "-1"], "--readahead"),
        (&["--fault-around", "-4KiB"], "--fault-around"),
        (&["--storage-latency", "fixed:-5ms"], "--storage-latency"),
        (&["--storage-latency", "-5ms"], "--storage-latency"),
        (&["--storage-depth", "-1"], "--storage-depth"),
        (&["--storage-bw", "-1MiB/s"], "--storage-bw"),
        (&["--storage-stall", "every:-1s,for:1ms"], "--storage-stall"),
        (&["--storage-errors", "-0.5"], "--storage-errors"),
        (&["--dirty-writeback", "-5s"], "--dirty-writeback"),
        (&["--dirty-expire", "-5s"], "--dirty-expire"),
        (&["--rwsem-handoff", "-4ms"], "--rwsem-handoff"),
        (&["--max-map-count", "-3"], "--max-map-count"),
        (&["--inject", "-5ms:drop-caches"], "--inject"),
    ] {
        let out = run_within(Duration::from_secs(10), opts, &hello, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(shell_status(&out), 2, "{opts:?}: {stderr}");
        assert!(
            !stderr.contains("unexpected argument"),
            "{opts:?}: {stderr}"
        );
        let first = stderr.lines().next().unwrap_or("");
        assert!(
            first.contains(&format!("'{name} ")),
            "{opts:?}: the error does not name {name}: {stderr}"
        );
    }
    // Where a negative number means something, it is taken: a nice of -5.
    let out = run_within(
        Duration::from_secs(10),
        &["--thread-prio", "hello=nice:-5"],
        &hello,
        &[],
    );
    assert_eq!(shell_status(&out), 0, "{out:?}");
}
