//! Linux signal numbers, their names and the signal-mask bits.

/// Illegal instruction.
pub(crate) const SIGILL: i32 = 4;
/// Trace/breakpoint trap.
pub(crate) const SIGTRAP: i32 = 5;
/// Abort.
pub(crate) const SIGABRT: i32 = 6;
/// Bus error.
pub(crate) const SIGBUS: i32 = 7;
/// Killed.
pub(crate) const SIGKILL: i32 = 9;
/// Segmentation fault.
pub(crate) const SIGSEGV: i32 = 11;

/// The signal's name, as in `SIGSEGV`.
pub(crate) fn name(sig: i32) -> String {
    let n = match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        SIGILL => "SIGILL",
        SIGTRAP => "SIGTRAP",
        SIGABRT => "SIGABRT",
        SIGBUS => "SIGBUS",
        8 => "SIGFPE",
        SIGKILL => "SIGKILL",
        10 => "SIGUSR1",
        SIGSEGV => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return format!("signal {sig}"),
    };
    n.to_string()
}

/// The mask bit of `signal` (1..=64).
pub(crate) fn bit(signal: i32) -> u64 {
    1u64 << (signal - 1)
}

/// Signals that can never be blocked: SIGKILL and SIGSTOP.
pub(crate) const UNBLOCKABLE: u64 = (1 << (9 - 1)) | (1 << (19 - 1));

/// The number of signals (the mask is 64 bits).
pub(crate) const NSIG: usize = 64;
