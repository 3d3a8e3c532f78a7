//! Bad input to `faultline` gets one clear line on stderr and exit status 2, never a panic.

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
    assert_one_line_error(&o, "--root /usr/riscv64-linux-gnu");
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
}
