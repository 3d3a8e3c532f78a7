//! `siginfo_t`: why a signal was sent, in the layout the guest's handler reads.

use super::signo;
use mmu::{FaultKind, MemFault};
use std::fmt;

/// Size of `siginfo_t` on every Linux architecture.
pub(crate) const SIGINFO_SIZE: usize = 128;

/// `si_code` values faultline produces.
pub(crate) mod code {
    /// Sent by kill(2).
    pub(crate) const SI_USER: i32 = 0;
    /// Sent by tkill(2) or tgkill(2).
    pub(crate) const SI_TKILL: i32 = -6;
    /// Sent by the kernel itself.
    pub(crate) const SI_KERNEL: i32 = 0x80;
    /// SIGILL: illegal opcode.
    pub(crate) const ILL_ILLOPC: i32 = 1;
    /// SIGTRAP: breakpoint.
    pub(crate) const TRAP_BRKPT: i32 = 1;
    /// SIGSEGV: address not mapped.
    pub(crate) const SEGV_MAPERR: i32 = 1;
    /// SIGSEGV: mapping does not allow the access.
    pub(crate) const SEGV_ACCERR: i32 = 2;
    /// SIGBUS: misaligned address.
    pub(crate) const BUS_ADRALN: i32 = 1;
    /// SIGBUS: a nonexistent physical address (a file page that cannot be read).
    pub(crate) const BUS_ADRERR: i32 = 2;
}

/// Where a signal came from: selects the `siginfo_t` union member that is filled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SigSource {
    /// A fault or trap at `addr` (`si_addr`).
    Fault {
        /// The faulting data address, or the trapping instruction's.
        addr: u64,
    },
    /// Sent by a process (`si_pid`, `si_uid`).
    Process {
        /// The sender's process id.
        pid: u32,
        /// The sender's real user id.
        uid: u32,
    },
    /// Queued by the guest with rt_(tg)sigqueueinfo: the union exactly as it gave it.
    Queued {
        /// The 112 bytes after si_signo, si_errno, si_code and the padding.
        fields: [u8; SIGINFO_SIZE - 16],
    },
    /// A child process's end (`si_pid`, `si_uid`, `si_status`; its CPU times read 0).
    Child {
        /// The child's process id.
        pid: u32,
        /// Its real user id.
        uid: u32,
        /// Its exit code, or the signal that killed it.
        status: i32,
    },
    /// A POSIX timer's expiry (`si_tid`, `si_overrun`, `si_value`).
    Timer {
        /// The timer's id.
        id: i32,
        /// Expiries missed since the signal was queued.
        overrun: i32,
        /// The `sigev_value` given at timer_create.
        value: u64,
    },
}

/// The contents of one `siginfo_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SigInfo {
    /// The signal number.
    pub signo: i32,
    /// The `si_code`: SI_USER, SI_TKILL or a fault-specific code.
    pub code: i32,
    /// The sender or the faulting address.
    pub source: SigSource,
}

impl SigInfo {
    /// The signal a memory fault delivers: SIGSEGV (MAPERR or ACCERR) or SIGBUS (ADRALN
    /// or ADRERR).
    pub(crate) fn from_fault(f: &MemFault) -> SigInfo {
        let code = match f.kind {
            FaultKind::Unmapped => code::SEGV_MAPERR,
            FaultKind::Protection => code::SEGV_ACCERR,
            FaultKind::Misaligned => code::BUS_ADRALN,
            FaultKind::Bus => code::BUS_ADRERR,
            // SIGKILL cannot be caught; the code only shows in the report.
            FaultKind::Killed => code::SI_KERNEL,
        };
        SigInfo {
            signo: f.signal(),
            code,
            source: SigSource::Fault { addr: f.addr },
        }
    }

    /// SIGILL for the illegal instruction at `pc`.
    pub(crate) fn illegal_instruction(pc: u64) -> SigInfo {
        SigInfo {
            signo: signo::SIGILL,
            code: code::ILL_ILLOPC,
            source: SigSource::Fault { addr: pc },
        }
    }

    /// SIGTRAP for the breakpoint at `pc`.
    pub(crate) fn breakpoint(pc: u64) -> SigInfo {
        SigInfo {
            signo: signo::SIGTRAP,
            code: code::TRAP_BRKPT,
            source: SigSource::Fault { addr: pc },
        }
    }

    /// `signo` sent by process `pid` as user `uid`; `code` is SI_USER or SI_TKILL.
    pub(crate) fn sent(signo: i32, code: i32, pid: u32, uid: u32) -> SigInfo {
        SigInfo {
            signo,
            code,
            source: SigSource::Process { pid, uid },
        }
    }

    /// `signo` sent by the guest process `pid` to itself, as the emulator's user (the
    /// user the guest runs as).
    pub(crate) fn sent_by_self(signo: i32, code: i32, pid: u32) -> SigInfo {
        // SAFETY: getuid cannot fail and touches no memory.
        let uid = unsafe { libc::getuid() };
        SigInfo::sent(signo, code, pid, uid)
    }

    /// SIGCHLD for child `pid`'s end: `code` is CLD_EXITED or CLD_KILLED, `status` the
    /// exit code or the signal.
    pub(crate) fn child(code: i32, pid: u32, status: i32) -> SigInfo {
        // SAFETY: getuid cannot fail and touches no memory.
        let uid = unsafe { libc::getuid() };
        SigInfo {
            signo: signo::SIGCHLD,
            code,
            source: SigSource::Child { pid, uid, status },
        }
    }

    /// A siginfo the guest gave rt_(tg)sigqueueinfo, for `signo`.
    pub(crate) fn queued(signo: i32, raw: &[u8; SIGINFO_SIZE]) -> SigInfo {
        let code = i32::from_le_bytes(raw[8..12].try_into().expect("4 bytes"));
        let mut fields = [0u8; SIGINFO_SIZE - 16];
        fields.copy_from_slice(&raw[16..]);
        SigInfo {
            signo,
            code,
            source: SigSource::Queued { fields },
        }
    }

    /// What sent it, for messages; None for faults.
    pub(crate) fn sender(&self) -> Option<&'static str> {
        match (self.source, self.code) {
            (SigSource::Fault { .. }, _) => None,
            (SigSource::Process { .. }, code::SI_TKILL) => Some("tgkill"),
            (SigSource::Process { .. }, code::SI_KERNEL) => Some("the kernel"),
            (SigSource::Process { .. }, _) => Some("kill"),
            (SigSource::Queued { .. }, _) => Some("sigqueue"),
            (SigSource::Timer { .. }, _) => Some("a timer"),
            (SigSource::Child { .. }, _) => Some("a child's end"),
        }
    }

    /// The 128-byte `siginfo_t`: si_signo, si_errno, si_code, padding to 16, then the
    /// union (si_addr, or si_pid and si_uid), the rest zero.
    pub(crate) fn encode(&self) -> [u8; SIGINFO_SIZE] {
        let mut b = [0u8; SIGINFO_SIZE];
        b[0..4].copy_from_slice(&self.signo.to_le_bytes());
        b[8..12].copy_from_slice(&self.code.to_le_bytes());
        match self.source {
            SigSource::Fault { addr } => b[16..24].copy_from_slice(&addr.to_le_bytes()),
            SigSource::Process { pid, uid } => {
                b[16..20].copy_from_slice(&pid.to_le_bytes());
                b[20..24].copy_from_slice(&uid.to_le_bytes());
            }
            SigSource::Queued { fields } => b[16..].copy_from_slice(&fields),
            SigSource::Child { pid, uid, status } => {
                b[16..20].copy_from_slice(&pid.to_le_bytes());
                b[20..24].copy_from_slice(&uid.to_le_bytes());
                b[24..28].copy_from_slice(&status.to_le_bytes());
            }
            SigSource::Timer { id, overrun, value } => {
                b[16..20].copy_from_slice(&id.to_le_bytes());
                b[20..24].copy_from_slice(&overrun.to_le_bytes());
                b[24..32].copy_from_slice(&value.to_le_bytes());
            }
        }
        b
    }
}

/// strace's rendering: `{si_signo=SIGSEGV, si_code=1, si_addr=0x0}`.
impl fmt::Display for SigInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{si_signo={}, si_code={}, ",
            signo::name(self.signo),
            self.code
        )?;
        match self.source {
            SigSource::Fault { addr } => write!(f, "si_addr={addr:#x}}}"),
            SigSource::Process { pid, uid } => write!(f, "si_pid={pid}, si_uid={uid}}}"),
            SigSource::Queued { fields } => {
                let word = |i: usize| u32::from_le_bytes(fields[i..i + 4].try_into().expect("4"));
                write!(f, "si_pid={}, si_uid={}}}", word(0), word(4))
            }
            SigSource::Timer { id, overrun, .. } => {
                write!(f, "si_timerid={id}, si_overrun={overrun}}}")
            }
            SigSource::Child { pid, uid, status } => {
                write!(f, "si_pid={pid}, si_uid={uid}, si_status={status}}}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmu::Access;

    #[test]
    fn fault_codes_follow_the_fault_kind() {
        let f = |kind| MemFault {
            addr: 0xff8,
            access: Access::Read,
            kind,
        };
        let segv = SigInfo::from_fault(&f(FaultKind::Unmapped));
        assert_eq!((segv.signo, segv.code), (signo::SIGSEGV, code::SEGV_MAPERR));
        let acc = SigInfo::from_fault(&f(FaultKind::Protection));
        assert_eq!((acc.signo, acc.code), (signo::SIGSEGV, code::SEGV_ACCERR));
        let bus = SigInfo::from_fault(&f(FaultKind::Misaligned));
        assert_eq!((bus.signo, bus.code), (signo::SIGBUS, code::BUS_ADRALN));
        let io = SigInfo::from_fault(&f(FaultKind::Bus));
        assert_eq!((io.signo, io.code), (signo::SIGBUS, code::BUS_ADRERR));
        assert_eq!(bus.source, SigSource::Fault { addr: 0xff8 });
    }

    #[test]
    fn encoding_places_fields_at_their_linux_offsets() {
        let b = SigInfo::from_fault(&MemFault {
            addr: 0x1122_3344_5566_7788,
            access: Access::Write,
            kind: FaultKind::Protection,
        })
        .encode();
        assert_eq!(i32::from_le_bytes(b[0..4].try_into().unwrap()), 11);
        assert_eq!(i32::from_le_bytes(b[4..8].try_into().unwrap()), 0);
        assert_eq!(i32::from_le_bytes(b[8..12].try_into().unwrap()), 2);
        assert_eq!(
            u64::from_le_bytes(b[16..24].try_into().unwrap()),
            0x1122_3344_5566_7788
        );
        assert!(b[24..].iter().all(|&x| x == 0));

        let k = SigInfo::sent(10, code::SI_TKILL, 1234, 1000).encode();
        assert_eq!(i32::from_le_bytes(k[8..12].try_into().unwrap()), -6);
        assert_eq!(u32::from_le_bytes(k[16..20].try_into().unwrap()), 1234);
        assert_eq!(u32::from_le_bytes(k[20..24].try_into().unwrap()), 1000);
    }
}
