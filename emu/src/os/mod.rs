//! The guest process's operating-system state: its fd table, paths and root, the host
//! files behind the page cache and their coherence, the files synthesized for the guest, futex queues, signal actions,
//! thread priorities, clocks, the timed injections of `--inject` and the process itself. Shared by the threads; no system
//! call runs here.

pub(crate) mod cached_files;
pub(crate) mod child_signal;
pub(crate) mod fd_registry;
pub mod fdtable;
pub mod files;
pub(crate) mod futex_table;
pub(crate) mod guest_clocks;
pub(crate) mod guest_memory;
pub(crate) mod host_cpus;
pub(crate) mod host_file;
pub(crate) mod host_poll;
pub mod injections;
pub(crate) mod injector;
pub(crate) mod machine;
pub mod path;
pub(crate) mod pending;
pub(crate) mod posix_timers;
pub(crate) mod priorities;
pub(crate) mod proc_maps;
pub(crate) mod proc_table;
pub(crate) mod process;
pub(crate) mod procfs;
pub(crate) mod random;
pub(crate) mod signal_fds;
pub(crate) mod signal_send;
pub(crate) mod signal_state;
pub(crate) mod socket_addr;
pub(crate) mod thread_names;
pub mod thread_prio;
pub(crate) mod thread_signals;
pub(crate) mod timer_expiry;
pub(crate) mod timer_fds;
pub(crate) mod timers;
pub(crate) mod wait;
