//! What a parent process is told when a child ends: SIGCHLD, or nothing and the zombie
//! reaped at once when it ignores SIGCHLD or set SA_NOCLDWAIT (Linux's
//! `do_notify_parent`).

use super::proc_table::ExitHow;
use super::process::Process;
use crate::abi::siginfo::SigInfo;
use crate::abi::signo::SIGCHLD;

/// sa_flags: do not make zombies of ended children.
const SA_NOCLDWAIT: u64 = 1;
/// The handler value that ignores a signal.
const SIG_IGN: u64 = 1;

impl Process {
    /// Child `pid` of this process ended `how`: SIGCHLD is sent unless it is SIG_IGN.
    /// Returns whether the child is reaped at once: SIGCHLD is ignored (by SIG_IGN, not
    /// by default) or has SA_NOCLDWAIT.
    pub(crate) fn child_ended(&self, pid: u32, how: ExitHow) -> bool {
        let action = self.signals.exchange_action(SIGCHLD, None);
        if action.handler != SIG_IGN {
            let (code, status) = how.child_code();
            self.signal_process(SigInfo::child(code, pid, status));
        }
        action.handler == SIG_IGN || action.flags & SA_NOCLDWAIT != 0
    }
}
