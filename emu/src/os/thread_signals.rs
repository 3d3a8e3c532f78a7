//! One thread's signal state as the other threads see it: its blocked mask, its private
//! pending set, and how to reach its hart (in guest code or blocked in a system call) so
//! that it takes a signal sent to it.

use super::pending::PendingSet;
use super::signal_state::SignalState;
use crate::abi::siginfo::SigInfo;
use crate::abi::signo::UNBLOCKABLE;
use devices::Parker;
use mmu::HartSignal;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Emulator request bit (a bit number, as `HartSignal::raise` takes it) raised on a hart
/// running guest code when a signal becomes pending for it: it leaves the guest at its next block boundary to take it.
pub(crate) const REQ_SIGNAL: u32 = 1;

/// A thread's signal state, shared with every thread that may signal it.
#[derive(Debug)]
pub(crate) struct ThreadSignals {
    /// The guest thread id.
    pub tid: u32,
    /// The blocked-signal mask (rt_sigprocmask), read by senders choosing a thread.
    blocked: AtomicU64,
    /// Signals the thread waits for in rt_sigtimedwait or a signalfd read: not blocked
    /// for the wait, and not to be dropped as ignored while it waits (Linux's
    /// `real_blocked`).
    waited: AtomicU64,
    /// Signals sent to this thread alone.
    pending: Mutex<PendingSet>,
    /// Interrupts the hart while it runs guest code.
    hart: Arc<HartSignal>,
    /// What every interruptible wait of the thread parks on, so a signal wakes it.
    parker: Arc<Parker>,
}

impl ThreadSignals {
    /// The signal state of thread `tid`, whose hart `hart` interrupts, blocking `blocked`.
    pub(crate) fn new(tid: u32, hart: Arc<HartSignal>, blocked: u64) -> ThreadSignals {
        ThreadSignals {
            tid,
            blocked: AtomicU64::new(blocked & !UNBLOCKABLE),
            waited: AtomicU64::new(0),
            pending: Mutex::default(),
            hart,
            parker: Arc::new(Parker::new()),
        }
    }

    /// The blocked-signal mask.
    pub(crate) fn blocked(&self) -> u64 {
        self.blocked.load(Ordering::SeqCst)
    }

    /// Replaces the blocked-signal mask (SIGKILL and SIGSTOP stay unblocked).
    pub(crate) fn set_blocked(&self, mask: u64) {
        self.blocked.store(mask & !UNBLOCKABLE, Ordering::SeqCst);
    }

    /// Signals this thread neither blocks nor is waiting for in sigtimedwait.
    pub(crate) fn accepts(&self, signal_bit: u64) -> bool {
        (self.blocked() | self.waited.load(Ordering::SeqCst)) & signal_bit == 0
    }

    /// Marks `set` as waited for (and so unblocked) until [`end_wait_for`] restores
    /// `blocked`. Returns the mask to restore.
    ///
    /// [`end_wait_for`]: Self::end_wait_for
    pub(crate) fn begin_wait_for(&self, set: u64) -> u64 {
        let old = self.blocked();
        self.waited.store(set, Ordering::SeqCst);
        self.set_blocked(old & !set);
        old
    }

    /// Ends a wait begun by [`begin_wait_for`](Self::begin_wait_for).
    pub(crate) fn end_wait_for(&self, blocked: u64) {
        self.set_blocked(blocked);
        self.waited.store(0, Ordering::SeqCst);
    }

    /// The signals pending for this thread alone.
    pub(crate) fn pending_mask(&self) -> u64 {
        self.pending.lock().mask()
    }

    /// Queues `info` for this thread and wakes it; false if a standard signal of the
    /// same number was already pending.
    pub(crate) fn queue(&self, info: SigInfo) -> bool {
        let added = self.pending.lock().add(info);
        self.kick();
        added
    }

    /// Raises emulator request bit `bit` on the thread's hart.
    pub(crate) fn raise(&self, bit: u32) {
        self.hart.raise(bit);
    }

    /// Makes the thread look at its pending signals: at its next block boundary if it
    /// runs guest code, at once if it waits interruptibly.
    pub(crate) fn kick(&self) {
        self.hart.raise(REQ_SIGNAL);
        self.parker.unpark();
    }

    /// Takes the next signal in `allowed`: its own first, then the process's, as
    /// Linux's `dequeue_signal` does.
    pub(crate) fn take(&self, shared: &SignalState, allowed: u64) -> Option<SigInfo> {
        let own = self.pending.lock().take(allowed);
        own.or_else(|| shared.take_shared(allowed))
    }

    /// Whether a signal the thread does not block is pending for it or its process: an
    /// interruptible wait ends.
    pub(crate) fn signal_pending(&self, shared: &SignalState) -> bool {
        (self.pending_mask() | shared.shared_mask()) & !self.blocked() != 0
    }

    /// Drops the pending instances `which` selects.
    pub(crate) fn discard(&self, which: &dyn Fn(&SigInfo) -> bool) {
        self.pending.lock().discard(which);
    }

    /// The parker the thread's interruptible waits park on.
    pub(crate) fn parker(&self) -> &Arc<Parker> {
        &self.parker
    }
}
