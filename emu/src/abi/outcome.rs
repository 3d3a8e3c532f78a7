//! What a system call asks of the hart that made it.

use mmu::Errno;

/// What a system call asks of the hart that made it.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Put this value in a0 and continue.
    Return(i64),
    /// Continue with the registers as the call left them (rt_sigreturn restored them
    /// all, a0 included).
    Resume,
    /// End the calling thread with this status.
    ExitThread(i32),
    /// End the whole process with this status.
    ExitGroup(i32),
    /// Kill the process with this signal, for this reason.
    Signal(i32, String),
}

/// Converts a syscall-style result into an outcome.
pub(crate) fn ret(r: Result<i64, Errno>) -> Outcome {
    Outcome::Return(r.unwrap_or_else(|e| e.neg()))
}
