//! A guest thread as the system calls see it: its process, its hart's path to memory
//! and its per-thread state (signal mask and pending signals, alternate stack, name,
//! priorities).

use crate::abi::altstack::AltStack;
use crate::abi::signo;
use crate::cpu::Cpu;
use crate::os::priorities::Priorities;
use crate::os::proc_table::ExitHow;
use crate::os::process::{HartLive, Process};
use crate::os::thread_signals::ThreadSignals;
use crate::os::wait::{WaitWhat, Waiter};
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
    /// Its blocked mask and pending signals, shared with the threads that signal it.
    pub sig: Arc<ThreadSignals>,
    /// The mask to restore once a signal is delivered, set by the calls that wait under
    /// a temporary one (rt_sigsuspend, ppoll, pselect6, epoll_pwait).
    pub saved_sigmask: Option<u64>,
    /// What restart_syscall continues after an interrupted call that cannot simply be
    /// run again (Linux's `restart_block`).
    pub restart: Option<RestartBlock>,
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

/// The remaining work of an interrupted call, for restart_syscall.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RestartBlock {
    /// nanosleep or a relative clock_nanosleep: sleep until `deadline_ns` on the run
    /// clock, writing the time left to `rem` (if not 0) if interrupted again.
    Sleep {
        /// The run clock's time the sleep ends.
        deadline_ns: u64,
        /// The guest's `struct timespec *rem`.
        rem: u64,
    },
    /// A futex wait with a timeout: wait again for the word at `addr` holding `val`.
    Futex {
        /// The futex word.
        addr: u64,
        /// The value it must hold.
        val: u32,
        /// The waiter's bitset.
        bitset: u32,
        /// The run clock's time the wait times out.
        deadline_ns: u64,
    },
}

/// What a thread that ends deep in a system call or a signal's delivery unwinds with, to
/// the top of its hart, where it ends ([`run_hart`]).
struct ThreadEnded;

/// Ends the calling thread from anywhere in its hart's stack, dropping what it holds.
pub(crate) fn end_thread() -> ! {
    std::panic::resume_unwind(Box::new(ThreadEnded))
}

/// Runs `entry(t, cpu)` until the thread ends, by returning or by [`end_thread`]; any
/// other panic goes on unwinding.
pub(crate) fn run_hart(entry: HartEntry, t: Thread, cpu: Cpu) {
    let run = std::panic::AssertUnwindSafe(move || entry(t, cpu));
    if let Err(payload) = std::panic::catch_unwind(run) {
        if !payload.is::<ThreadEnded>() {
            std::panic::resume_unwind(payload)
        }
    }
}

/// Runs a thread's hart until the thread ends (the run loop, `hart_loop::run`).
pub(crate) type HartEntry = fn(Thread, Cpu);

impl Thread {
    /// Kills the whole process with a fatal signal, reporting it on one stderr line if
    /// it is the initial process (a child's end is its parent's to report). The thread
    /// ends here: its stack unwinds to the top of its hart ([`end_thread`]).
    pub(crate) fn die(&self, cpu: &Cpu, signal: i32, detail: &str) -> ! {
        if self.proc.is_initial() && !self.proc.is_over() {
            eprintln!(
                "faultline: {} in tid {} at pc {:#x}: {}",
                signo::name(signal),
                self.tid,
                cpu.pc,
                detail
            );
        }
        self.live.settle(cpu.instret);
        self.proc.exit(ExitHow::Signal(signal));
        end_thread()
    }

    /// The blocked-signal mask.
    pub(crate) fn sigmask(&self) -> u64 {
        self.sig.blocked()
    }

    /// Replaces the blocked-signal mask.
    pub(crate) fn set_sigmask(&self, mask: u64) {
        self.sig.set_blocked(mask);
    }

    /// Blocks `mask` until the next signal is delivered (or the call returns without
    /// one), as the calls that wait under a temporary mask do.
    pub(crate) fn set_temporary_sigmask(&mut self, mask: u64) {
        self.saved_sigmask = Some(self.sigmask());
        self.set_sigmask(mask);
    }

    /// Puts back the mask [`set_temporary_sigmask`](Self::set_temporary_sigmask) replaced,
    /// for a call that returns without being interrupted: no signal it let through is
    /// delivered then.
    pub(crate) fn end_temporary_sigmask(&mut self) {
        if let Some(mask) = self.saved_sigmask.take() {
            self.set_sigmask(mask);
        }
    }

    /// The wait through which this thread blocks: on the run clock, ended by signals.
    pub(crate) fn waiter(&self) -> Waiter<'_> {
        Waiter {
            clock: self.proc.clocks.run_clock(),
            me: &self.sig,
            signals: &self.proc.signals,
            what: WaitWhat::Unnamed,
        }
    }
}
