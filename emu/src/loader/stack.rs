//! The initial stack Linux's create_elf_tables builds: argument and environment
//! strings, AT_RANDOM bytes, the auxiliary vector, envp, argv and argc.

use super::{StartInfo, HWCAP_RV64GC};
use crate::abi::layout::STACK_TOP;
use mmu::{AddressSpace, PAGE_SIZE};

/// The image-dependent auxv values.
pub(super) struct Auxv {
    /// AT_PHDR: the program's program headers in memory.
    pub phdr: u64,
    /// AT_PHENT: the size of one program header.
    pub phent: u64,
    /// AT_PHNUM: how many there are.
    pub phnum: u64,
    /// AT_ENTRY: the program's entry point (not the interpreter's).
    pub entry: u64,
    /// AT_BASE: the interpreter's load bias; 0 without one.
    pub base: u64,
}

/// Linux auxv tags.
mod at {
    pub(super) const NULL: u64 = 0;
    pub(super) const PHDR: u64 = 3;
    pub(super) const PHENT: u64 = 4;
    pub(super) const PHNUM: u64 = 5;
    pub(super) const PAGESZ: u64 = 6;
    pub(super) const BASE: u64 = 7;
    pub(super) const FLAGS: u64 = 8;
    pub(super) const ENTRY: u64 = 9;
    pub(super) const UID: u64 = 11;
    pub(super) const EUID: u64 = 12;
    pub(super) const GID: u64 = 13;
    pub(super) const EGID: u64 = 14;
    pub(super) const PLATFORM: u64 = 15;
    pub(super) const HWCAP: u64 = 16;
    pub(super) const CLKTCK: u64 = 17;
    pub(super) const SECURE: u64 = 23;
    pub(super) const RANDOM: u64 = 25;
    pub(super) const HWCAP2: u64 = 26;
    pub(super) const EXECFN: u64 = 31;
}

/// Writes strings, AT_RANDOM bytes, auxv, envp, argv and argc below STACK_TOP, the way
/// Linux's create_elf_tables lays them out, and returns the final stack pointer.
pub(super) fn build_stack(mm: &AddressSpace, s: &StartInfo, aux: &Auxv) -> Result<u64, mmu::Errno> {
    let mut sp = STACK_TOP;
    let push_bytes = |sp: &mut u64, data: &[u8]| -> Result<u64, mmu::Errno> {
        *sp -= data.len() as u64;
        mm.write_bytes(*sp, data)?;
        Ok(*sp)
    };
    let cstr = |sp: &mut u64, s: &str| -> Result<u64, mmu::Errno> {
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        push_bytes(sp, &b)
    };
    let execfn = cstr(&mut sp, s.execfn)?;
    let mut env_ptrs = Vec::with_capacity(s.env.len());
    for e in s.env.iter().rev() {
        env_ptrs.push(cstr(&mut sp, e)?);
    }
    env_ptrs.reverse();
    let mut arg_ptrs = Vec::with_capacity(s.args.len());
    for a in s.args.iter().rev() {
        arg_ptrs.push(cstr(&mut sp, a)?);
    }
    arg_ptrs.reverse();
    let platform = cstr(&mut sp, "riscv64")?;
    sp &= !15;
    sp -= 16;
    let random = sp;
    mm.write_bytes(random, &s.random)?;

    let (uid, euid, gid, egid) = s.ids;
    let auxv: [(u64, u64); 18] = [
        (at::PHDR, aux.phdr),
        (at::PHENT, aux.phent),
        (at::PHNUM, aux.phnum),
        (at::PAGESZ, PAGE_SIZE),
        (at::BASE, aux.base),
        (at::FLAGS, 0),
        (at::ENTRY, aux.entry),
        (at::UID, uid as u64),
        (at::EUID, euid as u64),
        (at::GID, gid as u64),
        (at::EGID, egid as u64),
        (at::HWCAP, HWCAP_RV64GC),
        (at::HWCAP2, 0),
        (at::CLKTCK, 100),
        (at::SECURE, 0),
        (at::RANDOM, random),
        (at::EXECFN, execfn),
        (at::PLATFORM, platform),
    ];
    let mut words: Vec<u64> = Vec::new();
    words.push(s.args.len() as u64);
    words.extend(&arg_ptrs);
    words.push(0);
    words.extend(&env_ptrs);
    words.push(0);
    for (k, v) in auxv {
        words.push(k);
        words.push(v);
    }
    words.push(at::NULL);
    words.push(0);
    sp -= (words.len() * 8) as u64;
    sp &= !15;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    mm.write_bytes(sp, &bytes)?;
    Ok(sp)
}
