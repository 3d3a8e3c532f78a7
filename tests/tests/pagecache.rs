//! File mappings through the page cache and the simulated storage device: coherence with
//! read(2)/write(2), SIGBUS on unreadable pages, the storage options, and each policy's
//! way of waiting for a page-cache read, seen in its counters.

use serde_json::Value;
use tests::{count, errors_in, guests_dir, run_faultline, shell_status, Scratch};

/// Runs `filemap args` with `opts` and `--stats`; returns the status, stdout, stderr and
/// the totals.
fn filemap(opts: &[&str], args: &[&str], dir: &Scratch) -> (i32, String, String, Value) {
    run_guest("filemap", opts, args, dir)
}

/// Runs guest `name` with `args` under `opts` and `--stats`; returns the status, stdout,
/// stderr and the totals.
fn run_guest(
    name: &str,
    opts: &[&str],
    args: &[&str],
    dir: &Scratch,
) -> (i32, String, String, Value) {
    let stats = dir.0.join("stats.json");
    let mut all = opts.to_vec();
    all.extend(["--stats", stats.to_str().unwrap()]);
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = run_faultline(&all, &guests_dir().join(name), &args);
    let totals = std::fs::read(&stats)
        .map(|b| serde_json::from_slice::<Value>(&b).unwrap()["total"].clone())
        .unwrap_or(Value::Null);
    (
        shell_status(&out),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        totals,
    )
}

/// The counters of `more` less those of `base`: two runs of the same guest code that
/// differ only in how many file pages they work on, so the program image's own page
/// faults and reads (the same in both) cancel out.
fn minus(more: &Value, base: &Value) -> Value {
    let mut out = more.clone();
    for (name, v) in out.as_object_mut().expect("stats totals are an object") {
        if let (Some(a), Some(b)) = (v.as_u64(), base[name.as_str()].as_u64()) {
            *v = Value::from(a.saturating_sub(b));
        }
    }
    out
}

#[test]
fn mappings_and_file_calls_see_the_same_bytes_under_every_policy() {
    for policy in ["mmap", "vma", "vma-retry", "vma-hold"] {
        let dir = Scratch::new(&format!("coherence-{policy}"));
        let (status, stdout, stderr, totals) =
            filemap(&["--policy", policy], &[&dir.path(), "40"], &dir);
        assert_eq!(
            (status, stdout.as_str()),
            (0, "filemap: ok 40\n"),
            "{policy}: {stderr}"
        );
        assert!(count(&totals, "io.reads") >= count(&totals, "pagecache.misses"));
        // 40 pages in 128 KiB read-around windows: beyond what one page costs (a miss of
        // the file, and the program image's own), a few reads, mostly hits.
        let base = filemap(&["--policy", policy], &[&dir.path(), "1"], &dir).3;
        let data = minus(&totals, &base);
        let misses = count(&data, "pagecache.misses");
        assert!(misses <= 3, "{policy}: {misses} more misses");
        assert!(count(&data, "pagecache.hits") > 0, "{policy}");
        assert!(
            count(&totals, "io.writes") > 0,
            "{policy}: msync wrote nothing"
        );
    }
}

/// The counters of touching one page of a file at a time with no read-around and 2 ms
/// reads, so that every page is a miss: 33 pages less 1 page, leaving out the program
/// image's faults.
fn touch_totals(policy: &str) -> Value {
    let dir = Scratch::new(&format!("touch-{policy}"));
    std::fs::write(dir.0.join("filemap.dat"), vec![7u8; 33 * 4096]).unwrap();
    let opts = [
        "--policy",
        policy,
        "--storage-latency",
        "fixed:2ms",
        "--readahead",
        "4KiB",
    ];
    let run = |pages: &str| {
        let (status, stdout, stderr, totals) = filemap(&opts, &[&dir.path(), pages, "touch"], &dir);
        assert_eq!(status, 0, "{policy}: {stdout}{stderr}");
        totals
    };
    let (all, one) = (run("33"), run("1"));
    let totals = minus(&all, &one);
    assert_eq!(count(&totals, "pagecache.misses"), 32, "{policy}");
    assert_eq!(count(&totals, "faults.major"), 32, "{policy}");
    assert_eq!(count(&totals, "io.reads"), 32, "{policy}");
    for q in ["p50", "p99", "max"] {
        let name = format!("io.read_latency_ns.{q}");
        assert!(count(&all, &name) >= 2_000_000, "{policy} {name}");
    }
    // One thread, a deep queue: nothing waits long for the device.
    assert!(
        count(&totals, "io.queue_wait_ns") < 32 * 2_000_000,
        "{policy}"
    );
    assert_eq!(count(&totals, "faults.retry_io_miss"), 0, "{policy}");
    totals
}

#[test]
fn each_policy_waits_for_page_cache_reads_its_own_way() {
    let hold = touch_totals("vma-hold");
    let vma = touch_totals("vma");
    let retry = touch_totals("vma-retry");
    let mmap = touch_totals("mmap");
    let reads = |t: &Value| count(t, "mmap_lock.read_acquired");
    // vma-hold: waits holding the VMA lock, never drops it.
    assert_eq!(count(&hold, "vma_lock.retry"), 0);
    assert_eq!(count(&hold, "faults.retry"), 0);
    // vma: drops the VMA lock and redoes each fault under mmap_lock.
    assert_eq!(count(&vma, "vma_lock.retry"), 32);
    assert_eq!(reads(&vma), reads(&hold) + 32);
    // vma-retry: drops and retries, but under the VMA lock again.
    assert_eq!(count(&retry, "vma_lock.retry"), 32);
    assert_eq!(reads(&retry), reads(&hold));
    // mmap: no per-VMA lock at all; every miss retried under mmap_lock with TRIED.
    assert_eq!(count(&mmap, "vma_lock.success"), 0);
    assert_eq!(count(&mmap, "faults.retry"), 32);
    assert_eq!(
        reads(&mmap),
        reads(&vma) + 32 + count(&vma, "vma_lock.success")
    );
}

#[test]
fn page_cache_reads_carry_the_faulting_threads_io_priority() {
    let dir = Scratch::new("ioprio");
    std::fs::write(dir.0.join("filemap.dat"), vec![3u8; 9 * 4096]).unwrap();
    let opts = ["--readahead", "4KiB"];
    let run = |pages: &str| {
        let (status, stdout, stderr, totals) =
            filemap(&opts, &[&dir.path(), pages, "touch-idle"], &dir);
        assert_eq!(status, 0, "{stdout}{stderr}");
        totals
    };
    // 9 pages less 1: the file's reads without the program image's.
    let totals = minus(&run("9"), &run("1"));
    assert_eq!(count(&totals, "io.reads"), 8);
    assert_eq!(count(&totals, "io.idle.reads"), 8);
    assert_eq!(count(&totals, "io.be.reads"), 0);
}

#[test]
fn a_page_past_the_end_of_the_file_is_sigbus() {
    let dir = Scratch::new("eof");
    for mode in ["eof", "truncate"] {
        let (status, stdout, stderr, _) = filemap(&[], &[&dir.path(), "0", mode], &dir);
        assert_eq!(status, 128 + 7, "{mode}: {stdout}{stderr}");
        assert!(stderr.contains("SIGBUS"), "{mode}: {stderr}");
    }
}

#[test]
fn a_failed_storage_read_is_sigbus_on_the_faulting_access() {
    let dir = Scratch::new("errors");
    std::fs::write(dir.0.join("filemap.dat"), vec![1u8; 4 * 4096]).unwrap();
    let errors = errors_in(&dir.0.join("filemap.dat"));
    let opts = ["--storage-errors", errors.as_str()];
    let (status, stdout, stderr, _) = filemap(&opts, &[&dir.path(), "4", "touch"], &dir);
    assert_eq!(status, 128 + 7, "{stdout}{stderr}");
    assert!(stderr.contains("I/O error"), "{stderr}");
}

#[test]
fn file_reads_go_through_the_page_cache_and_a_failed_one_is_eio() {
    let dir = Scratch::new("read");
    std::fs::write(dir.0.join("filemap.dat"), vec![5u8; 64 * 4096]).unwrap();
    let args = [dir.path(), "64".to_string(), "read".to_string()];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, stdout, stderr, all) = filemap(&[], &args, &dir);
    assert_eq!(
        (status, stdout.as_str()),
        (0, "filemap: read 64 pages\n"),
        "{stderr}"
    );
    let none = filemap(&[], &[&dir.path(), "0", "read"], &dir).3;
    let totals = minus(&all, &none);
    // 256 KiB in 128 KiB read-ahead windows.
    assert_eq!(count(&totals, "io.reads"), 2);
    assert_eq!(count(&totals, "pagecache.misses"), 2);
    // The 62 other pages are hits; the image's own hits vary with how far its reads had
    // got when fault-around looked, so they do not cancel out.
    assert!(count(&all, "pagecache.hits") >= 62);
    let errors = errors_in(&dir.0.join("filemap.dat"));
    let (status, stdout, stderr, _) = filemap(&["--storage-errors", &errors], &args, &dir);
    assert_eq!(
        (status, stdout.as_str()),
        (0, "filemap: read failed: EIO\n"),
        "{stderr}"
    );
}

#[test]
fn under_a_memory_limit_reclaimed_pages_come_back_identical() {
    for policy in ["mmap", "vma", "vma-retry", "vma-hold"] {
        let dir = Scratch::new(&format!("limit-{policy}"));
        let opts = ["--policy", policy, "--mem-limit", "1MiB"];
        let (status, stdout, stderr, totals) = filemap(&opts, &[&dir.path(), "512"], &dir);
        assert_eq!(
            (status, stdout.as_str()),
            (0, "filemap: ok 512\n"),
            "{policy}: {stderr}"
        );
        let reclaimed = count(&totals, "reclaim.reclaimed");
        assert!(
            reclaimed > 256,
            "{policy}: only {reclaimed} pages reclaimed"
        );
        assert!(count(&totals, "reclaim.scanned") >= reclaimed, "{policy}");
    }
}

#[test]
fn threads_thrashing_a_file_under_a_memory_limit_read_pages_again() {
    for policy in ["mmap", "vma", "vma-retry", "vma-hold"] {
        let dir = Scratch::new(&format!("thrash-{policy}"));
        std::fs::write(dir.0.join("filemap.dat"), vec![9u8; 128 * 4096]).unwrap();
        let opts = [
            "--policy",
            policy,
            "--mem-limit",
            "700KiB",
            "--storage-latency",
            "fixed:500us",
            "--readahead",
            "4KiB",
        ];
        let args = [
            dir.path(),
            "128".into(),
            "thrash".into(),
            "4".into(),
            "2".into(),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (status, stdout, stderr, totals) = filemap(&opts, &args, &dir);
        assert_eq!(
            (status, stdout.as_str()),
            (0, "filemap: 4 threads read 128 pages 2 times\n"),
            "{policy}: {stderr}"
        );
        assert!(
            count(&totals, "pagecache.misses") > 128,
            "{policy}: no page read twice"
        );
        assert!(count(&totals, "reclaim.reclaimed") > 0, "{policy}");
        let io_miss = count(&totals, "faults.retry_io_miss");
        assert!(io_miss <= count(&totals, "faults.retry"), "{policy}");
        if policy == "vma-hold" {
            assert_eq!(io_miss, 0, "vma-hold never drops its lock to wait");
        }
    }
}

#[test]
fn threads_remapping_their_files_every_round_read_right_and_take_mmap_lock_for_write() {
    let (threads, rounds) = (4, 3);
    let plain = Scratch::new("thrash-plain");
    let (status, expected, stderr, _) =
        run_guest("thrash", &[], &["4", "1", "3", &plain.path()], &plain);
    assert_eq!(status, 0, "{stderr}");
    for policy in ["mmap", "vma", "vma-retry", "vma-hold"] {
        let dir = Scratch::new(&format!("thrash-m-{policy}"));
        let opts = [
            "--policy",
            policy,
            "--mem-limit",
            "2MiB",
            "--storage-latency",
            "fixed:200us",
        ];
        let args = ["4", "1", "3", &dir.path(), "-m"];
        let (status, stdout, stderr, totals) = run_guest("thrash", &opts, &args, &dir);
        assert_eq!(status, 0, "{policy}: {stderr}");
        // The same pages in the same order: the same output as without remapping.
        assert_eq!(stdout, expected, "{policy}");
        // Each thread maps and unmaps its file every round.
        assert!(
            count(&totals, "mmap_lock.write_acquired") >= 2 * threads * rounds,
            "{policy}: {totals}"
        );
        assert!(count(&totals, "pagecache.misses") > 0, "{policy}");
    }
}

#[test]
fn truncate_by_path_drops_the_cached_pages_it_cut_even_dirty_ones() {
    let dir = Scratch::new("path-truncate");
    let (status, stdout, stderr, _) = filemap(&[], &[&dir.path(), "0", "path-truncate"], &dir);
    assert_eq!(
        (status, stdout.as_str()),
        (0, "filemap: truncate(2) ok\n"),
        "{stderr}"
    );
    // Nothing the truncate cut was written back at exit either.
    let host = std::fs::read(dir.0.join("filemap.dat")).unwrap();
    assert_eq!(host, vec![0u8; 2 * 4096]);
}

#[test]
fn pseudo_files_bypass_the_cache_and_dev_zero_maps_anonymous_memory() {
    let dir = Scratch::new("special");
    let (status, stdout, stderr, _) = filemap(&[], &[&dir.path(), "0", "special"], &dir);
    assert_eq!(
        (status, stdout.as_str()),
        (0, "filemap: special files ok\n"),
        "{stderr}"
    );
}

#[test]
fn bad_storage_and_memory_options_are_one_clear_error_with_status_2() {
    for (opt, value) in [
        ("--storage-latency", "fixed:5parsecs"),
        ("--storage-depth", "0"),
        ("--storage-sched", "elevator"),
        ("--storage-bw", "fast"),
        ("--storage-stall", "every:1ms"),
        ("--storage-errors", "2"),
        ("--readahead", "lots"),
        ("--mem-limit", "12 parsecs"),
        ("--dirty-writeback", "soon"),
        ("--dirty-expire", "30"),
    ] {
        let out = run_faultline(&[opt, value], &guests_dir().join("hello"), &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(shell_status(&out), 2, "{opt} {value}: {stderr}");
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.contains(opt) && first.contains(value),
            "{opt} {value}: {stderr}"
        );
    }
}
