//! A run's random streams: one per purpose, all drawn from the run's seed when it has
//! one (`--seed`, or 0 under `--clock virtual`), so that a seeded run repeats byte for
//! byte; from the host's randomness when it has none.

use parking_lot::Mutex;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a stream is for: each purpose draws from its own stream, so that one drawing
/// more (a guest calling getrandom more often) never shifts another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// The storage device model's latency, stall and error draws.
    Device,
    /// The 16 bytes of the auxiliary vector's `AT_RANDOM`.
    AtRandom,
    /// `getrandom(2)`.
    Getrandom,
    /// The virtual clock's perturbed schedule: slice lengths, quanta, tie order.
    Schedule,
}

impl Purpose {
    /// The stream number, fixed so that a seed means the same bytes release to release.
    fn stream(self) -> u64 {
        match self {
            Purpose::Device => 1,
            Purpose::AtRandom => 2,
            Purpose::Getrandom => 3,
            Purpose::Schedule => 4,
        }
    }
}

/// The stream of `seed` for `purpose`.
pub(crate) fn stream(seed: u64, purpose: Purpose) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(purpose.stream());
    rng
}

/// Where one purpose's random bytes come from: its seeded stream, or the host.
#[derive(Debug)]
pub(crate) struct RandomSource(Option<Mutex<ChaCha8Rng>>);

impl RandomSource {
    /// The source of `purpose`: seeded from `seed` when there is one, the host's
    /// otherwise.
    pub(crate) fn new(seed: Option<u64>, purpose: Purpose) -> Self {
        RandomSource(seed.map(|s| Mutex::new(stream(s, purpose))))
    }

    /// Fills `buf` with the source's next bytes.
    pub(crate) fn fill(&self, buf: &mut [u8]) {
        match &self.0 {
            Some(rng) => rng.lock().fill_bytes(buf),
            None => rand::thread_rng().fill_bytes(buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_repeats_and_purposes_differ() {
        let draw = |seed, purpose| {
            let mut b = [0u8; 16];
            RandomSource::new(Some(seed), purpose).fill(&mut b);
            b
        };
        assert_eq!(draw(7, Purpose::Getrandom), draw(7, Purpose::Getrandom));
        assert_ne!(draw(7, Purpose::Getrandom), draw(8, Purpose::Getrandom));
        assert_ne!(draw(7, Purpose::Getrandom), draw(7, Purpose::AtRandom));
    }
}
