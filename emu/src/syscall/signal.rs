//! Signal dispositions, masks and the alternate stack. Pending signals are delivered by
//! the hart ([`crate::signal_delivery`]) on the way back to the guest, once the mask
//! lets them through; sending is in [`super::kill`], waiting in [`super::sigwait`].

use crate::abi::altstack::{AltStack, STACK_T_SIZE};
use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::abi::signo::NSIG;
use crate::cpu::Cpu;
use crate::os::signal_state::{Disposition, SigAction};
use crate::signal_delivery;
use crate::thread::Thread;
use mmu::Errno;

const SIG_BLOCK: u64 = 0;
const SIG_UNBLOCK: u64 = 1;
const SIG_SETMASK: u64 = 2;

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
            if matches!(t.proc.signals.disposition(signal), Disposition::Ignore) {
                // Setting a signal to be ignored discards its pending instances.
                t.proc.discard_signals(&|i| i.signo == signal);
            }
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
            let old = t.sigmask();
            if a[1] != 0 {
                let mut b = [0u8; 8];
                if let Err(e) = mm.read_bytes(a[1], &mut b) {
                    return Some(ret(Err(e)));
                }
                let set = u64::from_le_bytes(b);
                t.set_sigmask(match a[0] {
                    SIG_BLOCK => old | set,
                    SIG_UNBLOCK => old & !set,
                    SIG_SETMASK => set,
                    _ => return Some(ret(Err(Errno::EINVAL))),
                });
            }
            if a[2] != 0 {
                if let Err(e) = mm.write_bytes(a[2], &old.to_le_bytes()) {
                    return Some(ret(Err(e)));
                }
            }
            Outcome::Return(0)
        }
        nr::rt_sigpending => {
            // The blocked ones among the thread's and the process's pending signals.
            let pending = t.sig.pending_mask() | t.proc.signals.shared_mask();
            let set = pending & t.sigmask();
            ret(mm.write_bytes(a[0], &set.to_le_bytes()).map(|_| 0))
        }
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
        nr::rt_sigreturn => signal_delivery::sigreturn(t, cpu),
        _ => return None,
    })
}
