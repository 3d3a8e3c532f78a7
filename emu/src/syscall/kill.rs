//! Sending signals: kill, tkill, tgkill, rt_sigqueueinfo and rt_tgsigqueueinfo, to any
//! process or process group of the run and any thread of any process. The
//! target thread takes the signal at its next block boundary or, if it is blocked in a
//! system call, at once ([`crate::os::signal_send`]).

use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::abi::siginfo::{code, SigInfo, SIGINFO_SIZE};
use crate::abi::signo::NSIG;
use crate::os::process::Process;
use crate::thread::Thread;
use devices::cast::low_i32;
use mmu::Errno;
use std::sync::Arc;

/// Who a signal goes to.
enum Target {
    /// These processes (in each, some thread that does not block it).
    Processes(Vec<Arc<Process>>),
    /// One thread of one process.
    Thread(Arc<Process>, u32),
    /// A zombie: it exists, so the call succeeds, but nothing takes the signal.
    Zombie,
}

/// Checks a signal number: None for 0 (only whether the target exists is asked).
fn signal_number(signal: u64) -> Result<Option<i32>, Errno> {
    match signal {
        0 => Ok(None),
        1..=64 if signal <= NSIG as u64 => Ok(Some(low_i32(signal))),
        _ => Err(Errno::EINVAL),
    }
}

/// A positive id argument, as a u32.
fn positive(id: u64) -> Result<u32, Errno> {
    match id as i64 {
        i if i <= 0 => Err(Errno::EINVAL),
        i => u32::try_from(i).map_err(|_| Errno::ESRCH),
    }
}

/// tgkill's and rt_tgsigqueueinfo's thread `tid` of process `tgid`.
fn thread_of(t: &Thread, tgid: u64, tid: u64) -> Result<Target, Errno> {
    let (tgid, tid) = (positive(tgid)?, positive(tid)?);
    let proc = t.proc.table.image(tgid).ok_or(Errno::ESRCH)?;
    proc.thread(tid).ok_or(Errno::ESRCH)?;
    Ok(Target::Thread(proc, tid))
}

/// tkill's thread `tid`, in whichever process it runs.
fn any_thread(t: &Thread, tid: u64) -> Result<Target, Errno> {
    let tid = positive(tid)?;
    let proc = t
        .proc
        .table
        .all()
        .into_iter()
        .find(|p| p.thread(tid).is_some())
        .ok_or(Errno::ESRCH)?;
    Ok(Target::Thread(proc, tid))
}

/// kill's pid argument: a process, the caller's process group (0), every process but
/// the caller (-1), or process group -pid; ESRCH if it names none.
fn process_target(t: &Thread, pid: u64) -> Result<Target, Errno> {
    let table = &t.proc.table;
    let procs = match low_i32(pid) {
        0 => table.group(table.pgid(t.proc.pid)?),
        -1 => {
            let others: Vec<_> = table
                .all()
                .into_iter()
                .filter(|p| p.pid != t.proc.pid)
                .collect();
            // Alone in the run, the caller signals itself rather than nobody.
            match others.is_empty() {
                true => vec![t.proc.clone()],
                false => others,
            }
        }
        g if g < 0 => table.group(g.unsigned_abs()),
        p => match table.image(p.unsigned_abs()) {
            Some(proc) => vec![proc],
            None if table.exists(p.unsigned_abs()) => return Ok(Target::Zombie),
            None => Vec::new(),
        },
    };
    if procs.is_empty() {
        return Err(Errno::ESRCH);
    }
    Ok(Target::Processes(procs))
}

/// Sends `make(signo)` to `target` once the signal number has been checked.
fn send(
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
        Target::Processes(procs) => {
            for p in procs {
                p.signal_process(info);
            }
        }
        Target::Thread(proc, tid) => {
            proc.signal_thread(tid, info)?;
        }
        Target::Zombie => {}
    }
    Ok(0)
}

/// Reads the siginfo given to rt_(tg)sigqueueinfo. A process may not pretend to be
/// the kernel or kill (si_code ≥ 0) or tkill when it signals another process (EPERM).
fn queued_info(t: &Thread, addr: u64, signo: i32, pid: u64) -> Result<SigInfo, Errno> {
    let mut raw = [0u8; SIGINFO_SIZE];
    t.proc.mm.read_bytes(addr, &mut raw)?;
    let info = SigInfo::queued(signo, &raw);
    let other = pid as i64 != i64::from(t.proc.pid);
    if other && (info.code >= 0 || info.code == code::SI_TKILL) {
        return Err(Errno::EPERM);
    }
    Ok(info)
}

/// Handles the signal-sending calls; None if `n` is not one of them.
pub(crate) fn handle(t: &Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    let pid = t.proc.pid;
    let sent = |code| move |signo| Ok(SigInfo::sent_by_self(signo, code, pid));
    Some(ret(match n {
        nr::kill => send(process_target(t, a[0]), a[1], sent(code::SI_USER)),
        nr::tkill => send(any_thread(t, a[0]), a[1], sent(code::SI_TKILL)),
        nr::tgkill => send(thread_of(t, a[0], a[1]), a[2], sent(code::SI_TKILL)),
        nr::rt_sigqueueinfo => send(process_target(t, a[0]), a[1], |signo| {
            queued_info(t, a[2], signo, a[0])
        }),
        nr::rt_tgsigqueueinfo => send(thread_of(t, a[0], a[1]), a[2], |signo| {
            queued_info(t, a[3], signo, a[0])
        }),
        _ => return None,
    }))
}
