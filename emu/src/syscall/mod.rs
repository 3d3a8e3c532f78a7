//! The Linux system-call layer (riscv64 numbers).

pub mod nr;
