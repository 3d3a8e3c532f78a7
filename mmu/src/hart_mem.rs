//! [`HartMem`]: a hart's private path to guest memory through its software TLB.
//!
//! Loads, stores and fetches first probe the TLB (one compare, one add); a miss walks the
//! shared page table without locks and, if the page is missing or lacks the permission,
//! runs the fault handler ([`crate::fault`]) and walks again.
//!
//! Why a TLB hit may touch the frame without any lock: frames are freed only after a TLB
//! shootdown (the `shootdown` module), which waits until this hart has flushed its TLB at a
//! block boundary ([`HartMem::service_interrupts`]) or is outside guest code
//! ([`HartMem::leave_guest`]). Memory accesses through a `HartMem` must therefore be made
//! in guest state; a TLB miss made outside it re-enters guest state first.

use crate::caller::HartShared;
use crate::current;
use crate::fault::{self, PteFaultHandler};
use crate::fault_state;
use crate::hart_signal::{HartSignal, EMULATOR_BITS};
use crate::mm_core::MmCore;
use crate::pagetable::{self, Pte, TASK_SIZE};
use crate::space::AddressSpace;
use crate::stats::Counter;
use crate::stats::HartStats;
use crate::tlb::Tlb;
use crate::types::FaultError;
use crate::types::{Access, FaultKind, MemFault, PAGE_SIZE};
use crate::vma_index::VmaView;
use devices::cast::{low_u16, low_u32, low_u8};
use devices::storage::IoPriority;
use devices::Cost;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

/// One hart's handle on its address space: TLB, statistics, shootdown acknowledgement.
pub struct HartMem {
    tlb: Tlb,
    signal: Arc<HartSignal>,
    shared: Arc<HartShared>,
    space: Arc<AddressSpace>,
    /// The space's core, held directly: the icache epoch read at every block boundary
    /// and the page table read at every miss are one pointer away instead of two.
    core: Arc<MmCore>,
    /// The TLB generation the TLB is current with.
    seen_gen: u64,
    /// The VMA snapshot this hart's faults last looked in.
    vma_view: VmaView,
}

impl std::fmt::Debug for HartMem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HartMem")
            .field("tid", &self.shared.tid)
            .field("seen_gen", &self.seen_gen)
            .finish_non_exhaustive()
    }
}

#[cold]
#[inline(never)]
fn bad_size(size: u32) -> ! {
    panic!("guest access of {size} bytes (must be 1, 2, 4 or 8)")
}

/// Reads `size` bytes, little-endian, at host address `p`.
///
/// # Safety
/// `p..p + size` must lie in one allocated frame the caller may access.
#[inline(always)]
unsafe fn read_host(p: *const u8, size: u32) -> u64 {
    // Guest memory is shared with other harts: accesses go through raw pointers only,
    // never references, and races between harts are the guest's own.
    match size {
        // SAFETY: `p` is readable for `size` bytes (the caller's contract).
        1 => u64::from(unsafe { p.read() }),
        // SAFETY: as above; the read is unaligned.
        2 => u64::from(unsafe { (p as *const u16).read_unaligned() }.to_le()),
        // SAFETY: as above.
        4 => u64::from(unsafe { (p as *const u32).read_unaligned() }.to_le()),
        // SAFETY: as above.
        8 => unsafe { (p as *const u64).read_unaligned() }.to_le(),
        _ => bad_size(size),
    }
}

/// Writes the low `size` bytes of `val`, little-endian, at host address `p`.
///
/// # Safety
/// As for [`read_host`].
#[inline(always)]
unsafe fn write_host(p: *mut u8, size: u32, val: u64) {
    match size {
        // SAFETY: `p` is writable for `size` bytes (the caller's contract).
        1 => unsafe { p.write(low_u8(val)) },
        // SAFETY: as above; the write is unaligned.
        2 => unsafe { (p as *mut u16).write_unaligned(low_u16(val).to_le()) },
        // SAFETY: as above.
        4 => unsafe { (p as *mut u32).write_unaligned(low_u32(val).to_le()) },
        // SAFETY: as above.
        8 => unsafe { (p as *mut u64).write_unaligned(val.to_le()) },
        _ => bad_size(size),
    }
}

fn check_size(size: u32) {
    if !matches!(size, 1 | 2 | 4 | 8) {
        bad_size(size)
    }
}

fn crosses_page(addr: u64, size: u32) -> bool {
    (addr & (PAGE_SIZE - 1)) + size as u64 > PAGE_SIZE
}

impl HartMem {
    pub(crate) fn new(space: Arc<AddressSpace>, shared: Arc<HartShared>, seen_gen: u64) -> HartMem {
        HartMem {
            tlb: Tlb::new(),
            signal: shared.signal.clone(),
            shared,
            core: space.core().clone(),
            space,
            seen_gen,
            vma_view: VmaView::default(),
        }
    }

    /// Loads `size` (1, 2, 4 or 8) bytes, little-endian, zero-extended. Misaligned and
    /// page-crossing accesses work (Linux emulates misaligned scalar accesses).
    #[inline]
    pub fn load(&mut self, addr: u64, size: u32) -> Result<u64, MemFault> {
        match self.load_hit(addr, size) {
            Some(v) => Ok(v),
            None => self.load_slow(addr, size),
        }
    }

    /// Stores the low `size` (1, 2, 4 or 8) bytes of `val`, little-endian.
    #[inline]
    pub fn store(&mut self, addr: u64, size: u32, val: u64) -> Result<(), MemFault> {
        match self.store_hit(addr, size, val) {
            true => Ok(()),
            false => self.store_slow(addr, size, val),
        }
    }

    /// [`load`](Self::load) if it hits in the TLB without crossing a page, else `None`
    /// (and nothing done): the interpreter inlines this and calls `load` out of line.
    #[inline(always)]
    pub fn load_hit(&self, addr: u64, size: u32) -> Option<u64> {
        let p = self.tlb.probe_read(addr, size as u64)?;
        // SAFETY: a TLB entry's frame stays allocated until this hart flushes (module docs).
        Some(unsafe { read_host(p, size) })
    }

    /// [`store`](Self::store) if it hits in the TLB without crossing a page; returns
    /// whether it did.
    #[inline(always)]
    pub fn store_hit(&mut self, addr: u64, size: u32, val: u64) -> bool {
        match self.tlb.probe_write(addr, size as u64) {
            Some(p) => {
                // SAFETY: as in `load_hit`.
                unsafe { write_host(p, size, val) };
                true
            }
            None => false,
        }
    }

    /// Fetches the 16-bit parcel at `addr` for execution (needs PROT_EXEC).
    #[inline]
    pub fn fetch_u16(&mut self, addr: u64) -> Result<u16, MemFault> {
        match self.tlb.probe_exec(addr, 2) {
            // SAFETY: as in `load_hit`.
            Some(p) => Ok(low_u16(unsafe { read_host(p, 2) })),
            None => self.fetch_slow(addr),
        }
    }

    /// The host atomic behind the naturally aligned u32 at `addr`, with write permission.
    #[inline]
    pub fn atomic_u32(&mut self, addr: u64) -> Result<&AtomicU32, MemFault> {
        let p = match self.tlb.probe_write(addr, 4) {
            Some(p) if addr & 3 == 0 => p,
            _ => self.atomic_slow(addr, 4)?,
        };
        // SAFETY: aligned, inside a live frame for as long as `self` is borrowed (no
        // flush can happen meanwhile); guest memory is only ever accessed through raw
        // pointers and atomics.
        Ok(unsafe { AtomicU32::from_ptr(p.cast()) })
    }

    /// The host atomic behind the naturally aligned u64 at `addr`, with write permission.
    #[inline]
    pub fn atomic_u64(&mut self, addr: u64) -> Result<&AtomicU64, MemFault> {
        let p = match self.tlb.probe_write(addr, 8) {
            Some(p) if addr & 7 == 0 => p,
            _ => self.atomic_slow(addr, 8)?,
        };
        // SAFETY: as in `atomic_u32`.
        Ok(unsafe { AtomicU64::from_ptr(p.cast()) })
    }

    /// Whether a request (shootdown, icache epoch change or emulator bit) waits; one
    /// relaxed load.
    #[inline]
    pub fn interrupt_pending(&self) -> bool {
        self.signal.pending()
    }

    /// Acknowledges pending shootdowns (flushing the TLB) and returns the emulator-level
    /// request bits that were raised, clearing them.
    pub fn service_interrupts(&mut self) -> u32 {
        // Taking the bits first: a shootdown raised after this is seen next time, and one
        // raised before has already bumped the generation `sync_tlb` reads.
        let bits = self.signal.take_all();
        self.sync_tlb();
        bits & EMULATOR_BITS
    }

    /// Marks the hart as outside guest code (in a system call or blocked): shootdowns no
    /// longer wait for it. [`enter_guest`](Self::enter_guest) flushes what they invalidated.
    pub fn leave_guest(&mut self) {
        current::claim(&self.shared);
        self.forget_vmas();
        // SeqCst (hence release): every access through the TLB happens before an initiator
        // that reads `false` frees anything.
        self.shared.in_guest.store(false, Ordering::SeqCst);
        self.core.shootdown().notify_waiters();
    }

    /// Marks the hart as running guest code again.
    pub fn enter_guest(&mut self) {
        current::claim(&self.shared);
        // The store must precede the generation load (Dekker, see `crate::shootdown`).
        self.shared.in_guest.store(true, Ordering::SeqCst);
        self.signal.clear_shootdown();
        self.sync_tlb();
    }

    /// The generation of decoded code: it changes whenever cached decodes may be stale.
    #[inline]
    pub fn icache_epoch(&self) -> u64 {
        self.core.icache_epoch()
    }

    /// The signal handle other threads use to interrupt this hart.
    pub fn signal(&self) -> Arc<HartSignal> {
        self.signal.clone()
    }

    /// The address space this hart runs in.
    pub fn space(&self) -> &Arc<AddressSpace> {
        &self.space
    }

    /// This hart's counters.
    pub fn stats(&self) -> &HartStats {
        &self.shared.stats
    }

    /// Tells the memory manager whether the guest thread runs under a real-time scheduling
    /// policy: a real-time thread's lock waits claim the handoff at once, as Linux's do.
    pub fn set_realtime(&mut self, realtime: bool) {
        self.shared.realtime.store(realtime, Ordering::Relaxed);
    }

    /// Sets the I/O priority the guest thread's page-cache reads carry (its effective one,
    /// from `ioprio_set(2)`, nice and scheduling policy).
    pub fn set_io_priority(&mut self, priority: IoPriority) {
        self.shared
            .io_priority
            .store(priority.to_raw(), Ordering::Relaxed);
    }

    /// The guest thread id this hart was attached with.
    pub fn tid(&self) -> u32 {
        self.shared.tid
    }

    /// Drops the cached VMA snapshot: a stale one would keep removed VMAs, and the shared
    /// objects behind them, alive until this hart's next fault.
    fn forget_vmas(&mut self) {
        self.vma_view = VmaView::default();
    }

    /// Flushes the TLB if the generation moved and acknowledges the current generation.
    fn sync_tlb(&mut self) {
        let gen = self.core.shootdown().generation();
        if gen != self.seen_gen {
            self.forget_vmas();
            self.tlb.flush();
            self.seen_gen = gen;
            self.shared.stats.add(Counter::TlbFlushes, 1);
        }
        if self.shared.acked_gen.load(Ordering::Relaxed) != gen {
            self.shared.acked_gen.store(gen, Ordering::SeqCst);
            self.core.shootdown().notify_waiters();
        }
    }

    #[cold]
    #[inline(never)]
    fn load_slow(&mut self, addr: u64, size: u32) -> Result<u64, MemFault> {
        check_size(size);
        if crosses_page(addr, size) {
            // Byte by byte, as Linux's misaligned-access emulation does: the fault
            // reports the first inaccessible byte.
            let mut v = 0;
            for i in 0..size {
                v |= self.load(addr.wrapping_add(i as u64), 1)? << (8 * i);
            }
            return Ok(v);
        }
        let (p, _) = self.translate(addr, Access::Read)?;
        // SAFETY: `translate` returned a live frame address with room for the access.
        Ok(unsafe { read_host(p, size) })
    }

    #[cold]
    #[inline(never)]
    fn store_slow(&mut self, addr: u64, size: u32, val: u64) -> Result<(), MemFault> {
        check_size(size);
        if crosses_page(addr, size) {
            for i in 0..size {
                self.store(addr.wrapping_add(i as u64), 1, val >> (8 * i))?;
            }
            return Ok(());
        }
        let (p, pte) = self.translate(addr, Access::Write)?;
        // SAFETY: as in `load_slow`.
        unsafe { write_host(p, size, val) };
        if pte.is_writable_code() {
            // After the store: whoever sees the new epoch sees the new code.
            self.core.bump_icache_epoch();
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn fetch_slow(&mut self, addr: u64) -> Result<u16, MemFault> {
        if crosses_page(addr, 2) {
            let lo = self.fetch_byte(addr)?;
            let hi = self.fetch_byte(addr.wrapping_add(1))?;
            return Ok(lo as u16 | (hi as u16) << 8);
        }
        let (p, _) = self.translate(addr, Access::Exec)?;
        // SAFETY: as in `load_slow`.
        Ok(low_u16(unsafe { read_host(p, 2) }))
    }

    fn fetch_byte(&mut self, addr: u64) -> Result<u8, MemFault> {
        let (p, _) = self.translate(addr, Access::Exec)?;
        // SAFETY: as in `load_slow`.
        Ok(unsafe { p.read() })
    }

    #[cold]
    #[inline(never)]
    fn atomic_slow(&mut self, addr: u64, size: u64) -> Result<*mut u8, MemFault> {
        if addr & (size - 1) != 0 {
            return Err(MemFault {
                addr,
                access: Access::Write,
                kind: FaultKind::Misaligned,
            });
        }
        let (p, pte) = self.translate(addr, Access::Write)?;
        if pte.is_writable_code() {
            // Before the atomic operation (it happens in the caller): the epoch moves
            // within the current block, so the next block boundary sees it.
            self.core.bump_icache_epoch();
        }
        Ok(p)
    }

    /// Translates `addr` for `access`, faulting the page in if needed, and enters it into
    /// the TLB. Returns the host address and the page's entry.
    fn translate(&mut self, addr: u64, access: Access) -> Result<(*mut u8, Pte), MemFault> {
        self.shared.stats.add(Counter::TlbMisses, 1);
        self.core.clock().charge(Cost::TlbMiss, 1);
        if !self.shared.in_guest.load(Ordering::Relaxed) {
            self.enter_guest();
        }
        if addr >= TASK_SIZE {
            return Err(MemFault {
                addr,
                access,
                kind: FaultKind::Unmapped,
            });
        }
        let mut pte = self.core.page_table().lookup(addr);
        // The accessed bit is set before the entry enters the TLB, as a RISC-V MMU with
        // hardware A-bit updates does; an entry that changed meanwhile is looked at again.
        while !(pte.allows(access) && pte.is_accessed()) {
            pte = match pte.allows(access) {
                true => match self.core.page_table().slot(addr) {
                    Some(slot) => pagetable::mark_accessed(slot, pte),
                    None => Pte::EMPTY,
                },
                false => {
                    self.fault_in(addr, access)?;
                    // Reclaim may have taken the page again (its shootdown waited for
                    // the acknowledgement `fault_in` ends with): only the entry as it is
                    // once this hart has acknowledged may go into the TLB.
                    self.core.page_table().lookup(addr)
                }
            };
        }
        let host_page = self.core.frames().host_ptr(pte.frame());
        self.tlb.fill(addr, host_page, pte);
        Ok((
            host_page.wrapping_add((addr & (PAGE_SIZE - 1)) as usize),
            pte,
        ))
    }

    /// Runs the fault state machine under the address space's policy. Its lock waits
    /// leave guest state (the writer holding a lock may be waiting for this very hart to
    /// acknowledge a shootdown); if a shootdown went by meanwhile, the TLB is flushed
    /// before the access goes on.
    fn fault_in(&mut self, addr: u64, access: Access) -> Result<Pte, MemFault> {
        // The space is borrowed, not cloned: its reference count is shared by every hart,
        // and an increment and decrement per fault bounced its cache line between them.
        let space: &MmCore = &self.core;
        let caller = space.caller();
        let handler = PteFaultHandler {
            space,
            stats: &self.shared.stats,
        };
        let r = fault_state::handle_guest_fault(
            space,
            &caller,
            &mut self.vma_view,
            addr,
            access,
            &handler,
        )
        .map_err(|e| match e {
            FaultError::Fault(kind) => kind,
            FaultError::Killed => FaultKind::Killed,
            FaultError::OutOfMemory => fault::out_of_memory(space),
        });
        self.sync_tlb();
        r.map_err(|kind| MemFault { addr, access, kind })
    }
}

impl Drop for HartMem {
    fn drop(&mut self) {
        self.core.shootdown().detach(&self.shared);
        current::release(&self.shared);
        self.core.frames().detach(&self.shared);
    }
}

impl AddressSpace {
    /// Registers a hart (guest thread `tid`) and returns its private access handle. The hart
    /// takes part in TLB shootdowns from now until the handle is dropped.
    ///
    /// The hart starts outside guest code: shootdowns do not wait for it until it enters
    /// guest code ([`HartMem::enter_guest`], or implicitly at its first TLB miss).
    pub fn attach_hart(self: &Arc<Self>, tid: u32) -> HartMem {
        let stats = Arc::new(HartStats::default());
        self.core().add_hart_stats(tid, stats.clone());
        let shared = Arc::new(self.core().new_hart(tid, stats));
        self.core().frames().adopt(&shared);
        let gen = self.core().shootdown().attach(shared.clone());
        shared.acked_gen.store(gen, Ordering::SeqCst);
        HartMem::new(self.clone(), shared, gen)
    }
}
