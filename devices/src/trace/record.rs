//! What a run's trace recorder keeps between an event and the trace file: fixed-size
//! [`TraceRecord`]s. Names and argument names are `&'static str` (the recorder interns
//! them once per sequence when it writes), so a record holds no heap data and appending
//! one is a copy.

use std::num::NonZeroU64;

/// How many arguments a record carries at most.
pub const MAX_ARGS: usize = 5;

/// How many thread ids a [`TidList`] names; the list also says how many there were.
pub const TID_LIST_LEN: usize = 4;

/// Up to [`TID_LIST_LEN`] thread ids (the holders of a lock, the readers a writer
/// drains) and how many there were in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TidList {
    /// How many threads there were, named or not.
    total: u32,
    /// The first of them, `min(total, TID_LIST_LEN)` entries used.
    tids: [u32; TID_LIST_LEN],
}

impl TidList {
    /// The list of `tids` (the first [`TID_LIST_LEN`] are named, all are counted).
    pub fn new(tids: impl IntoIterator<Item = u32>) -> TidList {
        let mut list = TidList::default();
        for tid in tids {
            list.push(tid);
        }
        list
    }

    /// Adds `tid` (named if there is room, counted anyway).
    pub fn push(&mut self, tid: u32) {
        let at = crate::cast::u64_to_usize(u64::from(self.total));
        if let Some(slot) = self.tids.get_mut(at) {
            *slot = tid;
        }
        self.total = self.total.saturating_add(1);
    }

    /// The named thread ids.
    pub fn tids(&self) -> &[u32] {
        let shown = crate::cast::u64_to_usize(u64::from(self.total)).min(TID_LIST_LEN);
        &self.tids[..shown]
    }

    /// How many threads there were.
    pub fn total(&self) -> u32 {
        self.total
    }

    /// The list as the trace shows it: `12,13,14` (`12,13,+5 more` when cut short).
    pub fn render(&self) -> String {
        let mut s = self
            .tids()
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let hidden = self.total - u32::try_from(self.tids().len()).unwrap_or(u32::MAX);
        if hidden > 0 {
            s.push_str(&format!(",+{hidden} more"));
        }
        s
    }
}

/// The value of a record's argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceValue {
    /// A count, a size, an id.
    Uint(u64),
    /// A result that may be negative.
    Int(i64),
    /// An address (shown in hex).
    Addr(u64),
    /// A fixed string: a path, an outcome, a class.
    Str(&'static str),
    /// A flag.
    Bool(bool),
    /// Thread ids.
    Tids(TidList),
}

/// A named argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceArg {
    /// Its name (`""` marks an unused slot).
    pub name: &'static str,
    /// Its value.
    pub value: TraceValue,
}

impl TraceArg {
    /// An unused slot.
    pub const NONE: TraceArg = TraceArg {
        name: "",
        value: TraceValue::Bool(false),
    };

    /// `name = value`.
    pub const fn new(name: &'static str, value: TraceValue) -> TraceArg {
        TraceArg { name, value }
    }
}

/// Where a record goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackRef {
    /// The recording thread's own track (a hart's thread track, a daemon's track, a
    /// device's track).
    Own,
    /// Lane `lane` of storage device `device`: one request at a time, so overlapping
    /// requests never share a lane and every track nests.
    Lane {
        /// The device's name.
        device: &'static str,
        /// The lane's number, from 0.
        lane: u16,
    },
    /// The counter track called this (values only).
    Counter(&'static str),
}

/// What a record does on its track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Opens a slice.
    Begin,
    /// Closes the innermost open slice (its arguments are added to that slice's).
    End,
    /// A moment.
    Instant,
    /// A counter's value from now on.
    Counter(i64),
    /// The recording thread is now called this (its `comm`, NUL-padded).
    ThreadName([u8; 16]),
}

/// One recorded event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceRecord {
    /// When, on the run's clock.
    pub ts_ns: u64,
    /// What it does.
    pub phase: Phase,
    /// Which track.
    pub track: TrackRef,
    /// The event's name (`""` for an [`Phase::End`]).
    pub name: &'static str,
    /// Its arguments; unused slots are [`TraceArg::NONE`].
    pub args: [TraceArg; MAX_ARGS],
    /// A flow that starts here (the source of an arrow).
    pub flow_out: Option<NonZeroU64>,
    /// A flow that ends here (the head of an arrow).
    pub flow_in: Option<NonZeroU64>,
}

impl TraceRecord {
    /// A record with no arguments and no flows.
    #[inline]
    pub fn new(ts_ns: u64, phase: Phase, track: TrackRef, name: &'static str) -> TraceRecord {
        TraceRecord {
            ts_ns,
            phase,
            track,
            name,
            args: [TraceArg::NONE; MAX_ARGS],
            flow_out: None,
            flow_in: None,
        }
    }

    /// The same record carrying `args` (those past [`MAX_ARGS`] are left out).
    #[inline]
    pub fn with_args(mut self, args: &[TraceArg]) -> TraceRecord {
        for (slot, arg) in self.args.iter_mut().zip(args) {
            *slot = *arg;
        }
        self
    }

    /// The same record where flow `out` starts and flow `into` ends.
    #[inline]
    pub fn with_flows(mut self, out: Option<NonZeroU64>, into: Option<NonZeroU64>) -> TraceRecord {
        self.flow_out = out;
        self.flow_in = into;
        self
    }

    /// The arguments in use.
    pub fn used_args(&self) -> impl Iterator<Item = &TraceArg> {
        self.args.iter().filter(|a| !a.name.is_empty())
    }
}
