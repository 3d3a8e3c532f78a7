//! The fidelity suite: the scenarios of `guests/scenarios` against the figures the
//! linux-mm discussion of per-VMA fault locking published, in direction. Each test runs
//! `faultline compare SCENARIO --policies ... --json` on the virtual clock (so it is the
//! same on every machine) and prints what it measured (`cargo test --test fidelity --
//! --nocapture` shows it). A direction the model does not reproduce keeps its test,
//! ignored with the measured numbers and the likely reason.

use serde_json::Value;
use std::process::Command;
use tests::{faultline_bin, repo_root};

/// One scenario's figures under several policies: `compare --json`'s document.
struct Compared {
    /// The scenario's name, for messages.
    name: String,
    /// The JSON document.
    json: Value,
}

impl Compared {
    /// Runs `faultline compare guests/scenarios/NAME.toml --policies P --json` with
    /// `--set` overrides `sets`.
    fn run(name: &str, policies: &[&str], sets: &[&str]) -> Compared {
        let file = repo_root().join(format!("guests/scenarios/{name}.toml"));
        let mut cmd = Command::new(faultline_bin());
        cmd.arg("compare")
            .arg(&file)
            .args(["--policies", &policies.join(","), "--json"]);
        for s in sets {
            cmd.args(["--set", s]);
        }
        let out = cmd.output().expect("faultline runs");
        assert!(
            out.status.success(),
            "compare {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("compare {name} --json: {e}"));
        Compared {
            name: name.to_string(),
            json,
        }
    }

    /// The median of figure `metric` under `policy` (0 where the run had none, as for a
    /// label without slices).
    fn get(&self, metric: &str, policy: &str) -> f64 {
        let metrics = self.json["metrics"].as_array().expect("metrics");
        let Some(m) = metrics.iter().find(|m| m["name"] == metric) else {
            return 0.0;
        };
        let cells = m["cells"].as_array().expect("cells");
        cells
            .iter()
            .find(|c| c["policy"] == policy)
            .and_then(|c| c["median"].as_f64())
            .unwrap_or_else(|| panic!("{}: no {metric} under {policy}", self.name))
    }

    /// Prints `metric` under each of `policies`, so that `--nocapture` shows the figures.
    fn show(&self, metric: &str, policies: &[&str]) {
        let cells: Vec<String> = policies
            .iter()
            .map(|p| format!("{p} {:.1}", self.get(metric, p)))
            .collect();
        println!("{}: {metric}: {}", self.name, cells.join(", "));
    }
}

/// The change from `before` to `after` in percent (negative: down).
fn change_pct(before: f64, after: f64) -> f64 {
    100.0 * (after - before) / before
}

/// Barry Song's Douyin warm start (v2, 30 Apr 2026): with the series, mmap_lock read
/// acquisitions -71%, total read wait -96%, total write wait -81%.
#[test]
fn warm_start_vma_retry_takes_mmap_lock_less_and_waits_for_it_less_than_vma() {
    let c = Compared::run("warm-start", &["vma", "vma-retry"], &[]);
    let both = ["vma", "vma-retry"];
    for m in [
        "mmap_lock read acquisitions",
        "mmap_lock read wait total",
        "mmap_lock write wait total",
        "read waits 10-100 ms",
        "retry_io_miss share of retries",
        "launch p50",
    ] {
        c.show(m, &both);
    }
    let down = |m: &str| change_pct(c.get(m, "vma"), c.get(m, "vma-retry"));
    let acquisitions = down("mmap_lock read acquisitions");
    let read_wait = down("mmap_lock read wait total");
    let write_wait = down("mmap_lock write wait total");
    println!(
        "warm-start: vma -> vma-retry: read acquisitions {acquisitions:+.1}%, \
         read wait {read_wait:+.1}%, write wait {write_wait:+.1}%"
    );
    assert!(
        acquisitions <= -50.0,
        "read acquisitions {acquisitions:+.1}%"
    );
    assert!(read_wait <= -80.0, "read wait {read_wait:+.1}%");
    assert!(write_wait < 0.0, "write wait {write_wait:+.1}%");
}

/// The memcg thrash case: about 45% of retries find their page reclaimed again under
/// mainline, 0.03-1.7% with the series.
#[test]
#[ignore = "measured divergence: retry_io_miss share vma -> vma-retry 49.1% -> 48.7% at \
            seed 0, medians over seeds 0-4 45.9% -> 46.8%; earlier builds 49.6% -> 48.1% \
            from one checkout and 44.7% -> 47.0% from another (the program's path, and so \
            the guest's stack, differs); the difference is within the run's variation"]
fn thrash_vma_retry_misses_fewer_retries_than_vma() {
    // Each run repeats exactly, but any perturbation (the seed, the length of the
    // program's path in argv) moves the share by more than the policies differ: the
    // model's pages are reclaimed whichever lock the retry takes (see
    // `thrash_vma_retry_retries_almost_never_miss`).
    let c = Compared::run("thrash", &["vma", "vma-retry"], &[]);
    let both = ["vma", "vma-retry"];
    c.show("retry_io_miss share of retries", &both);
    c.show("rounds per second", &both);
    let share = |p| c.get("retry_io_miss share of retries", p);
    assert!(share("vma-retry") < share("vma"));
}

/// The memcg thrash case's throughput: 37.9-39.2 rounds/s under mainline, 59.9-90.7
/// with the series.
#[test]
#[ignore = "measured divergence: rounds per second vma -> vma-retry 17.3 -> 17.2 (medians \
            over seeds 0-4 16.8 -> 17.0; published +58% to +139%); the retries miss about as often under both, so \
            vma-retry saves only their short mmap_lock waits"]
fn thrash_vma_retry_completes_more_rounds_than_vma() {
    // With about as many retries missing under both policies, vma-retry saves only the
    // retries' mmap_lock waits (about 0.4 s in all, spread over 32 threads): less than
    // the schedule changes it brings cost here.
    let c = Compared::run("thrash", &["vma", "vma-retry"], &[]);
    c.show("rounds per second", &["vma", "vma-retry"]);
    assert!(c.get("rounds per second", "vma-retry") > c.get("rounds per second", "vma"));
}

/// The size of the thrash case's change in missed retries: ~45% of retries under
/// mainline, 0.03-1.7% with the series.
#[test]
#[ignore = "measured divergence: retry_io_miss share vma 49.1% -> vma-retry 48.7% \
            (published ~45% -> <= 2%); the model's pages are reclaimed whichever lock \
            the retry takes"]
fn thrash_vma_retry_retries_almost_never_miss() {
    // In the model the page is reclaimed before the fault that read it comes back for
    // it whichever lock the retry takes: the retry under `vma` waits for mmap_lock only
    // about 0.8 ms on average here, and the misses hardly change when every thread has
    // a CPU of its own (`--set machine.cpus=32`: 58.4% -> 60.6%), so the window the
    // series closes (a retry queued behind mmap_lock writers while reclaim runs) is not
    // where these misses happen.
    let c = Compared::run("thrash", &["vma", "vma-retry"], &[]);
    let share = c.get("retry_io_miss share of retries", "vma-retry");
    c.show("retry_io_miss share of retries", &["vma", "vma-retry"]);
    assert!(share <= 2.0, "{share:.1}% of retries missed");
}

/// The thrash case under Matthew Wilcox's proposal: a fault that never drops the VMA
/// lock never misses, so it should complete more rounds than `vma` too.
#[test]
#[ignore = "measured divergence: rounds per second vma 17.3, vma-hold 14.3 (-17%); \
            no retry misses, but 28% more faults (an earlier build's count): pages are reclaimed from under the \
            mappings and faulted again more often"]
fn thrash_vma_hold_completes_more_rounds_than_vma() {
    // vma-hold misses no retry (0 against vma's 16,286), but takes 41,146 faults to
    // vma's 32,141 first attempts: while each fault holds its VMA lock through a read
    // queued for 2 ms, reclaim takes mapped pages that are then faulted again, and the
    // rate falls. The published figure is for the series (`vma-retry`); holding the lock
    // is Matthew Wilcox's alternative, which the thread did not measure on this case.
    let c = Compared::run("thrash", &["vma", "vma-hold"], &[]);
    c.show("rounds per second", &["vma", "vma-hold"]);
    assert!(c.get("rounds per second", "vma-hold") > c.get("rounds per second", "vma"));
}

/// The swap-in test: 874 rounds under mainline, 1017 with the series, in 30 s.
#[test]
fn swapin_vma_retry_completes_more_rounds_than_vma_in_the_same_time() {
    let c = Compared::run("swapin", &["vma", "vma-retry"], &[]);
    c.show("rounds per second", &["vma", "vma-retry"]);
    c.show("mmap_lock read wait total", &["vma", "vma-retry"]);
    assert!(c.get("rounds per second", "vma-retry") > c.get("rounds per second", "vma"));
}

/// will-it-scale page_fault3 at 16 threads: 206,340 operations per thread with shared
/// file faults under mmap_lock, 458,520 under the VMA lock (+122%).
#[test]
#[ignore = "measured divergence: pf3 at 16 threads, rounds per second mmap 10515.2, \
            vma 10512.8 (x1.00); the model charges munmap's page freeing and the rwsem's \
            cache-line traffic nothing under mmap_lock, so faults never wait for it"]
fn pf3_at_16_threads_gets_half_again_as_many_operations_under_vma_as_under_mmap() {
    // mmap_lock is held for write 374 times for 20 ns each in a 16-thread run (7.5 us
    // in all): no read ever waits, so the per-VMA lock has nothing to save. On Linux the
    // munmap of a 128 MiB region holds it for milliseconds while every other thread's
    // fault queues, and the readers' atomic on the shared count bounces between CPUs.
    let c = Compared::run("pf3", &["mmap", "vma"], &["params.threads=16"]);
    c.show("rounds per second", &["mmap", "vma"]);
    c.show("mmap_lock read wait total", &["mmap", "vma"]);
    let ratio = c.get("rounds per second", "vma") / c.get("rounds per second", "mmap");
    println!("pf3: per-thread operations vma / mmap = {ratio:.2}");
    assert!(ratio >= 1.5, "vma / mmap = {ratio:.2}");
}

#[test]
fn fork_during_io_waits_for_the_reads_under_vma_hold_only() {
    // The scenario's device: 5 ms per read at the median.
    let median_us = 5000.0;
    let c = Compared::run("fork-during-io", &["vma-hold", "vma-retry"], &[]);
    let hold = c.get("fork p99", "vma-hold");
    let retry = c.get("fork p99", "vma-retry");
    println!("fork-during-io: fork p99 vma-hold {hold:.1} us, vma-retry {retry:.1} us");
    assert!(hold >= median_us, "vma-hold fork p99 {hold} us");
    // Above 0: a fork takes some time, and a figure missing from the table reads as 0.
    assert!(
        retry > 0.0 && retry <= median_us / 10.0,
        "vma-retry fork p99 {retry} us"
    );
    // anon-cow leaves a shared file mapping unlocked: fork no longer waits for its reads.
    let shared = ["params.sharing=shared", "mm.fork_lock=anon-cow"];
    let c = Compared::run("fork-during-io", &["vma-hold"], &shared);
    let anon_cow = c.get("fork p99", "vma-hold");
    println!(
        "fork-during-io, shared file, --fork-lock anon-cow: vma-hold fork p99 {anon_cow:.1} us"
    );
    assert!(
        anon_cow <= median_us / 10.0,
        "anon-cow fork p99 {anon_cow} us"
    );
}
