//! A guest thread as the system calls see it: its process, its hart's path to memory
//! and its per-thread state (signal mask and pending signals, alternate stack, name,
//! priorities).

use crate::abi::altstack::AltStack;
use crate::abi::signo;
use crate::cpu::Cpu;
use crate::os::priorities::Priorities;
use crate::os::process::{HartLive, Process};
use mmu::HartMem;
use std::sync::Arc;

/// Per-thread state the system calls need beyond the CPU registers.
pub(crate) struct Thread {
    /// The process this thread belongs to.
    pub proc: Arc<Process>,
    /// The hart's private path to memory.
    pub mem: HartMem,
    /// The guest thread id.
    pub tid: u32,
    /// Where this hart publishes its counts for the statistics.
    pub live: Arc<HartLive>,
    /// CLONE_CHILD_CLEARTID / set_tid_address: zeroed and futex-woken at thread exit.
    pub clear_child_tid: u64,
    /// The blocked-signal mask.
    pub sigmask: u64,
    /// Signals sent to this thread and not yet delivered (blocked ones wait here).
    pub pending_signals: u64,
    /// The alternate signal stack (sigaltstack).
    pub altstack: AltStack,
    /// The thread's name (prctl PR_SET_NAME).
    pub name: String,
    /// Nice, scheduling policy and I/O priority (inherited by threads it creates).
    pub prio: Priorities,
    /// What runs a new thread's hart (clone starts one): the run loop, which sits above
    /// the system calls and so is handed down rather than named.
    pub start: HartEntry,
}

/// Runs a thread's hart until the thread ends (the run loop, `hart_loop::run`).
pub(crate) type HartEntry = fn(Thread, Cpu);

impl Thread {
    /// Kills the whole process with a fatal signal, reporting it on one stderr line.
    pub(crate) fn die(&self, cpu: &Cpu, signal: i32, detail: &str) -> ! {
        eprintln!(
            "faultline: {} in tid {} at pc {:#x}: {}",
            signo::name(signal),
            self.tid,
            cpu.pc,
            detail
        );
        self.live.settle(cpu.instret);
        self.proc.exit(128 + signal)
    }
}
