//! timerfd_create, timerfd_settime and timerfd_gettime ([`crate::os::timer_fds`]).

use super::timer::{read_itimerspec, schedule_of, setting_of, write_itimerspec};
use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::os::guest_clocks::{CLOCK_MONOTONIC, CLOCK_REALTIME};
use crate::os::timer_fds;
use crate::os::timers::TimerKey;
use crate::thread::Thread;
use mmu::Errno;
use std::os::fd::{FromRawFd, OwnedFd};

/// CLOCK_BOOTTIME, the third clock a timerfd may count on.
const CLOCK_BOOTTIME: u64 = 7;
/// timerfd_settime: the expiry is absolute.
const TFD_TIMER_ABSTIME: u64 = 1;
/// timerfd_settime: cancel on a clock change (accepted; the clock is never set).
const TFD_TIMER_CANCEL_ON_SET: u64 = 2;

/// timerfd_create(clockid, flags): TFD_NONBLOCK and TFD_CLOEXEC are O_NONBLOCK and
/// O_CLOEXEC, the same on riscv64 as on the host.
fn create(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let (clock, flags) = (a[0], a[1]);
    let known = (libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) as u64;
    if !matches!(clock, CLOCK_REALTIME | CLOCK_MONOTONIC | CLOCK_BOOTTIME) || flags & !known != 0 {
        return Err(Errno::EINVAL);
    }
    let nonblock = if flags & libc::TFD_NONBLOCK as u64 != 0 {
        libc::EFD_NONBLOCK
    } else {
        0
    };
    // SAFETY: eventfd takes no pointers.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | nonblock) };
    if fd < 0 {
        let e = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        return Err(Errno(e));
    }
    // SAFETY: fd was just created and nothing else owns it.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let guest_fd = t
        .proc
        .files
        .install(owned, flags & libc::TFD_CLOEXEC as u64 != 0)?;
    let file = t.proc.files.fds.get(guest_fd)?;
    t.proc.timer_fds.add(&file, clock);
    Ok(i64::from(guest_fd))
}

/// timerfd_settime and timerfd_gettime.
fn set_or_get(t: &Thread, n: u64, a: [u64; 6]) -> Result<i64, Errno> {
    let file = t.proc.files.file(a[0])?;
    let (id, clock) = t.proc.timer_fds.find(&file)?;
    let key = TimerKey::Fd(id);
    let mm = &*t.proc.mm;
    if n == nr::timerfd_gettime {
        write_itimerspec(mm, a[1], &setting_of(t, t.proc.timers.get(key)))?;
        return Ok(0);
    }
    if a[1] & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(Errno::EINVAL);
    }
    let new = read_itimerspec(mm, a[2])?;
    let schedule = schedule_of(t, &new, clock, a[1] & TFD_TIMER_ABSTIME != 0)?;
    // Expirations counted under the old setting are forgotten, as on Linux.
    timer_fds::reset_count(&file);
    let old = t.proc.timers.set(key, schedule);
    if a[3] != 0 {
        write_itimerspec(mm, a[3], &setting_of(t, old))?;
    }
    Ok(0)
}

/// Handles the timerfd family; None if `n` is not one of them.
pub(crate) fn handle(t: &Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    Some(ret(match n {
        nr::timerfd_create => create(t, a),
        nr::timerfd_settime | nr::timerfd_gettime => set_or_get(t, n, a),
        _ => return None,
    }))
}
