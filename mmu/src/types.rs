//! The basic types every layer uses: page size, the guest's mmap, mprotect, madvise and
//! mlock constants, and what an access is and why it faulted.

use crate::errno::Errno;
use std::fmt;

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

/// The kind of access that faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A load (or the read half of an atomic).
    Read,
    /// A store or an atomic read-modify-write.
    Write,
    /// An instruction fetch.
    Exec,
}

impl Access {
    /// `read`, `write` or `exec`, as traces name it.
    pub fn name(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Exec => "exec",
        }
    }
}

/// Why an access faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// No VMA covers the address (SIGSEGV, SEGV_MAPERR).
    Unmapped,
    /// A VMA covers it but does not allow the access (SIGSEGV, SEGV_ACCERR).
    Protection,
    /// An atomic access that is not naturally aligned (SIGBUS, BUS_ADRALN).
    Misaligned,
    /// A file page that cannot be read: its read failed or it lies past the end of the
    /// file (SIGBUS, BUS_ADRERR).
    Bus,
    /// The hart was killed ([`crate::hart_signal::HartSignal::kill`]) while the fault waited for
    /// `mmap_lock`: the access never completes and the thread dies of SIGKILL.
    Killed,
}

/// A guest access that cannot complete: the guest thread gets a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemFault {
    /// The guest virtual address that faulted.
    pub addr: u64,
    /// What the access was.
    pub access: Access,
    /// Why it failed.
    pub kind: FaultKind,
}

impl MemFault {
    /// The Linux signal number this fault delivers (SIGSEGV = 11, SIGBUS = 7, SIGKILL = 9).
    pub fn signal(&self) -> i32 {
        match self.kind {
            FaultKind::Misaligned | FaultKind::Bus => 7,
            FaultKind::Killed => 9,
            _ => 11,
        }
    }
}

impl fmt::Display for MemFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.access {
            Access::Read => "read from",
            Access::Write => "write to",
            Access::Exec => "execute at",
        };
        let why = match (self.kind, self.access) {
            (FaultKind::Unmapped, _) => "unmapped address",
            (FaultKind::Protection, Access::Write) => "read-only mapping",
            (FaultKind::Protection, Access::Exec) => "non-executable mapping",
            (FaultKind::Protection, Access::Read) => "unreadable mapping",
            (FaultKind::Misaligned, _) => "misaligned atomic",
            (FaultKind::Bus, _) => "file page unreadable: I/O error or past end of file",
            (FaultKind::Killed, _) => "killed while waiting for mmap_lock",
        };
        write!(f, "{what} {:#x} ({why})", self.addr)
    }
}

/// Why the handler could not make a page accessible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultError {
    /// The access is not allowed: the guest gets a signal.
    Fault(FaultKind),
    /// No frame left to back the page.
    OutOfMemory,
    /// The hart was killed while the fault waited for a lock.
    Killed,
}

impl FaultError {
    /// How a fault that failed this way ends, as traces name it: `sigsegv`, `sigbus`,
    /// `killed` or `oom`.
    pub fn outcome_name(self) -> &'static str {
        match self {
            FaultError::Fault(FaultKind::Unmapped | FaultKind::Protection) => "sigsegv",
            FaultError::Fault(FaultKind::Misaligned | FaultKind::Bus) => "sigbus",
            FaultError::Fault(FaultKind::Killed) | FaultError::Killed => "killed",
            FaultError::OutOfMemory => "oom",
        }
    }

    /// What a system call that faulted reports: EFAULT, ENOMEM, or EINTR for a dying
    /// thread.
    pub fn errno(self) -> Errno {
        match self {
            FaultError::Fault(_) => Errno::EFAULT,
            FaultError::OutOfMemory => Errno::ENOMEM,
            FaultError::Killed => Errno::EINTR,
        }
    }
}
