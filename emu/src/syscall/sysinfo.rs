//! System information and per-process settings: uname, ids, limits,
//! randomness, riscv_hwprobe, icache flushes, prctl names, priorities.

use crate::abi::layout::STACK_SIZE;
use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::os::process::host_ids;
use crate::thread::Thread;
use devices::cast::{low_u32, u64_to_usize};
use mmu::Errno;

const RLIMIT_STACK: u64 = 3;
const RLIMIT_NOFILE: u64 = 7;
const RLIM_INFINITY: u64 = u64::MAX;
const PR_SET_NAME: u64 = 15;
const PR_GET_NAME: u64 = 16;
/// prctl: make the caller the reaper of its descendants' orphans.
const PR_SET_CHILD_SUBREAPER: u64 = 36;
/// prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, addr, len, name): names anonymous memory.
const PR_SET_VMA: u64 = 0x53564d41;
const PR_SET_VMA_ANON_NAME: u64 = 0;

fn uname_bytes() -> Vec<u8> {
    // struct utsname: six fields of 65 bytes.
    let mut host = [0u8; 65];
    // SAFETY: host is a writable 65-byte buffer; gethostname NUL-terminates within it.
    unsafe { libc::gethostname(host.as_mut_ptr().cast(), 64) };
    let fields: [&[u8]; 6] = [
        b"Linux",
        &host,
        b"6.12.0-faultline",
        b"#1 SMP",
        b"riscv64",
        b"(none)",
    ];
    let mut out = vec![0u8; 65 * 6];
    for (i, f) in fields.iter().enumerate() {
        let n = f.iter().position(|&c| c == 0).unwrap_or(f.len()).min(64);
        out[i * 65..i * 65 + n].copy_from_slice(&f[..n]);
    }
    out
}

fn rlimit(resource: u64) -> Result<(u64, u64), Errno> {
    match resource {
        RLIMIT_STACK => Ok((STACK_SIZE, RLIM_INFINITY)),
        RLIMIT_NOFILE => Ok((1024, 4096)),
        0..=15 => Ok((RLIM_INFINITY, RLIM_INFINITY)),
        _ => Err(Errno::EINVAL),
    }
}

/// riscv_hwprobe keys and the values faultline's harts report.
fn hwprobe(key: i64) -> Option<u64> {
    match key {
        0..=2 => Some(0), // mvendorid, marchid, mimpid: not a real vendor
        3 => Some(1),     // BASE_BEHAVIOR: IMA
        4 => Some(1 | 2), // IMA_EXT_0: FD and C
        5 => Some(0),     // CPUPERF_0: misaligned access speed unknown
        _ => None,
    }
}

fn hwprobe_pairs(t: &Thread, addr: u64, count: u64) -> Result<i64, Errno> {
    let mm = &*t.proc.mm;
    for i in 0..count.min(1024) {
        let at = addr + i * 16;
        let mut b = [0u8; 8];
        mm.read_bytes(at, &mut b)?;
        let key = i64::from_le_bytes(b);
        let (k, v) = match hwprobe(key) {
            Some(v) => (key, v),
            None => (-1, 0),
        };
        mm.write_bytes(at, &k.to_le_bytes())?;
        mm.write_bytes(at + 8, &v.to_le_bytes())?;
    }
    Ok(0)
}

/// PR_SET_VMA_ANON_NAME: the name (a NUL-terminated string, or NULL to unname) is read
/// as Linux's `strndup_user` does: a name without a NUL in its first 80 bytes is too long.
fn set_anon_name(t: &Thread, a: [u64; 6]) -> Result<(), Errno> {
    let mm = &t.proc.mm;
    let name = match a[4] {
        0 => None,
        ptr => Some(mm.read_cstring(ptr, mmu::madvise::ANON_NAME_MAX + 1)?),
    };
    mm.set_anon_name(a[2], a[3], name.as_deref())
}

/// Handles the information family; None if `n` is not one of them.
pub(crate) fn handle(t: &mut Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    let mm = t.proc.mm.clone();
    let ids = host_ids();
    Some(match n {
        nr::uname => ret(mm.write_bytes(a[0], &uname_bytes()).map(|_| 0)),
        nr::getuid => Outcome::Return(ids.0 as i64),
        nr::geteuid => Outcome::Return(ids.1 as i64),
        nr::getgid => Outcome::Return(ids.2 as i64),
        nr::getegid => Outcome::Return(ids.3 as i64),
        nr::getrandom => {
            let mut buf = vec![0u8; u64_to_usize(a[1]).min(1 << 20)];
            t.proc.opts.getrandom.fill(&mut buf);
            ret(mm.write_bytes(a[0], &buf).map(|_| buf.len() as i64))
        }
        nr::prlimit64 | nr::getrlimit | nr::setrlimit => {
            let (resource, new, old) = match n {
                nr::prlimit64 => {
                    if a[0] != 0 && low_u32(a[0]) != t.proc.pid {
                        return Some(ret(Err(Errno::ESRCH)));
                    }
                    (a[1], a[2], a[3])
                }
                nr::getrlimit => (a[0], 0, a[1]),
                _ => (a[0], a[1], 0),
            };
            let r = rlimit(resource).and_then(|(cur, max)| {
                if old != 0 {
                    let mut b = [0u8; 16];
                    b[..8].copy_from_slice(&cur.to_le_bytes());
                    b[8..].copy_from_slice(&max.to_le_bytes());
                    mm.write_bytes(old, &b)?;
                }
                // New limits are accepted; faultline does not enforce them yet.
                let _ = new;
                Ok(0)
            });
            ret(r)
        }
        nr::getcpu => {
            let cpu = (t.tid - t.proc.pid) as u64 % t.proc.cpus() as u64;
            let r = (|| {
                if a[0] != 0 {
                    mm.write_bytes(a[0], &low_u32(cpu).to_le_bytes())?;
                }
                if a[1] != 0 {
                    mm.write_bytes(a[1], &0u32.to_le_bytes())?;
                }
                Ok(0)
            })();
            ret(r)
        }
        nr::riscv_hwprobe => {
            if a[4] != 0 {
                ret(Err(Errno::EINVAL))
            } else {
                ret(hwprobe_pairs(t, a[0], a[1]))
            }
        }
        nr::riscv_flush_icache => {
            mm.flush_icache_all();
            Outcome::Return(0)
        }
        nr::prctl => match a[0] {
            PR_SET_NAME => {
                let r = mm.read_cstring(a[1], 16).map(|name| {
                    let name = &name[..name.len().min(15)];
                    devices::trace::thread_name(name);
                    t.name = String::from_utf8_lossy(name).into_owned();
                    t.proc.names.set(t.tid, &t.name);
                });
                if r.is_ok() {
                    super::sched::take_named_priorities(t);
                }
                ret(r.map(|()| 0))
            }
            PR_GET_NAME => {
                let mut b = [0u8; 16];
                let n = t.name.len().min(15);
                b[..n].copy_from_slice(&t.name.as_bytes()[..n]);
                ret(mm.write_bytes(a[1], &b).map(|_| 0))
            }
            // Every orphan goes to the initial process here, the reaper of them all; a
            // subreaper elsewhere in the tree is accepted and has no effect.
            PR_SET_CHILD_SUBREAPER => Outcome::Return(0),
            PR_SET_VMA if a[1] == PR_SET_VMA_ANON_NAME => ret(set_anon_name(t, a).map(|_| 0)),
            _ => ret(Err(Errno::EINVAL)),
        },
        nr::sysinfo => {
            // struct sysinfo on 64-bit: uptime, loads[3], totalram, freeram, sharedram,
            // bufferram, totalswap, freeswap (all 8 bytes), procs u16, pad, totalhigh,
            // freehigh, mem_unit u32 — 112 bytes.
            let mut b = [0u8; 112];
            let up = t.proc.clocks.run_clock().now_ns() / 1_000_000_000;
            b[..8].copy_from_slice(&up.to_le_bytes());
            b[32..40].copy_from_slice(&(8u64 << 30).to_le_bytes());
            b[40..48].copy_from_slice(&(4u64 << 30).to_le_bytes());
            b[80..82].copy_from_slice(&1u16.to_le_bytes());
            b[104..108].copy_from_slice(&1u32.to_le_bytes());
            ret(mm.write_bytes(a[0], &b).map(|_| 0))
        }
        nr::getrusage => ret(super::rusage::getrusage(t, a)),
        nr::membarrier => Outcome::Return(0),
        nr::personality => Outcome::Return(0),
        _ => return None,
    })
}
