//! Process relations: wait4 and waitid (a zombie child's status, as Linux encodes it),
//! getppid, getpgid, setpgid, getsid and setsid.

use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::abi::restart_codes::ERESTARTSYS;
use crate::abi::siginfo::SigInfo;
use crate::os::proc_table::{ChildSet, Reaped};
use crate::os::wait::{WaitEnd, WaitLimits};
use crate::thread::Thread;
use devices::cast::{low_i32, low_u32};
use mmu::Errno;

/// Return at once if no child has ended.
const WNOHANG: u64 = 1;
/// wait4: also report stopped children (none ever stop here); waitid: WSTOPPED.
const WUNTRACED: u64 = 2;
/// waitid: report children that exited.
const WEXITED: u64 = 4;
/// Also report continued children (none are ever continued here).
const WCONTINUED: u64 = 8;
/// waitid: leave the child a zombie.
const WNOWAIT: u64 = 0x0100_0000;
/// Wait for children of this thread only (every child is the process's here).
const WNOTHREAD: u64 = 0x2000_0000;
/// Wait for every child, whatever signal its end sends.
const WALL: u64 = 0x4000_0000;
/// Wait for children whose end sends no SIGCHLD.
const WCLONE: u64 = 0x8000_0000;
/// The options both calls accept besides their own.
const COMMON: u64 = WNOHANG | WCONTINUED | WNOTHREAD | WALL | WCLONE;

/// waitid's idtype: any child.
const P_ALL: u64 = 0;
/// waitid's idtype: the child whose pid is `id`.
const P_PID: u64 = 1;
/// waitid's idtype: children in process group `id` (0: the caller's).
const P_PGID: u64 = 2;

/// Size of `struct rusage`, reported as all zero for reaped children.
const RUSAGE_SIZE: usize = 144;

/// Waits for a zombie among the caller's children in `which` (reaped unless `keep`),
/// without waiting if `nohang`. Ok(None): none has ended (WNOHANG). A signal ends the
/// wait with ERESTARTSYS.
fn wait_child(
    t: &Thread,
    which: ChildSet,
    nohang: bool,
    keep: bool,
) -> Result<Result<Option<Reaped>, i64>, Errno> {
    let table = &t.proc.table;
    let pid = t.proc.pid;
    let find = || table.find_zombie(pid, which, !keep);
    if nohang {
        return find().map(Ok);
    }
    table.watch_children(pid, t.sig.parker(), true);
    let end = t
        .waiter()
        .named("wait4")
        .wait(WaitLimits::default(), || find().transpose());
    table.watch_children(pid, t.sig.parker(), false);
    match end {
        WaitEnd::Ready(r) => r.map(|found| Ok(Some(found))),
        WaitEnd::Interrupted | WaitEnd::TimedOut => Ok(Err(ERESTARTSYS)),
    }
}

/// wait4's pid argument as the children it selects.
fn wait4_set(t: &Thread, pid: i32) -> Result<ChildSet, Errno> {
    Ok(match pid {
        -1 => ChildSet::Any,
        0 => ChildSet::Group(t.proc.table.pgid(t.proc.pid)?),
        p if p < 0 => ChildSet::Group(p.unsigned_abs()),
        p => ChildSet::Pid(p.unsigned_abs()),
    })
}

/// wait4(pid, wstatus, options, rusage).
fn wait4(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    if a[2] & !(COMMON | WUNTRACED) != 0 {
        return Err(Errno::EINVAL);
    }
    let which = wait4_set(t, low_i32(a[0]))?;
    let found = match wait_child(t, which, a[2] & WNOHANG != 0, false)? {
        Ok(found) => found,
        Err(restart) => return Ok(restart),
    };
    let Some((pid, how)) = found else {
        return Ok(0);
    };
    if a[1] != 0 {
        t.proc
            .mm
            .write_bytes(a[1], &how.wait_status().to_le_bytes())?;
    }
    if a[3] != 0 {
        t.proc.mm.write_bytes(a[3], &[0; RUSAGE_SIZE])?;
    }
    Ok(i64::from(pid))
}

/// waitid(idtype, id, infop, options, rusage).
fn waitid(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let options = a[3];
    if options & !(COMMON | WUNTRACED | WEXITED | WNOWAIT) != 0
        || options & (WEXITED | WUNTRACED | WCONTINUED) == 0
    {
        return Err(Errno::EINVAL);
    }
    let id = low_u32(a[1]);
    let which = match a[0] {
        P_ALL => ChildSet::Any,
        P_PID if id > 0 => ChildSet::Pid(id),
        P_PGID if id == 0 => ChildSet::Group(t.proc.table.pgid(t.proc.pid)?),
        P_PGID => ChildSet::Group(id),
        _ => return Err(Errno::EINVAL),
    };
    // Only ended children are ever reported: none stops or continues here.
    let found = match options & WEXITED {
        0 => t
            .proc
            .table
            .find_zombie(t.proc.pid, which, false)?
            .and(None),
        _ => match wait_child(t, which, options & WNOHANG != 0, options & WNOWAIT != 0)? {
            Ok(found) => found,
            Err(restart) => return Ok(restart),
        },
    };
    if a[2] != 0 {
        let info = match found {
            Some((pid, how)) => {
                let (code, status) = how.child_code();
                SigInfo::child(code, pid, status).encode()
            }
            // WNOHANG with no child ended: si_signo and si_pid read 0.
            None => [0; crate::abi::siginfo::SIGINFO_SIZE],
        };
        t.proc.mm.write_bytes(a[2], &info)?;
    }
    if a[4] != 0 && found.is_some() {
        t.proc.mm.write_bytes(a[4], &[0; RUSAGE_SIZE])?;
    }
    Ok(0)
}

/// A pid argument where 0 means the caller.
fn pid_or_self(t: &Thread, pid: u64) -> u32 {
    match low_u32(pid) {
        0 => t.proc.pid,
        p => p,
    }
}

/// Handles the process-relation calls; None if `n` is not one of them.
pub(crate) fn handle(t: &Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    let table = &t.proc.table;
    let pid = t.proc.pid;
    Some(ret(match n {
        nr::wait4 => wait4(t, a),
        nr::waitid => waitid(t, a),
        nr::getppid => Ok(i64::from(table.ppid(pid))),
        nr::getpgid => table.pgid(pid_or_self(t, a[0])).map(i64::from),
        nr::getsid => table.sid(pid_or_self(t, a[0])).map(i64::from),
        nr::setpgid => {
            if (a[1] as i64) < 0 {
                Err(Errno::EINVAL)
            } else {
                table.setpgid(pid, low_u32(a[0]), low_u32(a[1])).map(|()| 0)
            }
        }
        nr::setsid => table.setsid(pid).map(i64::from),
        _ => return None,
    }))
}
