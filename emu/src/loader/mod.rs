//! The ELF loader: maps a static RV64 executable (ET_EXEC or static-PIE ET_DYN) into an
//! address space and builds the initial stack Linux hands to `_start`.

use goblin::elf::{header, program_header, Elf};
use mmu::{map, prot, AddressSpace, PAGE_SIZE};
use std::path::Path;
use thiserror::Error;

/// Top of the initial stack (the highest user page ends just below Sv39's TASK_SIZE).
pub const STACK_TOP: u64 = 0x3f_ffff_f000;
/// Size of the main thread's stack mapping (RLIMIT_STACK's usual 8 MiB).
pub const STACK_SIZE: u64 = 8 << 20;
/// Where a static-PIE executable is placed (Linux's ELF_ET_DYN_BASE for Sv39: 2/3 of
/// the user address space).
const ET_DYN_BASE: u64 = 0x2a_aaaa_a000;

/// The riscv64 HWCAP bits for the IMAFDC extensions (bit = letter - 'A').
pub const HWCAP_RV64GC: u64 = (1 << (b'I' - b'A'))
    | (1 << (b'M' - b'A'))
    | 1 // 'A'
    | (1 << (b'F' - b'A'))
    | (1 << (b'D' - b'A'))
    | (1 << (b'C' - b'A'));

/// Why a program cannot be loaded. Each message is one line naming the program.
#[derive(Debug, Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {err}")]
    Read {
        /// The program path.
        path: String,
        /// The host error.
        err: std::io::Error,
    },
    /// The file is not a well-formed ELF.
    #[error("{path} is not a valid ELF file: {why}")]
    Malformed {
        /// The program path.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// A well-formed ELF faultline cannot run.
    #[error("{path}: {why}")]
    Unsupported {
        /// The program path.
        path: String,
        /// What is unsupported.
        why: String,
    },
    /// The address space refused a mapping or a copy.
    #[error("{path}: cannot map the image: {why}")]
    Map {
        /// The program path.
        path: String,
        /// What failed.
        why: String,
    },
}

/// Where a loaded program starts.
#[derive(Clone, Debug)]
pub struct LoadedImage {
    /// The entry point (e_entry plus the load bias).
    pub entry: u64,
    /// The initial stack pointer, pointing at argc.
    pub sp: u64,
    /// The first byte after the image: where the heap (brk) starts.
    pub brk_start: u64,
}

/// What goes on the initial stack besides the image's own auxv entries.
pub struct StartInfo<'a> {
    /// argv, argv[0] first.
    pub args: &'a [String],
    /// The environment as KEY=VALUE strings.
    pub env: &'a [String],
    /// AT_EXECFN: the program path as the guest sees it.
    pub execfn: &'a str,
    /// 16 bytes for AT_RANDOM.
    pub random: [u8; 16],
    /// The host user and group ids reported in the auxv.
    pub ids: (u32, u32, u32, u32),
}

const PT_GNU_STACK: u32 = program_header::PT_GNU_STACK;
const EM_RISCV: u16 = 243;

fn page_floor(v: u64) -> u64 {
    v & !(PAGE_SIZE - 1)
}

fn page_ceil(v: u64) -> u64 {
    v.div_ceil(PAGE_SIZE) * PAGE_SIZE
}

fn seg_prot(flags: u32) -> u32 {
    let mut p = 0;
    if flags & program_header::PF_R != 0 {
        p |= prot::READ;
    }
    if flags & program_header::PF_W != 0 {
        p |= prot::WRITE;
    }
    if flags & program_header::PF_X != 0 {
        p |= prot::EXEC;
    }
    p
}

/// Loads the ELF at `path` into `mm` and builds the initial stack from `start`.
pub fn load(mm: &AddressSpace, path: &Path, start: &StartInfo) -> Result<LoadedImage, LoadError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|err| LoadError::Read {
        path: name.clone(),
        err,
    })?;
    let malformed = |why: String| LoadError::Malformed {
        path: name.clone(),
        why,
    };
    let unsupported = |why: &str| LoadError::Unsupported {
        path: name.clone(),
        why: why.into(),
    };
    let map_err = |why: String| LoadError::Map {
        path: name.clone(),
        why,
    };

    let elf = Elf::parse(&bytes).map_err(|e| malformed(e.to_string()))?;
    if !elf.is_64 || !elf.little_endian || elf.header.e_machine != EM_RISCV {
        return Err(unsupported("not a 64-bit little-endian RISC-V executable"));
    }
    if elf.interpreter.is_some() {
        return Err(unsupported(
            "dynamically linked programs (PT_INTERP) are not supported yet; link with -static",
        ));
    }
    let bias = match elf.header.e_type {
        header::ET_EXEC => 0,
        header::ET_DYN => ET_DYN_BASE,
        _ => {
            return Err(unsupported(
                "not an executable (ET_EXEC or static-PIE ET_DYN)",
            ))
        }
    };

    let loads: Vec<_> = elf
        .program_headers
        .iter()
        .filter(|ph| ph.p_type == program_header::PT_LOAD && ph.p_memsz > 0)
        .collect();
    if loads.is_empty() {
        return Err(malformed("no PT_LOAD segment".into()));
    }

    // Map every segment read-write first, copy the file bytes in, then apply the final
    // protections: this is how a user-space loader would do it without file mappings.
    let mut mapped_end = 0u64;
    let mut image_end = 0u64;
    for ph in &loads {
        let off = ph.p_offset as usize;
        let filesz = ph.p_filesz as usize;
        if ph.p_filesz > ph.p_memsz || off.checked_add(filesz).is_none_or(|e| e > bytes.len()) {
            return Err(malformed("a PT_LOAD segment lies outside the file".into()));
        }
        let vaddr = bias
            .checked_add(ph.p_vaddr)
            .filter(|v| v.checked_add(ph.p_memsz).is_some())
            .ok_or_else(|| malformed("segment address overflows".into()))?;
        let start_page = page_floor(vaddr).max(mapped_end);
        let end_page = page_ceil(vaddr + ph.p_memsz);
        if end_page > start_page {
            mm.mmap(
                start_page,
                end_page - start_page,
                prot::READ | prot::WRITE,
                map::PRIVATE | map::ANONYMOUS | map::FIXED,
            )
            .map_err(|e| map_err(format!("segment at {vaddr:#x}: {e}")))?;
            mapped_end = end_page;
        }
        mm.write_bytes(vaddr, &bytes[off..off + filesz])
            .map_err(|e| map_err(format!("segment at {vaddr:#x}: {e}")))?;
        image_end = image_end.max(vaddr + ph.p_memsz);
    }
    // Segments sharing a page get the union of their protections there.
    for ph in &loads {
        let vaddr = bias + ph.p_vaddr;
        let (lo, hi) = (page_floor(vaddr), page_ceil(vaddr + ph.p_memsz));
        let mut p = seg_prot(ph.p_flags);
        for other in &loads {
            let ov = bias + other.p_vaddr;
            let (olo, ohi) = (page_floor(ov), page_ceil(ov + other.p_memsz));
            if olo < hi && lo < ohi && !std::ptr::eq(*other, *ph) {
                p |= seg_prot(other.p_flags);
            }
        }
        mm.mprotect(lo, hi - lo, p)
            .map_err(|e| map_err(format!("mprotect: {e}")))?;
    }

    let phdr_addr = elf
        .program_headers
        .iter()
        .find(|ph| ph.p_type == program_header::PT_PHDR)
        .map(|ph| bias + ph.p_vaddr)
        .or_else(|| {
            let phoff = elf.header.e_phoff;
            loads
                .iter()
                .find(|ph| ph.p_offset <= phoff && phoff < ph.p_offset + ph.p_filesz)
                .map(|ph| bias + ph.p_vaddr + (phoff - ph.p_offset))
        })
        .unwrap_or(0);
    let exec_stack = elf
        .program_headers
        .iter()
        .any(|ph| ph.p_type == PT_GNU_STACK && ph.p_flags & program_header::PF_X != 0);

    let mut stack_prot = prot::READ | prot::WRITE;
    if exec_stack {
        stack_prot |= prot::EXEC;
    }
    mm.mmap(
        STACK_TOP - STACK_SIZE,
        STACK_SIZE,
        stack_prot,
        map::PRIVATE | map::ANONYMOUS | map::FIXED | map::GROWSDOWN,
    )
    .map_err(|e| map_err(format!("stack: {e}")))?;

    let auxv = Auxv {
        phdr: phdr_addr,
        phent: elf.header.e_phentsize as u64,
        phnum: elf.header.e_phnum as u64,
        entry: bias + elf.header.e_entry,
    };
    let sp = build_stack(mm, start, &auxv).map_err(|e| map_err(format!("initial stack: {e}")))?;
    let brk_start = page_ceil(image_end);
    mm.set_brk_start(brk_start);
    Ok(LoadedImage {
        entry: auxv.entry,
        sp,
        brk_start,
    })
}

/// The image-dependent auxv values.
struct Auxv {
    phdr: u64,
    phent: u64,
    phnum: u64,
    entry: u64,
}

/// Linux auxv tags.
mod at {
    pub const NULL: u64 = 0;
    pub const PHDR: u64 = 3;
    pub const PHENT: u64 = 4;
    pub const PHNUM: u64 = 5;
    pub const PAGESZ: u64 = 6;
    pub const BASE: u64 = 7;
    pub const FLAGS: u64 = 8;
    pub const ENTRY: u64 = 9;
    pub const UID: u64 = 11;
    pub const EUID: u64 = 12;
    pub const GID: u64 = 13;
    pub const EGID: u64 = 14;
    pub const PLATFORM: u64 = 15;
    pub const HWCAP: u64 = 16;
    pub const CLKTCK: u64 = 17;
    pub const SECURE: u64 = 23;
    pub const RANDOM: u64 = 25;
    pub const HWCAP2: u64 = 26;
    pub const EXECFN: u64 = 31;
}

/// Writes strings, AT_RANDOM bytes, auxv, envp, argv and argc below STACK_TOP, the way
/// Linux's create_elf_tables lays them out, and returns the final stack pointer.
fn build_stack(mm: &AddressSpace, s: &StartInfo, aux: &Auxv) -> Result<u64, mmu::Errno> {
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
        (at::BASE, 0),
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
