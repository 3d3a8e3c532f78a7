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
//! Locking, outermost first: `mmap_lock` ([`rwsem`]), then the per-VMA locks
//! ([`vma_lock`]: a fault read-locks its VMA without `mmap_lock` when it can, an mm call
//! write-locks the VMAs it changes while it holds `mmap_lock` for write), then the short
//! internal locks (the frame pool's free list, a shared object's page map, the hart
//! registry). How faults take these locks is the [`FaultPolicy`] ([`fault_state`]).
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

#![warn(missing_docs)]

mod current;
pub mod errno;
pub mod events;
pub mod fault;
pub mod fault_state;
mod filemap;
mod filewrite;
pub mod folio;
pub mod frames;
pub mod hart;
mod invalidate;
mod lru;
pub mod madvise;
mod mlock;
mod mman;
mod mmap_lock;
pub mod pagecache;
pub mod pagetable;
pub mod policy;
mod populate;
pub mod readahead;
mod reclaim;
mod rmap;
pub mod rwsem;
pub mod shmem;
mod shootdown;
pub mod space;
pub mod stats;
mod swap;
mod swapfile;
pub mod tlb;
mod uaccess;
pub mod vma;
pub mod vma_index;
pub mod vma_lock;
mod writeback;

pub use errno::Errno;
pub use fault::{Access, FaultKind, MemFault};
pub use filewrite::{WritePos, WriteSource};
pub use hart::{HartMem, HartSignal};
pub use policy::FaultPolicy;
pub use space::{AddressSpace, MmConfig};
pub use stats::{Daemon, HartStats, MmStats, StatsOwner};

/// Size of a guest page (and of a host frame) in bytes.
pub const PAGE_SIZE: u64 = 4096;
/// log2 of [`PAGE_SIZE`].
pub const PAGE_SHIFT: u32 = 12;

/// Page protection bits, as the guest passes them to mmap/mprotect.
pub mod prot {
    /// Pages may be read.
    pub const READ: u32 = 1;
    /// Pages may be written.
    pub const WRITE: u32 = 2;
    /// Pages may be executed.
    pub const EXEC: u32 = 4;
}

/// mmap flags, with Linux's (riscv64 = asm-generic) values.
pub mod map {
    /// Share the mapping with other mappers.
    pub const SHARED: u32 = 0x01;
    /// Private copy-on-write mapping.
    pub const PRIVATE: u32 = 0x02;
    /// Place the mapping exactly at the given address, replacing what is there.
    pub const FIXED: u32 = 0x10;
    /// Not backed by a file.
    pub const ANONYMOUS: u32 = 0x20;
    /// Accepted and ignored, as Linux does.
    pub const GROWSDOWN: u32 = 0x0100;
    /// Accepted and ignored.
    pub const DENYWRITE: u32 = 0x0800;
    /// Accepted and ignored.
    pub const EXECUTABLE: u32 = 0x1000;
    /// Lock the pages in memory (populates them).
    pub const LOCKED: u32 = 0x2000;
    /// Accepted and ignored.
    pub const NORESERVE: u32 = 0x4000;
    /// Populate (prefault) the whole mapping.
    pub const POPULATE: u32 = 0x8000;
    /// Accepted and ignored.
    pub const NONBLOCK: u32 = 0x10000;
    /// Accepted and ignored.
    pub const STACK: u32 = 0x20000;
    /// Accepted and ignored.
    pub const HUGETLB: u32 = 0x40000;
    /// Like FIXED but fail with EEXIST instead of replacing.
    pub const FIXED_NOREPLACE: u32 = 0x100000;
}

/// mremap flags.
pub mod mremap {
    /// The mapping may move if it cannot grow in place.
    pub const MAYMOVE: u32 = 1;
    /// Move to the given new address (requires MAYMOVE).
    pub const FIXED: u32 = 2;
    /// Move the pages but leave the old range mapped (empty).
    pub const DONTUNMAP: u32 = 4;
}

/// madvise advice values (Linux's, riscv64 = asm-generic).
pub mod madv {
    /// No special treatment.
    pub const NORMAL: u32 = 0;
    /// Expect random page references.
    pub const RANDOM: u32 = 1;
    /// Expect sequential page references.
    pub const SEQUENTIAL: u32 = 2;
    /// Will need these pages.
    pub const WILLNEED: u32 = 3;
    /// Drop the pages: private anonymous memory reads back as zeroes.
    pub const DONTNEED: u32 = 4;
    /// The pages may be freed lazily (done at once here, like DONTNEED).
    pub const FREE: u32 = 8;
    /// Free the pages and their backing store (shared mappings only).
    pub const REMOVE: u32 = 9;
    /// Do not inherit across fork.
    pub const DONTFORK: u32 = 10;
    /// Do inherit across fork.
    pub const DOFORK: u32 = 11;
    /// Populate the pages for read.
    pub const POPULATE_READ: u32 = 22;
    /// Populate the pages for write.
    pub const POPULATE_WRITE: u32 = 23;
    /// Like DONTNEED, also for locked pages.
    pub const DONTNEED_LOCKED: u32 = 24;
    /// Offer the pages to same-page merging.
    pub const MERGEABLE: u32 = 12;
    /// Withdraw them from same-page merging.
    pub const UNMERGEABLE: u32 = 13;
    /// Use huge pages where possible.
    pub const HUGEPAGE: u32 = 14;
    /// Do not use huge pages.
    pub const NOHUGEPAGE: u32 = 15;
    /// Leave the pages out of core dumps.
    pub const DONTDUMP: u32 = 16;
    /// Put them back into core dumps.
    pub const DODUMP: u32 = 17;
    /// A child gets zeroes here after fork.
    pub const WIPEONFORK: u32 = 18;
    /// Undo WIPEONFORK.
    pub const KEEPONFORK: u32 = 19;
    /// Deactivate the pages (reclaim them sooner).
    pub const COLD: u32 = 20;
    /// Reclaim the pages now.
    pub const PAGEOUT: u32 = 21;
    /// Collapse the pages into huge pages.
    pub const COLLAPSE: u32 = 25;
}

/// Flags of mlock2 and mlockall.
pub mod mlock_flags {
    /// mlock2: lock the pages as they fault in, not at once.
    pub const ONFAULT: u32 = 1;
    /// mlockall: lock what is mapped now.
    pub const MCL_CURRENT: u32 = 1;
    /// mlockall: lock what gets mapped later.
    pub const MCL_FUTURE: u32 = 2;
    /// mlockall: with the others, lock pages as they fault in.
    pub const MCL_ONFAULT: u32 = 4;
}
