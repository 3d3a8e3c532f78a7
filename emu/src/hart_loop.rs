//! The hart run loop: each guest thread runs on its own host thread, executing the
//! RV64GC core against the shared address space, handing system calls to the
//! system-call layer and delivering signals on the way back to the guest.
//!
//! Under a virtual clock the loop also keeps the hart's time: every return from the core
//! charges the instructions it retired, a run ends when the clock's budget does
//! ([`Exit::Quantum`]), and the hart yields there and at every system call, so that
//! the harts whose time comes first run first.

use crate::abi::outcome::Outcome;
use crate::abi::siginfo::SigInfo;
use crate::cpu::{Cpu, Exit, HartEnv};
use crate::os::proc_table::ExitHow;
use crate::os::process::REQ_EXIT;
use crate::os::thread_signals::REQ_SIGNAL;
use crate::signal_delivery;
use crate::syscall;
use crate::thread::Thread;
use devices::trace::{self, catalog, Phase, TraceRecord, TrackRef};
use devices::{Cost, SharedClock};
use mmu::{HartMem, MemFault};
use std::sync::atomic::{AtomicU32, AtomicU64};

/// The core reaches memory through the hart's TLB, and time through the run's clock
/// that the hart's address space carries.
impl HartEnv for HartMem {
    #[inline]
    fn load(&mut self, addr: u64, size: u32) -> Result<u64, MemFault> {
        HartMem::load(self, addr, size)
    }
    #[inline]
    fn store(&mut self, addr: u64, size: u32, val: u64) -> Result<(), MemFault> {
        HartMem::store(self, addr, size, val)
    }
    #[inline(always)]
    fn load_hit(&mut self, addr: u64, size: u32) -> Option<u64> {
        HartMem::load_hit(self, addr, size)
    }
    #[inline(always)]
    fn store_hit(&mut self, addr: u64, size: u32, val: u64) -> bool {
        HartMem::store_hit(self, addr, size, val)
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
    fn cpu_time_ns(&self) -> Option<u64> {
        let clock = self.space().clock();
        let task = clock.current_task()?;
        Some(clock.sched_stats(task)?.run_ns)
    }
}

/// The hart's side of the run's clock. Under the host clock it does nothing: time
/// passes by itself and the core runs without limits.
struct Pace {
    clock: SharedClock,
    /// Whether the clock is virtual: only then are instructions charged and runs limited.
    virtual_time: bool,
}

impl Pace {
    /// The pace of a hart running `cpu` under `clock`: instructions retired so far count
    /// as charged (a new thread's count starts from its parent's).
    fn new(clock: &SharedClock, cpu: &mut Cpu) -> Pace {
        let virtual_time = clock.is_virtual();
        if virtual_time {
            cpu.pacing.insn_ps = clock.cost_ps(Cost::Insn);
            cpu.pacing.charged_instret = cpu.instret;
        }
        Pace {
            clock: clock.clone(),
            virtual_time,
        }
    }

    /// Charges the instructions retired since the last charge: due before anything
    /// that may reach the clock.
    fn charge(&self, cpu: &mut Cpu) {
        if self.virtual_time {
            let retired = cpu.instret.saturating_sub(cpu.pacing.charged_instret);
            self.clock.charge(Cost::Insn, retired);
            cpu.pacing.charged_instret = cpu.instret;
        }
    }

    /// Lets harts whose time comes first run: at the end of a quantum and on system call
    /// entry, with no host lock held and the hart outside guest code, so that a TLB
    /// shootdown need not wait for it.
    fn yield_point(&self) {
        if !self.virtual_time {
            return;
        }
        if !trace::enabled() {
            return self.clock.yield_point();
        }
        // In a trace, the time another task had the hart's CPU is a `runnable` slice:
        // known only once the hart runs again, so both ends are written then.
        let before = self.clock.now_ns();
        self.clock.yield_point();
        let after = self.clock.now_ns();
        if after > before {
            trace::emit(|_| {
                TraceRecord::new(before, Phase::Begin, TrackRef::Own, catalog::RUNNABLE)
            });
            trace::emit(|_| TraceRecord::new(after, Phase::End, TrackRef::Own, ""));
        }
    }

    /// Charges a system call's entry and exit.
    fn charge_syscall(&self) {
        if self.virtual_time {
            self.clock.charge(Cost::Syscall, 1);
        }
    }

    /// Sets the core's limits from the clock's budget, which changes whenever the hart
    /// has been back to the clock (a yield, a system call, an interrupt's service).
    fn limit(&self, cpu: &mut Cpu) {
        let insn_ps = cpu.pacing.insn_ps;
        if !self.virtual_time || insn_ps == 0 {
            return;
        }
        let budget = self.clock.budget();
        let insns = |ns: u64| ns.saturating_mul(1000) / insn_ps;
        cpu.pacing.stop_at = cpu.instret.saturating_add(insns(budget.run_ns).max(1));
        cpu.pacing.exact_until = cpu.instret.saturating_add(insns(budget.exact_ns));
    }
}

/// Delivers the signal of a trap the hart's own instruction raised. The frame is written
/// through the address space, which only code outside guest state may use.
fn trap(t: &mut Thread, cpu: &mut Cpu, info: SigInfo, detail: &str) {
    t.mem.leave_guest();
    signal_delivery::synchronous(t, cpu, info, detail);
    t.mem.enter_guest();
}

/// Runs a hart until its thread ends. Process exits do not return.
pub(crate) fn run(mut t: Thread, mut cpu: Cpu) {
    let pace = Pace::new(t.mem.space().clock(), &mut cpu);
    t.mem.enter_guest();
    pace.limit(&mut cpu);
    loop {
        let exit = cpu.run(&mut t.mem);
        pace.charge(&mut cpu);
        match exit {
            Exit::Quantum => {
                t.mem.leave_guest();
                pace.yield_point();
                t.mem.enter_guest();
            }
            Exit::Ecall => {
                t.mem.leave_guest();
                pace.charge_syscall();
                pace.yield_point();
                t.live.settle(cpu.instret);
                let nr = cpu.x[17];
                let args = [
                    cpu.x[10], cpu.x[11], cpu.x[12], cpu.x[13], cpu.x[14], cpu.x[15],
                ];
                let outcome = syscall::dispatch(&mut t, &mut cpu, nr, args);
                // rt_sigreturn restored a0: it is no call's result to restart.
                let mut syscall_a0 = None;
                match outcome {
                    Outcome::Return(v) => {
                        cpu.x[10] = v as u64;
                        syscall_a0 = Some(args[0]);
                    }
                    Outcome::Resume => {}
                    Outcome::ExitThread(status) => {
                        if t.proc.remove_thread(t.tid) == 0 {
                            t.proc.exit(ExitHow::Code(status));
                        }
                        t.proc.retarget_shared();
                        return;
                    }
                    Outcome::ExitGroup(status) => {
                        t.proc.exit(ExitHow::Code(status));
                        return;
                    }
                    Outcome::Signal(signal, why) => t.die(&cpu, signal, &why),
                }
                signal_delivery::pending(&mut t, &mut cpu, syscall_a0);
                t.live.unsettle();
                t.mem.enter_guest();
            }
            Exit::Interrupt => {
                let requests = t.mem.service_interrupts();
                if requests & 1 << REQ_EXIT != 0 {
                    t.mem.leave_guest();
                    t.live.settle(cpu.instret);
                    t.mem.space().clock().park_forever();
                }
                if requests & 1 << REQ_SIGNAL != 0 {
                    t.mem.leave_guest();
                    signal_delivery::pending(&mut t, &mut cpu, None);
                    t.mem.enter_guest();
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
        pace.limit(&mut cpu);
    }
}
