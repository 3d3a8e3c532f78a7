//! Time system calls, all answered through the devices clock.

use super::{nr, ret, Outcome};
use crate::hart::Thread;
use devices::{Clock, HostClock};
use mmu::{AddressSpace, Errno};

/// The guest's wall clock.
pub const CLOCK_REALTIME: u64 = 0;
/// The guest's monotonic clock.
pub const CLOCK_MONOTONIC: u64 = 1;
const CLOCK_PROCESS_CPUTIME_ID: u64 = 2;
const CLOCK_THREAD_CPUTIME_ID: u64 = 3;
const CLOCK_MONOTONIC_RAW: u64 = 4;
const CLOCK_REALTIME_COARSE: u64 = 5;
const CLOCK_MONOTONIC_COARSE: u64 = 6;
const CLOCK_BOOTTIME: u64 = 7;
const TIMER_ABSTIME: u64 = 1;
const NS: u64 = 1_000_000_000;

/// Reads a guest `struct timespec` as nanoseconds; EINVAL if it is malformed.
pub fn read_timespec_ns(mm: &AddressSpace, addr: u64) -> Result<u64, Errno> {
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
pub fn write_timespec(mm: &AddressSpace, addr: u64, ns: u64) -> Result<(), Errno> {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&(ns / NS).to_le_bytes());
    b[8..].copy_from_slice(&(ns % NS).to_le_bytes());
    mm.write_bytes(addr, &b)
}

/// Reads a host clock (CPU-time clocks, and the uptime the guest's monotonic clock starts at).
fn host_cpu_time(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid, writable timespec.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * NS + ts.tv_nsec as u64
}

/// Where the guest's CLOCK_MONOTONIC stood when the emulator started: the host's uptime
/// then, so that the guest sees a machine that has been up a while (programs compute
/// "now minus a second") and its monotonic times are comparable with the host's.
fn monotonic_base_ns() -> u64 {
    static BASE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *BASE.get_or_init(|| {
        host_cpu_time(libc::CLOCK_MONOTONIC).saturating_sub(HostClock::global().now_ns())
    })
}

/// The time on guest clock `id`, in nanoseconds.
pub fn clock_ns(id: u64) -> Result<u64, Errno> {
    let c = HostClock::global();
    match id {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE => Ok(c.realtime_ns()),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => {
            Ok(monotonic_base_ns() + c.now_ns())
        }
        CLOCK_PROCESS_CPUTIME_ID => Ok(host_cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID)),
        CLOCK_THREAD_CPUTIME_ID => Ok(host_cpu_time(libc::CLOCK_THREAD_CPUTIME_ID)),
        _ => Err(Errno::EINVAL),
    }
}

/// Sleeps until `deadline_ns` on clock `id`, or for `ns` if relative.
fn sleep(id: u64, flags: u64, ns: u64) -> Result<i64, Errno> {
    let remaining = if flags & TIMER_ABSTIME != 0 {
        ns.saturating_sub(clock_ns(id)?)
    } else {
        ns
    };
    if remaining > 0 {
        HostClock::global().sleep_ns(remaining);
    }
    Ok(0)
}

/// Handles the time family; None if `n` is not one of them.
pub fn handle(t: &Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    let mm = &*t.proc.mm;
    Some(ret(match n {
        nr::clock_gettime => clock_ns(a[0])
            .and_then(|ns| write_timespec(mm, a[1], ns))
            .map(|_| 0),
        nr::clock_getres => clock_ns(a[0])
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
                let ns = HostClock::global().realtime_ns();
                let mut b = [0u8; 16];
                b[..8].copy_from_slice(&(ns / NS).to_le_bytes());
                b[8..].copy_from_slice(&((ns % NS) / 1000).to_le_bytes());
                mm.write_bytes(a[0], &b).map(|_| 0)
            } else {
                Ok(0)
            }
        }
        nr::nanosleep => read_timespec_ns(mm, a[0]).and_then(|ns| sleep(CLOCK_MONOTONIC, 0, ns)),
        nr::clock_nanosleep => read_timespec_ns(mm, a[2]).and_then(|ns| sleep(a[0], a[1], ns)),
        nr::times => {
            let ticks = host_cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID) / (NS / 100);
            if a[0] != 0 {
                let mut b = [0u8; 32];
                b[..8].copy_from_slice(&ticks.to_le_bytes());
                if let Err(e) = mm.write_bytes(a[0], &b) {
                    return Some(ret(Err(e)));
                }
            }
            Ok((HostClock::global().now_ns() / (NS / 100)) as i64)
        }
        _ => return None,
    }))
}
