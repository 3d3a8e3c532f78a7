//! A clone without CLONE_THREAD: a new process, child of the caller's, whose one thread
//! starts with a copy of the calling thread's registers. Without CLONE_VM (fork) it gets
//! a copy-on-write copy of the caller's address space (`AddressSpace::fork`, Linux's
//! `dup_mmap`); with CLONE_VM (vfork, glibc's posix_spawn, system and popen) it runs in
//! the caller's until it execs. With CLONE_VFORK the calling thread waits until the
//! child execs or exits.

use super::new_hart::{
    start_hart, CloneArgs, CLONE_CHILD_SETTID, CLONE_FILES, CLONE_PARENT_SETTID, CLONE_VM,
};
use crate::cpu::Cpu;
use crate::os::process::Process;
use crate::thread::Thread;
use devices::WaitNote;
use mmu::Errno;
use std::sync::Arc;

/// Suspend the caller until the child execs or exits.
const CLONE_VFORK: u64 = 0x4000;

/// Makes the new process; returns its pid.
pub(super) fn clone_process(t: &mut Thread, cpu: &Cpu, c: CloneArgs) -> Result<i64, Errno> {
    let parent = t.proc.clone();
    let mm = match c.flags & CLONE_VM {
        0 => parent.mm.fork()?,
        _ => parent.mm.clone(),
    };
    let files = match c.flags & CLONE_FILES {
        0 => Arc::new(parent.files.copy()?),
        _ => parent.files.clone(),
    };
    let pid = parent.alloc_tid();
    let child = Process::new(
        mm,
        files,
        parent.signals.inherited(false),
        parent.opts.clone(),
        pid,
        parent.table.clone(),
    );
    parent.table.add_child(pid, parent.pid, child.clone());
    if c.flags & CLONE_PARENT_SETTID != 0 {
        parent.mm.write_bytes(c.parent_tid, &pid.to_le_bytes())?;
    }
    if c.flags & CLONE_CHILD_SETTID != 0 {
        child.mm.write_bytes(c.child_tid, &pid.to_le_bytes())?;
    }
    let vfork = c.flags & CLONE_VFORK != 0;
    let parker = t.sig.parker().clone();
    if vfork {
        parent.table.expect_vfork(pid, &parker);
    }
    let regs = c.child_cpu(cpu);
    if let Err(e) = start_hart(t, child.clone(), pid, regs, c.clear_child_tid()) {
        parent.table.release_vfork(pid);
        return Err(e);
    }
    if vfork {
        // Linux's wait_for_vfork_done: only the child's exec or exit ends it.
        let clock = parent.clocks.run_clock();
        parent.table.wait_vfork(pid, || {
            if clock.is_virtual() {
                clock.note_wait(WaitNote {
                    what: format!("vfork child {pid} to exec or exit"),
                    holders: Vec::new(),
                });
            }
            clock.park(&parker);
        });
    }
    Ok(i64::from(pid))
}
