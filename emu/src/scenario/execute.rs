//! One run of a scenario under one policy and seed: a `faultline run` child process
//! (each run is a whole process: a guest ends with `exit_group`, and runs must not
//! share the memory manager's process-wide state), its files made in a scratch folder,
//! its statistics and trace read back when it ends.

use super::check::Scenario;
use super::files;
use crate::os::host_cpus;
use crate::report::{self, Digest};
use anyhow::{anyhow, bail, Context, Result};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The exit status of a virtual run stopped at its time limit.
const STOPPED_AT_LIMIT: i32 = 3;

/// What a run is asked to be.
#[derive(Debug, Clone)]
pub(crate) struct RunSpec<'a> {
    /// The scenario.
    pub(crate) scenario: &'a Scenario,
    /// The policy's name (in tables).
    pub(crate) policy: &'a str,
    /// The seed.
    pub(crate) seed: u64,
    /// Where the run's outputs go; a temporary folder when `None`.
    pub(crate) out_dir: Option<PathBuf>,
    /// The host CPU the run may use, if it is to be pinned to one.
    pub(crate) cpu: Option<usize>,
}

/// What a finished run left.
#[derive(Debug, Clone)]
pub(crate) struct RunOutcome {
    /// The policy's name.
    pub(crate) policy: String,
    /// The `total` counters of its `--stats`.
    pub(crate) totals: Map<String, Value>,
    /// Its trace's digest.
    pub(crate) digest: Digest,
}

impl RunOutcome {
    /// The total counter `name` (0 when the run has none).
    pub(crate) fn total(&self, name: &str) -> u64 {
        self.totals.get(name).and_then(Value::as_u64).unwrap_or(0)
    }
}

/// `arg` with `{scratch}` and `{file:NAME}` replaced.
fn substitute(arg: &str, scratch: &Path, files: &[(String, PathBuf)]) -> String {
    let mut out = arg.replace("{scratch}", &scratch.display().to_string());
    for (name, path) in files {
        out = out.replace(&format!("{{file:{name}}}"), &path.display().to_string());
    }
    out
}

/// The `faultline run` arguments of `spec`, writing statistics and trace to `stats` and
/// `trace` where given.
pub(crate) fn run_args(
    spec: &RunSpec<'_>,
    ws: &Workspace,
    stats: Option<&Path>,
    trace: Option<&Path>,
) -> Vec<String> {
    let s = spec.scenario;
    let (scratch, files) = (ws.scratch.as_path(), ws.files.as_slice());
    let mut args = vec!["run".to_string()];
    args.extend(s.run_options.iter().map(|o| substitute(o, scratch, files)));
    let outputs = [("--stats", stats), ("--trace", trace)];
    let outputs = outputs
        .iter()
        .filter_map(|(flag, path)| Some((*flag, (*path)?.display().to_string())));
    let chosen = [
        ("--policy", s.policy_arg(spec.policy).to_string()),
        ("--seed", spec.seed.to_string()),
    ];
    for (flag, value) in chosen.into_iter().chain(outputs) {
        args.push(flag.into());
        args.push(value);
    }
    args.push(s.program.display().to_string());
    args.extend(s.args.iter().map(|a| substitute(a, scratch, files)));
    args
}

/// A run's scratch folder (removed when dropped) and its files.
pub(crate) struct Workspace {
    /// The temporary folder holding everything.
    temp: tempfile::TempDir,
    /// The guest's `{scratch}`.
    pub(crate) scratch: PathBuf,
    /// Each `[[files]]` name and its path.
    pub(crate) files: Vec<(String, PathBuf)>,
}

impl Workspace {
    /// A new scratch folder with `s`'s files made for `seed`.
    pub(crate) fn new(s: &Scenario, seed: u64) -> Result<Workspace> {
        let temp = tempfile::Builder::new()
            .prefix("faultline-scenario-")
            .tempdir()
            .context("cannot make a scratch folder")?;
        let scratch = temp.path().join("scratch");
        std::fs::create_dir(&scratch).context("cannot make a scratch folder")?;
        let files = files::materialize(&s.files, &scratch, seed)
            .context("cannot make the scenario's files")?;
        Ok(Workspace {
            temp,
            scratch,
            files,
        })
    }

    /// The temporary folder, for outputs nobody keeps.
    pub(crate) fn temp_dir(&self) -> &Path {
        self.temp.path()
    }
}

/// Runs `spec` to its end.
pub(crate) fn execute(spec: &RunSpec<'_>) -> Result<RunOutcome> {
    let who = format!("{} seed {}", spec.policy, spec.seed);
    let ws = Workspace::new(spec.scenario, spec.seed).with_context(|| who.clone())?;
    let out_dir = match &spec.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot make {}", dir.display()))?;
            dir.clone()
        }
        None => ws.temp_dir().to_path_buf(),
    };
    let stats = out_dir.join("stats.json");
    let trace = out_dir.join("trace.pftrace");
    let stdout = std::fs::File::create(out_dir.join("stdout"))?;
    let stderr_path = out_dir.join("stderr");
    let stderr = std::fs::File::create(&stderr_path)?;
    let exe = std::env::current_exe().context("cannot find faultline's own executable")?;
    let mut cmd = Command::new(exe);
    cmd.args(run_args(spec, &ws, Some(&stats), Some(&trace)))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    if let Some(cpu) = spec.cpu {
        pin_to(&mut cmd, cpu);
    }
    let status = cmd
        .status()
        .with_context(|| format!("{who}: cannot start faultline run"))?;
    let err_text = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let ended_at_limit = status.code() == Some(STOPPED_AT_LIMIT)
        && spec.scenario.length_ns.is_some()
        && err_text.contains("virtual time limit reached");
    if !status.success() && !ended_at_limit {
        let last = err_text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("(nothing on stderr)");
        bail!("{who}: the run ended with {status}: {last}");
    }
    let totals = read_totals(&stats).with_context(|| format!("{who}: {}", stats.display()))?;
    let digest = report::digest_file(
        &trace,
        &spec.scenario.labels,
        spec.scenario.rounds.as_deref(),
    )
    .with_context(|| format!("{who}: {}", trace.display()))?;
    Ok(RunOutcome {
        policy: spec.policy.to_string(),
        totals,
        digest,
    })
}

/// The `total` object of the statistics file at `path`.
fn read_totals(path: &Path) -> Result<Map<String, Value>> {
    let text = std::fs::read_to_string(path)?;
    let mut json: Value = serde_json::from_str(&text)?;
    match json.get_mut("total").map(Value::take) {
        Some(Value::Object(totals)) => Ok(totals),
        _ => Err(anyhow!("no `total` object")),
    }
}

/// Makes the child run on host CPU `cpu` only: a virtual run keeps all its threads on
/// the first CPU it may use, so runs side by side must each be given their own.
fn pin_to(cmd: &mut Command, cpu: usize) {
    use std::os::unix::process::CommandExt;
    let action = move || {
        // A failure leaves the child where it may run, which is only slower.
        host_cpus::pin_calling_thread(cpu);
        Ok(())
    };
    // SAFETY: the closure only calls `pin_calling_thread`, which allocates nothing and
    // takes no lock, as a closure run between fork and exec must.
    unsafe { cmd.pre_exec(action) };
}
