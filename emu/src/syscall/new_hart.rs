//! What every clone shares, making a thread or a process: the arguments of clone and
//! clone3, the new thread's registers, and its hart started on a host thread of its own.

use crate::abi::altstack::AltStack;
use crate::cpu::Cpu;
use crate::os::process::Process;
use crate::thread::{run_hart, Thread};
use devices::trace::{self, Owner};
use devices::TaskKind;
use mmu::Errno;
use std::sync::Arc;

/// Share the address space.
pub(super) const CLONE_VM: u64 = 0x100;
const CLONE_FS: u64 = 0x200;
/// Share the fd table.
pub(super) const CLONE_FILES: u64 = 0x400;
/// Share the signal dispositions.
pub(super) const CLONE_SIGHAND: u64 = 0x800;
/// A thread of the caller's process.
pub(super) const CLONE_THREAD: u64 = 0x10000;
const CLONE_SYSVSEM: u64 = 0x40000;
/// Set the new thread's thread pointer.
const CLONE_SETTLS: u64 = 0x80000;
/// Store the new id at `parent_tid` in the caller's memory.
pub(super) const CLONE_PARENT_SETTID: u64 = 0x100000;
const CLONE_CHILD_CLEARTID: u64 = 0x200000;
const CLONE_DETACHED: u64 = 0x400000;
/// Store the new id at `child_tid` in the new thread's memory.
pub(super) const CLONE_CHILD_SETTID: u64 = 0x0100_0000;
/// The flags a thread-creating clone may carry.
pub(super) const THREAD_FLAGS: u64 = CLONE_VM
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

/// The arguments of a clone or clone3.
pub(super) struct CloneArgs {
    /// CLONE_* flags (clone's low byte, the exit signal, taken apart).
    pub flags: u64,
    /// The new thread's stack pointer; 0 keeps the caller's.
    pub stack: u64,
    /// Where CLONE_PARENT_SETTID stores the new id.
    pub parent_tid: u64,
    /// Where CLONE_CHILD_SETTID stores it and CLONE_CHILD_CLEARTID clears it.
    pub child_tid: u64,
    /// The new thread pointer for CLONE_SETTLS.
    pub tls: u64,
}

impl CloneArgs {
    /// The registers the new thread starts with: the caller's, a0 = 0, and the stack and
    /// thread pointer it asked for.
    pub(super) fn child_cpu(&self, cpu: &Cpu) -> Cpu {
        let mut child = cpu.fork_thread();
        child.x[10] = 0;
        if self.stack != 0 {
            child.x[2] = self.stack;
        }
        if self.flags & CLONE_SETTLS != 0 {
            child.x[4] = self.tls;
        }
        child
    }

    /// The CLONE_CHILD_CLEARTID address of the new thread (0: none).
    pub(super) fn clear_child_tid(&self) -> u64 {
        if self.flags & CLONE_CHILD_CLEARTID != 0 {
            self.child_tid
        } else {
            0
        }
    }
}

/// Starts thread `tid` of `proc` on a new hart running `child` (a thread of the
/// caller's process, or the first of a new one), with the caller's name, priorities and
/// signal mask.
pub(super) fn start_hart(
    t: &Thread,
    proc: Arc<Process>,
    tid: u32,
    child: Cpu,
    clear_child_tid: u64,
) -> Result<(), Errno> {
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
        clear_child_tid,
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
            run_hart(start, thread, child);
        },
    )
    .map_err(|_| Errno::EAGAIN)?;
    proc.sched
        .inherit(proc.clocks.run_clock(), (t.tid, t.prio.sched), tid);
    Ok(())
}
