//! Sending signals: kill, tkill, tgkill, rt_sigqueueinfo and rt_tgsigqueueinfo. The
//! target thread takes the signal at its next block boundary or, if it is blocked in a
//! system call, at once ([`crate::os::signal_send`]).

use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::abi::siginfo::{code, SigInfo, SIGINFO_SIZE};
use crate::abi::signo::NSIG;
use crate::thread::Thread;
use devices::cast::low_i32;
use mmu::Errno;

/// Who a signal goes to.
enum Target {
    /// The process (some thread that does not block it).
    Process,
    /// One thread.
    Thread(u32),
}

/// Checks a signal number: None for 0 (only whether the target exists is asked).
fn signal_number(signal: u64) -> Result<Option<i32>, Errno> {
    match signal {
        0 => Ok(None),
        1..=64 if signal <= NSIG as u64 => Ok(Some(low_i32(signal))),
        _ => Err(Errno::EINVAL),
    }
}

/// The thread-group id argument of tgkill and rt_tgsigqueueinfo: only this process's.
fn check_tgid(t: &Thread, tgid: u64) -> Result<(), Errno> {
    match tgid as i64 {
        g if g <= 0 => Err(Errno::EINVAL),
        g if g == i64::from(t.proc.pid) => Ok(()),
        _ => Err(Errno::ESRCH),
    }
}

/// A thread id argument: a live thread of this process.
fn thread_target(t: &Thread, tid: u64) -> Result<Target, Errno> {
    match tid as i64 {
        id if id <= 0 => Err(Errno::EINVAL),
        id => {
            let id = u32::try_from(id).map_err(|_| Errno::ESRCH)?;
            t.proc.thread(id).ok_or(Errno::ESRCH)?;
            Ok(Target::Thread(id))
        }
    }
}

/// kill's pid argument: this process (its pid, 0 for its group, -1 for every process
/// it may signal, which is only itself).
fn process_target(t: &Thread, pid: u64) -> Result<Target, Errno> {
    match pid as i64 {
        0 | -1 => Ok(Target::Process),
        p if p == i64::from(t.proc.pid) => Ok(Target::Process),
        _ => Err(Errno::ESRCH),
    }
}

/// Sends `make(signo)` to `target` once the signal number has been checked.
fn send(
    t: &Thread,
    target: Result<Target, Errno>,
    signal: u64,
    make: impl FnOnce(i32) -> Result<SigInfo, Errno>,
) -> Result<i64, Errno> {
    let target = target?;
    let Some(signo) = signal_number(signal)? else {
        return Ok(0);
    };
    let info = make(signo)?;
    match target {
        // A signal merged into one already pending, or ignored, is still sent.
        Target::Process => {
            t.proc.signal_process(info);
        }
        Target::Thread(tid) => {
            t.proc.signal_thread(tid, info)?;
        }
    }
    Ok(0)
}

/// Reads the siginfo given to rt_(tg)sigqueueinfo. A process may not pretend to be
/// the kernel or kill (si_code ≥ 0) or tkill when signalling another process; here
/// every target is the sender's own process, which Linux allows.
fn queued_info(t: &Thread, addr: u64, signo: i32) -> Result<SigInfo, Errno> {
    let mut raw = [0u8; SIGINFO_SIZE];
    t.proc.mm.read_bytes(addr, &mut raw)?;
    Ok(SigInfo::queued(signo, &raw))
}

/// Handles the signal-sending calls; None if `n` is not one of them.
pub(crate) fn handle(t: &Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    let pid = t.proc.pid;
    let sent = |code| move |signo| Ok(SigInfo::sent_by_self(signo, code, pid));
    Some(ret(match n {
        nr::kill => send(t, process_target(t, a[0]), a[1], sent(code::SI_USER)),
        nr::tkill => send(t, thread_target(t, a[0]), a[1], sent(code::SI_TKILL)),
        nr::tgkill => {
            let target = check_tgid(t, a[0]).and_then(|()| thread_target(t, a[1]));
            send(t, target, a[2], sent(code::SI_TKILL))
        }
        nr::rt_sigqueueinfo => send(t, process_target(t, a[0]), a[1], |signo| {
            queued_info(t, a[2], signo)
        }),
        nr::rt_tgsigqueueinfo => {
            let target = check_tgid(t, a[0]).and_then(|()| thread_target(t, a[1]));
            send(t, target, a[2], |signo| queued_info(t, a[3], signo))
        }
        _ => return None,
    }))
}
