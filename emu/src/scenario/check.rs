//! From a parsed scenario file to a [`Scenario`]: every value checked by the parser the
//! matching `faultline run` option uses, every path resolved against the file's folder
//! and every cross-reference (a policy name, a file name, a time within the run) checked,
//! so that a mistake is reported at its line before anything runs.

use super::located::{ScenarioError, Source};
use super::spec::{FileEntry, InjectEntry, Knobs, PolicyEntry, ScenarioFile, Text};
use devices::storage::{spec, Bandwidth, ErrorInjection, IoScheduler, LatencyModel, StallModel};
use devices::CostModel;
use mmu::FaultPolicy;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use toml::Spanned;

/// A checked scenario, ready to be turned into runs.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it came from.
    pub path: PathBuf,
    /// Whether it runs on the virtual clock (the default) or the host's.
    pub virtual_clock: bool,
    /// The seed of a run that is given none.
    pub seed: u64,
    /// The policy `faultline scenario` runs when given none.
    pub policy: String,
    /// The scenario's own policies: name and `--policy` value.
    pub custom_policies: Vec<(String, String)>,
    /// `faultline run` options (without `--policy`, `--seed`, `--stats`, `--trace`);
    /// `{scratch}` and `{file:NAME}` are replaced per run.
    pub run_options: Vec<String>,
    /// Files to make or name.
    pub files: Vec<ScenarioFileSpec>,
    /// The program.
    pub program: PathBuf,
    /// Its arguments (with placeholders).
    pub args: Vec<String>,
    /// The run ends normally at this virtual time, if set.
    pub length_ns: Option<u64>,
    /// Guest-marked slices the tables measure.
    pub labels: Vec<String>,
    /// The guest marker counting rounds of work, if any.
    pub rounds: Option<String>,
    /// Where `faultline scenario` writes statistics, trace and report.
    pub outputs: Outputs,
}

impl Scenario {
    /// The `--policy` value of policy `name`: a preset's name, or one of the scenario's
    /// own policies' knobs.
    pub(crate) fn policy_arg<'a>(&'a self, name: &'a str) -> &'a str {
        self.custom_policies
            .iter()
            .find(|(n, _)| n == name)
            .map_or(name, |(_, spec)| spec.as_str())
    }
}

/// The outputs `[run]` names, relative to the current folder.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    /// `--stats` of the run.
    pub stats: Option<PathBuf>,
    /// `--trace` of the run.
    pub trace: Option<PathBuf>,
    /// The latency report of the trace.
    pub report: Option<PathBuf>,
}

/// A `[[files]]` entry, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioFileSpec {
    /// How arguments name it: `{file:NAME}`.
    pub name: String,
    /// Where it is or what to make.
    pub kind: FileKind,
}

/// A host file, or one made in the run's scratch folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// An existing host file.
    Host(PathBuf),
    /// A file of `size` bytes of `pattern`.
    Synthetic {
        /// Bytes.
        size: u64,
        /// What the bytes are.
        pattern: Pattern,
    },
}

/// The content of a synthetic file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// All zero.
    Zero,
    /// Seeded pseudo-random bytes (the same for the same seed and file name).
    Random,
    /// Each 4 KiB page starts with its page number (64-bit little-endian), the rest zero.
    Pages,
}

impl Pattern {
    const NAMES: [(&'static str, Pattern); 3] = [
        ("zero", Pattern::Zero),
        ("random", Pattern::Random),
        ("pages", Pattern::Pages),
    ];
}

/// The checks of one file.
struct Checker<'a> {
    src: &'a Source,
    dir: PathBuf,
}

impl Checker<'_> {
    /// `value` parsed by `parse`, or an error at it naming `key`.
    fn parse<T, E: Display>(
        &self,
        key: &str,
        value: &Text,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, ScenarioError> {
        parse(value.get_ref()).map_err(|e| self.src.error(value.span(), format!("{key}: {e}")))
    }

    /// A duration in nanoseconds.
    fn duration(&self, key: &str, value: &Text) -> Result<u64, ScenarioError> {
        self.parse(key, value, spec::parse_duration)
    }

    /// A size in bytes.
    fn size(&self, key: &str, value: &Text) -> Result<u64, ScenarioError> {
        self.parse(key, value, spec::parse_size)
    }

    /// An integer in `range`.
    fn int(
        &self,
        key: &str,
        value: &Spanned<i64>,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<i64, ScenarioError> {
        let v = *value.get_ref();
        if range.contains(&v) {
            return Ok(v);
        }
        Err(self.src.error(
            value.span(),
            format!(
                "{key}: {v} is out of range (expected {} to {})",
                range.start(),
                range.end()
            ),
        ))
    }

    /// A path relative to the scenario's folder, which must exist (a folder if `dir`).
    fn existing(&self, key: &str, value: &Text, dir: bool) -> Result<PathBuf, ScenarioError> {
        let path = self.dir.join(value.get_ref());
        let ok = if dir { path.is_dir() } else { path.is_file() };
        if ok {
            return Ok(path);
        }
        let what = if dir { "folder" } else { "file" };
        Err(self
            .src
            .error(value.span(), format!("{key}: no {what} {}", path.display())))
    }
}

/// Checks `file`, read from `src`.
pub(crate) fn check(src: &Source, file: ScenarioFile) -> Result<Scenario, ScenarioError> {
    let dir = src
        .path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let c = Checker { src, dir };
    let mut opts: Vec<String> = Vec::new();
    let mut opt = |name: &str, value: String| {
        opts.push(name.to_string());
        opts.push(value);
    };

    // [machine]
    let m = &file.machine;
    let virtual_clock = match &m.clock {
        None => true,
        Some(v) => c.parse("machine.clock", v, |s| match s {
            "virtual" => Ok(true),
            "host" => Ok(false),
            _ => Err(format!("`{s}` is no clock (expected `virtual` or `host`)")),
        })?,
    };
    opt(
        "--clock",
        if virtual_clock { "virtual" } else { "host" }.into(),
    );
    let needs_virtual = |key: &str, span: std::ops::Range<usize>| -> Result<(), ScenarioError> {
        match virtual_clock {
            true => Ok(()),
            false => Err(src.error(span, format!("{key} needs machine.clock = \"virtual\""))),
        }
    };
    if let Some(cpus) = &m.cpus {
        needs_virtual("machine.cpus", cpus.span())?;
        opt("--cpus", c.int("machine.cpus", cpus, 1..=4096)?.to_string());
    }
    let seed = match &m.seed {
        Some(s) => c.int("machine.seed", s, 0..=i64::MAX)?.unsigned_abs(),
        None => 0,
    };
    let watchdog_ns = match &m.max_time {
        Some(t) => {
            needs_virtual("machine.max_time", t.span())?;
            Some(c.duration("machine.max_time", t)?)
        }
        None => None,
    };
    for (name, value) in &m.cost {
        needs_virtual("machine.cost", value.span())?;
        let entry = format!("{name}={}", value.get_ref());
        c.parse(&format!("machine.cost.{name}"), value, |_| {
            CostModel::default().apply(&entry)
        })?;
        opt("--cost", entry);
    }

    // [mm]
    if let Some(v) = &file.mm.rwsem_handoff {
        c.duration("mm.rwsem_handoff", v)?;
        opt("--rwsem-handoff", v.get_ref().clone());
    }
    if let Some(v) = &file.mm.readahead {
        c.size("mm.readahead", v)?;
        opt("--readahead", v.get_ref().clone());
    }
    if let Some(v) = &file.mm.fault_around {
        c.size("mm.fault_around", v)?;
        opt("--fault-around", v.get_ref().clone());
    }
    if let Some(v) = &file.mm.fork_lock {
        c.parse("mm.fork_lock", v, mmu::ForkLock::from_str)?;
        opt("--fork-lock", v.get_ref().clone());
    }

    // [storage]
    let s = &file.storage;
    if let Some(v) = &s.latency {
        c.parse("storage.latency", v, LatencyModel::from_str)?;
        opt("--storage-latency", v.get_ref().clone());
    }
    if let Some(v) = &s.depth {
        opt(
            "--storage-depth",
            c.int("storage.depth", v, 1..=65536)?.to_string(),
        );
    }
    if let Some(v) = &s.scheduler {
        c.parse("storage.scheduler", v, IoScheduler::from_str)?;
        opt("--storage-sched", v.get_ref().clone());
    }
    if let Some(v) = &s.bandwidth {
        c.parse("storage.bandwidth", v, Bandwidth::from_str)?;
        opt("--storage-bw", v.get_ref().clone());
    }
    if let Some(v) = &s.stall {
        c.parse("storage.stall", v, StallModel::from_str)?;
        opt("--storage-stall", v.get_ref().clone());
    }
    if let Some(v) = &s.errors {
        c.parse("storage.errors", v, ErrorInjection::from_str)?;
        opt("--storage-errors", v.get_ref().clone());
    }

    // [memory]
    let mem = &file.memory;
    for (key, flag, value) in [
        ("memory.limit", "--mem-limit", &mem.limit),
        ("memory.swap", "--swap", &mem.swap),
    ] {
        if let Some(v) = value {
            c.size(key, v)?;
            opt(flag, v.get_ref().clone());
        }
    }
    for (key, flag, value) in [
        (
            "memory.dirty_writeback",
            "--dirty-writeback",
            &mem.dirty_writeback,
        ),
        ("memory.dirty_expire", "--dirty-expire", &mem.dirty_expire),
    ] {
        if let Some(v) = value {
            c.duration(key, v)?;
            opt(flag, v.get_ref().clone());
        }
    }

    // [[files]]
    let files = file
        .files
        .iter()
        .map(|f| check_file(&c, f))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, f) in file.files.iter().enumerate() {
        if files[..i].iter().any(|g| g.name == *f.name.get_ref()) {
            return Err(src.error(
                f.name.span(),
                format!("files.name: `{}` is named twice", f.name.get_ref()),
            ));
        }
    }

    // [run]
    let run = &file.run;
    let length_ns = match &run.length {
        Some(t) => {
            needs_virtual("run.length", t.span())?;
            Some(c.duration("run.length", t)?)
        }
        None => None,
    };
    let limit = match (length_ns, watchdog_ns) {
        (Some(l), Some(w)) => Some(l.min(w)),
        (l, w) => l.or(w),
    };
    if let Some(limit) = limit {
        opt("--max-time", format!("{limit}ns"));
    }

    // [[inject]]
    for entry in &file.inject {
        if let (Some(v), None) = (&entry.get_ref().mem_limit, &mem.limit) {
            return Err(src.error(
                v.span(),
                "inject.mem_limit: needs memory.limit (the limit it changes)",
            ));
        }
        let action = check_injection(&c, entry, &files, length_ns)?;
        opt("--inject", action);
    }

    // [[policy]] and [mm] policy
    let custom_policies = file
        .policy
        .iter()
        .map(|p| check_policy(&c, p))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, p) in file.policy.iter().enumerate() {
        let name = p.name.get_ref();
        if FaultPolicy::preset_named(name).is_some()
            || custom_policies[..i].iter().any(|(n, _)| n == name)
        {
            return Err(src.error(
                p.name.span(),
                format!("policy.name: `{name}` is already a policy's name"),
            ));
        }
    }
    let policy = match &file.mm.policy {
        Some(v) => {
            let known = |s: &str| {
                FaultPolicy::preset_named(s).is_some()
                    || custom_policies.iter().any(|(n, _)| n == s)
            };
            if !known(v.get_ref()) {
                return Err(src.error(
                    v.span(),
                    format!(
                        "mm.policy: unknown policy `{}` (expected one of: {})",
                        v.get_ref(),
                        policy_names(&custom_policies).join(", ")
                    ),
                ));
            }
            v.get_ref().clone()
        }
        None => FaultPolicy::default().name().to_string(),
    };

    // [[process]]
    let process = match file.process.as_slice() {
        [one] => one,
        [] => {
            return Err(ScenarioError::whole(
                &src.path,
                "no [[process]]: a scenario runs one program",
            ))
        }
        [_, second, ..] => {
            return Err(src.error(
                second.span(),
                "a second [[process]]: faultline runs one process per scenario for now",
            ))
        }
    };
    let params = check_params(&c, &file.params)?;
    let p = process.get_ref();
    let program = c.existing("process.program", &p.program, false)?;
    if let Some(root) = &p.root {
        opt(
            "--root",
            c.existing("process.root", root, true)?
                .display()
                .to_string(),
        );
    }
    for prio in &p.priorities {
        let rule = format!("{}={}", prio.thread.get_ref(), prio.set.get_ref());
        c.parse("process.priorities", &prio.set, |_| {
            crate::os::thread_prio::PrioRule::from_str(&rule)
        })?;
        opt("--thread-prio", rule);
    }
    for e in &p.env {
        c.parse("process.env", e, |s| match s.split_once('=') {
            Some((k, _)) if !k.is_empty() => Ok(()),
            _ => Err(format!("`{s}` is not KEY=VALUE")),
        })?;
        let env = check_placeholders(&c, e.span(), e.get_ref(), &files, &params)?;
        opt("--env", env);
    }
    let args = p
        .args
        .iter()
        .map(|a| check_placeholders(&c, a.span(), a.get_ref(), &files, &params))
        .collect::<Result<Vec<_>, _>>()?;

    // Labels name the guest's markers, which may carry a [params] value ("rt {op}").
    let marker = |t: &Text| check_placeholders(&c, t.span(), t.get_ref(), &[], &params);
    let labels = run
        .labels
        .iter()
        .map(marker)
        .collect::<Result<Vec<_>, _>>()?;
    let rounds = run.rounds.as_ref().map(marker).transpose()?;
    let output = |v: &Option<Text>| v.as_ref().map(|t| PathBuf::from(t.get_ref()));
    Ok(Scenario {
        path: src.path.clone(),
        virtual_clock,
        seed,
        policy,
        custom_policies,
        run_options: opts,
        files,
        program,
        args,
        length_ns,
        labels,
        rounds,
        outputs: Outputs {
            stats: output(&run.stats),
            trace: output(&run.trace),
            report: output(&run.report),
        },
    })
}

/// Every policy name a scenario accepts: the presets, then its own.
pub(crate) fn policy_names(custom: &[(String, String)]) -> Vec<String> {
    FaultPolicy::PRESETS
        .iter()
        .map(|p| p.name().to_string())
        .chain(custom.iter().map(|(n, _)| n.clone()))
        .collect()
}

/// Checks a `[[files]]` entry.
fn check_file(c: &Checker<'_>, f: &FileEntry) -> Result<ScenarioFileSpec, ScenarioError> {
    let name = f.name.get_ref();
    if name.is_empty() || name.contains(['{', '}', '/']) {
        return Err(c.src.error(
            f.name.span(),
            format!("files.name: `{name}` cannot name a file (no braces or slashes)"),
        ));
    }
    let kind = match (&f.path, &f.size) {
        (Some(path), None) => {
            if let Some(p) = &f.pattern {
                return Err(c.src.error(
                    p.span(),
                    "files.pattern: a host file (path) has its own content",
                ));
            }
            FileKind::Host(c.existing("files.path", path, false)?)
        }
        (None, Some(size)) => {
            let pattern = match &f.pattern {
                None => Pattern::Pages,
                Some(p) => c.parse("files.pattern", p, |s| {
                    Pattern::NAMES
                        .iter()
                        .find(|(n, _)| *n == s)
                        .map(|(_, p)| *p)
                        .ok_or_else(|| {
                            format!("`{s}` is no pattern (expected zero, random or pages)")
                        })
                })?,
            };
            FileKind::Synthetic {
                size: c.size("files.size", size)?,
                pattern,
            }
        }
        (Some(_), Some(size)) => {
            return Err(c.src.error(
                size.span(),
                "files.size: a file is a host file (path) or a synthetic one (size), not both",
            ))
        }
        (None, None) => {
            return Err(c.src.error(
                f.name.span(),
                format!("files: `{name}` needs a path (a host file) or a size (a synthetic one)"),
            ))
        }
    };
    Ok(ScenarioFileSpec {
        name: name.clone(),
        kind,
    })
}

/// The `[params]` as the strings they stand for.
fn check_params(
    c: &Checker<'_>,
    params: &std::collections::BTreeMap<String, Spanned<toml::Value>>,
) -> Result<Vec<(String, String)>, ScenarioError> {
    params
        .iter()
        .map(|(name, value)| {
            let text = match value.get_ref() {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                _ => {
                    return Err(c.src.error(
                        value.span(),
                        format!("params.{name}: expected a string, a number or a boolean"),
                    ))
                }
            };
            if name == "scratch" || name.starts_with("file:") {
                return Err(c.src.error(
                    value.span(),
                    format!("params.{name}: the name is taken by {{{name}}}"),
                ));
            }
            Ok((name.clone(), text))
        })
        .collect()
}

/// `arg` with its `{NAME}` of `[params]` replaced; every other `{...}` must be
/// `{scratch}` or `{file:NAME}` of a file (replaced per run).
fn check_placeholders(
    c: &Checker<'_>,
    span: std::ops::Range<usize>,
    arg: &str,
    files: &[ScenarioFileSpec],
    params: &[(String, String)],
) -> Result<String, ScenarioError> {
    let mut out = String::new();
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err(c.src.error(span, format!("unclosed `{{` in `{arg}`")));
        };
        let inner = &rest[open + 1..open + close];
        out.push_str(&rest[..open]);
        if let Some((_, value)) = params.iter().find(|(n, _)| n == inner) {
            out.push_str(value);
        } else if inner == "scratch"
            || inner
                .strip_prefix("file:")
                .is_some_and(|n| files.iter().any(|f| f.name == n))
        {
            out.push_str(&rest[open..=open + close]);
        } else {
            return Err(c.src.error(
                span,
                format!(
                    "`{{{inner}}}` in `{arg}` is none of {{scratch}}, {{file:NAME}} of a [[files]] name or {{NAME}} of [params]"
                ),
            ));
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Checks an `[[inject]]` entry; returns its `--inject` value.
fn check_injection(
    c: &Checker<'_>,
    entry: &Spanned<InjectEntry>,
    files: &[ScenarioFileSpec],
    length_ns: Option<u64>,
) -> Result<String, ScenarioError> {
    let e = entry.get_ref();
    let at_ns = c.duration("inject.at", &e.at)?;
    if let Some(length) = length_ns.filter(|&l| at_ns > l) {
        return Err(c.src.error(
            e.at.span(),
            format!(
                "inject.at: {} is past the run's end (run.length = {})",
                e.at.get_ref(),
                spec::fmt_duration_ns(length)
            ),
        ));
    }
    let mut actions: Vec<String> = Vec::new();
    if let Some(v) = &e.stall {
        c.duration("inject.stall", v)?;
        actions.push(format!("stall={}", v.get_ref()));
    }
    if let Some(v) = &e.latency {
        c.parse("inject.latency", v, LatencyModel::from_str)?;
        actions.push(format!("latency={}", v.get_ref()));
    }
    if e.drop_caches == Some(true) {
        actions.push("drop-caches".into());
    }
    if let Some(v) = &e.pageout {
        let target = match v.get_ref().as_str() {
            "anon" => "anon".to_string(),
            name if files.iter().any(|f| f.name == name) => format!("{{file:{name}}}"),
            name => {
                return Err(c.src.error(
                    v.span(),
                    format!("inject.pageout: `{name}` is neither `anon` nor a [[files]] name"),
                ))
            }
        };
        actions.push(format!("pageout={target}"));
    }
    if let Some(v) = &e.mem_limit {
        c.size("inject.mem_limit", v)?;
        actions.push(format!("mem-limit={}", v.get_ref()));
    }
    match (&e.signal, &e.thread) {
        (Some(sig), Some(thread)) => {
            actions.push(format!("signal={}@{}", sig.get_ref(), thread.get_ref()));
        }
        (Some(sig), None) => {
            return Err(c.src.error(
                sig.span(),
                "inject.signal: which thread? add thread = TID or NAME",
            ))
        }
        (None, Some(thread)) => {
            return Err(c
                .src
                .error(thread.span(), "inject.thread: only with signal"))
        }
        (None, None) => {}
    }
    match actions.as_slice() {
        [one] => Ok(format!("{}:{one}", e.at.get_ref())),
        _ => Err(c.src.error(
            entry.span(),
            format!(
                "inject: exactly one action of stall, latency, drop_caches, pageout, mem_limit or signal (found {})",
                actions.len()
            ),
        )),
    }
}

/// Checks a `[[policy]]` entry; returns its name and `--policy` value.
fn check_policy(c: &Checker<'_>, p: &PolicyEntry) -> Result<(String, String), ScenarioError> {
    let name = p.name.get_ref();
    let all = Knobs {
        first: p.first.clone(),
        io: p.io.clone(),
        retry: p.retry.clone(),
    };
    let scoped = [
        ("", Some(&all)),
        ("anon.", p.anon.as_ref()),
        ("file.", p.file.as_ref()),
        ("swap.", p.swap.as_ref()),
    ];
    let mut knobs: Vec<(String, &Text)> = Vec::new();
    if let Some(base) = &p.base {
        knobs.push(("base".into(), base));
    }
    for (prefix, k) in scoped {
        let Some(k) = k else { continue };
        for (knob, value) in [("first", &k.first), ("io", &k.io), ("retry", &k.retry)] {
            if let Some(v) = value {
                knobs.push((format!("{prefix}{knob}"), v));
            }
        }
    }
    let spec_of = |ks: &[(String, &Text)]| {
        let body: Vec<String> = ks
            .iter()
            .map(|(k, v)| format!("{k}={}", v.get_ref()))
            .collect();
        format!("{name}:{}", body.join(","))
    };
    // Each knob alone first, so that an error points at its value.
    for (i, (key, value)) in knobs.iter().enumerate() {
        let alone = spec_of(&knobs[i..=i]);
        c.parse(&format!("policy.{key}"), value, |_| {
            FaultPolicy::from_str(&alone)
        })?;
    }
    let spec = spec_of(&knobs);
    c.parse("policy", &p.name, |_| FaultPolicy::from_str(&spec))?;
    Ok((name.clone(), spec))
}
