//! `--clock virtual`: runs repeat byte for byte, guests read virtual time that is exactly
//! what the cost model and the device charge, the scheduler obeys the guest's policies
//! and nice values on fewer CPUs than threads, a seed other than 0 perturbs the schedule
//! and repeats, and a run that cannot go on ends with a report instead of hanging.

use devices::Cost;
use std::process::Output;
use tests::{guests_dir, manifest, run_faultline, shell_status, Scratch};

/// The exit status of a virtual run stopped by a deadlock or `--max-time`.
const STALLED: i32 = 3;

/// One finished virtual run: its output and its `--stats` document, as bytes.
struct Run {
    out: Output,
    stats: Vec<u8>,
}

/// Runs `guest args` under `--clock virtual` with the extra options `opts`, writing its
/// statistics into `dir` as `name`.
fn run_virtual(dir: &Scratch, name: &str, opts: &[&str], guest: &str, args: &[&str]) -> Run {
    let stats = dir.0.join(format!("{name}.json"));
    let stats_arg = stats.display().to_string();
    let mut all = vec!["--clock", "virtual", "--stats", &stats_arg];
    all.extend_from_slice(opts);
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = run_faultline(&all, &guests_dir().join(guest), &args);
    let stats = std::fs::read(&stats).unwrap_or_default();
    Run { out, stats }
}

/// Runs `guest args` under `--clock virtual` and `opts`, expecting status 0; returns
/// its stdout.
fn stdout_of(opts: &[&str], guest: &str, args: &[&str]) -> String {
    let dir = Scratch::new(guest);
    let run = run_virtual(&dir, "run", opts, guest, args);
    assert_eq!(
        shell_status(&run.out),
        0,
        "{guest} {args:?} under {opts:?}: {}",
        String::from_utf8_lossy(&run.out.stderr)
    );
    String::from_utf8_lossy(&run.out.stdout).into_owned()
}

/// The number after `key ` on its line of `out`.
fn field(out: &str, key: &str) -> i64 {
    out.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{key}` in {out:?}"))
}

/// The default cost of `cost` in picoseconds (the guests measure in nanoseconds; the
/// tests compare in picoseconds, so that half-nanosecond costs add up exactly).
fn ps(cost: Cost) -> i64 {
    i64::try_from(cost.default_ps()).expect("a cost fits")
}

#[test]
fn every_manifest_guest_repeats_byte_for_byte() {
    let dir = Scratch::new("determinism");
    for case in manifest() {
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let what = format!("{} {:?}", case.name, case.args);
        let first = run_virtual(&dir, "first", &[], &case.name, &args);
        let second = run_virtual(&dir, "second", &[], &case.name, &args);
        assert_eq!(
            (
                shell_status(&first.out),
                String::from_utf8_lossy(&first.out.stdout)
            ),
            (case.status, String::from_utf8_lossy(&case.stdout)),
            "{what} under the virtual clock (stderr: {})",
            String::from_utf8_lossy(&first.out.stderr)
        );
        assert_eq!(
            shell_status(&first.out),
            shell_status(&second.out),
            "{what}: exit status"
        );
        assert!(
            first.out.stdout == second.out.stdout,
            "{what}: stdout differs"
        );
        assert!(
            first.out.stderr == second.out.stderr,
            "{what}: stderr differs:\n{}\n---\n{}",
            String::from_utf8_lossy(&first.out.stderr),
            String::from_utf8_lossy(&second.out.stderr)
        );
        assert!(!first.stats.is_empty(), "{what}: no --stats written");
        assert!(first.stats == second.stats, "{what}: --stats differ");
    }
}

/// What a measured span costs beyond the work the tests count exactly, at most: the
/// context switch back to the hart when its wait ends, the TLB refills of the few pages glibc's wrapper
/// code touches, and the wrappers' instructions outside the rdinstret pair (fewer than
/// 200). A system call is charged when it is entered, so the call that reads the clock
/// first is outside the span and the one that reads it last inside.
fn unseen_costs_ps() -> i64 {
    ps(Cost::ContextSwitch) + 8 * ps(Cost::TlbMiss) + 200 * ps(Cost::Insn)
}

/// The virtual clock's minimum quantum: how far past another task's time a running
/// task may get before its next yield point.
const MIN_QUANTUM_PS: i64 = 1_000_000;

#[test]
fn a_10ms_sleep_measures_10ms_plus_the_costs() {
    let out = stdout_of(&[], "sleeper", &[]);
    let elapsed_ps = field(&out, "elapsed_ns") * 1000;
    // Certain: the sleep, the entries of nanosleep and of the second clock_gettime, and
    // the instructions between the two reads; the rest is bounded by unseen_costs_ps.
    let least =
        10_000_000_000 + 2 * ps(Cost::Syscall) + field(&out, "instructions") * ps(Cost::Insn);
    assert!(
        (least..=least + unseen_costs_ps()).contains(&elapsed_ps),
        "slept {elapsed_ps} ps; expected {least} ps plus at most {} ps of costs",
        unseen_costs_ps()
    );
}

#[test]
fn a_major_fault_measures_the_device_latency_plus_the_costs() {
    let dir = Scratch::new("majorfault");
    let file = dir.0.join("data");
    std::fs::write(&file, vec![7u8; 64 * 1024]).expect("write the data file");
    let file = file.display().to_string();
    let out = stdout_of(
        &["--storage-latency", "fixed:5ms"],
        "majorfault",
        &[file.as_str()],
    );
    assert_eq!(field(&out, "major_faults"), 1, "{out}");
    assert_eq!(field(&out, "byte"), 7, "{out}");
    let elapsed_ps = field(&out, "elapsed_ns") * 1000;
    // Certain: the device's latency, the fault's entry, the second clock_gettime's entry
    // and the instructions between the reads.
    let least = 5_000_000_000
        + ps(Cost::Fault)
        + ps(Cost::Syscall)
        + field(&out, "instructions") * ps(Cost::Insn);
    // A major fault also submits the request and may copy or zero the page it fills.
    let most =
        least + unseen_costs_ps() + ps(Cost::IoSubmit) + ps(Cost::PageCopy) + ps(Cost::PageZero);
    assert!(
        (least..=most).contains(&elapsed_ps),
        "the fault took {elapsed_ps} ps; expected {least}..={most} ps"
    );
}

#[test]
fn a_fifo_thread_preempts_two_nice_19_spinners_at_once() {
    let out = stdout_of(&["--cpus", "1"], "sched_fifo", &[]);
    let latency_ps = field(&out, "wakeup_latency_ns") * 1000;
    // At once: the spinner stops at its next yield point, then the switch and the entry
    // of clock_gettime; never the rest of a spinner's time slice (milliseconds).
    let most = MIN_QUANTUM_PS + ps(Cost::Syscall) + unseen_costs_ps();
    assert!(
        (0..=most).contains(&latency_ps),
        "woke {latency_ps} ps late: {out}"
    );
    assert_eq!(field(&out, "spinner_progress_during"), 0, "{out}");
    assert!(out.contains("spinners_ran yes"), "{out}");
}

/// Spinner A's share of one CPU in per mille, against spinner B, over 500 ms.
fn share(nice_a: &str, nice_b: &str) -> i64 {
    let out = stdout_of(&["--cpus", "1"], "sched_share", &[nice_a, nice_b, "500"]);
    field(&out, "share_permille")
}

#[test]
fn equal_nice_values_share_a_cpu_equally() {
    // Within 1% of half: the scheduler switches at slices of a few milliseconds, so over
    // 500 ms the spinners can differ by about one slice (3 ms, 6 per mille) at most.
    let s = share("0", "0");
    assert!(
        (495..=505).contains(&s),
        "nice 0 against nice 0: {s} per mille"
    );
}

#[test]
fn nice_0_against_nice_19_shares_by_the_weights() {
    // Weights 1024 and 15: 1024/1039 = 985.6 per mille. The nice-19 spinner's 7 ms come
    // in slices of a few milliseconds, so its count is right to about one slice: 10 per
    // mille either way.
    let s = share("0", "19");
    assert!(
        (976..=995).contains(&s),
        "nice 0 against nice 19: {s} per mille"
    );
}

/// Each hart's `(tid, sched.runnable_wait_ns, sched.preemptions)` from a `--stats` file.
fn sched_waits(stats: &[u8]) -> Vec<(u64, u64, u64)> {
    let doc: serde_json::Value = serde_json::from_slice(stats).expect("--stats is JSON");
    let harts = doc["harts"].as_array().expect("per-hart statistics");
    harts
        .iter()
        .map(|h| {
            let n = |k: &str| h[k].as_u64().unwrap_or_else(|| panic!("no {k} in {h}"));
            (
                n("tid"),
                n("sched.runnable_wait_ns"),
                n("sched.preemptions"),
            )
        })
        .collect()
}

#[test]
fn thrash_on_fewer_cpus_than_threads_waits_for_them() {
    let dir = Scratch::new("thrash_cpus");
    // One CPU per hart (the default): nobody waits for one.
    let own = run_virtual(&dir, "own", &[], "thrash", &[]);
    assert_eq!(
        shell_status(&own.out),
        0,
        "{}",
        String::from_utf8_lossy(&own.out.stderr)
    );
    for (tid, wait, preempted) in sched_waits(&own.stats) {
        assert_eq!(
            (wait, preempted),
            (0, 0),
            "thread {tid} waited for a CPU of its own"
        );
    }
    // Eight workers and the main thread on two CPUs: every worker waits and is preempted
    // at the end of its slices, and the guest's checks still pass.
    let two = run_virtual(&dir, "two", &["--cpus", "2"], "thrash", &[]);
    let stdout = String::from_utf8_lossy(&two.out.stdout);
    assert_eq!(
        shell_status(&two.out),
        0,
        "{}",
        String::from_utf8_lossy(&two.out.stderr)
    );
    assert!(
        stdout.contains("ok every page read back as written"),
        "{stdout}"
    );
    let waits = sched_waits(&two.stats);
    assert_eq!(waits.len(), 9, "{waits:?}");
    for &(tid, wait, preempted) in &waits[1..] {
        assert!(
            wait > 0 && preempted > 0,
            "worker {tid} never waited: {waits:?}"
        );
    }
}

#[test]
fn a_deadlock_ends_the_run_with_a_report_naming_both_threads() {
    let dir = Scratch::new("deadlock");
    let run = run_virtual(&dir, "run", &[], "deadlock", &[]);
    let stdout = String::from_utf8_lossy(&run.out.stdout);
    let stderr = String::from_utf8_lossy(&run.out.stderr);
    assert_eq!(shell_status(&run.out), STALLED, "{stdout}\n{stderr}");
    for locker in ["a", "b"] {
        let tid = field(&stdout, &format!("locker {locker} tid"));
        assert!(
            stderr.contains(&tid.to_string()),
            "the report does not name locker {locker} (tid {tid}):\n{stderr}"
        );
    }
    assert!(
        stderr.contains("futex"),
        "the report names no futex:\n{stderr}"
    );
}

#[test]
fn max_time_ends_a_spinning_run() {
    let dir = Scratch::new("max_time");
    // Spinners that would run for 100 s of virtual time.
    let run = run_virtual(
        &dir,
        "run",
        &["--cpus", "1", "--max-time", "100ms"],
        "sched_share",
        &["0", "0", "100000"],
    );
    assert_eq!(
        shell_status(&run.out),
        STALLED,
        "{}",
        String::from_utf8_lossy(&run.out.stderr)
    );
    assert!(!run.out.stderr.is_empty(), "no report on stderr");
}

/// Each hart's `sched.switches` from a `--stats` file.
fn switches(stats: &[u8]) -> Vec<u64> {
    let doc: serde_json::Value = serde_json::from_slice(stats).expect("--stats is JSON");
    let harts = doc["harts"].as_array().expect("per-hart statistics");
    harts
        .iter()
        .map(|h| h["sched.switches"].as_u64().expect("sched.switches"))
        .collect()
}

#[test]
fn a_seed_repeats_byte_for_byte_and_perturbs_the_schedule() {
    let dir = Scratch::new("seeded_schedule");
    // Two equal spinners on one CPU for 50 ms: how the CPU is shared depends on where
    // the slices end.
    let share = |name: &str, seed: Option<&str>| {
        let mut opts = vec!["--cpus", "1"];
        opts.extend(seed.map(|s| ["--seed", s]).into_iter().flatten());
        let run = run_virtual(&dir, name, &opts, "sched_share", &["0", "0", "50"]);
        assert_eq!(
            shell_status(&run.out),
            0,
            "seed {seed:?}: {}",
            String::from_utf8_lossy(&run.out.stderr)
        );
        run
    };
    let first = share("first", Some("5"));
    let second = share("second", Some("5"));
    assert!(
        first.out.stdout == second.out.stdout,
        "seed 5: stdout differs"
    );
    assert!(first.stats == second.stats, "seed 5: --stats differ");
    // Seed 0 is the default, the fixed schedule; seed 5 another.
    let fixed = share("fixed", Some("0"));
    let default = share("default", None);
    assert!(
        fixed.out.stdout == default.out.stdout,
        "seed 0: stdout differs"
    );
    assert!(fixed.stats == default.stats, "seed 0: --stats differ");
    let stdout = |r: &Run| String::from_utf8_lossy(&r.out.stdout).into_owned();
    assert_ne!(stdout(&fixed), stdout(&first), "seeds 0 and 5 share alike");
    assert_ne!(
        switches(&fixed.stats),
        switches(&first.stats),
        "seeds 0 and 5 switch alike"
    );
    // Either way the CPU is shared about equally.
    let s = field(&stdout(&first), "share_permille");
    assert!((450..=550).contains(&s), "seed 5: {s} per mille");
}

/// The guests these tests run exist (a missing build fails here, not as a status).
#[test]
fn the_virtual_time_guests_are_built() {
    for g in [
        "sleeper",
        "majorfault",
        "sched_fifo",
        "sched_share",
        "deadlock",
    ] {
        let path = guests_dir().join(g);
        assert!(path.exists(), "{} is not built", path.display());
    }
}
