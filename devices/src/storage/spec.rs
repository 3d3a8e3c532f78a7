//! The command-line syntax of the storage options (`--storage-latency fixed:5ms`…): parse
//! functions that say which part of a value is wrong. The settings print themselves
//! back in the same syntax, with [`fmt_duration_ns`] for their durations.

use super::duration::DURATION_UNITS;
pub use super::duration::{fmt_duration_ns, MAX_DELAY_NS};
use super::faults::ErrorInjection;
use super::latency::{Bandwidth, LatencyModel};
use super::sched::{DeadlineTunables, IoScheduler};
use super::stall::StallModel;
use std::str::FromStr;

/// A storage option value that does not parse; the message names the offending part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpecError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, SpecError> {
    Err(SpecError(msg.into()))
}

const SIZE_UNITS: [(&str, u64); 8] = [
    ("B", 1),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
];

/// Refuses a negative `what` by name (it would otherwise read as an unknown unit).
fn negative(s: &str, what: &str) -> Result<(), SpecError> {
    if s.starts_with('-') {
        return err(format!("{what} '{s}' is negative: it must be 0 or more"));
    }
    Ok(())
}

/// Splits `s` into its leading number and its unit.
fn split_number(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    s.split_at(end)
}

/// `number * scale`, with a decimal fraction computed exactly and rounded to the nearest
/// unit; `None` if it is not a plain decimal number or overflows.
fn scaled(number: &str, scale: u64) -> Option<u64> {
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || frac.len() > 18 {
        return None;
    }
    let int: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac_value: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    let denom = 10u128.pow(u32::try_from(frac.len()).ok()?);
    let scale = u128::from(scale);
    let total = int
        .checked_mul(scale)?
        .checked_add((frac_value * scale + denom / 2) / denom)?;
    u64::try_from(total).ok()
}

/// A duration such as `5ms`, `1.5s`, `250us` or `100ns`, in nanoseconds.
pub fn parse_duration(s: &str) -> Result<u64, SpecError> {
    let s = s.trim();
    negative(s, "duration")?;
    let (number, unit) = split_number(s);
    if unit.is_empty() {
        return err(format!("duration '{s}' needs a unit: ns, us, ms or s"));
    }
    let Some(&(_, scale)) = DURATION_UNITS.iter().find(|(u, _)| *u == unit) else {
        return err(format!(
            "unknown unit '{unit}' in duration '{s}' (expected ns, us, ms or s)"
        ));
    };
    scaled(number, scale).ok_or_else(|| SpecError(format!("'{s}' is not a duration")))
}

/// The slowest `--storage-bw`: 1 MiB/s, at which a 128 KiB read-around takes 125 ms.
pub const MIN_BANDWIDTH: u64 = 1 << 20;

/// A duration that holds a device request ([`parse_duration`], at most
/// [`MAX_DELAY_NS`]); `what` names it in the error.
pub fn parse_delay(s: &str, what: &str) -> Result<u64, SpecError> {
    let ns = parse_duration(s)?;
    if ns > MAX_DELAY_NS {
        return err(format!(
            "{what} '{}' is beyond the maximum of {}",
            s.trim(),
            fmt_duration_ns(MAX_DELAY_NS)
        ));
    }
    Ok(ns)
}

/// A size such as `64MiB`, `4KiB`, `1.5GB` or a plain byte count, in bytes.
pub fn parse_size(s: &str) -> Result<u64, SpecError> {
    let s = s.trim();
    negative(s, "size")?;
    let (number, unit) = split_number(s);
    let scale = if unit.is_empty() {
        1
    } else {
        match SIZE_UNITS.iter().find(|(u, _)| *u == unit) {
            Some(&(_, scale)) => scale,
            None => {
                return err(format!(
                    "unknown unit '{unit}' in size '{s}' (expected B, KiB, MiB, GiB, TiB, KB, MB or GB)"
                ))
            }
        }
    };
    scaled(number, scale).ok_or_else(|| SpecError(format!("'{s}' is not a size")))
}

/// `--storage-depth N`: how many requests the device serves at once, 1 to 65536.
pub fn parse_depth(s: &str) -> Result<usize, SpecError> {
    let s = s.trim();
    match s.parse::<usize>() {
        Ok(n @ 1..=65536) => Ok(n),
        _ => err(format!(
            "storage depth '{s}' must be a whole number from 1 to 65536"
        )),
    }
}

/// A probability such as `0.01`, checked to lie in 0..=1.
fn parse_probability(s: &str, what: &str) -> Result<f64, SpecError> {
    match s.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => err(format!("{what} '{s}' must be a number from 0 to 1")),
    }
}

/// The text after `name:` in `s`, when `s` starts with it.
fn strip_kind<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    s.strip_prefix(name)?.strip_prefix(':')
}

/// Splits `s` in two at `sep`, or says what was expected.
fn pair<'a>(s: &'a str, sep: &str, form: &str) -> Result<(&'a str, &'a str), SpecError> {
    s.split_once(sep)
        .ok_or_else(|| SpecError(format!("'{s}' is not of the form {form}")))
}

impl FromStr for LatencyModel {
    type Err = SpecError;

    /// `fixed:5ms`, `uniform:1ms..9ms`, `exp:2ms` (mean), `lognormal:2ms,40ms` (median,
    /// p99) or `mix:0.9*fixed:1ms+0.1*fixed:50ms` (weights need not sum to 1).
    fn from_str(s: &str) -> Result<LatencyModel, SpecError> {
        let s = s.trim();
        let invalid = |e: super::latency::InvalidLatency| SpecError(format!("'{s}': {e}"));
        let latency = |d: &str| parse_delay(d, "latency");
        let (kind, args) = s.split_once(':').unwrap_or((s, ""));
        match kind {
            "fixed" => Ok(LatencyModel::fixed(latency(args)?)),
            "uniform" => {
                let (lo, hi) = pair(args, "..", "uniform:MIN..MAX")?;
                LatencyModel::uniform(latency(lo)?, latency(hi)?).map_err(invalid)
            }
            "exp" => Ok(LatencyModel::exponential(latency(args)?)),
            "lognormal" => {
                let (median, p99) = pair(args, ",", "lognormal:MEDIAN,P99")?;
                LatencyModel::lognormal(latency(median)?, latency(p99)?).map_err(invalid)
            }
            "mix" => {
                let parts = args
                    .split('+')
                    .map(|part| {
                        let (w, model) = pair(part, "*", "WEIGHT*MODEL")?;
                        let weight = match w.trim().parse::<f64>() {
                            Ok(w) if w.is_finite() && w > 0.0 => w,
                            _ => return err(format!("mixture weight '{w}' in '{part}' must be a positive number")),
                        };
                        let model: LatencyModel = model.parse()?;
                        if model.is_mixture() {
                            return err(format!("'{part}': a mixture cannot contain a mixture"));
                        }
                        Ok((weight, model))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                LatencyModel::mixture(parts).map_err(invalid)
            }
            _ => err(format!(
                "unknown latency model '{kind}' in '{s}' (expected fixed, uniform, exp, lognormal or mix)"
            )),
        }
    }
}

impl FromStr for IoScheduler {
    type Err = SpecError;

    /// `fifo`, `prio`, `deadline`, or `deadline:read=100ms,write=2s` to change the expiry
    /// times (either may be left out).
    fn from_str(s: &str) -> Result<IoScheduler, SpecError> {
        let s = s.trim();
        match s {
            "fifo" => return Ok(IoScheduler::Fifo),
            "prio" => return Ok(IoScheduler::Prio),
            "deadline" => return Ok(IoScheduler::default()),
            _ => {}
        }
        let Some(args) = strip_kind(s, "deadline") else {
            return err(format!(
                "unknown I/O scheduler '{s}' (expected fifo, prio or deadline)"
            ));
        };
        let mut t = DeadlineTunables::default();
        for setting in args.split(',') {
            let (key, value) = pair(setting, "=", "read=DURATION or write=DURATION")?;
            let slot = match key.trim() {
                "read" => &mut t.read_expire_ns,
                "write" => &mut t.write_expire_ns,
                _ => {
                    return err(format!(
                        "unknown deadline setting '{key}' (expected read or write)"
                    ))
                }
            };
            *slot = parse_duration(value)?;
        }
        Ok(IoScheduler::Deadline(t))
    }
}

impl FromStr for Bandwidth {
    type Err = SpecError;

    /// A size per second: `200MiB/s`, `1.5GB/s`, `4096B/s`.
    fn from_str(s: &str) -> Result<Bandwidth, SpecError> {
        let s = s.trim();
        let Some(size) = s.strip_suffix("/s") else {
            return err(format!("bandwidth '{s}' must end in /s, as in 200MiB/s"));
        };
        let bytes = parse_size(size)?;
        if bytes < MIN_BANDWIDTH {
            return err(format!("bandwidth '{s}' is below the minimum of 1MiB/s"));
        }
        Bandwidth::new(bytes)
            .ok_or_else(|| SpecError(format!("bandwidth '{s}' must be more than zero")))
    }
}

impl FromStr for StallModel {
    type Err = SpecError;

    /// `every:500ms,for:100ms` (scheduled), `p:0.01,for:50ms` (per request) or `none`.
    fn from_str(s: &str) -> Result<StallModel, SpecError> {
        let s = s.trim();
        if s == "none" {
            return Ok(StallModel::never());
        }
        let form = "every:PERIOD,for:DURATION or p:PROBABILITY,for:DURATION";
        let (when, length) = pair(s, ",", form)?;
        let Some(for_ns) = strip_kind(length.trim(), "for") else {
            return err(format!("'{length}' in '{s}' must be for:DURATION"));
        };
        let for_ns = parse_delay(for_ns, "stall")?;
        let invalid = |e: super::stall::InvalidStall| SpecError(format!("'{s}': {e}"));
        let when = when.trim();
        if let Some(every) = strip_kind(when, "every") {
            StallModel::scheduled(parse_duration(every)?, for_ns).map_err(invalid)
        } else if let Some(p) = strip_kind(when, "p") {
            StallModel::random(parse_probability(p, "stall probability")?, for_ns).map_err(invalid)
        } else {
            err(format!(
                "'{when}' in '{s}' must be every:PERIOD or p:PROBABILITY"
            ))
        }
    }
}

impl FromStr for ErrorInjection {
    type Err = SpecError;

    /// A fraction of reads to fail (`0.01`), the reads touching a byte range of the
    /// device (`range:1MiB..2MiB`, end exclusive) or of one file, in its own offsets
    /// (`range:0..4KiB@PATH`, through its region on the device, see
    /// [`super::file_region`]), or `none`.
    fn from_str(s: &str) -> Result<ErrorInjection, SpecError> {
        let s = s.trim();
        if s == "none" {
            return Ok(ErrorInjection::never());
        }
        let invalid = |e: super::faults::InvalidErrorInjection| SpecError(format!("'{s}': {e}"));
        if let Some(range) = strip_kind(s, "range") {
            let (range, base) = match range.split_once('@') {
                Some((range, path)) => (range, Some(file_base(path)?)),
                None => (range, None),
            };
            let (start, end) = pair(range, "..", "range:OFFSET..END[@FILE]")?;
            let (start, end) = (parse_size(start)?, parse_size(end)?);
            let Some(base) = base else {
                return ErrorInjection::range(start, end).map_err(invalid);
            };
            if end > super::FILE_SPAN {
                return err(format!(
                    "'{s}': a file's range ends by {}",
                    super::FILE_SPAN
                ));
            }
            ErrorInjection::range(base + start, base + end).map_err(invalid)
        } else {
            ErrorInjection::fraction(parse_probability(s, "error rate")?).map_err(invalid)
        }
    }
}

/// Where the requests for the file at `path` start on the device.
fn file_base(path: &str) -> Result<u64, SpecError> {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(path) {
        Ok(m) => Ok(super::file_region(m.ino())),
        Err(e) => err(format!("{path}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::IoPriority;

    fn latency(s: &str) -> LatencyModel {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn message<T: FromStr<Err = SpecError> + std::fmt::Debug>(s: &str) -> String {
        s.parse::<T>().unwrap_err().0
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5ms"), Ok(5_000_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("250us"), Ok(250_000));
        assert_eq!(parse_duration("250µs"), Ok(250_000));
        assert_eq!(parse_duration("100ns"), Ok(100));
        assert_eq!(parse_duration(" 0.001ms "), Ok(1_000));
        // The rounded fraction must not carry a number already at the limit past it.
        let max = u128::MAX;
        assert!(parse_duration(&format!("{max}.9ns")).is_err());
        assert!(parse_size(&format!("{max}.9")).is_err());
        assert!(parse_duration("5").unwrap_err().0.contains("needs a unit"));
        assert!(parse_duration("5min")
            .unwrap_err()
            .0
            .contains("unknown unit 'min'"));
        assert!(parse_duration("ms")
            .unwrap_err()
            .0
            .contains("not a duration"));
        assert!(parse_duration("1.2.3ms").is_err());
        assert!(parse_duration("-5ms").is_err());
        assert!(parse_duration("99999999999999999999s").is_err());
    }

    #[test]
    fn sizes_and_bandwidth() {
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("10B"), Ok(10));
        assert_eq!(parse_size("1.5KiB"), Ok(1536));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("3KB"), Ok(3_000));
        assert_eq!(parse_size("3MB"), Ok(3_000_000));
        assert_eq!(parse_size("3GB"), Ok(3_000_000_000));
        assert!(parse_size("3kb")
            .unwrap_err()
            .0
            .contains("unknown unit 'kb'"));
        let bw: Bandwidth = "200MiB/s".parse().unwrap();
        assert_eq!(bw.bytes_per_sec(), 200 << 20);
        assert_eq!(
            "1GB/s".parse::<Bandwidth>().unwrap().bytes_per_sec(),
            1_000_000_000
        );
        assert!(message::<Bandwidth>("200MiB").contains("must end in /s"));
        assert!(message::<Bandwidth>("0B/s").contains("below the minimum of 1MiB/s"));
        assert!(message::<Bandwidth>("1B/s").contains("below the minimum of 1MiB/s"));
        assert!(message::<LatencyModel>("fixed:11s").contains("beyond the maximum of 10s"));
        assert!(message::<StallModel>("p:0.1,for:1h").contains("unknown unit"));
        assert!(message::<StallModel>("p:0.1,for:11s").contains("beyond the maximum of 10s"));
        assert!(parse_size("-1").unwrap_err().0.contains("negative"));
        assert!(parse_duration("-1ms").unwrap_err().0.contains("negative"));
        assert!(message::<Bandwidth>("fast/s").contains("in size 'fast'"));
    }

    #[test]
    fn depth() {
        assert_eq!(parse_depth("32"), Ok(32));
        for bad in ["0", "-1", "many", "100000"] {
            assert!(parse_depth(bad).unwrap_err().0.contains(bad));
        }
    }

    #[test]
    fn latency_models_parse_and_print_back() {
        for s in [
            "fixed:5ms",
            "uniform:1ms..9ms",
            "exp:2ms",
            "lognormal:2ms,40ms",
            "mix:0.9*fixed:1ms+0.1*fixed:50ms",
            "mix:3*exp:250us+1*lognormal:1ms,20ms",
        ] {
            assert_eq!(latency(s).to_string(), s);
        }
        assert_eq!(latency("fixed:5ms"), LatencyModel::fixed(5_000_000));
        assert_eq!(latency("fixed:1500us").to_string(), "fixed:1500us");
    }

    #[test]
    fn latency_errors_name_the_bad_part() {
        let m = message::<LatencyModel>;
        assert!(m("gamma:1ms").contains("unknown latency model 'gamma'"));
        assert!(m("fixed:5").contains("'5' needs a unit"));
        assert!(m("uniform:9ms..1ms").contains("'uniform:9ms..1ms'"));
        assert!(m("uniform:1ms-9ms").contains("uniform:MIN..MAX"));
        assert!(m("lognormal:2ms").contains("lognormal:MEDIAN,P99"));
        assert!(m("lognormal:40ms,2ms").contains("median <= p99"));
        assert!(m("mix:0.9*fixed:1ms+0.1*fxed:50ms").contains("unknown latency model 'fxed'"));
        assert!(m("mix:0.9*fixed:1ms+fixed:50ms")
            .contains("'fixed:50ms' is not of the form WEIGHT*MODEL"));
        assert!(m("mix:-1*fixed:1ms").contains("weight '-1'"));
        assert!(m("mix:1*mix:1*fixed:1ms").contains("cannot contain a mixture"));
        assert!(m("mix:").contains("WEIGHT*MODEL"));
    }

    #[test]
    fn schedulers() {
        assert_eq!("fifo".parse(), Ok(IoScheduler::Fifo));
        assert_eq!("prio".parse(), Ok(IoScheduler::Prio));
        assert_eq!("deadline".parse(), Ok(IoScheduler::default()));
        let s: IoScheduler = "deadline:read=100ms".parse().unwrap();
        assert_eq!(
            s,
            IoScheduler::Deadline(DeadlineTunables {
                read_expire_ns: 100_000_000,
                ..DeadlineTunables::default()
            })
        );
        let s = "deadline:read=100ms,write=1s";
        assert_eq!(s.parse::<IoScheduler>().unwrap().to_string(), s);
        assert!(message::<IoScheduler>("cfq").contains("unknown I/O scheduler 'cfq'"));
        assert!(message::<IoScheduler>("deadline:fifo_batch=16").contains("'fifo_batch'"));
        assert!(message::<IoScheduler>("deadline:read").contains("read=DURATION"));
    }

    #[test]
    fn stalls() {
        for s in ["every:500ms,for:100ms", "p:0.01,for:50ms", "none"] {
            assert_eq!(s.parse::<StallModel>().unwrap().to_string(), s);
        }
        assert_eq!(
            "every:500ms,for:100ms".parse(),
            Ok(StallModel::scheduled(500_000_000, 100_000_000).unwrap())
        );
        let m = message::<StallModel>;
        assert!(m("every:500ms").contains("every:PERIOD,for:DURATION"));
        assert!(m("every:500ms,len:1ms").contains("'len:1ms'"));
        assert!(m("often:1s,for:1ms").contains("'often:1s'"));
        assert!(m("p:2,for:1ms").contains("stall probability '2'"));
        assert!(m("every:1ms,for:1ms").contains("shorter than its period"));
    }

    #[test]
    fn errors() {
        for s in ["0.01", "range:4096..8192", "none"] {
            assert_eq!(s.parse::<ErrorInjection>().unwrap().to_string(), s);
        }
        assert_eq!(
            "range:1MiB..2MiB".parse(),
            Ok(ErrorInjection::range(1 << 20, 2 << 20).unwrap())
        );
        let m = message::<ErrorInjection>;
        assert!(m("1.5").contains("error rate '1.5'"));
        assert!(m("lots").contains("error rate 'lots'"));
        assert!(m("range:8192..4096").contains("is empty"));
        assert!(m("range:8192").contains("range:OFFSET..END"));
        assert!(m("range:1XB..2MiB").contains("unknown unit 'XB'"));
        let read = crate::storage::IoRequest::read(0, 1, 1, IoPriority::DEFAULT);
        let mut rng = rand::thread_rng();
        assert!("1"
            .parse::<ErrorInjection>()
            .unwrap()
            .fails(&read, &mut rng));
    }
}
