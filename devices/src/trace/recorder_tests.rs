//! The recorder end to end: threads attach, record, and the sink's file decodes.

use super::proto::{trace_packet, track_event, Trace, TracePacket};
use super::*;
use crate::clock::{HostClock, SharedClock};
use prost::Message;
use std::sync::Arc;

fn clock() -> SharedClock {
    Arc::new(HostClock::new())
}

fn packets(path: &std::path::Path) -> Vec<TracePacket> {
    Trace::decode(std::fs::read(path).unwrap().as_slice())
        .unwrap()
        .packet
}

fn events(packets: &[TracePacket]) -> Vec<(u32, track_event::Type)> {
    packets
        .iter()
        .filter_map(
            |p| match (&p.data, &p.optional_trusted_packet_sequence_id) {
                (
                    Some(trace_packet::Data::TrackEvent(e)),
                    Some(trace_packet::OptionalTrustedPacketSequenceId::TrustedPacketSequenceId(s)),
                ) => Some((*s, e.r#type())),
                _ => None,
            },
        )
        .collect()
}

#[test]
fn each_thread_records_on_its_own_sequence_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.pftrace");
    let rec = Recorder::create(&path, 42, "guest", WhenFull::Block, clock()).unwrap();
    // Not attached: nothing is recorded.
    assert!(!enabled());
    begin("ignored", &[]);
    let threads: Vec<_> = (0..3u32)
        .map(|i| {
            let rec = rec.clone();
            std::thread::spawn(move || {
                rec.attach(Owner::Hart {
                    tid: 100 + i,
                    name: format!("t{i}"),
                });
                // More than a chunk, so buffers go to the sink while the thread runs.
                for _ in 0..CHUNK_RECORDS {
                    begin(
                        catalog::FAULT,
                        &[TraceArg::new(catalog::ADDR, TraceValue::Addr(0x1000))],
                    );
                    end(&[TraceArg::new(catalog::OUTCOME, TraceValue::Str("minor"))]);
                }
                thread_name(b"renamed");
                counter(catalog::COUNTER_FREE_FRAMES, 7);
                detach();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let summary = rec.finish().unwrap();
    assert_eq!(summary.dropped, 0);
    // Each thread: 2 per iteration, the rename and the counter.
    assert_eq!(summary.records, 3 * (2 * CHUNK_RECORDS as u64 + 2));
    assert_eq!(summary.bytes, std::fs::metadata(&path).unwrap().len());
    let p = packets(&path);
    let ev = events(&p);
    for seq in 2..5 {
        let mine: Vec<_> = ev.iter().filter(|(s, _)| *s == seq).collect();
        assert_eq!(mine.len(), 2 * CHUNK_RECORDS + 1, "sequence {seq}");
    }
    // Three thread tracks, each described again when renamed.
    let threads = p
        .iter()
        .filter_map(|p| match &p.data {
            Some(trace_packet::Data::TrackDescriptor(d)) => d.thread.as_ref(),
            _ => None,
        })
        .filter(|t| t.thread_name.as_deref() == Some("renamed"))
        .count();
    assert_eq!(threads, 3);
    assert!(rec.finish().is_err(), "a trace finishes once");
}

#[test]
fn records_after_finish_are_counted_as_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.pftrace");
    let rec = Recorder::create(&path, 1, "guest", WhenFull::Drop, clock()).unwrap();
    rec.attach(Owner::Daemon("kswapd"));
    instant("before", &[]);
    rec.finish().unwrap();
    instant("after", &[]);
    assert_eq!(rec.dropped(), 1);
    detach();
    assert!(!enabled());
}
