//! The Linux riscv64 ABI as data: system-call and signal numbers, `siginfo_t`, the
//! signal frame and `stack_t`, `struct stat`, the fixed address-space layout and what a
//! system call asks of its hart. Nothing here keeps state.

pub(crate) mod altstack;
pub(crate) mod layout;
pub(crate) mod nr;
pub(crate) mod outcome;
pub(crate) mod restart_codes;
pub(crate) mod sigframe;
pub(crate) mod siginfo;
pub(crate) mod signalfd_siginfo;
pub(crate) mod signo;
pub(crate) mod stat;
