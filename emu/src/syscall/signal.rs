//! Signal dispositions, masks and self-directed signals. A signal sent to the calling
//! thread becomes pending; the hart delivers it ([`crate::signal_delivery`]) on the way
//! back to the guest, once the mask lets it through.

use crate::abi::altstack::{AltStack, STACK_T_SIZE};
use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::abi::siginfo::{code, SigInfo};
use crate::abi::signo::{bit, NSIG, UNBLOCKABLE};
use crate::cpu::Cpu;
use crate::os::signal_state::{Disposition, SigAction};
use crate::signal_delivery;
use crate::thread::Thread;
use devices::cast::{low_i32, low_u32};
use mmu::Errno;

const SIG_BLOCK: u64 = 0;
const SIG_UNBLOCK: u64 = 1;
const SIG_SETMASK: u64 = 2;

/// Makes `info.signo` (1..=64) pending on the calling thread, unless it is ignored and
/// not blocked: a blocked signal is kept, as its action may change before it is
/// unblocked.
fn send_to_self(t: &mut Thread, info: SigInfo) -> Outcome {
    let b = bit(info.signo);
    let ignored = matches!(t.proc.signals.disposition(info.signo), Disposition::Ignore);
    if t.sigmask & b == 0 && ignored {
        return Outcome::Return(0);
    }
    // A standard signal already pending is not queued again: the first one's info stays.
    if t.pending_signals & b == 0 {
        t.pending_signals |= b;
        t.proc.signals.record_sent(t.tid, info);
    }
    Outcome::Return(0)
}

/// A signal for another thread of the process. Its pending set belongs to its hart,
/// which nothing here can interrupt to deliver it, so only the outcomes that do not
/// depend on the target are honoured: ignored, or the whole process dies.
fn send_to_other_thread(t: &Thread, target: u64, signal: i32) -> Outcome {
    match t.proc.signals.disposition(signal) {
        Disposition::Ignore => Outcome::Return(0),
        Disposition::Terminate => {
            Outcome::Signal(signal, format!("sent by tgkill to thread {target}"))
        }
        Disposition::Handle(act) => Outcome::Signal(
            signal,
            format!(
                "sent by tgkill to thread {target}, whose handler at {:#x} cannot run: \
                 signals are delivered only to the thread that sends them",
                act.handler
            ),
        ),
    }
}

/// Handles the signal family; None if `n` is not one of them.
pub(crate) fn handle(t: &mut Thread, cpu: &mut Cpu, n: u64, a: [u64; 6]) -> Option<Outcome> {
    let mm = t.proc.mm.clone();
    Some(match n {
        nr::rt_sigaction => {
            let signal = a[0] as i64;
            if !(1..=NSIG as i64).contains(&signal)
                || a[3] != 8
                || signal == 9
                || signal == 19 && a[1] != 0
            {
                return Some(ret(Err(Errno::EINVAL)));
            }
            let new = if a[1] != 0 {
                let mut b = [0u8; 24];
                if let Err(e) = mm.read_bytes(a[1], &mut b) {
                    return Some(ret(Err(e)));
                }
                let w = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("8"));
                Some(SigAction {
                    handler: w(0),
                    flags: w(1),
                    mask: w(2),
                })
            } else {
                None
            };
            let signal = i32::try_from(signal).expect("signal checked to be 1..=NSIG");
            let old = t.proc.signals.exchange_action(signal, new);
            if a[2] != 0 {
                let mut b = [0u8; 24];
                b[..8].copy_from_slice(&old.handler.to_le_bytes());
                b[8..16].copy_from_slice(&old.flags.to_le_bytes());
                b[16..].copy_from_slice(&old.mask.to_le_bytes());
                if let Err(e) = mm.write_bytes(a[2], &b) {
                    return Some(ret(Err(e)));
                }
            }
            Outcome::Return(0)
        }
        nr::rt_sigprocmask => {
            // Signals this unblocks are delivered by the hart as the call returns.
            if a[3] != 8 {
                return Some(ret(Err(Errno::EINVAL)));
            }
            let old = t.sigmask;
            if a[1] != 0 {
                let mut b = [0u8; 8];
                if let Err(e) = mm.read_bytes(a[1], &mut b) {
                    return Some(ret(Err(e)));
                }
                let set = u64::from_le_bytes(b);
                t.sigmask = match a[0] {
                    SIG_BLOCK => old | set,
                    SIG_UNBLOCK => old & !set,
                    SIG_SETMASK => set,
                    _ => return Some(ret(Err(Errno::EINVAL))),
                } & !UNBLOCKABLE;
            }
            if a[2] != 0 {
                if let Err(e) = mm.write_bytes(a[2], &old.to_le_bytes()) {
                    return Some(ret(Err(e)));
                }
            }
            Outcome::Return(0)
        }
        nr::rt_sigpending => ret(mm
            .write_bytes(a[0], &t.pending_signals.to_le_bytes())
            .map(|_| 0)),
        nr::sigaltstack => {
            let sp = cpu.x[2];
            let old = t.altstack.to_stack_t(sp);
            if a[0] != 0 {
                let mut b = [0u8; STACK_T_SIZE];
                if let Err(e) = mm.read_bytes(a[0], &mut b) {
                    return Some(ret(Err(e)));
                }
                if t.altstack.contains(sp) {
                    return Some(ret(Err(Errno::EPERM)));
                }
                match AltStack::from_stack_t(&b) {
                    Ok(s) => t.altstack = s,
                    Err(e) => return Some(ret(Err(e))),
                }
            }
            if a[1] != 0 {
                if let Err(e) = mm.write_bytes(a[1], &old) {
                    return Some(ret(Err(e)));
                }
            }
            Outcome::Return(0)
        }
        nr::kill => {
            let pid = a[0] as i64;
            let signal = a[1];
            if signal > NSIG as u64 {
                ret(Err(Errno::EINVAL))
            } else if pid != t.proc.pid as i64 && pid != 0 && pid != -1 {
                ret(Err(Errno::ESRCH))
            } else if signal == 0 {
                Outcome::Return(0)
            } else {
                // Process-directed: Linux may pick any thread not blocking it; the
                // sender is one.
                send_to_self(
                    t,
                    SigInfo::sent_by_self(low_i32(signal), code::SI_USER, t.proc.pid),
                )
            }
        }
        nr::tgkill | nr::tkill => {
            let (target, signal) = if n == nr::tgkill {
                (a[1], a[2])
            } else {
                (a[0], a[1])
            };
            if signal > NSIG as u64 {
                ret(Err(Errno::EINVAL))
            } else if signal == 0 {
                Outcome::Return(0)
            } else if low_u32(target) == t.tid {
                send_to_self(
                    t,
                    SigInfo::sent_by_self(low_i32(signal), code::SI_TKILL, t.proc.pid),
                )
            } else {
                send_to_other_thread(t, target, low_i32(signal))
            }
        }
        nr::rt_sigreturn => signal_delivery::sigreturn(t, cpu),
        _ => return None,
    })
}
