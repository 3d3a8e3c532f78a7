//! The ELF loader, as Linux's `load_elf_binary`: maps an RV64 executable (ET_EXEC or
//! ET_DYN) and, for a dynamically linked one, its program interpreter as demand-paged
//! private file mappings, and builds the initial stack the entry point is handed.

mod elf;
mod stack;
pub mod trampoline;

pub use crate::abi::layout::{STACK_SIZE, STACK_TOP};
use crate::os::files::Files;
use elf::{ElfFile, Placement};
use goblin::elf::{header, program_header};
use mmu::{map, prot, AddressSpace, PAGE_SIZE};
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use thiserror::Error;
use tracing::debug;

/// The target of the loader's diagnostics.
const LOG: &str = "faultline::loader";

/// Where an ET_DYN executable (PIE or static-PIE) is placed (Linux's ELF_ET_DYN_BASE for
/// Sv39: 2/3 of the user address space).
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
    /// The program interpreter named by PT_INTERP cannot be opened.
    #[error(
        "{path}: cannot open its program interpreter {interp}: {err} \
         (give the directory holding the target's libraries, e.g. -L /usr/riscv64-linux-gnu)"
    )]
    Interpreter {
        /// The program path.
        path: String,
        /// The interpreter path as PT_INTERP names it.
        interp: String,
        /// Why it cannot be opened.
        err: std::io::Error,
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
    /// Where execution starts: the interpreter's entry point if there is one, else the
    /// program's (e_entry plus the load bias).
    pub entry: u64,
    /// The initial stack pointer, pointing at argc.
    pub sp: u64,
    /// The first byte after the image: where the heap (brk) starts.
    pub brk_start: u64,
}

/// What goes on the initial stack besides the image's own auxv entries.
#[derive(Debug)]
pub struct StartInfo<'a> {
    /// argv, `argv[0]` first.
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

/// Loads the ELF at host path `path` into `mm`, with the program interpreter it names
/// (looked up as the guest's own opens are, through `files`), and builds the initial
/// stack from `start`.
pub fn load(
    mm: &AddressSpace,
    files: &Files,
    path: &Path,
    start: &StartInfo,
) -> Result<LoadedImage, LoadError> {
    let name = path.display().to_string();
    // Without blocking: a FIFO would wait for a writer before `ElfFile::read` refuses it.
    let fd = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|err| LoadError::Read {
            path: name.clone(),
            err,
        })?;
    load_opened(mm, files, name, fd.into(), start)
}

/// [`load`] of the program open at `fd`, called `name` in messages (execve opened it as
/// the guest's opens are).
pub fn load_opened(
    mm: &AddressSpace,
    files: &Files,
    name: String,
    fd: OwnedFd,
    start: &StartInfo,
) -> Result<LoadedImage, LoadError> {
    let file = ElfFile::read(name.clone(), fd)?;
    let program = file.parse()?;
    let map_err = |why: String| LoadError::Map {
        path: name.clone(),
        why,
    };

    let place = match program.header.e_type {
        header::ET_DYN => Placement::Bias(et_dyn_base(&program)),
        _ => Placement::Bias(0),
    };
    let image = file.map((mm, files), &program, place)?;
    debug!(
        target: LOG,
        program = %name,
        dynamic = program.header.e_type == header::ET_DYN,
        bias = format_args!("{:#x}", image.bias),
        entry = format_args!("{:#x}", image.entry),
        "image mapped"
    );
    let interp = match program.interpreter {
        Some(interp) => {
            let mapped = load_interpreter(mm, files, &name, interp)?;
            debug!(
                target: LOG,
                interpreter = interp,
                bias = format_args!("{:#x}", mapped.bias),
                entry = format_args!("{:#x}", mapped.entry),
                "program interpreter mapped"
            );
            Some(mapped)
        }
        None => None,
    };

    let exec_stack = program.program_headers.iter().any(|ph| {
        ph.p_type == program_header::PT_GNU_STACK && ph.p_flags & program_header::PF_X != 0
    });
    let mut stack_prot = prot::READ | prot::WRITE;
    if exec_stack {
        stack_prot |= prot::EXEC;
    }
    mm.mmap(
        STACK_TOP - STACK_SIZE,
        STACK_SIZE,
        stack_prot,
        map::PRIVATE | map::ANONYMOUS | map::FIXED_NOREPLACE | map::GROWSDOWN,
    )
    .map_err(|e| map_err(format!("stack: {e}")))?;

    let auxv = stack::Auxv {
        phdr: image.phdr,
        phent: program.header.e_phentsize as u64,
        phnum: program.header.e_phnum as u64,
        entry: image.entry,
        base: interp.as_ref().map_or(0, |i| i.bias),
    };
    let sp =
        stack::build_stack(mm, start, &auxv).map_err(|e| map_err(format!("initial stack: {e}")))?;
    let brk_start = page_ceil(image.end);
    mm.set_brk_start(brk_start);
    let entry = interp.map_or(image.entry, |i| i.entry);
    debug!(
        target: LOG,
        stack = format_args!("{:#x}..{:#x}", STACK_TOP - STACK_SIZE, STACK_TOP),
        executable_stack = exec_stack,
        sp = format_args!("{sp:#x}"),
        brk = format_args!("{brk_start:#x}"),
        entry = format_args!("{entry:#x}"),
        "ready to start"
    );
    Ok(LoadedImage {
        entry,
        sp,
        brk_start,
    })
}

/// Linux's load bias of an ET_DYN executable: ELF_ET_DYN_BASE, aligned down to the
/// largest power-of-two p_align of its PT_LOAD segments beyond a page.
fn et_dyn_base(elf: &goblin::elf::Elf) -> u64 {
    let align = elf
        .program_headers
        .iter()
        .filter(|ph| ph.p_type == program_header::PT_LOAD && ph.p_align.is_power_of_two())
        .map(|ph| ph.p_align)
        .max()
        .unwrap_or(PAGE_SIZE)
        .max(PAGE_SIZE);
    ET_DYN_BASE & !(align - 1)
}

/// Opens and maps the program interpreter `interp` that program `program` names: an
/// ET_DYN interpreter goes where mmap finds room for it (below the stack, top down), an
/// ET_EXEC one at its own addresses.
fn load_interpreter(
    mm: &AddressSpace,
    files: &Files,
    program: &str,
    interp: &str,
) -> Result<elf::Mapped, LoadError> {
    let fd = files
        .open_exec(interp.as_bytes())
        .map_err(|err| LoadError::Interpreter {
            path: program.to_string(),
            interp: interp.to_string(),
            err: std::io::Error::from_raw_os_error(err.0),
        })?;
    let file = ElfFile::read(interp.to_string(), fd)?;
    let elf = file.parse()?;
    if elf.interpreter.is_some() {
        return Err(file.unsupported("a program interpreter names an interpreter of its own"));
    }
    let place = match elf.header.e_type {
        header::ET_DYN => Placement::Anywhere,
        _ => Placement::Bias(0),
    };
    file.map((mm, files), &elf, place)
}

fn page_ceil(v: u64) -> u64 {
    v.div_ceil(PAGE_SIZE) * PAGE_SIZE
}
