//! `faultline sweep FILE --vary KEY=V1,V2,...`: the comparison for each value of one
//! key, and a plot per labelled operation of its p99 against the value, one line per
//! policy (where does holding the lock become unacceptable?).

use super::charts::{file_name, sweep_plots};
use super::compare;
use super::overrides::{Setting, Vary};
use super::table::{self, JsonComparison};
use super::{load, CompareOptions};
use anyhow::Result;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// A sweep in JSON.
#[derive(Debug, Serialize)]
struct JsonSweep<'a> {
    /// The varied key.
    key: &'a str,
    /// One comparison per value.
    points: Vec<JsonPoint<'a>>,
}

/// One value of a sweep in JSON.
#[derive(Debug, Serialize)]
struct JsonPoint<'a> {
    /// The value.
    value: &'a str,
    /// Its comparison.
    comparison: JsonComparison<'a>,
}

/// `faultline sweep`: the comparison of the scenario at `path` (with `settings`) for
/// each value of `vary`, as tables or JSON on `out`, and its plots with `opts.svg`.
pub fn sweep(
    path: &Path,
    settings: &[Setting],
    vary: &Vary,
    opts: &CompareOptions,
    out: &mut dyn Write,
) -> Result<()> {
    // Every value is checked before anything runs.
    let scenarios = vary
        .values
        .iter()
        .map(|v| {
            let mut all = settings.to_vec();
            all.push(Setting {
                key: vary.key.clone(),
                value: v.clone(),
                option: "--vary",
            });
            load(path, &all)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut comparisons = Vec::new();
    for (s, value) in scenarios.iter().zip(&vary.values) {
        let policies = compare::choose_policies(s, opts.policies.as_deref())?;
        let run_out = opts
            .out
            .as_ref()
            .map(|o| o.join(format!("{}={}", vary.key, file_name(value))));
        let c = compare::compare(s, &policies, opts.seeds, run_out.as_deref())?;
        if !opts.json {
            let title = format!("{} with {}={value}", path.display(), vary.key);
            writeln!(out, "{}", table::text(&title, &c))?;
        }
        comparisons.push(c);
    }
    if let Some(dir) = &opts.svg {
        sweep_plots(dir, vary, &comparisons)?;
    }
    if opts.json {
        let json = JsonSweep {
            key: &vary.key,
            points: vary
                .values
                .iter()
                .zip(&comparisons)
                .map(|(value, c)| JsonPoint {
                    value,
                    comparison: JsonComparison::of(c),
                })
                .collect(),
        };
        serde_json::to_writer_pretty(&mut *out, &json)?;
        writeln!(out)?;
    }
    Ok(out.flush()?)
}
