//! [`HartSignal`]: the requests other threads raise on a hart (the emulator's, TLB
//! shootdowns) and its fatal-signal flag, which ends the hart's killable waits.

use devices::Parker;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

/// Request bits reserved for the emulator (bits 0..=15).
pub(crate) const EMULATOR_BITS: u32 = 0xffff;
/// The memory manager's TLB shootdown request.
const SHOOTDOWN_BIT: u32 = 1 << 16;
/// The memory manager's notice that decoded code may be stale (the icache epoch moved):
/// the hart's one stop word covers it, so its run loop checks one word per block.
const ICACHE_BIT: u32 = 1 << 17;

/// Requests another thread may raise on a hart: it sees them at its next block boundary.
/// A fatal signal ([`HartSignal::kill`]) also ends the hart's killable waits at once.
#[derive(Debug, Default)]
pub struct HartSignal {
    word: AtomicU32,
    /// Linux's `fatal_signal_pending`.
    fatal: AtomicBool,
    /// The parker of the killable wait the hart is in, if any.
    killable_wait: Mutex<Option<Arc<Parker>>>,
}

impl HartSignal {
    /// Raises the emulator-level request bit `bit` (bits 0..=15 are the emulator's; the
    /// memory manager uses the others for TLB shootdowns).
    pub fn raise(&self, bit: u32) {
        assert!(bit < 16, "emulator request bit {bit} out of 0..=15");
        // Release: what the raiser wrote before is visible to the hart that takes the bit.
        self.word.fetch_or(1 << bit, Ordering::Release);
    }

    /// Takes (clears and returns) the emulator-level request bits.
    pub fn take(&self) -> u32 {
        self.word.fetch_and(!EMULATOR_BITS, Ordering::Acquire) & EMULATOR_BITS
    }

    /// Whether any request (emulator or memory manager) is pending.
    #[inline]
    pub fn pending(&self) -> bool {
        self.word.load(Ordering::Relaxed) != 0
    }

    pub(crate) fn raise_shootdown(&self) {
        self.word.fetch_or(SHOOTDOWN_BIT, Ordering::SeqCst);
    }

    /// Tells the hart that the icache epoch moved. Release: the bump before it is seen
    /// by the hart that takes the bit.
    pub(crate) fn raise_icache(&self) {
        self.word.fetch_or(ICACHE_BIT, Ordering::Release);
    }

    pub(crate) fn clear_shootdown(&self) {
        self.word.fetch_and(!SHOOTDOWN_BIT, Ordering::SeqCst);
    }

    pub(crate) fn take_all(&self) -> u32 {
        self.word.swap(0, Ordering::SeqCst)
    }

    /// Marks a fatal signal pending for the hart: a killable wait it is in (or enters)
    /// for `mmap_lock` gives up, as the kernel's `*_killable` lock calls do, and the mm
    /// call or fault that made it fails (EINTR, or a fault reported as [`crate::types::FaultKind::Killed`]).
    /// Uninterruptible waits are not affected. The flag stays set: the hart is dying.
    pub fn kill(&self) {
        self.fatal.store(true, Ordering::SeqCst);
        if let Some(p) = self.killable_wait.lock().as_ref() {
            p.unpark();
        }
    }

    /// Whether [`kill`](Self::kill) was called.
    pub fn fatal_pending(&self) -> bool {
        self.fatal.load(Ordering::SeqCst)
    }

    /// Registers the parker of a killable wait, so that `kill` wakes it. The waiter checks
    /// [`fatal_pending`](Self::fatal_pending) after this and before every park.
    pub(crate) fn arm_kill(&self, parker: &Arc<Parker>) {
        *self.killable_wait.lock() = Some(parker.clone());
    }

    /// Unregisters the parker of a finished killable wait.
    pub(crate) fn disarm_kill(&self) {
        *self.killable_wait.lock() = None;
    }
}
