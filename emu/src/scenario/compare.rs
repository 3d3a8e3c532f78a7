//! `faultline compare`: a scenario run once per policy and seed, in parallel, and the
//! figures of those runs side by side. Results are kept by policy and seed, never by the
//! order runs finish in, so the same scenario gives the same table every time.

use super::check::{policy_names, Scenario};
use super::execute::{execute, RunOutcome, RunSpec};
use super::measure::{metrics, Better, MetricKey};
use crate::os::host_cpus;
use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// The runs of a comparison, by policy then seed.
#[derive(Debug, Clone)]
pub(crate) struct Comparison {
    /// The policies, in the order asked for (the first is the baseline).
    pub(crate) policies: Vec<String>,
    /// The seeds.
    pub(crate) seeds: Vec<u64>,
    /// Every run, policy-major.
    pub(crate) runs: Vec<RunOutcome>,
    /// The figures, in table order.
    pub(crate) rows: Vec<MetricRow>,
}

/// One figure across policies.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MetricRow {
    /// Its name.
    pub(crate) name: String,
    /// Its unit (empty for a count).
    pub(crate) unit: &'static str,
    /// Which way is better.
    pub(crate) better: Better,
    /// One cell per policy, in policy order.
    pub(crate) cells: Vec<Cell>,
}

/// One figure of one policy over its seeds.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Cell {
    /// The policy.
    pub(crate) policy: String,
    /// The median over seeds (`None`: no run measured it).
    pub(crate) median: Option<f64>,
    /// The worst over seeds: the highest, or the lowest where higher is better.
    pub(crate) worst: Option<f64>,
    /// The median's change against the first policy's, in percent.
    pub(crate) change_pct: Option<f64>,
    /// The value of each seed, in seed order.
    pub(crate) per_seed: Vec<Option<f64>>,
}

/// The policies `--policies` names, checked against the scenario's; every preset and
/// then the scenario's own policies when none is named.
pub(crate) fn choose_policies(s: &Scenario, asked: Option<&[String]>) -> Result<Vec<String>> {
    let known = policy_names(&s.custom_policies);
    let Some(asked) = asked else {
        return Ok(known);
    };
    for p in asked {
        if !known.contains(p) {
            bail!(
                "--policies: unknown policy `{p}` (expected some of: {})",
                known.join(", ")
            );
        }
    }
    if asked.is_empty() {
        bail!("--policies: name at least one policy");
    }
    Ok(asked.to_vec())
}

/// Runs `s` under each of `policies` and `seeds` seeds (from the scenario's own),
/// keeping each run's outputs under `out/POLICY/seed-N/` when `out` is given.
pub(crate) fn compare(
    s: &Scenario,
    policies: &[String],
    seeds: u64,
    out: Option<&Path>,
) -> Result<Comparison> {
    let seeds: Vec<u64> = (0..seeds.max(1)).map(|i| s.seed.wrapping_add(i)).collect();
    let jobs: Vec<(&str, u64)> = policies
        .iter()
        .flat_map(|p| seeds.iter().map(move |&seed| (p.as_str(), seed)))
        .collect();
    let mut cpus = host_cpus::usable();
    if cpus.is_empty() {
        cpus.push(0);
    }
    // Virtual runs go side by side, one per host CPU; host-clock runs one at a time, so
    // that they do not compete for the CPUs whose time they measure.
    let width = if s.virtual_clock { cpus.len() } else { 1 };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(width).build()?;
    let progress = Progress::new(jobs.len());
    let runs: Vec<Result<RunOutcome>> = pool.install(|| {
        jobs.par_iter()
            .map(|&(policy, seed)| {
                let slot = rayon::current_thread_index().unwrap_or(0);
                let spec = RunSpec {
                    scenario: s,
                    policy,
                    seed,
                    out_dir: out.map(|o| run_dir(o, policy, seed)),
                    // A host-clock run's harts run in parallel: it keeps every CPU.
                    cpu: s.virtual_clock.then(|| cpus[slot % cpus.len()]),
                };
                let outcome = execute(&spec);
                progress.finished(policy, seed);
                outcome
            })
            .collect()
    });
    progress.done();
    let runs = runs.into_iter().collect::<Result<Vec<_>>>()?;
    for (i, label) in s.labels.iter().enumerate() {
        if runs.iter().all(|r| r.digest.labels[i].1.is_empty()) {
            eprintln!("faultline: no run marked a slice `{label}` (run.labels)");
        }
    }
    if let Some(rounds) = &s.rounds {
        if runs.iter().all(|r| r.digest.rounds == 0) {
            eprintln!("faultline: no run marked `{rounds}` (run.rounds)");
        }
    }
    let rows = tabulate(policies, &seeds, &runs);
    Ok(Comparison {
        policies: policies.to_vec(),
        seeds,
        runs,
        rows,
    })
}

/// Where the outputs of `policy`'s run with `seed` go under `out`.
fn run_dir(out: &Path, policy: &str, seed: u64) -> PathBuf {
    out.join(policy).join(format!("seed-{seed}"))
}

/// The figures of `runs` (policy-major, `seeds` per policy) as rows.
fn tabulate(policies: &[String], seeds: &[u64], runs: &[RunOutcome]) -> Vec<MetricRow> {
    let per_run: Vec<_> = runs.iter().map(metrics).collect();
    // Every figure any run has, by section, then in the order runs first show it.
    let mut keys: Vec<(MetricKey, &'static str, Better)> = Vec::new();
    for m in per_run.iter().flatten() {
        if !keys.iter().any(|(k, _, _)| *k == m.key) {
            keys.push((m.key.clone(), m.unit, m.better));
        }
    }
    keys.sort_by_key(|(k, _, _)| k.0);
    keys.into_iter()
        .map(|(key, unit, better)| {
            let mut cells: Vec<Cell> = policies
                .iter()
                .enumerate()
                .map(|(p, policy)| {
                    let per_seed: Vec<Option<f64>> = (0..seeds.len())
                        .map(|i| {
                            per_run[p * seeds.len() + i]
                                .iter()
                                .find(|m| m.key == key)
                                .map(|m| m.value)
                        })
                        .collect();
                    let values: Vec<f64> = per_seed.iter().flatten().copied().collect();
                    Cell {
                        policy: policy.clone(),
                        median: median(&values),
                        worst: worst(&values, better),
                        change_pct: None,
                        per_seed,
                    }
                })
                .collect();
            let base = cells.first().and_then(|c| c.median);
            for c in &mut cells[1..] {
                c.change_pct = match (base, c.median) {
                    (Some(b), Some(v)) if b != 0.0 => Some(100.0 * (v - b) / b),
                    _ => None,
                };
            }
            MetricRow {
                name: key.1,
                unit,
                better,
                cells,
            }
        })
        .collect()
}

/// The median of `values` (the mean of the middle two for an even count).
fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// The worst of `values`: the lowest where higher is better, else the highest.
fn worst(values: &[f64], better: Better) -> Option<f64> {
    let pick = match better {
        Better::Higher => f64::min,
        Better::Lower | Better::Neither => f64::max,
    };
    values.iter().copied().reduce(pick)
}

/// Progress on stderr: a bar on a terminal, one line per finished run otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    finished: std::sync::atomic::AtomicUsize,
}

impl Progress {
    fn new(total: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} runs {msg}") {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            total,
            finished: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn finished(&self, policy: &str, seed: u64) {
        let n = self
            .finished
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        match &self.bar {
            Some(bar) => {
                bar.set_message(format!("{policy} seed {seed}"));
                bar.inc(1);
            }
            None => eprintln!(
                "faultline: run {n}/{}: {policy} seed {seed} done",
                self.total
            ),
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_worsts_follow_the_better_direction() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(worst(&[3.0, 1.0, 2.0], Better::Lower), Some(3.0));
        assert_eq!(worst(&[3.0, 1.0, 2.0], Better::Higher), Some(1.0));
    }
}
