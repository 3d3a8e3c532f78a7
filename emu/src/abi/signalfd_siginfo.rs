//! `struct signalfd_siginfo`, what a read from a signalfd returns for each signal.

use super::siginfo::{SigInfo, SigSource};

/// Size of `struct signalfd_siginfo`.
pub(crate) const SIGNALFD_SIGINFO_SIZE: usize = 128;

/// The `signalfd_siginfo` of `info`: ssi_signo, ssi_errno and ssi_code, then the
/// fields its source fills (ssi_pid and ssi_uid; ssi_tid and ssi_overrun for a timer;
/// ssi_int and ssi_ptr for a value; ssi_addr for a fault).
pub(crate) fn encode(info: &SigInfo) -> [u8; SIGNALFD_SIGINFO_SIZE] {
    let mut b = [0u8; SIGNALFD_SIGINFO_SIZE];
    let raw = info.encode();
    b[0..4].copy_from_slice(&info.signo.to_le_bytes());
    b[8..12].copy_from_slice(&info.code.to_le_bytes());
    match info.source {
        SigSource::Fault { addr } => b[72..80].copy_from_slice(&addr.to_le_bytes()),
        SigSource::Process { .. } => b[12..20].copy_from_slice(&raw[16..24]),
        SigSource::Queued { .. } => {
            // si_pid, si_uid, then the value, given as both ssi_int and ssi_ptr.
            b[12..20].copy_from_slice(&raw[16..24]);
            b[44..48].copy_from_slice(&raw[24..28]);
            b[48..56].copy_from_slice(&raw[24..32]);
        }
        SigSource::Child { status, .. } => {
            b[12..20].copy_from_slice(&raw[16..24]);
            b[40..44].copy_from_slice(&status.to_le_bytes());
        }
        SigSource::Timer { .. } => {
            // si_tid and si_overrun, then the value.
            b[24..28].copy_from_slice(&raw[16..20]);
            b[32..36].copy_from_slice(&raw[20..24]);
            b[44..48].copy_from_slice(&raw[24..28]);
            b[48..56].copy_from_slice(&raw[24..32]);
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::siginfo::code;

    #[test]
    fn the_sender_lands_in_ssi_pid_and_ssi_uid() {
        let b = encode(&SigInfo::sent(10, code::SI_USER, 77, 1000));
        assert_eq!(u32::from_le_bytes(b[0..4].try_into().unwrap()), 10);
        assert_eq!(u32::from_le_bytes(b[12..16].try_into().unwrap()), 77);
        assert_eq!(u32::from_le_bytes(b[16..20].try_into().unwrap()), 1000);
    }
}
