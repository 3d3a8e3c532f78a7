//! A set of pending signals with the siginfo of each: a thread's private set or the
//! process's shared one, as Linux's `struct sigpending`.

use crate::abi::siginfo::SigInfo;
use crate::abi::signo::bit;

/// The first real-time signal: from here on every signal sent is queued, not merged.
pub(crate) const SIGRTMIN: i32 = 32;

/// At most this many real-time signals wait in one set (Linux's RLIMIT_SIGPENDING is per
/// user and larger; a bound keeps a guest that never unblocks from growing it forever).
const MAX_QUEUED: usize = 4096;

/// Signals sent and not yet delivered, in the order they were sent.
#[derive(Debug, Default)]
pub(crate) struct PendingSet {
    /// One bit per signal with at least one instance queued.
    mask: u64,
    /// The instances, oldest first: one per standard signal, any number per real-time one.
    queue: Vec<SigInfo>,
}

impl PendingSet {
    /// Adds `info`. A standard signal already pending is not queued again (the first
    /// one's siginfo stays); returns whether it was added.
    pub(crate) fn add(&mut self, info: SigInfo) -> bool {
        let b = bit(info.signo);
        let merged = info.signo < SIGRTMIN && self.mask & b != 0;
        if merged || self.queue.len() >= MAX_QUEUED {
            return false;
        }
        self.mask |= b;
        self.queue.push(info);
        true
    }

    /// The signals with an instance pending.
    pub(crate) fn mask(&self) -> u64 {
        self.mask
    }

    /// Takes the oldest instance of the lowest-numbered pending signal in `allowed`, as
    /// Linux's `next_signal` picks.
    pub(crate) fn take(&mut self, allowed: u64) -> Option<SigInfo> {
        let ready = self.mask & allowed;
        if ready == 0 {
            return None;
        }
        let signo = ready.trailing_zeros() as i32 + 1;
        let at = self.queue.iter().position(|i| i.signo == signo)?;
        let info = self.queue.remove(at);
        if !self.queue.iter().any(|i| i.signo == signo) {
            self.mask &= !bit(signo);
        }
        Some(info)
    }

    /// Drops every pending instance `which` selects (the signals of an action set to
    /// ignore, a deleted timer's signal).
    pub(crate) fn discard(&mut self, which: &dyn Fn(&SigInfo) -> bool) {
        self.queue.retain(|i| !which(i));
        self.mask = self.queue.iter().fold(0, |m, i| m | bit(i.signo));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::siginfo::code;

    fn sent(signo: i32, pid: u32) -> SigInfo {
        SigInfo::sent(signo, code::SI_USER, pid, 0)
    }

    #[test]
    fn standard_signals_merge_and_keep_the_first_siginfo() {
        let mut p = PendingSet::default();
        assert!(p.add(sent(10, 1)));
        assert!(!p.add(sent(10, 2)));
        assert_eq!(p.take(u64::MAX), Some(sent(10, 1)));
        assert_eq!(p.take(u64::MAX), None);
        assert_eq!(p.mask(), 0);
    }

    #[test]
    fn real_time_signals_queue_in_order_and_lowest_goes_first() {
        let mut p = PendingSet::default();
        p.add(sent(40, 1));
        p.add(sent(40, 2));
        p.add(sent(35, 3));
        p.add(sent(12, 4));
        assert_eq!(p.take(!bit(12)), Some(sent(35, 3)));
        assert_eq!(p.take(u64::MAX), Some(sent(12, 4)));
        assert_eq!(p.take(u64::MAX), Some(sent(40, 1)));
        assert_eq!(p.mask(), bit(40));
        p.discard(&|i| i.signo == 40);
        assert_eq!(p.take(u64::MAX), None);
    }
}
