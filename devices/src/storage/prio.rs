//! I/O priorities in Linux's encoding, and the effective priority a task's requests carry.
//!
//! An ioprio value is `class << 13 | data`; the low three bits of the data are the level
//! (0 is the most urgent). Bits 3..13 carry hints in recent kernels, which the device
//! ignores, as schedulers that do not know a hint do.

use crate::task::SchedPolicy;
use std::fmt;

/// Bit position of the class in an ioprio value (`IOPRIO_CLASS_SHIFT`).
pub const IOPRIO_CLASS_SHIFT: u16 = 13;
/// Number of levels within the RT and BE classes (`IOPRIO_NR_LEVELS`).
pub const IOPRIO_NR_LEVELS: u8 = 8;
/// The level a best-effort task of nice 0 gets (`IOPRIO_NORM`, `IOPRIO_BE_NORM`).
pub const IOPRIO_NORM: u8 = 4;

/// An I/O scheduling class, numbered as in `IOPRIO_CLASS_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IoClass {
    /// No class set (`IOPRIO_CLASS_NONE`): derived from the CPU priority when submitted.
    None = 0,
    /// Real time (`IOPRIO_CLASS_RT`): served before everything else.
    RealTime = 1,
    /// Best effort (`IOPRIO_CLASS_BE`): the default class.
    BestEffort = 2,
    /// Idle (`IOPRIO_CLASS_IDLE`): served only when nothing else wants the device.
    Idle = 3,
}

impl IoClass {
    /// The class as `IOPRIO_CLASS_*` numbers it.
    pub fn number(self) -> u16 {
        self as u16
    }

    /// The class numbered `n`, if it names one.
    pub fn from_number(n: u16) -> Option<IoClass> {
        match n {
            0 => Some(IoClass::None),
            1 => Some(IoClass::RealTime),
            2 => Some(IoClass::BestEffort),
            3 => Some(IoClass::Idle),
            _ => None,
        }
    }

    /// Short lowercase name, as statistics and the CLI spell it.
    pub fn name(self) -> &'static str {
        match self {
            IoClass::None => "none",
            IoClass::RealTime => "rt",
            IoClass::BestEffort => "be",
            IoClass::Idle => "idle",
        }
    }
}

/// An I/O priority: a class and, for RT and BE, a level from 0 (most urgent) to 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IoPriority {
    class: IoClass,
    level: u8,
}

/// An ioprio value that names no class or a level out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid I/O priority {0:#06x}")]
pub struct InvalidIoPriority(pub u16);

impl IoPriority {
    /// `IOPRIO_DEFAULT`: class NONE, so the task's CPU priority decides.
    pub const DEFAULT: IoPriority = IoPriority {
        class: IoClass::None,
        level: 0,
    };

    /// A real-time priority at `level` (0..=7).
    pub fn realtime(level: u8) -> Result<IoPriority, InvalidIoPriority> {
        Self::with_level(IoClass::RealTime, level)
    }

    /// A best-effort priority at `level` (0..=7).
    pub fn best_effort(level: u8) -> Result<IoPriority, InvalidIoPriority> {
        Self::with_level(IoClass::BestEffort, level)
    }

    /// The idle priority (the class has no levels).
    pub fn idle() -> IoPriority {
        IoPriority {
            class: IoClass::Idle,
            level: 0,
        }
    }

    fn with_level(class: IoClass, level: u8) -> Result<IoPriority, InvalidIoPriority> {
        if level >= IOPRIO_NR_LEVELS {
            return Err(InvalidIoPriority(
                class.number() << IOPRIO_CLASS_SHIFT | u16::from(level),
            ));
        }
        Ok(IoPriority { class, level })
    }

    /// Decodes an ioprio value as `ioprio_set(2)` takes it.
    pub fn from_raw(raw: u16) -> Result<IoPriority, InvalidIoPriority> {
        let class =
            IoClass::from_number(raw >> IOPRIO_CLASS_SHIFT).ok_or(InvalidIoPriority(raw))?;
        let level = (raw & 0x7) as u8;
        Ok(match class {
            // Neither class has levels; the kernel keeps whatever data was passed but no
            // scheduler looks at it.
            IoClass::None | IoClass::Idle => IoPriority { class, level: 0 },
            IoClass::RealTime | IoClass::BestEffort => IoPriority { class, level },
        })
    }

    /// The ioprio value, `class << 13 | level`.
    pub fn to_raw(self) -> u16 {
        self.class.number() << IOPRIO_CLASS_SHIFT | u16::from(self.level)
    }

    /// The class.
    pub fn class(self) -> IoClass {
        self.class
    }

    /// The level within the class (0 for NONE and IDLE).
    pub fn level(self) -> u8 {
        self.level
    }

    /// The class a scheduler files this request under: NONE reaching the device is
    /// treated as best effort, as the block layer does.
    pub fn sched_class(self) -> IoClass {
        match self.class {
            IoClass::None => IoClass::BestEffort,
            c => c,
        }
    }

    /// Strict urgency order: smaller is served first. RT levels, then BE levels, then
    /// IDLE; an unset priority ranks as BE at the normal level.
    pub fn urgency(self) -> (IoClass, u8) {
        match self.class {
            IoClass::None => (IoClass::BestEffort, IOPRIO_NORM),
            IoClass::Idle => (IoClass::Idle, 0),
            c => (c, self.level),
        }
    }
}

impl Default for IoPriority {
    fn default() -> Self {
        IoPriority::DEFAULT
    }
}

impl fmt::Display for IoPriority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.class {
            IoClass::None | IoClass::Idle => f.write_str(self.class.name()),
            c => write!(f, "{}{}", c.name(), self.level),
        }
    }
}

/// `task_nice_ioclass`: the class a task gets from its CPU scheduling policy.
pub fn task_nice_ioclass(policy: SchedPolicy) -> IoClass {
    match policy {
        SchedPolicy::Idle => IoClass::Idle,
        SchedPolicy::Fifo | SchedPolicy::RoundRobin | SchedPolicy::Deadline => IoClass::RealTime,
        SchedPolicy::Other | SchedPolicy::Batch => IoClass::BestEffort,
    }
}

/// `task_nice_ioprio`: the level a task gets from its nice value (-20..=19 → 0..=7).
pub fn task_nice_ioprio(nice: i32) -> u8 {
    u8::try_from((nice.clamp(-20, 19) + 20) / 5).expect("a level from 0 to 7")
}

/// `get_current_ioprio`: the priority a task's requests carry.
///
/// A class set explicitly with `ioprio_set` wins. Otherwise the class comes from the
/// policy and the level from nice, for real-time tasks too: the kernel derives an RT
/// task's level from its nice value, not from its real-time priority.
pub fn effective_io_priority(set: IoPriority, nice: i32, policy: SchedPolicy) -> IoPriority {
    if set.class != IoClass::None {
        return set;
    }
    match task_nice_ioclass(policy) {
        IoClass::Idle => IoPriority::idle(),
        class => IoPriority {
            class,
            level: task_nice_ioprio(nice),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_encoding_matches_linux() {
        assert_eq!(IoPriority::realtime(0).unwrap().to_raw(), 1 << 13);
        assert_eq!(IoPriority::best_effort(7).unwrap().to_raw(), 2 << 13 | 7);
        assert_eq!(IoPriority::idle().to_raw(), 3 << 13);
        assert_eq!(IoPriority::DEFAULT.to_raw(), 0);
        for raw in [1 << 13 | 3, 2 << 13, 2 << 13 | 7, 3 << 13] {
            assert_eq!(IoPriority::from_raw(raw).unwrap().to_raw(), raw);
        }
        assert_eq!(
            IoPriority::from_raw(4 << 13),
            Err(InvalidIoPriority(4 << 13))
        );
        assert!(IoPriority::best_effort(8).is_err());
    }

    #[test]
    fn derived_from_nice_and_policy() {
        let none = IoPriority::DEFAULT;
        let p = |nice, pol| effective_io_priority(none, nice, pol).to_string();
        assert_eq!(p(0, SchedPolicy::Other), "be4");
        assert_eq!(p(-20, SchedPolicy::Other), "be0");
        assert_eq!(p(19, SchedPolicy::Batch), "be7");
        assert_eq!(p(-5, SchedPolicy::Fifo), "rt3");
        assert_eq!(p(0, SchedPolicy::RoundRobin), "rt4");
        assert_eq!(p(0, SchedPolicy::Deadline), "rt4");
        assert_eq!(p(-20, SchedPolicy::Idle), "idle");
        let set = IoPriority::best_effort(1).unwrap();
        assert_eq!(effective_io_priority(set, 19, SchedPolicy::Idle), set);
    }

    #[test]
    fn policies_numbered_as_linux() {
        let n = |p| SchedPolicy::from_number(p);
        assert_eq!(n(0), Some(SchedPolicy::Other));
        assert_eq!(n(1), Some(SchedPolicy::Fifo));
        assert_eq!(n(2), Some(SchedPolicy::RoundRobin));
        assert_eq!(n(3), Some(SchedPolicy::Batch));
        assert_eq!(n(4), None);
        assert_eq!(n(5), Some(SchedPolicy::Idle));
        assert_eq!(n(6), Some(SchedPolicy::Deadline));
    }

    #[test]
    fn urgency_orders_rt_be_idle() {
        let order = [
            IoPriority::realtime(0).unwrap(),
            IoPriority::realtime(7).unwrap(),
            IoPriority::best_effort(0).unwrap(),
            IoPriority::best_effort(4).unwrap(),
            IoPriority::best_effort(7).unwrap(),
            IoPriority::idle(),
        ];
        for w in order.windows(2) {
            assert!(w[0].urgency() < w[1].urgency(), "{} !< {}", w[0], w[1]);
        }
        assert_eq!(
            IoPriority::DEFAULT.urgency(),
            IoPriority::best_effort(IOPRIO_NORM).unwrap().urgency()
        );
    }
}
