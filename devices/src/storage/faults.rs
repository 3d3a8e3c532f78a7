//! Error injection: which reads the device fails with EIO.

use super::request::{IoKind, IoRequest};
use rand::Rng;
use std::fmt;

/// Which reads fail. Writes always succeed: the point is to exercise the fault path's
/// handling of a failed page read (SIGBUS), not write-back errors.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ErrorInjection {
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
enum Kind {
    #[default]
    Never,
    Fraction(f64),
    Range {
        start: u64,
        end: u64,
    },
}

/// An error-injection setting that is not a probability or an empty range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidErrorInjection(pub String);

impl ErrorInjection {
    /// No read fails.
    pub fn never() -> ErrorInjection {
        ErrorInjection::default()
    }

    /// Each read fails independently with probability `rate`.
    pub fn fraction(rate: f64) -> Result<ErrorInjection, InvalidErrorInjection> {
        if !(0.0..=1.0).contains(&rate) {
            return Err(InvalidErrorInjection(format!(
                "error rate {rate} is not between 0 and 1"
            )));
        }
        Ok(ErrorInjection {
            kind: Kind::Fraction(rate),
        })
    }

    /// Every read touching a byte in `start..end` fails.
    pub fn range(start: u64, end: u64) -> Result<ErrorInjection, InvalidErrorInjection> {
        if start >= end {
            return Err(InvalidErrorInjection(format!(
                "error range {start}..{end} is empty"
            )));
        }
        Ok(ErrorInjection {
            kind: Kind::Range { start, end },
        })
    }

    /// Whether `req` fails. Draws from `rng` for every read under a fractional setting,
    /// whatever the outcome, so the sequence depends only on the number of reads.
    pub fn fails<R: Rng + ?Sized>(&self, req: &IoRequest, rng: &mut R) -> bool {
        if req.kind != IoKind::Read {
            return false;
        }
        match self.kind {
            Kind::Never => false,
            Kind::Fraction(rate) => rng.gen_bool(rate),
            Kind::Range { start, end } => {
                // An empty read still names a byte: the one at its offset.
                let req_end = req.offset.saturating_add(req.len.max(1));
                req.offset < end && req_end > start
            }
        }
    }
}

impl fmt::Display for ErrorInjection {
    /// The `--storage-errors` syntax (`none` when nothing fails).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Never => f.write_str("none"),
            Kind::Fraction(rate) => write!(f, "{rate}"),
            Kind::Range { start, end } => write!(f, "range:{start}..{end}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::IoPriority;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn read(offset: u64, len: u64) -> IoRequest {
        IoRequest::read(offset, len, 1, IoPriority::DEFAULT)
    }

    #[test]
    fn fraction_of_reads_fail() {
        let e = ErrorInjection::fraction(0.05).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let n = 100_000;
        let failed = (0..n).filter(|_| e.fails(&read(0, 4096), &mut rng)).count();
        let rate = failed as f64 / n as f64;
        assert!((rate - 0.05).abs() < 0.003, "rate {rate}");
        let w = IoRequest::write(0, 4096, 1, IoPriority::DEFAULT);
        assert!(!ErrorInjection::fraction(1.0).unwrap().fails(&w, &mut rng));
    }

    #[test]
    fn range_is_exact() {
        let e = ErrorInjection::range(8192, 12288).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut fails = |o, l| e.fails(&read(o, l), &mut rng);
        assert!(!fails(4096, 4096));
        assert!(fails(4097, 4096));
        assert!(fails(8192, 4096));
        assert!(fails(12287, 1));
        assert!(!fails(12288, 4096));
        assert!(fails(0, 1 << 20));
        assert!(fails(8192, 0));
        assert!(ErrorInjection::range(5, 5).is_err());
        assert!(ErrorInjection::fraction(-0.1).is_err());
    }
}
