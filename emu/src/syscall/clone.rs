//! Threads: clone/clone3 (each guest thread a new hart on its own host thread), exit,
//! exit_group, thread ids, robust lists and futex.

use super::futex;
use crate::abi::altstack::AltStack;
use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::cpu::Cpu;
use crate::thread::Thread;
use devices::cast::u64_to_usize;
use devices::trace::{self, Owner};
use devices::TaskKind;
use mmu::Errno;

const CLONE_VM: u64 = 0x100;
const CLONE_FS: u64 = 0x200;
const CLONE_FILES: u64 = 0x400;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_THREAD: u64 = 0x10000;
const CLONE_SYSVSEM: u64 = 0x40000;
const CLONE_SETTLS: u64 = 0x80000;
const CLONE_PARENT_SETTID: u64 = 0x100000;
const CLONE_CHILD_CLEARTID: u64 = 0x200000;
const CLONE_DETACHED: u64 = 0x400000;
const CLONE_CHILD_SETTID: u64 = 0x0100_0000;
/// The flags a thread-creating clone may carry.
const THREAD_FLAGS: u64 = CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_DETACHED
    | CLONE_CHILD_SETTID;
/// Host stack for a hart's thread: the interpreter does not recurse, so this is ample.
const HART_STACK_BYTES: usize = 4 << 20;

/// The arguments of a thread-creating clone, from clone or clone3.
struct CloneArgs {
    flags: u64,
    stack: u64,
    parent_tid: u64,
    child_tid: u64,
    tls: u64,
}

fn clone_thread(t: &mut Thread, cpu: &Cpu, c: CloneArgs) -> Result<i64, Errno> {
    let needed = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND;
    if c.flags & needed != needed || c.flags & !(THREAD_FLAGS | 0xff) != 0 {
        t.proc.warn_unsupported_clone(c.flags);
        return Err(Errno::ENOSYS);
    }
    let proc = t.proc.clone();
    let tid = proc.alloc_tid();
    let mut child = cpu.fork_thread();
    child.x[10] = 0;
    if c.stack != 0 {
        child.x[2] = c.stack;
    }
    if c.flags & CLONE_SETTLS != 0 {
        child.x[4] = c.tls;
    }
    if c.flags & CLONE_PARENT_SETTID != 0 {
        proc.mm.write_bytes(c.parent_tid, &tid.to_le_bytes())?;
    }
    if c.flags & CLONE_CHILD_SETTID != 0 {
        proc.mm.write_bytes(c.child_tid, &tid.to_le_bytes())?;
    }
    // Attached before the parent returns, so the new hart takes part in every shootdown
    // from the moment the guest can know its tid.
    let mut mem = proc.mm.attach_hart(tid);
    t.prio.apply(&mut mem);
    let (live, sig) = proc.add_thread(tid, &t.name, mem.signal(), t.sigmask());
    let thread = Thread {
        proc: proc.clone(),
        mem,
        tid,
        live,
        clear_child_tid: if c.flags & CLONE_CHILD_CLEARTID != 0 {
            c.child_tid
        } else {
            0
        },
        sig,
        saved_sigmask: None,
        restart: None,
        altstack: AltStack::DISABLED,
        name: t.name.clone(),
        prio: t.prio,
        start: t.start,
    };
    let start = t.start;
    // A task of the run's clock, registered now so that task numbers follow the order
    // in which the guest creates its threads.
    let name = format!("hart-{tid}");
    let builder = std::thread::Builder::new()
        .name(name.clone())
        .stack_size(HART_STACK_BYTES);
    let recorder = trace::current();
    let comm = t.name.clone();
    devices::spawn_task(
        proc.mm.clock(),
        builder,
        &name,
        TaskKind::Hart { tid },
        move || {
            if let Some(r) = recorder {
                r.attach(Owner::Hart { tid, name: comm });
            }
            start(thread, child);
        },
    )
    .map_err(|_| Errno::EAGAIN)?;
    proc.sched
        .inherit(proc.clocks.run_clock(), (t.tid, t.prio.sched), tid);
    Ok(tid as i64)
}

/// Handles the thread family; None if `n` is not one of them.
pub(crate) fn handle(t: &mut Thread, cpu: &Cpu, n: u64, a: [u64; 6]) -> Option<Outcome> {
    let mm = t.proc.mm.clone();
    Some(match n {
        nr::clone => {
            // riscv64 uses the CLONE_BACKWARDS order: flags, stack, ptid, tls, ctid.
            let c = CloneArgs {
                flags: a[0],
                stack: a[1],
                parent_tid: a[2],
                tls: a[3],
                child_tid: a[4],
            };
            ret(clone_thread(t, cpu, c))
        }
        nr::clone3 => {
            let size = u64_to_usize(a[1]);
            if !(64..=4096).contains(&size) {
                return Some(ret(Err(Errno::EINVAL)));
            }
            let mut b = [0u8; 88];
            let len = size.min(88);
            if let Err(e) = mm.read_bytes(a[0], &mut b[..len]) {
                return Some(ret(Err(e)));
            }
            let w = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("8"));
            // struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal, stack,
            // stack_size, tls, set_tid, set_tid_size, cgroup.
            let (stack, stack_size) = (w(5), w(6));
            let c = CloneArgs {
                flags: w(0),
                stack: if stack != 0 { stack + stack_size } else { 0 },
                parent_tid: w(3),
                child_tid: w(2),
                tls: w(7),
            };
            if w(4) != 0 && c.flags & CLONE_THREAD != 0 {
                return Some(ret(Err(Errno::EINVAL)));
            }
            ret(clone_thread(t, cpu, c))
        }
        nr::exit => {
            if t.clear_child_tid != 0 {
                // As Linux does at thread exit: clear the tid word and wake one joiner.
                if mm
                    .write_bytes(t.clear_child_tid, &0u32.to_le_bytes())
                    .is_ok()
                {
                    t.proc.futexes.wake(t.clear_child_tid, 1, u32::MAX);
                }
            }
            Outcome::ExitThread((a[0] & 0xff) as i32)
        }
        nr::exit_group => Outcome::ExitGroup((a[0] & 0xff) as i32),
        nr::set_tid_address => {
            t.clear_child_tid = a[0];
            Outcome::Return(t.tid as i64)
        }
        nr::set_robust_list => {
            if a[1] != 24 {
                ret(Err(Errno::EINVAL))
            } else {
                Outcome::Return(0)
            }
        }
        nr::gettid => Outcome::Return(t.tid as i64),
        nr::getpid => Outcome::Return(t.proc.pid as i64),
        nr::getppid => Outcome::Return(i64::from(t.proc.opts.machine.ppid)),
        nr::futex => futex::sys_futex(t, a),
        nr::rseq => ret(Err(Errno::ENOSYS)),
        _ => return None,
    })
}
