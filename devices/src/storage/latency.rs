//! How long the device takes to serve one request: a latency distribution, plus the
//! transfer time an optional bandwidth cap adds.

use super::duration::{fmt_duration_ns, MAX_DELAY_NS};
use crate::cast::f64_to_u64;
use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};
use std::fmt;

/// The standard normal quantile at 0.99: a lognormal's p99 is `median * exp(Z99 * sigma)`.
const Z99: f64 = 2.326_347_874_040_841;

/// A distribution of per-request service latency, in nanoseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyModel {
    shape: Shape,
}

#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Fixed(u64),
    Uniform {
        min_ns: u64,
        max_ns: u64,
    },
    Exponential {
        mean_ns: u64,
    },
    LogNormal {
        median_ns: u64,
        p99_ns: u64,
        sigma: f64,
    },
    Mixture {
        parts: Vec<(f64, LatencyModel)>,
        total_weight: f64,
    },
}

/// A latency model whose parameters make no sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidLatency(pub String);

impl LatencyModel {
    /// Every request takes exactly `ns`.
    pub fn fixed(ns: u64) -> LatencyModel {
        LatencyModel {
            shape: Shape::Fixed(ns),
        }
    }

    /// Uniform over `min_ns..=max_ns`.
    pub fn uniform(min_ns: u64, max_ns: u64) -> Result<LatencyModel, InvalidLatency> {
        if min_ns > max_ns {
            return Err(InvalidLatency(format!(
                "uniform range {}..{} is empty: the lower bound must not exceed the upper",
                fmt_duration_ns(min_ns),
                fmt_duration_ns(max_ns)
            )));
        }
        Ok(LatencyModel {
            shape: Shape::Uniform { min_ns, max_ns },
        })
    }

    /// Exponential with the given mean.
    pub fn exponential(mean_ns: u64) -> LatencyModel {
        LatencyModel {
            shape: Shape::Exponential { mean_ns },
        }
    }

    /// Lognormal given by its median and 99th percentile, the two figures device data
    /// sheets and traces usually quote.
    pub fn lognormal(median_ns: u64, p99_ns: u64) -> Result<LatencyModel, InvalidLatency> {
        if median_ns == 0 || p99_ns < median_ns {
            return Err(InvalidLatency(format!(
                "lognormal needs 0 < median <= p99, got median {} and p99 {}",
                fmt_duration_ns(median_ns),
                fmt_duration_ns(p99_ns)
            )));
        }
        let sigma = (p99_ns as f64 / median_ns as f64).ln() / Z99;
        Ok(LatencyModel {
            shape: Shape::LogNormal {
                median_ns,
                p99_ns,
                sigma,
            },
        })
    }

    /// A weighted mixture: each request draws one component with probability
    /// proportional to its weight. Weights need not sum to 1.
    pub fn mixture(parts: Vec<(f64, LatencyModel)>) -> Result<LatencyModel, InvalidLatency> {
        if parts.is_empty() {
            return Err(InvalidLatency(
                "a mixture needs at least one component".into(),
            ));
        }
        if let Some((w, m)) = parts.iter().find(|(w, _)| !(w.is_finite() && *w > 0.0)) {
            return Err(InvalidLatency(format!(
                "mixture weight {w} (of {m}) must be a positive number"
            )));
        }
        let total_weight = parts.iter().map(|(w, _)| w).sum();
        Ok(LatencyModel {
            shape: Shape::Mixture {
                parts,
                total_weight,
            },
        })
    }

    /// Whether this model is a mixture (the CLI syntax does not nest them).
    pub fn is_mixture(&self) -> bool {
        matches!(self.shape, Shape::Mixture { .. })
    }

    /// Draws one service latency.
    pub fn sample_ns<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        match &self.shape {
            Shape::Fixed(ns) => *ns,
            Shape::Uniform { min_ns, max_ns } => rng.gen_range(*min_ns..=*max_ns),
            Shape::Exponential { mean_ns } => {
                let e: f64 = Exp1.sample(rng);
                f64_to_u64(e * *mean_ns as f64).min(MAX_DELAY_NS)
            }
            Shape::LogNormal {
                median_ns, sigma, ..
            } => {
                let z: f64 = StandardNormal.sample(rng);
                f64_to_u64(*median_ns as f64 * (sigma * z).exp()).min(MAX_DELAY_NS)
            }
            Shape::Mixture {
                parts,
                total_weight,
            } => {
                let mut pick = rng.gen::<f64>() * total_weight;
                // Falling off the end only happens through rounding; the last part is then
                // the right one.
                let last = &parts[parts.len() - 1].1;
                let model = parts
                    .iter()
                    .find(|(w, _)| {
                        pick -= w;
                        pick < 0.0
                    })
                    .map_or(last, |(_, m)| m);
                model.sample_ns(rng)
            }
        }
    }
}

impl fmt::Display for LatencyModel {
    /// The `--storage-latency` syntax, so a parsed model prints back as it was given.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = fmt_duration_ns;
        match &self.shape {
            Shape::Fixed(ns) => write!(f, "fixed:{}", d(*ns)),
            Shape::Uniform { min_ns, max_ns } => {
                write!(f, "uniform:{}..{}", d(*min_ns), d(*max_ns))
            }
            Shape::Exponential { mean_ns } => write!(f, "exp:{}", d(*mean_ns)),
            Shape::LogNormal {
                median_ns, p99_ns, ..
            } => write!(f, "lognormal:{},{}", d(*median_ns), d(*p99_ns)),
            Shape::Mixture { parts, .. } => {
                f.write_str("mix:")?;
                for (i, (w, m)) in parts.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "+" };
                    write!(f, "{sep}{w}*{m}")?;
                }
                Ok(())
            }
        }
    }
}

/// A bandwidth cap: a request also occupies its channel for `len / bandwidth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bandwidth {
    bytes_per_sec: u64,
}

impl Bandwidth {
    /// A cap of `bytes_per_sec`, which must not be zero.
    pub fn new(bytes_per_sec: u64) -> Option<Bandwidth> {
        (bytes_per_sec > 0).then_some(Bandwidth { bytes_per_sec })
    }

    /// The cap in bytes per second.
    pub fn bytes_per_sec(self) -> u64 {
        self.bytes_per_sec
    }

    /// Nanoseconds to move `len` bytes, rounded up so a transfer never takes zero time
    /// unless it is empty.
    pub fn transfer_ns(self, len: u64) -> u64 {
        let ns = (u128::from(len) * 1_000_000_000).div_ceil(u128::from(self.bytes_per_sec));
        u64::try_from(ns).unwrap_or(u64::MAX)
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}B/s", self.bytes_per_sec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cast::u64_to_usize;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    const N: usize = 200_000;

    fn samples(m: &LatencyModel, seed: u64) -> Vec<u64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..N).map(|_| m.sample_ns(&mut rng)).collect()
    }

    fn mean(v: &[u64]) -> f64 {
        v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64
    }

    fn quantile(v: &[u64], q: f64) -> u64 {
        let mut s = v.to_vec();
        s.sort_unstable();
        s[u64_to_usize(f64_to_u64((s.len() as f64 * q).floor())).min(s.len() - 1)]
    }

    fn assert_within(what: &str, got: f64, want: f64, rel: f64) {
        assert!(
            (got - want).abs() <= want * rel,
            "{what}: got {got}, want {want} ± {}%",
            rel * 100.0
        );
    }

    #[test]
    fn fixed_is_exact() {
        assert!(samples(&LatencyModel::fixed(5_000_000), 1)
            .iter()
            .all(|&x| x == 5_000_000));
    }

    #[test]
    fn uniform_bounds_and_mean() {
        let v = samples(&LatencyModel::uniform(1_000_000, 9_000_000).unwrap(), 2);
        assert!(v.iter().all(|&x| (1_000_000..=9_000_000).contains(&x)));
        assert_within("uniform mean", mean(&v), 5_000_000.0, 0.01);
        assert!(*v.iter().min().unwrap() < 1_010_000 && *v.iter().max().unwrap() > 8_990_000);
    }

    #[test]
    fn exponential_mean_and_median() {
        let v = samples(&LatencyModel::exponential(2_000_000), 3);
        assert_within("exp mean", mean(&v), 2_000_000.0, 0.02);
        // The median of an exponential is mean * ln 2; checks the shape, not just the mean.
        assert_within(
            "exp median",
            quantile(&v, 0.5) as f64,
            2e6 * 2f64.ln(),
            0.02,
        );
    }

    #[test]
    fn lognormal_median_and_p99() {
        let v = samples(&LatencyModel::lognormal(2_000_000, 40_000_000).unwrap(), 4);
        assert_within("lognormal median", quantile(&v, 0.5) as f64, 2e6, 0.03);
        assert_within("lognormal p99", quantile(&v, 0.99) as f64, 40e6, 0.05);
    }

    #[test]
    fn mixture_weights() {
        let m = LatencyModel::mixture(vec![
            (0.9, LatencyModel::fixed(1_000_000)),
            (0.1, LatencyModel::fixed(50_000_000)),
        ])
        .unwrap();
        let v = samples(&m, 5);
        let slow = v.iter().filter(|&&x| x == 50_000_000).count();
        let fast = v.iter().filter(|&&x| x == 1_000_000).count();
        assert_eq!(slow + fast, N);
        assert_within("slow share", slow as f64 / N as f64, 0.1, 0.03);
        // Unnormalised weights mean the same thing.
        let m3 = LatencyModel::mixture(vec![
            (3.0, LatencyModel::fixed(1)),
            (1.0, LatencyModel::fixed(2)),
        ])
        .unwrap();
        let v = samples(&m3, 6);
        let twos = v.iter().filter(|&&x| x == 2).count();
        assert_within("quarter share", twos as f64 / N as f64, 0.25, 0.03);
    }

    #[test]
    fn same_seed_same_sequence() {
        let m = LatencyModel::lognormal(1_000, 9_000).unwrap();
        assert_eq!(samples(&m, 42), samples(&m, 42));
        assert_ne!(samples(&m, 42), samples(&m, 43));
    }

    #[test]
    fn invalid_parameters_are_refused() {
        assert!(LatencyModel::uniform(9, 1).is_err());
        assert!(LatencyModel::lognormal(0, 1).is_err());
        assert!(LatencyModel::lognormal(10, 5).is_err());
        assert!(LatencyModel::mixture(vec![]).is_err());
        assert!(LatencyModel::mixture(vec![(-1.0, LatencyModel::fixed(1))]).is_err());
        assert!(LatencyModel::mixture(vec![(f64::NAN, LatencyModel::fixed(1))]).is_err());
    }

    #[test]
    fn bandwidth_transfer_time() {
        let bw = Bandwidth::new(200 * 1024 * 1024).unwrap();
        assert_eq!(bw.transfer_ns(200 * 1024 * 1024), 1_000_000_000);
        assert_eq!(bw.transfer_ns(0), 0);
        assert_eq!(Bandwidth::new(3).unwrap().transfer_ns(1), 333_333_334);
        assert!(Bandwidth::new(0).is_none());
    }
}
