//! The CPU scheduling calls: the policy and real-time priority (sched_setscheduler,
//! sched_setparam and their getters), nice (setpriority), the CPU affinity and
//! sched_yield. Each names a thread of the process (0: the caller); the process's
//! [`SchedTable`](crate::os::priorities::SchedTable) keeps what they set and the run's
//! clock schedules by it (the virtual clock does; the host clock leaves it to the host).

use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::os::thread_prio::rule_for;
use crate::thread::Thread;
use devices::cast::{low_i32, low_u32, u64_to_usize};
use devices::storage::IoPriority;
use devices::{SchedParams, SchedPolicy};
use mmu::Errno;

/// setpriority's `which`: one thread.
const PRIO_PROCESS: u64 = 0;
/// A process group: faultline's one process.
const PRIO_PGRP: u64 = 1;
/// A user's processes: faultline's one process.
const PRIO_USER: u64 = 2;
/// The flag sched_setscheduler ORs into the policy; it does not change the class.
const SCHED_RESET_ON_FORK: u32 = 0x4000_0000;
/// The highest real-time priority (the lowest is 1).
const MAX_RT_PRIO: u32 = 99;
/// SCHED_RR's time slice, as Linux's `RR_TIMESLICE`.
const RR_TIMESLICE_NS: u64 = 100_000_000;
/// The most bytes of a CPU mask the affinity calls look at (1024 CPUs).
const MAX_MASK_BYTES: usize = 128;

/// The live thread a call names by `pid` (0: the caller); ESRCH if there is none.
fn target(t: &Thread, pid: u32) -> Result<u32, Errno> {
    match pid {
        0 => Ok(t.tid),
        tid if t.proc.thread(tid).is_some() => Ok(tid),
        _ => Err(Errno::ESRCH),
    }
}

/// The thread a sched_* call names by its `pid_t` argument: EINVAL if negative.
fn sched_target(t: &Thread, pid: u64) -> Result<u32, Errno> {
    if low_i32(pid) < 0 {
        return Err(Errno::EINVAL);
    }
    target(t, low_u32(pid))
}

/// Thread `tid`'s scheduling parameters.
fn params_of(t: &Thread, tid: u32) -> SchedParams {
    t.proc.sched.get(tid).unwrap_or(if tid == t.tid {
        t.prio.sched
    } else {
        SchedParams::default()
    })
}

/// Gives thread `tid` new scheduling parameters: recorded for the process, handed to the
/// clock's scheduler, and for the caller itself applied to its memory path too (its I/O
/// priority and real-time lock waits follow them). A clock that schedules may then run a
/// thread the change put first.
fn update(t: &mut Thread, tid: u32, params: SchedParams) {
    t.proc.sched.mark_chosen(tid);
    set_params(t, tid, params);
}

/// Records thread `tid`'s new parameters and hands them to the clock's scheduler (and,
/// for the caller, to its memory path).
fn set_params(t: &mut Thread, tid: u32, params: SchedParams) {
    let proc = t.proc.clone();
    let clock = proc.clocks.run_clock();
    let task = if tid == t.tid {
        clock.current_task()
    } else {
        clock.task_of_tid(tid)
    };
    proc.sched.set(clock, tid, task, params);
    if tid == t.tid && t.prio.sched != params {
        t.prio.sched = params;
        t.prio.apply(&mut t.mem);
    }
    clock.yield_point();
}

/// Gives the caller the priorities `--thread-prio` names for its (new) name, unless the
/// guest chose its own: a scheduling call for it, or an I/O priority it set.
pub(crate) fn take_named_priorities(t: &mut Thread) {
    let Some(rule) = rule_for(&t.proc.opts.thread_prio, &t.name) else {
        return;
    };
    if t.proc.sched.chosen(t.tid) || t.prio.io != IoPriority::DEFAULT {
        return;
    }
    let p = rule.apply(t.prio);
    t.prio.io = p.io;
    t.prio.apply(&mut t.mem);
    if p.sched != t.prio.sched {
        set_params(t, t.tid, p.sched);
    }
}

/// Takes up what another thread set for the caller since its last scheduling call, so
/// its memory path follows it.
fn refresh_own(t: &mut Thread) {
    if let Some(p) = t.proc.sched.get(t.tid).filter(|p| *p != t.prio.sched) {
        t.prio.sched = p;
        t.prio.apply(&mut t.mem);
    }
}

/// Reads a guest `struct sched_param` (its one int, the priority); EINVAL for NULL.
fn read_param(t: &Thread, addr: u64) -> Result<u32, Errno> {
    if addr == 0 {
        return Err(Errno::EINVAL);
    }
    let mut b = [0u8; 4];
    t.proc.mm.read_bytes(addr, &mut b)?;
    // A negative priority is as invalid as one above 99.
    Ok(u32::from_le_bytes(b))
}

/// `params` with `policy` and real-time `priority`, as sched_setscheduler checks them:
/// 1..=99 for the real-time policies, 0 for the others. SCHED_DEADLINE needs
/// sched_setattr's runtime and period, so it is refused here as Linux does.
fn with_policy(
    params: SchedParams,
    policy: SchedPolicy,
    priority: u32,
) -> Result<SchedParams, Errno> {
    let rt = matches!(policy, SchedPolicy::Fifo | SchedPolicy::RoundRobin);
    let valid = if rt {
        (1..=MAX_RT_PRIO).contains(&priority)
    } else {
        priority == 0 && policy != SchedPolicy::Deadline
    };
    if !valid {
        return Err(Errno::EINVAL);
    }
    Ok(SchedParams {
        policy,
        rt_priority: priority,
        ..params
    })
}

/// sched_setscheduler(pid, policy, param), or sched_setparam(pid, param) when `policy`
/// is None (the thread keeps its policy).
fn set_scheduler(t: &mut Thread, pid: u64, policy: Option<u64>, param: u64) -> Result<i64, Errno> {
    let policy = match policy {
        None => None,
        Some(p) if low_i32(p) < 0 => return Err(Errno::EINVAL),
        Some(p) => Some(SchedPolicy::from_number(low_u32(p) & !SCHED_RESET_ON_FORK)),
    };
    if low_i32(pid) < 0 {
        return Err(Errno::EINVAL);
    }
    let priority = read_param(t, param)?;
    let tid = sched_target(t, pid)?;
    let old = params_of(t, tid);
    let policy = match policy {
        None => old.policy,
        Some(p) => p.ok_or(Errno::EINVAL)?,
    };
    update(t, tid, with_policy(old, policy, priority)?);
    Ok(0)
}

/// sched_get_priority_max/min(policy).
fn priority_bound(policy: u64, max: bool) -> Result<i64, Errno> {
    let policy = SchedPolicy::from_number(low_u32(policy))
        .filter(|_| low_i32(policy) >= 0)
        .ok_or(Errno::EINVAL)?;
    Ok(match (policy, max) {
        (SchedPolicy::Fifo | SchedPolicy::RoundRobin, true) => i64::from(MAX_RT_PRIO),
        (SchedPolicy::Fifo | SchedPolicy::RoundRobin, false) => 1,
        _ => 0,
    })
}

/// sched_rr_get_interval(pid, tp): SCHED_RR's slice; 0 for SCHED_FIFO, which has none,
/// and for the fair policies, whose slice the scheduler decides as it goes.
fn rr_interval(t: &Thread, pid: u64, tp: u64) -> Result<i64, Errno> {
    let tid = sched_target(t, pid)?;
    let ns = match params_of(t, tid).policy {
        SchedPolicy::RoundRobin => RR_TIMESLICE_NS,
        _ => 0,
    };
    super::time::write_timespec(&t.proc.mm, tp, ns).map(|()| 0)
}

/// The threads setpriority's `which` and `who` name; ESRCH if none, EINVAL for an
/// unknown `which`. A process group or user is faultline's one process, named by 0, its
/// process id or the user id it runs as.
fn prio_targets(t: &Thread, which: u64, who: u64) -> Result<Vec<u32>, Errno> {
    let who = low_u32(who);
    let whole_process = match which {
        PRIO_PROCESS => return target(t, who).map(|tid| vec![tid]),
        PRIO_PGRP => who == 0 || who == t.proc.pid,
        PRIO_USER => who == 0 || who == crate::os::process::host_ids().1,
        _ => return Err(Errno::EINVAL),
    };
    if !whole_process {
        return Err(Errno::ESRCH);
    }
    Ok(t.proc.live_threads().iter().map(|s| s.tid).collect())
}

/// setpriority(which, who, nice): the nice value, clamped to -20..=19 as Linux does.
fn set_priority(t: &mut Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let nice = low_i32(a[2]).clamp(-20, 19);
    for tid in prio_targets(t, a[0], a[1])? {
        let params = params_of(t, tid);
        update(t, tid, SchedParams { nice, ..params });
    }
    Ok(0)
}

/// getpriority(which, who): `20 - nice` (the system call's biased form) of the highest
/// priority among the threads named.
fn get_priority(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let tids = prio_targets(t, a[0], a[1])?;
    let nice = tids.iter().map(|&tid| params_of(t, tid).nice).min();
    Ok(i64::from(20 - nice.ok_or(Errno::ESRCH)?))
}

/// The CPUs the guest sees, as a mask check: whether CPU `cpu` is one of them and in
/// `affinity`. Affinity masks keep 64 CPUs; beyond those, only the full mask allows.
fn allowed(affinity: u64, cpu: usize) -> bool {
    match u32::try_from(cpu).ok().and_then(|c| 1u64.checked_shl(c)) {
        Some(bit) => affinity & bit != 0,
        None => affinity == u64::MAX,
    }
}

/// sched_setaffinity(pid, len, mask): the CPUs the thread may run on, those of the mask
/// that exist; EINVAL if none does.
fn set_affinity(t: &mut Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let tid = sched_target(t, a[0])?;
    let mut mask = vec![0u8; u64_to_usize(a[1]).min(MAX_MASK_BYTES)];
    t.proc.mm.read_bytes(a[2], &mut mask)?;
    let cpus = t.proc.cpus();
    let bit = |c: usize| mask.get(c / 8).is_some_and(|b| b & (1 << (c % 8)) != 0);
    let mut affinity = 0u64;
    let mut any = false;
    for c in 0..cpus {
        if bit(c) {
            any = true;
            if c < 64 {
                affinity |= 1 << c;
            }
        }
    }
    if !any {
        return Err(Errno::EINVAL);
    }
    // A mask naming every CPU is the full one, so that CPUs past 64 stay allowed.
    if (0..cpus).all(bit) {
        affinity = u64::MAX;
    }
    let params = params_of(t, tid);
    update(t, tid, SchedParams { affinity, ..params });
    Ok(0)
}

/// sched_getaffinity(pid, len, mask): writes the mask of the CPUs the thread may run on
/// and returns its size in bytes: as Linux, the kernel's mask size (whole longs for the
/// CPUs there are), which glibc clears the rest of the caller's buffer after.
fn get_affinity(t: &Thread, a: [u64; 6]) -> Result<i64, Errno> {
    let size = u64_to_usize(a[1]);
    let cpus = t.proc.cpus();
    if size.saturating_mul(8) < cpus || !size.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    let tid = sched_target(t, a[0])?;
    let affinity = params_of(t, tid).affinity;
    let mut mask = vec![0u8; size.min(cpus.div_ceil(64) * 8).min(MAX_MASK_BYTES)];
    for c in (0..cpus).filter(|&c| allowed(affinity, c)) {
        mask[c / 8] |= 1 << (c % 8);
    }
    t.proc.mm.write_bytes(a[2], &mask)?;
    Ok(mask.len() as i64)
}

/// Handles the scheduling calls; None if `n` is not one of them.
pub(crate) fn handle(t: &mut Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    if !matches!(
        n,
        nr::sched_setscheduler
            | nr::sched_getscheduler
            | nr::sched_setparam
            | nr::sched_getparam
            | nr::sched_get_priority_max
            | nr::sched_get_priority_min
            | nr::sched_rr_get_interval
            | nr::setpriority
            | nr::getpriority
            | nr::sched_setaffinity
            | nr::sched_getaffinity
            | nr::sched_yield
    ) {
        return None;
    }
    refresh_own(t);
    Some(ret(match n {
        nr::sched_setscheduler => set_scheduler(t, a[0], Some(a[1]), a[2]),
        nr::sched_setparam => set_scheduler(t, a[0], None, a[1]),
        nr::sched_getscheduler => {
            sched_target(t, a[0]).map(|tid| i64::from(params_of(t, tid).policy.number()))
        }
        nr::sched_getparam => (|| {
            if a[1] == 0 {
                return Err(Errno::EINVAL);
            }
            let tid = sched_target(t, a[0])?;
            let priority = params_of(t, tid).rt_priority;
            t.proc.mm.write_bytes(a[1], &priority.to_le_bytes())?;
            Ok(0)
        })(),
        nr::sched_get_priority_max => priority_bound(a[0], true),
        nr::sched_get_priority_min => priority_bound(a[0], false),
        nr::sched_rr_get_interval => rr_interval(t, a[0], a[1]),
        nr::setpriority => set_priority(t, a),
        nr::getpriority => get_priority(t, a),
        nr::sched_setaffinity => set_affinity(t, a),
        nr::sched_getaffinity => get_affinity(t, a),
        _ => {
            // sched_yield: the virtual clock offers the CPU to another runnable task;
            // on the host, the host's scheduler does.
            let clock = t.proc.clocks.run_clock();
            if clock.is_virtual() {
                clock.yield_cpu();
            } else {
                std::thread::yield_now();
            }
            Ok(0)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_time_policies_need_a_priority_and_the_others_refuse_one() {
        let p = SchedParams::default();
        assert_eq!(with_policy(p, SchedPolicy::Fifo, 0), Err(Errno::EINVAL));
        assert_eq!(with_policy(p, SchedPolicy::Fifo, 100), Err(Errno::EINVAL));
        assert_eq!(with_policy(p, SchedPolicy::Other, 1), Err(Errno::EINVAL));
        assert_eq!(with_policy(p, SchedPolicy::Deadline, 0), Err(Errno::EINVAL));
        let rr = with_policy(SchedParams { nice: 5, ..p }, SchedPolicy::RoundRobin, 99);
        let rr = rr.expect("valid");
        assert_eq!(
            (rr.policy, rr.rt_priority, rr.nice),
            (SchedPolicy::RoundRobin, 99, 5)
        );
        let idle = with_policy(rr, SchedPolicy::Idle, 0).expect("valid");
        assert_eq!((idle.policy, idle.rt_priority), (SchedPolicy::Idle, 0));
    }

    #[test]
    fn priority_bounds_follow_the_policy() {
        assert_eq!(priority_bound(1, true), Ok(99));
        assert_eq!(priority_bound(2, false), Ok(1));
        assert_eq!(priority_bound(0, true), Ok(0));
        assert_eq!(priority_bound(4, true), Err(Errno::EINVAL));
        assert_eq!(priority_bound(u64::MAX, false), Err(Errno::EINVAL));
    }

    #[test]
    fn affinity_bits_past_64_cpus_follow_the_full_mask() {
        assert!(allowed(0b10, 1));
        assert!(!allowed(0b10, 0));
        assert!(allowed(u64::MAX, 100));
        assert!(!allowed(u64::MAX - 1, 100));
    }
}
