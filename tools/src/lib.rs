//! Offline tools for faultline: reading `--stats` JSON files, and the source checks
//! that keep the crates' layering honest.

pub mod layers;
mod stats;

pub use stats::{read_stats, total_counter};
