//! Harts: each guest thread runs on its own host thread, executing the RV64GC core
//! against the shared address space and handing system calls to the syscall layer.

use crate::cpu::{Cpu, Exit, HartEnv};
use crate::process::{HartLive, Process, REQ_EXIT};
use crate::signals::altstack::AltStack;
use crate::signals::deliver;
use crate::signals::info::SigInfo;
use crate::syscall::prio::Priorities;
use crate::syscall::{self, Outcome};
use mmu::{HartMem, MemFault};
use std::sync::atomic::{AtomicU32, AtomicU64};
use std::sync::Arc;

impl HartEnv for HartMem {
    #[inline]
    fn load(&mut self, addr: u64, size: u32) -> Result<u64, MemFault> {
        HartMem::load(self, addr, size)
    }
    #[inline]
    fn store(&mut self, addr: u64, size: u32, val: u64) -> Result<(), MemFault> {
        HartMem::store(self, addr, size, val)
    }
    #[inline]
    fn fetch_u16(&mut self, addr: u64) -> Result<u16, MemFault> {
        HartMem::fetch_u16(self, addr)
    }
    #[inline]
    fn atomic_u32(&mut self, addr: u64) -> Result<&AtomicU32, MemFault> {
        HartMem::atomic_u32(self, addr)
    }
    #[inline]
    fn atomic_u64(&mut self, addr: u64) -> Result<&AtomicU64, MemFault> {
        HartMem::atomic_u64(self, addr)
    }
    #[inline]
    fn interrupt_pending(&self) -> bool {
        HartMem::interrupt_pending(self)
    }
    #[inline]
    fn icache_epoch(&self) -> u64 {
        HartMem::icache_epoch(self)
    }
    fn now_ns(&self) -> u64 {
        self.space().clock().now_ns()
    }
}

/// Per-thread state the system calls need beyond the CPU registers.
pub struct Thread {
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
}

/// The alternate signal stack every thread starts with: none.
pub const ALTSTACK_DISABLED: AltStack = AltStack::DISABLED;

/// Linux signal numbers faultline reports.
pub mod sig {
    /// Illegal instruction.
    pub const SIGILL: i32 = 4;
    /// Trace/breakpoint trap.
    pub const SIGTRAP: i32 = 5;
    /// Abort.
    pub const SIGABRT: i32 = 6;
    /// Bus error.
    pub const SIGBUS: i32 = 7;
    /// Killed.
    pub const SIGKILL: i32 = 9;
    /// Segmentation fault.
    pub const SIGSEGV: i32 = 11;

    /// The signal's name, as in `SIGSEGV`.
    pub fn name(sig: i32) -> String {
        let n = match sig {
            1 => "SIGHUP",
            2 => "SIGINT",
            3 => "SIGQUIT",
            SIGILL => "SIGILL",
            SIGTRAP => "SIGTRAP",
            SIGABRT => "SIGABRT",
            SIGBUS => "SIGBUS",
            8 => "SIGFPE",
            SIGKILL => "SIGKILL",
            10 => "SIGUSR1",
            SIGSEGV => "SIGSEGV",
            12 => "SIGUSR2",
            13 => "SIGPIPE",
            14 => "SIGALRM",
            15 => "SIGTERM",
            _ => return format!("signal {sig}"),
        };
        n.to_string()
    }
}

impl Thread {
    /// Kills the whole process with a fatal signal, reporting it on one stderr line.
    pub fn die(&self, cpu: &Cpu, signal: i32, detail: &str) -> ! {
        eprintln!(
            "faultline: {} in tid {} at pc {:#x}: {}",
            sig::name(signal),
            self.tid,
            cpu.pc,
            detail
        );
        self.live.settle(cpu.instret);
        self.proc.exit(128 + signal)
    }
}

/// Delivers the signal of a trap the hart's own instruction raised. The frame is written
/// through the address space, which only code outside guest state may use.
fn trap(t: &mut Thread, cpu: &mut Cpu, info: SigInfo, detail: &str) {
    t.mem.leave_guest();
    deliver::synchronous(t, cpu, info, detail);
    t.mem.enter_guest();
}

/// Runs a hart until its thread ends. Process exits do not return.
pub fn run(mut t: Thread, mut cpu: Cpu) {
    t.mem.enter_guest();
    loop {
        match cpu.run(&mut t.mem) {
            Exit::Ecall => {
                t.mem.leave_guest();
                t.live.settle(cpu.instret);
                let nr = cpu.x[17];
                let args = [
                    cpu.x[10], cpu.x[11], cpu.x[12], cpu.x[13], cpu.x[14], cpu.x[15],
                ];
                let outcome = syscall::dispatch(&mut t, &mut cpu, nr, args);
                match outcome {
                    Outcome::Return(v) => cpu.x[10] = v as u64,
                    Outcome::Resume => {}
                    Outcome::ExitThread(status) => {
                        t.proc.signals.forget_thread(t.tid);
                        if t.proc.remove_thread(t.tid) == 0 {
                            t.proc.exit(status);
                        }
                        return;
                    }
                    Outcome::ExitGroup(status) => t.proc.exit(status),
                    Outcome::Signal(signal, why) => t.die(&cpu, signal, &why),
                }
                deliver::pending(&mut t, &mut cpu);
                t.live.unsettle();
                t.mem.enter_guest();
            }
            Exit::Interrupt => {
                if t.mem.service_interrupts() & REQ_EXIT != 0 {
                    t.mem.leave_guest();
                    t.live.settle(cpu.instret);
                    loop {
                        std::thread::park();
                    }
                }
            }
            Exit::Fault(f) => trap(&mut t, &mut cpu, SigInfo::from_fault(&f), &f.to_string()),
            Exit::IllegalInstruction { insn } => {
                let info = SigInfo::illegal_instruction(cpu.pc);
                let detail = format!("illegal instruction {insn:#010x}");
                trap(&mut t, &mut cpu, info, &detail)
            }
            Exit::Breakpoint => {
                let info = SigInfo::breakpoint(cpu.pc);
                trap(&mut t, &mut cpu, info, "breakpoint (ebreak)")
            }
        }
    }
}
