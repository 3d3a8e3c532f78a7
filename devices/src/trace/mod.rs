//! Perfetto trace encoding: [`PerfettoWriter`] streams track descriptors and track events
//! as Perfetto's protobuf `Trace` format, the file the Perfetto UI and trace processor
//! open as is.
//!
//! The message types in [`proto`] are generated from a trimmed copy of Perfetto's own
//! schema (`third_party/perfetto`) by `cargo run -p tools --bin gen-perfetto` and checked
//! in; only `prost` is needed at build time.

mod intern;
#[allow(missing_docs, unreachable_pub, clippy::all)]
pub mod proto;
mod writer;

#[cfg(test)]
mod tests;

pub use proto::counter_descriptor::Unit as CounterUnit;
pub use writer::{
    Arg, ArgValue, CounterTrack, CounterValue, Event, FlowId, PerfettoWriter, ProcessTrack, Track,
};
