//! `-L DIR`: a dynamically linked program finds its interpreter and libraries under DIR,
//! as under qemu-riscv64 -L, while paths DIR lacks still reach the host's files.

use tests::{
    faultline_bin, guests_dir, have_cross_libc, have_qemu, manifest, run_faultline,
    run_qemu_with_cross_libc, status_and_stdout, CROSS_ROOT,
};

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
            status_and_stdout(&out),
            (
                case.status,
                String::from_utf8_lossy(&case.stdout).into_owned()
            ),
            "{opt}: stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if have_qemu() {
            let qemu = run_qemu_with_cross_libc(&guests_dir().join("hello-dynamic"), &case.args);
            assert_eq!(status_and_stdout(&out), status_and_stdout(&qemu));
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
        status_and_stdout(&out),
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
