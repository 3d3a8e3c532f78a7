//! The host file holds what the guest wrote with write(2) from the moment it wrote it:
//! a `kill -9` of the emulator loses nothing, and a watcher of a redirected stdout sees
//! each line as the guest writes it, with the emulator's own messages on a shared
//! stderr kept, never overwritten by a later write-back; and a run-ending signal ends
//! the run promptly, whatever the simulated device's latency.

use std::fs::File;
use std::io::Read;
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
    for (sig, name) in [("TERM", "SIGTERM"), ("INT", "SIGINT"), ("HUP", "SIGHUP")] {
        let dir = Scratch::new(&format!("shared-{sig}"));
        let out = dir.0.join("out.log");
        let mut child = hold_into(&[], &dir, "30000", &out);
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
        // Every request takes 20 s: the run is still reading the program when signalled.
        let mut child = hold_into(&["--storage-latency", "fixed:20s"], &dir, "30000", &out);
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
