//! What `compare` and `sweep` need of a run's trace: fault latencies by outcome, the
//! latencies of the slices the guest marked with the labels a scenario names, how many
//! rounds of work the guest marked, and how long the run lasted.

use super::latency::{Latencies, Row};
use super::model::Trace;
use devices::trace::catalog;
use std::collections::BTreeMap;

/// The digest of one trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    /// The last timestamp in the trace: the run's length.
    pub end_ns: u64,
    /// Fault latencies per outcome (`minor`, `major`, ...), in outcome order.
    pub faults: Vec<Row>,
    /// Per label asked for, in the order asked: every duration of a slice of that name
    /// on a thread's track, sorted.
    pub labels: Vec<(String, Vec<u64>)>,
    /// Slices and instants named as the rounds marker, on threads' tracks.
    pub rounds: u64,
}

/// Digests `trace` for `labels` and the rounds marker `rounds`.
pub(crate) fn digest(trace: &Trace, labels: &[String], rounds: Option<&str>) -> Digest {
    let mut faults: BTreeMap<String, Latencies> = BTreeMap::new();
    let mut marked: Vec<Vec<u64>> = vec![Vec::new(); labels.len()];
    let mut round_count = 0u64;
    for s in &trace.slices {
        if trace.tid_of(s.track).is_none() {
            continue;
        }
        let Some(dur) = s.dur_ns() else { continue };
        if &*s.name == catalog::FAULT {
            let outcome = s.args.str(catalog::OUTCOME).unwrap_or("?").to_string();
            faults
                .entry(outcome)
                .or_insert_with(Latencies::new)
                .record(dur);
        }
        if let Some(i) = labels.iter().position(|l| **l == *s.name) {
            marked[i].push(dur);
        }
        if rounds == Some(&*s.name) {
            round_count += 1;
        }
    }
    if let Some(name) = rounds {
        round_count += trace
            .instants
            .iter()
            .filter(|i| &*i.name == name && trace.tid_of(i.track).is_some())
            .count() as u64;
    }
    for m in &mut marked {
        m.sort_unstable();
    }
    Digest {
        end_ns: trace.last_ns,
        faults: faults.iter().map(|(o, l)| l.row(o)).collect(),
        labels: labels.iter().cloned().zip(marked).collect(),
        rounds: round_count,
    }
}
