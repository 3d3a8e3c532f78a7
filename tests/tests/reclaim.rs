//! Reclaim's active and inactive lists end to end: a small hot set survives a cold
//! stream four times the memory limit, for file pages and (with swap) anonymous pages.
//! Reclaim that takes the oldest pages first (a FIFO, or a CLOCK that cannot see
//! references made through the TLB) throws the hot set out each time the stream wraps:
//! thousands of major faults for these arguments, where the lists allow a few.

use serde_json::Value;
use tests::{count, guests_dir, run_faultline, shell_status};

/// Pages in the hot set.
const HOT_PAGES: u64 = 512;

/// Runs `hotcold` in `mode` with 8 MiB of memory, no read-around (so each page read
/// is one major fault) and the extra `opts`; checks its output and returns the stats
/// totals.
fn hotcold(mode: &str, opts: &[&str]) -> Value {
    let stats = std::env::temp_dir().join(format!(
        "faultline-reclaim-test-{}-{mode}.json",
        std::process::id()
    ));
    let mut all = vec![
        "--mem-limit",
        "8MiB",
        "--readahead",
        "0",
        "--stats",
        stats.to_str().unwrap(),
    ];
    all.extend_from_slice(opts);
    let hot = HOT_PAGES.to_string();
    let tmp = std::env::temp_dir();
    let args = [hot, "32".into(), tmp.to_str().unwrap().into(), mode.into()];
    let out = run_faultline(&all, &guests_dir().join("hotcold"), &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(shell_status(&out), 0, "{mode}: {stdout}{stderr}");
    assert!(
        stdout.starts_with(&format!(
            "hotcold: {mode} hot_pages={HOT_PAGES} cold_pages=8192 "
        )) && stdout.ends_with("ok hot set and stream verified\n"),
        "{mode}: {stdout}"
    );
    let totals =
        serde_json::from_slice::<Value>(&std::fs::read(&stats).unwrap()).unwrap()["total"].clone();
    let _ = std::fs::remove_file(&stats);
    totals
}

#[test]
fn a_hot_file_mapping_survives_a_cold_read_stream() {
    let t = hotcold("file", &[]);
    assert!(count(&t, "reclaim.reclaimed") > 4096, "under pressure: {t}");
    assert!(count(&t, "reclaim.activated") >= HOT_PAGES, "{t}");
    // Each hot page is read once; only a few more faults are allowed (executable
    // pages of the program itself, when it is mapped from its file).
    assert!(
        count(&t, "faults.major") < HOT_PAGES + HOT_PAGES / 2,
        "the hot set was read again: {t}"
    );
}

#[test]
fn a_hot_anonymous_set_survives_a_cold_stream_through_swap() {
    let t = hotcold("anon", &["--swap", "64MiB"]);
    assert!(count(&t, "swap.outs") > 4096, "under pressure: {t}");
    assert!(count(&t, "reclaim.activated") >= HOT_PAGES, "{t}");
    assert!(count(&t, "reclaim.deactivated") > 0, "{t}");
    // The stream is never read back: swap-ins are the hot set's. Oldest-first reclaim
    // swapped it in about five times over (2,613 pages); aging by accessed bits keeps it
    // resident, though on a loaded host kswapd may age it twice before its thread runs
    // again and take it out once.
    assert!(
        count(&t, "swap.ins") < 2 * HOT_PAGES,
        "the hot set was swapped in again and again: {t}"
    );
}
