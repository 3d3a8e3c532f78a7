//! faultline's emulator: the RV64GC core, harts, the ELF loader, the Linux system-call
//! layer and the command line.

pub mod cpu;
pub mod syscall;
