//! Durations in the storage options' syntax: the units they are written in, and the
//! formatter the settings print themselves with. It sits below the parsers in `spec`
//! and the settings' `Display` impls, which all use it.

/// The longest a device request may be held by the storage settings: a latency model's
/// durations and draws, a stall's length. Beyond it a run of even a small program would
/// not end in any time worth waiting for, so the options refuse larger values and the
/// heavy-tailed models' draws stop there.
pub const MAX_DELAY_NS: u64 = 10_000_000_000;

/// Each unit a duration may be written in, with its length in nanoseconds.
pub(super) const DURATION_UNITS: [(&str, u64); 5] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
];

/// Formats nanoseconds in the largest unit that keeps them whole (`5ms`, `1500us`), the
/// form [`parse_duration`](super::spec::parse_duration) reads back.
pub fn fmt_duration_ns(ns: u64) -> String {
    let (unit, scale) = DURATION_UNITS
        .iter()
        .rev()
        .filter(|(u, _)| *u != "µs")
        .find(|(_, scale)| ns != 0 && ns.is_multiple_of(*scale))
        .copied()
        .unwrap_or(("ns", 1));
    format!("{}{unit}", ns / scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_format_in_largest_whole_unit() {
        assert_eq!(fmt_duration_ns(0), "0ns");
        assert_eq!(fmt_duration_ns(5_000_000), "5ms");
        assert_eq!(fmt_duration_ns(1_500_000), "1500us");
        assert_eq!(fmt_duration_ns(2_000_000_000), "2s");
        assert_eq!(fmt_duration_ns(7), "7ns");
    }
}
