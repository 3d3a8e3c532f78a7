//! The Linux system-call layer (riscv64 numbers).

pub mod fdtable;
pub mod fs;
pub mod guest;
pub mod nr;
pub mod path;
pub mod stat;
