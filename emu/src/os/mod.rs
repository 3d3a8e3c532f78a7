//! The guest process's operating-system state: its fd table, paths and root, the host
//! files behind the page cache and their coherence, futex queues, signal actions,
//! thread priorities, clocks and the process itself. Shared by the threads; no system
//! call runs here.

pub mod cached_files;
pub mod fdtable;
pub mod files;
pub mod futex_table;
pub mod guest_clocks;
pub mod guest_memory;
pub mod host_file;
pub mod path;
pub mod priorities;
pub mod process;
pub mod signal_state;
