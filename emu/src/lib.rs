//! faultline's emulator: the RV64GC core, the Linux ABI and process state, the
//! system-call layer, harts, the ELF loader and the command line.
//!
//! # Layers
//!
//! From the bottom up; a module imports only modules of its own layer or below (the same
//! list is in `emu/LAYERS`, which the layering check reads):
//!
//! 1. **cpu** (`cpu/`): the RV64GC core, generic over what it needs from its hart
//!    ([`cpu::HartEnv`]); it knows nothing of system calls.
//! 2. **abi** (`abi/`): the Linux riscv64 ABI as data: system-call and signal numbers,
//!    `siginfo_t`, the signal frame, `stack_t`, `struct stat`, the stack and trampoline
//!    addresses, and `abi::outcome::Outcome`, what a system call asks of its hart.
//! 3. **os** (`os/`): the process's state: fd table, paths and root, host files and
//!    their coherence with the page cache, futex queues, signal actions, priorities,
//!    clocks and the `os::process::Process` itself.
//! 4. **thread** (`thread.rs`): `thread::Thread`, one guest thread's state.
//! 5. **calls** (`syscall/`, `signal_delivery.rs`): the system-call handlers and signal
//!    delivery, taking `&mut Thread`. A handler that starts a thread gets the run loop
//!    from the thread (`thread::HartEntry`), never by name.
//! 6. **hart** (`hart_loop.rs`, `loader/`): the hart run loop and the ELF loader.
//! 7. **report** (`report/`): `faultline report`, reading a trace back into latency
//!    tables and wait chains; it needs only `devices::trace`.
//! 8. **scenario** (`scenario/`): scenario files and `faultline scenario`, `compare` and
//!    `sweep`, which run each run as a `faultline run` child process and read back its
//!    statistics and (through the report layer) its trace.
//! 9. **cli** (`cli.rs`, `run.rs`, `interrupt.rs`, `main.rs`): the command line and the
//!    composition root that builds a run.

pub(crate) mod abi;
pub mod cli;
pub mod cpu;
pub(crate) mod hart_loop;
pub(crate) mod interrupt;
pub mod loader;
pub mod os;
pub mod report;
pub mod run;
pub mod scenario;
pub(crate) mod signal_delivery;
pub(crate) mod syscall;
pub(crate) mod thread;
