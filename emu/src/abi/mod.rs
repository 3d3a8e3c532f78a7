//! The Linux riscv64 ABI as data: system-call and signal numbers, `siginfo_t`, the
//! signal frame and `stack_t`, `struct stat`, the fixed address-space layout and what a
//! system call asks of its hart. Nothing here keeps state.

pub mod altstack;
pub mod layout;
pub mod nr;
pub mod outcome;
pub mod sigframe;
pub mod siginfo;
pub mod signo;
pub mod stat;
