//! Guest memory as the system calls see it: byte copies to and from guest addresses,
//! and file reads and writes through the page cache that belongs with it.

use super::fdtable::HostFd;
#[cfg(test)]
use devices::cast::u64_to_usize;
use mmu::Errno;

pub(crate) use mmu::WriteSource;

/// Guest memory as system calls see it.
pub trait GuestMemory {
    /// Copies guest bytes at `addr` into `buf`; EFAULT if any byte is unreadable.
    fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno>;
    /// Copies `data` into guest memory at `addr`; EFAULT if any byte is unwritable.
    fn write_bytes(&self, addr: u64, data: &[u8]) -> Result<(), Errno>;
    /// Reads a NUL-terminated string (without the NUL) of at most `max` bytes.
    fn read_cstring(&self, addr: u64, max: usize) -> Result<Vec<u8>, Errno>;
    /// Reads regular file `file` at `offset` through the page cache that goes with this
    /// memory; `None` where there is none and the host file is read directly.
    fn read_file(
        &self,
        _file: &HostFd,
        _offset: u64,
        _buf: &mut [u8],
    ) -> Option<Result<usize, Errno>> {
        None
    }
    /// Writes `len` bytes that `fill(done, buf)` supplies to regular file `file` through
    /// the page cache that goes with this memory: at `at`, or at the file position when
    /// `None`, with pwritev2 flags `rwf`; `None` where the host file is written
    /// directly.
    fn write_file(
        &self,
        _file: &HostFd,
        _at: Option<u64>,
        _rwf: i32,
        _len: usize,
        _fill: WriteSource<'_>,
    ) -> Option<Result<usize, Errno>> {
        None
    }
}

/// Typed helpers over [`GuestMemory`] for the little-endian scalars system calls exchange.
pub(crate) trait GuestMemoryExt: GuestMemory {
    /// Reads a little-endian u64 at `addr`.
    fn read_u64(&self, addr: u64) -> Result<u64, Errno> {
        let mut b = [0u8; 8];
        self.read_bytes(addr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Writes `v` as a little-endian u64 at `addr`.
    fn write_u64(&self, addr: u64, v: u64) -> Result<(), Errno> {
        self.write_bytes(addr, &v.to_le_bytes())
    }
}

impl<M: GuestMemory + ?Sized> GuestMemoryExt for M {}

/// A flat byte buffer standing in for guest memory in tests: `base..base + len` is
/// mapped read-write, everything else faults.
#[cfg(test)]
pub(crate) struct VecMemory {
    base: u64,
    bytes: std::sync::Mutex<Vec<u8>>,
}

#[cfg(test)]
impl VecMemory {
    /// `len` zeroed bytes mapped at `base`.
    pub(crate) fn new(base: u64, len: usize) -> VecMemory {
        VecMemory {
            base,
            bytes: std::sync::Mutex::new(vec![0; len]),
        }
    }

    fn range(&self, addr: u64, len: usize, have: usize) -> Result<std::ops::Range<usize>, Errno> {
        let start = u64_to_usize(addr.checked_sub(self.base).ok_or(Errno::EFAULT)?);
        let end = start.checked_add(len).ok_or(Errno::EFAULT)?;
        if end > have {
            return Err(Errno::EFAULT);
        }
        Ok(start..end)
    }
}

#[cfg(test)]
impl GuestMemory for VecMemory {
    fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        let bytes = self.bytes.lock().unwrap();
        let r = self.range(addr, buf.len(), bytes.len())?;
        buf.copy_from_slice(&bytes[r]);
        Ok(())
    }

    fn write_bytes(&self, addr: u64, data: &[u8]) -> Result<(), Errno> {
        let mut bytes = self.bytes.lock().unwrap();
        let have = bytes.len();
        let r = self.range(addr, data.len(), have)?;
        bytes[r].copy_from_slice(data);
        Ok(())
    }

    fn read_cstring(&self, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
        let bytes = self.bytes.lock().unwrap();
        let start = self.range(addr, 0, bytes.len())?.start;
        let window = &bytes[start..bytes.len().min(start.saturating_add(max))];
        match window.iter().position(|&b| b == 0) {
            Some(n) => Ok(window[..n].to_vec()),
            None if window.len() == max => Ok(window.to_vec()),
            None => Err(Errno::EFAULT),
        }
    }
}
