//! `FlatEnv`: a [`HartEnv`] on a flat, shareable byte buffer at a fixed base address,
//! with configurable faults.

use crate::cpu::{Cpu, Exit, HartEnv};
use devices::cast::u64_to_usize;
use devices::cast::{low_u16, low_u32, low_u8};
use mmu::fault::{Access, FaultKind};
use mmu::MemFault;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

/// Guest memory shared by the harts of a test. Backed by `AtomicU64`s so that host
/// atomics on it are aligned; plain accesses go through raw pointers and tests keep them
/// from racing with writes to the same bytes.
pub(super) struct FlatMem {
    pub base: u64,
    words: Box<[AtomicU64]>,
}

impl FlatMem {
    pub(super) fn new(base: u64, size: usize) -> Arc<FlatMem> {
        let words = (0..size.div_ceil(8)).map(|_| AtomicU64::new(0)).collect();
        Arc::new(FlatMem { base, words })
    }

    pub(super) fn len(&self) -> u64 {
        self.words.len() as u64 * 8
    }

    fn offset(&self, addr: u64, size: u64) -> Option<usize> {
        let off = addr.checked_sub(self.base)?;
        (off.checked_add(size)? <= self.len()).then_some(u64_to_usize(off))
    }

    fn ptr(&self, off: usize) -> *mut u8 {
        // SAFETY: callers pass offsets that `offset` checked against the buffer.
        unsafe { self.words.as_ptr().cast::<u8>().cast_mut().add(off) }
    }

    pub(super) fn read(&self, addr: u64, buf: &mut [u8]) {
        let off = self.offset(addr, buf.len() as u64).expect("read in bounds");
        // SAFETY: in bounds; no test writes these bytes concurrently.
        unsafe { std::ptr::copy_nonoverlapping(self.ptr(off), buf.as_mut_ptr(), buf.len()) }
    }

    pub(super) fn write(&self, addr: u64, data: &[u8]) {
        let off = self
            .offset(addr, data.len() as u64)
            .expect("write in bounds");
        // SAFETY: in bounds; no test accesses these bytes concurrently.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.ptr(off), data.len()) }
    }

    pub(super) fn read_u64(&self, addr: u64) -> u64 {
        let mut b = [0; 8];
        self.read(addr, &mut b);
        u64::from_le_bytes(b)
    }

    pub(super) fn write_u64(&self, addr: u64, v: u64) {
        self.write(addr, &v.to_le_bytes());
    }

    /// Writes instruction words (16-bit parcels are given as words below 0x10000 whose
    /// low bits are not 0b11, and take 2 bytes); returns the address after them.
    pub(super) fn write_code(&self, mut addr: u64, code: &[u32]) -> u64 {
        for &insn in code {
            if insn & 3 != 3 {
                self.write(addr, &low_u16(u64::from(insn)).to_le_bytes());
                addr += 2;
            } else {
                self.write(addr, &insn.to_le_bytes());
                addr += 4;
            }
        }
        addr
    }
}

/// A hart's view of a [`FlatMem`].
pub(super) struct FlatEnv {
    pub mem: Arc<FlatMem>,
    /// Addresses whose accesses fault (any access), with the kind reported.
    pub fault_ranges: Vec<(Range<u64>, FaultKind)>,
    /// Addresses that cannot be executed.
    pub no_exec: Vec<Range<u64>>,
    pub epoch: Arc<AtomicU64>,
    pub interrupt: Arc<AtomicBool>,
    pub now_ns: u64,
    /// The thread's CPU time, as a clock that schedules threads reports it.
    pub cpu_time_ns: Option<u64>,
    /// Addresses whose loads and stores miss the TLB fast path (and go out of line).
    pub tlb_miss: Vec<Range<u64>>,
    /// Number of parcels fetched, to observe decoding.
    pub fetches: u64,
}

impl FlatEnv {
    pub(super) fn new(mem: Arc<FlatMem>) -> FlatEnv {
        FlatEnv {
            mem,
            fault_ranges: Vec::new(),
            no_exec: Vec::new(),
            epoch: Arc::new(AtomicU64::new(0)),
            interrupt: Arc::new(AtomicBool::new(false)),
            now_ns: 0,
            cpu_time_ns: None,
            tlb_miss: Vec::new(),
            fetches: 0,
        }
    }

    fn check(&self, addr: u64, size: u64, access: Access) -> Result<usize, MemFault> {
        let fault = |kind| MemFault { addr, access, kind };
        for (range, kind) in &self.fault_ranges {
            if addr < range.end && addr + size > range.start {
                return Err(fault(*kind));
            }
        }
        if access == Access::Exec && self.no_exec.iter().any(|r| r.contains(&addr)) {
            return Err(fault(FaultKind::Protection));
        }
        self.mem
            .offset(addr, size)
            .ok_or(fault(FaultKind::Unmapped))
    }

    fn misses_tlb(&self, addr: u64) -> bool {
        self.tlb_miss.iter().any(|r| r.contains(&addr))
    }

    fn atomic(&self, addr: u64, size: u64) -> Result<*mut u8, MemFault> {
        let off = self.check(addr, size, Access::Write)?;
        if addr & (size - 1) != 0 {
            return Err(MemFault {
                addr,
                access: Access::Write,
                kind: FaultKind::Misaligned,
            });
        }
        Ok(self.mem.ptr(off))
    }
}

impl HartEnv for FlatEnv {
    fn load(&mut self, addr: u64, size: u32) -> Result<u64, MemFault> {
        let p = self
            .mem
            .ptr(self.check(addr, u64::from(size), Access::Read)?);
        // SAFETY (each arm): `check` bounds-checked the access; tests keep it from racing.
        Ok(match size {
            // SAFETY: as above.
            1 => u64::from(unsafe { p.read() }),
            // SAFETY: as above.
            2 => u64::from(unsafe { p.cast::<u16>().read_unaligned() }),
            // SAFETY: as above.
            4 => u64::from(unsafe { p.cast::<u32>().read_unaligned() }),
            // SAFETY: as above.
            _ => unsafe { p.cast::<u64>().read_unaligned() },
        })
    }

    fn store(&mut self, addr: u64, size: u32, val: u64) -> Result<(), MemFault> {
        let p = self
            .mem
            .ptr(self.check(addr, u64::from(size), Access::Write)?);
        // SAFETY (each arm): as for `load`.
        match size {
            // SAFETY: as above.
            1 => unsafe { p.write(low_u8(val)) },
            // SAFETY: as above.
            2 => unsafe { p.cast::<u16>().write_unaligned(low_u16(val)) },
            // SAFETY: as above.
            4 => unsafe { p.cast::<u32>().write_unaligned(low_u32(val)) },
            // SAFETY: as above.
            _ => unsafe { p.cast::<u64>().write_unaligned(val) },
        }
        Ok(())
    }

    // Every access that would not fault counts as a hit, so the tests run the handlers'
    // fast paths, and faults (and the `tlb_miss` ranges) their out-of-line paths.
    fn load_hit(&mut self, addr: u64, size: u32) -> Option<u64> {
        if self.misses_tlb(addr) {
            return None;
        }
        self.load(addr, size).ok()
    }

    fn store_hit(&mut self, addr: u64, size: u32, val: u64) -> bool {
        !self.misses_tlb(addr) && self.store(addr, size, val).is_ok()
    }

    fn fetch_u16(&mut self, addr: u64) -> Result<u16, MemFault> {
        self.fetches += 1;
        let off = self.check(addr, 2, Access::Exec)?;
        let mut b = [0u8; 2];
        // SAFETY: as for `load`.
        unsafe { std::ptr::copy_nonoverlapping(self.mem.ptr(off), b.as_mut_ptr(), 2) };
        Ok(u16::from_le_bytes(b))
    }

    fn atomic_u32(&mut self, addr: u64) -> Result<&AtomicU32, MemFault> {
        let p = self.atomic(addr, 4)?;
        // SAFETY: aligned, in bounds, and lives as long as `self.mem`.
        Ok(unsafe { AtomicU32::from_ptr(p.cast()) })
    }

    fn atomic_u64(&mut self, addr: u64) -> Result<&AtomicU64, MemFault> {
        let p = self.atomic(addr, 8)?;
        // SAFETY: as for `atomic_u32`.
        Ok(unsafe { AtomicU64::from_ptr(p.cast()) })
    }

    fn interrupt_pending(&self) -> bool {
        self.interrupt.load(Ordering::Relaxed)
    }

    fn icache_epoch(&self) -> u64 {
        self.epoch.load(Ordering::Relaxed)
    }

    fn now_ns(&self) -> u64 {
        self.now_ns
    }

    fn cpu_time_ns(&self) -> Option<u64> {
        self.cpu_time_ns
    }
}

/// Where test code is placed (page-aligned).
pub(super) const CODE: u64 = 0x1_0000;
/// A data area after the code.
pub(super) const DATA: u64 = 0x2_0000;
/// Size of the test memory.
pub(super) const MEM_SIZE: usize = 0x2_0000;

/// A fresh memory and environment with `code` at [`CODE`].
pub(super) fn setup(code: &[u32]) -> (FlatEnv, Cpu) {
    let mem = FlatMem::new(CODE, MEM_SIZE);
    mem.write_code(CODE, code);
    (FlatEnv::new(mem), Cpu::new(CODE))
}

/// Runs `code` with the given initial registers until it exits; returns the hart.
pub(super) fn run_code(code: &[u32], regs: &[(usize, u64)]) -> (Cpu, Exit) {
    let (mut env, mut cpu) = setup(code);
    for &(r, v) in regs {
        cpu.x[r] = v;
    }
    let exit = cpu.run(&mut env);
    (cpu, exit)
}
