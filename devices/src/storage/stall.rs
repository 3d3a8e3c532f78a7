//! Device stalls, such as an SSD pausing for garbage collection: while stalled the device
//! starts no request. Requests already in service finish on time; a stall only holds
//! back dispatch.

use super::duration::fmt_duration_ns;
use rand::Rng;
use std::fmt;

/// When and for how long the device stops dispatching.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StallModel {
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
enum Kind {
    #[default]
    Never,
    /// At every multiple of `every_ns` (from time 0, not counting 0 itself), for `for_ns`.
    Scheduled { every_ns: u64, for_ns: u64 },
    /// Each dispatch first stalls the device for `for_ns` with probability `p`.
    Random { p: f64, for_ns: u64 },
}

/// Stall parameters that would never let the device serve, or are not a probability.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidStall(pub String);

impl StallModel {
    /// A device that never stalls.
    pub fn never() -> StallModel {
        StallModel::default()
    }

    /// Stalls at every multiple of `every_ns` for `for_ns`; the stall must be shorter than
    /// its period or the device would never serve.
    pub fn scheduled(every_ns: u64, for_ns: u64) -> Result<StallModel, InvalidStall> {
        if for_ns >= every_ns {
            return Err(InvalidStall(format!(
                "a stall for {} every {} never ends: it must be shorter than its period",
                fmt_duration_ns(for_ns),
                fmt_duration_ns(every_ns)
            )));
        }
        Ok(StallModel {
            kind: Kind::Scheduled { every_ns, for_ns },
        })
    }

    /// Stalls for `for_ns` before a dispatch, with probability `p` per request.
    pub fn random(p: f64, for_ns: u64) -> Result<StallModel, InvalidStall> {
        if !(0.0..=1.0).contains(&p) {
            return Err(InvalidStall(format!(
                "stall probability {p} is not between 0 and 1"
            )));
        }
        Ok(StallModel {
            kind: Kind::Random { p, for_ns },
        })
    }

    /// The earliest time at or after `t` outside a scheduled stall.
    pub fn next_serving_ns(&self, t: u64) -> u64 {
        match self.kind {
            Kind::Scheduled { every_ns, for_ns } => {
                let start = t / every_ns * every_ns;
                if start > 0 && t < start + for_ns {
                    start + for_ns
                } else {
                    t
                }
            }
            Kind::Never | Kind::Random { .. } => t,
        }
    }

    /// Decides whether the dispatch about to happen first stalls the device, and for how
    /// long. Draws from `rng` only for random stalls, so other models leave its sequence
    /// alone.
    pub fn roll<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<u64> {
        match self.kind {
            Kind::Random { p, for_ns } => rng.gen_bool(p).then_some(for_ns),
            Kind::Never | Kind::Scheduled { .. } => None,
        }
    }
}

impl fmt::Display for StallModel {
    /// The `--storage-stall` syntax (`none` when the device never stalls).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Never => f.write_str("none"),
            Kind::Scheduled { every_ns, for_ns } => write!(
                f,
                "every:{},for:{}",
                fmt_duration_ns(every_ns),
                fmt_duration_ns(for_ns)
            ),
            Kind::Random { p, for_ns } => write!(f, "p:{p},for:{}", fmt_duration_ns(for_ns)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn scheduled_windows_start_after_time_zero() {
        let s = StallModel::scheduled(500, 100).unwrap();
        assert_eq!(s.next_serving_ns(0), 0);
        assert_eq!(s.next_serving_ns(499), 499);
        assert_eq!(s.next_serving_ns(500), 600);
        assert_eq!(s.next_serving_ns(599), 600);
        assert_eq!(s.next_serving_ns(600), 600);
        assert_eq!(s.next_serving_ns(1050), 1100);
        assert!(StallModel::scheduled(100, 100).is_err());
    }

    #[test]
    fn random_stall_rate() {
        let s = StallModel::random(0.01, 7).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let n = 200_000;
        let hits: Vec<_> = (0..n).filter_map(|_| s.roll(&mut rng)).collect();
        assert!(hits.iter().all(|&d| d == 7));
        let rate = hits.len() as f64 / n as f64;
        assert!((rate - 0.01).abs() < 0.001, "rate {rate}");
        assert!(StallModel::random(1.5, 1).is_err());
    }
}
