//! The recorder's sink: the thread that turns chunks of [`TraceRecord`]s into Perfetto
//! packets and streams them to the trace file.
//!
//! Sequence 1 is the sink's own: it describes every track (the process; a thread track
//! per hart; a track per daemon and per storage device, with a child track per device
//! lane; counter tracks) and, at the end, says how much was dropped. Each attached
//! thread's records are a sequence of their own, so timestamps only have to grow within
//! one thread's records. Track order in the UI: harts by thread id, then the daemons, the
//! devices and the counters, each in order of first appearance.

use super::record::{Phase, TraceRecord, TraceValue as Value, TrackRef, MAX_ARGS};
use super::writer::{
    Arg, ArgValue, CounterTrack, Event, FlowId, PerfettoWriter, ProcessTrack, Track,
};
use super::{catalog, CounterUnit};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::num::NonZeroU32;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

/// Ranks of the groups of tracks under the process, so harts (ranked by tid) come first.
const DAEMON_RANK: i32 = 1 << 28;
const DEVICE_RANK: i32 = 1 << 29;
const COUNTER_RANK: i32 = 1 << 30;

/// Whose records a thread's buffer holds, and so which track [`TrackRef::Own`] means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A guest thread: a thread track.
    Hart {
        /// Its thread id.
        tid: u32,
        /// Its name (`comm`).
        name: String,
    },
    /// A daemon of the memory manager (kswapd, the flusher): a track of that name.
    Daemon(&'static str),
    /// A storage device's dispatcher: the device's track.
    Device(&'static str),
}

/// What a finished trace holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TraceSummary {
    /// Records written.
    pub records: u64,
    /// Bytes in the file.
    pub bytes: u64,
    /// Records dropped (`--trace-drop`, or made after the trace was finished).
    pub dropped: u64,
    /// Nanoseconds threads waited for the sink.
    pub stall_ns: u64,
    /// Timestamps raised to keep a sequence's time from going back.
    pub clamped: u64,
}

/// How many emptied chunks the sink keeps for reuse.
const POOLED_CHUNKS: usize = 32;

/// Emptied chunks of records, given back by the sink for the threads to refill.
#[derive(Clone, Default)]
pub(crate) struct ChunkPool(Arc<Mutex<Vec<Vec<TraceRecord>>>>);

impl ChunkPool {
    /// An emptied chunk, if one is kept.
    pub(crate) fn take(&self) -> Option<Vec<TraceRecord>> {
        self.0.lock().pop()
    }

    /// Keeps `chunk`, emptied, unless enough are kept.
    fn give_back(&self, mut chunk: Vec<TraceRecord>) {
        chunk.clear();
        let mut pool = self.0.lock();
        if pool.len() < POOLED_CHUNKS {
            pool.push(chunk);
        }
    }
}

/// A message to the sink.
pub(crate) enum Msg {
    /// Sequence `seq` is `owner`'s.
    Open { seq: u32, owner: Owner },
    /// Records of sequence `seq`, in order.
    Chunk { seq: u32, records: Vec<TraceRecord> },
    /// Nothing follows; the totals to put in the trace.
    Finish { dropped: u64, stall_ns: u64 },
}

/// One thread's sequence.
struct Sequence {
    writer: PerfettoWriter<Vec<u8>>,
    /// What [`TrackRef::Own`] is.
    own: Track,
    /// For a hart: its thread id (to describe its track again when it is renamed).
    tid: Option<u32>,
}

/// A storage device's tracks.
struct DeviceTracks {
    track: Track,
    lanes: Vec<Track>,
}

/// The sink's state.
pub(crate) struct Sink<W: Write> {
    out: W,
    pool: ChunkPool,
    /// Sequence 1: every descriptor.
    main: PerfettoWriter<Vec<u8>>,
    process: ProcessTrack,
    sequences: BTreeMap<u32, Sequence>,
    daemons: BTreeMap<&'static str, Track>,
    devices: BTreeMap<&'static str, DeviceTracks>,
    counters: BTreeMap<&'static str, CounterTrack>,
    /// Tracks made so far per group, for ranks.
    daemon_count: i32,
    device_count: i32,
    counter_count: i32,
    last_ns: u64,
    /// Slices begun and not yet ended, per track. A thread's own track only gets events
    /// from its sequence, so an end there with nothing open (its begin was dropped) is
    /// left out; a lane's begin and end come from different threads, in any order.
    open: BTreeMap<Track, i64>,
    summary: TraceSummary,
}

impl<W: Write> Sink<W> {
    /// A sink writing to `out` for the process `pid` called `name`.
    pub(crate) fn new(out: W, pid: i32, name: &str, pool: ChunkPool) -> io::Result<Sink<W>> {
        let mut main = PerfettoWriter::new(Vec::new(), NonZeroU32::MIN);
        let process = main.process_track(pid, name)?;
        Ok(Sink {
            out,
            pool,
            main,
            process,
            sequences: BTreeMap::new(),
            daemons: BTreeMap::new(),
            devices: BTreeMap::new(),
            counters: BTreeMap::new(),
            daemon_count: 0,
            device_count: 0,
            counter_count: 0,
            last_ns: 0,
            open: BTreeMap::new(),
            summary: TraceSummary::default(),
        })
    }

    /// Writes what arrives until [`Msg::Finish`] (or until every sender is gone).
    pub(crate) fn run(mut self, from: &Receiver<Msg>) -> io::Result<TraceSummary> {
        while let Ok(msg) = from.recv() {
            match msg {
                Msg::Open { seq, owner } => self.open(seq, owner)?,
                Msg::Chunk { seq, records } => {
                    self.chunk(seq, &records)?;
                    self.pool.give_back(records);
                }
                Msg::Finish { dropped, stall_ns } => {
                    self.summary.dropped = dropped;
                    self.summary.stall_ns = stall_ns;
                    self.close_unfinished()?;
                    let args = [
                        Arg {
                            name: catalog::DROPPED,
                            value: ArgValue::Uint(dropped),
                        },
                        Arg {
                            name: catalog::STALL_NS,
                            value: ArgValue::Uint(stall_ns),
                        },
                    ];
                    let event = Event {
                        name: catalog::TRACE_END,
                        args: &args,
                        ..Event::default()
                    };
                    self.main
                        .instant(self.last_ns, self.process.track(), &event)?;
                    break;
                }
            }
        }
        self.write_main()?;
        self.out.flush()?;
        Ok(self.summary)
    }

    /// Describes sequence `seq`'s own track.
    fn open(&mut self, seq: u32, owner: Owner) -> io::Result<()> {
        let (own, tid) = match owner {
            Owner::Hart { tid, name } => {
                let rank = i32::try_from(tid).unwrap_or(DAEMON_RANK - 1);
                let track = self
                    .main
                    .thread_track(&self.process, i64::from(tid), &name, rank)?;
                (track, Some(tid))
            }
            Owner::Daemon(name) => (self.daemon(name)?, None),
            Owner::Device(name) => (self.device(name)?.track, None),
        };
        let id = NonZeroU32::new(seq).unwrap_or(NonZeroU32::MAX);
        self.sequences.insert(
            seq,
            Sequence {
                writer: PerfettoWriter::new(Vec::new(), id).with_default_track(own),
                own,
                tid,
            },
        );
        self.write_main()
    }

    /// The track of daemon `name`, described on first use.
    fn daemon(&mut self, name: &'static str) -> io::Result<Track> {
        if let Some(&t) = self.daemons.get(name) {
            return Ok(t);
        }
        let t = self
            .main
            .track(self.process.track(), name, DAEMON_RANK + self.daemon_count)?;
        self.daemon_count += 1;
        self.daemons.insert(name, t);
        Ok(t)
    }

    /// The tracks of device `name`, described on first use.
    fn device(&mut self, name: &'static str) -> io::Result<&mut DeviceTracks> {
        if !self.devices.contains_key(name) {
            let track =
                self.main
                    .track(self.process.track(), name, DEVICE_RANK + self.device_count)?;
            self.device_count += 1;
            self.devices.insert(
                name,
                DeviceTracks {
                    track,
                    lanes: Vec::new(),
                },
            );
        }
        Ok(self.devices.get_mut(name).expect("inserted above"))
    }

    /// Lane `lane` of device `name`, described (with the lanes before it) on first use.
    fn lane(&mut self, name: &'static str, lane: u16) -> io::Result<Track> {
        self.device(name)?;
        let dev = self.devices.get_mut(name).expect("described above");
        while dev.lanes.len() <= usize::from(lane) {
            let n = dev.lanes.len();
            let rank = i32::try_from(n).unwrap_or(i32::MAX);
            let track = self.main.track(dev.track, &format!("lane {n}"), rank)?;
            dev.lanes.push(track);
        }
        Ok(dev.lanes[usize::from(lane)])
    }

    /// The counter track called `name`, described on first use.
    fn counter(&mut self, name: &'static str) -> io::Result<CounterTrack> {
        if let Some(&t) = self.counters.get(name) {
            return Ok(t);
        }
        let t = self.main.counter_track(
            self.process.track(),
            name,
            CounterUnit::Count,
            COUNTER_RANK + self.counter_count,
        )?;
        self.counter_count += 1;
        self.counters.insert(name, t);
        Ok(t)
    }

    /// Writes a chunk of sequence `seq`'s records.
    fn chunk(&mut self, seq: u32, records: &[TraceRecord]) -> io::Result<()> {
        for r in records {
            self.record(seq, r)?;
        }
        self.write_main()?;
        if let Some(s) = self.sequences.get_mut(&seq) {
            let bytes = s.writer.take_output();
            self.summary.bytes += bytes.len() as u64;
            self.out.write_all(&bytes)?;
        }
        Ok(())
    }

    /// Writes one record of sequence `seq`.
    fn record(&mut self, seq: u32, r: &TraceRecord) -> io::Result<()> {
        let track = match r.track {
            TrackRef::Own => None,
            TrackRef::Lane { device, lane } => Some(self.lane(device, lane)?),
            TrackRef::Counter(name) => {
                let Phase::Counter(v) = r.phase else {
                    return Ok(());
                };
                let t = self.counter(name)?;
                let s = self.sequences.get_mut(&seq).ok_or_else(unknown_sequence)?;
                s.writer.counter(r.ts_ns, t, v)?;
                self.count(r.ts_ns);
                return Ok(());
            }
        };
        let s = self.sequences.get_mut(&seq).ok_or_else(unknown_sequence)?;
        let track = track.unwrap_or(s.own);
        // Fixed arrays, not vectors: this runs for every record.
        let rendered: [Option<String>; MAX_ARGS] = std::array::from_fn(|i| match r.args[i].value {
            Value::Tids(list) if !r.args[i].name.is_empty() => Some(list.render()),
            _ => None,
        });
        let mut args = [Arg {
            name: "",
            value: ArgValue::Bool(false),
        }; MAX_ARGS];
        let mut used = 0;
        for (a, shown) in r.args.iter().zip(&rendered) {
            if a.name.is_empty() {
                continue;
            }
            args[used] = Arg {
                name: a.name,
                value: match a.value {
                    Value::Uint(v) => ArgValue::Uint(v),
                    Value::Int(v) => ArgValue::Int(v),
                    Value::Addr(v) => ArgValue::Pointer(v),
                    Value::Str(v) => ArgValue::Label(v),
                    Value::Bool(v) => ArgValue::Bool(v),
                    Value::Tids(_) => ArgValue::Str(shown.as_deref().unwrap_or("")),
                },
            };
            used += 1;
        }
        let flow_out = r.flow_out.map(|f| FlowId(f.get()));
        let flow_in = r.flow_in.map(|f| FlowId(f.get()));
        let event = Event {
            name: r.name,
            args: &args[..used],
            flows_out: flow_out.as_slice(),
            flows_in: flow_in.as_slice(),
            ..Event::default()
        };
        match r.phase {
            Phase::Begin => {
                s.writer.slice_begin(r.ts_ns, track, &event)?;
                *self.open.entry(track).or_default() += 1;
            }
            Phase::End => {
                let open = self.open.entry(track).or_default();
                if *open <= 0 && r.track == TrackRef::Own {
                    return Ok(());
                }
                *open -= 1;
                s.writer.slice_end_with(r.ts_ns, track, &event)?;
            }
            Phase::Instant => s.writer.instant(r.ts_ns, track, &event)?,
            Phase::Counter(_) => return Ok(()),
            Phase::ThreadName(comm) => {
                let Some(tid) = s.tid else {
                    return Ok(());
                };
                let len = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
                let name = String::from_utf8_lossy(&comm[..len]).into_owned();
                let rank = i32::try_from(tid).unwrap_or(DAEMON_RANK - 1);
                let own = s.own;
                self.main
                    .rename_thread(own, &self.process, i64::from(tid), &name, rank)?;
            }
        }
        self.count(r.ts_ns);
        Ok(())
    }

    /// Ends, at the trace's last time, the slices still open when it finished (a thread
    /// that never returned from a wait, a request still in service), marked
    /// `unfinished`, so every slice in the file has its end.
    fn close_unfinished(&mut self) -> io::Result<()> {
        let args = [Arg {
            name: catalog::UNFINISHED,
            value: ArgValue::Bool(true),
        }];
        let event = Event {
            args: &args,
            ..Event::default()
        };
        for (&track, &open) in &self.open {
            for _ in 0..open {
                self.main.slice_end_with(self.last_ns, track, &event)?;
            }
        }
        Ok(())
    }

    /// Counts a written record at `ts_ns`.
    fn count(&mut self, ts_ns: u64) {
        self.summary.records += 1;
        self.last_ns = self.last_ns.max(ts_ns);
    }

    /// Writes the descriptors (and end note) sequence 1 has built up.
    fn write_main(&mut self) -> io::Result<()> {
        let bytes = self.main.take_output();
        self.summary.bytes += bytes.len() as u64;
        self.summary.clamped = self
            .sequences
            .values()
            .map(|s| s.writer.clamped_timestamps())
            .sum();
        self.out.write_all(&bytes)
    }
}

/// A chunk for a sequence the sink never heard of.
fn unknown_sequence() -> io::Error {
    io::Error::other("trace records of a sequence that was never opened")
}
