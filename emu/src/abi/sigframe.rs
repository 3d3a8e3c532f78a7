//! The riscv64 `struct rt_sigframe` a handler finds on its stack: a `siginfo_t`
//! followed by a `struct ucontext` holding the interrupted registers, laid out byte for
//! byte as Linux writes it (arch/riscv/kernel/signal.c and the uapi headers).
//!
//! ```text
//! rt_sigframe   0  siginfo_t                        128 bytes
//!             128  ucontext
//! ucontext      0  uc_flags, uc_link                  8 + 8
//!              16  uc_stack (stack_t)                24
//!              40  uc_sigmask, then room for 1024 signals
//!             176  uc_mcontext (sigcontext, 16-aligned)
//! sigcontext    0  sc_regs: pc, x1..x31              32 x 8
//!             256  FP union (the size of the Q state) 528
//! FP union      0  f0..f31                           32 x 8
//!             256  fcsr                               4
//!             516  sc_extdesc.reserved (zero)         4
//!             520  first extension header: END (magic 0, size 0)
//! ```

use super::altstack::STACK_T_SIZE;
use super::siginfo::{SigInfo, SIGINFO_SIZE};
use crate::cpu::Cpu;

const UC_STACK: usize = 16;
const UC_SIGMASK: usize = 40;
/// Offset of `uc_mcontext` in the ucontext.
pub(crate) const UC_MCONTEXT: usize = 176;
const SC_REGS_SIZE: usize = 32 * 8;
const UC_FPREGS: usize = UC_MCONTEXT + SC_REGS_SIZE;
const FP_FCSR: usize = 32 * 8;
/// `sc_extdesc.reserved`: Linux writes zero and refuses a frame where it is not.
const FP_EXT_RESERVED: usize = 516;
/// The extension headers start here; faultline saves no extension state, so the first
/// one is the END header (magic 0, size 0) that a zeroed area already is.
const FP_EXT_HDR: usize = 520;
const FP_STATE_SIZE: usize = 528;

/// Size of `struct ucontext`.
pub(crate) const UCONTEXT_SIZE: usize = UC_FPREGS + FP_STATE_SIZE;
/// Offset of the ucontext in the frame.
pub(crate) const FRAME_UCONTEXT: usize = SIGINFO_SIZE;
/// Size of `struct rt_sigframe`.
pub(crate) const FRAME_SIZE: usize = FRAME_UCONTEXT + UCONTEXT_SIZE;

/// The state a signal frame saves and rt_sigreturn puts back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SavedContext {
    /// Where the interrupted code resumes.
    pub pc: u64,
    /// x0..x31 (x0 is neither saved nor restored: its slot holds the pc).
    pub x: [u64; 32],
    /// f0..f31.
    pub f: [u64; 32],
    /// fflags | frm << 5.
    pub fcsr: u32,
    /// The signal mask to return to.
    pub mask: u64,
}

impl SavedContext {
    /// The registers of `cpu` and the thread's signal mask.
    pub(crate) fn capture(cpu: &Cpu, mask: u64) -> SavedContext {
        SavedContext {
            pc: cpu.pc,
            x: cpu.x,
            f: cpu.f,
            fcsr: cpu.fcsr(),
            mask,
        }
    }

    /// Puts the saved pc, x1..x31, f0..f31 and fcsr back into `cpu`.
    pub(crate) fn restore(&self, cpu: &mut Cpu) {
        cpu.pc = self.pc;
        cpu.x[1..].copy_from_slice(&self.x[1..]);
        cpu.f = self.f;
        cpu.set_fcsr(self.fcsr);
    }
}

fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn get_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn get_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// The bytes of a complete frame: `info`, then a ucontext saving `ctx` and describing
/// the alternate stack as `uc_stack`.
pub(crate) fn build(info: &SigInfo, ctx: &SavedContext, uc_stack: &[u8; STACK_T_SIZE]) -> Vec<u8> {
    let mut frame = vec![0u8; FRAME_SIZE];
    frame[..SIGINFO_SIZE].copy_from_slice(&info.encode());
    let uc = &mut frame[FRAME_UCONTEXT..];
    uc[UC_STACK..UC_STACK + STACK_T_SIZE].copy_from_slice(uc_stack);
    put_u64(uc, UC_SIGMASK, ctx.mask);
    put_u64(uc, UC_MCONTEXT, ctx.pc);
    for i in 1..32 {
        put_u64(uc, UC_MCONTEXT + 8 * i, ctx.x[i]);
    }
    for (i, &f) in ctx.f.iter().enumerate() {
        put_u64(uc, UC_FPREGS + 8 * i, f);
    }
    uc[UC_FPREGS + FP_FCSR..UC_FPREGS + FP_FCSR + 4].copy_from_slice(&ctx.fcsr.to_le_bytes());
    frame
}

/// Reads the context back from the ucontext bytes of a frame. None if the extension
/// area is not the empty one a frame built here has: Linux refuses such a frame, and so
/// does rt_sigreturn here.
pub(crate) fn parse_ucontext(uc: &[u8; UCONTEXT_SIZE]) -> Option<SavedContext> {
    let ext = UC_FPREGS + FP_EXT_RESERVED;
    let hdr = UC_FPREGS + FP_EXT_HDR;
    if get_u32(uc, ext) != 0 || get_u32(uc, hdr) != 0 || get_u32(uc, hdr + 4) != 0 {
        return None;
    }
    let mut x = [0u64; 32];
    for (i, r) in x.iter_mut().enumerate().skip(1) {
        *r = get_u64(uc, UC_MCONTEXT + 8 * i);
    }
    let mut f = [0u64; 32];
    for (i, r) in f.iter_mut().enumerate() {
        *r = get_u64(uc, UC_FPREGS + 8 * i);
    }
    Some(SavedContext {
        pc: get_u64(uc, UC_MCONTEXT),
        x,
        f,
        fcsr: get_u32(uc, UC_FPREGS + FP_FCSR),
        mask: get_u64(uc, UC_SIGMASK),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::altstack::AltStack;
    use crate::abi::siginfo::code;

    fn ucontext_of(frame: &[u8]) -> [u8; UCONTEXT_SIZE] {
        frame[FRAME_UCONTEXT..].try_into().unwrap()
    }

    #[test]
    fn sizes_and_offsets_match_linux() {
        assert_eq!(UC_MCONTEXT, 176, "offsetof(ucontext_t, uc_mcontext)");
        assert_eq!(UC_MCONTEXT % 16, 0, "sigcontext is 16-aligned");
        assert_eq!(UCONTEXT_SIZE, 960, "sizeof(ucontext_t)");
        assert_eq!(FRAME_SIZE, 1088, "sizeof(struct rt_sigframe)");
        assert_eq!(FRAME_SIZE % 16, 0);
        assert_eq!(FRAME_UCONTEXT % 16, 0);
    }

    #[test]
    fn registers_sit_in_gregs_order() {
        let mut cpu = Cpu::new(0x1_0000);
        for i in 1..32 {
            cpu.x[i] = 0x100 + i as u64;
            cpu.f[i] = 0x200 + i as u64;
        }
        cpu.set_fcsr(0xe5);
        let info = SigInfo::breakpoint(0x1_0000);
        let frame = build(
            &info,
            &SavedContext::capture(&cpu, 0x400),
            &AltStack::DISABLED.to_stack_t(0),
        );
        assert_eq!(frame.len(), FRAME_SIZE);
        assert_eq!(
            i32::from_le_bytes(frame[8..12].try_into().unwrap()),
            code::TRAP_BRKPT
        );
        let uc = &frame[FRAME_UCONTEXT..];
        assert_eq!(get_u64(uc, UC_MCONTEXT), 0x1_0000, "gregs[0] is the pc");
        assert_eq!(get_u64(uc, UC_MCONTEXT + 8 * 2), 0x102, "gregs[2] is sp");
        assert_eq!(get_u64(uc, UC_MCONTEXT + 8 * 31), 0x11f, "gregs[31] is t6");
        assert_eq!(get_u64(uc, UC_FPREGS + 8 * 31), 0x21f);
        assert_eq!(get_u32(uc, UC_FPREGS + FP_FCSR), 0xe5);
        assert_eq!(get_u64(uc, UC_SIGMASK), 0x400);
        assert_eq!(get_u32(uc, UC_STACK + 8), 2, "uc_stack says SS_DISABLE");
    }

    #[test]
    fn build_then_restore_round_trips() {
        let mut cpu = Cpu::new(0xdead_beef);
        for i in 0..32 {
            cpu.x[i] = (i as u64).wrapping_mul(0x0101_0101_0101_0101);
            cpu.f[i] = !(i as u64);
        }
        cpu.x[0] = 0;
        cpu.set_fcsr(0x7f);
        let saved = SavedContext::capture(&cpu, 0x8000_0000_0000_0001);
        let frame = build(
            &SigInfo::sent(10, code::SI_USER, 1, 2),
            &saved,
            &[0; STACK_T_SIZE],
        );
        let parsed = parse_ucontext(&ucontext_of(&frame)).expect("a frame built here parses");
        assert_eq!(parsed, saved);

        let mut other = Cpu::new(0);
        other.x = [0x55; 32];
        other.x[0] = 0;
        parsed.restore(&mut other);
        assert_eq!(
            (other.pc, other.x, other.f, other.fcsr()),
            (cpu.pc, cpu.x, cpu.f, cpu.fcsr())
        );
    }

    #[test]
    fn nonzero_extension_area_is_refused() {
        let cpu = Cpu::new(0);
        let frame = build(
            &SigInfo::breakpoint(0),
            &SavedContext::capture(&cpu, 0),
            &[0; STACK_T_SIZE],
        );
        for at in [
            UC_FPREGS + FP_EXT_RESERVED,
            UC_FPREGS + FP_EXT_HDR,
            UC_FPREGS + FP_EXT_HDR + 4,
        ] {
            let mut uc = ucontext_of(&frame);
            uc[at] = 1;
            assert_eq!(parse_ucontext(&uc), None, "byte {at}");
        }
    }
}
