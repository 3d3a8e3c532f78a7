//! Guest memory as system calls see it (placeholder until the file layer lands).
use mmu::Errno;
/// Guest memory as system calls see it.
pub trait GuestMemory {
    /// Copies guest memory out.
    fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno>;
    /// Copies into guest memory.
    fn write_bytes(&self, addr: u64, data: &[u8]) -> Result<(), Errno>;
    /// Reads a C string.
    fn read_cstring(&self, addr: u64, max: usize) -> Result<Vec<u8>, Errno>;
}
impl GuestMemory for mmu::AddressSpace {
    fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        mmu::AddressSpace::read_bytes(self, addr, buf)
    }
    fn write_bytes(&self, addr: u64, data: &[u8]) -> Result<(), Errno> {
        mmu::AddressSpace::write_bytes(self, addr, data)
    }
    fn read_cstring(&self, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
        mmu::AddressSpace::read_cstring(self, addr, max)
    }
}
