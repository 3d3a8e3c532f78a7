//! `--blame`: a thread's worst waits, each with its chain: what it waited for and since
//! when, who held that and since when, and what the holder was doing meanwhile (a fault
//! at an address, a folio wait on I/O request k of class c at queue position q, served in
//! d), followed down to its end: the priority-inversion chain, in text.
//!
//! The holders come from the trace alone: a VMA's readers are the threads whose `vma`
//! fault attempts on it were open when the wait began; `mmap_lock`'s are the writer and
//! readers its wait's begin names, with their hold slices; a folio wait on I/O leads to
//! the request its thread submitted and that request's slice on its device lane.

use super::latency;
use super::model::{SliceId, Trace};
use devices::trace::catalog;
use serde::Serialize;
use std::cell::Cell;

/// How many waits deep a chain is followed.
const MAX_DEPTH: usize = 8;

/// How many waits one chain explains at most: holders branch, and a chain of many
/// readers each waiting on many more would not be read anyway.
const MAX_WAITS: usize = 100;

/// One step of a chain and the steps that explain it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Link {
    /// What happened.
    pub(crate) text: String,
    /// Why, one level down.
    pub(crate) causes: Vec<Link>,
}

impl Link {
    fn leaf(text: String) -> Link {
        Link {
            text,
            causes: Vec::new(),
        }
    }
}

/// A thread's worst waits, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Blame {
    /// The thread.
    pub(crate) tid: u32,
    /// Its name.
    pub(crate) name: String,
    /// How many waits it had.
    pub(crate) waits: usize,
    /// The worst, longest first.
    pub(crate) worst: Vec<Link>,
}

/// The `top` longest waits of thread `tid`, each with its chain.
pub(crate) fn blame(trace: &Trace, tid: u32, top: usize) -> Blame {
    // A wait that never ended (a thread stuck when the trace ends) counts to the end.
    let mut waits: Vec<(u64, SliceId)> = trace
        .thread_slices(tid)
        .iter()
        .filter(|&&id| is_wait(&trace.slices[id].name))
        .map(|&id| {
            let s = &trace.slices[id];
            let end = s.end_ns.unwrap_or(trace.last_ns.max(s.start_ns));
            (end - s.start_ns, id)
        })
        .collect();
    waits.sort_by_key(|&(dur, id)| (std::cmp::Reverse(dur), trace.slices[id].start_ns, id));
    let chains = Chains {
        trace,
        explained: Cell::new(0),
    };
    Blame {
        tid,
        name: trace.thread_name(tid).to_string(),
        waits: waits.len(),
        worst: waits
            .iter()
            .take(top)
            .map(|&(_, id)| {
                chains.explained.set(0);
                chains.wait(id, &mut Vec::new())
            })
            .collect(),
    }
}

/// Builds chains over one trace.
struct Chains<'t> {
    trace: &'t Trace,
    /// Waits the current chain has explained so far.
    explained: Cell<usize>,
}

impl Chains<'_> {
    /// Wait `id` and what it waited for; `path` holds the waits above it on the chain.
    fn wait(&self, id: SliceId, path: &mut Vec<SliceId>) -> Link {
        let t = self.trace;
        let s = &t.slices[id];
        self.explained.set(self.explained.get() + 1);
        let mut text = format!(
            "{} {} from {}",
            s.name,
            s.dur_ns()
                .map_or_else(|| "(not ended when the trace ends)".into(), dur),
            dur(s.start_ns)
        );
        let detail = match &*s.name {
            catalog::VMA_WRITE_WAIT => format!(" on VMA {}", s.args.show(catalog::VMA)),
            catalog::FOLIO_WAIT => format!(
                " for {} under the {} lock (kept: {})",
                s.args.show(catalog::WHAT),
                s.args.show(catalog::LOCK),
                s.args.show(catalog::HELD)
            ),
            _ if s.args.uint(catalog::AHEAD).is_some_and(|n| n > 0) => format!(
                " behind {} waiters ({} writers)",
                s.args.show(catalog::AHEAD),
                s.args.show(catalog::WRITERS_AHEAD)
            ),
            _ => String::new(),
        };
        text.push_str(&detail);
        let outer = t.outermost(id);
        if outer != id {
            text.push_str(&format!(", in {}", self.describe(outer)));
        }
        path.push(id);
        let causes = match &*s.name {
            catalog::VMA_WRITE_WAIT => self.vma_readers(id, path),
            catalog::MMAP_LOCK_READ_WAIT | catalog::MMAP_LOCK_WRITE_WAIT => {
                self.mmap_lock_holders(id, path)
            }
            catalog::FOLIO_WAIT if s.args.str(catalog::WHAT) == Some("io") => self.io(id),
            catalog::FOLIO_WAIT => vec![Link::leaf(
                "the folio was locked by another thread (the trace does not say which)".into(),
            )],
            _ => Vec::new(),
        };
        path.pop();
        Link { text, causes }
    }

    /// The readers a `vma write wait` waited for.
    fn vma_readers(&self, id: SliceId, path: &mut Vec<SliceId>) -> Vec<Link> {
        let t = self.trace;
        let s = &t.slices[id];
        let vma = s.args.uint(catalog::VMA);
        let waiter = t.tid_of(s.track);
        let mut links = Vec::new();
        for &tid in t.thread_tracks.keys() {
            if Some(tid) == waiter {
                continue;
            }
            for attempt in t.open_at(tid, catalog::FAULT_ATTEMPT, s.start_ns) {
                let a = &t.slices[attempt];
                if a.args.str(catalog::LOCK) == Some("vma") && a.args.uint(catalog::VMA) == vma {
                    let what = format!("held VMA {} for read", a.args.show(catalog::VMA));
                    links.push(self.holder(tid, attempt, &what, id, path));
                }
            }
        }
        if links.is_empty() {
            links.push(Link::leaf(
                "no open fault attempt on that VMA in the trace".into(),
            ));
        }
        links
    }

    /// The holders of `mmap_lock` a wait for it found, as its begin names them.
    fn mmap_lock_holders(&self, id: SliceId, path: &mut Vec<SliceId>) -> Vec<Link> {
        let t = self.trace;
        let s = &t.slices[id];
        let mut links = Vec::new();
        if let Some(handoff) = self.handoff(id) {
            links.push(Link::leaf(handoff));
        }
        let writer = s
            .args
            .uint(catalog::WRITER)
            .and_then(|w| u32::try_from(w).ok())
            .filter(|&w| w != 0);
        if let Some(w) = writer {
            links.push(self.lock_holder(w, catalog::MMAP_LOCK_WRITE, "write", id, path));
        }
        let (readers, unnamed) = tid_list(s.args.str(catalog::READERS).unwrap_or(""));
        for r in readers {
            links.push(self.lock_holder(r, catalog::MMAP_LOCK_READ, "read", id, path));
        }
        if unnamed > 0 {
            links.push(Link::leaf(format!(
                "and {unnamed} more readers the trace does not name"
            )));
        }
        if writer.is_none() && links.is_empty() {
            links.push(Link::leaf(
                "no holder named: it waited behind the waiters queued ahead".into(),
            ));
        }
        links
    }

    /// Holder `tid` of `mmap_lock` (its `hold` slice open when wait `id` began).
    fn lock_holder(
        &self,
        tid: u32,
        hold: &str,
        mode: &str,
        id: SliceId,
        path: &mut Vec<SliceId>,
    ) -> Link {
        let t = self.trace;
        let from = t.slices[id].start_ns;
        let held = t.open_at(tid, hold, from).last().copied().or_else(|| {
            // A fault holds the lock for read in an `mmap` attempt without a hold slice.
            (mode == "read")
                .then(|| {
                    t.open_at(tid, catalog::FAULT_ATTEMPT, from)
                        .into_iter()
                        .rfind(|&a| t.slices[a].args.str(catalog::LOCK) == Some("mmap"))
                })
                .flatten()
        });
        match held {
            Some(h) => self.holder(tid, h, &format!("held mmap_lock for {mode}"), id, path),
            None => Link::leaf(format!(
                "{} held mmap_lock for {mode} (no hold of it open in the trace)",
                t.who(tid)
            )),
        }
    }

    /// Holder `tid`, holding since slice `hold` began, and what it did during wait `id`.
    fn holder(
        &self,
        tid: u32,
        hold: SliceId,
        what: &str,
        id: SliceId,
        path: &mut Vec<SliceId>,
    ) -> Link {
        let t = self.trace;
        let h = &t.slices[hold];
        let w = &t.slices[id];
        let mut text = format!("{} {what} since {}", t.who(tid), dur(h.start_ns));
        let outer = t.outermost(hold);
        if outer != hold {
            text.push_str(&format!(", in {}", self.describe(outer)));
        }
        let until = w.end_ns.unwrap_or(u64::MAX);
        // What the holder did meanwhile: its waits, explained in turn, and the work that
        // kept it busy (reclaim, write-back, a shootdown, a futex wait), shown as is.
        let during: Vec<SliceId> = t
            .descendants(hold)
            .filter(|&d| {
                let name = &*t.slices[d].name;
                (is_wait(name) || BUSY.contains(&name)) && t.slices[d].overlaps(w.start_ns, until)
            })
            .collect();
        // Only the outermost: what is nested in another is part of it.
        let during: Vec<SliceId> = during
            .iter()
            .copied()
            .filter(|&d| !during.iter().any(|&o| o != d && t.is_within(d, o)))
            .collect();
        let causes = if during.is_empty() {
            vec![Link::leaf("not waiting: running meanwhile".into())]
        } else {
            during
                .into_iter()
                .map(|d| {
                    let s = &t.slices[d];
                    if !is_wait(&s.name) {
                        let took = s.dur_ns().map_or_else(|| "(not ended)".into(), dur);
                        Link::leaf(format!("{} {took} from {}", s.name, dur(s.start_ns)))
                    } else if path.contains(&d) {
                        Link::leaf(format!("{} (a cycle: shown above)", s.name))
                    } else if path.len() >= MAX_DEPTH {
                        Link::leaf(format!("{} (chain cut at {MAX_DEPTH} waits)", s.name))
                    } else if self.explained.get() >= MAX_WAITS {
                        Link::leaf(format!(
                            "{} (chain cut at {MAX_WAITS} waits explained)",
                            s.name
                        ))
                    } else {
                        self.wait(d, path)
                    }
                })
                .collect()
        };
        Link { text, causes }
    }

    /// The I/O a `folio wait` for `io` waited for: the last request its thread submitted
    /// in the same fault before the wait ended, and that request on its device lane.
    fn io(&self, id: SliceId) -> Vec<Link> {
        let t = self.trace;
        let s = &t.slices[id];
        let from = t.slices[t.outermost(id)].start_ns;
        let until = s.end_ns.unwrap_or(u64::MAX);
        let submit = t
            .instants_on(s.track, from, until)
            .rfind(|i| &*i.name == catalog::IO_SUBMIT);
        let Some(submit) = submit else {
            return vec![Link::leaf(
                "the folio's read was not submitted by this thread (another reader's I/O)".into(),
            )];
        };
        let a = &submit.args;
        let device = a.str(catalog::DEVICE);
        let request = a.uint(catalog::REQUEST);
        // The lane slice begins as the request is submitted; without the device's name
        // on the submit, the request's first lane slice from then on, on any device.
        let served = request
            .and_then(|r| match device {
                Some(d) => t
                    .request(d, r)
                    .iter()
                    .copied()
                    .find(|&l| t.slices[l].start_ns >= submit.ts_ns),
                None => t.request_on_any_device(r, submit.ts_ns),
            })
            .map(|l| &t.slices[l]);
        // The submit and the lane slice each carry what fits in a record; either tells.
        let field = |name: &str| {
            a.get(name)
                .or_else(|| served.and_then(|l| l.args.get(name)))
                .map(ToString::to_string)
        };
        let to = match (device, served.and_then(|l| t.lane(l.track))) {
            (Some(d), _) | (None, Some((d, _))) => d.to_string(),
            (None, None) => "?".to_string(),
        };
        let mut text = format!(
            "io submit at {}: request {} to {to}",
            dur(submit.ts_ns),
            a.show(catalog::REQUEST),
        );
        for (label, name) in [
            ("", catalog::OP),
            ("class ", catalog::CLASS),
            ("prio ", catalog::PRIO),
            ("queue position ", catalog::QUEUE_POS),
        ] {
            if let Some(v) = field(name) {
                text.push_str(&format!(", {label}{v}"));
            }
        }
        if let Some(bytes) = field(catalog::BYTES) {
            text.push_str(&format!(", {bytes} bytes"));
        }
        let cause = match served {
            Some(l) => {
                let (dev, lane) = t.lane(l.track).unwrap_or(("?", "?"));
                let ns = |name| l.args.uint(name).map_or_else(|| "?".into(), dur);
                Link::leaf(format!(
                    "served by {dev} {lane}: queued {}, served in {}, done {}{}",
                    ns(catalog::QUEUE_NS),
                    ns(catalog::SERVICE_NS),
                    l.end_ns
                        .map_or_else(|| "never".into(), |e| format!("at {}", dur(e))),
                    l.args
                        .get(catalog::RESULT)
                        .map(|r| format!(", result {r}"))
                        .unwrap_or_default()
                ))
            }
            None => Link::leaf("the request is not on its device's lanes in the trace".into()),
        };
        vec![Link {
            text,
            causes: vec![cause],
        }]
    }

    /// The `lock handoff` whose flow ends at wait `id`: who let it in.
    fn handoff(&self, id: SliceId) -> Option<String> {
        let t = self.trace;
        let i = t.slices[id]
            .flows_in
            .iter()
            .filter_map(|&f| t.flow_source(f))
            .find(|i| &*i.name == catalog::LOCK_HANDOFF)?;
        let by = t
            .tid_of(i.track)
            .map_or_else(|| "?".to_string(), |tid| t.who(tid));
        Some(format!("let in by {by}'s release at {}", dur(i.ts_ns)))
    }

    /// What slice `id` was: `fault at 0x1000 (read)`, `mprotect(0x1000, 0x2000, 0x1)`.
    fn describe(&self, id: SliceId) -> String {
        let s = &self.trace.slices[id];
        match &*s.name {
            catalog::FAULT => format!(
                "fault at {} ({})",
                s.args.show(catalog::ADDR),
                s.args.show(catalog::ACCESS)
            ),
            name if s.args.get(catalog::ARG0).is_some() => {
                let hex = |n| {
                    s.args
                        .uint(n)
                        .map_or_else(|| s.args.show(n), |v| format!("{v:#x}"))
                };
                format!(
                    "{name}({}, {}, {})",
                    hex(catalog::ARG0),
                    hex(catalog::ARG1),
                    hex(catalog::ARG2)
                )
            }
            name => name.to_string(),
        }
    }
}

/// Work a holder may be busy with while it holds a lock, shown but not followed.
const BUSY: [&str; 4] = [
    catalog::RECLAIM,
    catalog::WRITEBACK,
    catalog::SHOOTDOWN,
    catalog::FUTEX_WAIT,
];

/// Whether a slice called `name` is a wait a chain goes through.
fn is_wait(name: &str) -> bool {
    [
        catalog::MMAP_LOCK_READ_WAIT,
        catalog::MMAP_LOCK_WRITE_WAIT,
        catalog::VMA_WRITE_WAIT,
        catalog::FOLIO_WAIT,
    ]
    .contains(&name)
}

/// The thread ids of a list as the trace shows it (`12,13,+2 more`) and how many more.
fn tid_list(list: &str) -> (Vec<u32>, u64) {
    let mut tids = Vec::new();
    let mut more = 0;
    for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        if let Some(n) = item.strip_prefix('+') {
            more = n.trim_end_matches("more").trim().parse().unwrap_or(0);
        } else if let Ok(tid) = item.parse() {
            tids.push(tid);
        }
    }
    (tids, more)
}

/// A duration in the unit that suits it.
pub(crate) fn dur(ns: u64) -> String {
    let v = latency::us(ns);
    match ns {
        0..1_000 => format!("{ns} ns"),
        1_000..1_000_000 => format!("{v:.1} µs"),
        1_000_000..1_000_000_000 => format!("{:.3} ms", v / 1e3),
        _ => format!("{:.3} s", v / 1e6),
    }
}
