//! The ELF loader over arbitrary files: it loads them or refuses them with an error,
//! and what it loads starts with a sane initial stack and heap.

use emu::loader::{load, StartInfo, STACK_SIZE, STACK_TOP};
use emu::os::files::Files;
use emu::os::path::View;
use mmu::{AddressSpace, MmConfig, PAGE_SIZE};
use std::io::Write;

/// Guest memory for one load: the image is demand-paged, so little is ever touched.
const FRAME_POOL_BYTES: u64 = 64 << 20;

/// Loads `data` as a program into a fresh address space.
pub fn run(data: &[u8]) {
    let mut file = tempfile::NamedTempFile::new().expect("temporary file");
    file.write_all(data).expect("temporary file written");
    let mm = AddressSpace::new(MmConfig {
        frame_pool_bytes: FRAME_POOL_BYTES,
        ..MmConfig::default()
    })
    .expect("address space");
    let files = Files::new(View::Host, file.path(), 1).expect("guest files");
    let args = ["prog".to_owned()];
    let start = StartInfo {
        args: &args,
        env: &[],
        execfn: "/prog",
        random: [7; 16],
        ids: (0, 0, 0, 0),
    };
    let Ok(image) = load(&mm, &files, file.path(), &start) else {
        return;
    };
    assert!(
        image.sp < STACK_TOP && image.sp > STACK_TOP - STACK_SIZE && image.sp % 16 == 0,
        "initial stack pointer {:#x} outside the stack or misaligned",
        image.sp
    );
    assert_eq!(
        image.brk_start % PAGE_SIZE,
        0,
        "heap start {:#x} not page aligned",
        image.brk_start
    );
}
