//! Latency events and their tables: each ended slice of a class the report measures (a
//! fault by path and outcome, the lock and folio waits, an I/O request by class, an mm
//! system call) is one event of its thread; a table per thread holds, per class, the
//! count, min, mean, max and percentiles (from an HdrHistogram).

use super::model::{SliceId, Trace};
use devices::trace::catalog;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;

/// The system calls of the memory manager, whose slices are measured.
const MM_CALLS: [&str; 16] = [
    "mmap",
    "munmap",
    "mprotect",
    "madvise",
    "mremap",
    "brk",
    "msync",
    "mlock",
    "mlock2",
    "munlock",
    "mlockall",
    "munlockall",
    "mincore",
    "process_madvise",
    "pkey_mprotect",
    "remap_file_pages",
];

/// The columns of a table after the count, in microseconds.
pub(crate) const COLUMNS: [&str; 8] =
    ["min", "mean", "p50", "p90", "p99", "p99.9", "p99.99", "max"];

/// Significant digits the histograms keep (0.1% error at most).
const SIGNIFICANT_DIGITS: u8 = 3;

/// One measured slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LatencyEvent {
    /// The thread it is charged to (an I/O request: its submitter; 0: none).
    pub(crate) tid: u32,
    /// Its class.
    pub(crate) class: Class,
    /// When it began.
    pub(crate) start_ns: u64,
    /// How long it lasted.
    pub(crate) dur_ns: u64,
    /// The slice.
    pub(crate) slice: SliceId,
}

/// What a latency event is; the order is the tables' row order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Class {
    /// A fault, by the locks its attempts took and how it ended.
    Fault {
        /// `vma`, `mmap` or `vma+mmap`.
        path: String,
        /// `minor`, `major`, ...
        outcome: String,
    },
    /// Waiting for `mmap_lock` for read.
    MmapLockReadWait,
    /// Waiting for `mmap_lock` for write.
    MmapLockWriteWait,
    /// Waiting for a VMA's readers.
    VmaWriteWait,
    /// Waiting for a folio: `io` or `locked`.
    FolioWait(String),
    /// An I/O request from submit to completion, by op and priority class.
    Io {
        /// `read` or `write`.
        op: String,
        /// `rt`, `be` or `idle`.
        class: String,
    },
    /// An mm system call.
    Call(String),
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Class::Fault { path, outcome } => write!(f, "{} {path} {outcome}", catalog::FAULT),
            Class::MmapLockReadWait => f.write_str(catalog::MMAP_LOCK_READ_WAIT),
            Class::MmapLockWriteWait => f.write_str(catalog::MMAP_LOCK_WRITE_WAIT),
            Class::VmaWriteWait => f.write_str(catalog::VMA_WRITE_WAIT),
            Class::FolioWait(what) => write!(f, "{} {what}", catalog::FOLIO_WAIT),
            Class::Io { op, class } => write!(f, "io {op} {class}"),
            Class::Call(name) => f.write_str(name),
        }
    }
}

/// The class of slice `id` and the thread it is charged to, if it is measured.
fn classify(trace: &Trace, id: SliceId) -> Option<(u32, Class)> {
    let s = &trace.slices[id];
    let arg = |name| s.args.str(name).unwrap_or("?").to_string();
    if trace.lane(s.track).is_some() {
        if &*s.name != catalog::IO_READ && &*s.name != catalog::IO_WRITE {
            return None;
        }
        let tid = s
            .args
            .uint(catalog::SUBMITTER)
            .and_then(|t| u32::try_from(t).ok())
            .unwrap_or(0);
        let class = Class::Io {
            op: s.name.to_string(),
            class: arg(catalog::CLASS),
        };
        return Some((tid, class));
    }
    let tid = trace.tid_of(s.track)?;
    let class = match &*s.name {
        catalog::FAULT => Class::Fault {
            path: arg(catalog::PATH),
            outcome: arg(catalog::OUTCOME),
        },
        catalog::MMAP_LOCK_READ_WAIT => Class::MmapLockReadWait,
        catalog::MMAP_LOCK_WRITE_WAIT => Class::MmapLockWriteWait,
        catalog::VMA_WRITE_WAIT => Class::VmaWriteWait,
        catalog::FOLIO_WAIT => Class::FolioWait(arg(catalog::WHAT)),
        // A guest marker may share a call's name; a call carries its arguments.
        name if MM_CALLS.contains(&name) && s.args.get(catalog::ARG0).is_some() => {
            Class::Call(name.to_string())
        }
        _ => return None,
    };
    Some((tid, class))
}

/// Every latency event of the trace (of thread `only`, if given), in slice order.
pub(crate) fn events(trace: &Trace, only: Option<u32>) -> Vec<LatencyEvent> {
    (0..trace.slices.len())
        .filter_map(|id| {
            let dur_ns = trace.slices[id].dur_ns()?;
            let (tid, class) = classify(trace, id)?;
            (only.is_none_or(|t| t == tid)).then(|| LatencyEvent {
                tid,
                class,
                start_ns: trace.slices[id].start_ns,
                dur_ns,
                slice: id,
            })
        })
        .collect()
}

/// A class's latencies: exact count, sum, min and max, and a histogram for percentiles.
#[derive(Debug, Clone)]
pub(crate) struct Latencies {
    hist: Histogram<u64>,
    sum_ns: u128,
    min_ns: u64,
    max_ns: u64,
}

impl Latencies {
    /// No latency yet.
    pub(crate) fn new() -> Latencies {
        Latencies {
            hist: Histogram::new(SIGNIFICANT_DIGITS).expect("3 significant digits are valid"),
            sum_ns: 0,
            min_ns: u64::MAX,
            max_ns: 0,
        }
    }

    /// Adds one latency.
    pub(crate) fn record(&mut self, ns: u64) {
        // The histogram grows to take the value; past the largest it can grow to (2^63),
        // the value is kept as that largest.
        if self.hist.record(ns).is_err() {
            self.hist.saturating_record(ns);
        }
        self.sum_ns += u128::from(ns);
        self.min_ns = self.min_ns.min(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    /// The row of class `class`.
    pub(crate) fn row(&self, class: &impl std::fmt::Display) -> Row {
        let count = self.hist.len();
        let mean = u64::try_from(self.sum_ns / u128::from(count.max(1))).unwrap_or(u64::MAX);
        // Percentiles are kept within the exact min and max the histogram rounds.
        let p = |q: f64| {
            us(self
                .hist
                .value_at_percentile(q)
                .clamp(self.min_ns, self.max_ns))
        };
        Row {
            class: class.to_string(),
            count,
            min_us: us(self.min_ns),
            mean_us: us(mean),
            p50_us: p(50.0),
            p90_us: p(90.0),
            p99_us: p(99.0),
            p99_9_us: p(99.9),
            p99_99_us: p(99.99),
            max_us: us(self.max_ns),
        }
    }
}

/// Nanoseconds as microseconds.
pub(crate) fn us(ns: u64) -> f64 {
    // Exact below 2^53 ns (104 days).
    #[allow(clippy::cast_precision_loss)]
    let ns = ns as f64;
    ns / 1000.0
}

/// One class's line of a table, in microseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The class.
    pub class: String,
    /// How many events.
    pub count: u64,
    /// The shortest.
    pub min_us: f64,
    /// The mean.
    pub mean_us: f64,
    /// The 50th percentile.
    pub p50_us: f64,
    /// The 90th percentile.
    pub p90_us: f64,
    /// The 99th percentile.
    pub p99_us: f64,
    /// The 99.9th percentile.
    pub p99_9_us: f64,
    /// The 99.99th percentile.
    pub p99_99_us: f64,
    /// The longest.
    pub max_us: f64,
}

impl Row {
    /// The values of [`COLUMNS`].
    pub(crate) fn columns(&self) -> [f64; 8] {
        [
            self.min_us,
            self.mean_us,
            self.p50_us,
            self.p90_us,
            self.p99_us,
            self.p99_9_us,
            self.p99_99_us,
            self.max_us,
        ]
    }
}

/// One thread's table (or every thread's, `tid` `None`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Table {
    /// The thread.
    pub(crate) tid: Option<u32>,
    /// Its name (`all threads` for the total).
    pub(crate) name: String,
    /// A row per class, in class order.
    pub(crate) rows: Vec<Row>,
}

/// A table per thread with events, in tid order, then (unless one thread was selected)
/// the table of all of them.
pub(crate) fn tables(trace: &Trace, events: &[LatencyEvent], selected: bool) -> Vec<Table> {
    let mut per_thread: BTreeMap<u32, BTreeMap<&Class, Latencies>> = BTreeMap::new();
    let mut all: BTreeMap<&Class, Latencies> = BTreeMap::new();
    for e in events {
        per_thread
            .entry(e.tid)
            .or_default()
            .entry(&e.class)
            .or_insert_with(Latencies::new)
            .record(e.dur_ns);
        all.entry(&e.class)
            .or_insert_with(Latencies::new)
            .record(e.dur_ns);
    }
    let rows = |classes: &BTreeMap<&Class, Latencies>| {
        classes.iter().map(|(c, l)| l.row(c)).collect::<Vec<_>>()
    };
    let mut out: Vec<Table> = per_thread
        .iter()
        .map(|(&tid, classes)| Table {
            tid: Some(tid),
            name: trace.thread_name(tid).to_string(),
            rows: rows(classes),
        })
        .collect();
    if !selected {
        out.push(Table {
            tid: None,
            name: "all threads".into(),
            rows: rows(&all),
        });
    }
    out
}
