//! getrusage: CPU time and context switches from the host (the emulator's work for the
//! process or the calling hart's thread) or, under a clock that schedules, from what its
//! scheduler measured; page faults from the memory manager's counters, and the resident
//! size from its frame count.

use crate::os::guest_clocks::CpuOf;
use crate::thread::Thread;
use mmu::stats::Counter;
use mmu::Errno;

/// getrusage's `who`: the calling process.
const RUSAGE_SELF: i64 = 0;
/// The calling thread.
const RUSAGE_THREAD: i64 = 1;
/// Children waited for: faultline's processes have none.
const RUSAGE_CHILDREN: i64 = -1;
/// Size of the riscv64 `struct rusage`: two timevals and fourteen longs.
const RUSAGE_SIZE: usize = 144;

/// The host's `getrusage(who)`.
fn host_rusage(who: libc::c_int) -> libc::rusage {
    // SAFETY: libc::rusage is plain data, for which all-zero bytes are a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: ru is a valid, writable rusage; `who` is one getrusage accepts.
    unsafe { libc::getrusage(who, &mut ru) };
    ru
}

/// The `struct rusage` of `who`.
fn rusage(t: &Thread, who: i64) -> Result<[u8; RUSAGE_SIZE], Errno> {
    let mut b = [0u8; RUSAGE_SIZE];
    let (host, of, (minor, major)) = match who {
        RUSAGE_CHILDREN => return Ok(b),
        RUSAGE_SELF => {
            let stats = t.proc.mm.stats();
            let sum = |name| stats.per_hart.values().filter_map(|h| h.get(name)).sum();
            (
                libc::RUSAGE_SELF,
                CpuOf::Process,
                (sum("faults.minor"), sum("faults.major")),
            )
        }
        RUSAGE_THREAD => {
            let s = t.mem.stats();
            let faults = (s.get(Counter::FaultsMinor), s.get(Counter::FaultsMajor));
            (libc::RUSAGE_THREAD, CpuOf::Thread, faults)
        }
        _ => return Err(Errno::EINVAL),
    };
    let clocks = &t.proc.clocks;
    // (user, system) time in microseconds, (voluntary, involuntary) context switches.
    let (times, switches) = if clocks.run_clock().is_virtual() {
        let s = clocks.sched_stats(of).unwrap_or_default();
        let voluntary = s.switches.saturating_sub(s.preemptions);
        ((s.run_ns / 1000, 0), (voluntary, s.preemptions))
    } else {
        let ru = host_rusage(host);
        let us = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000 + tv.tv_usec as u64;
        let switches = (ru.ru_nvcsw as u64, ru.ru_nivcsw as u64);
        ((us(ru.ru_utime), us(ru.ru_stime)), switches)
    };
    let mut put = |i: usize, v: u64| {
        let v = i64::try_from(v).unwrap_or(i64::MAX);
        b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
    };
    put(0, times.0 / 1_000_000);
    put(1, times.0 % 1_000_000);
    put(2, times.1 / 1_000_000);
    put(3, times.1 % 1_000_000);
    // ru_maxrss in KiB: the frames the address space holds now (faultline keeps no peak).
    put(4, u64::from(t.proc.mm.frames_in_use()) * 4);
    put(8, minor);
    put(9, major);
    put(16, switches.0);
    put(17, switches.1);
    Ok(b)
}

/// getrusage(who, usage).
pub(crate) fn getrusage(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let b = rusage(t, a[0] as i64)?;
    t.proc.mm.write_bytes(a[1], &b).map(|()| 0)
}
