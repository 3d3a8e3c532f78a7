//! Where the guest's fixed pieces sit in its address space: the main thread's stack and
//! the signal-return trampoline below it.

use mmu::PAGE_SIZE;

/// Top of the initial stack (the highest user page ends just below Sv39's TASK_SIZE).
pub const STACK_TOP: u64 = 0x3f_ffff_f000;
/// Size of the main thread's stack mapping (RLIMIT_STACK's usual 8 MiB).
pub const STACK_SIZE: u64 = 8 << 20;
/// Where the signal-return trampoline lives: the page just below the main thread's
/// stack, far above the image and below nothing mmap hands out.
pub(crate) const TRAMPOLINE_ADDR: u64 = STACK_TOP - STACK_SIZE - PAGE_SIZE;
