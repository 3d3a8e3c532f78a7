//! The figures `compare` puts side by side, each computed from one run's statistics and
//! trace digest: lock acquisitions and waits, read waits by decade, the VMA lock's
//! outcomes, retries that missed, fault latency by outcome, the labelled operations'
//! latencies and the guest's throughput.

use super::execute::RunOutcome;
use serde::Serialize;

/// Which way a figure is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Better {
    /// Less is better (waits, latencies).
    Lower,
    /// More is better (throughput).
    Higher,
    /// Neither: a count that describes what happened.
    Neither,
}

/// A figure's key: its section (the table's row groups, in order) and its name.
pub(crate) type MetricKey = (u8, String);

/// One figure of one run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Metric {
    /// Where it sorts, and its name in the table.
    pub(crate) key: MetricKey,
    /// Its unit, as the table prints it.
    pub(crate) unit: &'static str,
    /// Which way is better.
    pub(crate) better: Better,
    /// Its value.
    pub(crate) value: f64,
}

/// Sections, in table order.
const LOCKS: u8 = 0;
const DECADES: u8 = 1;
const VMA: u8 = 2;
const RETRIES: u8 = 3;
const FAULTS: u8 = 4;
const LABELS: u8 = 5;
const THROUGHPUT: u8 = 6;

/// Nanoseconds to milliseconds.
fn ms(ns: u64) -> f64 {
    ns_f64(ns) / 1e6
}

/// A count as a float (exact below 2^53).
fn ns_f64(n: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let f = n as f64;
    f
}

/// Nearest-rank percentile `q` (0..=100) of sorted `samples`.
pub(crate) fn percentile(samples: &[u64], q: f64) -> u64 {
    if samples.is_empty() {
        return 0;
    }
    let n = ns_f64(samples.len() as u64);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let rank = ((q / 100.0) * n).ceil().max(1.0) as usize;
    samples[rank.min(samples.len()) - 1]
}

/// Every figure of `run`, in table order.
pub(crate) fn metrics(run: &RunOutcome) -> Vec<Metric> {
    let mut out = Vec::new();
    let mut add = |section: u8, name: String, unit: &'static str, better: Better, value: f64| {
        out.push(Metric {
            key: (section, name),
            unit,
            better,
            value,
        });
    };
    let t = |name: &str| run.total(name);
    let read_waits: u64 = [
        "lt_1us",
        "1us_10us",
        "10us_100us",
        "100us_1ms",
        "1ms_10ms",
        "10ms_100ms",
        "100ms_1s",
        "ge_1s",
    ]
    .iter()
    .map(|d| t(&format!("mmap_lock.read_waits_{d}")))
    .sum();
    let read_wait_ns = t("mmap_lock.read_wait_ns");
    use Better::{Higher, Lower, Neither};
    add(
        LOCKS,
        "mmap_lock read acquisitions".into(),
        "",
        Lower,
        ns_f64(t("mmap_lock.read_acquired")),
    );
    add(
        LOCKS,
        "mmap_lock read wait total".into(),
        "ms",
        Lower,
        ms(read_wait_ns),
    );
    let mean_us = match read_waits {
        0 => 0.0,
        n => ns_f64(read_wait_ns) / ns_f64(n) / 1e3,
    };
    add(
        LOCKS,
        "mmap_lock read wait mean".into(),
        "us",
        Lower,
        mean_us,
    );
    add(
        LOCKS,
        "mmap_lock write wait total".into(),
        "ms",
        Lower,
        ms(t("mmap_lock.write_wait_ns")),
    );
    add(
        DECADES,
        "read waits 1-10 ms".into(),
        "",
        Lower,
        ns_f64(t("mmap_lock.read_waits_1ms_10ms")),
    );
    add(
        DECADES,
        "read waits 10-100 ms".into(),
        "",
        Lower,
        ns_f64(t("mmap_lock.read_waits_10ms_100ms")),
    );
    add(
        DECADES,
        "read waits >= 100 ms".into(),
        "",
        Lower,
        ns_f64(t("mmap_lock.read_waits_100ms_1s") + t("mmap_lock.read_waits_ge_1s")),
    );
    for outcome in ["success", "abort", "retry", "miss"] {
        add(
            VMA,
            format!("vma_lock {outcome}"),
            "",
            Neither,
            ns_f64(t(&format!("vma_lock.{outcome}"))),
        );
    }
    let misses = t("faults.retry_io_miss");
    add(RETRIES, "retry_io_miss".into(), "", Lower, ns_f64(misses));
    let share = match t("faults.retry") {
        0 => 0.0,
        retries => 100.0 * ns_f64(misses) / ns_f64(retries),
    };
    add(
        RETRIES,
        "retry_io_miss share of retries".into(),
        "%",
        Lower,
        share,
    );
    for row in &run.digest.faults {
        for (q, v) in [("p50", row.p50_us), ("p99", row.p99_us)] {
            add(FAULTS, format!("fault {} {q}", row.class), "us", Lower, v);
        }
    }
    // A label with no slice in this run has no figures (a `-` in the table).
    for (label, samples) in run.digest.labels.iter().filter(|(_, s)| !s.is_empty()) {
        for (q, p) in [("p50", 50.0), ("p99", 99.0), ("max", 100.0)] {
            let us = ns_f64(percentile(samples, p)) / 1e3;
            add(LABELS, format!("{label} {q}"), "us", Lower, us);
        }
    }
    if run.digest.rounds > 0 && run.digest.end_ns > 0 {
        let per_s = ns_f64(run.digest.rounds) / (ns_f64(run.digest.end_ns) / 1e9);
        add(THROUGHPUT, "rounds per second".into(), "/s", Higher, per_s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let s: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&s, 50.0), 50);
        assert_eq!(percentile(&s, 99.0), 99);
        assert_eq!(percentile(&s, 100.0), 100);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 99.0), 0);
    }
}
