//! Delivering a signal to the calling hart: pushing an `rt_sigframe` and entering the
//! handler, or ending the process when the signal's action is to terminate; and
//! rt_sigreturn, which unwinds the frame.

use crate::abi::layout::TRAMPOLINE_ADDR;
use crate::abi::outcome::Outcome;
use crate::abi::sigframe::{self, SavedContext, FRAME_SIZE, FRAME_UCONTEXT, UCONTEXT_SIZE};
use crate::abi::siginfo::{code, SigInfo};
use crate::abi::signo::{self, bit, UNBLOCKABLE};
use crate::cpu::Cpu;
use crate::os::signal_state::{Disposition, SigAction};
use crate::thread::Thread;

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
    let blocked = t.sigmask & bit(info.signo) != 0;
    match t.proc.signals.disposition(info.signo) {
        Disposition::Handle(act) if !blocked => enter_handler(t, cpu, &info, act),
        _ => t.die(cpu, info.signo, detail),
    }
}

/// Delivers every pending signal the mask lets through, as the kernel does on the way
/// back to user mode: ignored ones are dropped, fatal ones end the process, and each
/// handled one gets a frame on top of the previous one (so the last runs first).
pub(crate) fn pending(t: &mut Thread, cpu: &mut Cpu) {
    loop {
        let deliverable = t.pending_signals & !t.sigmask;
        if deliverable == 0 {
            return;
        }
        let signal = deliverable.trailing_zeros() as i32 + 1;
        t.pending_signals &= !bit(signal);
        let info = t.proc.signals.take_sent(t.tid, signal);
        match t.proc.signals.disposition(signal) {
            Disposition::Ignore => {}
            Disposition::Terminate => {
                let how = info.and_then(|i| i.sender()).unwrap_or("the process");
                t.die(cpu, signal, &format!("sent by {how}"))
            }
            Disposition::Handle(act) => {
                let info = info
                    .unwrap_or_else(|| SigInfo::sent_by_self(signal, code::SI_USER, t.proc.pid));
                enter_handler(t, cpu, &info, act)
            }
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
            t.sigmask = ctx.mask & !UNBLOCKABLE;
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
    let saved = SavedContext::capture(cpu, t.sigmask);
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
    let mut mask = t.sigmask | act.mask;
    if act.flags & SA_NODEFER == 0 {
        mask |= bit(info.signo);
    }
    t.sigmask = mask & !UNBLOCKABLE;
    cpu.pc = act.handler;
    cpu.x[1] = TRAMPOLINE_ADDR;
    cpu.x[2] = frame_addr;
    cpu.x[10] = info.signo as u64;
    cpu.x[11] = frame_addr;
    cpu.x[12] = frame_addr + FRAME_UCONTEXT as u64;
}
