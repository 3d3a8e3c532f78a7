//! File-backed mmap until the page cache exists: a private mapping is filled with a copy
//! of the file's bytes. A shared writable mapping cannot be honoured by a copy (writes
//! would never reach the file), so it is refused rather than silently diverging.

use super::fs::Files;
use super::nr;
use mmu::{map, prot, AddressSpace, Errno, PAGE_SIZE};

/// mmap(2) of `len` bytes of guest file `fd` at offset `off`.
#[allow(clippy::too_many_arguments)]
pub fn map_file(
    files: &Files,
    mm: &AddressSpace,
    addr: u64,
    len: u64,
    prot_bits: u32,
    flags: u32,
    fd: i32,
    off: u64,
) -> Result<i64, Errno> {
    if off % PAGE_SIZE != 0 || len == 0 {
        return Err(Errno::EINVAL);
    }
    if flags & map::SHARED != 0 && prot_bits & prot::WRITE != 0 {
        return Err(Errno(19)); // ENODEV: shared writable file mappings need the page cache
    }
    let base = mm.mmap(addr, len, prot::READ | prot::WRITE, (flags & !map::SHARED) | map::PRIVATE | map::ANONYMOUS)?;
    let mut done = 0u64;
    while done < len {
        let chunk = (len - done).min(1 << 20);
        let args = [fd as u64, base + done, chunk, off + done, 0, 0];
        match files.handle(mm, nr::pread64, args) {
            Some(n) if n > 0 => done += n as u64,
            Some(0) => break,
            Some(e) => {
                let _ = mm.munmap(base, len);
                return Err(Errno(-e as i32));
            }
            None => unreachable!("the file layer handles pread64"),
        }
    }
    if prot_bits != prot::READ | prot::WRITE {
        mm.mprotect(base, len, prot_bits)?;
    }
    Ok(base as i64)
}
