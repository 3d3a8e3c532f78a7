//! Sending and taking signals. A signal goes to one thread (tkill, tgkill,
//! rt_tgsigqueueinfo, a timer with SIGEV_THREAD_ID) or to the process (kill,
//! rt_sigqueueinfo, alarm and the other timers), where a thread that does not block it
//! is chosen to take it, as Linux's `complete_signal` chooses. Every signal sent or
//! taken updates the signalfds' readiness.

use super::process::Process;
use super::signal_fds;
use super::signal_state::Disposition;
use super::thread_signals::ThreadSignals;
use crate::abi::siginfo::{SigInfo, SigSource};
use crate::abi::signo::bit;
use mmu::Errno;
use std::sync::Arc;

impl Process {
    /// Makes each signalfd readable exactly while a signal of its mask is pending for
    /// the process or any of its threads (Linux looks at the reading thread's own
    /// pending signals; a signalfd is normally read by the threads that block them).
    pub(crate) fn sync_signal_fds(&self) {
        let threads = self.live_threads();
        let pending = threads
            .iter()
            .fold(self.signals.shared_mask(), |m, t| m | t.pending_mask());
        signal_fds::sync(&self.signal_fds, pending);
    }

    /// Whether `info` would be dropped on sending because its action is to ignore it
    /// and `target` does not block it (Linux's `sig_ignored`): a blocked signal is kept,
    /// as its action may change before it is unblocked.
    fn dropped(&self, target: &ThreadSignals, info: &SigInfo) -> bool {
        matches!(self.signals.disposition(info.signo), Disposition::Ignore)
            && target.accepts(bit(info.signo))
    }

    /// Sends `info` to thread `tid`; ESRCH if there is none. Returns whether it was
    /// queued (not dropped as ignored, nor merged into one already pending).
    pub(crate) fn signal_thread(&self, tid: u32, info: SigInfo) -> Result<bool, Errno> {
        let target = self.thread(tid).ok_or(Errno::ESRCH)?;
        if self.dropped(&target, &info) {
            return Ok(false);
        }
        let queued = target.queue(info);
        self.sync_signal_fds();
        Ok(queued)
    }

    /// Sends `info` to the process: it joins the shared pending set and the thread
    /// chosen to take it is woken. The main thread takes it if it does not block it,
    /// else the next thread after the last one chosen that does not; if all block it, it
    /// waits until one unblocks it. Returns whether it was queued (not dropped as
    /// ignored, nor merged into one already pending).
    pub(crate) fn signal_process(&self, info: SigInfo) -> bool {
        let threads = self.live_threads();
        let Some(leader) = self.leader(&threads) else {
            return false;
        };
        if self.dropped(leader, &info) {
            return false;
        }
        let b = bit(info.signo);
        let queued = self.signals.queue_shared(info);
        self.sync_signal_fds();
        self.wake_taker(&threads, leader, b);
        queued
    }

    /// Takes the next signal in `allowed` for thread `me` (its own first, then the
    /// process's), keeping the signalfds' readiness current. A POSIX timer's signal
    /// reports the expiries counted while it waited.
    pub(crate) fn take_signal(&self, me: &ThreadSignals, allowed: u64) -> Option<SigInfo> {
        let mut info = me.take(&self.signals, allowed)?;
        self.sync_signal_fds();
        if let SigSource::Timer { id, overrun, .. } = &mut info.source {
            *overrun = self.posix_timers.taken(*id).unwrap_or(*overrun);
        }
        Some(info)
    }

    /// Drops the pending signals `which` selects, the process's and every thread's.
    pub(crate) fn discard_signals(&self, which: &dyn Fn(&SigInfo) -> bool) {
        self.signals.discard_shared(which);
        for thread in self.live_threads() {
            thread.discard(which);
        }
        self.sync_signal_fds();
    }

    /// After a thread ended: wakes a thread for each process-directed signal still
    /// pending, which the ended thread may have been chosen to take (Linux's
    /// `retarget_shared_pending`).
    pub(crate) fn retarget_shared(&self) {
        let threads = self.live_threads();
        let Some(leader) = self.leader(&threads) else {
            return;
        };
        let mut pending = self.signals.shared_mask();
        while pending != 0 {
            let lowest = pending & pending.wrapping_neg();
            pending &= !lowest;
            self.wake_taker(&threads, leader, lowest);
        }
    }

    /// The thread-group leader among `threads`, or the first if it has ended: whose
    /// mask decides whether an ignored process-directed signal is dropped.
    fn leader<'a>(&self, threads: &'a [Arc<ThreadSignals>]) -> Option<&'a Arc<ThreadSignals>> {
        threads
            .iter()
            .find(|t| t.tid == self.pid)
            .or(threads.first())
    }

    /// Wakes the thread chosen to take process-directed signal `signal_bit`, if any.
    fn wake_taker(
        &self,
        threads: &[Arc<ThreadSignals>],
        leader: &Arc<ThreadSignals>,
        signal_bit: u64,
    ) {
        let last = self.signals.last_target();
        if let Some(target) = choose_target(threads, leader, last, signal_bit) {
            self.signals.set_last_target(target.tid);
            target.kick();
        }
    }
}

/// The thread that takes a process-directed signal `signal_bit`: the leader if it accepts
/// it, else the first thread after `last` (in thread-id order, wrapping around) that
/// does.
fn choose_target<'a>(
    threads: &'a [Arc<ThreadSignals>],
    leader: &'a Arc<ThreadSignals>,
    last: u32,
    signal_bit: u64,
) -> Option<&'a Arc<ThreadSignals>> {
    if leader.accepts(signal_bit) {
        return Some(leader);
    }
    let after = threads.iter().filter(|t| t.tid > last);
    let before = threads.iter().filter(|t| t.tid <= last);
    after.chain(before).find(|t| t.accepts(signal_bit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmu::HartSignal;

    fn thread(tid: u32, blocked: u64) -> Arc<ThreadSignals> {
        Arc::new(ThreadSignals::new(
            tid,
            Arc::new(HartSignal::default()),
            blocked,
        ))
    }

    #[test]
    fn the_leader_takes_it_unless_it_blocks_it_then_threads_take_turns() {
        let b = bit(10);
        let threads = vec![
            thread(100, b),
            thread(101, 0),
            thread(102, b),
            thread(103, 0),
        ];
        let pick = |last| choose_target(&threads, &threads[0], last, b).map(|t| t.tid);
        assert_eq!(pick(0), Some(101));
        assert_eq!(pick(101), Some(103));
        assert_eq!(pick(103), Some(101));
        let open = vec![thread(100, 0), thread(101, 0)];
        assert_eq!(
            choose_target(&open, &open[0], 100, b).map(|t| t.tid),
            Some(100)
        );
        let closed = vec![thread(100, b)];
        assert!(choose_target(&closed, &closed[0], 0, b).is_none());
    }
}
