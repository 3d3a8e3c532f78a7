//! A trace as the report sees it: its tracks, its slices (begin and end joined, with the
//! arguments of both) and its instants, and the lookups the tables and the blame chains
//! make over them.

use anyhow::{bail, Result};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// An event or argument name, shared by every event that uses it.
pub(crate) type Name = Rc<str>;

/// An argument's value, as the trace carried it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// An unsigned integer.
    Uint(u64),
    /// A signed integer.
    Int(i64),
    /// A string.
    Str(Name),
    /// A flag.
    Bool(bool),
    /// An address.
    Addr(u64),
    /// A floating-point number.
    Double(f64),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Uint(v) => write!(f, "{v}"),
            Value::Int(v) => write!(f, "{v}"),
            Value::Str(v) => f.write_str(v),
            Value::Bool(v) => write!(f, "{v}"),
            Value::Addr(v) => write!(f, "{v:#x}"),
            Value::Double(v) => write!(f, "{v}"),
        }
    }
}

/// An event's named arguments, in the order they came.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Args(pub(crate) Vec<(Name, Value)>);

impl Args {
    /// The argument called `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| &**n == name).map(|(_, v)| v)
    }

    /// The argument called `name` as an unsigned number (an address, a count, a tid).
    pub(crate) fn uint(&self, name: &str) -> Option<u64> {
        match self.get(name)? {
            Value::Uint(v) | Value::Addr(v) => Some(*v),
            Value::Int(v) => u64::try_from(*v).ok(),
            _ => None,
        }
    }

    /// The argument called `name` as a string.
    pub(crate) fn str(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Value::Str(v) => Some(v),
            _ => None,
        }
    }

    /// The argument called `name` shown as the trace shows it, `?` when missing.
    pub(crate) fn show(&self, name: &str) -> String {
        self.get(name).map_or_else(|| "?".into(), Value::to_string)
    }
}

/// What a track is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TrackKind {
    /// The process's own track.
    Process,
    /// A guest thread's track.
    Thread {
        /// Its thread id.
        tid: u32,
    },
    /// A named track: a daemon, a storage device or one of its lanes.
    Named,
    /// A counter track.
    Counter,
}

/// One track of the trace.
#[derive(Debug, Clone)]
pub(crate) struct Track {
    /// What it is.
    pub(crate) kind: TrackKind,
    /// Its latest name.
    pub(crate) name: String,
    /// Every name it had (a thread renames itself), oldest first.
    pub(crate) names: Vec<String>,
    /// The track it sits under.
    pub(crate) parent: Option<u64>,
}

/// A slice's index in [`Trace::slices`].
pub(crate) type SliceId = usize;

/// A slice: a begin joined with its end.
#[derive(Debug, Clone)]
pub(crate) struct Slice {
    /// The uuid of its track.
    pub(crate) track: u64,
    /// Its name.
    pub(crate) name: Name,
    /// When it began.
    pub(crate) start_ns: u64,
    /// When it ended; `None` if the trace holds no end (still open, or dropped).
    pub(crate) end_ns: Option<u64>,
    /// The slice it is nested in, on the same track.
    pub(crate) parent: Option<SliceId>,
    /// The arguments of its begin and its end.
    pub(crate) args: Args,
    /// Flows that end at it (at its begin or its end).
    pub(crate) flows_in: Vec<u64>,
}

impl Slice {
    /// How long it lasted, if it ended.
    pub(crate) fn dur_ns(&self) -> Option<u64> {
        self.end_ns.map(|e| e.saturating_sub(self.start_ns))
    }

    /// Whether it was open at `ts_ns`.
    pub(crate) fn open_at(&self, ts_ns: u64) -> bool {
        self.start_ns <= ts_ns && self.end_ns.is_none_or(|e| ts_ns < e)
    }

    /// Whether it overlaps `[from, to)`.
    pub(crate) fn overlaps(&self, from: u64, to: u64) -> bool {
        self.start_ns < to && self.end_ns.is_none_or(|e| e > from)
    }
}

/// An instant event.
#[derive(Debug, Clone)]
pub(crate) struct Instant {
    /// The uuid of its track.
    pub(crate) track: u64,
    /// When.
    pub(crate) ts_ns: u64,
    /// Its name.
    pub(crate) name: Name,
    /// Its arguments.
    pub(crate) args: Args,
}

/// A whole trace, reconstructed.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    /// The tracks by uuid.
    pub(crate) tracks: BTreeMap<u64, Track>,
    /// Every slice, in the order their begins were read (start order on each track).
    pub(crate) slices: Vec<Slice>,
    /// Every instant, in file order.
    pub(crate) instants: Vec<Instant>,
    /// The slices of each track, in start order.
    pub(crate) by_track: BTreeMap<u64, Vec<SliceId>>,
    /// The instants of each track (indices into `instants`), in time order.
    pub(crate) instants_by_track: BTreeMap<u64, Vec<usize>>,
    /// The instant each flow starts at (an index into `instants`).
    pub(crate) flow_sources: BTreeMap<u64, usize>,
    /// The lane slices of each request, by device and request number.
    pub(crate) requests: BTreeMap<(String, u64), Vec<SliceId>>,
    /// Each guest thread's track.
    pub(crate) thread_tracks: BTreeMap<u32, u64>,
    /// The latest time of any event.
    pub(crate) last_ns: u64,
    /// Records the recorder dropped, from the trace's end note.
    pub(crate) dropped: Option<u64>,
}

impl Trace {
    /// The thread whose track `track` is.
    pub(crate) fn tid_of(&self, track: u64) -> Option<u32> {
        match self.tracks.get(&track)?.kind {
            TrackKind::Thread { tid } => Some(tid),
            _ => None,
        }
    }

    /// Thread `tid`'s name (its latest), `?` for a thread the trace does not describe.
    pub(crate) fn thread_name(&self, tid: u32) -> &str {
        self.thread_tracks
            .get(&tid)
            .and_then(|t| self.tracks.get(t))
            .map_or("?", |t| t.name.as_str())
    }

    /// `tid 12 (name)`.
    pub(crate) fn who(&self, tid: u32) -> String {
        format!("tid {tid} ({})", self.thread_name(tid))
    }

    /// The storage device whose lane `track` is, with the lane's name.
    pub(crate) fn lane(&self, track: u64) -> Option<(&str, &str)> {
        let lane = self.tracks.get(&track)?;
        if lane.kind != TrackKind::Named || !lane.name.starts_with("lane ") {
            return None;
        }
        let device = self.tracks.get(&lane.parent?)?;
        Some((device.name.as_str(), lane.name.as_str()))
    }

    /// The thread `selector` names: a thread id in the trace, or a name one thread had.
    pub(crate) fn find_thread(&self, selector: &str) -> Result<u32> {
        if let Ok(tid) = selector.parse::<u32>() {
            if self.thread_tracks.contains_key(&tid) {
                return Ok(tid);
            }
            bail!("no thread with tid {tid} in the trace");
        }
        let matching: Vec<u32> = self
            .thread_tracks
            .iter()
            .filter(|(_, t)| {
                self.tracks
                    .get(t)
                    .is_some_and(|t| t.names.iter().any(|n| n == selector))
            })
            .map(|(&tid, _)| tid)
            .collect();
        match matching.as_slice() {
            [tid] => Ok(*tid),
            [] => bail!("no thread called '{selector}' in the trace"),
            many => bail!(
                "{} threads are called '{selector}' (tids {}): give a tid",
                many.len(),
                many.iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The slices of thread `tid`'s track.
    pub(crate) fn thread_slices(&self, tid: u32) -> &[SliceId] {
        self.thread_tracks
            .get(&tid)
            .and_then(|t| self.by_track.get(t))
            .map_or(&[], Vec::as_slice)
    }

    /// The slices of `tid` named `name` open at `ts_ns`, innermost last.
    pub(crate) fn open_at(&self, tid: u32, name: &str, ts_ns: u64) -> Vec<SliceId> {
        let on_track = self.thread_slices(tid);
        // Slices on a track nest, so every slice open at `ts_ns` encloses the last one
        // to begin by then (or is it).
        let begun = on_track.partition_point(|&id| self.slices[id].start_ns <= ts_ns);
        let mut open = Vec::new();
        let mut at = begun.checked_sub(1).map(|i| on_track[i]);
        while let Some(id) = at {
            let s = &self.slices[id];
            if &*s.name == name && s.open_at(ts_ns) {
                open.push(id);
            }
            at = s.parent;
        }
        open.reverse();
        open
    }

    /// The slices nested in `outer` (on its track), in start order.
    pub(crate) fn descendants(&self, outer: SliceId) -> impl Iterator<Item = SliceId> + '_ {
        let o = &self.slices[outer];
        let on_track = self.by_track.get(&o.track).map_or(&[][..], Vec::as_slice);
        let from = on_track.partition_point(|&id| self.slices[id].start_ns < o.start_ns);
        let until = o.end_ns.unwrap_or(u64::MAX);
        on_track[from..]
            .iter()
            .copied()
            .take_while(move |&id| self.slices[id].start_ns <= until)
            .filter(move |&id| id != outer && self.is_within(id, outer))
    }

    /// The instants on `track` from `from_ns` to `to_ns` (both included), in time order.
    pub(crate) fn instants_on(
        &self,
        track: u64,
        from_ns: u64,
        to_ns: u64,
    ) -> impl DoubleEndedIterator<Item = &Instant> + '_ {
        let on_track = self
            .instants_by_track
            .get(&track)
            .map_or(&[][..], Vec::as_slice);
        let from = on_track.partition_point(|&i| self.instants[i].ts_ns < from_ns);
        let to = on_track.partition_point(|&i| self.instants[i].ts_ns <= to_ns);
        on_track[from..to.max(from)]
            .iter()
            .map(|&i| &self.instants[i])
    }

    /// The lane slices of request `request` of device `device`, in start order.
    pub(crate) fn request(&self, device: &str, request: u64) -> &[SliceId] {
        self.requests
            .get(&(device.to_string(), request))
            .map_or(&[], Vec::as_slice)
    }

    /// The first lane slice of request number `request` on any device that starts at
    /// or after `from_ns`.
    pub(crate) fn request_on_any_device(&self, request: u64, from_ns: u64) -> Option<SliceId> {
        self.requests
            .iter()
            .filter(|((_, r), _)| *r == request)
            .flat_map(|(_, ids)| ids.iter().copied())
            .filter(|&l| self.slices[l].start_ns >= from_ns)
            .min_by_key(|&l| (self.slices[l].start_ns, l))
    }

    /// The instant where flow `flow` starts.
    pub(crate) fn flow_source(&self, flow: u64) -> Option<&Instant> {
        self.flow_sources.get(&flow).map(|&i| &self.instants[i])
    }

    /// Whether `inner` is nested in `outer`.
    pub(crate) fn is_within(&self, inner: SliceId, outer: SliceId) -> bool {
        let mut at = self.slices[inner].parent;
        while let Some(p) = at {
            if p == outer {
                return true;
            }
            at = self.slices[p].parent;
        }
        false
    }

    /// The outermost slice `id` is nested in (itself when it is not nested).
    pub(crate) fn outermost(&self, id: SliceId) -> SliceId {
        let mut at = id;
        while let Some(p) = self.slices[at].parent {
            at = p;
        }
        at
    }
}
