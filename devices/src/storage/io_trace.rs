//! What a device records in a trace: each request as a slice on a lane of the device's
//! track from submit to completion (overlapping requests on different lanes, so every
//! track nests), an `io submit` instant on the submitter's own track with a flow to the
//! `io complete` instant on the lane, and the queue depth per I/O class as counters.

use super::prio::IoClass;
use super::request::{Completion, IoKind, IoRequest, RequestId};
use crate::trace::{self, catalog, Phase, TraceArg, TraceRecord, TraceValue, TrackRef};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::num::NonZeroU64;
use std::sync::OnceLock;

/// The classes counted apart, in [`IoClass`] order.
const CLASSES: usize = 4;

/// Which lanes of a device hold a request.
#[derive(Debug, Default)]
pub(crate) struct Lanes {
    /// Per lane: `None` while it holds a request, else since when it is free.
    free_since: Vec<Option<u64>>,
    /// Requests queued or in service per class.
    depth: [i64; CLASSES],
}

/// A traced request's place: its lane and the flow from its submit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TracedIo {
    lane: u16,
    flow: Option<NonZeroU64>,
}

impl Lanes {
    /// The lowest lane free since before `now_ns`, now taken. A lane freed at `now_ns`
    /// is not reused at once: its request's end and the next one's begin, recorded by
    /// different threads at the same time, could be read in either order.
    fn take(&mut self, now_ns: u64) -> u16 {
        let lane = match self
            .free_since
            .iter()
            .position(|f| f.is_some_and(|t| t < now_ns))
        {
            Some(l) => l,
            None => {
                self.free_since.push(None);
                self.free_since.len() - 1
            }
        };
        self.free_since[lane] = None;
        u16::try_from(lane).unwrap_or(u16::MAX)
    }

    /// Records the submission of `request` as `id` on `device` at `now_ns`, with
    /// `queue_pos` requests queued ahead of it, if the calling thread records.
    pub(crate) fn submitted(
        &mut self,
        device: &'static str,
        (id, now_ns): (RequestId, u64),
        request: &IoRequest,
        queue_pos: usize,
    ) -> Option<TracedIo> {
        if !trace::enabled() {
            return None;
        }
        let lane = self.take(now_ns);
        let flow = trace::new_flow();
        let class = request.priority.class();
        let args = [
            TraceArg::new(catalog::REQUEST, TraceValue::Uint(id.0)),
            TraceArg::new(catalog::CLASS, TraceValue::Str(class.name())),
            TraceArg::new(
                catalog::PRIO,
                TraceValue::Uint(u64::from(request.priority.level())),
            ),
            TraceArg::new(catalog::QUEUE_POS, TraceValue::Uint(queue_pos as u64)),
            TraceArg::new(catalog::BYTES, TraceValue::Uint(request.len)),
        ];
        let name = op_name(request.kind);
        trace::instant_with_flows(catalog::IO_SUBMIT, &args, flow, None);
        let mut lane_args = args;
        lane_args[4] = TraceArg::new(
            catalog::SUBMITTER,
            TraceValue::Uint(request.submitter.into()),
        );
        trace::emit(|ts| {
            TraceRecord::new(ts, Phase::Begin, TrackRef::Lane { device, lane }, name)
                .with_args(&lane_args)
        });
        self.depth_changed(device, class, 1, None);
        Some(TracedIo { lane, flow })
    }

    /// Records the completion of a request traced as `io` on `device`.
    pub(crate) fn completed(&mut self, device: &'static str, done: &Completion, io: TracedIo) {
        if let Some(f) = self.free_since.get_mut(usize::from(io.lane)) {
            *f = Some(done.completed_ns);
        }
        let track = TrackRef::Lane {
            device,
            lane: io.lane,
        };
        let at = done.completed_ns;
        let complete = TraceRecord::new(at, Phase::Instant, track, catalog::IO_COMPLETE)
            .with_flows(None, io.flow);
        trace::emit(|_| complete);
        let result = match done.result {
            Ok(()) => "ok",
            Err(_) => "eio",
        };
        let end = TraceRecord::new(at, Phase::End, track, "").with_args(&[
            TraceArg::new(catalog::REQUEST, TraceValue::Uint(done.id.0)),
            TraceArg::new(catalog::QUEUE_NS, TraceValue::Uint(done.queue_wait_ns())),
            TraceArg::new(catalog::SERVICE_NS, TraceValue::Uint(done.service_ns())),
            TraceArg::new(catalog::RESULT, TraceValue::Str(result)),
        ]);
        trace::emit(|_| end);
        self.depth_changed(device, done.request.priority.class(), -1, Some(at));
    }

    /// Moves the queue depth of `class` by `by` and records it (at `at`, or now).
    fn depth_changed(&mut self, device: &'static str, class: IoClass, by: i64, at: Option<u64>) {
        let slot = &mut self.depth[usize::from(class.number())];
        *slot += by;
        let value = *slot;
        let name = depth_counter(device, class);
        trace::emit(|now| {
            TraceRecord::new(
                at.unwrap_or(now),
                Phase::Counter(value),
                TrackRef::Counter(name),
                "",
            )
        });
    }
}

/// `read` or `write`.
fn op_name(kind: IoKind) -> &'static str {
    match kind {
        IoKind::Read => catalog::IO_READ,
        IoKind::Write => catalog::IO_WRITE,
    }
}

/// The name of the counter track of `device`'s queue depth in `class`
/// (`disk queue depth: idle`), made once per device and class.
fn depth_counter(device: &'static str, class: IoClass) -> &'static str {
    static NAMES: OnceLock<Mutex<BTreeMap<(&'static str, u16), &'static str>>> = OnceLock::new();
    let mut names = NAMES.get_or_init(Default::default).lock();
    names.entry((device, class.number())).or_insert_with(|| {
        // A few per device and class for the process's life: leaking them is what lets
        // records hold plain `&'static str` names.
        Box::leak(format!("{device} queue depth: {}", class.name()).into_boxed_str())
    })
}
