//! futex(2), on the process's futex table.

use super::time::read_timespec_ns;
use crate::abi::outcome::{ret, Outcome};
use crate::abi::restart_codes::{ERESTARTSYS, ERESTART_RESTARTBLOCK};
use crate::os::futex_table::FUTEX_BITSET_MATCH_ANY;
use crate::os::guest_clocks::{CLOCK_MONOTONIC, CLOCK_REALTIME};
use crate::os::process::Process;
use crate::os::wait::WaitEnd;
use crate::thread::{RestartBlock, Thread};
use devices::cast::low_u32;
use devices::trace::{self, catalog, TraceArg, TraceValue};
use devices::WaitNote;
use mmu::Errno;

const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;
const FUTEX_REQUEUE: u64 = 3;
const FUTEX_CMP_REQUEUE: u64 = 4;
const FUTEX_WAKE_OP: u64 = 5;
const FUTEX_WAIT_BITSET: u64 = 9;
const FUTEX_WAKE_BITSET: u64 = 10;
const FUTEX_PRIVATE_FLAG: u64 = 128;
const FUTEX_CLOCK_REALTIME: u64 = 256;
/// The bits of a PI or robust futex word that hold its owner's thread id.
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
/// Where glibc's `pthread_mutex_t` keeps its owner's thread id, past its futex word.
const MUTEX_OWNER_OFFSET: u64 = 8;

/// A futex word must be naturally aligned.
fn check_aligned(addr: u64) -> Result<(), Errno> {
    if addr.is_multiple_of(4) {
        Ok(())
    } else {
        Err(Errno::EINVAL)
    }
}

/// A wake or requeue count: Linux refuses negative ones.
fn count(v: u64) -> Result<u32, Errno> {
    // The count is a C int in the kernel's interface.
    let c = low_u32(v) as i32;
    if c < 0 {
        Err(Errno::EINVAL)
    } else {
        Ok(c as u32)
    }
}

/// Handles futex(2).
pub(crate) fn sys_futex(t: &mut Thread, a: [u64; 6]) -> Outcome {
    ret(futex(t, a))
}

/// What a waiter on the futex word at `addr` waits for: the word and the value it waits
/// to see change, and the thread that likely holds it. glibc keeps a lock's owner in the
/// word's low 30 bits (PI and robust mutexes) or 8 bytes past it (`__owner` of a
/// normal `pthread_mutex_t`); a value there that is the id of a live thread of the
/// process is reported, as "likely": for other futexes it may be a coincidence.
fn futex_note(proc: &Process, addr: u64, val: u32) -> WaitNote {
    let owner_at = |at: u64, mask: u32| {
        let word = proc.mm.load_u32_atomic(at).ok()? & mask;
        (word != 0 && proc.thread(word).is_some()).then_some(word)
    };
    let mut holders: Vec<u32> = [
        owner_at(addr, FUTEX_TID_MASK),
        owner_at(addr.wrapping_add(MUTEX_OWNER_OFFSET), u32::MAX),
    ]
    .into_iter()
    .flatten()
    .collect();
    holders.dedup();
    // The report names the holders; the note says where they were read from.
    let what = if holders.is_empty() {
        format!("futex {addr:#x} (value {val})")
    } else {
        format!("futex {addr:#x} (value {val}; holder read from the lock word, likely)")
    };
    WaitNote { what, holders }
}

/// Waits on the futex word at `addr` while it holds `val`. Interrupted by a signal, an
/// untimed wait restarts if the handler has SA_RESTART, and a timed one fails with EINTR
/// (or continues to its deadline if no handler runs), as in Linux.
pub(crate) fn wait(
    t: &mut Thread,
    addr: u64,
    (val, bitset): (u32, u32),
    deadline_ns: Option<u64>,
) -> Result<i64, Errno> {
    let proc = t.proc.clone();
    let describe = || futex_note(&proc, addr, val);
    let waiter = t.waiter().described(&describe);
    trace::begin(
        catalog::FUTEX_WAIT,
        &[TraceArg::new(catalog::UADDR, TraceValue::Addr(addr))],
    );
    let end = proc
        .futexes
        .wait(&proc.mm, &waiter, addr, (val, bitset), deadline_ns);
    let result = match &end {
        Ok(WaitEnd::Ready(())) => "woken",
        Ok(WaitEnd::TimedOut) => "timeout",
        Ok(WaitEnd::Interrupted) => "interrupted",
        Err(_) => "again",
    };
    trace::end(&[TraceArg::new(catalog::RESULT, TraceValue::Str(result))]);
    match end? {
        WaitEnd::Ready(()) => Ok(0),
        WaitEnd::TimedOut => Err(Errno::ETIMEDOUT),
        WaitEnd::Interrupted => match deadline_ns {
            None => Ok(ERESTARTSYS),
            Some(deadline_ns) => {
                t.restart = Some(RestartBlock::Futex {
                    addr,
                    val,
                    bitset,
                    deadline_ns,
                });
                Ok(ERESTART_RESTARTBLOCK)
            }
        },
    }
}

fn futex(t: &mut Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let (addr, op, val) = (a[0], a[1], low_u32(a[2]));
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    if op & FUTEX_CLOCK_REALTIME != 0 && cmd != FUTEX_WAIT_BITSET {
        return Err(Errno::ENOSYS);
    }
    check_aligned(addr)?;
    let proc = t.proc.clone();
    let mm = &*proc.mm;
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let bitset = if cmd == FUTEX_WAIT {
                FUTEX_BITSET_MATCH_ANY
            } else {
                low_u32(a[5])
            };
            let deadline = if a[3] == 0 {
                None
            } else {
                let ns = read_timespec_ns(mm, a[3])?;
                if cmd == FUTEX_WAIT {
                    Some(proc.clocks.deadline_after(ns))
                } else {
                    // WAIT_BITSET takes an absolute time on the chosen clock.
                    let id = if op & FUTEX_CLOCK_REALTIME != 0 {
                        CLOCK_REALTIME
                    } else {
                        CLOCK_MONOTONIC
                    };
                    Some(proc.clocks.deadline_of(id, ns)?)
                }
            };
            wait(t, addr, (val, bitset), deadline)
        }
        FUTEX_WAKE => Ok(proc.futexes.wake(addr, val, FUTEX_BITSET_MATCH_ANY)),
        FUTEX_WAKE_BITSET => match low_u32(a[5]) {
            0 => Err(Errno::EINVAL),
            bits => Ok(proc.futexes.wake(addr, val, bits)),
        },
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            check_aligned(a[4])?;
            let (n_wake, n_move) = (count(a[2])?, count(a[3])?);
            let expect = (cmd == FUTEX_CMP_REQUEUE).then_some(low_u32(a[5]));
            proc.futexes
                .requeue(mm, (addr, a[4]), n_wake, n_move, expect)
        }
        FUTEX_WAKE_OP => {
            check_aligned(a[4])?;
            proc.futexes
                .wake_op(mm, (addr, val), (a[4], low_u32(a[3])), low_u32(a[5]))
        }
        _ => Err(Errno::ENOSYS),
    }
}
