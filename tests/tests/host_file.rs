//! The host file holds what the guest wrote with write(2) from the moment it wrote it:
//! a `kill -9` of the emulator loses nothing, and a watcher of a redirected stdout sees
//! each line as the guest writes it, with the emulator's own messages on a shared
//! stderr kept, never overwritten by a later write-back; and a run-ending signal ends
//! the run promptly, whatever the simulated device's latency. Stores through a
//! MAP_SHARED mapping reach the file on every ending (exit_group, a fatal signal,
//! SIGTERM, SIGINT, SIGHUP, with and without a memory limit, under every policy), and a
//! host process that overwrites, appends to or truncates a file the guest reads and
//! maps is seen by the guest, a truncation as SIGBUS beyond the new end.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tests::{faultline_bin, guests_dir, Scratch};

/// 16 pages of 0xAB: what `writeback DIR hold ...` writes to DIR/wb.dat.
const WRITTEN: usize = 16 * 4096;

/// Starts `faultline run opts... writeback DIR hold none MS` with stdout and stderr both
/// going to `out` (as `> out 2>&1` does: one open file description).
fn hold_into(opts: &[&str], dir: &Scratch, ms: &str, out: &Path) -> Child {
    let file = File::create(out).unwrap();
    Command::new(faultline_bin())
        .arg("run")
        .args(opts)
        .arg(guests_dir().join("writeback"))
        .args([&dir.path(), "hold", "none", ms])
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn faultline")
}

/// Waits (up to 20 s) until `out` holds `line`, checking on the way that a watcher
/// never sees a NUL byte in it.
fn wait_for_line(out: &Path, line: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut bytes = Vec::new();
        File::open(out).unwrap().read_to_end(&mut bytes).unwrap();
        assert!(!bytes.contains(&0), "a NUL byte: {bytes:?}");
        if String::from_utf8_lossy(&bytes).contains(line) {
            return;
        }
        assert!(Instant::now() < deadline, "never saw {line:?}: {bytes:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn signal(child: &Child, sig: &str) {
    let kill = Command::new("sh")
        .args(["-c", &format!("kill -{sig} {}", child.id())])
        .status()
        .expect("run sh");
    assert!(kill.success());
}

#[test]
fn sigkill_keeps_every_byte_the_guest_wrote_and_its_redirected_output() {
    let dir = Scratch::new("sigkill");
    let out = dir.0.join("out.log");
    let mut child = hold_into(&[], &dir, "30000", &out);
    wait_for_line(&out, "writeback: written\n");
    signal(&child, "KILL");
    child.wait().unwrap();
    assert_eq!(
        std::fs::read(dir.0.join("wb.dat")).unwrap(),
        vec![0xAB; WRITTEN]
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"writeback: written\n");
}

#[test]
fn a_shared_stdout_and_stderr_file_has_every_line_and_no_nul_byte() {
    for ((sig, name), limit) in [("TERM", "SIGTERM"), ("INT", "SIGINT"), ("HUP", "SIGHUP")]
        .into_iter()
        .flat_map(|s| [(s, None), (s, Some("1MiB"))])
    {
        let dir = Scratch::new(&format!("shared-{sig}-{}", limit.is_some()));
        let out = dir.0.join("out.log");
        let opts: &[&str] = match limit {
            Some(l) => &["--mem-limit", l],
            None => &[],
        };
        let mut child = hold_into(opts, &dir, "30000", &out);
        wait_for_line(&out, "writeback: written\n");
        signal(&child, sig);
        child.wait().unwrap();
        let log = std::fs::read(&out).unwrap();
        assert!(!log.contains(&0), "{sig}: a NUL byte: {log:?}");
        let log = String::from_utf8(log).unwrap();
        assert!(log.starts_with("writeback: written\n"), "{sig}: {log}");
        assert!(
            log.contains(&format!("faultline: {name} received")),
            "{sig}: {log}"
        );
        assert_eq!(
            std::fs::read(dir.0.join("wb.dat")).unwrap(),
            vec![0xAB; WRITTEN]
        );
    }
}

#[test]
fn a_run_ending_signal_never_waits_for_simulated_device_time() {
    for sig in ["TERM", "INT", "HUP"] {
        let dir = Scratch::new(&format!("prompt-{sig}"));
        let out = dir.0.join("out.log");
        // Every request takes 10 s: the run is still reading the program when signalled.
        let mut child = hold_into(&["--storage-latency", "fixed:10s"], &dir, "30000", &out);
        std::thread::sleep(Duration::from_millis(300));
        let start = Instant::now();
        signal(&child, sig);
        let status = child.wait().unwrap();
        let took = start.elapsed();
        assert!(took < Duration::from_secs(5), "SIG{sig} took {took:?}");
        assert!(!status.success(), "SIG{sig}");
        let log = std::fs::read_to_string(&out).unwrap();
        assert!(log.contains("received: writing back"), "SIG{sig}: {log}");
    }
}

/// 16 pages of 0xCD: what `writeback DIR mapstore ...` stores into DIR/wb.dat.
fn stored_bytes() -> Vec<u8> {
    vec![0xCD; WRITTEN]
}

/// Starts `faultline run opts... writeback DIR mapstore MS END`, its output to `out`.
fn mapstore(opts: &[&str], dir: &Scratch, ms: &str, end: &str, out: &Path) -> Child {
    let file = File::create(out).unwrap();
    Command::new(faultline_bin())
        .arg("run")
        .args(opts)
        .arg(guests_dir().join("writeback"))
        .args([&dir.path(), "mapstore", ms, end])
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn faultline")
}

#[test]
fn map_shared_stores_reach_the_file_on_exit_and_a_fatal_signal_under_every_policy() {
    for policy in ["mmap", "vma", "vma-retry", "vma-hold"] {
        for (end, status) in [("exit", Some(0)), ("abort", Some(134))] {
            let dir = Scratch::new(&format!("mapstore-{policy}-{end}"));
            let out = dir.0.join("out.log");
            let opts = ["--policy", policy, "--storage-latency", "fixed:5ms"];
            let status_now = mapstore(&opts, &dir, "0", end, &out).wait().unwrap();
            assert_eq!(status_now.code(), status, "{policy} {end}");
            assert_eq!(
                std::fs::read(dir.0.join("wb.dat")).unwrap(),
                stored_bytes(),
                "{policy} {end}"
            );
        }
    }
}

#[test]
fn map_shared_stores_survive_sigterm_sigint_and_sighup_with_and_without_a_memory_limit() {
    for sig in ["TERM", "INT", "HUP"] {
        for limit in [None, Some("1MiB")] {
            let dir = Scratch::new(&format!("mapstore-{sig}-{}", limit.is_some()));
            let out = dir.0.join("out.log");
            let mut opts = vec!["--storage-latency", "fixed:20ms"];
            if let Some(l) = limit {
                opts.extend(["--mem-limit", l]);
            }
            let mut child = mapstore(&opts, &dir, "30000", "exit", &out);
            wait_for_line(&out, "writeback: stored\n");
            signal(&child, sig);
            assert!(!child.wait().unwrap().success(), "SIG{sig}");
            assert_eq!(
                std::fs::read(dir.0.join("wb.dat")).unwrap(),
                stored_bytes(),
                "SIG{sig} {limit:?}"
            );
        }
    }
}

/// The `writeback DIR watch` guest: each `look` returns its line of what it sees.
struct Watcher {
    child: Child,
    lines: BufReader<std::process::ChildStdout>,
}

impl Watcher {
    fn start(dir: &Scratch, policy: &str) -> Watcher {
        let mut child = Command::new(faultline_bin())
            .args(["run", "--policy", policy])
            .arg(guests_dir().join("writeback"))
            .args([&dir.path(), "watch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn faultline");
        let lines = BufReader::new(child.stdout.take().unwrap());
        Watcher { child, lines }
    }

    fn look(&mut self) -> String {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        self.lines.read_line(&mut line).unwrap();
        line.trim_end().to_string()
    }
}

#[test]
fn a_host_process_writing_appending_and_truncating_is_seen_by_reads_and_the_mapping() {
    for policy in ["mmap", "vma", "vma-retry", "vma-hold"] {
        host_changes_seen(policy);
    }
}

fn host_changes_seen(policy: &str) {
    let dir = Scratch::new(&format!("host-writer-{policy}"));
    let path = dir.0.join("wb.dat");
    std::fs::write(&path, vec![b'a'; 8192]).unwrap();
    let mut guest = Watcher::start(&dir, policy);
    assert_eq!(
        guest.look(),
        "writeback: size=8192 read0=a map0=a read4096=a map4096=a",
        "{policy}"
    );
    // Overwritten in place: size and times move, the cached pages are read again.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .write_all(b"b")
        .unwrap();
    assert_eq!(
        guest.look(),
        "writeback: size=8192 read0=b map0=b read4096=a map4096=a",
        "{policy}"
    );
    // Appended to.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&[b'c'; 100])
        .unwrap();
    assert_eq!(
        guest.look(),
        "writeback: size=8292 read0=b map0=b read4096=a map4096=a",
        "{policy}"
    );
    // Truncated under the mapping: the page past the end is gone (SIGBUS), as on Linux.
    File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(100)
        .unwrap();
    assert_eq!(
        guest.look(),
        "writeback: size=100 read0=b map0=b read4096=eof map4096=bus",
        "{policy}"
    );
    // Grown again with new bytes: read and mapped as written, no stale page.
    std::fs::write(&path, vec![b'd'; 5000]).unwrap();
    assert_eq!(
        guest.look(),
        "writeback: size=5000 read0=d map0=d read4096=d map4096=d",
        "{policy}"
    );
    drop(guest.child.stdin.take());
    assert!(guest.child.wait().unwrap().success());
}
