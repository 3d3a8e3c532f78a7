//! The hart run loop: each guest thread runs on its own host thread, executing the
//! RV64GC core against the shared address space, handing system calls to the
//! system-call layer and delivering signals on the way back to the guest.

use crate::abi::outcome::Outcome;
use crate::abi::siginfo::SigInfo;
use crate::cpu::{Cpu, Exit, HartEnv};
use crate::os::process::REQ_EXIT;
use crate::os::thread_signals::REQ_SIGNAL;
use crate::signal_delivery;
use crate::syscall;
use crate::thread::Thread;
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
                            t.proc.exit(status);
                        }
                        t.proc.retarget_shared();
                        return;
                    }
                    Outcome::ExitGroup(status) => t.proc.exit(status),
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
    }
}
