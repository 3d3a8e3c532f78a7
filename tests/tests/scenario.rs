//! The scenario commands end to end: `faultline compare` on the inversion scenario shows
//! the inversion under `vma-hold` and its absence under `vma-retry` (the fidelity check
//! of that scenario), and prints the same table and JSON every time; `faultline sweep`
//! writes its plot; `faultline scenario` runs once and writes the outputs `[run]`
//! names; a broken file is refused with its line before anything runs.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use tests::{faultline_bin, repo_root, Scratch};

/// The inversion scenario.
fn inversion() -> String {
    repo_root()
        .join("guests/scenarios/inversion.toml")
        .display()
        .to_string()
}

/// Runs `faultline ARGS`.
fn faultline(args: &[&str]) -> Output {
    Command::new(faultline_bin())
        .args(args)
        .output()
        .expect("faultline runs")
}

/// The stdout of a run that must succeed.
fn stdout_of(args: &[&str]) -> String {
    let out = faultline(args);
    assert!(
        out.status.success(),
        "faultline {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The median of figure `name` for `policy` in a `compare --json` document.
fn median(json: &Value, name: &str, policy: &str) -> f64 {
    let metric = json["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no figure `{name}`"));
    let cell = metric["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["policy"] == policy)
        .unwrap_or_else(|| panic!("no `{policy}` cell of `{name}`"));
    cell["median"].as_f64().expect("a median")
}

#[test]
fn compare_shows_the_inversion_under_vma_hold_and_not_under_vma_retry() {
    let json = stdout_of(&["compare", "--json", &inversion()]);
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        doc["policies"],
        serde_json::json!(["mmap", "vma", "vma-retry", "vma-hold", "file-hold"])
    );
    // The device's median latency is its fixed 5 ms.
    let device_median_us = 5000.0;
    let hold = median(&doc, "rt mprotect p99", "vma-hold");
    let retry = median(&doc, "rt mprotect p99", "vma-retry");
    println!("inversion: rt mprotect p99 vma-hold {hold} us, vma-retry {retry} us");
    assert!(hold >= device_median_us, "vma-hold p99 {hold} us");
    assert!(retry <= device_median_us / 10.0, "vma-retry p99 {retry} us");
    // The scenario's own policy holds the lock for file faults, as vma-hold does.
    let file_hold = median(&doc, "rt mprotect p99", "file-hold");
    assert!(
        file_hold >= device_median_us,
        "file-hold p99 {file_hold} us"
    );
    // Every read came from the device, under every policy.
    for p in ["mmap", "vma", "vma-retry", "vma-hold"] {
        assert!(median(&doc, "faulter page read p50", p) >= device_median_us);
    }
    assert_eq!(
        json,
        stdout_of(&["compare", "--json", &inversion()]),
        "--json repeats byte for byte"
    );
}

#[test]
fn on_a_vma_of_its_own_the_real_time_mprotect_waits_under_no_policy() {
    let json = stdout_of(&[
        "compare",
        "--json",
        "--policies",
        "vma,vma-hold",
        "--set",
        "params.target=other",
        "--set",
        "params.mprotects=30",
        &inversion(),
    ]);
    let doc: Value = serde_json::from_str(&json).unwrap();
    for p in ["vma", "vma-hold"] {
        let max = median(&doc, "rt mprotect max", p);
        println!("target=other: rt mprotect max under {p}: {max} us");
        assert!(max < 100.0, "{p}: {max} us");
    }
}

#[test]
fn the_table_repeats_and_seeds_give_median_and_worst() {
    let args = [
        "compare",
        "--policies",
        "vma,vma-hold",
        "--seeds",
        "2",
        "--set",
        "params.mprotects=20",
        &inversion(),
    ];
    let table = stdout_of(&args);
    assert!(
        table.contains("2 policies, seeds 0-1, each cell the median/worst over 2 seeds"),
        "{table}"
    );
    let row = table
        .lines()
        .find(|l| l.starts_with("rt mprotect p99"))
        .expect("an rt mprotect p99 row");
    assert!(row.contains('/') && row.contains('('), "{row}");
    assert_eq!(table, stdout_of(&args), "the same table every time");
}

#[test]
fn sweep_writes_a_plot_per_labelled_operation() {
    let dir = Scratch::new("sweep-plot");
    let svg = format!("{}/svg", dir.path());
    let out = stdout_of(&[
        "sweep",
        "--vary",
        "storage.latency=fixed:1ms,fixed:5ms",
        "--policies",
        "vma,vma-hold",
        "--set",
        "params.mprotects=20",
        "--svg",
        &svg,
        &inversion(),
    ]);
    assert!(out.contains("with storage.latency=fixed:1ms"), "{out}");
    assert!(out.contains("with storage.latency=fixed:5ms"), "{out}");
    let plot = std::fs::read_to_string(Path::new(&svg).join("sweep-rt-mprotect-p99.svg"))
        .expect("the sweep's plot of rt mprotect p99");
    for name in ["vma-hold", "fixed:5ms"] {
        assert!(
            plot.contains(&format!("\n{name}\n</text>")),
            "{name} on the plot"
        );
    }
}

#[test]
fn compare_writes_cdfs_and_keeps_run_outputs() {
    let dir = Scratch::new("compare-outputs");
    let svg = format!("{}/svg", dir.path());
    let runs = format!("{}/runs", dir.path());
    stdout_of(&[
        "compare",
        "--policies",
        "vma,vma-hold",
        "--set",
        "params.mprotects=10",
        "--svg",
        &svg,
        "--out",
        &runs,
        &inversion(),
    ]);
    assert!(Path::new(&svg).join("cdf-rt-mprotect.svg").is_file());
    assert!(Path::new(&svg)
        .join("bars-mmap_lock-read-acquisitions.svg")
        .is_file());
    for p in ["vma", "vma-hold"] {
        let run = Path::new(&runs).join(p).join("seed-0");
        for f in ["stats.json", "trace.pftrace", "stdout", "stderr"] {
            assert!(run.join(f).is_file(), "{}", run.join(f).display());
        }
    }
}

#[test]
fn scenario_runs_once_and_writes_what_run_asks_for() {
    let dir = Scratch::new("scenario-once");
    let stats = format!("{}/s.json", dir.path());
    let report = format!("{}/report.txt", dir.path());
    let stats_set = format!("run.stats={stats}");
    let report_set = format!("run.report={report}");
    let out = stdout_of(&[
        "scenario",
        "--policy",
        "vma-hold",
        "--set",
        "params.mprotects=10",
        "--set",
        &stats_set,
        "--set",
        &report_set,
        &inversion(),
    ]);
    assert!(out.contains("10 mprotects every 7 ms"), "{out}");
    let stats: Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert!(stats["total"]["faults.major"].as_u64().unwrap() > 0);
    let report = std::fs::read_to_string(&report).unwrap();
    assert!(report.contains("(rt-mprotect)"), "{report}");
}

#[test]
fn a_broken_scenario_is_refused_with_its_line_before_anything_runs() {
    let dir = Scratch::new("scenario-broken");
    let file = format!("{}/broken.toml", dir.path());
    std::fs::write(
        &file,
        "[storage]\nlatncy = \"fixed:5ms\"\n[[process]]\nprogram = \"x\"\n",
    )
    .unwrap();
    for cmd in ["scenario", "compare"] {
        let out = faultline(&[cmd, &file]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with(&format!(
                "faultline: {file}:2:1: unknown field `latncy`, expected `latency`"
            )),
            "{err}"
        );
        assert!(
            err.contains("2 | latncy = \"fixed:5ms\"\n  | ^^^^^^"),
            "{err}"
        );
    }
    let out = faultline(&["compare", "--policies", "vma,nope", &inversion()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--policies: unknown policy `nope`"), "{err}");
}

#[test]
fn a_scenario_s_injection_lands_in_every_policy_s_run() {
    let dir = Scratch::new("scenario-inject");
    let base = std::fs::read_to_string(inversion()).unwrap();
    let program = repo_root().join("guests/bin/inversion");
    // The faulters read from about 145 ms on (the file is written and synced first).
    let text = base.replace(
        "program = \"../bin/inversion\"",
        &format!("program = \"{}\"", program.display()),
    ) + "\n[[inject]]\nat = \"200ms\"\nstall = \"40ms\"\n";
    let file = format!("{}/stalled.toml", dir.path());
    std::fs::write(&file, text).unwrap();
    let set = ["--set", "params.mprotects=20", "--policies", "vma,vma-hold"];
    let json = |f: &str| -> Value {
        let mut args = vec!["compare", "--json"];
        args.extend_from_slice(&set);
        args.push(f);
        serde_json::from_str(&stdout_of(&args)).unwrap()
    };
    let stalled = json(&file);
    let plain = json(&inversion());
    for p in ["vma", "vma-hold"] {
        // A read caught by the stall waits out the rest of its 40 ms.
        let max = |doc: &Value| median(doc, "faulter page read max", p);
        println!(
            "{p}: faulter page read max {} us stalled, {} us not",
            max(&stalled),
            max(&plain)
        );
        assert!(max(&stalled) >= 35_000.0, "{p}: {}", max(&stalled));
        assert!(max(&plain) < 35_000.0, "{p}: {}", max(&plain));
    }
}
