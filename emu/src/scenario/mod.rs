//! Scenarios: a fault experiment written as a TOML file (machine, memory manager,
//! storage, memory, files, the program, timed injections, custom policies, what to
//! measure), and the three commands that run one: `faultline scenario` (one run),
//! `faultline compare` (one run per policy and seed, side by side) and `faultline sweep`
//! (a comparison per value of one key).
//!
//! `spec` is the file's shape, `overrides` applies `--set`, `params` writes `[params]`
//! values into the keys that name them, `keypath` and `located` point errors at lines,
//! `check` turns the file into a [`Scenario`] (every value checked before anything
//! runs), `files` makes synthetic files, `execute` runs one `faultline run` child per
//! run, `measure` computes a run's figures, `compare` runs and tabulates, `table`
//! prints, `plot` draws and `charts` chooses what, `sweep` varies a key.

mod charts;
mod check;
mod compare;
mod execute;
mod files;
mod keypath;
mod located;
mod measure;
mod overrides;
mod params;
mod plot;
mod spec;
mod sweep;
mod table;

#[cfg(test)]
mod tests;

pub use check::Scenario;
pub use located::ScenarioError;
pub use overrides::{Setting, Vary};
pub use sweep::sweep;

use anyhow::{Context, Result};
use execute::{run_args, RunSpec, Workspace};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Reads, edits (`settings`) and checks the scenario file at `path`.
pub fn load(path: &Path, settings: &[Setting]) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::whole(path, format!("cannot read: {e}")))?;
    let src = overrides::apply(path, text, settings).map_err(|e| ScenarioError::whole(path, e))?;
    let src = params::substitute(src);
    let file: spec::ScenarioFile = toml::from_str(&src.text).map_err(|e| src.parse_error(&e))?;
    check::check(&src, file)
}

/// How `compare` and `sweep` run and report.
#[derive(Debug, Clone, Default)]
pub struct CompareOptions {
    /// The policies (every preset and the scenario's own when `None`).
    pub policies: Option<Vec<String>>,
    /// Seeds per policy (from the scenario's seed on).
    pub seeds: u64,
    /// Keep each run's stdout, stderr, statistics and trace under this folder.
    pub out: Option<PathBuf>,
    /// Write JSON instead of tables.
    pub json: bool,
    /// Write SVG plots into this folder.
    pub svg: Option<PathBuf>,
}

/// `faultline scenario`: runs `s` once under `policy` (the scenario's when `None`) and
/// `seed` (the scenario's when `None`), the guest's output on ours; writes the outputs
/// `[run]` names. Returns the run's exit status.
pub fn run_once(s: &Scenario, policy: Option<&str>, seed: Option<u64>) -> Result<i32> {
    let policies = compare::choose_policies(s, policy.map(|p| vec![p.to_string()]).as_deref())?;
    let policy = policies[0].as_str();
    let seed = seed.unwrap_or(s.seed);
    let ws = Workspace::new(s, seed)?;
    let trace = match (&s.outputs.trace, &s.outputs.report) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(_)) => Some(ws.temp_dir().join("trace.pftrace")),
        (None, None) => None,
    };
    let spec = RunSpec {
        scenario: s,
        policy,
        seed,
        out_dir: None,
        cpu: None,
    };
    let exe = std::env::current_exe().context("cannot find faultline's own executable")?;
    let status = Command::new(exe)
        .args(run_args(
            &spec,
            &ws,
            s.outputs.stats.as_deref(),
            trace.as_deref(),
        ))
        .status()
        .context("cannot start faultline run")?;
    if let (Some(report), Some(trace)) = (&s.outputs.report, &trace) {
        let request = crate::report::Request {
            trace: trace.clone(),
            format: crate::report::Format::Text,
            thread: None,
            blame: None,
        };
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(report)
                .with_context(|| format!("run.report {}", report.display()))?,
        );
        crate::report::report(&request, &mut file)?;
    }
    Ok(status.code().unwrap_or(1))
}

/// `faultline compare`: `s` under each policy and seed, as a table or JSON on `out`.
pub fn compare(s: &Scenario, opts: &CompareOptions, out: &mut dyn Write) -> Result<()> {
    let policies = compare::choose_policies(s, opts.policies.as_deref())?;
    let c = compare::compare(s, &policies, opts.seeds, opts.out.as_deref())?;
    if let Some(dir) = &opts.svg {
        charts::comparison_plots(dir, &c)?;
    }
    let title = s.path.display().to_string();
    if opts.json {
        serde_json::to_writer_pretty(&mut *out, &table::JsonComparison::of(&c))?;
        writeln!(out)?;
    } else {
        out.write_all(table::text(&title, &c).as_bytes())?;
    }
    Ok(out.flush()?)
}
