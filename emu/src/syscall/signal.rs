//! Signal dispositions and self-directed signals. Handlers are recorded but not yet
//! delivered: a signal that would run a handler, or whose default action is to
//! terminate, ends the process the way an unhandled one does.

use super::{nr, ret, Outcome};
use crate::hart::{sig, Thread};
use mmu::Errno;
use parking_lot::Mutex;

const SIG_DFL: u64 = 0;
const SIG_IGN: u64 = 1;
const SIG_BLOCK: u64 = 0;
const SIG_UNBLOCK: u64 = 1;
const SIG_SETMASK: u64 = 2;
const NSIG: usize = 64;
/// Signals that can never be blocked: SIGKILL and SIGSTOP.
const UNBLOCKABLE: u64 = (1 << (9 - 1)) | (1 << (19 - 1));

/// One recorded `struct sigaction` (riscv64 layout: handler, flags, mask).
#[derive(Clone, Copy, Debug, Default)]
pub struct SigAction {
    /// SIG_DFL, SIG_IGN or the handler address.
    pub handler: u64,
    /// SA_* flags.
    pub flags: u64,
    /// Signals blocked while the handler runs.
    pub mask: u64,
}

/// The process-wide signal state.
pub struct SignalState {
    actions: Mutex<[SigAction; NSIG]>,
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState {
            actions: Mutex::new([SigAction::default(); NSIG]),
        }
    }
}

fn default_ignored(signal: i32) -> bool {
    // SIGCHLD, SIGCONT, SIGURG, SIGWINCH.
    matches!(signal, 17 | 18 | 23 | 28)
}

fn bit(signal: i32) -> u64 {
    1u64 << (signal - 1)
}

/// Raises `signal` on the calling thread: ignored, left pending while blocked, or fatal.
fn raise(t: &mut Thread, signal: i32, how: &str) -> Outcome {
    if signal == 0 {
        return Outcome::Return(0);
    }
    let act = t.proc.signals.actions.lock()[(signal - 1) as usize];
    if act.handler == SIG_IGN || (act.handler == SIG_DFL && default_ignored(signal)) {
        return Outcome::Return(0);
    }
    if t.sigmask & bit(signal) != 0 {
        t.pending_signals |= bit(signal);
        return Outcome::Return(0);
    }
    let why = if act.handler == SIG_DFL {
        format!("raised by {how}")
    } else {
        format!(
            "raised by {how} (handler at {:#x} not run: signal delivery is not supported yet)",
            act.handler
        )
    };
    Outcome::Signal(signal, why)
}

/// Handles the signal family; None if `n` is not one of them.
pub fn handle(t: &mut Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
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
            let idx = (signal - 1) as usize;
            let old = t.proc.signals.actions.lock()[idx];
            if a[1] != 0 {
                let mut b = [0u8; 24];
                if let Err(e) = mm.read_bytes(a[1], &mut b) {
                    return Some(ret(Err(e)));
                }
                let w = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("8"));
                t.proc.signals.actions.lock()[idx] = SigAction {
                    handler: w(0),
                    flags: w(1),
                    mask: w(2),
                };
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
            let deliverable = t.pending_signals & !t.sigmask;
            if deliverable != 0 {
                let signal = deliverable.trailing_zeros() as i32 + 1;
                t.pending_signals &= !bit(signal);
                return Some(raise(t, signal, "an earlier kill, unblocked"));
            }
            Outcome::Return(0)
        }
        nr::rt_sigpending => ret(mm
            .write_bytes(a[0], &t.pending_signals.to_le_bytes())
            .map(|_| 0)),
        nr::sigaltstack => {
            // Recorded and reported back; running handlers on it comes with delivery.
            let old = t.altstack;
            if a[0] != 0 {
                let mut b = [0u8; 24];
                if let Err(e) = mm.read_bytes(a[0], &mut b) {
                    return Some(ret(Err(e)));
                }
                t.altstack = b;
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
            if pid == t.proc.pid as i64 || pid == 0 || pid == -1 {
                raise(t, a[1] as i32, "kill")
            } else {
                ret(Err(Errno::ESRCH))
            }
        }
        nr::tgkill | nr::tkill => {
            let (target, signal) = if n == nr::tgkill {
                (a[1], a[2])
            } else {
                (a[0], a[1])
            };
            if !(0..=NSIG as u64).contains(&signal) {
                ret(Err(Errno::EINVAL))
            } else if target as u32 == t.tid {
                raise(
                    t,
                    signal as i32,
                    if n == nr::tgkill { "tgkill" } else { "tkill" },
                )
            } else if signal == 0 {
                Outcome::Return(0)
            } else {
                // Another thread of this process: with no delivery yet, a fatal signal
                // ends the process all the same.
                raise(t, signal as i32, "tgkill from another thread")
            }
        }
        nr::rt_sigreturn => {
            Outcome::Signal(sig::SIGSEGV, "rt_sigreturn without a signal frame".into())
        }
        _ => return None,
    })
}
