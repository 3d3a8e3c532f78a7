//! faultline's memory manager, living at the hypervisor level: the host frame pool, the
//! shared page table, per-hart software TLBs, the VMA tree, `mmap_lock` (an rw-semaphore
//! with explicit wait queues), per-VMA locks, the fault state machine and its policies,
//! demand-zero faults and the semantics of the mm system calls.
//!
//! The emulator talks to it through two handles:
//! - [`AddressSpace`] (one per guest process, shared by all its harts): the mm system calls
//!   and the byte copies system calls make to and from guest memory;
//! - [`HartMem`] (one per hart, owned by the hart's host thread): the fast load, store,
//!   fetch and atomic paths through the hart's TLB.
//!
//! Locking, outermost first: `mmap_lock` (`rwsem`), then the per-VMA locks
//! (`vma_lock`: a fault read-locks its VMA without `mmap_lock` when it can, an mm call
//! write-locks the VMAs it changes while it holds `mmap_lock` for write), then the short
//! internal locks (the frame pool's free list, a shared object's page map, the hart
//! registry). How faults take these locks is the [`FaultPolicy`] (`fault_state`).
//! Page-table entries are atomics: walked without locks, installed by faults under either
//! lock, cleared under `mmap_lock` for write or — by MADV_DONTNEED and MADV_FREE — under a
//! VMA's read lock. A frame is freed only after every TLB that could reach it has been
//! shot down (the `shootdown` module); copies made by system calls pin the frames they
//! use.
//!
//! What the emulator owes the shootdown protocol, per hart: [`HartMem::enter_guest`]
//! before running guest code; [`HartMem::leave_guest`] before a system call or any
//! blocking wait, and `enter_guest` again after it; at block boundaries, when
//! [`HartMem::interrupt_pending`] is true, [`HartMem::service_interrupts`]. A hart that
//! keeps running guest code without reaching a block boundary holds up every munmap.
//!
//! # Layers
//!
//! The layers, bottom up (also in `mmu/LAYERS`, which the layer check reads). A module
//! imports from its own layer or the ones below, never from above; what must reach up
//! (a hart's kill flag, the wait for a folio) is handed down as a value or a closure.
//!
//! - types: `types` (page size, mmap/madvise constants, `Access`, `MemFault`,
//!   `FaultError`), `errno`, `policy` (how faults take their locks), `rwsem::queue` (the
//!   rw-semaphore's queue rules, plain data);
//! - stats: `events`, `stats` (counters and event records);
//! - sync: `hart_signal`, `caller` (`HartShared`, `Caller`), `current`, `rwsem`,
//!   `shootdown`;
//! - phys: `frames`, `pagetable`, `tlb`, `folio`;
//! - objects: `lru`, `file_readahead`, `dirty`, `pagecache`, `swapfile`, `swap`,
//!   `shmem` (the page cache with its dirty accounting, swap and its cache, shared
//!   anonymous objects);
//! - vmas: `vma_lock`, `vma`, `vma_index`;
//! - mm: `mm_core` (`MmCore`, the state the layers above share), `mmap_lock` (its lock
//!   calls and write sessions), `invalidate`;
//! - services: `rmap`, `writeback`, `reclaim`, `shmem_swap`, `swapout`;
//! - fault: `fault_state` (the state machine and its wait point), `swapin`, `file_fault`,
//!   `fault`;
//! - calls: `populate`, `uaccess`, `mman`, `mlock`, `madvise`, `filewrite`;
//! - façade: `space` (`AddressSpace`), `hart_mem` (`HartMem`).

mod caller;
mod config;
mod cow;
mod current;
mod dirty;
mod errno;
pub mod events;
pub mod fault;
mod fault_state;
mod file_fault;
mod file_readahead;
mod filewrite;
mod folio;
mod fork;
mod frames;
mod hart_mem;
mod hart_signal;
mod invalidate;
mod lru;
mod machine;
pub mod madvise;
mod mlock;
mod mm_core;
mod mman;
mod mmap_lock;
pub mod pagecache;
mod pagetable;
mod policy;
mod populate;
mod reclaim;
mod rmap;
mod rwsem;
mod shmem;
mod shmem_swap;
mod shootdown;
mod space;
pub mod stats;
mod swap;
mod swapfile;
mod swapin;
mod swapout;
mod tlb;
mod types;
mod uaccess;
pub mod vma;
mod vma_index;
mod vma_lock;
mod writeback;

pub use config::MmConfig;
pub use config::DEFAULT_MAX_MAP_COUNT;
pub use errno::Errno;
pub use filewrite::{WritePos, WriteSource};
pub use hart_mem::HartMem;
pub use hart_signal::HartSignal;
pub use machine::MachineMemory;
pub use policy::{
    FaultBacking, FaultLock, FaultPolicy, ForkLock, IoWait, Knobs, PageWait, PolicyError,
    WaitAction,
};
pub use rwsem::queue::{Contention, SemSnapshot, TidList, WaitKind};
pub use space::AddressSpace;
pub use stats::{Daemon, HartStats, MmStats, StatsOwner};
pub use types::{
    madv, map, mlock_flags, mremap, prot, Access, FaultError, FaultKind, MemFault, PAGE_SHIFT,
    PAGE_SIZE,
};
