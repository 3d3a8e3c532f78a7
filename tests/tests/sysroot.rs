//! `-L DIR`: a dynamically linked program finds its interpreter and libraries under DIR,
//! as under qemu-riscv64 -L, while paths DIR lacks still reach the host's files.

use std::path::Path;
use tests::{faultline_bin, guests_dir, have_qemu, manifest, run_faultline, shell_status};

/// Where the riscv64 cross libc installs its run-time files (Debian's libc6-riscv64-cross).
const CROSS_ROOT: &str = "/usr/riscv64-linux-gnu";

/// Whether the cross libc is installed; says why the test is skipped if not.
fn have_cross_libc() -> bool {
    let found = Path::new(CROSS_ROOT)
        .join("lib/ld-linux-riscv64-lp64d.so.1")
        .exists();
    if !found {
        eprintln!("skipped: no riscv64 libc under {CROSS_ROOT} (libc6-riscv64-cross)");
    }
    found
}

/// Status and stdout of a run.
fn seen(o: &std::process::Output) -> (i32, String) {
    (
        shell_status(o),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

#[test]
fn dynamic_hello_under_sysroot_prints_what_qemu_prints() {
    if !have_cross_libc() {
        return;
    }
    let case = manifest().into_iter().find(|c| c.name == "hello").unwrap();
    for opt in ["-L", "--sysroot"] {
        let out = run_faultline(
            &[opt, CROSS_ROOT],
            &guests_dir().join("hello-dynamic"),
            &case.args,
        );
        assert_eq!(
            seen(&out),
            (
                case.status,
                String::from_utf8_lossy(&case.stdout).into_owned()
            ),
            "{opt}: stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if have_qemu() {
            let qemu = std::process::Command::new("qemu-riscv64")
                .args(["-L", CROSS_ROOT])
                .arg(guests_dir().join("hello-dynamic"))
                .args(&case.args)
                .output()
                .expect("spawn qemu-riscv64");
            assert_eq!(seen(&out), seen(&qemu));
        }
    }
}

#[test]
fn files_outside_the_sysroot_stay_visible() {
    if !have_cross_libc() {
        return;
    }
    // fileio works in /tmp, which the sysroot lacks: the lookup falls back to the host.
    let case = manifest().into_iter().find(|c| c.name == "fileio").unwrap();
    let out = run_faultline(
        &["-L", CROSS_ROOT],
        &guests_dir().join("fileio"),
        &case.args,
    );
    assert_eq!(
        seen(&out),
        (
            case.status,
            String::from_utf8_lossy(&case.stdout).into_owned()
        ),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sysroot_and_root_together_are_refused() {
    let out = std::process::Command::new(faultline_bin())
        .args(["run", "-L", "/", "--root", "/"])
        .arg(guests_dir().join("hello"))
        .output()
        .expect("spawn faultline");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines()
            .next()
            .unwrap_or("")
            .contains("cannot be used with"),
        "{err}"
    );
}
