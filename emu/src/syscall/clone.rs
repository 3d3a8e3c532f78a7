//! Threads: clone/clone3 (each guest thread a new hart on its own host thread; a clone
//! without CLONE_THREAD makes a process, [`new_process`]), exit, exit_group, thread ids,
//! robust lists and futex.

use super::futex;
use super::new_hart::{
    start_hart, CloneArgs, CLONE_CHILD_SETTID, CLONE_PARENT_SETTID, CLONE_SIGHAND, CLONE_THREAD,
    CLONE_VM, THREAD_FLAGS,
};
use super::new_process;
use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::cpu::Cpu;
use crate::thread::Thread;
use devices::cast::u64_to_usize;
use mmu::Errno;

fn clone_thread(t: &mut Thread, cpu: &Cpu, c: CloneArgs) -> Result<i64, Errno> {
    let needed = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND;
    if c.flags & needed != needed || c.flags & !(THREAD_FLAGS | 0xff) != 0 {
        t.proc.warn_unsupported_clone(c.flags);
        return Err(Errno::ENOSYS);
    }
    let proc = t.proc.clone();
    let tid = proc.alloc_tid();
    if c.flags & CLONE_PARENT_SETTID != 0 {
        proc.mm.write_bytes(c.parent_tid, &tid.to_le_bytes())?;
    }
    if c.flags & CLONE_CHILD_SETTID != 0 {
        proc.mm.write_bytes(c.child_tid, &tid.to_le_bytes())?;
    }
    start_hart(t, proc, tid, c.child_cpu(cpu), c.clear_child_tid())?;
    Ok(tid as i64)
}

/// A clone that makes a thread (CLONE_THREAD) or a process (without it).
fn clone(t: &mut Thread, cpu: &Cpu, c: CloneArgs) -> Result<i64, Errno> {
    if c.flags & CLONE_THREAD != 0 {
        clone_thread(t, cpu, c)
    } else {
        new_process::clone_process(t, cpu, c)
    }
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
            ret(clone(t, cpu, c))
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
            ret(clone(t, cpu, c))
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
        nr::futex => futex::sys_futex(t, a),
        nr::rseq => ret(Err(Errno::ENOSYS)),
        _ => return None,
    })
}
