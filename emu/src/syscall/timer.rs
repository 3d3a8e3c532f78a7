//! Timers that signal: setitimer/getitimer (ITIMER_REAL; glibc's alarm is setitimer)
//! and the POSIX timers (timer_create, timer_settime, timer_gettime,
//! timer_getoverrun, timer_delete) on CLOCK_REALTIME and CLOCK_MONOTONIC, notifying by
//! SIGEV_SIGNAL, SIGEV_THREAD_ID or not at all.

use super::time::{read_timespec_ns, write_timespec};
use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::abi::siginfo::{SigInfo, SigSource};
use crate::abi::signo::NSIG;
use crate::os::guest_clocks::{is_absolute, CLOCK_MONOTONIC, CLOCK_REALTIME, NS};
use crate::os::posix_timers::{Notify, PosixTimer, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD_ID};
use crate::os::timers::{Schedule, TimerKey};
use crate::thread::Thread;
use devices::cast::low_i32;
use mmu::{AddressSpace, Errno};

/// setitimer's only timer that counts real time.
const ITIMER_REAL: u64 = 0;
/// Clocks a POSIX timer may count on besides REALTIME and MONOTONIC.
const CLOCK_BOOTTIME: u64 = 7;
/// SIGALRM, a timer's signal when timer_create is given no sigevent.
const SIGALRM: i32 = 14;
/// Microseconds in a second.
const US: u64 = 1_000_000;

/// A timer's (interval, value) pair, in nanoseconds.
pub(crate) struct Setting {
    /// The period.
    pub interval_ns: u64,
    /// The time to the next expiry, or its absolute time.
    pub value_ns: u64,
}

/// Reads a `struct itimerval` (two timevals): EINVAL if a field is out of range.
fn read_itimerval(mm: &AddressSpace, addr: u64) -> Result<Setting, Errno> {
    let mut b = [0u8; 32];
    mm.read_bytes(addr, &mut b)?;
    let word = |i: usize| i64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("8"));
    let ns = |sec: i64, usec: i64| {
        if sec < 0 || !(0..US as i64).contains(&usec) {
            Err(Errno::EINVAL)
        } else {
            Ok((sec as u64)
                .saturating_mul(NS)
                .saturating_add(usec as u64 * 1000))
        }
    };
    Ok(Setting {
        interval_ns: ns(word(0), word(1))?,
        value_ns: ns(word(2), word(3))?,
    })
}

/// Writes a `struct itimerval`, rounding up to microseconds so an armed timer never
/// reads as disarmed.
fn write_itimerval(mm: &AddressSpace, addr: u64, s: &Setting) -> Result<(), Errno> {
    let mut b = [0u8; 32];
    for (i, ns) in [s.interval_ns, s.value_ns].into_iter().enumerate() {
        let us = ns.div_ceil(1000);
        b[i * 16..i * 16 + 8].copy_from_slice(&(us / US).to_le_bytes());
        b[i * 16 + 8..i * 16 + 16].copy_from_slice(&(us % US).to_le_bytes());
    }
    mm.write_bytes(addr, &b)
}

/// Reads a `struct itimerspec` (two timespecs).
pub(crate) fn read_itimerspec(mm: &AddressSpace, addr: u64) -> Result<Setting, Errno> {
    Ok(Setting {
        interval_ns: read_timespec_ns(mm, addr)?,
        value_ns: read_timespec_ns(mm, addr + 16)?,
    })
}

/// Writes a `struct itimerspec`.
pub(crate) fn write_itimerspec(mm: &AddressSpace, addr: u64, s: &Setting) -> Result<(), Errno> {
    write_timespec(mm, addr, s.interval_ns)?;
    write_timespec(mm, addr + 16, s.value_ns)
}

/// A schedule as the guest reads it: the time left and the period.
pub(crate) fn setting_of(t: &Thread, s: Schedule) -> Setting {
    let now = t.proc.clocks.run_clock().now_ns();
    Setting {
        interval_ns: s.interval_ns,
        value_ns: s.next_ns.map_or(0, |at| at.saturating_sub(now).max(1)),
    }
}

/// The schedule of `new`, whose value is relative, or absolute on guest clock `clock`
/// when `absolute`; a zero value disarms.
pub(crate) fn schedule_of(
    t: &Thread,
    new: &Setting,
    clock: u64,
    absolute: bool,
) -> Result<Schedule, Errno> {
    let clocks = &t.proc.clocks;
    let next_ns = match (new.value_ns, absolute) {
        (0, _) => None,
        (abs, true) => Some(clocks.deadline_of(clock, abs)?),
        (rel, false) => Some(clocks.deadline_after(rel)),
    };
    Ok(Schedule {
        next_ns,
        interval_ns: new.interval_ns,
    })
}

/// setitimer and getitimer.
fn itimer(t: &Thread, n: u64, a: [u64; 6]) -> Result<i64, Errno> {
    if a[0] != ITIMER_REAL {
        return Err(Errno::EINVAL);
    }
    let mm = &*t.proc.mm;
    let (new, old_addr) = match n {
        nr::getitimer => (None, a[1]),
        _ if a[1] == 0 => (None, a[2]),
        _ => (Some(read_itimerval(mm, a[1])?), a[2]),
    };
    let old = match new {
        None => t.proc.timers.get(TimerKey::RealItimer),
        Some(s) => {
            let schedule = schedule_of(t, &s, CLOCK_MONOTONIC, false)?;
            t.proc.timers.set(TimerKey::RealItimer, schedule)
        }
    };
    if old_addr != 0 {
        write_itimerval(mm, old_addr, &setting_of(t, old))?;
    }
    Ok(0)
}

/// Reads timer_create's `struct sigevent` (none: SIGALRM to the process, with the
/// timer's id as its value).
fn read_sigevent(t: &Thread, addr: u64) -> Result<Option<Notify>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let mut b = [0u8; 20];
    t.proc.mm.read_bytes(addr, &mut b)?;
    let value = u64::from_le_bytes(b[0..8].try_into().expect("8"));
    let signo = i32::from_le_bytes(b[8..12].try_into().expect("4"));
    let how = i32::from_le_bytes(b[12..16].try_into().expect("4"));
    let tid = u32::from_le_bytes(b[16..20].try_into().expect("4"));
    if how == SIGEV_NONE {
        return Ok(Some(Notify::Nothing));
    }
    if !usize::try_from(signo).is_ok_and(|s| (1..=NSIG).contains(&s)) {
        return Err(Errno::EINVAL);
    }
    let tid = match how {
        SIGEV_SIGNAL => None,
        SIGEV_THREAD_ID if t.proc.thread(tid).is_some() => Some(tid),
        _ => return Err(Errno::EINVAL),
    };
    Ok(Some(Notify::Signal { signo, value, tid }))
}

/// timer_create.
fn timer_create(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let clock = a[0];
    if !matches!(clock, CLOCK_REALTIME | CLOCK_MONOTONIC | CLOCK_BOOTTIME) {
        return Err(Errno::EINVAL);
    }
    let notify = read_sigevent(t, a[1])?;
    let timers = &t.proc.posix_timers;
    let id = timers.create(|id| {
        let default = Notify::Signal {
            signo: SIGALRM,
            value: id as u64,
            tid: None,
        };
        PosixTimer::new(clock, notify.unwrap_or(default))
    })?;
    if let Err(e) = t.proc.mm.write_bytes(a[2], &id.to_le_bytes()) {
        timers.delete(id)?;
        return Err(e);
    }
    Ok(i64::from(id))
}

/// timer_settime, timer_gettime, timer_getoverrun and timer_delete on timer `a[0]`.
fn timer_op(t: &Thread, n: u64, a: [u64; 6]) -> Result<i64, Errno> {
    let id = low_i32(a[0]);
    let timer = t.proc.posix_timers.get(id)?;
    let key = TimerKey::Posix(id);
    let mm = &*t.proc.mm;
    match n {
        nr::timer_settime => {
            let new = read_itimerspec(mm, a[2])?;
            let schedule = schedule_of(t, &new, timer.clock, is_absolute(a[1]))?;
            let old = t.proc.timers.set(key, schedule);
            if a[3] != 0 {
                write_itimerspec(mm, a[3], &setting_of(t, old))?;
            }
            Ok(0)
        }
        nr::timer_gettime => {
            write_itimerspec(mm, a[1], &setting_of(t, t.proc.timers.get(key)))?;
            Ok(0)
        }
        nr::timer_getoverrun => Ok(i64::from(timer.overrun_last)),
        _ => {
            t.proc.timers.remove(key);
            t.proc.posix_timers.delete(id)?;
            // Its queued signal goes with it, so it cannot be taken as a later timer's
            // that reuses the id.
            let its_own =
                |i: &SigInfo| matches!(i.source, SigSource::Timer { id: x, .. } if x == id);
            t.proc.discard_signals(&its_own);
            Ok(0)
        }
    }
}

/// Handles the timer family; None if `n` is not one of them.
pub(crate) fn handle(t: &Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    Some(ret(match n {
        nr::setitimer | nr::getitimer => itimer(t, n, a),
        nr::timer_create => timer_create(t, a),
        nr::timer_settime | nr::timer_gettime | nr::timer_getoverrun | nr::timer_delete => {
            timer_op(t, n, a)
        }
        _ => return None,
    }))
}
