//! Host signals that end a run: SIGINT (Ctrl-C), SIGTERM and SIGHUP.
//!
//! The guest's written file data lives in faultline's page cache until it is written
//! back, as it would live in the kernel's. A host signal's default action would end the
//! emulator at once and lose it, so these signals are blocked in every thread and one
//! watcher thread takes them with `sigwait`: the process then exits the ordinary way
//! (dirty pages written back, `--stats` written) with the status of a guest killed by
//! that signal.

use crate::os::process::Process;
use std::sync::Arc;

/// The host signals a run handles itself.
const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

fn signal_set() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data, for which all-zero bytes are a valid value.
    let mut set = unsafe { std::mem::zeroed::<libc::sigset_t>() };
    // SAFETY: sigemptyset only writes the set it is given.
    unsafe { libc::sigemptyset(&mut set) };
    for sig in SIGNALS {
        // SAFETY: sigaddset only touches the initialised set it is given.
        unsafe { libc::sigaddset(&mut set, sig) };
    }
    set
}

/// Blocks the run-ending signals in the calling thread, so that every thread it starts
/// afterwards (harts, kswapd, the flusher, device dispatchers) inherits the mask. Call it
/// before any other thread exists.
pub(crate) fn block() -> std::io::Result<()> {
    let set = signal_set();
    // SAFETY: a valid set; the old mask is not wanted.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    match rc {
        0 => Ok(()),
        err => Err(std::io::Error::from_raw_os_error(err)),
    }
}

/// Starts the thread that waits for a run-ending signal and then ends `proc` as if the
/// guest had been killed by it (exit status 128 + the signal number).
pub(crate) fn watch(proc: Arc<Process>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let set = signal_set();
            let mut sig: libc::c_int = 0;
            // SAFETY: a valid set, and `sig` outlives the call.
            while unsafe { libc::sigwait(&set, &mut sig) } != 0 {}
            eprintln!(
                "faultline: {} received: writing back the guest's files and exiting",
                signal_name(sig)
            );
            proc.exit(128 + sig)
        })
        .map(drop)
}

fn signal_name(sig: libc::c_int) -> &'static str {
    match sig {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        _ => "SIGHUP",
    }
}
