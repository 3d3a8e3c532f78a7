//! Linux signal numbers, their names and the signal-mask bits.

/// Illegal instruction.
pub(crate) const SIGILL: i32 = 4;
/// Trace/breakpoint trap.
pub(crate) const SIGTRAP: i32 = 5;
/// Bus error.
#[cfg(test)]
pub(crate) const SIGBUS: i32 = 7;
/// Segmentation fault.
pub(crate) const SIGSEGV: i32 = 11;
/// Kill: cannot be caught, blocked or ignored.
pub(crate) const SIGKILL: i32 = 9;
/// A child process ended.
pub(crate) const SIGCHLD: i32 = 17;

/// The names of signals 1 to 31, in number order (riscv64 uses the generic numbers).
const NAMES: [&str; 31] = [
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// The signal's name, as in `SIGSEGV` (`signal 40` for a real-time one).
pub(crate) fn name(sig: i32) -> String {
    usize::try_from(sig - 1)
        .ok()
        .and_then(|i| NAMES.get(i))
        .map_or_else(|| format!("signal {sig}"), |n| n.to_string())
}

/// The signal a command line names: `SIGUSR1`, `USR1` (any case) or a number from 1 to
/// [`NSIG`].
pub(crate) fn parse(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return usize::try_from(n)
            .is_ok_and(|u| (1..=NSIG).contains(&u))
            .then_some(n);
    }
    let upper = s.to_ascii_uppercase();
    let full = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    let i = NAMES.iter().position(|n| *n == full)?;
    i32::try_from(i + 1).ok()
}

/// The mask bit of `signal` (1..=64).
pub(crate) fn bit(signal: i32) -> u64 {
    1u64 << (signal - 1)
}

/// Signals that can never be blocked: SIGKILL and SIGSTOP.
pub(crate) const UNBLOCKABLE: u64 = (1 << (9 - 1)) | (1 << (19 - 1));

/// The number of signals (the mask is 64 bits).
pub(crate) const NSIG: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_round_trip() {
        assert_eq!(name(SIGSEGV), "SIGSEGV");
        assert_eq!(name(31), "SIGSYS");
        assert_eq!(name(40), "signal 40");
        for sig in 1..=31 {
            assert_eq!(parse(&name(sig)), Some(sig));
        }
        assert_eq!(parse("usr1"), Some(10));
        assert_eq!(parse("USR2"), Some(12));
        assert_eq!(parse("64"), Some(64));
        for bad in ["0", "65", "-1", "SIGFOO", "", "SIG"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
