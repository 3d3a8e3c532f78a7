//! Reading the `--stats` JSON files that `faultline run` writes.

use anyhow::{Context, Result};
use std::path::Path;

/// Reads a `--stats` JSON file written by `faultline run`.
pub fn read_stats(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read stats file {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// The value of counter `name` in the `total` section of a `--stats` document.
pub fn total_counter(stats: &serde_json::Value, name: &str) -> Option<u64> {
    stats.get("total")?.get(name)?.as_u64()
}
