//! The signal-return trampoline: a page of guest code that makes rt_sigreturn, where
//! every handler returns to. Linux keeps this code in the vDSO; faultline maps no vDSO,
//! so the page is mapped on its own at start-up.

use crate::abi::layout::TRAMPOLINE_ADDR;
use crate::abi::nr;
use devices::cast::low_u32;
use mmu::{map, prot, AddressSpace, Errno, PAGE_SIZE};

/// `li a7, __NR_rt_sigreturn` (addi a7, zero, 139).
const LI_A7_SIGRETURN: u32 = low_u32(nr::rt_sigreturn) << 20 | 17 << 7 | 0x13;
/// `ecall`.
const ECALL: u32 = 0x73;

/// Maps the trampoline page (read and execute only) into `mm`.
pub fn map_into(mm: &AddressSpace) -> Result<(), Errno> {
    let flags = map::PRIVATE | map::ANONYMOUS | map::FIXED_NOREPLACE;
    mm.mmap(TRAMPOLINE_ADDR, PAGE_SIZE, prot::READ | prot::WRITE, flags)?;
    let mut code = [0u8; 8];
    code[..4].copy_from_slice(&LI_A7_SIGRETURN.to_le_bytes());
    code[4..].copy_from_slice(&ECALL.to_le_bytes());
    mm.write_bytes(TRAMPOLINE_ADDR, &code)?;
    mm.mprotect(TRAMPOLINE_ADDR, PAGE_SIZE, prot::READ | prot::EXEC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_li_a7_139() {
        assert_eq!(LI_A7_SIGRETURN, 0x08b0_0893);
        assert_eq!(TRAMPOLINE_ADDR % PAGE_SIZE, 0);
    }
}
