//! faultline's memory manager, living at the hypervisor level: the host frame pool, the
//! shared page table, per-hart software TLBs, the VMA tree, `mmap_lock` (an rw-semaphore
//! with explicit wait queues), demand-zero faults and the semantics of the mm system calls.
//!
//! The emulator talks to it through two handles:
//! - [`AddressSpace`] (one per guest process, shared by all its harts): the mm system calls
//!   and the byte copies system calls make to and from guest memory;
//! - [`HartMem`] (one per hart, owned by the hart's host thread): the fast load, store,
//!   fetch and atomic paths through the hart's TLB.

pub mod errno;
pub mod fault;
pub mod frames;
pub mod hart;
pub mod pagetable;
pub mod rwsem;
pub mod space;
pub mod stats;
pub mod tlb;
pub mod vma;

pub use errno::Errno;
pub use fault::{Access, FaultKind, MemFault};
pub use hart::{HartMem, HartSignal};
pub use space::{AddressSpace, MmConfig};
pub use stats::{HartStats, MmStats};

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
