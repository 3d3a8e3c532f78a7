//! The hart's budget under a clock that schedules harts: where a run must stop so that
//! the hart loop can charge its instructions and let other harts run, and what the
//! counter CSRs need to read time that includes instructions not yet charged.

/// Instruction-count limits and charging state the hart loop keeps on the core. Under a
/// clock that does not schedule, every field stays as in [`Pacing::UNLIMITED`], so the
/// run loop's only extra work is one compare per block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pacing {
    /// The run returns [`super::Exit::Quantum`] at the first block boundary where
    /// `instret` has reached this.
    pub stop_at: u64,
    /// The last position (instructions retired before it) at which an operation other
    /// harts can observe may run: an AMO, LR or SC, or a load or store that misses the
    /// TLB. One beyond it stops the run before it with [`super::Exit::Quantum`]. A
    /// load or store that misses the TLB also closes a limited window at itself, as the
    /// memory manager may charge the clock for it.
    pub exact_until: u64,
    /// The instructions already charged to the clock.
    pub charged_instret: u64,
    /// Picoseconds each instruction takes under the clock (0 where time is the host's).
    pub insn_ps: u64,
}

impl Pacing {
    /// No limits, nothing to charge: the host clock's pacing.
    pub const UNLIMITED: Pacing = Pacing {
        stop_at: u64::MAX,
        exact_until: u64::MAX,
        charged_instret: 0,
        insn_ps: 0,
    };

    /// The time, in the clock's nanoseconds, that the instructions retired but not yet
    /// charged take, with `instret` retired.
    pub fn uncharged_ns(&self, instret: u64) -> u64 {
        instret
            .saturating_sub(self.charged_instret)
            .saturating_mul(self.insn_ps)
            / 1000
    }
}
