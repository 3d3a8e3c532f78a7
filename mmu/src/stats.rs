//! Memory-manager counters, per hart and in total.
//!
//! Each hart owns a [`HartStats`] of relaxed atomic counters: the hart (or whoever acts on
//! its behalf, such as a system call it makes) adds, anyone reads. Counter names are
//! dotted (`mmap_lock.read_acquired`) and stable: reports and tests key on them.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// One memory-manager counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Counter {
    /// `mmap_lock` taken for read.
    MmapLockReadAcquired,
    /// `mmap_lock` taken for write.
    MmapLockWriteAcquired,
    /// Nanoseconds spent waiting to take `mmap_lock` for read.
    MmapLockReadWaitNs,
    /// Nanoseconds spent waiting to take `mmap_lock` for write.
    MmapLockWriteWaitNs,
    /// Faults resolved without I/O (demand-zero pages, pages already in memory).
    FaultsMinor,
    /// Faults that needed I/O (none yet: no file-backed pages).
    FaultsMajor,
    /// TLB shootdowns this hart initiated.
    TlbShootdowns,
    /// TLB misses (slow-path translations).
    TlbMisses,
    /// Whole-TLB flushes (shootdown acknowledgements, re-entries after invalidations).
    TlbFlushes,
}

impl Counter {
    /// Every counter, in report order.
    pub const ALL: [Counter; 9] = [
        Counter::MmapLockReadAcquired,
        Counter::MmapLockWriteAcquired,
        Counter::MmapLockReadWaitNs,
        Counter::MmapLockWriteWaitNs,
        Counter::FaultsMinor,
        Counter::FaultsMajor,
        Counter::TlbShootdowns,
        Counter::TlbMisses,
        Counter::TlbFlushes,
    ];

    /// The counter's dotted name.
    pub fn name(self) -> &'static str {
        match self {
            Counter::MmapLockReadAcquired => "mmap_lock.read_acquired",
            Counter::MmapLockWriteAcquired => "mmap_lock.write_acquired",
            Counter::MmapLockReadWaitNs => "mmap_lock.read_wait_ns",
            Counter::MmapLockWriteWaitNs => "mmap_lock.write_wait_ns",
            Counter::FaultsMinor => "faults.minor",
            Counter::FaultsMajor => "faults.major",
            Counter::TlbShootdowns => "tlb.shootdowns",
            Counter::TlbMisses => "tlb.misses",
            Counter::TlbFlushes => "tlb.flushes",
        }
    }
}

/// Counters of one hart (atomics: the hart writes, anyone reads).
#[derive(Debug, Default)]
pub struct HartStats {
    counts: [AtomicU64; Counter::ALL.len()],
}

impl HartStats {
    /// Adds `n` to counter `c`.
    #[inline]
    pub fn add(&self, c: Counter, n: u64) {
        self.counts[c as usize].fetch_add(n, Ordering::Relaxed);
    }

    /// The current value of counter `c`.
    pub fn get(&self, c: Counter) -> u64 {
        self.counts[c as usize].load(Ordering::Relaxed)
    }

    /// All counters by name.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        Counter::ALL
            .iter()
            .map(|&c| (c.name().to_string(), self.get(c)))
            .collect()
    }
}

/// A snapshot of all counters.
#[derive(Debug, Default, Clone, Serialize)]
pub struct MmStats {
    /// Counters of each hart that ever ran in the space, by thread id (harts that share a
    /// thread id over time are summed).
    pub per_hart: BTreeMap<u32, BTreeMap<String, u64>>,
    /// Sums over all harts, plus work done on no hart's behalf (such as the loader's
    /// mmaps before the first hart attached).
    pub total: BTreeMap<String, u64>,
}

impl MmStats {
    /// The total of the counter called `name` (0 if unknown).
    pub fn total_of(&self, name: &str) -> u64 {
        self.total.get(name).copied().unwrap_or(0)
    }

    /// The value of the counter called `name` for hart `tid` (0 if unknown).
    pub fn hart_of(&self, tid: u32, name: &str) -> u64 {
        self.per_hart
            .get(&tid)
            .and_then(|m| m.get(name))
            .copied()
            .unwrap_or(0)
    }

    /// Builds a snapshot from the stats of each hart (`Some(tid)`) and of work done on no
    /// hart's behalf (`None`).
    pub(crate) fn collect<'a>(
        sources: impl IntoIterator<Item = (Option<u32>, &'a HartStats)>,
    ) -> MmStats {
        let mut out = MmStats::default();
        for c in Counter::ALL {
            out.total.insert(c.name().to_string(), 0);
        }
        for (tid, stats) in sources {
            for (name, v) in stats.snapshot() {
                if let Some(tid) = tid {
                    *out.per_hart
                        .entry(tid)
                        .or_default()
                        .entry(name.clone())
                        .or_default() += v;
                }
                *out.total.entry(name).or_default() += v;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collect_sums_and_serializes() {
        let a = HartStats::default();
        let b = HartStats::default();
        let other = HartStats::default();
        a.add(Counter::FaultsMinor, 3);
        b.add(Counter::FaultsMinor, 4);
        other.add(Counter::MmapLockWriteAcquired, 1);
        let s = MmStats::collect([(Some(1), &a), (Some(2), &b), (Some(1), &b), (None, &other)]);
        assert_eq!(s.hart_of(1, "faults.minor"), 7);
        assert_eq!(s.hart_of(2, "faults.minor"), 4);
        assert_eq!(s.total_of("faults.minor"), 11);
        assert_eq!(s.total_of("mmap_lock.write_acquired"), 1);
        assert_eq!(s.total_of("tlb.shootdowns"), 0);
        assert!(s.per_hart.get(&1).unwrap().contains_key("faults.major"));
        fn serializable<T: Serialize>(_: &T) {}
        serializable(&s);
    }
}
