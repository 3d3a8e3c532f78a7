//! The process's signal state: each signal's action, and the signals sent to the
//! process as a whole and still pending (each thread's own are in its
//! [`ThreadSignals`](super::thread_signals::ThreadSignals)).

use super::pending::PendingSet;
use crate::abi::siginfo::SigInfo;
use crate::abi::signo::NSIG;
use parking_lot::Mutex;

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
    /// Signals sent to the process and not yet taken by one of its threads.
    shared: Mutex<PendingSet>,
    /// The thread a process-directed signal last went to, where the search for a
    /// thread to take the next one starts (Linux's `curr_target`).
    last_target: Mutex<u32>,
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState {
            actions: Mutex::new([SigAction::default(); NSIG]),
            shared: Mutex::default(),
            last_target: Mutex::new(0),
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

    /// The dispositions of a new process: a copy of these (fork, vfork), or for a new
    /// image (`exec`) with every caught signal back to SIG_DFL and ignored ones still
    /// ignored. Nothing is pending in it.
    pub(crate) fn inherited(&self, exec: bool) -> SignalState {
        let mut actions = *self.actions.lock();
        if exec {
            for a in actions.iter_mut().filter(|a| a.handler != SIG_IGN) {
                *a = SigAction::default();
            }
        }
        SignalState {
            actions: Mutex::new(actions),
            ..SignalState::default()
        }
    }

    /// Resets `signal`'s action to SIG_DFL (SA_RESETHAND).
    pub(crate) fn reset_to_default(&self, signal: i32) {
        self.actions.lock()[(signal - 1) as usize] = SigAction::default();
    }

    /// Queues `info` as sent to the process; false if a standard signal of the same
    /// number was already pending there.
    pub(crate) fn queue_shared(&self, info: SigInfo) -> bool {
        self.shared.lock().add(info)
    }

    /// The signals pending for the process as a whole.
    pub(crate) fn shared_mask(&self) -> u64 {
        self.shared.lock().mask()
    }

    /// Takes the next process-directed signal in `allowed`.
    pub(crate) fn take_shared(&self, allowed: u64) -> Option<SigInfo> {
        self.shared.lock().take(allowed)
    }

    /// Drops the process-directed instances `which` selects.
    pub(crate) fn discard_shared(&self, which: &dyn Fn(&SigInfo) -> bool) {
        self.shared.lock().discard(which);
    }

    /// The thread the last process-directed signal went to.
    pub(crate) fn last_target(&self) -> u32 {
        *self.last_target.lock()
    }

    /// Records the thread a process-directed signal went to.
    pub(crate) fn set_last_target(&self, tid: u32) {
        *self.last_target.lock() = tid;
    }
}

fn default_ignored(signal: i32) -> bool {
    // SIGCHLD, SIGCONT, SIGURG, SIGWINCH.
    matches!(signal, 17 | 18 | 23 | 28)
}
