//! [`PerfettoWriter`]: one packet sequence of a Perfetto trace, streamed to a writer as
//! length-delimited `TracePacket`s (field 1 of `Trace`, so the output, or any number of
//! writers' outputs concatenated, is a valid `Trace`).

use super::intern::InternState;
use super::proto::{
    counter_descriptor::Unit,
    trace_packet::{self, SequenceFlags},
    track_descriptor, track_event, CounterDescriptor, InternedData, ProcessDescriptor,
    ThreadDescriptor, TracePacket, TracePacketDefaults, TrackDescriptor, TrackEvent,
    TrackEventDefaults,
};
use super::wire;
use std::io::{self, Write};
use std::num::NonZeroU32;

/// The field number of `Trace.packet`: each packet is written as one such field.
const TRACE_PACKET_FIELD: u32 = 1;

/// A track that carries slices and instants: a process, a thread or a named custom track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Track {
    /// The track's `uuid`, unique within the trace (one writer describes every track).
    uuid: u64,
}

/// A process's track, the parent of its threads' tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessTrack {
    /// The track itself.
    track: Track,
    /// The process id its threads are described with.
    pid: i32,
}

impl ProcessTrack {
    /// The process's track, to put instants on or to parent custom tracks.
    pub fn track(&self) -> Track {
        self.track
    }
}

/// A counter track: only counter values go there, as the type system keeps slices off it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterTrack {
    /// The track's `uuid`.
    uuid: u64,
}

/// A flow's id: the events that carry it are joined by an arrow in the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowId(pub u64);

/// The value of a debug annotation (an argument shown with the event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgValue<'a> {
    /// An unsigned integer, such as an address or a byte count.
    Uint(u64),
    /// A signed integer, such as a result.
    Int(i64),
    /// A string, such as a path.
    Str(&'a str),
    /// A short string many events repeat (an outcome, a class): interned, so the trace
    /// holds it once per sequence.
    Label(&'static str),
    /// A flag.
    Bool(bool),
    /// An address (shown in hex).
    Pointer(u64),
}

/// A named argument of an event; its name is interned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arg<'a> {
    /// The argument's name (static: interned by where it lives).
    pub name: &'static str,
    /// Its value.
    pub value: ArgValue<'a>,
}

/// What a slice begin or an instant says: its name and, optionally, a category, arguments
/// and flows. `Event { name: "fault", ..Event::default() }` is the plainest one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Event<'a> {
    /// The event's name; interned (static: by where it lives).
    pub name: &'static str,
    /// Its category, if any; interned.
    pub category: Option<&'static str>,
    /// Its arguments, in the order shown.
    pub args: &'a [Arg<'a>],
    /// Flows that start (or pass) here: the source side of an arrow.
    pub flows_out: &'a [FlowId],
    /// Flows that end here: the destination side of an arrow.
    pub flows_in: &'a [FlowId],
}

/// A counter track's value at one time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CounterValue {
    /// An integer value (`counter_value`).
    Int(i64),
    /// A floating-point value (`double_counter_value`).
    Double(f64),
}

impl From<i64> for CounterValue {
    fn from(v: i64) -> Self {
        CounterValue::Int(v)
    }
}

impl From<f64> for CounterValue {
    fn from(v: f64) -> Self {
        CounterValue::Double(v)
    }
}

/// Writes one packet sequence of a Perfetto trace to `W`.
///
/// Every packet carries the writer's `trusted_packet_sequence_id`. The first one clears
/// the sequence's incremental state (`SEQ_INCREMENTAL_STATE_CLEARED`,
/// `first_packet_on_sequence`); event names, annotation names and categories are interned,
/// each defined in the `interned_data` of the first packet that uses it. Track descriptors
/// are written when a track is created, so they precede the track's events, and siblings
/// are shown in the order of the ranks they were given (`EXPLICIT` ordering). Tracks are
/// global to a trace: a writer may put events on tracks another writer of the same file
/// described, as the recorder's sink does (one writer describes, one per thread writes).
///
/// Timestamps are nanoseconds and never decrease on a sequence, as Perfetto requires: a
/// timestamp earlier than the previous event's is clamped to it (and counted, see
/// [`PerfettoWriter::clamped_timestamps`]) rather than rejected, because events gathered
/// from several harts' buffers may be a little out of order under the host clock.
#[derive(Debug)]
pub struct PerfettoWriter<W: Write> {
    /// Where the packets go.
    out: W,
    /// The sequence id every packet carries.
    sequence_id: u32,
    /// Whether the first packet was written (it clears the incremental state).
    started: bool,
    /// The last event timestamp written, in ns.
    last_ns: u64,
    /// How many timestamps were raised to `last_ns`.
    clamped: u64,
    /// The sequence's interned names.
    interned: InternState,
    /// How many tracks were created: uuids follow creation order.
    tracks: u32,
    /// The encoding buffer, reused across packets.
    buf: Vec<u8>,
    /// The track events go to when they name none, set in the first packet.
    default_track: Option<u64>,
    /// A track event's encoded body, its current annotation and its packet, reused.
    body: Vec<u8>,
    annotation: Vec<u8>,
    packet: Vec<u8>,
}

impl<W: Write> PerfettoWriter<W> {
    /// A writer of the sequence `sequence_id` (unique among the writers whose outputs go
    /// into one file) to `out`. Nothing is written until the first track or event.
    pub fn new(out: W, sequence_id: NonZeroU32) -> Self {
        PerfettoWriter {
            out,
            sequence_id: sequence_id.get(),
            started: false,
            last_ns: 0,
            clamped: 0,
            interned: InternState::default(),
            tracks: 0,
            buf: Vec::new(),
            body: Vec::new(),
            annotation: Vec::new(),
            packet: Vec::new(),
            default_track: None,
        }
    }

    /// The same writer, whose events on `track` (described by any writer of the file)
    /// leave its uuid out: the sequence's first packet names it as the default
    /// (`TracePacketDefaults`), two bytes saved on each event of a thread's own track.
    pub fn with_default_track(mut self, track: Track) -> Self {
        self.default_track = Some(track.uuid);
        self
    }

    /// Describes a process track named `name` for process `pid`.
    pub fn process_track(&mut self, pid: i32, name: &str) -> io::Result<ProcessTrack> {
        let uuid = self.new_uuid();
        let track = self.describe_as(uuid, None, 0, |d| {
            d.process = Some(ProcessDescriptor {
                pid: Some(pid),
                process_name: Some(name.to_owned()),
            });
        })?;
        Ok(ProcessTrack { track, pid })
    }

    /// Describes the track of thread `tid` of `process`, named `name`, placed among its
    /// siblings by `rank`.
    pub fn thread_track(
        &mut self,
        process: &ProcessTrack,
        tid: i64,
        name: &str,
        rank: i32,
    ) -> io::Result<Track> {
        let uuid = self.new_uuid();
        self.describe_as(uuid, Some(process.track), rank, |d| {
            d.thread = Some(Self::thread(process, tid, name));
        })
    }

    /// Describes `track`, the track of thread `tid` of `process`, again under a new
    /// name (the thread renamed itself).
    pub fn rename_thread(
        &mut self,
        track: Track,
        process: &ProcessTrack,
        tid: i64,
        name: &str,
        rank: i32,
    ) -> io::Result<()> {
        self.describe_as(track.uuid, Some(process.track), rank, |d| {
            d.thread = Some(Self::thread(process, tid, name));
        })
        .map(|_| ())
    }

    /// The descriptor of thread `tid` of `process` called `name`.
    fn thread(process: &ProcessTrack, tid: i64, name: &str) -> ThreadDescriptor {
        ThreadDescriptor {
            pid: Some(process.pid),
            tid: Some(tid),
            thread_name: Some(name.to_owned()),
        }
    }

    /// Describes a custom track named `name` under `parent` (a daemon, a device, or an
    /// async lane of overlapping requests), placed among its siblings by `rank`.
    pub fn track(&mut self, parent: Track, name: &str, rank: i32) -> io::Result<Track> {
        let uuid = self.new_uuid();
        self.describe_as(uuid, Some(parent), rank, |d| {
            d.static_or_dynamic_name =
                Some(track_descriptor::StaticOrDynamicName::Name(name.to_owned()));
        })
    }

    /// Describes a counter track named `name` under `parent`, whose values are in `unit`,
    /// placed among its siblings by `rank`.
    pub fn counter_track(
        &mut self,
        parent: Track,
        name: &str,
        unit: Unit,
        rank: i32,
    ) -> io::Result<CounterTrack> {
        let uuid = self.new_uuid();
        let track = self.describe_as(uuid, Some(parent), rank, |d| {
            d.static_or_dynamic_name =
                Some(track_descriptor::StaticOrDynamicName::Name(name.to_owned()));
            d.counter = Some(CounterDescriptor {
                unit: Some(unit as i32),
                ..CounterDescriptor::default()
            });
        })?;
        Ok(CounterTrack { uuid: track.uuid })
    }

    /// Begins a slice on `track` at `ts_ns`; slices on one track must nest.
    pub fn slice_begin(&mut self, ts_ns: u64, track: Track, event: &Event<'_>) -> io::Result<()> {
        self.event(
            ts_ns,
            track.uuid,
            track_event::Type::SliceBegin,
            Some(event),
        )
    }

    /// Ends the innermost open slice on `track` at `ts_ns`.
    pub fn slice_end(&mut self, ts_ns: u64, track: Track) -> io::Result<()> {
        self.event(ts_ns, track.uuid, track_event::Type::SliceEnd, None)
    }

    /// Ends the innermost open slice on `track` at `ts_ns`, adding `event`'s arguments
    /// and flows to it (its name is not written: an end names no slice).
    pub fn slice_end_with(
        &mut self,
        ts_ns: u64,
        track: Track,
        event: &Event<'_>,
    ) -> io::Result<()> {
        self.event(ts_ns, track.uuid, track_event::Type::SliceEnd, Some(event))
    }

    /// Marks an instant on `track` at `ts_ns`.
    pub fn instant(&mut self, ts_ns: u64, track: Track, event: &Event<'_>) -> io::Result<()> {
        self.event(ts_ns, track.uuid, track_event::Type::Instant, Some(event))
    }

    /// Sets the value of a counter track from `ts_ns` on.
    pub fn counter(
        &mut self,
        ts_ns: u64,
        track: CounterTrack,
        value: impl Into<CounterValue>,
    ) -> io::Result<()> {
        let value = match value.into() {
            CounterValue::Int(v) => track_event::CounterValueField::CounterValue(v),
            CounterValue::Double(v) => track_event::CounterValueField::DoubleCounterValue(v),
        };
        let event = TrackEvent {
            r#type: Some(track_event::Type::Counter as i32),
            track_uuid: Some(track.uuid),
            counter_value_field: Some(value),
            ..TrackEvent::default()
        };
        let ts = self.stamp(ts_ns);
        self.emit(Some(ts), trace_packet::Data::TrackEvent(event), None)
    }

    /// How many event timestamps were earlier than the one before and were raised to it.
    pub fn clamped_timestamps(&self) -> u64 {
        self.clamped
    }

    /// What was written so far, taken out of the writer (which goes on with an empty
    /// one): for a sink that merges several sequences into one file.
    pub fn take_output(&mut self) -> W
    where
        W: Default,
    {
        std::mem::take(&mut self.out)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    /// A uuid no track of this writer has: uuids follow creation order.
    fn new_uuid(&mut self) -> u64 {
        self.tracks += 1;
        u64::from(self.tracks)
    }

    /// Writes the descriptor of track `uuid` under `parent` at sibling rank `rank`,
    /// filled in by `fill`.
    fn describe_as(
        &mut self,
        uuid: u64,
        parent: Option<Track>,
        rank: i32,
        fill: impl FnOnce(&mut TrackDescriptor),
    ) -> io::Result<Track> {
        let track = Track { uuid };
        let mut descriptor = TrackDescriptor {
            uuid: Some(track.uuid),
            parent_uuid: parent.map(|p| p.uuid),
            sibling_order_rank: Some(rank),
            ..TrackDescriptor::default()
        };
        fill(&mut descriptor);
        if descriptor.counter.is_none() {
            descriptor.child_ordering =
                Some(track_descriptor::ChildTracksOrdering::Explicit as i32);
        }
        self.emit(None, trace_packet::Data::TrackDescriptor(descriptor), None)?;
        Ok(track)
    }

    /// Writes a slice or instant event, interning what it names. The packet is encoded
    /// by hand ([`super::wire`]): it is the one a trace holds millions of.
    fn event(
        &mut self,
        ts_ns: u64,
        track_uuid: u64,
        kind: track_event::Type,
        event: Option<&Event<'_>>,
    ) -> io::Result<()> {
        use super::wire::{debug_annotation as da, track_event as te};
        let mut defs = InternedData::default();
        let mut body = std::mem::take(&mut self.body);
        let mut annotation = std::mem::take(&mut self.annotation);
        body.clear();
        let name_iid = match event {
            Some(e) if kind != track_event::Type::SliceEnd => {
                Some(self.interned.event_name(e.name, &mut defs))
            }
            _ => None,
        };
        if let Some(c) = event.and_then(|e| e.category) {
            wire::varint(
                &mut body,
                te::CATEGORY_IIDS,
                self.interned.category(c, &mut defs),
            );
        }
        wire::varint(&mut body, te::TYPE, kind as i32 as u64);
        if self.default_track != Some(track_uuid) {
            wire::varint(&mut body, te::TRACK_UUID, track_uuid);
        }
        for arg in event.map_or(&[][..], |e| e.args) {
            annotation.clear();
            let name = self.interned.annotation_name(arg.name, &mut defs);
            wire::varint(&mut annotation, da::NAME_IID, name);
            match arg.value {
                ArgValue::Uint(v) => wire::varint(&mut annotation, da::UINT_VALUE, v),
                // int64 travels as its two's complement.
                ArgValue::Int(v) => wire::varint(&mut annotation, da::INT_VALUE, v as u64),
                ArgValue::Str(v) => wire::bytes(&mut annotation, da::STRING_VALUE, v.as_bytes()),
                ArgValue::Label(v) => {
                    let iid = self.interned.string_value(v, &mut defs);
                    wire::varint(&mut annotation, da::STRING_VALUE_IID, iid);
                }
                ArgValue::Bool(v) => wire::varint(&mut annotation, da::BOOL_VALUE, u64::from(v)),
                ArgValue::Pointer(v) => wire::varint(&mut annotation, da::POINTER_VALUE, v),
            }
            wire::bytes(&mut body, te::DEBUG_ANNOTATIONS, &annotation);
        }
        for f in event.map_or(&[][..], |e| e.flows_out) {
            wire::fixed64(&mut body, te::FLOW_IDS, f.0);
        }
        for f in event.map_or(&[][..], |e| e.flows_in) {
            wire::fixed64(&mut body, te::TERMINATING_FLOW_IDS, f.0);
        }
        if let Some(iid) = name_iid {
            wire::varint(&mut body, te::NAME_IID, iid);
        }
        let ts = self.stamp(ts_ns);
        let r = self.emit_event(ts, &body, defs);
        self.body = body;
        self.annotation = annotation;
        r
    }

    /// Writes the packet of a track event whose encoded body is `body`, at `ts`, with
    /// the interned names it defines, in the field order [`Self::emit`] uses.
    fn emit_event(&mut self, ts: u64, body: &[u8], defs: InternedData) -> io::Result<()> {
        use super::wire::trace_packet as tp;
        let mut flags = SequenceFlags::SeqNeedsIncrementalState as u32;
        if !self.started {
            flags |= SequenceFlags::SeqIncrementalStateCleared as u32;
        }
        let mut packet = std::mem::take(&mut self.packet);
        packet.clear();
        wire::varint(&mut packet, tp::TIMESTAMP, ts);
        if defs != InternedData::default() {
            prost::encoding::message::encode(tp::INTERNED_DATA, &defs, &mut packet);
        }
        wire::varint(&mut packet, tp::SEQUENCE_FLAGS, u64::from(flags));
        if !self.started {
            if let Some(defaults) = self.defaults() {
                prost::encoding::message::encode(tp::TRACE_PACKET_DEFAULTS, &defaults, &mut packet);
            }
            wire::varint(&mut packet, tp::FIRST_PACKET_ON_SEQUENCE, 1);
        }
        wire::bytes(&mut packet, tp::TRACK_EVENT, body);
        wire::varint(
            &mut packet,
            tp::TRUSTED_PACKET_SEQUENCE_ID,
            u64::from(self.sequence_id),
        );
        self.started = true;
        self.buf.clear();
        wire::bytes(&mut self.buf, TRACE_PACKET_FIELD, &packet);
        self.packet = packet;
        self.out.write_all(&self.buf)
    }

    /// The defaults the first packet sets, if the writer has a default track.
    fn defaults(&self) -> Option<TracePacketDefaults> {
        self.default_track.map(|uuid| TracePacketDefaults {
            track_event_defaults: Some(TrackEventDefaults {
                track_uuid: Some(uuid),
            }),
        })
    }

    /// `ts_ns`, raised to the sequence's last timestamp if it is earlier.
    fn stamp(&mut self, ts_ns: u64) -> u64 {
        if ts_ns < self.last_ns {
            self.clamped += 1;
        } else {
            self.last_ns = ts_ns;
        }
        self.last_ns
    }

    /// Writes one packet. Track events (`timestamp` is set) depend on the sequence's
    /// interned state; `defs`, when not empty, defines the names first used here.
    fn emit(
        &mut self,
        timestamp: Option<u64>,
        data: trace_packet::Data,
        defs: Option<InternedData>,
    ) -> io::Result<()> {
        let mut flags = 0;
        if !self.started {
            flags |= SequenceFlags::SeqIncrementalStateCleared as u32;
        }
        if timestamp.is_some() {
            flags |= SequenceFlags::SeqNeedsIncrementalState as u32;
        }
        let packet = TracePacket {
            timestamp,
            data: Some(data),
            optional_trusted_packet_sequence_id: Some(
                trace_packet::OptionalTrustedPacketSequenceId::TrustedPacketSequenceId(
                    self.sequence_id,
                ),
            ),
            interned_data: defs.filter(|d| *d != InternedData::default()),
            sequence_flags: (flags != 0).then_some(flags),
            first_packet_on_sequence: (!self.started).then_some(true),
            trace_packet_defaults: self.defaults().filter(|_| !self.started),
        };
        self.started = true;
        self.buf.clear();
        prost::encoding::message::encode(TRACE_PACKET_FIELD, &packet, &mut self.buf);
        self.out.write_all(&self.buf)
    }
}
