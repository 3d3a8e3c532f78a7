//! Memory-manager counters, per hart and in total.

use serde::Serialize;

/// Counters of one hart (atomics: the hart writes, anyone reads).
#[derive(Debug, Default)]
pub struct HartStats {
    _private: (),
}

/// A snapshot of all counters.
#[derive(Debug, Default, Clone, Serialize)]
pub struct MmStats {
    _private: (),
}
