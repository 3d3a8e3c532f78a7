//! The names under which the memory manager's locks appear in traces and reports.

use crate::rwsem::queue::WaitKind;
use devices::trace::catalog;

/// Which lock an acquisition is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockName {
    /// The address space's `mmap_lock`.
    MmapLock,
}

impl LockName {
    /// The lock's name as Linux spells it, for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            LockName::MmapLock => "mmap_lock",
        }
    }

    /// The trace's slice for a wait to take it in `mode`.
    pub(crate) fn wait_event(self, mode: WaitKind) -> &'static str {
        match (self, mode) {
            (LockName::MmapLock, WaitKind::Read) => catalog::MMAP_LOCK_READ_WAIT,
            (LockName::MmapLock, WaitKind::Write) => catalog::MMAP_LOCK_WRITE_WAIT,
        }
    }

    /// The trace's slice for holding it in `mode`.
    pub(crate) fn hold_event(self, mode: WaitKind) -> &'static str {
        match (self, mode) {
            (LockName::MmapLock, WaitKind::Read) => catalog::MMAP_LOCK_READ,
            (LockName::MmapLock, WaitKind::Write) => catalog::MMAP_LOCK_WRITE,
        }
    }

    /// The trace's counter track of its queue length.
    pub(crate) fn queue_counter(self) -> &'static str {
        match self {
            LockName::MmapLock => catalog::COUNTER_MMAP_LOCK_QUEUE,
        }
    }
}
