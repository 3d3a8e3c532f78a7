//! The storage device on a running clock: a dispatcher thread drives the
//! [`DeviceModel`] in the clock's time, moves the bytes to and from the
//! [`BackingStore`] when a request completes, and hands each submitter its result.

use super::backing::BackingStore;
use super::io_stats::DeviceStats;
use super::io_trace::{Lanes, TracedIo};
use super::latency::LatencyModel;
use super::model::{DeviceConfig, DeviceModel, ZeroDepth};
use super::prio::IoPriority;
use super::request::{Completion, IoError, IoKind, IoRequest, RequestId};
use crate::cast::u64_to_usize;
use crate::cost::Cost;
use crate::task::{TaskKind, WaitNote};
use crate::trace::{self, Owner};
use crate::{spawn_task, Parker, SharedClock};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// What a request does with data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IoOp {
    /// Read `len` bytes at `offset`.
    Read {
        /// Byte offset on the device.
        offset: u64,
        /// Bytes to read.
        len: u64,
    },
    /// Write `data` at `offset`.
    Write {
        /// Byte offset on the device.
        offset: u64,
        /// The bytes, written to the backing store when the request completes.
        data: Vec<u8>,
    },
    /// A read or write of `len` bytes at `offset` that the device only times: its bytes
    /// move elsewhere (a page cache keeps them in the host files it caches), so the
    /// backing store is not touched.
    Timed {
        /// Read or write.
        kind: IoKind,
        /// Byte offset on the device.
        offset: u64,
        /// Bytes moved.
        len: u64,
    },
}

/// What a request's completion does with bytes.
enum Payload {
    /// Reads them from the backing store for the submitter.
    Read,
    /// Writes these to the backing store.
    Write(Vec<u8>),
    /// Nothing: the request is only timed.
    Timed,
}

/// A finished request: its timeline and outcome, and for a successful read its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoDone {
    /// When it was submitted, started and completed, and whether it succeeded.
    pub completion: Completion,
    /// The bytes read; empty for writes, timed requests and failed reads.
    pub data: Vec<u8>,
}

type OnDone = Box<dyn FnOnce(IoDone) + Send>;

struct Pending {
    payload: Payload,
    on_done: OnDone,
    /// Where the trace shows it, if the submitter recorded.
    traced: Option<TracedIo>,
}

struct State {
    model: DeviceModel,
    pending: HashMap<RequestId, Pending>,
    closing: bool,
    /// Every request completes as soon as it is seen, without waiting for its time.
    prompt: bool,
    /// The trace's lanes and queue depths.
    lanes: Lanes,
}

struct Shared {
    state: Mutex<State>,
    dispatcher: Parker,
    /// Set, and `stopped` unparked, when the dispatcher's loop has returned: a closing
    /// device waits for that on the clock, as the dispatcher is one of its tasks.
    done: AtomicBool,
    stopped: Parker,
    clock: SharedClock,
    backing: Arc<BackingStore>,
    /// The device's name in traces (`disk`, `swap`).
    name: &'static str,
}

/// A simulated storage device serving requests in real time on `clock`.
///
/// Requests complete on a dispatcher thread, which runs completion callbacks; a
/// callback may submit further requests but should not block for long, as it holds up
/// every later completion. Dropping the device waits for the requests already submitted.
pub struct StorageDevice {
    shared: Arc<Shared>,
    dispatcher: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for StorageDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The queue and the callbacks waiting on it say nothing useful in a debug print.
        f.debug_struct("StorageDevice")
            .field("running", &self.dispatcher.is_some())
            .finish_non_exhaustive()
    }
}

impl StorageDevice {
    /// Starts the device called `name` (in traces) with `config` over `backing`, keeping
    /// time on `clock` (the one every other wait in the emulator uses, so device
    /// latencies and lock waits share a time line). Fails for a depth of 0, or when its
    /// thread cannot be started. When the calling thread records a trace, so does the
    /// device's dispatcher.
    pub fn new(
        name: &'static str,
        config: DeviceConfig,
        backing: Arc<BackingStore>,
        clock: SharedClock,
    ) -> std::io::Result<StorageDevice> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                model: DeviceModel::new(config).map_err(|ZeroDepth| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "storage depth 0")
                })?,
                pending: HashMap::new(),
                closing: false,
                prompt: false,
                lanes: Lanes::default(),
            }),
            dispatcher: Parker::new(),
            done: AtomicBool::new(false),
            stopped: Parker::new(),
            clock,
            backing,
            name,
        });
        let for_thread = shared.clone();
        let recorder = trace::current();
        let builder = std::thread::Builder::new().name("storage".into());
        let dispatcher = spawn_task(
            &shared.clock,
            builder,
            "storage",
            TaskKind::Daemon,
            move || {
                if let Some(r) = recorder {
                    r.attach(Owner::Device(name));
                }
                let _stopped = Stopped(&for_thread);
                dispatch_loop(&for_thread);
            },
        )?;
        Ok(StorageDevice {
            shared,
            dispatcher: Some(dispatcher),
        })
    }

    /// The bytes behind the device.
    pub fn backing(&self) -> &Arc<BackingStore> {
        &self.shared.backing
    }

    /// Queues `op` and returns at once; `on_done` runs on the dispatcher thread when the
    /// request completes.
    pub fn submit(
        &self,
        op: IoOp,
        submitter: u32,
        priority: IoPriority,
        on_done: impl FnOnce(IoDone) + Send + 'static,
    ) -> RequestId {
        let (request, payload) = match op {
            IoOp::Read { offset, len } => (
                IoRequest::read(offset, len, submitter, priority),
                Payload::Read,
            ),
            IoOp::Write { offset, data } => (
                IoRequest::write(offset, data.len() as u64, submitter, priority),
                Payload::Write(data),
            ),
            IoOp::Timed { kind, offset, len } => (
                IoRequest {
                    kind,
                    ..IoRequest::read(offset, len, submitter, priority)
                },
                Payload::Timed,
            ),
        };
        self.shared.clock.charge(Cost::IoSubmit, 1);
        let mut st = self.shared.state.lock();
        // Read under the lock so submissions reach the model in time order.
        let now = self.shared.clock.now_ns();
        let queue_pos = st.model.queued();
        let id = st.model.submit(now, request);
        let traced = st
            .lanes
            .submitted(self.shared.name, (id, now), &request, queue_pos);
        st.pending.insert(
            id,
            Pending {
                payload,
                on_done: Box::new(on_done),
                traced,
            },
        );
        drop(st);
        self.shared.dispatcher.unpark();
        id
    }

    /// Submits `op` and blocks until it completes.
    pub fn submit_and_wait(&self, op: IoOp, submitter: u32, priority: IoPriority) -> IoDone {
        let what = self
            .shared
            .clock
            .is_virtual()
            .then(|| wait_description(&op));
        let slot = Arc::new((Mutex::new(None), Parker::new()));
        let filler = slot.clone();
        self.submit(op, submitter, priority, move |done| {
            *filler.0.lock() = Some(done);
            filler.1.unpark();
        });
        loop {
            if let Some(done) = slot.0.lock().take() {
                return done;
            }
            if let Some(what) = &what {
                self.shared.clock.note_wait(WaitNote {
                    what: what.clone(),
                    holders: Vec::new(),
                });
            }
            self.shared.clock.park(&slot.1);
        }
    }

    /// Reads `buf.len()` bytes at `offset`, blocking until the device has served it.
    pub fn read(
        &self,
        offset: u64,
        buf: &mut [u8],
        submitter: u32,
        priority: IoPriority,
    ) -> Completion {
        let op = IoOp::Read {
            offset,
            len: buf.len() as u64,
        };
        let done = self.submit_and_wait(op, submitter, priority);
        if done.completion.result.is_ok() {
            buf.copy_from_slice(&done.data);
        }
        done.completion
    }

    /// Writes `data` at `offset`, blocking until the device has served it.
    pub fn write(
        &self,
        offset: u64,
        data: &[u8],
        submitter: u32,
        priority: IoPriority,
    ) -> Completion {
        let op = IoOp::Write {
            offset,
            data: data.to_vec(),
        };
        self.submit_and_wait(op, submitter, priority).completion
    }

    /// From now on completes every request, those already queued or in service too, as
    /// soon as the dispatcher sees it, without waiting on the clock for its simulated
    /// time: a run that is ending must not wait for the device (its requests are still
    /// modelled and counted, at the model's own later times).
    pub fn finish_promptly(&self) {
        self.shared.state.lock().prompt = true;
        self.shared.dispatcher.unpark();
    }

    /// From now on draws the service time of each request it starts from `latency`
    /// (a run-time change of `--storage-latency`); requests in service keep theirs.
    pub fn set_latency(&self, latency: LatencyModel) {
        let mut st = self.shared.state.lock();
        let now = self.shared.clock.now_ns();
        st.model.set_latency(now, latency);
        drop(st);
        self.shared.dispatcher.unpark();
    }

    /// Stops the device from starting requests for `for_ns` from now (a stall as
    /// `--storage-stall` makes them): requests queue, those in service finish on time.
    pub fn stall_for(&self, for_ns: u64) {
        let mut st = self.shared.state.lock();
        let now = self.shared.clock.now_ns();
        st.model.stall(now, for_ns);
        drop(st);
        self.shared.dispatcher.unpark();
    }

    /// A snapshot of the device's counters and distributions.
    pub fn stats(&self) -> DeviceStats {
        self.shared.state.lock().model.stats().clone()
    }

    /// Requests queued and in service, for a queue-depth counter track.
    pub fn outstanding(&self) -> usize {
        let st = self.shared.state.lock();
        st.model.queued() + st.model.in_flight()
    }
}

impl Drop for StorageDevice {
    fn drop(&mut self) {
        self.shared.state.lock().closing = true;
        self.shared.dispatcher.unpark();
        let Some(t) = self.dispatcher.take() else {
            return;
        };
        if t.thread().id() == std::thread::current().id() {
            // Dropped by one of its own completion callbacks: the loop sees `closing`
            // once the callback returns.
            return;
        }
        // Through the clock: under a virtual one the dispatcher runs only while this
        // thread waits there, and a host join would hold the run still.
        while !self.shared.done.load(Ordering::Acquire) {
            self.shared.clock.park(&self.shared.stopped);
        }
        // A panic in a completion callback already reported itself; nothing to add.
        let _ = t.join();
    }
}

/// Tells a closing device that its dispatcher has stopped, when the loop returns or a
/// completion callback panics.
struct Stopped<'a>(&'a Shared);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        self.0.done.store(true, Ordering::Release);
        self.0.stopped.unpark();
    }
}

fn dispatch_loop(shared: &Shared) {
    loop {
        let mut st = shared.state.lock();
        let now = shared.clock.now_ns();
        let done = if st.prompt {
            st.model.run_to_idle()
        } else {
            st.model.advance(now)
        };
        let finished: Vec<(Completion, Pending)> = done
            .into_iter()
            .map(|c| {
                let p = st
                    .pending
                    .remove(&c.id)
                    .expect("every submitted request has its pending entry");
                if let Some(io) = p.traced {
                    st.lanes.completed(shared.name, &c, io);
                }
                (c, p)
            })
            .collect();
        let next = st.model.next_event_ns();
        let closing = st.closing;
        drop(st);
        // Callbacks may submit more, and take time: look again before waiting.
        let ran_callbacks = !finished.is_empty();
        for (completion, pending) in finished {
            finish(&shared.backing, completion, pending);
        }
        match next {
            _ if ran_callbacks => {}
            None if closing => return,
            Some(t) if t > now => {
                shared.clock.park_until(&shared.dispatcher, t);
            }
            Some(_) => {}
            None => shared.clock.park(&shared.dispatcher),
        }
    }
}

/// What a submitter waiting for `op` waits for, for a virtual clock's wait report:
/// `storage request (read, 8 pages)`.
fn wait_description(op: &IoOp) -> String {
    let (kind, len) = match op {
        IoOp::Read { len, .. } => (IoKind::Read, *len),
        IoOp::Write { data, .. } => (IoKind::Write, data.len() as u64),
        IoOp::Timed { kind, len, .. } => (*kind, *len),
    };
    let kind = match kind {
        IoKind::Read => "read",
        IoKind::Write => "write",
    };
    let pages = len.div_ceil(4096);
    let unit = if pages == 1 { "page" } else { "pages" };
    format!("storage request ({kind}, {pages} {unit})")
}

/// Moves the request's bytes and tells its submitter.
fn finish(backing: &BackingStore, mut completion: Completion, pending: Pending) {
    let mut data = Vec::new();
    if completion.result.is_ok() {
        let r = &completion.request;
        match pending.payload {
            Payload::Read => {
                data = vec![0; u64_to_usize(r.len)];
                backing.read_at(r.offset, &mut data);
            }
            Payload::Write(bytes) => {
                if let Err(e) = backing.write_at(r.offset, &bytes) {
                    completion.result = Err(IoError::Backing(e.to_string()));
                }
            }
            Payload::Timed => {}
        }
    }
    (pending.on_done)(IoDone { completion, data });
}
