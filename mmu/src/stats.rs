//! Memory-manager counters, per hart and in total.

use serde::Serialize;
use std::collections::BTreeMap;

/// Counters of one hart (atomics: the hart writes, anyone reads).
#[derive(Debug, Default)]
pub struct HartStats {
    _private: (),
}

/// A snapshot of all counters: dotted counter names (e.g. `faults.minor`) to values.
#[derive(Debug, Default, Clone, Serialize)]
pub struct MmStats {
    /// Per hart, by guest thread id.
    pub per_hart: Vec<(u32, BTreeMap<String, u64>)>,
    /// Summed over all harts.
    pub total: BTreeMap<String, u64>,
}
