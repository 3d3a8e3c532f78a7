//! Offline tools for faultline: reading `--stats` JSON files, and the source checks
//! that keep the crates' layering honest.

pub mod layers;
mod stats_file;

pub use stats_file::{read_stats, total_counter};
