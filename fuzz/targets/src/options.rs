//! The storage option parsers: none panics on any text, and every value a parser
//! accepts prints back in a form the same parser reads as the same value.

use devices::storage::spec::{fmt_duration_ns, parse_depth, parse_duration, parse_size};
use devices::storage::{Bandwidth, ErrorInjection, IoScheduler, LatencyModel, StallModel};
use std::fmt::{Debug, Display};
use std::str::FromStr;

/// The parsers, in the order the first input byte picks them.
pub const PARSERS: [&str; 8] = [
    "latency",
    "stall",
    "scheduler",
    "bandwidth",
    "errors",
    "duration",
    "size",
    "depth",
];

/// Parses the text after the first byte of `data` with the parser that byte picks.
pub fn run(data: &[u8]) {
    let Some((&pick, text)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(text);
    parse(PARSERS[usize::from(pick) % PARSERS.len()], &text);
}

/// Checks parser `parser` (one of [`PARSERS`]) on `text`.
pub fn parse(parser: &str, text: &str) {
    match parser {
        "latency" => round_trip::<LatencyModel>(text),
        "stall" => round_trip::<StallModel>(text),
        "scheduler" => round_trip::<IoScheduler>(text),
        "bandwidth" => round_trip::<Bandwidth>(text),
        "errors" => round_trip::<ErrorInjection>(text),
        "duration" => {
            if let Ok(ns) = parse_duration(text) {
                assert_in_range(text, ns, &DURATION_UNITS);
                let printed = fmt_duration_ns(ns);
                assert_eq!(
                    parse_duration(&printed),
                    Ok(ns),
                    "{text:?} printed as {printed:?}"
                );
            }
        }
        "size" => {
            if let Ok(bytes) = parse_size(text) {
                assert_in_range(text, bytes, &SIZE_UNITS);
                assert_eq!(parse_size(&bytes.to_string()), Ok(bytes), "{text:?}");
            }
        }
        "depth" => {
            if let Ok(depth) = parse_depth(text) {
                assert!((1..=65536).contains(&depth), "{text:?} gave depth {depth}");
            }
        }
        other => panic!("no parser {other}"),
    }
}

/// A value parsed from `text` prints as text that parses to the same value.
fn round_trip<T>(text: &str)
where
    T: FromStr + Display + Debug + PartialEq,
    T::Err: Display,
{
    let Ok(value) = text.parse::<T>() else {
        return;
    };
    let printed = value.to_string();
    match printed.parse::<T>() {
        Ok(again) => assert_eq!(again, value, "{text:?} printed as {printed:?}"),
        Err(err) => panic!("{text:?} printed as {printed:?}, which does not parse: {err}"),
    }
}

/// The units a duration may be written in, with their length in nanoseconds.
const DURATION_UNITS: [(&str, u128); 5] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
];

/// The units a size may be written in, with their length in bytes.
const SIZE_UNITS: [(&str, u128); 9] = [
    ("", 1),
    ("B", 1),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
];

/// An accepted `NUMBER[.FRACTION]UNIT` is worth at least `NUMBER` units and at most one
/// more, however the fraction rounds: checked with wide arithmetic, apart from the
/// parser's own.
fn assert_in_range(text: &str, value: u64, units: &[(&str, u128)]) {
    let trimmed = text.trim();
    let number_len = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(number_len);
    let whole = number.split('.').next().unwrap_or("");
    let Some(&(_, scale)) = units.iter().find(|(u, _)| *u == unit) else {
        panic!("{text:?} parsed as {value} despite its unit {unit:?}");
    };
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .unwrap_or_else(|_| panic!("{text:?} parsed as {value} despite its size"))
    };
    let low = whole.saturating_mul(scale);
    let high = whole.saturating_add(1).saturating_mul(scale);
    let value = u128::from(value);
    assert!(
        (low..=high).contains(&value),
        "{text:?} parsed as {value}, outside {low}..={high}"
    );
}
