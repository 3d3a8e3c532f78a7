//! Buffered writes through the page cache and their write-back: coherence with shared
//! mappings without msync, partial pages read first, O_APPEND from threads, a file much
//! larger than the memory limit, and when the dirty pages are written back (syncs, the
//! flusher, exit) while their bytes are in the host file from the write on.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;
use tests::{count, errors_in, faultline_bin, guests_dir, run_faultline, shell_status, Scratch};

/// Where the writeback guest's file and the run's stats live in a scratch directory.
trait WritebackFiles {
    /// The guest's data file.
    fn data(&self) -> PathBuf;
    /// The `--stats` file.
    fn stats(&self) -> PathBuf;
    /// The totals of the `--stats` file.
    fn totals(&self) -> Value;
}

impl WritebackFiles for Scratch {
    fn data(&self) -> PathBuf {
        self.0.join("wb.dat")
    }

    fn stats(&self) -> PathBuf {
        self.0.join("stats.json")
    }

    fn totals(&self) -> Value {
        let bytes = std::fs::read(self.stats()).expect("stats written");
        serde_json::from_slice::<Value>(&bytes).unwrap()["total"].clone()
    }
}

/// Runs `writeback DIR args...` with `opts`; returns status, stdout, stderr, totals.
fn writeback(opts: &[&str], args: &[&str], dir: &Scratch) -> (i32, String, String, Value) {
    let stats = dir.stats();
    let mut all = opts.to_vec();
    all.extend(["--stats", stats.to_str().unwrap()]);
    let mut argv = vec![dir.path()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let out = run_faultline(&all, &guests_dir().join("writeback"), &argv);
    (
        shell_status(&out),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        dir.totals(),
    )
}

const POLICIES: [&str; 4] = ["mmap", "vma", "vma-retry", "vma-hold"];

#[test]
fn write_and_a_shared_mapping_see_each_other_without_msync_under_every_policy() {
    for policy in POLICIES {
        let dir = Scratch::new(&format!("coherence-{policy}"));
        // Any read of the data file through the device would fail, and the guest with it.
        std::fs::write(dir.data(), b"").unwrap();
        let errors = errors_in(&dir.data());
        let opts = ["--policy", policy, "--storage-errors", &errors];
        let (status, stdout, stderr, totals) = writeback(&opts, &["coherence"], &dir);
        assert_eq!(
            (status, stdout.as_str()),
            (0, "writeback: coherence ok\n"),
            "{policy}: {stderr}"
        );
        let mut want = Vec::new();
        for c in [b'a', b'b', b'c'] {
            want.extend([c; 4096]);
        }
        want[4096 + 100..4096 + 105].copy_from_slice(b"HELLO");
        want[2 * 4096 + 200..2 * 4096 + 205].copy_from_slice(b"STORE");
        want.extend(b"tail");
        assert_eq!(std::fs::read(dir.data()).unwrap(), want, "{policy}");
        // Whole pages and pages past the end were written without being read (a read
        // of the file would have failed).
        assert!(count(&totals, "writeback.pages") >= 4, "{policy}");
    }
}

fn pattern(i: usize) -> u8 {
    u8::try_from((i * 7 + 3) % 251).expect("below 251")
}

#[test]
fn a_write_into_part_of_an_uncached_page_reads_it_first_and_keeps_the_rest() {
    let dir = Scratch::new("partial");
    let original = original_bytes();
    std::fs::write(dir.data(), &original).unwrap();
    let opts = ["--storage-latency", "fixed:1ms"];
    let (status, stdout, stderr, totals) = writeback(&opts, &["partial"], &dir);
    assert_eq!(
        (status, stdout.as_str()),
        (0, "writeback: partial ok\n"),
        "{stderr}"
    );
    let mut want = original;
    want[4096 + 1000..4096 + 1003].copy_from_slice(b"XYZ");
    assert_eq!(std::fs::read(dir.data()).unwrap(), want);
    // Written back once, in one request (the program image is never written).
    assert_eq!(count(&totals, "io.writes"), 1);
    assert_eq!(count(&totals, "writeback.pages"), 1);
    assert!(count(&totals, "pagecache.misses") >= 1);

    // The page was read through the device first (write_begin): when that read fails,
    // so does the write, and the file keeps its bytes.
    std::fs::write(dir.data(), original_bytes()).unwrap();
    let errors = errors_in(&dir.data());
    let (status, stdout, _, _) = writeback(&["--storage-errors", &errors], &["partial"], &dir);
    assert_eq!(status, 1, "{stdout}");
    assert!(stdout.starts_with("writeback: FAIL"), "{stdout}");
    assert_eq!(std::fs::read(dir.data()).unwrap(), original_bytes());
}

/// The 4-page file the partial write goes into: byte i is `pattern(i)`.
fn original_bytes() -> Vec<u8> {
    (0..4 * 4096).map(pattern).collect()
}

#[test]
fn appends_from_four_threads_lose_nothing_and_are_never_split_under_every_policy() {
    // Small records, and records larger than one bounce of the host path (256 KiB),
    // which writes split into pieces would interleave.
    for (n, size) in [(2000, 64), (8, 600_000)] {
        for policy in POLICIES {
            let dir = Scratch::new(&format!("append-{policy}-{size}"));
            let args = ["append", "4", &n.to_string(), &size.to_string()];
            let (status, stdout, stderr, _) = writeback(&["--policy", policy], &args, &dir);
            assert_eq!(
                (status, stdout),
                (0, format!("writeback: append 4 {n} ok\n")),
                "{policy} {size}: {stderr}"
            );
            let len = std::fs::metadata(dir.data()).unwrap().len();
            assert_eq!(len, 4 * n * size, "{policy}");
        }
    }
}

#[test]
fn a_file_much_larger_than_the_memory_limit_reaches_the_host_intact() {
    let dir = Scratch::new("big");
    let opts = ["--mem-limit", "4MiB", "--storage-latency", "fixed:200us"];
    let (status, stdout, stderr, totals) = writeback(&opts, &["big", "24"], &dir);
    assert_eq!(
        (status, stdout.as_str()),
        (0, "writeback: wrote 24 MiB\n"),
        "{stderr}"
    );
    let bytes = std::fs::read(dir.data()).unwrap();
    assert_eq!(bytes.len(), 24 << 20);
    for (w, word) in bytes.chunks_exact(4).enumerate() {
        let got = u32::from_le_bytes(word.try_into().unwrap());
        let index = u32::try_from(w).expect("24 MiB of words");
        assert_eq!(got, index ^ 0x5a5a_5a5a, "word {w}");
    }
    let pages = 24 * 256;
    assert!(count(&totals, "writeback.throttled") > 0, "{totals}");
    assert!(count(&totals, "writeback.pages") >= pages, "{totals}");
    assert!(count(&totals, "reclaim.reclaimed") > pages, "{totals}");
    // Contiguous dirty pages go back many to a request.
    assert!(count(&totals, "io.writes") < pages / 4, "{totals}");
}

/// Runs `writeback DIR hold HOW MS` with `opts`; once the guest says it has written,
/// calls `look` with a reader of the host file and the running faultline, then waits
/// for it. Returns its exit status and the totals.
fn hold(
    opts: &[&str],
    how: &str,
    ms: &str,
    dir: &Scratch,
    look: impl FnOnce(&dyn Fn() -> Vec<u8>, &mut Child),
) -> (ExitStatus, Value) {
    let mut child = Command::new(faultline_bin())
        .arg("run")
        .args(opts)
        .arg("--stats")
        .arg(dir.stats())
        .arg(guests_dir().join("writeback"))
        .args([&dir.path(), "hold", how, ms])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn faultline");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "writeback: written\n", "{how}");
    let file = dir.data();
    let read = move || std::fs::read(&file).unwrap();
    look(&read, &mut child);
    (child.wait().unwrap(), dir.totals())
}

/// Whether the faultline process is still running.
fn running(child: &mut Child) -> bool {
    child.try_wait().unwrap().is_none()
}

const WRITTEN: usize = 16 * 4096;

#[test]
fn without_a_sync_the_pages_stay_dirty_until_exit_with_the_bytes_in_the_file_at_once() {
    let dir = Scratch::new("hold-none");
    let (status, totals) = hold(&[], "none", "300", &dir, |read, child| {
        let host = read();
        assert!(running(child), "the guest is still sleeping");
        // The bytes are in the host file at once; the pages are dirty in the model.
        assert_eq!(host, vec![0xAB; WRITTEN]);
    });
    assert_eq!(
        std::fs::read(dir.data()).unwrap(),
        vec![0xAB; WRITTEN],
        "exit wrote back"
    );
    assert!(status.success());
    assert_eq!(count(&totals, "writeback.background"), 0);
    assert_eq!(count(&totals, "writeback.pages"), 16);
}

#[test]
fn every_sync_puts_the_bytes_in_the_host_file_before_it_returns() {
    for how in ["fsync", "fdatasync", "sync", "osync"] {
        let dir = Scratch::new(&format!("hold-{how}"));
        let (status, totals) = hold(&[], how, "200", &dir, |read, _| {
            assert_eq!(read(), vec![0xAB; WRITTEN], "{how}");
        });
        assert!(status.success(), "{how}");
        assert!(count(&totals, "io.writes") >= 1, "{how}");
        assert_eq!(count(&totals, "writeback.pages"), 16, "{how}");
        assert_eq!(count(&totals, "writeback.background"), 0, "{how}");
    }
}

#[test]
fn the_flusher_writes_back_expired_pages_while_the_guest_sleeps() {
    let dir = Scratch::new("hold-flusher");
    let opts = ["--dirty-writeback", "10ms", "--dirty-expire", "20ms"];
    let (status, totals) = hold(&opts, "none", "3000", &dir, |read, child| {
        assert_eq!(read(), vec![0xAB; WRITTEN], "written through");
        // The flusher's pass is seen in its counters, after the guest exits.
        std::thread::sleep(Duration::from_millis(200));
        assert!(running(child), "the guest is still sleeping");
    });
    assert!(status.success());
    assert_eq!(count(&totals, "writeback.background"), 16);
    assert_eq!(count(&totals, "writeback.pages"), 16);
}

#[test]
fn sigterm_or_ctrl_c_ends_the_run_only_after_the_bytes_reach_the_host() {
    for (signal, number) in [("TERM", 15), ("INT", 2)] {
        let dir = Scratch::new(&format!("hold-sig{signal}"));
        let (status, totals) = hold(&[], "none", "30000", &dir, |read, child| {
            assert_eq!(read(), vec![0xAB; WRITTEN], "written through");
            // The shell's own kill: no procps needed.
            let kill = Command::new("sh")
                .args(["-c", &format!("kill -{signal} {}", child.id())])
                .status()
                .expect("run sh");
            assert!(kill.success());
        });
        // Killed by the signal, as the guest would have been, not after its 30 s sleep.
        assert_eq!(status.code(), Some(128 + number), "SIG{signal}");
        assert_eq!(std::fs::read(dir.data()).unwrap(), vec![0xAB; WRITTEN]);
        assert_eq!(count(&totals, "writeback.pages"), 16, "SIG{signal}");
    }
}
