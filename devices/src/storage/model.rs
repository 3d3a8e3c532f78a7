//! The device's decisions, free of any clock: given the time of each submission it says
//! when each request starts and finishes. A host-clock driver sleeps until those times;
//! a discrete-event driver jumps to them; tests just read them.

use super::faults::ErrorInjection;
use super::io_stats::DeviceStats;
use super::latency::{Bandwidth, LatencyModel};
use super::request::{Completion, IoError, IoRequest, RequestId};
use super::sched::{IoScheduler, Queued, RequestQueue};
use super::stall::StallModel;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};

/// Everything that shapes the device's behaviour.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceConfig {
    /// Service latency per request.
    pub latency: LatencyModel,
    /// Requests served in parallel (the number of channels); at least 1.
    pub depth: usize,
    /// Order in which queued requests are served.
    pub scheduler: IoScheduler,
    /// Optional cap: a request also occupies its channel for `len / bandwidth`.
    pub bandwidth: Option<Bandwidth>,
    /// When the device stops dispatching.
    pub stall: StallModel,
    /// Which reads fail.
    pub errors: ErrorInjection,
    /// Seed of every random choice, so runs repeat.
    pub seed: u64,
}

impl Default for DeviceConfig {
    /// An NVMe-like device: 100 µs per request, four channels, the deadline scheduler.
    fn default() -> Self {
        DeviceConfig {
            latency: LatencyModel::fixed(100_000),
            depth: 4,
            scheduler: IoScheduler::default(),
            bandwidth: None,
            stall: StallModel::never(),
            errors: ErrorInjection::never(),
            seed: 0,
        }
    }
}

/// A configuration the device cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage depth must be at least 1")]
pub struct ZeroDepth;

/// Independent random streams, so that e.g. turning on error injection leaves the
/// latency sequence as it was.
#[derive(Debug)]
struct Streams {
    latency: ChaCha8Rng,
    stall: ChaCha8Rng,
    errors: ChaCha8Rng,
}

impl Streams {
    fn new(seed: u64) -> Streams {
        let stream = |n| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(n);
            rng
        };
        Streams {
            latency: stream(0),
            stall: stream(1),
            errors: stream(2),
        }
    }
}

/// The device as a pure state machine over nanosecond timestamps.
///
/// Time only moves forward: [`submit`](Self::submit) and [`advance`](Self::advance) take
/// the current time, and a time earlier than one already seen counts as that one. Events
/// at the same instant are taken completions first, so a channel freed at `t` can start
/// another request at `t`.
#[derive(Debug)]
pub struct DeviceModel {
    config: DeviceConfig,
    queue: RequestQueue,
    free_channels: BTreeSet<usize>,
    in_flight: BTreeMap<(u64, RequestId), Completion>,
    finished: Vec<Completion>,
    /// Until when a random stall blocks dispatch.
    stalled_until_ns: u64,
    /// Since when the next dispatch has been possible (a request queued, a channel free).
    ready_since_ns: u64,
    now_ns: u64,
    next_id: u64,
    rng: Streams,
    stats: DeviceStats,
}

impl DeviceModel {
    /// An idle device at time 0.
    pub fn new(config: DeviceConfig) -> Result<DeviceModel, ZeroDepth> {
        if config.depth == 0 {
            return Err(ZeroDepth);
        }
        Ok(DeviceModel {
            queue: RequestQueue::new(config.scheduler),
            free_channels: (0..config.depth).collect(),
            in_flight: BTreeMap::new(),
            finished: Vec::new(),
            stalled_until_ns: 0,
            ready_since_ns: 0,
            now_ns: 0,
            next_id: 0,
            rng: Streams::new(config.seed),
            stats: DeviceStats::default(),
            config,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &DeviceConfig {
        &self.config
    }

    /// The latest time the model has seen.
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    /// Queues `request` at `now_ns` and starts it at once if a channel is free and the
    /// device is not stalled. Anything due by `now_ns` happens first.
    pub fn submit(&mut self, now_ns: u64, request: IoRequest) -> RequestId {
        self.run_until(now_ns);
        let id = RequestId(self.next_id);
        self.next_id += 1;
        if self.queue.is_empty() {
            self.ready_since_ns = self.now_ns;
        }
        self.queue.push(Queued {
            id,
            request,
            submitted_ns: self.now_ns,
        });
        self.run_until(self.now_ns);
        id
    }

    /// Serves the requests dispatched from `now_ns` on with service times drawn from
    /// `latency`; requests already in service keep theirs. Anything due by `now_ns`
    /// happens first.
    pub fn set_latency(&mut self, now_ns: u64, latency: LatencyModel) {
        self.run_until(now_ns);
        self.config.latency = latency;
    }

    /// Stops dispatching from `now_ns` for `for_ns`, as a `--storage-stall` window does:
    /// queued and new requests wait, those in service finish on time. A stall already
    /// running longer is kept. Anything due by `now_ns` happens first.
    pub fn stall(&mut self, now_ns: u64, for_ns: u64) {
        self.run_until(now_ns);
        let until = self.now_ns.saturating_add(for_ns);
        self.stalled_until_ns = self.stalled_until_ns.max(until);
    }

    /// When something next happens (a dispatch or a completion), if anything is pending.
    /// A completion not yet collected counts as happening now.
    pub fn next_event_ns(&self) -> Option<u64> {
        if !self.finished.is_empty() {
            return Some(self.now_ns);
        }
        self.next_device_event_ns()
    }

    /// Runs every event due by `now_ns` and returns the requests that finished, in
    /// completion order.
    pub fn advance(&mut self, now_ns: u64) -> Vec<Completion> {
        self.run_until(now_ns);
        std::mem::take(&mut self.finished)
    }

    /// Runs until nothing is queued or in flight and returns every completion, for tests
    /// and batch simulations where no new request depends on an earlier one.
    pub fn run_to_idle(&mut self) -> Vec<Completion> {
        while let Some(t) = self.next_device_event_ns() {
            self.run_until(t);
        }
        std::mem::take(&mut self.finished)
    }

    /// Requests queued and not yet started.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Requests started and not yet finished.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Counters and distributions of the requests finished so far.
    pub fn stats(&self) -> &DeviceStats {
        &self.stats
    }

    fn next_completion_ns(&self) -> Option<u64> {
        self.in_flight.keys().next().map(|&(t, _)| t)
    }

    fn next_device_event_ns(&self) -> Option<u64> {
        match (self.next_completion_ns(), self.next_dispatch_ns()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// When the next dispatch happens, if one can: both a queued request and a free
    /// channel exist, and the device is past any stall.
    fn next_dispatch_ns(&self) -> Option<u64> {
        if self.queue.is_empty() || self.free_channels.is_empty() {
            return None;
        }
        let t = self.ready_since_ns.max(self.stalled_until_ns);
        Some(self.config.stall.next_serving_ns(t))
    }

    fn run_until(&mut self, now_ns: u64) {
        let now_ns = now_ns.max(self.now_ns);
        loop {
            match (self.next_completion_ns(), self.next_dispatch_ns()) {
                (Some(c), d) if c <= now_ns && d.is_none_or(|d| c <= d) => self.complete(c),
                (_, Some(d)) if d <= now_ns => self.dispatch(d),
                _ => break,
            }
        }
        self.now_ns = now_ns;
    }

    fn complete(&mut self, at_ns: u64) {
        let (_, done) = self
            .in_flight
            .pop_first()
            .expect("complete is called for the earliest in-flight request");
        self.now_ns = at_ns;
        if self.free_channels.is_empty() {
            self.ready_since_ns = at_ns;
        }
        self.free_channels.insert(done.channel);
        self.stats.record(&done);
        self.finished.push(done);
    }

    fn dispatch(&mut self, at_ns: u64) {
        self.now_ns = at_ns;
        if at_ns > self.ready_since_ns.max(self.stalled_until_ns) {
            self.stats.stall_deferrals += 1;
        }
        let q = self
            .queue
            .pop(at_ns)
            .expect("dispatch is called with a request queued");
        let channel = self
            .free_channels
            .pop_first()
            .expect("dispatch is called with a channel free");
        let stall_ns = self.config.stall.roll(&mut self.rng.stall).unwrap_or(0);
        let started_ns = at_ns + stall_ns;
        self.stalled_until_ns = self.stalled_until_ns.max(started_ns);
        let transfer_ns = self
            .config
            .bandwidth
            .map_or(0, |bw| bw.transfer_ns(q.request.len));
        let service_ns = self
            .config
            .latency
            .sample_ns(&mut self.rng.latency)
            .saturating_add(transfer_ns);
        let result = if self.config.errors.fails(&q.request, &mut self.rng.errors) {
            Err(IoError::Injected {
                offset: q.request.offset,
                len: q.request.len,
            })
        } else {
            Ok(())
        };
        let completed_ns = started_ns.saturating_add(service_ns);
        // The next dispatch is possible from now on, if anything is left to dispatch.
        self.ready_since_ns = at_ns;
        self.in_flight.insert(
            (completed_ns, q.id),
            Completion {
                id: q.id,
                request: q.request,
                channel,
                submitted_ns: q.submitted_ns,
                started_ns,
                completed_ns,
                stall_ns,
                result,
            },
        );
    }
}
