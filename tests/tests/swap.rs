//! Swap of anonymous memory (private anonymous pages, the copies on write of private
//! file mappings, and shared anonymous memory) end to end: the I/O-path guests run with
//! a memory limit well below their working set and a swap area, under every
//! fault-locking policy, and must still print exactly what they print without pressure.

use serde_json::Value;
use tests::{count, guests_dir, manifest, run_faultline, shell_status};

/// Runs manifest case `name` under `policy` with `limit` of memory and 64 MiB of swap;
/// checks its exit status and stdout, and returns the stats totals.
fn run_swapped(name: &str, policy: &str, limit: &str) -> Value {
    let case = manifest()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name} is not in the manifest"));
    let expect = (&case.stdout[..], case.status);
    run_swapped_with(name, &case.args, expect, policy, limit)
}

/// Runs guest `name` with `args` under `policy` with `limit` of memory and 64 MiB of
/// swap; checks that its stdout and exit status are `expect`, and returns the stats
/// totals.
fn run_swapped_with(
    name: &str,
    args: &[String],
    expect: (&[u8], i32),
    policy: &str,
    limit: &str,
) -> Value {
    let stats = std::env::temp_dir().join(format!(
        "faultline-swap-test-{}-{name}-{policy}-{limit}.json",
        std::process::id()
    ));
    let opts = [
        "--policy",
        policy,
        "--mem-limit",
        limit,
        "--swap",
        "64MiB",
        "--stats",
        stats.to_str().unwrap(),
    ];
    let out = run_faultline(&opts, &guests_dir().join(name), args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        shell_status(&out),
        expect.1,
        "{name} under {policy}: {stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(expect.0),
        "{name} under {policy}: {stderr}"
    );
    let totals =
        serde_json::from_slice::<Value>(&std::fs::read(&stats).unwrap()).unwrap()["total"].clone();
    let _ = std::fs::remove_file(&stats);
    totals
}

const POLICIES: [&str; 4] = ["mmap", "vma", "vma-retry", "vma-hold"];

/// Every policy keeps every byte, and pages really go to swap and come back; under
/// `vma-hold` no fault ever drops its VMA lock to retry. Returns each policy's totals.
fn check_every_policy(name: &str, limit: &str) -> Vec<(&'static str, Value)> {
    let mut all = Vec::new();
    for policy in POLICIES {
        let totals = run_swapped(name, policy, limit);
        assert!(count(&totals, "swap.outs") > 0, "{name} {policy}: {totals}");
        assert!(count(&totals, "swap.ins") > 0, "{name} {policy}: {totals}");
        if policy == "vma-hold" {
            assert_eq!(count(&totals, "vma_lock.retry"), 0, "{name}: {totals}");
        }
        all.push((policy, totals));
    }
    all
}

#[test]
fn swapin_keeps_its_bytes_through_swap_under_every_policy() {
    for (policy, totals) in check_every_policy("swapin", "8MiB") {
        // Its readers go through their chunks in order: most pages come in ahead of
        // their faults, so far fewer faults wait for a read than pages are read.
        let (ins, majors) = (count(&totals, "swap.ins"), count(&totals, "faults.major"));
        assert!(
            count(&totals, "swap.ra_hits") > ins / 2,
            "{policy}: {totals}"
        );
        assert!(majors < ins / 2, "{policy}: {totals}");
    }
}

#[test]
fn integrity_keeps_its_bytes_through_swap_under_every_policy_in_a_tenth_of_its_memory() {
    // The manifest case works on 6 MiB (three 2 MiB regions); a tenth of that is all the
    // memory it gets, its own code and data included.
    check_every_policy("integrity", "614KiB");
}

#[test]
fn shared_anonymous_memory_goes_through_swap_under_every_policy() {
    // 8 MiB of shared pages, two mappings of them, in 2 MiB.
    check_every_policy("shmswap", "2MiB");
}

#[test]
fn private_file_copies_beyond_the_memory_limit_go_through_swap_under_every_policy() {
    // 4 MiB per region: the third of the private file's pages that are copied on write
    // (about 1.3 MiB) do not fit in 1 MiB by themselves, so they must go to swap.
    let args = ["12".to_string()];
    let guest = guests_dir().join("integrity");
    let free = run_faultline(&[], &guest, &args);
    assert_eq!(
        shell_status(&free),
        0,
        "{}",
        String::from_utf8_lossy(&free.stderr)
    );
    for policy in POLICIES {
        let totals = run_swapped_with("integrity", &args, (&free.stdout, 0), policy, "1MiB");
        assert!(count(&totals, "swap.outs") > 0, "{policy}: {totals}");
        if policy == "vma-hold" {
            assert_eq!(count(&totals, "vma_lock.retry"), 0, "{totals}");
        }
    }
}
