//! `--thread-prio NAME=SPEC`: priorities for the guest's threads that the guest does not
//! set itself, given by thread name (the `comm` a thread takes with `prctl(PR_SET_NAME)`
//! or `pthread_setname_np`, or the program's name for the first thread). A scenario uses
//! it to make a stock program's threads low-priority or real-time without changing it.
//!
//! SPEC is one or more of `nice:N` (-20..19), `fifo:P` or `rr:P` (1..99), `batch`,
//! `idle` (SCHED_IDLE), `other`, and `io:rt/L`, `io:be/L` (L 0..7) or `io:idle`, joined
//! by `+`: `nice:19+io:idle`. NAME ending in `*` matches every name it starts.

use super::priorities::Priorities;
use devices::storage::IoPriority;
use devices::SchedPolicy;
use std::str::FromStr;

/// One `--thread-prio` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrioRule {
    /// The thread name, or a prefix when it ended in `*`.
    name: String,
    /// Whether `name` is a prefix.
    prefix: bool,
    /// The nice value to set.
    nice: Option<i32>,
    /// The policy and real-time priority to set.
    policy: Option<(SchedPolicy, u32)>,
    /// The I/O priority to set.
    io: Option<IoPriority>,
}

impl PrioRule {
    /// Whether the rule is for a thread called `name`.
    pub(crate) fn matches(&self, name: &str) -> bool {
        match self.prefix {
            true => name.starts_with(&self.name),
            false => name == self.name,
        }
    }

    /// `p` with the rule's settings.
    pub(crate) fn apply(&self, mut p: Priorities) -> Priorities {
        if let Some(nice) = self.nice {
            p.sched.nice = nice;
        }
        if let Some((policy, rt)) = self.policy {
            p.sched.policy = policy;
            p.sched.rt_priority = rt;
        }
        if let Some(io) = self.io {
            p.io = io;
        }
        p
    }
}

/// The first of `rules` for a thread called `name`.
pub(crate) fn rule_for<'a>(rules: &'a [PrioRule], name: &str) -> Option<&'a PrioRule> {
    rules.iter().find(|r| r.matches(name))
}

/// A number in `range`, or an error naming `what`.
fn number<T: TryFrom<i64>>(
    what: &str,
    s: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<T, String> {
    s.parse::<i64>()
        .ok()
        .filter(|n| range.contains(n))
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| {
            format!(
                "{what} `{s}` (expected {} to {})",
                range.start(),
                range.end()
            )
        })
}

/// An I/O priority: `rt/L`, `be/L` or `idle`.
fn io_priority(s: &str) -> Result<IoPriority, String> {
    let level = |l: &str| number::<u8>("I/O level", l, 0..=7);
    let io = match s.split_once('/') {
        Some(("rt", l)) => IoPriority::realtime(level(l)?),
        Some(("be", l)) => IoPriority::best_effort(level(l)?),
        None if s == "idle" => Ok(IoPriority::idle()),
        _ => return Err(format!("I/O priority `{s}` (expected rt/L, be/L or idle)")),
    };
    io.map_err(|e| e.to_string())
}

impl FromStr for PrioRule {
    type Err = String;

    fn from_str(s: &str) -> Result<PrioRule, String> {
        let fail = |why: String| format!("--thread-prio {s}: {why}");
        let (name, spec) = s
            .split_once('=')
            .ok_or_else(|| fail("expected NAME=SPEC".into()))?;
        let (name, prefix) = match name.strip_suffix('*') {
            Some(p) => (p, true),
            None => (name, false),
        };
        if (name.is_empty() && !prefix) || name.len() > 15 {
            return Err(fail(format!(
                "`{name}` is no thread name (1 to 15 bytes, or a prefix ending in *)"
            )));
        }
        let mut rule = PrioRule {
            name: name.to_string(),
            prefix,
            nice: None,
            policy: None,
            io: None,
        };
        for item in spec.split('+') {
            let (key, value) = item.split_once(':').unwrap_or((item, ""));
            match key {
                "nice" => rule.nice = Some(number("nice", value, -20..=19).map_err(fail)?),
                "fifo" | "rr" => {
                    let p: u32 = number("real-time priority", value, 1..=99).map_err(fail)?;
                    let policy = match key {
                        "fifo" => SchedPolicy::Fifo,
                        _ => SchedPolicy::RoundRobin,
                    };
                    rule.policy = Some((policy, p));
                }
                "other" | "batch" | "idle" if value.is_empty() => {
                    let policy = match key {
                        "other" => SchedPolicy::Other,
                        "batch" => SchedPolicy::Batch,
                        _ => SchedPolicy::Idle,
                    };
                    rule.policy = Some((policy, 0));
                }
                "io" => rule.io = Some(io_priority(value).map_err(fail)?),
                _ => {
                    return Err(fail(format!(
                        "`{item}` (expected nice:N, fifo:P, rr:P, other, batch, idle or io:CLASS joined by +)"
                    )))
                }
            }
        }
        Ok(rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_match_and_apply() {
        let r: PrioRule = "faulter-*=nice:19+io:idle".parse().unwrap();
        assert!(r.matches("faulter-3") && !r.matches("rt"));
        let p = r.apply(Priorities::default());
        assert_eq!(p.sched.nice, 19);
        assert_eq!(p.io, IoPriority::idle());
        let rt: PrioRule = "rt-mprotect=fifo:50".parse().unwrap();
        assert!(rt.matches("rt-mprotect") && !rt.matches("rt-mprotect2"));
        let p = rt.apply(Priorities::default());
        assert_eq!(
            (p.sched.policy, p.sched.rt_priority),
            (SchedPolicy::Fifo, 50)
        );
        let rules = [r, rt];
        assert_eq!(rule_for(&rules, "faulter-0"), Some(&rules[0]));
        assert_eq!(rule_for(&rules, "main"), None);
        let be: PrioRule = "x=io:be/2".parse().unwrap();
        assert_eq!(
            be.apply(Priorities::default()).io,
            IoPriority::best_effort(2).unwrap()
        );
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        for (spec, why) in [
            ("nice:19", "expected NAME=SPEC"),
            ("=nice:1", "is no thread name"),
            ("a=nice:20", "nice `20` (expected -20 to 19)"),
            ("a=fifo:0", "real-time priority `0`"),
            ("a=io:be/8", "I/O level `8`"),
            ("a=io:fast", "I/O priority `fast`"),
            ("a=loud", "`loud` (expected nice:N"),
        ] {
            let e = spec.parse::<PrioRule>().unwrap_err();
            assert!(
                e.starts_with("--thread-prio ") && e.contains(why),
                "{spec}: {e}"
            );
        }
    }
}
