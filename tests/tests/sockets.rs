//! The netsock guest where its surroundings change: under `--root`, an AF_UNIX path the
//! guest binds lands inside the root however it climbs (`/../..` stops at the root),
//! and the names the guest reads back are its own, not the host's; under the virtual
//! clock, the pid in socket credentials is the guest's.

use tests::{guests_dir, run_faultline, status_and_stdout, Scratch};

/// Asserts that the netsock run `out` passed every check.
fn assert_all_ok(out: &std::process::Output) {
    let (status, stdout) = status_and_stdout(out);
    assert_eq!(
        (status, stdout.lines().last()),
        (0, Some("netsock: all ok")),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn unix_socket_paths_stay_inside_the_root() {
    let root = Scratch::new("root");
    std::fs::create_dir(root.0.join("d")).unwrap();
    let out = run_faultline(
        &["--root", &root.path()],
        &guests_dir().join("netsock"),
        &["/../../d".into(), "keep".into()],
    );
    assert_all_ok(&out);
    // The kept server socket is a socket file in ROOT/d, named for the guest's pid.
    use std::os::unix::fs::FileTypeExt;
    let socks: Vec<_> = std::fs::read_dir(root.0.join("d"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_socket())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(socks.len(), 1, "{socks:?}");
    assert!(
        socks[0].starts_with("s-") && socks[0].ends_with(".sock"),
        "{socks:?}"
    );
}

#[test]
fn a_deep_root_does_not_lengthen_socket_names() {
    // The root's own host path is longer than sun_path holds: the host's name for the
    // socket runs through the directory the lookup opened (/proc/self/fd/N/NAME), not
    // the root's path joined to the guest's.
    let root = Scratch::new("deep");
    let deep = root.0.join("x".repeat(100)).join("y".repeat(100));
    std::fs::create_dir_all(deep.join("d")).unwrap();
    let out = run_faultline(
        &["--root", &deep.display().to_string()],
        &guests_dir().join("netsock"),
        &["/d".into()],
    );
    assert_all_ok(&out);
}

#[test]
fn sockets_under_the_virtual_clock() {
    // The guest's pid is faultline's own there, not the host's: SO_PEERCRED must name
    // it; the waits for host sockets (accept, epoll, SO_RCVTIMEO) advance virtual time.
    let out = run_faultline(
        &["--clock", "virtual"],
        &guests_dir().join("netsock"),
        &["/tmp".into()],
    );
    assert_all_ok(&out);
}
