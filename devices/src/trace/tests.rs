//! The writer's output, decoded with prost and checked packet by packet.

use super::proto::{
    debug_annotation, trace_packet, track_descriptor, track_event, Trace, TracePacket,
    TrackDescriptor, TrackEvent,
};
use super::*;
use prost::Message;
use std::num::NonZeroU32;

/// The sequence id the tests write.
const SEQ: u32 = 7;

/// A fresh writer into memory.
fn writer() -> PerfettoWriter<Vec<u8>> {
    PerfettoWriter::new(Vec::new(), NonZeroU32::new(SEQ).unwrap())
}

/// Decodes what `w` wrote as one `Trace`.
fn decode(w: PerfettoWriter<Vec<u8>>) -> Vec<TracePacket> {
    Trace::decode(w.finish().unwrap().as_slice())
        .unwrap()
        .packet
}

fn descriptor(p: &TracePacket) -> &TrackDescriptor {
    match &p.data {
        Some(trace_packet::Data::TrackDescriptor(d)) => d,
        other => panic!("not a track descriptor: {other:?}"),
    }
}

fn event(p: &TracePacket) -> &TrackEvent {
    match &p.data {
        Some(trace_packet::Data::TrackEvent(e)) => e,
        other => panic!("not a track event: {other:?}"),
    }
}

fn name_iid(e: &TrackEvent) -> u64 {
    match e.name_field {
        Some(track_event::NameField::NameIid(iid)) => iid,
        ref other => panic!("no interned name: {other:?}"),
    }
}

#[test]
fn tracks_are_described_with_their_parents_and_order() {
    let mut w = writer();
    let proc_track = w.process_track(10, "guest").unwrap();
    let hart = w.thread_track(&proc_track, 11, "11 worker", 11).unwrap();
    let dev = w.track(proc_track.track(), "nvme0", 100).unwrap();
    let depth = w
        .counter_track(dev, "queue depth", CounterUnit::Count, 0)
        .unwrap();
    assert_ne!(hart, dev);
    let _ = depth;
    let packets = decode(w);
    assert_eq!(packets.len(), 4);

    let p = descriptor(&packets[0]);
    assert_eq!(p.parent_uuid, None);
    let process = p.process.as_ref().unwrap();
    assert_eq!(
        (process.pid, process.process_name.as_deref()),
        (Some(10), Some("guest"))
    );

    let t = descriptor(&packets[1]);
    assert_eq!(t.parent_uuid, p.uuid);
    let thread = t.thread.as_ref().unwrap();
    assert_eq!(
        (thread.pid, thread.tid, thread.thread_name.as_deref()),
        (Some(10), Some(11), Some("11 worker"))
    );

    let d = descriptor(&packets[2]);
    assert_eq!(d.parent_uuid, p.uuid);
    assert_eq!(
        d.static_or_dynamic_name,
        Some(track_descriptor::StaticOrDynamicName::Name("nvme0".into()))
    );
    let c = descriptor(&packets[3]);
    assert_eq!(c.parent_uuid, d.uuid);
    assert_eq!(
        c.counter.as_ref().unwrap().unit,
        Some(CounterUnit::Count as i32)
    );

    // Unique uuids, siblings ranked in creation order, parents ordered explicitly.
    let uuids: Vec<_> = packets
        .iter()
        .map(|p| descriptor(p).uuid.unwrap())
        .collect();
    assert_eq!(uuids, [1, 2, 3, 4]);
    assert!(t.sibling_order_rank < d.sibling_order_rank);
    assert_eq!(
        p.child_ordering,
        Some(track_descriptor::ChildTracksOrdering::Explicit as i32)
    );
}

#[test]
fn every_packet_is_on_the_sequence_and_only_the_first_clears_its_state() {
    let mut w = writer();
    let proc_track = w.process_track(1, "p").unwrap();
    w.instant(
        5,
        proc_track.track(),
        &Event {
            name: "x",
            ..Event::default()
        },
    )
    .unwrap();
    let packets = decode(w);
    for p in &packets {
        assert_eq!(
            p.optional_trusted_packet_sequence_id,
            Some(trace_packet::OptionalTrustedPacketSequenceId::TrustedPacketSequenceId(SEQ))
        );
    }
    let cleared = trace_packet::SequenceFlags::SeqIncrementalStateCleared as u32;
    let needs = trace_packet::SequenceFlags::SeqNeedsIncrementalState as u32;
    assert_eq!(packets[0].sequence_flags, Some(cleared));
    assert_eq!(packets[0].first_packet_on_sequence, Some(true));
    assert_eq!(packets[1].sequence_flags, Some(needs));
    assert_eq!(packets[1].first_packet_on_sequence, None);
    assert_eq!(packets[1].timestamp, Some(5));
}

#[test]
fn names_are_interned_where_first_used() {
    let mut w = writer();
    let proc_track = w.process_track(1, "p").unwrap();
    let t = proc_track.track();
    let args = [
        Arg {
            name: "address",
            value: ArgValue::Uint(0x1000),
        },
        Arg {
            name: "result",
            value: ArgValue::Int(-14),
        },
        Arg {
            name: "path",
            value: ArgValue::Str("/lib/x.so"),
        },
    ];
    let fault = Event {
        name: "fault",
        category: Some("mm"),
        args: &args,
        ..Event::default()
    };
    w.slice_begin(10, t, &fault).unwrap();
    w.slice_end(20, t).unwrap();
    w.slice_begin(30, t, &fault).unwrap();
    w.slice_end(40, t).unwrap();
    let packets = decode(w);

    let first = &packets[1];
    let defs = first.interned_data.as_ref().unwrap();
    assert_eq!(defs.event_names.len(), 1);
    assert_eq!(defs.event_names[0].name.as_deref(), Some("fault"));
    assert_eq!(defs.event_categories[0].name.as_deref(), Some("mm"));
    let annotation_names: Vec<_> = defs
        .debug_annotation_names
        .iter()
        .map(|n| n.name.clone().unwrap())
        .collect();
    assert_eq!(annotation_names, ["address", "result", "path"]);

    let e = event(first);
    assert_eq!(e.r#type, Some(track_event::Type::SliceBegin as i32));
    assert_eq!(name_iid(e), defs.event_names[0].iid.unwrap());
    assert_eq!(e.category_iids, [defs.event_categories[0].iid.unwrap()]);
    let values: Vec<_> = e
        .debug_annotations
        .iter()
        .map(|a| a.value.clone().unwrap())
        .collect();
    assert_eq!(
        values,
        [
            debug_annotation::Value::UintValue(0x1000),
            debug_annotation::Value::IntValue(-14),
            debug_annotation::Value::StringValue("/lib/x.so".into()),
        ]
    );

    // The end names nothing; the second begin reuses the ids without defining them again.
    assert_eq!(packets[2].interned_data, None);
    assert_eq!(
        event(&packets[2]).r#type,
        Some(track_event::Type::SliceEnd as i32)
    );
    assert_eq!(event(&packets[2]).name_field, None);
    assert_eq!(packets[3].interned_data, None);
    assert_eq!(name_iid(event(&packets[3])), name_iid(e));
}

#[test]
fn flows_leave_the_source_and_end_at_the_destination() {
    let mut w = writer();
    let proc_track = w.process_track(1, "p").unwrap();
    let a = w.thread_track(&proc_track, 2, "2 a", 2).unwrap();
    let b = w.thread_track(&proc_track, 3, "3 b", 3).unwrap();
    let flow = [FlowId(42)];
    w.instant(
        1,
        a,
        &Event {
            name: "release",
            flows_out: &flow,
            ..Event::default()
        },
    )
    .unwrap();
    w.slice_begin(
        2,
        b,
        &Event {
            name: "acquired",
            flows_in: &flow,
            ..Event::default()
        },
    )
    .unwrap();
    let packets = decode(w);
    let source = event(&packets[3]);
    let dest = event(&packets[4]);
    assert_eq!(
        (source.flow_ids.as_slice(), source.track_uuid),
        (&[42][..], Some(2))
    );
    assert!(source.terminating_flow_ids.is_empty());
    assert_eq!(dest.terminating_flow_ids, [42]);
    assert!(dest.flow_ids.is_empty());
}

#[test]
fn counters_carry_integer_or_floating_values() {
    let mut w = writer();
    let proc_track = w.process_track(1, "p").unwrap();
    let c = w
        .counter_track(proc_track.track(), "free", CounterUnit::SizeBytes, 200)
        .unwrap();
    w.counter(1, c, 4096i64).unwrap();
    w.counter(2, c, 0.5f64).unwrap();
    let packets = decode(w);
    let values: Vec<_> = packets[2..]
        .iter()
        .map(|p| {
            let e = event(p);
            assert_eq!(e.r#type, Some(track_event::Type::Counter as i32));
            assert_eq!(e.track_uuid, Some(2));
            e.counter_value_field.unwrap()
        })
        .collect();
    assert_eq!(
        values,
        [
            track_event::CounterValueField::CounterValue(4096),
            track_event::CounterValueField::DoubleCounterValue(0.5),
        ]
    );
}

#[test]
fn a_timestamp_going_back_is_clamped_and_counted() {
    let mut w = writer();
    let t = w.process_track(1, "p").unwrap().track();
    let x = Event {
        name: "x",
        ..Event::default()
    };
    w.instant(100, t, &x).unwrap();
    w.instant(90, t, &x).unwrap();
    w.instant(120, t, &x).unwrap();
    assert_eq!(w.clamped_timestamps(), 1);
    let stamps: Vec<_> = decode(w)[1..]
        .iter()
        .map(|p| p.timestamp.unwrap())
        .collect();
    assert_eq!(stamps, [100, 100, 120]);
}

#[test]
fn the_output_is_a_stream_of_trace_packet_fields() {
    let mut w = writer();
    w.process_track(1, "p").unwrap();
    let bytes = w.finish().unwrap();
    // Field 1, length-delimited, then the packet's length and the packet.
    assert_eq!(bytes[0], 0x0a);
    assert_eq!(usize::from(bytes[1]), bytes.len() - 2);
    let packet = TracePacket::decode(&bytes[2..]).unwrap();
    assert!(packet.data.is_some());
}
