//! Traces: the run's recorder ([`Recorder`]: per-thread buffers of fixed-size
//! [`TraceRecord`]s, drained by a sink thread) and their encoding ([`PerfettoWriter`]:
//! Perfetto's protobuf `Trace` format, the file the Perfetto UI and trace processor open
//! as is).
//!
//! The message types in [`proto`] are generated from a trimmed copy of Perfetto's own
//! schema (`third_party/perfetto`) by `cargo run -p tools --bin gen-perfetto` and checked
//! in; only `prost` is needed at build time.

pub mod catalog;
mod guest_names;
mod intern;
#[allow(missing_docs, unreachable_pub, clippy::all)]
pub mod proto;
mod record;
mod recorder;
mod sink;
mod wire;
mod writer;

#[cfg(test)]
mod recorder_tests;
#[cfg(test)]
mod tests;

pub use guest_names::{guest_name, GuestNames, MAX_GUEST_NAMES, MAX_GUEST_NAME_LEN, OVERFLOW_NAME};
pub use proto::counter_descriptor::Unit as CounterUnit;
pub use record::{
    Phase, TidList, TraceArg, TraceRecord, TraceValue, TrackRef, MAX_ARGS, TID_LIST_LEN,
};
pub use recorder::{
    begin, begin_lazy, counter, current, detach, emit, enabled, end, end_lazy, instant,
    instant_with_flows, new_flow, thread_name, Recorder, WhenFull, CHUNK_RECORDS,
};
pub use sink::{Owner, TraceSummary};
pub use writer::{
    Arg, ArgValue, CounterTrack, CounterValue, Event, FlowId, PerfettoWriter, ProcessTrack, Track,
};
