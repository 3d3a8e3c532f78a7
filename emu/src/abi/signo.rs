//! Linux signal numbers, their names and the signal-mask bits.

/// Illegal instruction.
pub const SIGILL: i32 = 4;
/// Trace/breakpoint trap.
pub const SIGTRAP: i32 = 5;
/// Abort.
pub const SIGABRT: i32 = 6;
/// Bus error.
pub const SIGBUS: i32 = 7;
/// Killed.
pub const SIGKILL: i32 = 9;
/// Segmentation fault.
pub const SIGSEGV: i32 = 11;

/// The signal's name, as in `SIGSEGV`.
pub fn name(sig: i32) -> String {
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
pub fn bit(signal: i32) -> u64 {
    1u64 << (signal - 1)
}

/// Signals that can never be blocked: SIGKILL and SIGSTOP.
pub const UNBLOCKABLE: u64 = (1 << (9 - 1)) | (1 << (19 - 1));

/// The number of signals (the mask is 64 bits).
pub const NSIG: usize = 64;
