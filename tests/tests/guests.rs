//! Every guest in the manifest runs under faultline with its expected output and status,
//! and agrees with qemu-riscv64 where qemu is installed.

use tests::{check_guest, manifest};

/// Declares one test per manifest guest, and the list `all_cases_covered` checks.
macro_rules! guest_tests {
    ($($test:ident => $name:literal),* $(,)?) => {
        const COVERED: &[&str] = &[$($name),*];
        $(
            #[test]
            fn $test() {
                check_guest($name);
            }
        )*
    };
}

guest_tests! {
    hello => "hello",
    exitcode => "exitcode",
    abort => "abort",
    segv => "segv",
    threads => "threads",
    mm => "mm",
    fileio => "fileio",
    compute => "compute",
    intmix => "intmix",
    page_fault1 => "page_fault1",
    float => "float",
    stress_atomics => "stress_atomics",
    stress_futex => "stress_futex",
    page_fault2 => "page_fault2",
    page_fault3 => "page_fault3",
    thrash => "thrash",
    swapin => "swapin",
    integrity => "integrity",
    isa_rv64i => "isa/rv64i",
    isa_rv64m => "isa/rv64m",
    isa_rv64a => "isa/rv64a",
    isa_rv64f => "isa/rv64f",
    isa_rv64d => "isa/rv64d",
    isa_rv64c => "isa/rv64c",
    isa_zicsr => "isa/zicsr",
    isa_fence => "isa/fence",
    isa_trap => "isa/trap",
    vma_locks => "vma_locks",
    hotcold => "hotcold",
    shmswap => "shmswap",
    signals => "signals",
    timers => "timers",
    events => "events",
    rusage => "rusage",
    sockets => "sockets",
    netsock => "netsock",
    procfs => "procfs",
    sched_calls => "sched_calls",
    procs => "procs",
    fork => "fork",
}

#[test]
fn all_cases_covered() {
    for c in manifest() {
        assert!(
            COVERED.contains(&c.name.as_str()),
            "manifest case {} has no test",
            c.name
        );
    }
}
