//! The process's signal state: each signal's action, and the details of signals sent
//! and still pending.

use crate::abi::siginfo::SigInfo;
use crate::abi::signo::NSIG;
use parking_lot::Mutex;
use std::collections::HashMap;

const SIG_DFL: u64 = 0;
const SIG_IGN: u64 = 1;

/// One recorded `struct sigaction` (riscv64 layout: handler, flags, mask).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SigAction {
    /// SIG_DFL, SIG_IGN or the handler address.
    pub handler: u64,
    /// SA_* flags.
    pub flags: u64,
    /// Signals blocked while the handler runs.
    pub mask: u64,
}

/// What delivering a signal does, given its action.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Disposition {
    /// Nothing: SIG_IGN, or SIG_DFL for a signal whose default is to be ignored.
    Ignore,
    /// End the process (every other default action).
    Terminate,
    /// Run this handler.
    Handle(SigAction),
}

/// The process-wide signal state.
pub(crate) struct SignalState {
    /// The action of each signal, by number - 1.
    actions: Mutex<[SigAction; NSIG]>,
    /// The siginfo of each signal sent and still pending, by (tid, signal). A thread's
    /// pending set is a bit mask in its `Thread`; the details that go with each bit are
    /// kept here.
    sent: Mutex<HashMap<(u32, i32), SigInfo>>,
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState {
            actions: Mutex::new([SigAction::default(); NSIG]),
            sent: Mutex::default(),
        }
    }
}

impl SignalState {
    /// What delivering `signal` (1..=64) does now.
    pub(crate) fn disposition(&self, signal: i32) -> Disposition {
        let act = self.actions.lock()[(signal - 1) as usize];
        match act.handler {
            SIG_IGN => Disposition::Ignore,
            SIG_DFL if default_ignored(signal) => Disposition::Ignore,
            SIG_DFL => Disposition::Terminate,
            _ => Disposition::Handle(act),
        }
    }

    /// The action of `signal` (1..=64); replaced by `new` if there is one (rt_sigaction).
    pub(crate) fn exchange_action(&self, signal: i32, new: Option<SigAction>) -> SigAction {
        let mut actions = self.actions.lock();
        let slot = &mut actions[(signal - 1) as usize];
        let old = *slot;
        if let Some(new) = new {
            *slot = new;
        }
        old
    }

    /// Records the siginfo of `info.signo` sent to thread `tid`, now pending there.
    pub(crate) fn record_sent(&self, tid: u32, info: SigInfo) {
        self.sent.lock().insert((tid, info.signo), info);
    }

    /// Resets `signal`'s action to SIG_DFL (SA_RESETHAND).
    pub(crate) fn reset_to_default(&self, signal: i32) {
        self.actions.lock()[(signal - 1) as usize] = SigAction::default();
    }

    /// Takes the siginfo recorded when `signal` was sent to thread `tid`.
    pub(crate) fn take_sent(&self, tid: u32, signal: i32) -> Option<SigInfo> {
        self.sent.lock().remove(&(tid, signal))
    }

    /// Drops what is recorded for a thread that ended with signals still pending.
    pub(crate) fn forget_thread(&self, tid: u32) {
        self.sent.lock().retain(|&(t, _), _| t != tid);
    }
}

fn default_ignored(signal: i32) -> bool {
    // SIGCHLD, SIGCONT, SIGURG, SIGWINCH.
    matches!(signal, 17 | 18 | 23 | 28)
}
