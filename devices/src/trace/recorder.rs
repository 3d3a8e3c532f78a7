//! The run's trace recorder: per-thread buffers of [`TraceRecord`]s, drained off the hot
//! path by the sink thread that streams them to the trace file.
//!
//! A thread that records is *attached* ([`Recorder::attach`]): it gets a buffer of its
//! own, reached through a thread-local, so no lock is shared between harts (the buffer's
//! own lock is taken by its thread and, once, by [`Recorder::finish`]). Code anywhere in
//! faultline records through the free functions ([`begin`], [`end`], [`instant`],
//! [`counter`], [`emit`]); on a thread that is not attached, or in a run without
//! `--trace`, they cost one thread-local read and return.
//!
//! A full buffer (a chunk of [`CHUNK_RECORDS`] records) goes to the sink through a
//! bounded channel. When the sink is behind and the channel is full, the thread either
//! waits ([`WhenFull::Block`], the time counted in `trace.stall_ns`) or drops the chunk
//! ([`WhenFull::Drop`], counted in `trace.dropped`); nothing is lost without being
//! counted. A dropped chunk can leave slices without their ends.
//!
//! Under the virtual clock only one thread runs at a time, so chunks reach the sink in
//! the same order in every run and the file is the same byte for byte (with
//! `WhenFull::Block`: what is dropped depends on the host's speed).

use super::record::{Phase, TraceArg as Arg, TraceRecord, TrackRef};
use super::sink::{ChunkPool, Msg, Owner, Sink, TraceSummary};
use crate::clock::SharedClock;
use parking_lot::Mutex;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io;
use std::num::NonZeroU64;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;

/// How many records a thread's buffer holds before it goes to the sink.
pub const CHUNK_RECORDS: usize = 4096;

/// How many full chunks may wait for the sink before a thread blocks or drops.
const CHANNEL_CHUNKS: usize = 16;

/// How many full chunks an in-memory recorder keeps (more are dropped and counted).
const KEPT_CHUNKS: usize = 256;

/// What a thread does when its buffer is full and the sink is behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    /// Waits for the sink (counted in `trace.stall_ns`).
    Block,
    /// Drops the chunk (counted in `trace.dropped`).
    Drop,
}

/// The run's recorder: cheap to clone, shared by everything that attaches threads.
#[derive(Clone)]
pub struct Recorder {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("when_full", &self.shared.when_full)
            .finish_non_exhaustive()
    }
}

/// What the recorder's threads share.
struct Shared {
    clock: SharedClock,
    when_full: WhenFull,
    to_sink: SyncSender<Msg>,
    /// Every buffer, for [`Recorder::finish`] to drain.
    buffers: Mutex<Vec<Arc<Buffer>>>,
    /// The next buffer's sequence id (1 is the sink's own).
    next_seq: AtomicU32,
    /// The next flow id.
    next_flow: AtomicU64,
    dropped: AtomicU64,
    stall_ns: AtomicU64,
    /// Set by [`Recorder::finish`]: later records are dropped (and counted).
    closed: AtomicBool,
    sink: Mutex<Option<JoinHandle<io::Result<TraceSummary>>>>,
    /// For a recorder kept in memory: where the chunks and openings wait to be read.
    kept: Mutex<Option<Receiver<Msg>>>,
    /// Emptied chunks the sink gives back, so a full buffer is replaced without a new
    /// allocation (and the host's page faults on it).
    pool: ChunkPool,
}

/// One thread's records.
struct Buffer {
    /// The packet sequence its records are written as.
    seq: u32,
    records: Mutex<Vec<TraceRecord>>,
}

/// The calling thread's buffer.
struct Local {
    buffer: Arc<Buffer>,
    shared: Arc<Shared>,
    /// A slice begin kept back by [`begin_lazy`]: written when anything else is
    /// recorded inside it, forgotten if it ends first.
    pending: Cell<Option<TraceRecord>>,
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
    /// Whether `LOCAL` holds a buffer: a plain flag (no destructor, so reading it is one
    /// load), what every recording call looks at first, so that a thread that does not
    /// record pays nothing more.
    static ATTACHED: Cell<bool> = const { Cell::new(false) };
}

impl Recorder {
    /// Starts recording to a new file at `path`, for the process `pid` called `name`,
    /// with times from `clock`.
    pub fn create(
        path: &Path,
        pid: i32,
        name: &str,
        when_full: WhenFull,
        clock: SharedClock,
    ) -> io::Result<Recorder> {
        let file = std::fs::File::create(path)?;
        let (to_sink, from_threads) = mpsc::sync_channel(CHANNEL_CHUNKS);
        let pool = ChunkPool::default();
        let sink = Sink::new(io::BufWriter::new(file), pid, name, pool.clone())?;
        let handle = std::thread::Builder::new()
            .name("trace".into())
            .spawn(move || sink.run(&from_threads))?;
        Ok(Recorder::with(
            clock,
            when_full,
            to_sink,
            (Some(handle), None),
            pool,
        ))
    }

    /// A recorder that keeps its records in memory until [`Recorder::take_records`]:
    /// for tests of what faultline records.
    pub fn in_memory(clock: SharedClock) -> Recorder {
        let (to_sink, kept) = mpsc::sync_channel(KEPT_CHUNKS);
        Recorder::with(
            clock,
            WhenFull::Drop,
            to_sink,
            (None, Some(kept)),
            ChunkPool::default(),
        )
    }

    fn with(
        clock: SharedClock,
        when_full: WhenFull,
        to_sink: SyncSender<Msg>,
        (sink, kept): (
            Option<JoinHandle<io::Result<TraceSummary>>>,
            Option<Receiver<Msg>>,
        ),
        pool: ChunkPool,
    ) -> Recorder {
        Recorder {
            shared: Arc::new(Shared {
                clock,
                when_full,
                to_sink,
                buffers: Mutex::new(Vec::new()),
                next_seq: AtomicU32::new(2),
                next_flow: AtomicU64::new(1),
                dropped: AtomicU64::new(0),
                stall_ns: AtomicU64::new(0),
                closed: AtomicBool::new(false),
                sink: Mutex::new(sink),
                kept: Mutex::new(kept),
                pool,
            }),
        }
    }

    /// Everything an in-memory recorder's threads recorded, each with its owner, in each
    /// thread's order (threads in the order they attached); the recorder is closed. Empty
    /// for a recorder that writes a file.
    pub fn take_records(&self) -> Vec<(Owner, TraceRecord)> {
        let Some(kept) = self.shared.kept.lock().take() else {
            return Vec::new();
        };
        self.shared.closed.store(true, Ordering::Release);
        let mut owners = BTreeMap::new();
        let mut per_seq: BTreeMap<u32, Vec<TraceRecord>> = BTreeMap::new();
        for msg in kept.try_iter() {
            match msg {
                Msg::Open { seq, owner } => {
                    owners.insert(seq, owner);
                }
                Msg::Chunk { seq, records } => per_seq.entry(seq).or_default().extend(records),
                Msg::Finish { .. } => {}
            }
        }
        for buffer in self.shared.buffers.lock().iter() {
            let rest = std::mem::take(&mut *buffer.records.lock());
            per_seq.entry(buffer.seq).or_default().extend(rest);
        }
        per_seq
            .into_iter()
            .flat_map(|(seq, records)| {
                let owner = owners.get(&seq).cloned();
                records
                    .into_iter()
                    .filter_map(move |r| owner.clone().map(|o| (o, r)))
            })
            .collect()
    }

    /// Gives the calling thread a buffer of its own, recorded as `owner`'s track; a
    /// buffer it had before is flushed first.
    pub fn attach(&self, owner: Owner) {
        detach();
        let seq = self.shared.next_seq.fetch_add(1, Ordering::Relaxed);
        let buffer = Arc::new(Buffer {
            seq,
            records: Mutex::new(self.shared.empty_chunk()),
        });
        {
            // Under the buffers' lock, so the sink hears of sequences in id order.
            let mut buffers = self.shared.buffers.lock();
            buffers.push(buffer.clone());
            // The sink only ends after `finish`, which cannot have run: it would have
            // closed the recorder first. A send that fails means the sink died; its
            // error comes out of `finish`.
            let _ = self.shared.to_sink.send(Msg::Open { seq, owner });
        }
        LOCAL.with(|l| {
            *l.borrow_mut() = Some(Local {
                buffer,
                shared: self.shared.clone(),
                pending: Cell::new(None),
            });
        });
        ATTACHED.with(|a| a.set(true));
    }

    /// Records still in the buffers, then stops the sink and returns what was written.
    /// Records made afterwards are dropped and counted (in the summary, not the file).
    pub fn finish(&self) -> io::Result<TraceSummary> {
        if self.shared.closed.swap(true, Ordering::AcqRel) {
            return Err(io::Error::other("the trace was already finished"));
        }
        let buffers = self.shared.buffers.lock().clone();
        for buffer in &buffers {
            let records = std::mem::take(&mut *buffer.records.lock());
            if !records.is_empty() {
                let _ = self.shared.to_sink.send(Msg::Chunk {
                    seq: buffer.seq,
                    records,
                });
            }
        }
        let _ = self.shared.to_sink.send(Msg::Finish {
            dropped: self.dropped(),
            stall_ns: self.stall_ns(),
        });
        let handle = self
            .shared
            .sink
            .lock()
            .take()
            .ok_or_else(|| io::Error::other("the trace writer is gone"))?;
        handle
            .join()
            .map_err(|_| io::Error::other("the trace writer panicked"))?
    }

    /// Records dropped so far.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Nanoseconds threads have waited for the sink so far.
    pub fn stall_ns(&self) -> u64 {
        self.shared.stall_ns.load(Ordering::Relaxed)
    }
}

impl Shared {
    /// An empty buffer for [`CHUNK_RECORDS`] records: one the sink gave back, or new.
    fn empty_chunk(&self) -> Vec<TraceRecord> {
        self.pool
            .take()
            .unwrap_or_else(|| Vec::with_capacity(CHUNK_RECORDS))
    }

    /// Hands a full chunk to the sink, waiting or dropping when it is behind.
    fn send_chunk(&self, seq: u32, records: Vec<TraceRecord>) {
        let len = records.len() as u64;
        match self.to_sink.try_send(Msg::Chunk { seq, records }) {
            Ok(()) => {}
            Err(TrySendError::Full(msg)) => match self.when_full {
                WhenFull::Block => {
                    let start = self.clock.now_ns();
                    if self.to_sink.send(msg).is_err() {
                        self.dropped.fetch_add(len, Ordering::Relaxed);
                    }
                    let waited = self.clock.now_ns().saturating_sub(start);
                    self.stall_ns.fetch_add(waited, Ordering::Relaxed);
                }
                WhenFull::Drop => {
                    self.dropped.fetch_add(len, Ordering::Relaxed);
                }
            },
            Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(len, Ordering::Relaxed);
            }
        }
    }
}

impl Local {
    /// Appends `record`, handing the buffer to the sink when it is full.
    #[inline]
    fn push(&self, record: TraceRecord) {
        let mut records = self.buffer.records.lock();
        if let Some(begin) = self.pending.take() {
            self.append(&mut records, begin);
        }
        self.append(&mut records, record);
    }

    /// Appends `record` to the locked buffer, handing it to the sink when it is full.
    #[inline]
    fn append(&self, records: &mut Vec<TraceRecord>, record: TraceRecord) {
        if self.shared.closed.load(Ordering::Relaxed) {
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        records.push(record);
        if records.len() >= CHUNK_RECORDS {
            let chunk = std::mem::replace(records, self.shared.empty_chunk());
            // Sent with the buffer's lock held, so `finish` cannot send a later chunk of
            // this sequence, or its end, first.
            self.shared.send_chunk(self.buffer.seq, chunk);
        }
    }

    /// Hands what the buffer holds to the sink.
    fn flush(&self) {
        let mut records = self.buffer.records.lock();
        if let Some(begin) = self.pending.take() {
            records.push(begin);
        }
        if !records.is_empty() && !self.shared.closed.load(Ordering::Relaxed) {
            self.shared
                .send_chunk(self.buffer.seq, std::mem::take(&mut *records));
        }
    }
}

/// Flushes the calling thread's buffer and detaches it (a thread whose part in the run
/// is over, before it parks for good).
pub fn detach() {
    ATTACHED.with(|a| a.set(false));
    if let Some(local) = LOCAL.with(|l| l.borrow_mut().take()) {
        local.flush();
    }
}

/// The recorder the calling thread records to, if any: a thread that starts another
/// hands it over, and the new thread attaches itself under its own owner.
pub fn current() -> Option<Recorder> {
    LOCAL.with(|l| {
        l.borrow().as_ref().map(|local| Recorder {
            shared: local.shared.clone(),
        })
    })
}

/// Whether the calling thread records: worth asking before gathering costly arguments.
#[inline]
pub fn enabled() -> bool {
    ATTACHED.with(Cell::get)
}

/// Records what `make` builds from the current time, if the calling thread records.
#[inline]
pub fn emit(make: impl FnOnce(u64) -> TraceRecord) {
    if !enabled() {
        return;
    }
    LOCAL.with(|l| {
        if let Some(local) = l.borrow().as_ref() {
            let record = make(local.shared.clock.now_ns());
            local.push(record);
        }
    });
}

/// Opens a slice called `name` on the thread's own track, but only if something else is
/// recorded before it ends ([`end_lazy`]): for a step that is worth a slice of its own
/// only when it waits or nests (a fault's single quick attempt is not).
#[inline]
pub fn begin_lazy(name: &'static str, args: &[Arg]) {
    if !enabled() {
        return;
    }
    LOCAL.with(|l| {
        if let Some(local) = l.borrow().as_ref() {
            let ts = local.shared.clock.now_ns();
            let record = TraceRecord::new(ts, Phase::Begin, TrackRef::Own, name).with_args(args);
            if let Some(earlier) = local.pending.replace(Some(record)) {
                // Two lazy begins in a row: the outer one has something inside now.
                let mut records = local.buffer.records.lock();
                local.append(&mut records, earlier);
            }
        }
    });
}

/// Ends the slice of the last [`begin_lazy`], with `args`: nothing is written if nothing
/// was recorded inside it.
#[inline]
pub fn end_lazy(args: &[Arg]) {
    if !enabled() {
        return;
    }
    LOCAL.with(|l| {
        if let Some(local) = l.borrow().as_ref() {
            if local.pending.take().is_none() {
                let ts = local.shared.clock.now_ns();
                local.push(TraceRecord::new(ts, Phase::End, TrackRef::Own, "").with_args(args));
            }
        }
    });
}

/// Opens a slice called `name` on the thread's own track.
#[inline]
pub fn begin(name: &'static str, args: &[Arg]) {
    emit(|ts| TraceRecord::new(ts, Phase::Begin, TrackRef::Own, name).with_args(args));
}

/// Closes the innermost open slice on the thread's own track, adding `args` to it.
#[inline]
pub fn end(args: &[Arg]) {
    emit(|ts| TraceRecord::new(ts, Phase::End, TrackRef::Own, "").with_args(args));
}

/// Marks an instant called `name` on the thread's own track.
#[inline]
pub fn instant(name: &'static str, args: &[Arg]) {
    emit(|ts| TraceRecord::new(ts, Phase::Instant, TrackRef::Own, name).with_args(args));
}

/// Marks an instant called `name` on the thread's own track where flow `out` starts and
/// flow `into` ends (an arrow between threads).
#[inline]
pub fn instant_with_flows(
    name: &'static str,
    args: &[Arg],
    out: Option<NonZeroU64>,
    into: Option<NonZeroU64>,
) {
    emit(|ts| {
        TraceRecord::new(ts, Phase::Instant, TrackRef::Own, name)
            .with_args(args)
            .with_flows(out, into)
    });
}

/// Sets the counter track called `name` to `value`.
#[inline]
pub fn counter(name: &'static str, value: i64) {
    emit(|ts| TraceRecord::new(ts, Phase::Counter(value), TrackRef::Counter(name), ""));
}

/// Renames the thread's track (the guest's `comm`, up to 16 bytes).
pub fn thread_name(comm: &[u8]) {
    let mut name = [0u8; 16];
    let n = comm.len().min(16);
    name[..n].copy_from_slice(&comm[..n]);
    emit(|ts| TraceRecord::new(ts, Phase::ThreadName(name), TrackRef::Own, ""));
}

/// A new flow id, if the calling thread records.
pub fn new_flow() -> Option<NonZeroU64> {
    if !enabled() {
        return None;
    }
    LOCAL.with(|l| {
        l.borrow().as_ref().and_then(|local| {
            NonZeroU64::new(local.shared.next_flow.fetch_add(1, Ordering::Relaxed))
        })
    })
}
