//! Every guest in the manifest runs under faultline with its expected output and status,
//! and agrees with qemu-riscv64 where qemu is installed.

use tests::{check_guest, manifest};

/// The guests this file checks; a manifest entry missing here fails `all_cases_covered`.
const COVERED: &[&str] = &["hello", "exitcode", "abort", "segv", "threads", "mm", "fileio"];

#[test]
fn all_cases_covered() {
    for c in manifest() {
        assert!(
            COVERED.contains(&c.name.as_str()) || c.name.starts_with("isa/"),
            "manifest case {} has no test",
            c.name
        );
    }
}

#[test]
fn hello() {
    check_guest("hello");
}

#[test]
fn exitcode() {
    check_guest("exitcode");
}

#[test]
fn abort() {
    check_guest("abort");
}

#[test]
fn segv() {
    check_guest("segv");
}

#[test]
fn threads() {
    check_guest("threads");
}

#[test]
fn mm() {
    check_guest("mm");
}

#[test]
fn fileio() {
    check_guest("fileio");
}
