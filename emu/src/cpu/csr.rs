//! The user-level CSRs: the floating-point control and status registers and the
//! read-only counters.

use super::insn::{Insn, Op};
use super::{Cpu, HartEnv};
use devices::cast::low_u8;

/// Accrued floating-point exception flags.
pub const FFLAGS: u16 = 0x001;
/// Dynamic rounding mode.
pub const FRM: u16 = 0x002;
/// fflags | frm << 5.
pub const FCSR: u16 = 0x003;
/// Cycle counter: the thread's CPU time at [`CYCLES_PER_NS`] where the clock measures
/// it, else one cycle per retired instruction.
pub const CYCLE: u16 = 0xc00;
/// Wall-clock time in ticks of [`TIMEBASE_NS`].
pub const TIME: u16 = 0xc01;
/// Retired-instruction counter.
pub const INSTRET: u16 = 0xc02;
/// Nanoseconds per `time` tick: a 10 MHz timebase, as on common RISC-V Linux boards.
pub const TIMEBASE_NS: u64 = 100;
/// The core's frequency for the `cycle` CSR, in cycles per nanosecond: the ~2 GHz core
/// the cost model describes.
pub const CYCLES_PER_NS: u64 = 2;

/// Whether user code may access CSR `number`, writing it if `writes`. Decoding turns
/// every other access into an illegal instruction, so execution never sees one.
pub(super) fn is_accessible(number: u16, writes: bool) -> bool {
    match number {
        FFLAGS | FRM | FCSR => true,
        CYCLE | TIME | INSTRET => !writes,
        _ => false,
    }
}

impl Cpu {
    /// Executes a csrr* instruction that decoding accepted, with `instret` counting the
    /// instructions retired before it.
    #[inline(never)]
    pub(super) fn exec_csr<E: HartEnv>(&mut self, insn: &Insn, env: &E) {
        #[allow(clippy::cast_possible_truncation)] // the immediate is the 12-bit CSR number
        let number = insn.imm as u16;
        let old = match number {
            FFLAGS => u64::from(self.fflags),
            FRM => u64::from(self.frm),
            FCSR => u64::from(self.fcsr()),
            // The clock's time lags behind by the instructions not yet charged.
            TIME => (env.now_ns() + self.pacing.uncharged_ns(self.instret)) / TIMEBASE_NS,
            CYCLE => match env.cpu_time_ns() {
                Some(ns) => {
                    (ns + self.pacing.uncharged_ns(self.instret)).saturating_mul(CYCLES_PER_NS)
                }
                None => self.instret,
            },
            _ => self.instret,
        };
        let (src, writes) = match insn.op {
            Op::Csrrw | Op::Csrrs | Op::Csrrc => (
                self.x[insn.rs1 as usize & 31],
                insn.rs1 != 0 || insn.op == Op::Csrrw,
            ),
            _ => (u64::from(insn.rs1), insn.rs1 != 0 || insn.op == Op::Csrrwi),
        };
        let new = match insn.op {
            Op::Csrrw | Op::Csrrwi => src,
            Op::Csrrs | Op::Csrrsi => old | src,
            _ => old & !src,
        };
        if writes {
            match number {
                FFLAGS => self.fflags = low_u8(new) & 0x1f,
                FRM => self.frm = low_u8(new) & 7,
                FCSR => {
                    self.fflags = low_u8(new) & 0x1f;
                    self.frm = low_u8(new >> 5) & 7;
                }
                // The counters are read-only: decoding rejects writes to them.
                _ => {}
            }
        }
        self.x[insn.rd as usize & 31] = old;
        self.x[0] = 0;
    }
}
