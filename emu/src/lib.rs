//! faultline's emulator: the RV64GC core, harts, the ELF loader, the Linux system-call
//! layer and the command line.

pub mod cli;
pub mod cpu;
pub mod hart;
pub mod interrupt;
pub mod loader;
pub mod process;
pub mod run;
pub mod signals;
pub mod syscall;
