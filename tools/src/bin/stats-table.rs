//! Prints chosen counters of several `--stats` files side by side, one column per run:
//!
//! ```text
//! stats-table [--counters NAME,NAME,...] LABEL=FILE [LABEL=FILE ...]
//! ```
//!
//! A counter name may be a ratio `A/B` of two counters (printed as a percentage), such
//! as `faults.retry_io_miss/faults.retry`. Counters come from each file's `total`.

use anyhow::{bail, Context, Result};
use std::path::Path;
use tools::{read_stats, total_counter};

/// What is printed when no `--counters` is given: the fault and I/O-wait picture of a run.
const DEFAULT_COUNTERS: &str = "faults.major,faults.minor,faults.retry,faults.retry_io_miss,\
faults.retry_io_miss/faults.retry,vma_lock.success,vma_lock.retry,mmap_lock.read_acquired,\
mmap_lock.read_wait_ns,pagecache.misses,reclaim.reclaimed,io.reads,io.read_latency_ns.p99";

fn main() {
    if let Err(err) = run(std::env::args().skip(1).collect()) {
        eprintln!("stats-table: {err:#}");
        std::process::exit(2);
    }
}

fn run(args: Vec<String>) -> Result<()> {
    let mut counters = DEFAULT_COUNTERS.to_string();
    let mut runs = Vec::new();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        if arg == "--counters" {
            counters = it.next().context("--counters needs a list of names")?;
        } else if let Some((label, file)) = arg.split_once('=') {
            let stats = read_stats(Path::new(file))?;
            runs.push((label.to_string(), stats));
        } else {
            bail!("expected LABEL=FILE or --counters LIST, got {arg:?}");
        }
    }
    if runs.is_empty() {
        bail!("usage: stats-table [--counters NAME,NAME,...] LABEL=FILE [LABEL=FILE ...]");
    }
    let names: Vec<&str> = counters.split(',').map(str::trim).collect();
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0).max(7);
    print!("{:width$}", "counter");
    for (label, _) in &runs {
        print!(" {label:>14}");
    }
    println!();
    for name in names {
        print!("{name:width$}");
        for (_, stats) in &runs {
            print!(" {:>14}", cell(stats, name));
        }
        println!();
    }
    Ok(())
}

/// One counter's value in a run, or the percentage `A/B`; `-` when absent or undefined.
fn cell(stats: &serde_json::Value, name: &str) -> String {
    match name.split_once('/') {
        Some((a, b)) => match (total_counter(stats, a), total_counter(stats, b)) {
            (Some(a), Some(b)) if b > 0 => format!("{:.1}%", 100.0 * a as f64 / b as f64),
            _ => "-".into(),
        },
        None => total_counter(stats, name).map_or("-".into(), |v| v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_counters_ratios_or_dashes() {
        let stats = serde_json::json!({"total": {"a": 45, "b": 100, "zero": 0}});
        assert_eq!(cell(&stats, "a"), "45");
        assert_eq!(cell(&stats, "a/b"), "45.0%");
        assert_eq!(cell(&stats, "a/zero"), "-");
        assert_eq!(cell(&stats, "missing"), "-");
        assert_eq!(cell(&stats, "a/missing"), "-");
    }
}
