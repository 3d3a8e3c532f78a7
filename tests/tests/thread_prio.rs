//! `--thread-prio`: threads the guest leaves at the default priorities take the ones
//! named for them, and a guest that sets its own keeps them.

use tests::{guests_dir, run_faultline};

#[test]
fn a_named_thread_takes_its_priorities_unless_the_guest_sets_its_own() {
    let run = |opts: &[&str]| {
        let out = run_faultline(opts, &guests_dir().join("sched_calls"), &[]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let plain = run(&["--clock", "virtual"]);
    assert!(plain.contains("ok nice"), "{plain}");
    // The first thread is called after the program; its worker inherits from it.
    let niced = run(&["--clock", "virtual", "--thread-prio", "sched_calls=nice:7"]);
    assert!(niced.contains("FAIL nice: worker 7, self 7"), "{niced}");
    // A rule for another name, or a prefix that does not match, changes nothing.
    let other = run(&["--clock", "virtual", "--thread-prio", "worker*=nice:7"]);
    assert_eq!(other, plain);
    let out = run_faultline(
        &["--thread-prio", "x=nice:99"],
        &guests_dir().join("hello"),
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nice `99` (expected -20 to 19)"), "{err}");
}
