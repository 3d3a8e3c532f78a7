//! The time system calls, answered from the process's guest clocks.

use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::abi::restart_codes::{ERESTARTNOHAND, ERESTART_RESTARTBLOCK};
use crate::os::guest_clocks::{is_absolute, CpuOf, CLOCK_MONOTONIC, NS};
use crate::os::wait::{WaitEnd, WaitLimits};
use crate::thread::{RestartBlock, Thread};
use mmu::{AddressSpace, Errno};

/// Reads a guest `struct timespec` as nanoseconds; EINVAL if it is malformed.
pub(crate) fn read_timespec_ns(mm: &AddressSpace, addr: u64) -> Result<u64, Errno> {
    let mut b = [0u8; 16];
    mm.read_bytes(addr, &mut b)?;
    let sec = i64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
    let nsec = i64::from_le_bytes(b[8..].try_into().expect("8 bytes"));
    if sec < 0 || !(0..NS as i64).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    Ok((sec as u64).saturating_mul(NS).saturating_add(nsec as u64))
}

/// Writes nanoseconds as a guest `struct timespec`.
pub(crate) fn write_timespec(mm: &AddressSpace, addr: u64, ns: u64) -> Result<(), Errno> {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&(ns / NS).to_le_bytes());
    b[8..].copy_from_slice(&(ns % NS).to_le_bytes());
    mm.write_bytes(addr, &b)
}

/// Sleeps until `deadline_ns` on the run clock. Interrupted by a signal, a relative sleep
/// writes the time left to `rem` (if not 0) and fails with EINTR if a handler runs, or
/// continues through restart_syscall if none does; an absolute one (`rem` None) is run
/// again unless a handler runs.
pub(crate) fn sleep_until(
    t: &mut Thread,
    deadline_ns: u64,
    rem: Option<u64>,
) -> Result<i64, Errno> {
    let limits = WaitLimits {
        deadline_ns: Some(deadline_ns),
        poll_every_ns: None,
    };
    let waiter = t.waiter().named("nanosleep");
    if waiter.wait(limits, || None::<()>) != WaitEnd::Interrupted {
        return Ok(0);
    }
    let Some(rem) = rem else {
        return Ok(ERESTARTNOHAND);
    };
    if rem != 0 {
        let left = deadline_ns.saturating_sub(t.proc.clocks.run_clock().now_ns());
        write_timespec(&t.proc.mm, rem, left)?;
    }
    t.restart = Some(RestartBlock::Sleep { deadline_ns, rem });
    Ok(ERESTART_RESTARTBLOCK)
}

/// nanosleep and clock_nanosleep.
fn nanosleep(t: &mut Thread, n: u64, a: [u64; 6]) -> Result<i64, Errno> {
    let (id, flags, req, rem) = match n {
        nr::nanosleep => (CLOCK_MONOTONIC, 0, a[0], a[1]),
        _ => (a[0], a[1], a[2], a[3]),
    };
    let ns = read_timespec_ns(&t.proc.mm, req)?;
    let deadline = t.proc.clocks.sleep_deadline(id, flags, ns)?;
    sleep_until(t, deadline, (!is_absolute(flags)).then_some(rem))
}

/// Handles the time family; None if `n` is not one of them.
pub(crate) fn handle(t: &mut Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    if matches!(n, nr::nanosleep | nr::clock_nanosleep) {
        return Some(ret(nanosleep(t, n, a)));
    }
    let mm = &*t.proc.mm;
    let clocks = &t.proc.clocks;
    Some(ret(match n {
        nr::clock_gettime => clocks
            .clock_ns(a[0])
            .and_then(|ns| write_timespec(mm, a[1], ns))
            .map(|_| 0),
        nr::clock_getres => clocks
            .clock_ns(a[0])
            .and_then(|_| {
                if a[1] != 0 {
                    write_timespec(mm, a[1], 1)
                } else {
                    Ok(())
                }
            })
            .map(|_| 0),
        nr::gettimeofday => {
            if a[0] != 0 {
                let ns = clocks.run_clock().realtime_ns();
                let mut b = [0u8; 16];
                b[..8].copy_from_slice(&(ns / NS).to_le_bytes());
                b[8..].copy_from_slice(&((ns % NS) / 1000).to_le_bytes());
                mm.write_bytes(a[0], &b).map(|_| 0)
            } else {
                Ok(0)
            }
        }
        nr::times => {
            // tms_utime; the system time, and the children's, stay 0.
            let ticks = clocks.cpu_ns(CpuOf::Process) / (NS / 100);
            if a[0] != 0 {
                let mut b = [0u8; 32];
                b[..8].copy_from_slice(&ticks.to_le_bytes());
                if let Err(e) = mm.write_bytes(a[0], &b) {
                    return Some(ret(Err(e)));
                }
            }
            Ok((clocks.run_clock().now_ns() / (NS / 100)) as i64)
        }
        _ => return None,
    }))
}
