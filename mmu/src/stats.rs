//! Memory-manager counters, per hart and in total.
//!
//! Each hart owns a [`HartStats`] of relaxed atomic counters: the hart (or whoever acts on
//! its behalf, such as a system call it makes) adds, anyone reads. Counter names are
//! dotted (`mmap_lock.read_acquired`) and stable: reports and tests key on them.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Declares [`Counter`] with each variant's dotted name, in report order.
macro_rules! counters {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)*) => {
        /// One memory-manager counter.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Counter {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Counter {
            /// Every counter, in report order.
            pub const ALL: &'static [Counter] = &[$(Counter::$variant),*];

            /// The counter's dotted name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Counter::$variant => $name,)*
                }
            }
        }
    };
}

counters! {
    /// `mmap_lock` taken for read.
    MmapLockReadAcquired => "mmap_lock.read_acquired",
    /// `mmap_lock` taken for write.
    MmapLockWriteAcquired => "mmap_lock.write_acquired",
    /// Nanoseconds spent waiting to take `mmap_lock` for read.
    MmapLockReadWaitNs => "mmap_lock.read_wait_ns",
    /// Nanoseconds spent waiting to take `mmap_lock` for write.
    MmapLockWriteWaitNs => "mmap_lock.write_wait_ns",
    /// Nanoseconds `mmap_lock` was held for read.
    MmapLockReadHoldNs => "mmap_lock.read_hold_ns",
    /// Nanoseconds `mmap_lock` was held for write.
    MmapLockWriteHoldNs => "mmap_lock.write_hold_ns",
    /// Read acquisitions that queued and waited under 1 µs.
    MmapLockReadWaitsLt1us => "mmap_lock.read_waits_lt_1us",
    /// Read acquisitions that queued and waited 1–10 µs.
    MmapLockReadWaits1us10us => "mmap_lock.read_waits_1us_10us",
    /// Read acquisitions that queued and waited 10–100 µs.
    MmapLockReadWaits10us100us => "mmap_lock.read_waits_10us_100us",
    /// Read acquisitions that queued and waited 100 µs–1 ms.
    MmapLockReadWaits100us1ms => "mmap_lock.read_waits_100us_1ms",
    /// Read acquisitions that queued and waited 1–10 ms.
    MmapLockReadWaits1ms10ms => "mmap_lock.read_waits_1ms_10ms",
    /// Read acquisitions that queued and waited 10–100 ms.
    MmapLockReadWaits10ms100ms => "mmap_lock.read_waits_10ms_100ms",
    /// Read acquisitions that queued and waited 100 ms–1 s.
    MmapLockReadWaits100ms1s => "mmap_lock.read_waits_100ms_1s",
    /// Read acquisitions that queued and waited 1 s or more.
    MmapLockReadWaitsGe1s => "mmap_lock.read_waits_ge_1s",
    /// Write acquisitions that queued and waited under 1 µs.
    MmapLockWriteWaitsLt1us => "mmap_lock.write_waits_lt_1us",
    /// Write acquisitions that queued and waited 1–10 µs.
    MmapLockWriteWaits1us10us => "mmap_lock.write_waits_1us_10us",
    /// Write acquisitions that queued and waited 10–100 µs.
    MmapLockWriteWaits10us100us => "mmap_lock.write_waits_10us_100us",
    /// Write acquisitions that queued and waited 100 µs–1 ms.
    MmapLockWriteWaits100us1ms => "mmap_lock.write_waits_100us_1ms",
    /// Write acquisitions that queued and waited 1–10 ms.
    MmapLockWriteWaits1ms10ms => "mmap_lock.write_waits_1ms_10ms",
    /// Write acquisitions that queued and waited 10–100 ms.
    MmapLockWriteWaits10ms100ms => "mmap_lock.write_waits_10ms_100ms",
    /// Write acquisitions that queued and waited 100 ms–1 s.
    MmapLockWriteWaits100ms1s => "mmap_lock.write_waits_100ms_1s",
    /// Write acquisitions that queued and waited 1 s or more.
    MmapLockWriteWaitsGe1s => "mmap_lock.write_waits_ge_1s",
    /// Times a waiting writer set the handoff bit of `mmap_lock`.
    MmapLockHandoffs => "mmap_lock.handoffs",
    /// Write acquisitions of `mmap_lock` taken past queued waiters.
    MmapLockWriteSteals => "mmap_lock.write_steals",
    /// Killable waits for `mmap_lock` ended by a fatal signal.
    MmapLockKilled => "mmap_lock.killed",
    /// Faults handled entirely under a per-VMA lock (permission failures included).
    VmaLockSuccess => "vma_lock.success",
    /// Per-VMA lock attempts that failed (VMA write-locked or none found): the fault
    /// went the `mmap_lock` way.
    VmaLockAbort => "vma_lock.abort",
    /// Faults under a per-VMA lock that returned RETRY (the lock dropped to wait).
    VmaLockRetry => "vma_lock.retry",
    /// Per-VMA lock attempts that found their VMA detached and looked again.
    VmaLockMiss => "vma_lock.miss",
    /// VMAs write-locked by mm operations.
    VmaLockWriteLocked => "vma_lock.write_locked",
    /// Nanoseconds mm operations waited for a VMA's readers before write-locking it.
    VmaLockWriteWaitNs => "vma_lock.write_wait_ns",
    /// Faults resolved without I/O (demand-zero pages, pages already in memory).
    FaultsMinor => "faults.minor",
    /// Faults that needed I/O (a page-cache miss, or the retry after one).
    FaultsMajor => "faults.major",
    /// Retries after an I/O wait that found their page gone from the page cache again.
    FaultsRetryIoMiss => "faults.retry_io_miss",
    /// Page-cache look-ups that found the page.
    PagecacheHits => "pagecache.hits",
    /// Page-cache look-ups that had to read the page from the device.
    PagecacheMisses => "pagecache.misses",
    /// Pages reclaim looked at as candidates (on the inactive lists, or named by
    /// MADV_PAGEOUT).
    ReclaimScanned => "reclaim.scanned",
    /// Pages reclaim freed.
    ReclaimReclaimed => "reclaim.reclaimed",
    /// Pages reclaim moved from an inactive list to the active one (referenced again).
    ReclaimActivated => "reclaim.activated",
    /// Pages reclaim moved from an active list to the inactive one, references cleared.
    ReclaimDeactivated => "reclaim.deactivated",
    /// Pages read in from swap.
    SwapIns => "swap.ins",
    /// Pages written out to swap.
    SwapOuts => "swap.outs",
    /// Dirty page-cache pages written back to their files.
    WritebackPages => "writeback.pages",
    /// Of those, pages the flusher wrote back (old, or too many dirty).
    WritebackBackground => "writeback.background",
    /// Writes throttled for pushing dirty pages past the dirty threshold.
    WritebackThrottled => "writeback.throttled",
    /// Pages read from swap ahead of a fault (counted in `swap.ins` too).
    SwapRa => "swap.ra",
    /// Read-ahead pages a fault later found in the swap cache.
    SwapRaHits => "swap.ra_hits",
    /// Fault attempts that returned RETRY (dropped their lock to wait) and were made again.
    FaultsRetry => "faults.retry",
    /// TLB shootdowns this hart initiated.
    TlbShootdowns => "tlb.shootdowns",
    /// Nanoseconds this hart's shootdowns waited for the other harts' acknowledgements.
    TlbShootdownWaitNs => "tlb.shootdown_wait_ns",
    /// TLB misses (slow-path translations).
    TlbMisses => "tlb.misses",
    /// Whole-TLB flushes (shootdown acknowledgements, re-entries after invalidations).
    TlbFlushes => "tlb.flushes",
    /// Address spaces forked (`dup_mmap` runs).
    ForkCount => "fork.count",
    /// Nanoseconds the parent held `mmap_lock` for write in `dup_mmap`.
    ForkDupMmapNs => "fork.dup_mmap_ns",
    /// Stores to a private page a fork left shared that copied it.
    ForkCowFaults => "fork.cow_faults",
    /// Nanoseconds fork waited for the readers of the parent's VMAs to drain.
    ForkVmaWriteWaitNs => "fork.vma_write_wait_ns",
}

/// Which decade of nanoseconds a wait falls in: 0 for under 1 µs, 1 for 1–10 µs, … 7
/// for 1 s or more (the order of the `*_waits_*` counters).
pub fn wait_decade(ns: u64) -> usize {
    let mut bound = 1_000;
    let mut decade = 0;
    while decade < 7 && ns >= bound {
        bound *= 10;
        decade += 1;
    }
    decade
}

/// Counters of one hart (atomics: the hart writes, anyone reads).
#[derive(Debug)]
pub struct HartStats {
    counts: [AtomicU64; Counter::ALL.len()],
}

impl Default for HartStats {
    fn default() -> Self {
        HartStats {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
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

/// The memory manager's own background threads, whose work is counted apart from the
/// harts' (as Linux tells `pgscan_kswapd` from `pgscan_direct`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Daemon {
    /// The background reclaimer.
    Kswapd,
    /// The background writeback thread.
    Flusher,
}

impl Daemon {
    /// Every daemon, in the order their stats are listed.
    pub const ALL: [Daemon; 2] = [Daemon::Kswapd, Daemon::Flusher];

    /// Its name, as its thread and its stats entry are called.
    pub fn name(self) -> &'static str {
        match self {
            Daemon::Kswapd => "kswapd",
            Daemon::Flusher => "flusher",
        }
    }
}

/// Whose work a set of counters or an event records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsOwner {
    /// The hart with this thread id.
    Hart(u32),
    /// A background thread of the memory manager.
    Daemon(Daemon),
    /// Nobody in particular (such as the loader's mmaps before the first hart attached).
    Nobody,
}

/// A snapshot of all counters.
#[derive(Debug, Default, Clone, Serialize)]
pub struct MmStats {
    /// Counters of each hart that ever ran in the space, by thread id (harts that share a
    /// thread id over time are summed).
    pub per_hart: BTreeMap<u32, BTreeMap<String, u64>>,
    /// Counters of each background thread, by [`Daemon::name`].
    pub daemons: BTreeMap<String, BTreeMap<String, u64>>,
    /// Sums over all harts and daemons, plus work done on nobody's behalf (such as the
    /// loader's mmaps before the first hart attached).
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

    /// The value of the counter called `name` for daemon `daemon` (0 if unknown).
    pub fn daemon_of(&self, daemon: Daemon, name: &str) -> u64 {
        self.daemons
            .get(daemon.name())
            .and_then(|m| m.get(name))
            .copied()
            .unwrap_or(0)
    }

    /// Builds a snapshot from the stats of each hart, daemon and of work done on nobody's
    /// behalf.
    pub(crate) fn collect<'a>(
        sources: impl IntoIterator<Item = (StatsOwner, &'a HartStats)>,
    ) -> MmStats {
        let mut out = MmStats::default();
        for &c in Counter::ALL {
            out.total.insert(c.name().to_string(), 0);
        }
        for (owner, stats) in sources {
            let own = match owner {
                StatsOwner::Hart(tid) => Some(out.per_hart.entry(tid).or_default()),
                StatsOwner::Daemon(d) => Some(out.daemons.entry(d.name().into()).or_default()),
                StatsOwner::Nobody => None,
            };
            let snapshot = stats.snapshot();
            if let Some(own) = own {
                for (name, v) in &snapshot {
                    *own.entry(name.clone()).or_default() += v;
                }
            }
            for (name, v) in snapshot {
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
        let kswapd = HartStats::default();
        kswapd.add(Counter::ReclaimScanned, 5);
        let s = MmStats::collect([
            (StatsOwner::Hart(1), &a),
            (StatsOwner::Hart(2), &b),
            (StatsOwner::Hart(1), &b),
            (StatsOwner::Daemon(Daemon::Kswapd), &kswapd),
            (StatsOwner::Nobody, &other),
        ]);
        assert_eq!(s.hart_of(1, "faults.minor"), 7);
        assert_eq!(s.hart_of(2, "faults.minor"), 4);
        assert_eq!(s.total_of("faults.minor"), 11);
        assert_eq!(s.daemon_of(Daemon::Kswapd, "reclaim.scanned"), 5);
        assert_eq!(s.daemon_of(Daemon::Flusher, "reclaim.scanned"), 0);
        assert_eq!(s.total_of("reclaim.scanned"), 5);
        assert_eq!(s.total_of("mmap_lock.write_acquired"), 1);
        assert_eq!(s.total_of("tlb.shootdowns"), 0);
        assert!(s.per_hart.get(&1).unwrap().contains_key("faults.major"));
        fn serializable<T: Serialize>(_: &T) {}
        serializable(&s);
    }

    #[test]
    fn waits_fall_in_decades() {
        let cases = [
            (0, 0),
            (999, 0),
            (1_000, 1),
            (9_999, 1),
            (10_000, 2),
            (100_000, 3),
            (1_000_000, 4),
            (10_000_000, 5),
            (99_999_999, 5),
            (100_000_000, 6),
            (1_000_000_000, 7),
            (u64::MAX, 7),
        ];
        for (ns, decade) in cases {
            assert_eq!(wait_decade(ns), decade, "{ns} ns");
        }
    }

    #[test]
    fn names_are_unique() {
        let names: std::collections::HashSet<_> = Counter::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), Counter::ALL.len());
    }
}
