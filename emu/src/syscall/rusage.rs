//! getrusage: CPU time and context switches from the host (the emulator's work for the
//! process or the calling hart's thread), page faults from the memory manager's
//! counters, and the resident size from its frame count.

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
    let (host, (minor, major)) = match who {
        RUSAGE_CHILDREN => return Ok(b),
        RUSAGE_SELF => {
            let stats = t.proc.mm.stats();
            let sum = |name| stats.per_hart.values().filter_map(|h| h.get(name)).sum();
            (
                libc::RUSAGE_SELF,
                (sum("faults.minor"), sum("faults.major")),
            )
        }
        RUSAGE_THREAD => {
            let s = t.mem.stats();
            let faults = (s.get(Counter::FaultsMinor), s.get(Counter::FaultsMajor));
            (libc::RUSAGE_THREAD, faults)
        }
        _ => return Err(Errno::EINVAL),
    };
    let ru = host_rusage(host);
    let mut put = |i: usize, v: i64| b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
    put(0, ru.ru_utime.tv_sec);
    put(1, ru.ru_utime.tv_usec);
    put(2, ru.ru_stime.tv_sec);
    put(3, ru.ru_stime.tv_usec);
    // ru_maxrss in KiB: the frames the address space holds now (faultline keeps no peak).
    put(4, i64::from(t.proc.mm.frames_in_use()) * 4);
    put(8, i64::try_from(minor).unwrap_or(i64::MAX));
    put(9, i64::try_from(major).unwrap_or(i64::MAX));
    put(16, ru.ru_nvcsw);
    put(17, ru.ru_nivcsw);
    Ok(b)
}

/// getrusage(who, usage).
pub(crate) fn getrusage(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let b = rusage(t, a[0] as i64)?;
    t.proc.mm.write_bytes(a[1], &b).map(|()| 0)
}
