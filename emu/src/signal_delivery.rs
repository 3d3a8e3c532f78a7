//! Delivering a signal to the calling hart: pushing an `rt_sigframe` and entering the
//! handler, or ending the process when the signal's action is to terminate; and
//! rt_sigreturn, which unwinds the frame.

use crate::abi::layout::TRAMPOLINE_ADDR;
use crate::abi::nr;
use crate::abi::outcome::Outcome;
use crate::abi::restart_codes::Restart;
use crate::abi::sigframe::{self, SavedContext, FRAME_SIZE, FRAME_UCONTEXT, UCONTEXT_SIZE};
use crate::abi::siginfo::SigInfo;
use crate::abi::signo::{self, bit, UNBLOCKABLE};
use crate::cpu::Cpu;
use crate::os::signal_state::{Disposition, SigAction};
use crate::thread::Thread;

/// sa_flags: restart a system call the signal interrupted rather than fail it with EINTR.
const SA_RESTART: u64 = 0x1000_0000;
/// sa_flags: run the handler on the alternate stack if there is one.
const SA_ONSTACK: u64 = 0x0800_0000;
/// sa_flags: do not block the signal while its handler runs.
const SA_NODEFER: u64 = 0x4000_0000;
/// sa_flags: reset the action to SIG_DFL when the handler is entered.
const SA_RESETHAND: u64 = 0x8000_0000;

/// Delivers a signal the thread's own instruction caused (a fault, an illegal
/// instruction, a breakpoint): into its handler if one is installed and the signal is
/// not blocked, else the process dies of it, as Linux's force_sig makes it. `detail`
/// describes the cause for the report. The hart must be outside guest state.
pub(crate) fn synchronous(t: &mut Thread, cpu: &mut Cpu, info: SigInfo, detail: &str) {
    let blocked = t.sigmask() & bit(info.signo) != 0;
    match t.proc.signals.disposition(info.signo) {
        Disposition::Handle(act) if !blocked => enter_handler(t, cpu, &info, act),
        _ => t.die(cpu, info.signo, detail),
    }
}

/// Delivers every pending signal the mask lets through, as the kernel does on the way
/// back to user mode: ignored ones are dropped, fatal ones end the process, and each
/// handled one gets a frame on top of the previous one (so the last runs first).
///
/// `syscall_a0` is the first argument of the system call the hart is returning from
/// (None after an interrupt or rt_sigreturn): if the call asks to be restarted, the first
/// handler entered decides between EINTR and a restart, or, if none is, the call is
/// restarted. A temporary mask (rt_sigsuspend, ppoll…) is restored after the handler's
/// frame has saved it, or here if no handler runs.
pub(crate) fn pending(t: &mut Thread, cpu: &mut Cpu, syscall_a0: Option<u64>) {
    let mut unresolved = syscall_a0;
    loop {
        let allowed = !t.sigmask();
        if let Some(info) = t.proc.take_signal(&t.sig, allowed) {
            match t.proc.signals.disposition(info.signo) {
                Disposition::Ignore => {}
                Disposition::Terminate => {
                    let how = info.sender().unwrap_or("the process");
                    t.die(cpu, info.signo, &format!("sent by {how}"))
                }
                Disposition::Handle(act) => {
                    if let Some(a0) = unresolved.take() {
                        restart(cpu, a0, Some(act.flags & SA_RESTART != 0));
                    }
                    enter_handler(t, cpu, &info, act)
                }
            }
            continue;
        }
        if let Some(a0) = unresolved.take() {
            restart(cpu, a0, None);
        }
        match t.saved_sigmask.take() {
            Some(mask) => t.set_sigmask(mask),
            None => return,
        }
    }
}

/// Turns an interrupted call's restart request in a0 into EINTR or a restart, given
/// whether a handler runs and has SA_RESTART (`handler`). The ecall is 4 bytes long.
fn restart(cpu: &mut Cpu, orig_a0: u64, handler: Option<bool>) {
    match Restart::resolve(cpu.x[10] as i64, handler) {
        None => {}
        Some(Restart::Fail(v)) => cpu.x[10] = v as u64,
        Some(Restart::Again) => {
            cpu.x[10] = orig_a0;
            cpu.pc = cpu.pc.wrapping_sub(4);
        }
        Some(Restart::Block) => {
            cpu.x[10] = orig_a0;
            cpu.x[17] = nr::restart_syscall;
            cpu.pc = cpu.pc.wrapping_sub(4);
        }
    }
}

/// rt_sigreturn: restores the registers and signal mask saved by the frame at sp. A
/// frame that cannot be read or that Linux would refuse kills the process with SIGSEGV.
pub(crate) fn sigreturn(t: &mut Thread, cpu: &mut Cpu) -> Outcome {
    let sp = cpu.x[2];
    let mut uc = [0u8; UCONTEXT_SIZE];
    let saved = t
        .proc
        .mm
        .read_bytes(sp.wrapping_add(FRAME_UCONTEXT as u64), &mut uc)
        .ok()
        .and_then(|()| sigframe::parse_ucontext(&uc));
    match saved {
        Some(ctx) => {
            ctx.restore(cpu);
            t.set_sigmask(ctx.mask & !UNBLOCKABLE);
            Outcome::Resume
        }
        None => Outcome::Signal(
            signo::SIGSEGV,
            format!("rt_sigreturn: no valid signal frame at sp {sp:#x}"),
        ),
    }
}

/// Pushes the frame for `info` and points the registers at the handler of `act`.
fn enter_handler(t: &mut Thread, cpu: &mut Cpu, info: &SigInfo, act: SigAction) {
    let sp = cpu.x[2];
    let alt = t.altstack;
    let frame_top = if act.flags & SA_ONSTACK != 0 && alt.is_enabled() && !alt.contains(sp) {
        alt.top()
    } else {
        sp
    };
    let frame_addr = frame_top.wrapping_sub(FRAME_SIZE as u64) & !0xf;
    // A frame that would run off the bottom of the alternate stack is not written
    // below it: the thread dies instead, as on Linux.
    let overflows_alt = alt.contains(sp) && !alt.contains(frame_addr);
    let saved_mask = t.saved_sigmask.take().unwrap_or_else(|| t.sigmask());
    let saved = SavedContext::capture(cpu, saved_mask);
    let bytes = sigframe::build(info, &saved, &alt.to_stack_t(sp));
    if overflows_alt || t.proc.mm.write_bytes(frame_addr, &bytes).is_err() {
        let why = format!(
            "cannot push the frame for {} at {frame_addr:#x} (sp {sp:#x})",
            signo::name(info.signo)
        );
        t.die(cpu, signo::SIGSEGV, &why);
    }
    if t.proc.opts.strace {
        eprintln!("{} --- {} {info} ---", t.tid, signo::name(info.signo));
    }
    if act.flags & SA_RESETHAND != 0 {
        t.proc.signals.reset_to_default(info.signo);
    }
    let mut mask = t.sigmask() | act.mask;
    if act.flags & SA_NODEFER == 0 {
        mask |= bit(info.signo);
    }
    t.set_sigmask(mask);
    cpu.pc = act.handler;
    cpu.x[1] = TRAMPOLINE_ADDR;
    cpu.x[2] = frame_addr;
    cpu.x[10] = info.signo as u64;
    cpu.x[11] = frame_addr;
    cpu.x[12] = frame_addr + FRAME_UCONTEXT as u64;
}
