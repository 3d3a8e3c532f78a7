//! `faultline run --inject AT:ACTION`: what a timed injection does and when, parsed and
//! checked before the run starts. `os::injector` performs them.

use crate::abi::signo;
use devices::storage::{spec, LatencyModel};
use mmu::pagecache::check_mem_limit;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// One `--inject`: `action` at `at_ns` on the run's clock.
#[derive(Debug, Clone, PartialEq)]
pub struct Injection {
    /// When, in nanoseconds since the run started (virtual or host time, as the clock).
    pub at_ns: u64,
    /// What.
    pub action: Action,
    /// The action as the command line spelled it (`stall=50ms`), for the trace and
    /// messages.
    pub text: String,
}

/// What an injection does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `stall=DURATION`: the storage devices start no request for this many ns.
    Stall(u64),
    /// `latency=MODEL`: the storage devices' service latency from then on.
    Latency(LatencyModel),
    /// `drop-caches`: every clean, unmapped, unlocked page-cache page is dropped.
    DropCaches,
    /// `pageout=PATH|anon`: MADV_PAGEOUT of the mappings of a host file or of private
    /// anonymous memory.
    PageOut(PageOutTarget),
    /// `mem-limit=SIZE`: the memory limit in bytes from then on.
    MemLimit(u64),
    /// `signal=SIG@THREAD`: a signal to one thread, as tgkill sends it.
    Signal {
        /// The signal number.
        signo: i32,
        /// The thread.
        thread: ThreadRef,
    },
}

/// Which mappings `pageout=` pages out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageOutTarget {
    /// Every mapping of this host file.
    File(PathBuf),
    /// Every private anonymous mapping.
    Anon,
}

/// The thread a `signal=` goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThreadRef {
    /// A thread id.
    Tid(u32),
    /// The thread called this (its `comm`, as prctl PR_SET_NAME sets it); the one with
    /// the lowest id if several are.
    Name(String),
}

impl fmt::Display for ThreadRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThreadRef::Tid(tid) => write!(f, "thread {tid}"),
            ThreadRef::Name(name) => write!(f, "thread '{name}'"),
        }
    }
}

/// What an `--inject` value must look like, for error messages.
const EXPECTED: &str = "expected AT:ACTION, such as 50ms:stall=20ms";

/// The actions, for error messages.
const ACTIONS: &str = "stall=DURATION, latency=MODEL, drop-caches, pageout=PATH|anon, \
                       mem-limit=SIZE or signal=SIG@THREAD";

impl FromStr for Injection {
    type Err = String;

    /// `AT:ACTION`; the error names the part that is wrong and what was expected.
    fn from_str(s: &str) -> Result<Injection, String> {
        let s = s.trim();
        let Some((at, text)) = s.split_once(':') else {
            return Err(format!("'{s}': {EXPECTED}"));
        };
        let at_ns = spec::parse_duration(at).map_err(|e| format!("'{s}': time {e}"))?;
        let text = text.trim();
        let action = parse_action(text).map_err(|e| format!("'{s}': {e}"))?;
        Ok(Injection {
            at_ns,
            action,
            text: text.to_string(),
        })
    }
}

/// One ACTION.
fn parse_action(s: &str) -> Result<Action, String> {
    let (name, value) = match s.split_once('=') {
        Some((name, value)) => (name.trim(), Some(value.trim())),
        None => (s, None),
    };
    let needs = |what: &str| format!("{name} needs a value: {name}={what}");
    match (name, value) {
        ("drop-caches", None) => Ok(Action::DropCaches),
        ("drop-caches", Some(_)) => Err("drop-caches takes no value".into()),
        ("stall", Some(v)) => Ok(Action::Stall(
            spec::parse_delay(v, "stall").map_err(|e| format!("stall: {e}"))?,
        )),
        ("latency", Some(v)) => Ok(Action::Latency(
            v.parse().map_err(|e| format!("latency: {e}"))?,
        )),
        ("pageout", Some("")) => Err(needs("PATH or pageout=anon")),
        ("pageout", Some("anon")) => Ok(Action::PageOut(PageOutTarget::Anon)),
        ("pageout", Some(path)) => Ok(Action::PageOut(PageOutTarget::File(path.into()))),
        ("mem-limit", Some(v)) => match spec::parse_size(v) {
            Ok(bytes) => check_mem_limit(bytes)
                .map(Action::MemLimit)
                .map_err(|e| format!("mem-limit: {e}")),
            Err(e) => Err(format!("mem-limit: {e}")),
        },
        ("signal", Some(v)) => parse_signal(v),
        ("stall", None) => Err(needs("DURATION")),
        ("latency", None) => Err(needs("MODEL")),
        ("pageout", None) => Err(needs("PATH or pageout=anon")),
        ("mem-limit", None) => Err(needs("SIZE")),
        ("signal", None) => Err(needs("SIG@THREAD")),
        _ => Err(format!("unknown action '{s}' (expected {ACTIONS})")),
    }
}

/// `SIG@THREAD`: a signal name or number, and a thread id or name.
fn parse_signal(v: &str) -> Result<Action, String> {
    let Some((sig, thread)) = v.split_once('@') else {
        return Err(format!(
            "signal '{v}': expected SIG@THREAD, such as SIGUSR1@worker"
        ));
    };
    let signo = signo::parse(sig.trim()).ok_or_else(|| {
        format!("signal '{sig}': expected a name such as SIGUSR1 or USR1, or a number 1..64")
    })?;
    let thread = thread.trim();
    let thread = if thread.is_empty() {
        return Err(format!("signal '{v}': no thread after '@'"));
    } else if thread.bytes().all(|b| b.is_ascii_digit()) {
        ThreadRef::Tid(
            thread
                .parse()
                .map_err(|_| format!("signal '{v}': thread id {thread} is out of range"))?,
        )
    } else {
        ThreadRef::Name(thread.to_string())
    };
    Ok(Action::Signal { signo, thread })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Injection, String> {
        s.parse()
    }

    #[test]
    fn good_specs_parse() {
        let i = parse("50ms:stall=20ms").unwrap();
        assert_eq!(
            (i.at_ns, &i.action),
            (50_000_000, &Action::Stall(20_000_000))
        );
        assert_eq!(i.text, "stall=20ms");
        let i = parse("1.5s:latency=fixed:5ms").unwrap();
        assert_eq!(i.at_ns, 1_500_000_000);
        assert_eq!(i.action, Action::Latency(LatencyModel::fixed(5_000_000)));
        assert_eq!(parse("0s:drop-caches").unwrap().action, Action::DropCaches);
        assert_eq!(
            parse("1ms:pageout=anon").unwrap().action,
            Action::PageOut(PageOutTarget::Anon)
        );
        assert_eq!(
            parse("1ms:pageout=/tmp/a:b").unwrap().action,
            Action::PageOut(PageOutTarget::File("/tmp/a:b".into()))
        );
        assert_eq!(
            parse("2ms:mem-limit=4MiB").unwrap().action,
            Action::MemLimit(4 << 20)
        );
        assert_eq!(
            parse("3ms:signal=USR1@worker").unwrap().action,
            Action::Signal {
                signo: 10,
                thread: ThreadRef::Name("worker".into())
            }
        );
        assert_eq!(
            parse("3ms:signal=SIGTERM@1001").unwrap().action,
            Action::Signal {
                signo: 15,
                thread: ThreadRef::Tid(1001)
            }
        );
        assert_eq!(
            parse("3ms:signal=34@main").unwrap().action,
            Action::Signal {
                signo: 34,
                thread: ThreadRef::Name("main".into())
            }
        );
    }

    #[test]
    fn bad_specs_say_what_was_expected() {
        let cases = [
            (
                "stall=20ms",
                "'stall=20ms': expected AT:ACTION, such as 50ms:stall=20ms",
            ),
            (
                "50:stall=20ms",
                "'50:stall=20ms': time duration '50' needs a unit",
            ),
            (
                "5ms:stall",
                "'5ms:stall': stall needs a value: stall=DURATION",
            ),
            ("5ms:stall=fast", "'5ms:stall=fast': stall: "),
            ("5ms:latency=slow:1ms", "'5ms:latency=slow:1ms': latency: "),
            (
                "5ms:reboot",
                "'5ms:reboot': unknown action 'reboot' (expected stall=DURATION",
            ),
            ("5ms:drop-caches=1", "drop-caches takes no value"),
            (
                "5ms:mem-limit=0",
                "mem-limit: memory limit 0 bytes is below 64KiB",
            ),
            ("5ms:mem-limit=lots", "'5ms:mem-limit=lots': mem-limit: "),
            (
                "5ms:signal=USR1",
                "expected SIG@THREAD, such as SIGUSR1@worker",
            ),
            (
                "5ms:signal=SIGFOO@1",
                "signal 'SIGFOO': expected a name such as SIGUSR1",
            ),
            ("5ms:signal=65@1", "signal '65': expected a name"),
            ("5ms:signal=USR1@", "no thread after '@'"),
            (
                "5ms:signal=USR1@99999999999",
                "thread id 99999999999 is out of range",
            ),
            (
                "5ms:pageout=",
                "pageout needs a value: pageout=PATH or pageout=anon",
            ),
        ];
        for (spec, want) in cases {
            let got = parse(spec).unwrap_err();
            assert!(got.contains(want), "{spec}: {got}");
            assert!(!got.contains('\n'), "{spec}: {got}");
        }
    }
}
