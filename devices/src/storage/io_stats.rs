//! What the device counts: requests, bytes, errors, stalls, and latency distributions,
//! in total and per I/O class.

use super::prio::IoClass;
use super::request::{Completion, IoKind};
use hdrhistogram::Histogram;

/// Three significant digits: percentiles within 0.1%, in a few hundred KiB at most.
const SIGNIFICANT_DIGITS: u8 = 3;

/// A latency distribution in nanoseconds.
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    hist: Histogram<u64>,
    // Kept apart because the histogram only knows it to its precision.
    max_ns: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            // Cannot fail: 3 digits is within hdrhistogram's 0..=5, and auto-resize lifts
            // the upper bound.
            hist: Histogram::new(SIGNIFICANT_DIGITS).expect("valid histogram precision"),
            max_ns: 0,
        }
    }
}

impl LatencyHistogram {
    fn record(&mut self, ns: u64) {
        self.max_ns = self.max_ns.max(ns);
        // `record` grows the histogram; `saturating_record` would clamp to its current
        // bound instead, so it is only the fallback for values beyond any bound.
        if self.hist.record(ns).is_err() {
            self.hist.saturating_record(ns);
        }
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// The value below which `q` (0..=1) of the samples lie, to 0.1%; 0 when empty.
    /// Never above the exact maximum: the histogram reports a bucket's upper end, which
    /// can lie past the largest sample.
    pub fn quantile_ns(&self, q: f64) -> u64 {
        self.hist.value_at_quantile(q).min(self.max_ns)
    }

    /// The largest sample, exactly; 0 when empty.
    pub fn max_ns(&self) -> u64 {
        self.max_ns
    }

    /// The mean, 0 when empty.
    pub fn mean_ns(&self) -> f64 {
        self.hist.mean()
    }

    fn export(&self, name: &str, out: &mut Vec<(String, u64)>) {
        out.push((format!("{name}.p50"), self.quantile_ns(0.5)));
        out.push((format!("{name}.p99"), self.quantile_ns(0.99)));
        out.push((format!("{name}.max"), self.max_ns()));
    }
}

/// Counts and distributions for one group of requests.
#[derive(Debug, Clone, Default)]
pub struct ClassStats {
    /// Reads completed, failed or not.
    pub reads: u64,
    /// Writes completed, failed or not.
    pub writes: u64,
    /// Requests the device failed (injected errors; a host file that cannot be written
    /// is the backing store's failure, not the device's, and is not counted).
    pub errors: u64,
    /// Bytes of reads that succeeded.
    pub bytes_read: u64,
    /// Bytes of writes that succeeded.
    pub bytes_written: u64,
    /// Submission to service start, whatever held the request (queue, stall).
    pub queue_wait: LatencyHistogram,
    /// Service start to completion.
    pub service: LatencyHistogram,
    /// Submission to completion, reads only.
    pub read_latency: LatencyHistogram,
    /// Submission to completion, writes only.
    pub write_latency: LatencyHistogram,
}

impl ClassStats {
    fn record(&mut self, c: &Completion) {
        let ok = c.result.is_ok();
        let len = if ok { c.request.len } else { 0 };
        match c.request.kind {
            IoKind::Read => {
                self.reads += 1;
                self.bytes_read += len;
                self.read_latency.record(c.latency_ns());
            }
            IoKind::Write => {
                self.writes += 1;
                self.bytes_written += len;
                self.write_latency.record(c.latency_ns());
            }
        }
        self.errors += u64::from(!ok);
        self.queue_wait.record(c.queue_wait_ns());
        self.service.record(c.service_ns());
    }

    fn export(&self, prefix: &str, out: &mut Vec<(String, u64)>) {
        out.push((format!("{prefix}.reads"), self.reads));
        out.push((format!("{prefix}.writes"), self.writes));
        out.push((format!("{prefix}.errors"), self.errors));
        out.push((format!("{prefix}.bytes_read"), self.bytes_read));
        out.push((format!("{prefix}.bytes_written"), self.bytes_written));
        self.read_latency
            .export(&format!("{prefix}.read_latency_ns"), out);
        self.write_latency
            .export(&format!("{prefix}.write_latency_ns"), out);
        self.queue_wait
            .export(&format!("{prefix}.queue_wait_ns"), out);
        self.service.export(&format!("{prefix}.service_ns"), out);
    }
}

/// Everything the device has counted since it was created.
#[derive(Debug, Clone, Default)]
pub struct DeviceStats {
    /// All requests.
    pub total: ClassStats,
    /// Real-time requests.
    pub realtime: ClassStats,
    /// Best-effort requests (including those with no class set).
    pub best_effort: ClassStats,
    /// Idle requests.
    pub idle: ClassStats,
    /// Random stalls the device took.
    pub stalls: u64,
    /// Nanoseconds of random stalls.
    pub stall_ns: u64,
    /// Scheduled stalls that found work ready to start and held it back (at most one
    /// per stall).
    pub stall_deferrals: u64,
}

impl DeviceStats {
    /// Accounts one finished request.
    pub(crate) fn record(&mut self, c: &Completion) {
        self.total.record(c);
        self.class_mut(c.request.priority.sched_class()).record(c);
        if c.stall_ns > 0 {
            self.stalls += 1;
            self.stall_ns += c.stall_ns;
        }
    }

    /// The group a scheduler class is counted in.
    pub fn class(&self, class: IoClass) -> &ClassStats {
        match class {
            IoClass::RealTime => &self.realtime,
            IoClass::None | IoClass::BestEffort => &self.best_effort,
            IoClass::Idle => &self.idle,
        }
    }

    fn class_mut(&mut self, class: IoClass) -> &mut ClassStats {
        match class {
            IoClass::RealTime => &mut self.realtime,
            IoClass::None | IoClass::BestEffort => &mut self.best_effort,
            IoClass::Idle => &mut self.idle,
        }
    }

    /// Flat named counters for the emulator's statistics file: `io.reads`,
    /// `io.read_latency_ns.p99`, `io.queue_wait_ns.max`…, then the same per class under
    /// `io.rt.`, `io.be.` and `io.idle.`.
    pub fn counters(&self) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        self.total.export("io", &mut out);
        out.push(("io.stalls".into(), self.stalls));
        out.push(("io.stall_ns".into(), self.stall_ns));
        out.push(("io.stall_deferrals".into(), self.stall_deferrals));
        for class in [IoClass::RealTime, IoClass::BestEffort, IoClass::Idle] {
            self.class(class)
                .export(&format!("io.{}", class.name()), &mut out);
        }
        out
    }
}
