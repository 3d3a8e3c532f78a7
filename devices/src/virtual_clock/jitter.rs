//! The schedule's seeded perturbation. Without a seed (a run's `--seed 0`) the schedule
//! is the fixed one: ties go by insertion order, slices and the quantum have their
//! nominal lengths. With one, ties go by a key drawn when an entry is queued and every
//! slice and quantum is drawn around its length, so that running a workload under
//! several seeds shows interleavings the fixed order never takes; the draws come from
//! one stream in the order the scheduler makes them, so a seed repeats byte for byte.

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How far a drawn length may be from its nominal one: a quarter either way.
const BAND_DIVISOR: u64 = 4;

/// Where the scheduler's tie keys and lengths come from.
#[derive(Debug)]
pub(super) struct Jitter {
    /// The seeded stream; `None`: the fixed schedule.
    rng: Option<ChaCha8Rng>,
    /// The last insertion sequence handed out (the tie key of the fixed schedule).
    seq: u64,
}

impl Jitter {
    /// The perturbation of the scheduler stream `seed`; `None`: none.
    pub(super) fn new(seed: Option<u64>) -> Jitter {
        Jitter {
            rng: seed.map(ChaCha8Rng::seed_from_u64),
            seq: 0,
        }
    }

    /// The tie key of an entry queued now: among entries with equal keys otherwise, the
    /// smaller goes first. Fixed: the insertion sequence (first queued, first served);
    /// seeded: a draw.
    pub(super) fn tie(&mut self) -> u64 {
        match &mut self.rng {
            Some(rng) => rng.next_u64(),
            None => {
                self.seq += 1;
                self.seq
            }
        }
    }

    /// The length of one slice or quantum of nominal length `nominal`: itself when fixed
    /// or unbounded (`u64::MAX`, a FIFO task's slice), else drawn uniformly within a
    /// quarter of it either way.
    pub(super) fn length(&mut self, nominal: u64) -> u64 {
        match &mut self.rng {
            Some(rng) if nominal != u64::MAX => {
                let band = nominal / BAND_DIVISOR;
                rng.gen_range(nominal - band..=nominal.saturating_add(band))
            }
            _ => nominal,
        }
    }

    /// Which of `n` tied candidates, listed in the fixed schedule's order, to take: the
    /// first when fixed, a draw when seeded (no draw for a single one).
    pub(super) fn choose(&mut self, n: usize) -> usize {
        match &mut self.rng {
            Some(rng) if n > 1 => rng.gen_range(0..n),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_lengths_stay_and_drawn_ones_keep_to_a_quarter() {
        let mut fixed = Jitter::new(None);
        assert_eq!(fixed.length(3_000), 3_000);
        assert_eq!((fixed.tie(), fixed.tie()), (1, 2));
        assert_eq!(fixed.choose(5), 0);
        let mut drawn = Jitter::new(Some(1));
        assert_eq!(
            drawn.length(u64::MAX),
            u64::MAX,
            "an unbounded slice stays so"
        );
        let lengths: Vec<u64> = (0..64).map(|_| drawn.length(4_000)).collect();
        assert!(lengths.iter().all(|l| (3_000..=5_000).contains(l)));
        assert!(lengths.iter().any(|&l| l != lengths[0]));
        assert!((0..64).all(|_| drawn.choose(3) < 3));
    }
}
