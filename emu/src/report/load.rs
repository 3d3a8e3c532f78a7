//! A faultline trace file turned into a [`Trace`]: track descriptors into tracks, each
//! sequence's interned names resolved, slice begins joined with their ends (an end's
//! arguments and flows join its slice), instants indexed by track and by the flows they start.

use super::model::{Args, Instant, Name, Slice, SliceId, Trace, Track, TrackKind, Value};
use super::stream::Packets;
use anyhow::{anyhow, bail, Context, Result};
use devices::trace::catalog;
use devices::trace::proto::{
    debug_annotation, trace_packet, track_descriptor, track_event, InternedData, TrackDescriptor,
    TrackEvent,
};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;

/// One sequence's interned names.
#[derive(Debug, Default)]
struct Interned {
    event_names: BTreeMap<u64, Name>,
    annotation_names: BTreeMap<u64, Name>,
    string_values: BTreeMap<u64, Name>,
    /// The track of the sequence's events that name none (`TracePacketDefaults`).
    default_track: Option<u64>,
}

impl Interned {
    /// Adds the definitions a packet carries.
    fn define(&mut self, defs: InternedData) {
        for n in defs.event_names {
            if let (Some(iid), Some(name)) = (n.iid, n.name) {
                self.event_names.insert(iid, name.into());
            }
        }
        for n in defs.debug_annotation_names {
            if let (Some(iid), Some(name)) = (n.iid, n.name) {
                self.annotation_names.insert(iid, name.into());
            }
        }
        for s in defs.debug_annotation_string_values {
            if let (Some(iid), Some(bytes)) = (s.iid, s.str) {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                self.string_values.insert(iid, text.into());
            }
        }
    }
}

/// What the loader keeps while it reads.
#[derive(Debug, Default)]
struct Loader {
    trace: Trace,
    sequences: BTreeMap<u32, Interned>,
    /// The open slices of each track, innermost last.
    open: BTreeMap<u64, Vec<SliceId>>,
    /// String values seen so far: most repeat (a class, an outcome), so each is kept once.
    strings: BTreeSet<Name>,
    /// Ends of device requests read before their begins (a request is begun by its
    /// submitter's sequence and ended by the device's, which the file may hold first):
    /// by lane track and request, the end's time, arguments and flows.
    early_ends: BTreeMap<(u64, u64), (u64, Args, Vec<u64>)>,
}

/// Reads the trace at `path`.
pub(crate) fn load(path: &Path) -> Result<Trace> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    read(BufReader::new(file)).with_context(|| path.display().to_string())
}

/// Reads a trace from `input`.
pub(crate) fn read(input: impl BufRead) -> Result<Trace> {
    let mut packets = Packets::new(input);
    let mut loader = Loader::default();
    let mut any = false;
    while let Some((at, packet)) = packets.next_packet()? {
        any = true;
        let seq = match packet.optional_trusted_packet_sequence_id {
            Some(trace_packet::OptionalTrustedPacketSequenceId::TrustedPacketSequenceId(s)) => s,
            None => 0,
        };
        let cleared = trace_packet::SequenceFlags::SeqIncrementalStateCleared as u32;
        if packet.sequence_flags.unwrap_or(0) & cleared != 0 {
            loader.sequences.insert(seq, Interned::default());
        }
        if let Some(defs) = packet.interned_data {
            loader.sequences.entry(seq).or_default().define(defs);
        }
        if let Some(defaults) = packet.trace_packet_defaults {
            loader.sequences.entry(seq).or_default().default_track =
                defaults.track_event_defaults.and_then(|d| d.track_uuid);
        }
        match packet.data {
            Some(trace_packet::Data::TrackDescriptor(d)) => loader.describe(d),
            Some(trace_packet::Data::TrackEvent(e)) => loader
                .event(seq, packet.timestamp.unwrap_or(0), e)
                .with_context(|| format!("packet at byte {at}"))?,
            None => {}
        }
    }
    if !any {
        bail!("not a faultline trace: no packets");
    }
    Ok(loader.finish())
}

impl Loader {
    /// A track described (or described again, under a new name).
    fn describe(&mut self, d: TrackDescriptor) {
        let Some(uuid) = d.uuid else {
            return;
        };
        let (kind, name) = if let Some(t) = d.thread {
            let tid = t.tid.and_then(|t| u32::try_from(t).ok()).unwrap_or(0);
            (TrackKind::Thread { tid }, t.thread_name.unwrap_or_default())
        } else if let Some(p) = d.process {
            (TrackKind::Process, p.process_name.unwrap_or_default())
        } else {
            let name = match d.static_or_dynamic_name {
                Some(
                    track_descriptor::StaticOrDynamicName::Name(n)
                    | track_descriptor::StaticOrDynamicName::StaticName(n),
                ) => n,
                None => String::new(),
            };
            let kind = if d.counter.is_some() {
                TrackKind::Counter
            } else {
                TrackKind::Named
            };
            (kind, name)
        };
        if let TrackKind::Thread { tid } = kind {
            self.trace.thread_tracks.insert(tid, uuid);
        }
        let track = self.trace.tracks.entry(uuid).or_insert_with(|| Track {
            kind: kind.clone(),
            name: name.clone(),
            names: Vec::new(),
            parent: d.parent_uuid,
        });
        if !track.names.contains(&name) {
            track.names.push(name.clone());
        }
        track.kind = kind;
        track.name = name;
    }

    /// A slice begin or end, an instant or a counter value of sequence `seq`.
    fn event(&mut self, seq: u32, ts_ns: u64, e: TrackEvent) -> Result<()> {
        let kind = e.r#type();
        self.trace.last_ns = self.trace.last_ns.max(ts_ns);
        let interned = self.sequences.entry(seq).or_default();
        let track = e.track_uuid.or(interned.default_track).unwrap_or(0);
        let name = match &e.name_field {
            Some(track_event::NameField::NameIid(iid)) => interned
                .event_names
                .get(iid)
                .cloned()
                .ok_or_else(|| anyhow!("event name {iid} is not defined on sequence {seq}"))?,
            Some(track_event::NameField::Name(n)) => n.as_str().into(),
            None => "".into(),
        };
        let args = Args(
            e.debug_annotations
                .into_iter()
                .map(|a| annotation(interned, &mut self.strings, seq, a))
                .collect::<Result<_>>()?,
        );
        let open = self.open.entry(track).or_default();
        match kind {
            track_event::Type::SliceBegin => {
                let parent = open.last().copied();
                let id = self.trace.slices.len();
                open.push(id);
                self.trace.slices.push(Slice {
                    track,
                    name,
                    start_ns: ts_ns,
                    end_ns: None,
                    parent,
                    args,
                    flows_in: e.terminating_flow_ids,
                });
                self.trace.by_track.entry(track).or_default().push(id);
                if let Some((device, _)) = self.trace.lane(track) {
                    if let Some(request) = self.trace.slices[id].args.uint(catalog::REQUEST) {
                        let key = (device.to_string(), request);
                        self.trace.requests.entry(key).or_default().push(id);
                        if let Some((end_ns, args, flows)) =
                            self.early_ends.remove(&(track, request))
                        {
                            open.pop();
                            self.close(id, end_ns, args, flows);
                        }
                    }
                }
            }
            track_event::Type::SliceEnd => {
                // A request's end names it: its lane's begin may not have been read yet.
                let request = self.trace.lane(track).and(args.uint(catalog::REQUEST));
                let id = match request {
                    Some(request) => {
                        let slices = &self.trace.slices;
                        match open
                            .iter()
                            .position(|&id| slices[id].args.uint(catalog::REQUEST) == Some(request))
                        {
                            Some(at) => Some(open.remove(at)),
                            None => {
                                self.early_ends.insert(
                                    (track, request),
                                    (ts_ns, args, e.terminating_flow_ids),
                                );
                                return Ok(());
                            }
                        }
                    }
                    // An end without a begin: the begin was in a dropped chunk.
                    None => open.pop(),
                };
                if let Some(id) = id {
                    self.close(id, ts_ns, args, e.terminating_flow_ids);
                }
            }
            track_event::Type::Instant => {
                if &*name == catalog::TRACE_END {
                    self.trace.dropped = args.uint(catalog::DROPPED);
                }
                let index = self.trace.instants.len();
                for &flow in &e.flow_ids {
                    self.trace.flow_sources.insert(flow, index);
                }
                self.trace
                    .instants_by_track
                    .entry(track)
                    .or_default()
                    .push(index);
                self.trace.instants.push(Instant {
                    track,
                    ts_ns,
                    name,
                    args,
                });
            }
            track_event::Type::Counter | track_event::Type::Unspecified => {}
        }
        Ok(())
    }
}

impl Loader {
    /// Ends slice `id` at `end_ns`, adding the end's arguments and flows. An end the
    /// recorder added because the trace finished with the slice open leaves it not
    /// ended (its time is no latency).
    fn close(&mut self, id: SliceId, end_ns: u64, args: Args, flows_in: Vec<u64>) {
        let slice = &mut self.trace.slices[id];
        let unfinished = matches!(args.get(catalog::UNFINISHED), Some(Value::Bool(true)));
        slice.end_ns = (!unfinished).then_some(end_ns);
        slice.args.0.extend(args.0);
        slice.flows_in.extend(flows_in);
    }

    /// The trace, its per-track lists in time order: a track's events come from one
    /// sequence, whose times never go back, but the lookups must not depend on it.
    fn finish(mut self) -> Trace {
        let t = &mut self.trace;
        for ids in t.by_track.values_mut() {
            ids.sort_by_key(|&id| (t.slices[id].start_ns, id));
        }
        for ids in t.instants_by_track.values_mut() {
            ids.sort_by_key(|&i| (t.instants[i].ts_ns, i));
        }
        self.trace
    }
}

/// A debug annotation as a named value, its name looked up in `interned` and a string
/// value shared through `strings`.
fn annotation(
    interned: &Interned,
    strings: &mut BTreeSet<Name>,
    seq: u32,
    a: devices::trace::proto::DebugAnnotation,
) -> Result<(Name, Value)> {
    let name = match a.name_field {
        Some(debug_annotation::NameField::NameIid(iid)) => interned
            .annotation_names
            .get(&iid)
            .cloned()
            .ok_or_else(|| anyhow!("argument name {iid} is not defined on sequence {seq}"))?,
        Some(debug_annotation::NameField::Name(n)) => n.into(),
        None => "".into(),
    };
    let value =
        match a.value {
            Some(debug_annotation::Value::BoolValue(v)) => Value::Bool(v),
            Some(debug_annotation::Value::UintValue(v)) => Value::Uint(v),
            Some(debug_annotation::Value::IntValue(v)) => Value::Int(v),
            Some(debug_annotation::Value::DoubleValue(v)) => Value::Double(v),
            Some(debug_annotation::Value::StringValue(v)) => {
                Value::Str(strings.get(v.as_str()).cloned().unwrap_or_else(|| {
                    let shared: Name = v.into();
                    strings.insert(shared.clone());
                    shared
                }))
            }
            Some(debug_annotation::Value::PointerValue(v)) => Value::Addr(v),
            Some(debug_annotation::Value::StringValueIid(iid)) => {
                Value::Str(interned.string_values.get(&iid).cloned().ok_or_else(|| {
                    anyhow!("string value {iid} is not defined on sequence {seq}")
                })?)
            }
            None => Value::Str("".into()),
        };
    Ok((name, value))
}
