//! Guest memory faults as the CPU sees them, and (to come) the fault state machine.

use std::fmt;

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

/// Why an access faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// No VMA covers the address (SIGSEGV, SEGV_MAPERR).
    Unmapped,
    /// A VMA covers it but does not allow the access (SIGSEGV, SEGV_ACCERR).
    Protection,
    /// An atomic access that is not naturally aligned (SIGBUS, BUS_ADRALN).
    Misaligned,
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
    /// The Linux signal number this fault delivers (SIGSEGV = 11, SIGBUS = 7).
    pub fn signal(&self) -> i32 {
        match self.kind {
            FaultKind::Misaligned => 7,
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
        };
        write!(f, "{what} {:#x} ({why})", self.addr)
    }
}
