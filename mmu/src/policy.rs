//! Fault-locking policies: which lock a fault takes first and what it does when it must
//! wait for I/O or for a locked folio.
//!
//! | policy      | fault path                                  | I/O wait under the VMA lock                     | retry goes under          |
//! |-------------|---------------------------------------------|-------------------------------------------------|---------------------------|
//! | `mmap`      | `mmap_lock` for read only (pre-6.4 kernels) | —                                               | `mmap_lock`, TRIED        |
//! | `vma`       | per-VMA try, abort → `mmap_lock` (mainline) | drop the VMA lock, wait, RETRY                  | `mmap_lock` (TRIED if major) |
//! | `vma-retry` | per-VMA try                                 | pending I/O: drop, wait, RETRY; an up-to-date folio only briefly locked: wait holding | the per-VMA lock again (TRIED if major) |
//! | `vma-hold`  | per-VMA try                                 | wait holding the VMA lock, never drop          | — (no I/O retry)          |
//!
//! Under `mmap_lock` every policy behaves as the kernel does: a first try drops the lock
//! to wait and returns RETRY; a TRIED pass waits holding it.

use std::fmt;
use std::str::FromStr;

/// How faults take their locks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FaultPolicy {
    /// Every fault under `mmap_lock` for read: a kernel without per-VMA locks (before
    /// 6.4), so mm calls write-lock no VMA and madvise discards take `mmap_lock`.
    Mmap,
    /// One per-VMA attempt; abort or RETRY goes to `mmap_lock` (Linux today).
    #[default]
    Vma,
    /// As `Vma`, but a RETRY after I/O goes back under the per-VMA lock, and an up-to-date
    /// folio that is only briefly locked is waited for holding it.
    VmaRetry,
    /// I/O is waited for holding the per-VMA lock: no drop, no retry.
    VmaHold,
}

/// The lock a fault attempt holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultLock {
    /// The VMA's per-VMA read lock.
    Vma,
    /// `mmap_lock` for read.
    Mmap,
}

impl FaultLock {
    /// `vma` or `mmap`, as traces and `--stats` name it.
    pub fn name(self) -> &'static str {
        match self {
            FaultLock::Vma => "vma",
            FaultLock::Mmap => "mmap",
        }
    }
}

/// What a fault finds it must wait for before it can go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageWait {
    /// I/O it started or found pending (a page-cache or swap-cache miss).
    Io,
    /// A folio locked by someone else; `uptodate` when its contents are already valid
    /// (the lock is held only briefly, not for a read).
    FolioLocked {
        /// Whether the folio's contents are valid.
        uptodate: bool,
    },
}

impl PageWait {
    /// `io` or `locked`, as traces name it.
    pub fn name(self) -> &'static str {
        match self {
            PageWait::Io => "io",
            PageWait::FolioLocked { .. } => "locked",
        }
    }
}

/// What the fault does at a wait point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitAction {
    /// Drop the fault lock, wait, and return RETRY.
    DropAndRetry,
    /// Wait with the fault lock held, then go on.
    WaitHolding,
}

impl FaultPolicy {
    /// Every policy, in command-line order.
    pub const ALL: [FaultPolicy; 4] = [
        FaultPolicy::Mmap,
        FaultPolicy::Vma,
        FaultPolicy::VmaRetry,
        FaultPolicy::VmaHold,
    ];

    /// The names the command line accepts, in the order of [`FaultPolicy::ALL`].
    pub const NAMES: [&'static str; 4] = ["mmap", "vma", "vma-retry", "vma-hold"];

    /// The policy's command-line name.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Whether faults first try the per-VMA lock.
    pub fn tries_vma_lock(self) -> bool {
        self != FaultPolicy::Mmap
    }

    /// Whether a RETRY from an attempt under the per-VMA lock tries that lock again
    /// (rather than going to `mmap_lock`).
    pub fn retries_under_vma_lock(self) -> bool {
        self == FaultPolicy::VmaRetry
    }

    /// What a fault holding `lock`, on a TRIED pass or not, does when it must wait for
    /// `what`.
    pub fn on_wait(self, lock: FaultLock, tried: bool, what: PageWait) -> WaitAction {
        use WaitAction::{DropAndRetry, WaitHolding};
        let first_try = if tried { WaitHolding } else { DropAndRetry };
        match (lock, self) {
            (FaultLock::Mmap, _) => first_try,
            (FaultLock::Vma, FaultPolicy::VmaHold) => WaitHolding,
            (FaultLock::Vma, FaultPolicy::VmaRetry) => match what {
                PageWait::FolioLocked { uptodate: true } => WaitHolding,
                _ => first_try,
            },
            (FaultLock::Vma, _) => DropAndRetry,
        }
    }
}

impl fmt::Display for FaultPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A policy name that is none of [`FaultPolicy::NAMES`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownPolicy(pub String);

impl fmt::Display for UnknownPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown fault policy `{}` (expected one of: {})",
            self.0,
            FaultPolicy::NAMES.join(", ")
        )
    }
}

impl std::error::Error for UnknownPolicy {}

impl FromStr for FaultPolicy {
    type Err = UnknownPolicy;
    fn from_str(s: &str) -> Result<Self, UnknownPolicy> {
        FaultPolicy::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownPolicy(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FaultLock::{Mmap as M, Vma as V};
    use FaultPolicy::*;
    use WaitAction::{DropAndRetry as Drop, WaitHolding as Hold};

    const IO: PageWait = PageWait::Io;
    const BRIEF: PageWait = PageWait::FolioLocked { uptodate: true };
    const READING: PageWait = PageWait::FolioLocked { uptodate: false };

    #[test]
    fn names_round_trip() {
        for p in FaultPolicy::ALL {
            assert_eq!(p.name().parse::<FaultPolicy>(), Ok(p));
        }
        assert_eq!(FaultPolicy::default(), Vma);
        let e = "vma_retry".parse::<FaultPolicy>().unwrap_err();
        assert!(
            e.to_string().contains("mmap, vma, vma-retry, vma-hold"),
            "{e}"
        );
    }

    #[test]
    fn under_mmap_lock_a_first_try_drops_and_a_tried_pass_holds() {
        for p in FaultPolicy::ALL {
            for w in [IO, BRIEF, READING] {
                assert_eq!(p.on_wait(M, false, w), Drop, "{p} {w:?}");
                assert_eq!(p.on_wait(M, true, w), Hold, "{p} {w:?}");
            }
        }
    }

    #[test]
    fn under_the_vma_lock_each_policy_follows_its_row() {
        let table = [
            // policy, wait, first try, tried
            (Vma, IO, Drop, Drop),
            (Vma, BRIEF, Drop, Drop),
            (Vma, READING, Drop, Drop),
            (VmaRetry, IO, Drop, Hold),
            (VmaRetry, BRIEF, Hold, Hold),
            (VmaRetry, READING, Drop, Hold),
            (VmaHold, IO, Hold, Hold),
            (VmaHold, BRIEF, Hold, Hold),
            (VmaHold, READING, Hold, Hold),
        ];
        for (p, w, first, tried) in table {
            assert_eq!(p.on_wait(V, false, w), first, "{p} {w:?} first try");
            assert_eq!(p.on_wait(V, true, w), tried, "{p} {w:?} tried");
        }
        assert!(!Mmap.tries_vma_lock() && Vma.tries_vma_lock());
        assert!(VmaRetry.retries_under_vma_lock() && !Vma.retries_under_vma_lock());
    }
}
