//! A hart's software TLB: direct-mapped tables of read, write and execute translations.
//!
//! Each entry holds the virtual page number as its tag and an addend that turns a guest
//! address in that page into a host address (`host = va + addend`), so a hit costs one
//! compare and one add. Separate tables per access kind mean a permission check is just
//! "is there an entry in this table": a page is entered in a table only if its
//! page-table entry allows that kind of access.
//!
//! Entries are private to the hart; other threads invalidate them only by asking the
//! hart to flush (TLB shootdown, see [`crate::hart_mem`]).

use crate::pagetable::Pte;
use crate::types::{PAGE_SHIFT, PAGE_SIZE};

/// Number of sets in each table.
pub(crate) const TLB_SETS: usize = 512;

#[derive(Clone, Copy)]
#[repr(C)]
struct Entry {
    tag: u64,
    addend: u64,
}

/// No virtual page number reaches this (`va >> PAGE_SHIFT` < 2^52).
const INVALID: Entry = Entry {
    tag: u64::MAX,
    addend: 0,
};

type Table = [Entry; TLB_SETS];

/// The TLB of one hart.
pub(crate) struct Tlb {
    read: Box<Table>,
    write: Box<Table>,
    exec: Box<Table>,
}

impl Default for Tlb {
    fn default() -> Self {
        Self::new()
    }
}

#[inline(always)]
fn probe(table: &Table, addr: u64, size: u64) -> Option<*mut u8> {
    let vpn = addr >> PAGE_SHIFT;
    let e = &table[vpn as usize & (TLB_SETS - 1)];
    // The offset test sends page-crossing accesses to the slow path.
    if e.tag == vpn && (addr & (PAGE_SIZE - 1)) + size <= PAGE_SIZE {
        Some(addr.wrapping_add(e.addend) as *mut u8)
    } else {
        None
    }
}

impl Tlb {
    /// An empty TLB.
    pub(crate) fn new() -> Self {
        Tlb {
            read: Box::new([INVALID; TLB_SETS]),
            write: Box::new([INVALID; TLB_SETS]),
            exec: Box::new([INVALID; TLB_SETS]),
        }
    }

    /// The host address of a `size`-byte read at `addr`, if it hits without crossing a page.
    #[inline(always)]
    pub(crate) fn probe_read(&self, addr: u64, size: u64) -> Option<*mut u8> {
        probe(&self.read, addr, size)
    }

    /// The host address of a `size`-byte write at `addr`, if it hits without crossing a page.
    #[inline(always)]
    pub(crate) fn probe_write(&self, addr: u64, size: u64) -> Option<*mut u8> {
        probe(&self.write, addr, size)
    }

    /// The host address of a `size`-byte fetch at `addr`, if it hits without crossing a page.
    #[inline(always)]
    pub(crate) fn probe_exec(&self, addr: u64, size: u64) -> Option<*mut u8> {
        probe(&self.exec, addr, size)
    }

    /// Enters the page containing `va`, mapped at host address `host_page`, into each table
    /// its entry `pte` permits, except the write table for writable code pages (stores to
    /// those take the slow path, which tells the decoded-code cache).
    pub(crate) fn fill(&mut self, va: u64, host_page: *mut u8, pte: Pte) {
        use crate::types::Access;
        let vpn = va >> PAGE_SHIFT;
        let e = Entry {
            tag: vpn,
            addend: (host_page as u64).wrapping_sub(vpn << PAGE_SHIFT),
        };
        let set = vpn as usize & (TLB_SETS - 1);
        if pte.allows(Access::Read) {
            self.read[set] = e;
        }
        if pte.allows(Access::Write) && !pte.is_writable_code() {
            self.write[set] = e;
        }
        if pte.allows(Access::Exec) {
            self.exec[set] = e;
        }
    }

    /// Drops every translation.
    pub(crate) fn flush(&mut self) {
        self.read.fill(INVALID);
        self.write.fill(INVALID);
        self.exec.fill(INVALID);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::prot;

    #[test]
    fn fill_probe_flush() {
        let mut tlb = Tlb::new();
        let mut page = vec![0u8; 8192];
        let host = page.as_mut_ptr();
        let va = 0x1234_5000;
        tlb.fill(va, host, Pte::new(1, prot::READ));
        assert_eq!(tlb.probe_read(va + 8, 8), Some(host.wrapping_add(8)));
        assert_eq!(tlb.probe_read(va + 4092, 8), None, "crosses the page");
        assert_eq!(tlb.probe_read(va + 4088, 8), Some(host.wrapping_add(4088)));
        assert_eq!(tlb.probe_write(va, 1), None);
        assert_eq!(tlb.probe_read(va + 4096, 1), None);
        tlb.fill(va, host, Pte::new(1, prot::READ | prot::WRITE | prot::EXEC));
        assert_eq!(
            tlb.probe_write(va, 1),
            None,
            "writable code stays out of the write table"
        );
        assert!(tlb.probe_exec(va, 2).is_some());
        tlb.fill(va, host, Pte::new(1, prot::READ | prot::WRITE));
        assert!(tlb.probe_write(va, 4).is_some());
        tlb.flush();
        assert_eq!(tlb.probe_read(va, 1), None);
        assert_eq!(tlb.probe_exec(va, 2), None);
    }
}
