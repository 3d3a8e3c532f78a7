//! Mapping one ELF file's PT_LOAD segments as Linux's `elf_load` does: each segment is a
//! private mapping of the file through the page cache, so image pages are read on first
//! touch and, being clean, can be dropped under memory pressure and read again; the bss
//! tail of the last file page is zeroed (making that page a private copy) and the rest of
//! the bss is anonymous zero memory.

use super::LoadError;
use crate::os::cached_files;
use crate::os::fdtable::HostFd;
use crate::os::files::Files;
use devices::cast::u64_to_usize;
use goblin::elf::{header, program_header, program_header::ProgramHeader, Elf};
use mmu::pagecache::CachedFile;
use mmu::{map, prot, AddressSpace, PAGE_SIZE};
use std::io::Read;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use tracing::debug;

const EM_RISCV: u16 = 243;

/// An ELF file opened for loading: its bytes (for the headers) and its host descriptor.
pub(super) struct ElfFile {
    /// The path, for error messages.
    pub name: String,
    bytes: Vec<u8>,
    fd: HostFd,
}

/// Where a file's segments were placed.
pub(super) enum Placement {
    /// At the given load bias (ET_EXEC: 0).
    Bias(u64),
    /// Wherever mmap would put the whole image (an ET_DYN interpreter).
    Anywhere,
}

/// What loading one ELF file produced.
pub(super) struct Mapped {
    /// The load bias added to every p_vaddr.
    pub bias: u64,
    /// The entry point, biased.
    pub entry: u64,
    /// The program headers in memory (AT_PHDR); 0 if no segment holds them.
    pub phdr: u64,
    /// The end of the highest segment (p_vaddr + p_memsz), biased.
    pub end: u64,
}

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

/// What a file that is not a regular one is, for an error message.
fn file_kind(kind: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else {
        "not a file"
    }
}

impl ElfFile {
    /// Reads the file `fd` opened as `name`.
    /// Only a regular file is read: a FIFO, a directory or a device is refused before
    /// anything waits on it (the caller opens without blocking).
    pub(super) fn read(name: String, fd: OwnedFd) -> Result<ElfFile, LoadError> {
        let mut file = std::fs::File::from(fd);
        let kind = match file.metadata() {
            Ok(m) => m.file_type(),
            Err(err) => return Err(LoadError::Read { path: name, err }),
        };
        if !kind.is_file() {
            return Err(LoadError::Unsupported {
                path: name,
                why: format!("not a regular file ({})", file_kind(kind)),
            });
        }
        let mut bytes = Vec::new();
        if let Err(err) = file.read_to_end(&mut bytes) {
            return Err(LoadError::Read { path: name, err });
        }
        Ok(ElfFile {
            name,
            bytes,
            fd: HostFd::new(file.into()),
        })
    }

    /// The parsed ELF, checked to be a 64-bit little-endian RISC-V executable or shared
    /// object.
    pub(super) fn parse(&self) -> Result<Elf<'_>, LoadError> {
        let elf = Elf::parse(&self.bytes).map_err(|e| self.malformed(e.to_string()))?;
        if !elf.is_64 || !elf.little_endian || elf.header.e_machine != EM_RISCV {
            return Err(self.unsupported("not a 64-bit little-endian RISC-V executable"));
        }
        if !matches!(elf.header.e_type, header::ET_EXEC | header::ET_DYN) {
            return Err(self.unsupported("not an executable (ET_EXEC or ET_DYN)"));
        }
        // Linux's load_elf_binary refuses both (ENOEXEC) rather than guess.
        if usize::from(elf.header.e_phentsize) != program_header::program_header64::SIZEOF_PHDR {
            return Err(self.malformed(format!(
                "e_phentsize is {}, not {}",
                elf.header.e_phentsize,
                program_header::program_header64::SIZEOF_PHDR
            )));
        }
        self.check_interpreter(&elf)?;
        Ok(elf)
    }

    /// Checks the first PT_INTERP (the one Linux uses): inside the file, 2 to PATH_MAX
    /// bytes, ending in its only NUL, and text.
    fn check_interpreter(&self, elf: &Elf) -> Result<(), LoadError> {
        let Some(ph) = elf
            .program_headers
            .iter()
            .find(|ph| ph.p_type == program_header::PT_INTERP)
        else {
            return Ok(());
        };
        let bad = |why: &str| Err(self.malformed(format!("PT_INTERP {why}")));
        let Some(end) = ph.p_offset.checked_add(ph.p_filesz) else {
            return bad("lies outside the file");
        };
        if end > self.bytes.len() as u64 {
            return bad("lies outside the file");
        }
        if !(2..=libc::PATH_MAX as u64).contains(&ph.p_filesz) {
            return bad(&format!("is {} bytes long", ph.p_filesz));
        }
        let path = &self.bytes[u64_to_usize(ph.p_offset)..u64_to_usize(end)];
        if path.last() != Some(&0) || path[..path.len() - 1].contains(&0) {
            return bad("is not one NUL-terminated path");
        }
        if elf.interpreter.is_none() {
            return bad("is not a text path");
        }
        Ok(())
    }

    /// A malformed-file error naming this file.
    pub(super) fn malformed(&self, why: String) -> LoadError {
        LoadError::Malformed {
            path: self.name.clone(),
            why,
        }
    }

    /// An unsupported-file error naming this file.
    pub(super) fn unsupported(&self, why: &str) -> LoadError {
        LoadError::Unsupported {
            path: self.name.clone(),
            why: why.into(),
        }
    }

    fn map_err(&self, what: &str, addr: u64, e: mmu::Errno) -> LoadError {
        LoadError::Map {
            path: self.name.clone(),
            why: format!("{what} at {addr:#x}: {e}"),
        }
    }

    /// Maps the PT_LOAD segments of `elf` (parsed from this file) into `mm` at `place`.
    pub(super) fn map(
        &self,
        (mm, files): (&AddressSpace, &Files),
        elf: &Elf,
        place: Placement,
    ) -> Result<Mapped, LoadError> {
        let loads = self.load_segments(elf)?;
        let (first, last) = (loads[0], loads[loads.len() - 1]);
        let lo = page_floor(first.p_vaddr);
        let total = page_ceil(last.p_vaddr + last.p_memsz) - lo;
        let bias = match place {
            Placement::Bias(bias) => bias,
            // Linux maps the first segment with the whole image's size where mmap finds
            // room and unmaps the excess; probing for that room chooses the same place.
            Placement::Anywhere => {
                let at = mm
                    .mmap(0, total, 0, map::PRIVATE | map::ANONYMOUS)
                    .map_err(|e| self.map_err("image", 0, e))?;
                mm.munmap(at, total)
                    .map_err(|e| self.map_err("image", at, e))?;
                at - lo
            }
        };
        if bias.checked_add(lo + total).is_none() {
            return Err(self.malformed("segment address overflows".into()));
        }
        let cached = cached_files::cached_regular_file(files, mm, &self.fd)
            .map_err(|e| self.map_err("image", bias + lo, e))?;
        for (i, ph) in loads.iter().enumerate() {
            // The first segment must not land on anything (MAP_FIXED_NOREPLACE); later ones
            // replace what an earlier one mapped in a shared page, as Linux's do.
            let fixed = if i == 0 {
                map::FIXED_NOREPLACE
            } else {
                map::FIXED
            };
            self.map_segment(mm, &cached, ph, bias, fixed)?;
        }
        Ok(Mapped {
            bias,
            entry: bias.wrapping_add(elf.header.e_entry),
            phdr: phdr_vaddr(elf, &loads).map_or(0, |v| bias + v),
            end: bias + last.p_vaddr + last.p_memsz,
        })
    }

    /// The PT_LOAD segments with memory, checked to lie inside the file, to agree in page
    /// offset between address and file offset, and to ascend.
    fn load_segments<'a>(&self, elf: &'a Elf) -> Result<Vec<&'a ProgramHeader>, LoadError> {
        let loads: Vec<_> = elf
            .program_headers
            .iter()
            .filter(|ph| ph.p_type == program_header::PT_LOAD && ph.p_memsz > 0)
            .collect();
        if loads.is_empty() {
            return Err(self.malformed("no PT_LOAD segment".into()));
        }
        let mut prev_end = 0;
        for ph in &loads {
            if ph.p_filesz > ph.p_memsz
                || ph
                    .p_offset
                    .checked_add(ph.p_filesz)
                    .is_none_or(|e| e > self.bytes.len() as u64)
            {
                return Err(self.malformed("a PT_LOAD segment lies outside the file".into()));
            }
            if ph.p_vaddr % PAGE_SIZE != ph.p_offset % PAGE_SIZE {
                return Err(self.malformed(
                    "a PT_LOAD segment's address and file offset differ within a page".into(),
                ));
            }
            let end = ph
                .p_vaddr
                .checked_add(ph.p_memsz)
                .filter(|&e| e.checked_add(PAGE_SIZE).is_some())
                .ok_or_else(|| self.malformed("segment address overflows".into()))?;
            if ph.p_vaddr < prev_end {
                return Err(self.malformed("PT_LOAD segments overlap or are out of order".into()));
            }
            prev_end = end;
        }
        Ok(loads)
    }

    /// Linux's `elf_load` for one segment at `bias`: the file part as a private file
    /// mapping, the bss as zeroes.
    fn map_segment(
        &self,
        mm: &AddressSpace,
        cached: &Arc<CachedFile>,
        ph: &ProgramHeader,
        bias: u64,
        fixed: u32,
    ) -> Result<(), LoadError> {
        let p = seg_prot(ph.p_flags);
        let vaddr = bias + ph.p_vaddr;
        let end = vaddr + ph.p_memsz;
        debug!(
            target: super::LOG,
            file = %self.name,
            vaddr = format_args!("{vaddr:#x}"),
            memsz = format_args!("{:#x}", ph.p_memsz),
            filesz = format_args!("{:#x}", ph.p_filesz),
            offset = format_args!("{:#x}", ph.p_offset),
            prot = %prot_letters(p),
            "PT_LOAD segment"
        );
        let mut zero_start = page_floor(vaddr);
        let mut fixed = fixed;
        if ph.p_filesz > 0 {
            let in_page = vaddr % PAGE_SIZE;
            let len = page_ceil(in_page + ph.p_filesz);
            mm.mmap_file(
                page_floor(vaddr),
                len,
                p,
                map::PRIVATE | fixed,
                (cached.clone(), ph.p_offset - in_page),
            )
            .map_err(|e| self.map_err("segment", vaddr, e))?;
            fixed = map::FIXED;
            zero_start = vaddr + ph.p_filesz;
            // padzero: the file bytes after p_filesz in its last page are not the
            // segment's; clearing them makes the page a private copy. A read-only
            // segment's tail stays as the file has it, as on Linux.
            let tail = page_ceil(zero_start) - zero_start;
            if ph.p_memsz > ph.p_filesz && tail > 0 {
                let zeroes = vec![0u8; u64_to_usize(tail)];
                if let Err(e) = mm.write_bytes(zero_start, &zeroes) {
                    if p & prot::WRITE != 0 {
                        return Err(self.map_err("bss", zero_start, e));
                    }
                }
            }
        }
        let (bss, bss_end) = (page_ceil(zero_start), page_ceil(end));
        if bss_end > bss {
            // vm_brk_flags: writable anonymous memory, executable if the segment is.
            let bss_prot = prot::READ | prot::WRITE | (p & prot::EXEC);
            mm.mmap(
                bss,
                bss_end - bss,
                bss_prot,
                map::PRIVATE | map::ANONYMOUS | fixed,
            )
            .map_err(|e| self.map_err("bss", bss, e))?;
        }
        Ok(())
    }
}

/// The unbiased address of the program headers: PT_PHDR's, else where the PT_LOAD
/// segment holding e_phoff puts them.
fn phdr_vaddr(elf: &Elf, loads: &[&ProgramHeader]) -> Option<u64> {
    elf.program_headers
        .iter()
        .find(|ph| ph.p_type == program_header::PT_PHDR)
        .map(|ph| ph.p_vaddr)
        .or_else(|| {
            let phoff = elf.header.e_phoff;
            loads
                .iter()
                .find(|ph| ph.p_offset <= phoff && phoff < ph.p_offset + ph.p_filesz)
                .map(|ph| ph.p_vaddr + (phoff - ph.p_offset))
        })
}

/// `rwx`-style letters of protection bits, for diagnostics.
fn prot_letters(p: u32) -> String {
    [(prot::READ, 'r'), (prot::WRITE, 'w'), (prot::EXEC, 'x')]
        .iter()
        .map(|&(bit, c)| if p & bit != 0 { c } else { '-' })
        .collect()
}
