//! The CPU share of a normal task: Linux's nice-to-weight table
//! (`sched_prio_to_weight`), where each nice step is about a 10% difference in CPU time
//! against a task one step away, nice 0 weighs 1024 and nice 19 weighs 15.

use crate::task::{SchedParams, SchedPolicy};

/// Weights for nice -20..=19.
const NICE_TO_WEIGHT: [u64; 40] = [
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904,
    3906, 3121, 2501, 1991, 1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87,
    70, 56, 45, 36, 29, 23, 18, 15,
];

/// The weight of `SCHED_IDLE` tasks (`WEIGHT_IDLEPRIO`).
const IDLE_WEIGHT: u64 = 3;

/// The weight of nice 0, the unit of virtual runtime.
pub(super) const NICE_0_WEIGHT: u64 = 1024;

/// The load weight of a normal task with `params`.
pub(super) fn weight(params: &SchedParams) -> u64 {
    if params.policy == SchedPolicy::Idle {
        return IDLE_WEIGHT;
    }
    let index = usize::try_from(params.nice.clamp(-20, 19) + 20).unwrap_or(20);
    NICE_TO_WEIGHT[index]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_0_is_1024_and_nice_19_is_15() {
        let at = |nice| {
            weight(&SchedParams {
                nice,
                ..SchedParams::default()
            })
        };
        assert_eq!(at(0), NICE_0_WEIGHT);
        assert_eq!(at(19), 15);
        assert_eq!(at(-20), 88761);
        assert_eq!(at(40), 15, "clamped");
    }
}
