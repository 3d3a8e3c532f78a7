//! Host signals that end a run: SIGINT (Ctrl-C), SIGTERM and SIGHUP.
//!
//! A host signal's default action would end the emulator at once: the bytes of the
//! guest's write(2)s are in their host files already, but the stores of its shared
//! file mappings are written back only at exit, and `--stats` would not be written. So
//! these signals are blocked in every thread and one watcher thread takes them with
//! `sigwait`: the process then exits the ordinary way (dirty pages written back
//! without waiting for simulated device time, `--stats` written) with the status of a
//! guest killed by that signal.

use crate::os::proc_table::ExitHow;
use crate::os::process::Process;
use mmu::AddressSpace;
use std::sync::{Arc, OnceLock};

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

/// Where the signal watcher ends the run: the process, once it exists.
pub(crate) struct Watch(Arc<OnceLock<Arc<Process>>>);

impl Watch {
    /// From now on a run-ending signal ends `proc` (before, the emulator just exits:
    /// the guest has not run, so it has written nothing).
    pub(crate) fn attach(&self, proc: Arc<Process>) {
        // Attached once, by the run that started the watcher.
        let _ = self.0.set(proc);
    }
}

/// Starts the thread that waits for a run-ending signal, from the first instant of the
/// run (loading the program may wait on the simulated device): it then ends the
/// attached process as if the guest had been killed by it (exit status 128 + the
/// signal number), or, before one is attached, exits at once, `mm`'s device no longer
/// waiting for anything.
pub(crate) fn watch(mm: Arc<AddressSpace>) -> std::io::Result<Watch> {
    let slot = Arc::new(OnceLock::<Arc<Process>>::new());
    let target = slot.clone();
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
            match target.get() {
                Some(proc) => {
                    // The initial process's image now: an execve may have replaced it.
                    let table = &proc.table;
                    if let Some(now) = table.image(table.initial()) {
                        now.exit(ExitHow::Signal(sig));
                    }
                    std::process::exit(128 + sig)
                }
                None => {
                    mm.page_cache().finish_io_promptly();
                    std::process::exit(128 + sig)
                }
            }
        })
        .map(|_| Watch(slot))
}

fn signal_name(sig: libc::c_int) -> &'static str {
    match sig {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        _ => "SIGHUP",
    }
}
