//! Synthetic traces for the report's tests, written by faultline's own recorder: each
//! thread's records (with the times the test chose) go through a recording thread of
//! that owner, as a run's would.

use devices::trace::{
    emit, Owner, Phase, Recorder, TidList, TraceArg, TraceRecord, TraceValue, TrackRef, WhenFull,
};
use devices::HostClock;
use std::num::NonZeroU64;
use std::path::Path;
use std::sync::Arc;

/// Microseconds as nanoseconds, the unit of record times.
pub(crate) const US: u64 = 1_000;

/// The records of each recording thread, in order.
#[derive(Debug, Default)]
pub(crate) struct Script {
    threads: Vec<(Owner, Vec<TraceRecord>)>,
}

impl Script {
    /// The records of thread `tid` called `name`, to append to.
    pub(crate) fn hart(&mut self, tid: u32, name: &str) -> &mut Vec<TraceRecord> {
        self.owner(Owner::Hart {
            tid,
            name: name.into(),
        })
    }

    /// The records of storage device `name`'s dispatcher, to append to.
    pub(crate) fn device(&mut self, name: &'static str) -> &mut Vec<TraceRecord> {
        self.owner(Owner::Device(name))
    }

    fn owner(&mut self, owner: Owner) -> &mut Vec<TraceRecord> {
        self.threads.push((owner, Vec::new()));
        &mut self.threads.last_mut().expect("just pushed").1
    }

    /// Records everything into a trace at `path`.
    pub(crate) fn write(self, path: &Path) {
        let rec = Recorder::create(
            path,
            1,
            "guest",
            WhenFull::Block,
            Arc::new(HostClock::new()),
        )
        .unwrap();
        for (owner, records) in self.threads {
            let rec = rec.clone();
            std::thread::spawn(move || {
                rec.attach(owner);
                for r in records {
                    emit(move |_| r);
                }
                devices::trace::detach();
            })
            .join()
            .unwrap();
        }
        rec.finish().unwrap();
    }
}

/// A slice begin on the thread's own track at `us` microseconds.
pub(crate) fn begin(us: u64, name: &'static str, args: &[TraceArg]) -> TraceRecord {
    TraceRecord::new(us * US, Phase::Begin, TrackRef::Own, name).with_args(args)
}

/// A slice end on the thread's own track.
pub(crate) fn end(us: u64, args: &[TraceArg]) -> TraceRecord {
    TraceRecord::new(us * US, Phase::End, TrackRef::Own, "").with_args(args)
}

/// An instant on the thread's own track.
pub(crate) fn instant(us: u64, name: &'static str, args: &[TraceArg]) -> TraceRecord {
    TraceRecord::new(us * US, Phase::Instant, TrackRef::Own, name).with_args(args)
}

/// The thread renames itself.
pub(crate) fn rename(us: u64, name: &str) -> TraceRecord {
    let mut comm = [0u8; 16];
    comm[..name.len()].copy_from_slice(name.as_bytes());
    TraceRecord::new(us * US, Phase::ThreadName(comm), TrackRef::Own, "")
}

/// `record` moved to lane `lane` of device `device`.
pub(crate) fn on_lane(device: &'static str, lane: u16, mut record: TraceRecord) -> TraceRecord {
    record.track = TrackRef::Lane { device, lane };
    record
}

/// `record` with flow `id` starting at it.
pub(crate) fn flow_out(id: u64, mut record: TraceRecord) -> TraceRecord {
    record.flow_out = NonZeroU64::new(id);
    record
}

/// `record` with flow `id` ending at it.
pub(crate) fn flow_in(id: u64, mut record: TraceRecord) -> TraceRecord {
    record.flow_in = NonZeroU64::new(id);
    record
}

/// A number argument.
pub(crate) fn uint(name: &'static str, v: u64) -> TraceArg {
    TraceArg::new(name, TraceValue::Uint(v))
}

/// An address argument.
pub(crate) fn addr(name: &'static str, v: u64) -> TraceArg {
    TraceArg::new(name, TraceValue::Addr(v))
}

/// A string argument.
pub(crate) fn text(name: &'static str, v: &'static str) -> TraceArg {
    TraceArg::new(name, TraceValue::Str(v))
}

/// A thread-list argument.
pub(crate) fn tids(name: &'static str, v: &[u32]) -> TraceArg {
    TraceArg::new(name, TraceValue::Tids(TidList::new(v.iter().copied())))
}
