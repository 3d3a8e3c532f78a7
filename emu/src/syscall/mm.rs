//! The mm system calls: argument checks and hand-off to the memory manager.

use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::os::cached_files::{self, FileMapping};
use crate::thread::Thread;
use devices::cast::{low_i32, low_u32};
use mmu::{map, Errno};

/// Handles the mm family; None if `n` is not one of them.
pub(crate) fn handle(t: &mut Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    let mm = &*t.proc.mm;
    Some(match n {
        nr::brk => Outcome::Return(mm.brk(a[0]) as i64),
        nr::mmap => {
            let (addr, len, prot, flags, fd, off) = (
                a[0],
                a[1],
                low_u32(a[2]),
                low_u32(a[3]),
                low_i32(a[4]),
                a[5],
            );
            if flags & map::ANONYMOUS == 0 && fd >= 0 {
                let files = &t.proc.files;
                let m = FileMapping {
                    addr,
                    len,
                    prot,
                    flags,
                    fd,
                    offset: off,
                };
                return Some(ret(cached_files::map(files, mm, m)));
            }
            ret(mm.mmap(addr, len, prot, flags).map(|v| v as i64))
        }
        nr::munmap => ret(mm
            .sync_range(a[0], a[1])
            .and_then(|_| mm.munmap(a[0], a[1]))
            .map(|_| 0)),
        nr::mprotect => ret(mm.mprotect(a[0], a[1], low_u32(a[2])).map(|_| 0)),
        nr::mremap => ret(mm
            .mremap(a[0], a[1], a[2], low_u32(a[3]), a[4])
            .map(|v| v as i64)),
        nr::madvise => ret(mm.madvise(a[0], a[1], low_u32(a[2])).map(|_| 0)),
        nr::mlock => ret(mm.mlock(a[0], a[1], 0).map(|_| 0)),
        nr::mlock2 => ret(mm.mlock(a[0], a[1], low_u32(a[2])).map(|_| 0)),
        nr::munlock => ret(mm.munlock(a[0], a[1]).map(|_| 0)),
        nr::mlockall => ret(mm.mlockall(low_u32(a[0])).map(|_| 0)),
        nr::munlockall => ret(mm.munlockall().map(|_| 0)),
        nr::msync => {
            if !a[0].is_multiple_of(mmu::PAGE_SIZE) {
                ret(Err(Errno::EINVAL))
            } else {
                ret(mm.sync_range(a[0], a[1]).map(|_| 0))
            }
        }
        _ => return None,
    })
}
