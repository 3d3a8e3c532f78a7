//! The alternate signal stack of sigaltstack(2), and the `stack_t` that describes it.

use mmu::Errno;

/// Size of `stack_t`: ss_sp (u64), ss_flags (i32, padded), ss_size (u64).
pub(crate) const STACK_T_SIZE: usize = 24;
/// ss_flags: the thread is running on the alternate stack (reported, never set).
const SS_ONSTACK: i32 = 1;
/// ss_flags: there is no alternate stack.
const SS_DISABLE: i32 = 2;
/// ss_flags: the stack is disarmed while a handler runs on it. Recorded and reported;
/// faultline keeps the stack armed, as a kernel without the flag would.
const SS_AUTODISARM: i32 = 1 << 31;
/// riscv64's MINSIGSTKSZ: smaller stacks are refused with ENOMEM.
const MINSIGSTKSZ: u64 = 2048;

/// One thread's alternate signal stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AltStack {
    /// Lowest address of the stack.
    base: u64,
    /// Size in bytes; zero when disabled.
    size: u64,
    /// The flag bits recorded besides the mode (SS_AUTODISARM).
    flag_bits: i32,
}

impl AltStack {
    /// No alternate stack, as every thread starts.
    pub(crate) const DISABLED: AltStack = AltStack {
        base: 0,
        size: 0,
        flag_bits: 0,
    };

    /// Parses the `stack_t` given to sigaltstack, refusing what Linux refuses.
    pub(crate) fn from_stack_t(b: &[u8; STACK_T_SIZE]) -> Result<AltStack, Errno> {
        let base = u64::from_le_bytes(b[0..8].try_into().expect("8 bytes"));
        let flags = i32::from_le_bytes(b[8..12].try_into().expect("4 bytes"));
        let size = u64::from_le_bytes(b[16..24].try_into().expect("8 bytes"));
        match flags & !SS_AUTODISARM {
            SS_DISABLE => Ok(AltStack::DISABLED),
            0 | SS_ONSTACK if size < MINSIGSTKSZ => Err(Errno::ENOMEM),
            0 | SS_ONSTACK => Ok(AltStack {
                base,
                size,
                flag_bits: flags & SS_AUTODISARM,
            }),
            _ => Err(Errno::EINVAL),
        }
    }

    /// Whether there is an alternate stack.
    pub(crate) fn is_enabled(&self) -> bool {
        self.size != 0
    }

    /// Whether `sp` lies on the stack (the stack grows down, so its top is included).
    pub(crate) fn contains(&self, sp: u64) -> bool {
        self.is_enabled() && sp > self.base && sp - self.base <= self.size
    }

    /// The address just above the stack, where a frame pushed onto it starts.
    pub(crate) fn top(&self) -> u64 {
        self.base.wrapping_add(self.size)
    }

    /// The `stack_t` reported to a thread whose stack pointer is `sp` (by sigaltstack
    /// and in a signal frame's `uc_stack`): SS_DISABLE, SS_ONSTACK or neither.
    pub(crate) fn to_stack_t(self, sp: u64) -> [u8; STACK_T_SIZE] {
        let mode = if !self.is_enabled() {
            SS_DISABLE
        } else if self.contains(sp) {
            SS_ONSTACK
        } else {
            0
        };
        let mut b = [0u8; STACK_T_SIZE];
        b[0..8].copy_from_slice(&self.base.to_le_bytes());
        b[8..12].copy_from_slice(&(mode | self.flag_bits).to_le_bytes());
        b[16..24].copy_from_slice(&self.size.to_le_bytes());
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack_t(sp: u64, flags: i32, size: u64) -> [u8; STACK_T_SIZE] {
        let mut b = [0u8; STACK_T_SIZE];
        b[0..8].copy_from_slice(&sp.to_le_bytes());
        b[8..12].copy_from_slice(&flags.to_le_bytes());
        b[16..24].copy_from_slice(&size.to_le_bytes());
        b
    }

    #[test]
    fn parses_and_reports_like_linux() {
        let s = AltStack::from_stack_t(&stack_t(0x10000, 0, 0x4000)).unwrap();
        assert!(s.contains(0x14000) && s.contains(0x10001));
        assert!(!s.contains(0x10000) && !s.contains(0x14001));
        assert_eq!(s.top(), 0x14000);
        assert_eq!(s.to_stack_t(0x12000), stack_t(0x10000, SS_ONSTACK, 0x4000));
        assert_eq!(s.to_stack_t(0x8000), stack_t(0x10000, 0, 0x4000));

        let off = AltStack::from_stack_t(&stack_t(0x10000, SS_DISABLE, 0x4000)).unwrap();
        assert_eq!(off, AltStack::DISABLED);
        assert_eq!(off.to_stack_t(0x12000), stack_t(0, SS_DISABLE, 0));

        assert_eq!(
            AltStack::from_stack_t(&stack_t(0x10000, 0, 100)),
            Err(Errno::ENOMEM)
        );
        assert_eq!(
            AltStack::from_stack_t(&stack_t(0x10000, 8, 0x4000)),
            Err(Errno::EINVAL)
        );
    }
}
