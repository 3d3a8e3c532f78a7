//! Bad input to `faultline` gets one clear line on stderr and exit status 2, never a panic.

use devices::cast::{low_u8, u64_to_usize};
use std::io::Write;
use std::process::{Command, Output};

const EMULATOR_ERROR: i32 = 2;

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .expect("spawn faultline")
}

fn assert_one_line_error(o: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(EMULATOR_ERROR), "stderr: {err}");
    assert!(err.contains(needle), "expected {needle:?} in {err:?}");
    assert!(!err.contains("panicked"), "panic: {err}");
    assert!(o.stdout.is_empty());
}

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("faultline-cli-{}-{name}", std::process::id()));
    std::fs::File::create(&p)
        .and_then(|mut f| f.write_all(bytes))
        .expect("write temp file");
    p
}

#[test]
fn missing_program() {
    let o = faultline(&["run", "/nonexistent/program"]);
    assert_one_line_error(&o, "cannot read /nonexistent/program");
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
}

#[test]
fn not_an_elf() {
    let p = temp_file("text", b"#!/bin/sh\necho hi\n");
    let o = faultline(&["run", p.to_str().unwrap()]);
    assert_one_line_error(&o, "not a valid ELF file");
    std::fs::remove_file(p).ok();
}

#[test]
fn truncated_elf() {
    let p = temp_file("trunc", b"\x7fELF\x02\x01\x01\x00\x00\x00");
    let o = faultline(&["run", p.to_str().unwrap()]);
    assert_one_line_error(&o, "not a valid ELF file");
    std::fs::remove_file(p).ok();
}

#[test]
fn host_elf_is_not_riscv() {
    let o = faultline(&["run", "/bin/sh"]);
    assert_one_line_error(&o, "RISC-V");
}

#[test]
fn unknown_option() {
    let o = faultline(&["run", "--no-such-option", "x"]);
    assert_eq!(o.status.code(), Some(EMULATOR_ERROR));
}

#[test]
fn bad_env_option() {
    let o = faultline(&["run", "--env", "NOEQUALS", "x"]);
    assert_eq!(o.status.code(), Some(EMULATOR_ERROR));
}

#[test]
fn root_must_be_a_directory() {
    let o = faultline(&["run", "--root", "/nonexistent/dir", "/bin/sh"]);
    assert_one_line_error(&o, "not a directory");
}

#[test]
fn dynamically_linked_program_without_its_interpreter_is_refused() {
    let guest = concat!(env!("CARGO_MANIFEST_DIR"), "/../guests/bin/hello-dynamic");
    // An empty root holds no /lib/ld-linux-riscv64-lp64d.so.1, whatever the host has.
    let root = std::env::temp_dir().join(format!("faultline-cli-{}-root", std::process::id()));
    std::fs::create_dir_all(&root).expect("make an empty root");
    let o = faultline(&["run", "--root", root.to_str().unwrap(), guest]);
    std::fs::remove_dir(&root).ok();
    assert_one_line_error(&o, "program interpreter /lib/ld-linux-riscv64-lp64d.so.1");
    assert_one_line_error(&o, "-L /usr/riscv64-linux-gnu");
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
}

/// Corrupted headers of a real executable load, run or fail with one line; the loader
/// never panics whatever the ELF and program headers say.
#[test]
fn mutated_elf_headers_never_panic_the_loader() {
    let guest = concat!(env!("CARGO_MANIFEST_DIR"), "/../guests/bin/hello");
    let original = std::fs::read(guest).expect("read hello");
    let phdrs_end = 64 + 56 * 8;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let p = std::env::temp_dir().join(format!("faultline-cli-{}-mutated", std::process::id()));
    for round in 0..300 {
        let mut bytes = original.clone();
        for _ in 0..1 + next() % 4 {
            let at = u64_to_usize(next() % phdrs_end);
            bytes[at] = low_u8(next());
        }
        std::fs::write(&p, &bytes).expect("write the mutated ELF");
        let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
            .args(["run", p.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn faultline");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        // A mutated entry point may loop forever: that is the guest's business.
        while child.try_wait().expect("wait for faultline").is_none() {
            if std::time::Instant::now() > deadline {
                child.kill().ok();
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let o = child.wait_with_output().expect("collect faultline");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !err.contains("panicked") && !err.contains("internal error"),
            "round {round}: {err}"
        );
        if o.status.code() == Some(EMULATOR_ERROR) {
            assert_eq!(err.lines().count(), 1, "round {round}: {err}");
        }
    }
    std::fs::remove_file(p).ok();
}

const HELLO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../guests/bin/hello");

/// Runs `hello` with faultline options `opts` and guest arguments `args`, with `RUST_LOG`
/// unset; returns its stdout and stderr.
fn hello(opts: &[&str], args: &[&str]) -> (String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .arg("run")
        .args(opts)
        .arg(HELLO)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("spawn faultline");
    assert_eq!(o.status.code(), Some(0));
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (text(&o.stdout), text(&o.stderr))
}

#[test]
fn stderr_carries_no_diagnostics_unless_asked() {
    let (_, err) = hello(&[], &[]);
    assert_eq!(err, "");
}

#[test]
fn verbose_shows_the_loaders_decisions() {
    let (_, err) = hello(&["-v"], &[]);
    assert!(err.contains("PT_LOAD segment"), "{err}");
    assert!(err.contains("ready to start"), "{err}");
    assert!(err.contains("configuration"), "{err}");
}

#[test]
fn options_after_the_program_are_the_guests() {
    let (out, err) = hello(&[], &["-v", "--strace"]);
    assert_eq!(err, "");
    assert!(out.contains("argv[1]=-v\n"), "{out}");
    assert!(out.contains("argv[2]=--strace\n"), "{out}");
}
