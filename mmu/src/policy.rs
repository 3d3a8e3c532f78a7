//! Fault-locking policies: which lock a fault takes first, what it does when it must
//! wait for I/O or for a locked folio, and under which lock it retries after dropping
//! one — three knobs, set per backing of the fault.
//!
//! | knob    | values                               | what it decides                                   |
//! |---------|--------------------------------------|---------------------------------------------------|
//! | `first` | `vma`, `mmap`                        | the lock of the first attempt                     |
//! | `io`    | `drop`, `hold`, `hold-if-uptodate`   | a first (not TRIED) attempt under the VMA lock that must wait: drop the lock and retry, wait holding it, or hold only for an up-to-date folio that is only briefly locked |
//! | `retry` | `vma`, `mmap`                        | the lock of the retry after an attempt under the VMA lock dropped it |
//!
//! The backings ([`FaultBacking`]): `anon` (anonymous VMAs, private or shared, whose page
//! is not in swap), `file` (file-backed VMAs) and `swap` (an anonymous page, or a private
//! copy of a file page, being read back from swap). A fault learns that its page is in
//! swap only once it has read the entry, under the lock it took first, so `swap.first`
//! is no knob of its own: it is always `anon.first`, and setting it is an error.
//!
//! A TRIED pass under the VMA lock waits holding it, and under `mmap_lock` every policy
//! behaves as the kernel does: a first try drops the lock to wait and returns RETRY; a
//! TRIED pass waits holding it. VMA locks exist at all (mm calls write-lock VMAs,
//! madvise discards read-lock them) unless every backing's `first` is `mmap`.
//!
//! The four presets, each the same knobs for every backing:
//!
//! | preset      | `first` | `io`               | `retry` | what it models                              |
//! |-------------|---------|--------------------|---------|---------------------------------------------|
//! | `mmap`      | `mmap`  | `drop`             | `mmap`  | every fault under `mmap_lock` (pre-6.4)     |
//! | `vma`       | `vma`   | `drop`             | `mmap`  | mainline: one per-VMA try, then `mmap_lock` |
//! | `vma-retry` | `vma`   | `hold-if-uptodate` | `vma`   | a retry goes back under the per-VMA lock    |
//! | `vma-hold`  | `vma`   | `hold`             | `mmap`  | I/O waited for holding the VMA lock         |
//!
//! A custom policy is written `NAME:KNOB=VALUE,...` (see [`FaultPolicy::parse`]), such
//! as `file-hold:file.io=hold`; `linux-6.4:file.first=mmap` is the first kernel with
//! per-VMA locks, which took them for anonymous VMAs only.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// The lock a fault attempt holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultLock {
    /// The VMA's per-VMA read lock.
    Vma,
    /// `mmap_lock` for read.
    Mmap,
}

impl FaultLock {
    /// Both locks, in the order of their names in error messages.
    const ALL: [FaultLock; 2] = [FaultLock::Vma, FaultLock::Mmap];

    /// `vma` or `mmap`, as traces, `--policy` and `--stats` name it.
    pub fn name(self) -> &'static str {
        match self {
            FaultLock::Vma => "vma",
            FaultLock::Mmap => "mmap",
        }
    }
}

/// Which of the parent's VMAs fork write-locks while `dup_mmap` copies them
/// (`--fork-lock`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ForkLock {
    /// Every VMA, as Linux does: no fault of the parent runs under a per-VMA lock
    /// meanwhile.
    #[default]
    All,
    /// Only anonymous and private (copy-on-write) VMAs, whose entries fork write-protects,
    /// as proposed on linux-mm in May 2026: shared file VMAs stay open to faults, so fork
    /// need not wait behind a file fault that holds its VMA lock across I/O.
    AnonCow,
}

impl ForkLock {
    /// `all` or `anon-cow`, as `--fork-lock` names it.
    pub fn name(self) -> &'static str {
        match self {
            ForkLock::All => "all",
            ForkLock::AnonCow => "anon-cow",
        }
    }
}

impl FromStr for ForkLock {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Self, PolicyError> {
        match s {
            "all" => Ok(ForkLock::All),
            "anon-cow" => Ok(ForkLock::AnonCow),
            _ => Err(PolicyError(format!(
                "fork lock `{s}`: expected `all` or `anon-cow`"
            ))),
        }
    }
}

/// What a fault is for, as far as a policy tells faults apart. Declared in
/// [`FaultBacking::ALL`]'s order: a backing's discriminant indexes a policy's knobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultBacking {
    /// An anonymous VMA's page that is not in swap (private or shared).
    Anon,
    /// A file-backed VMA's page-cache page.
    File,
    /// A page read back from swap.
    Swap,
}

impl FaultBacking {
    /// Every backing, in `--stats` and command-line order.
    pub const ALL: [FaultBacking; 3] = [FaultBacking::Anon, FaultBacking::File, FaultBacking::Swap];

    /// `anon`, `file` or `swap`, as `--policy` and `--stats` name it.
    pub fn name(self) -> &'static str {
        match self {
            FaultBacking::Anon => "anon",
            FaultBacking::File => "file",
            FaultBacking::Swap => "swap",
        }
    }
}

/// What a first (not TRIED) attempt under the VMA lock does when it must wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IoWait {
    /// Drop the lock, wait, and retry.
    Drop,
    /// Wait holding the lock.
    Hold,
    /// Wait holding the lock for an up-to-date folio that is only briefly locked; drop
    /// it for anything else.
    HoldIfUptodate,
}

impl IoWait {
    /// Every choice, in the order of their names in error messages.
    const ALL: [IoWait; 3] = [IoWait::Drop, IoWait::Hold, IoWait::HoldIfUptodate];

    /// `drop`, `hold` or `hold-if-uptodate`.
    pub fn name(self) -> &'static str {
        match self {
            IoWait::Drop => "drop",
            IoWait::Hold => "hold",
            IoWait::HoldIfUptodate => "hold-if-uptodate",
        }
    }
}

/// One backing's knobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Knobs {
    /// The lock of the first attempt.
    pub first: FaultLock,
    /// What a first attempt under the VMA lock does when it must wait.
    pub io: IoWait,
    /// The lock of the retry after an attempt under the VMA lock dropped it.
    pub retry: FaultLock,
}

impl Knobs {
    /// The same knobs for every backing: how the presets are built.
    const fn uniform(first: FaultLock, io: IoWait, retry: FaultLock) -> [Knobs; 3] {
        let k = Knobs { first, io, retry };
        [k, k, k]
    }
}

/// The name of one knob, for parsing and printing policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Knob {
    First,
    Io,
    Retry,
}

impl Knob {
    /// Every knob, in the order a policy is printed.
    const ALL: [Knob; 3] = [Knob::First, Knob::Io, Knob::Retry];

    fn name(self) -> &'static str {
        match self {
            Knob::First => "first",
            Knob::Io => "io",
            Knob::Retry => "retry",
        }
    }

    /// The backings this knob is set for: `first` is no knob of `swap`'s.
    fn backings(self) -> &'static [FaultBacking] {
        match self {
            Knob::First => &[FaultBacking::Anon, FaultBacking::File],
            _ => &FaultBacking::ALL,
        }
    }

    /// Its value in `knobs`.
    fn value(self, knobs: Knobs) -> &'static str {
        match self {
            Knob::First => knobs.first.name(),
            Knob::Io => knobs.io.name(),
            Knob::Retry => knobs.retry.name(),
        }
    }

    /// Sets it in `knobs` to `value`, or says what `key` (its name in the spec) takes.
    fn set(self, knobs: &mut Knobs, key: &str, value: &str) -> Result<(), String> {
        let lock = FaultLock::ALL.into_iter().find(|l| l.name() == value);
        match (self, lock) {
            (Knob::First, Some(lock)) => knobs.first = lock,
            (Knob::Retry, Some(lock)) => knobs.retry = lock,
            (Knob::Io, _) => match IoWait::ALL.into_iter().find(|w| w.name() == value) {
                Some(io) => knobs.io = io,
                None => {
                    return Err(format!(
                        "bad value `{value}` for `{key}` (expected drop, hold or hold-if-uptodate)"
                    ))
                }
            },
            _ => {
                return Err(format!(
                    "bad value `{value}` for `{key}` (expected vma or mmap)"
                ))
            }
        }
        Ok(())
    }
}

/// What a fault finds it must wait for before it can go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageWait {
    /// I/O it started or found pending (a page-cache or swap-cache miss).
    Io,
    /// A folio locked by someone else; `uptodate` when its contents are already valid
    /// (the lock is held only briefly, not for a read).
    FolioLocked {
        /// Whether the folio's contents are valid.
        uptodate: bool,
    },
}

impl PageWait {
    /// `io` or `locked`, as traces name it.
    pub fn name(self) -> &'static str {
        match self {
            PageWait::Io => "io",
            PageWait::FolioLocked { .. } => "locked",
        }
    }
}

/// What the fault does at a wait point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitAction {
    /// Drop the fault lock, wait, and return RETRY.
    DropAndRetry,
    /// Wait with the fault lock held, then go on.
    WaitHolding,
}

/// How faults take their locks: a name and each backing's [`Knobs`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FaultPolicy {
    /// A preset's name, or the one a custom policy was given.
    name: Cow<'static, str>,
    /// The knobs of `anon`, `file` and `swap`, in [`FaultBacking::ALL`]'s order; `swap`'s
    /// `first` is always `anon`'s.
    knobs: [Knobs; 3],
}

impl Default for FaultPolicy {
    /// `vma`, as Linux does today.
    fn default() -> Self {
        FaultPolicy::VMA
    }
}

impl FaultPolicy {
    /// Every fault under `mmap_lock` for read: a kernel without per-VMA locks (before
    /// 6.4), so mm calls write-lock no VMA and madvise discards take `mmap_lock`.
    pub const MMAP: FaultPolicy = FaultPolicy::preset(
        "mmap",
        Knobs::uniform(FaultLock::Mmap, IoWait::Drop, FaultLock::Mmap),
    );

    /// One per-VMA attempt; abort or RETRY goes to `mmap_lock` (Linux today).
    pub const VMA: FaultPolicy = FaultPolicy::preset(
        "vma",
        Knobs::uniform(FaultLock::Vma, IoWait::Drop, FaultLock::Mmap),
    );

    /// As `vma`, but a RETRY after I/O goes back under the per-VMA lock, and an
    /// up-to-date folio that is only briefly locked is waited for holding it.
    pub const VMA_RETRY: FaultPolicy = FaultPolicy::preset(
        "vma-retry",
        Knobs::uniform(FaultLock::Vma, IoWait::HoldIfUptodate, FaultLock::Vma),
    );

    /// I/O is waited for holding the per-VMA lock: no drop, no retry.
    pub const VMA_HOLD: FaultPolicy = FaultPolicy::preset(
        "vma-hold",
        Knobs::uniform(FaultLock::Vma, IoWait::Hold, FaultLock::Mmap),
    );

    /// The presets, in command-line order.
    pub const PRESETS: [FaultPolicy; 4] = [
        FaultPolicy::MMAP,
        FaultPolicy::VMA,
        FaultPolicy::VMA_RETRY,
        FaultPolicy::VMA_HOLD,
    ];

    const fn preset(name: &'static str, knobs: [Knobs; 3]) -> FaultPolicy {
        FaultPolicy {
            name: Cow::Borrowed(name),
            knobs,
        }
    }

    /// The preset called `name`, if there is one.
    pub fn preset_named(name: &str) -> Option<FaultPolicy> {
        FaultPolicy::PRESETS.into_iter().find(|p| p.name == name)
    }

    /// The policy's name: a preset's, or the one its `--policy` spec gave it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The knobs of faults on `backing`.
    pub fn knobs(&self, backing: FaultBacking) -> Knobs {
        self.knobs[backing as usize]
    }

    /// Whether any fault first tries a per-VMA lock: if not, the address space has no
    /// VMA locks at all (mm calls write-lock none, madvise discards take `mmap_lock`).
    pub fn tries_vma_lock(&self) -> bool {
        FaultBacking::ALL
            .iter()
            .any(|&b| self.knobs(b).first == FaultLock::Vma)
    }

    /// What a fault on `backing` holding `lock`, on a TRIED pass or not, does when it
    /// must wait for `what`.
    pub fn on_wait(
        &self,
        backing: FaultBacking,
        lock: FaultLock,
        tried: bool,
        what: PageWait,
    ) -> WaitAction {
        use WaitAction::{DropAndRetry, WaitHolding};
        match (lock, tried, self.knobs(backing).io) {
            // Linux's rule under mmap_lock, and a TRIED pass under the VMA lock.
            (FaultLock::Mmap, false, _) => DropAndRetry,
            (_, true, _) | (FaultLock::Vma, false, IoWait::Hold) => WaitHolding,
            (FaultLock::Vma, false, IoWait::Drop) => DropAndRetry,
            (FaultLock::Vma, false, IoWait::HoldIfUptodate) => match what {
                PageWait::FolioLocked { uptodate: true } => WaitHolding,
                _ => DropAndRetry,
            },
        }
    }

    /// Parses a `--policy` spec: a preset's name, or `NAME:KNOB=VALUE,...` — a custom
    /// policy called NAME (letters, digits, `-`, `_`, `.`). A KNOB is `first`, `io` or
    /// `retry`, for every backing or, after `anon.`, `file.` or `swap.`, for one (not
    /// `swap.first`: see the module docs); later knobs override earlier ones.
    /// `base=PRESET` (anywhere, once) picks the knobs it starts from: by default NAME's
    /// when NAME is a preset, else `vma`'s. A bad spec gets one line naming what is wrong
    /// and what was expected.
    pub fn parse(spec: &str) -> Result<FaultPolicy, PolicyError> {
        let Some((name, knobs)) = spec.split_once(':') else {
            return FaultPolicy::preset_named(spec).ok_or_else(|| {
                PolicyError(format!(
                    "unknown fault policy `{spec}` (expected one of: {}, or NAME:KNOB=VALUE,...)",
                    FaultPolicy::preset_list()
                ))
            });
        };
        let fail = |why: String| PolicyError(format!("fault policy `{spec}`: {why}"));
        check_name(name).map_err(fail)?;
        if knobs.is_empty() {
            return Err(fail(format!(
                "no knobs after `{name}:` (expected KNOB=VALUE,... or a preset's name alone)"
            )));
        }
        let mut items = Vec::new();
        for item in knobs.split(',') {
            match item.split_once('=') {
                Some((key, value)) if !key.is_empty() => items.push((key, value)),
                _ => {
                    return Err(fail(format!(
                        "`{item}` is no KNOB=VALUE (knobs: first, io, retry, base)"
                    )))
                }
            }
        }
        let mut bases = items.iter().filter(|(key, _)| *key == "base");
        let base = match (bases.next(), bases.next()) {
            (_, Some(_)) => return Err(fail("`base` given twice".into())),
            (Some((_, b)), None) => FaultPolicy::preset_named(b).ok_or_else(|| {
                fail(format!(
                    "bad value `{b}` for `base` (expected one of: {})",
                    FaultPolicy::preset_list()
                ))
            })?,
            (None, None) => FaultPolicy::preset_named(name).unwrap_or(FaultPolicy::VMA),
        };
        let mut policy = FaultPolicy {
            name: Cow::Owned(name.to_string()),
            knobs: base.knobs,
        };
        for (key, value) in items.into_iter().filter(|(key, _)| *key != "base") {
            let (knob, backings) = knob_of(key).map_err(fail)?;
            for b in backings {
                knob.set(&mut policy.knobs[b as usize], key, value)
                    .map_err(fail)?;
            }
        }
        // `swap.first` follows `anon.first`, whatever the base said.
        let [anon, _, swap] = &mut policy.knobs;
        swap.first = anon.first;
        Ok(policy)
    }

    /// The presets' names, in command-line order, for error messages.
    fn preset_list() -> String {
        FaultPolicy::PRESETS
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The policy as a `--policy` spec that [`FaultPolicy::parse`] reads back as this
    /// policy: a preset's name alone, else `NAME:` and the knobs that differ from the
    /// base NAME implies (unprefixed where every backing has the same value).
    pub fn spec(&self) -> String {
        let named = FaultPolicy::preset_named(&self.name);
        let base = named.clone().unwrap_or(FaultPolicy::VMA);
        if named.as_ref() == Some(self) {
            return self.name.to_string();
        }
        let mut parts = Vec::new();
        for knob in Knob::ALL {
            let backings = knob.backings();
            let value = |p: &FaultPolicy, b: FaultBacking| knob.value(p.knobs(b));
            let changed: Vec<FaultBacking> = backings
                .iter()
                .copied()
                .filter(|&b| value(self, b) != value(&base, b))
                .collect();
            let Some(&first) = changed.first() else {
                continue;
            };
            if backings
                .iter()
                .all(|&b| value(self, b) == value(self, first))
            {
                parts.push(format!("{}={}", knob.name(), value(self, first)));
            } else {
                parts.extend(
                    changed
                        .iter()
                        .map(|&b| format!("{}.{}={}", b.name(), knob.name(), value(self, b))),
                );
            }
        }
        if parts.is_empty() {
            parts.push(format!("base={}", base.name));
        }
        format!("{}:{}", self.name, parts.join(","))
    }
}

/// Checks a custom policy's name: it names the policy in `--stats` and traces, so it
/// is plain.
fn check_name(name: &str) -> Result<(), String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.is_empty() || !name.chars().all(plain) {
        return Err(format!(
            "bad policy name `{name}` (expected letters, digits, `-`, `_` or `.` before the `:`)"
        ));
    }
    Ok(())
}

/// The knob a key names and the backings it sets: `io` every backing's, `file.io` one.
fn knob_of(key: &str) -> Result<(Knob, Vec<FaultBacking>), String> {
    let (backing, name) = match key.split_once('.') {
        Some((b, n)) => (Some(b), n),
        None => (None, key),
    };
    let Some(knob) = Knob::ALL.into_iter().find(|k| k.name() == name) else {
        return Err(format!(
            "unknown knob `{key}` (expected first, io or retry, optionally after anon., file. or swap.; or base)"
        ));
    };
    let Some(backing) = backing else {
        return Ok((knob, knob.backings().to_vec()));
    };
    match FaultBacking::ALL.into_iter().find(|b| b.name() == backing) {
        None => Err(format!(
            "unknown backing `{backing}` in `{key}` (expected anon, file or swap)"
        )),
        Some(b) if !knob.backings().contains(&b) => Err(format!(
            "`{key}` cannot be set: a fault learns its page is in swap only under the lock it took first, so swap follows anon.first"
        )),
        Some(b) => Ok((knob, vec![b])),
    }
}

impl fmt::Display for FaultPolicy {
    /// [`FaultPolicy::spec`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.spec())
    }
}

/// A `--policy` spec [`FaultPolicy::parse`] refused: one line saying why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError(pub String);

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PolicyError {}

impl FromStr for FaultPolicy {
    type Err = PolicyError;
    /// [`FaultPolicy::parse`].
    fn from_str(s: &str) -> Result<Self, PolicyError> {
        FaultPolicy::parse(s)
    }
}

#[cfg(test)]
mod tests;
