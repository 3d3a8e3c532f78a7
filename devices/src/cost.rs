//! The cost model of the virtual clock: how much virtual time each kind of work takes.
//!
//! Under the virtual clock nothing takes time unless it is charged: a hart charges its
//! instructions, the memory manager its faults, page zeroing and copying, shootdowns and
//! lock operations, the storage layer its request submissions. The defaults describe a
//! core of about 2 GHz; every entry can be overridden with `--cost NAME=VALUE`. Costs are
//! kept in picoseconds, so that one instruction can cost half a nanosecond exactly.

use std::fmt;

/// One entry of the cost model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cost {
    /// One retired instruction.
    Insn,
    /// A load or store that misses the hart's TLB and walks the page table.
    TlbMiss,
    /// A system call's entry and exit.
    Syscall,
    /// A page fault's entry and exit (the trap, the VMA lookup, the return).
    Fault,
    /// Zeroing one 4 KiB page.
    PageZero,
    /// Copying one 4 KiB page (copy-on-write, a page-cache read into a private page).
    PageCopy,
    /// A TLB shootdown, per target hart (the IPI and its acknowledgement).
    Shootdown,
    /// One uncontended lock operation (acquire or release).
    Lock,
    /// Switching a CPU from one thread to another.
    ContextSwitch,
    /// Building and submitting one storage request.
    IoSubmit,
}

impl Cost {
    /// Every entry, in the order `--help` and the documentation list them.
    pub const ALL: [Cost; 10] = [
        Cost::Insn,
        Cost::TlbMiss,
        Cost::Syscall,
        Cost::Fault,
        Cost::PageZero,
        Cost::PageCopy,
        Cost::Shootdown,
        Cost::Lock,
        Cost::ContextSwitch,
        Cost::IoSubmit,
    ];

    /// The entry's name in `--cost NAME=VALUE`.
    pub fn name(self) -> &'static str {
        match self {
            Cost::Insn => "insn",
            Cost::TlbMiss => "tlb_miss",
            Cost::Syscall => "syscall",
            Cost::Fault => "fault",
            Cost::PageZero => "page_zero",
            Cost::PageCopy => "page_copy",
            Cost::Shootdown => "shootdown",
            Cost::Lock => "lock",
            Cost::ContextSwitch => "context_switch",
            Cost::IoSubmit => "io_submit",
        }
    }

    /// The default, in picoseconds, calibrated to a ~2 GHz core.
    pub fn default_ps(self) -> u64 {
        match self {
            // One instruction per cycle at 2 GHz.
            Cost::Insn => 500,
            // A page-table walk that hits the caches: ~40 cycles.
            Cost::TlbMiss => 20_000,
            // ecall, register save, dispatch, sret: ~200 cycles.
            Cost::Syscall => 100_000,
            // Trap, mm lookup and return, without the page's own work: ~500 cycles.
            Cost::Fault => 250_000,
            // 4 KiB at ~16 GB/s.
            Cost::PageZero => 250_000,
            // 4 KiB read and written at ~8 GB/s.
            Cost::PageCopy => 500_000,
            // An IPI's round trip to one hart.
            Cost::Shootdown => 1_000_000,
            // An uncontended atomic read-modify-write on a cache line the CPU owns.
            Cost::Lock => 20_000,
            // Save, pick, restore, and the cache misses that follow.
            Cost::ContextSwitch => 1_500_000,
            // Block-layer request setup and the doorbell write.
            Cost::IoSubmit => 2_000_000,
        }
    }

    /// What the entry charges, for `--help` and error messages.
    pub fn meaning(self) -> &'static str {
        match self {
            Cost::Insn => "per instruction",
            Cost::TlbMiss => "per load/store that misses the TLB",
            Cost::Syscall => "per system call (entry and exit)",
            Cost::Fault => "per page fault (entry and exit)",
            Cost::PageZero => "per page zeroed",
            Cost::PageCopy => "per page copied",
            Cost::Shootdown => "per TLB shootdown target hart",
            Cost::Lock => "per uncontended lock operation",
            Cost::ContextSwitch => "per context switch",
            Cost::IoSubmit => "per storage request submitted",
        }
    }

    /// The entry called `name`.
    pub fn from_name(name: &str) -> Option<Cost> {
        Cost::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// A bad `--cost` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostError(pub String);

impl fmt::Display for CostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CostError {}

/// Units a cost may be written in, with their length in picoseconds.
const COST_UNITS: [(&str, u64); 5] = [
    ("ps", 1),
    ("ns", 1_000),
    ("us", 1_000_000),
    ("µs", 1_000_000),
    ("ms", 1_000_000_000),
];

/// The cost of each entry, in picoseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostModel {
    ps: [u64; Cost::ALL.len()],
}

impl Default for CostModel {
    fn default() -> Self {
        CostModel {
            ps: Cost::ALL.map(Cost::default_ps),
        }
    }
}

impl CostModel {
    /// The cost of `cost`, in picoseconds.
    #[inline]
    pub fn ps(&self, cost: Cost) -> u64 {
        self.ps[cost as usize]
    }

    /// Sets `cost` to `ps` picoseconds.
    pub fn set(&mut self, cost: Cost, ps: u64) {
        self.ps[cost as usize] = ps;
    }

    /// Applies one `NAME=VALUE` override, VALUE a duration such as `0.5ns`, `120ns`,
    /// `2us` (units ps, ns, us, ms).
    pub fn apply(&mut self, arg: &str) -> Result<(), CostError> {
        let (cost, ps) = parse_override(arg)?;
        self.set(cost, ps);
        Ok(())
    }
}

impl fmt::Display for CostModel {
    /// One `name=value` per line, in the documented order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for cost in Cost::ALL {
            writeln!(f, "{}={}", cost.name(), fmt_ps(self.ps(cost)))?;
        }
        Ok(())
    }
}

/// Formats picoseconds as nanoseconds, with a fraction only where needed (`0.5ns`).
pub fn fmt_ps(ps: u64) -> String {
    if ps.is_multiple_of(1000) {
        format!("{}ns", ps / 1000)
    } else {
        let frac = format!("{:03}", ps % 1000);
        format!("{}.{}ns", ps / 1000, frac.trim_end_matches('0'))
    }
}

/// The names of every entry, for error messages.
fn valid_names() -> String {
    Cost::ALL.map(Cost::name).join(", ")
}

/// Parses `NAME=VALUE` into the entry and its cost in picoseconds.
fn parse_override(arg: &str) -> Result<(Cost, u64), CostError> {
    let Some((name, value)) = arg.split_once('=') else {
        return Err(CostError(format!(
            "--cost '{arg}': expected NAME=VALUE, NAME one of {}",
            valid_names()
        )));
    };
    let name = name.trim();
    let cost = Cost::from_name(name).ok_or_else(|| {
        CostError(format!(
            "--cost: unknown cost '{name}' (valid: {})",
            valid_names()
        ))
    })?;
    let value = value.trim();
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let Some(&(_, scale)) = COST_UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(CostError(format!(
            "--cost {name}={value}: expected a duration with a unit: ps, ns, us or ms"
        )));
    };
    let ps = parse_decimal_scaled(number, scale)
        .ok_or_else(|| CostError(format!("--cost {name}={value}: '{number}' is not a number")))?;
    Ok((cost, ps))
}

/// `number * scale` for a plain decimal `number`, rounded to the nearest unit; `None` if
/// it is not one or overflows.
fn parse_decimal_scaled(number: &str, scale: u64) -> Option<u64> {
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty() || frac.len() > 12 {
        return None;
    }
    let parse = |d: &str| -> Option<u128> {
        if d.is_empty() {
            Some(0)
        } else if d.bytes().all(|b| b.is_ascii_digit()) {
            d.parse().ok()
        } else {
            None
        }
    };
    let denom = 10u128.pow(u32::try_from(frac.len()).ok()?);
    let total = parse(int)? * denom + parse(frac)?;
    let scaled = (total * u128::from(scale) + denom / 2) / denom;
    u64::try_from(scaled).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_defaults_are_positive() {
        for cost in Cost::ALL {
            assert_eq!(Cost::from_name(cost.name()), Some(cost));
            assert!(cost.default_ps() > 0);
        }
        assert_eq!(CostModel::default().ps(Cost::Insn), 500);
    }

    #[test]
    fn overrides_parse_with_units() {
        let mut m = CostModel::default();
        m.apply("insn=1ns").unwrap();
        m.apply("fault=0.25us").unwrap();
        m.apply("lock=750ps").unwrap();
        m.apply("page_zero=1.5ns").unwrap();
        assert_eq!(m.ps(Cost::Insn), 1000);
        assert_eq!(m.ps(Cost::Fault), 250_000);
        assert_eq!(m.ps(Cost::Lock), 750);
        assert_eq!(m.ps(Cost::PageZero), 1500);
    }

    #[test]
    fn bad_overrides_name_the_valid_ones() {
        let mut m = CostModel::default();
        let e = m.apply("bogus=1ns").unwrap_err().0;
        assert!(
            e.contains("unknown cost 'bogus'") && e.contains("tlb_miss"),
            "{e}"
        );
        assert!(m.apply("insn").unwrap_err().0.contains("NAME=VALUE"));
        assert!(m.apply("insn=5").unwrap_err().0.contains("unit"));
        assert!(m
            .apply("insn=1.2.3ns")
            .unwrap_err()
            .0
            .contains("not a number"));
        assert!(m.apply("insn=.ns").is_err());
    }

    #[test]
    fn model_prints_every_entry() {
        let text = CostModel::default().to_string();
        assert!(text.starts_with("insn=0.5ns\n"), "{text}");
        assert_eq!(text.lines().count(), Cost::ALL.len());
        assert_eq!(fmt_ps(1_500), "1.5ns");
        assert_eq!(fmt_ps(20_000), "20ns");
        assert_eq!(fmt_ps(1), "0.001ns");
    }
}
