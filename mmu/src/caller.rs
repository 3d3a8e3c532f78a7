//! The harts as the rest of the memory manager sees them: [`HartShared`], the part of a
//! hart other threads look at, and [`Caller`], the hart (if any) a call is made for.

use crate::hart_signal::HartSignal;
use crate::stats::HartStats;
use devices::storage::IoPriority;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

/// The part of a hart that other threads look at.
pub(crate) struct HartShared {
    /// The guest thread id.
    pub tid: u32,
    /// The address space's unique id.
    pub space_id: u64,
    /// Whether the hart may be using its TLB (running guest code).
    pub in_guest: AtomicBool,
    /// The last TLB generation the hart flushed for.
    pub acked_gen: AtomicU64,
    /// Token of the thread running the hart ([`crate::current`]); 0 once detached.
    pub owner: AtomicU64,
    /// Request bits (shootdown and emulator requests).
    pub signal: Arc<HartSignal>,
    /// The hart's counters.
    pub stats: Arc<HartStats>,
    /// Whether the guest thread runs under a real-time scheduling policy.
    pub realtime: AtomicBool,
    /// The guest thread's effective I/O priority (`ioprio_set(2)` encoding), which its
    /// page-cache reads carry.
    pub io_priority: AtomicU16,
    /// The hart's own free frames, in front of its frame pool's free list.
    pub frames: HartFrames,
}

/// A hart's own free frames (Linux's per-CPU page lists): the frames its faults take
/// and its frees give back while it runs, in front of the frame pool's free list, so
/// that harts faulting side by side do not meet on the pool's lock for every frame.
/// Frames move between this list and the pool in batches; the pool keeps the logic
/// (`crate::frames`), the list lives with the rest of the hart.
#[derive(Default)]
pub(crate) struct HartFrames {
    /// The id of the pool whose frames the list holds; 0 while the hart uses no pool's
    /// list (before it is adopted, and once it is detached).
    pub pool: AtomicU64,
    /// The frames, each with whether it is still zero from the host (never handed out).
    /// Only the hart touches it, except when the pool runs dry and takes every list back.
    pub list: Mutex<Vec<(u32, bool)>>,
    /// The list's length, readable without its lock: the pool counts these frames as
    /// free. Changed with the pool's lock held whenever frames move to or from the pool.
    pub len: AtomicU32,
}

impl HartShared {
    /// The shared part of a new hart, guest thread `tid` of address space `space_id`,
    /// counting into `stats`: outside guest code, not claimed by any thread, at the
    /// default I/O priority.
    pub(crate) fn new(tid: u32, space_id: u64, stats: Arc<HartStats>) -> HartShared {
        HartShared {
            tid,
            space_id,
            in_guest: AtomicBool::new(false),
            acked_gen: AtomicU64::new(0),
            owner: AtomicU64::new(0),
            signal: Arc::default(),
            stats,
            realtime: AtomicBool::new(false),
            io_priority: AtomicU16::new(IoPriority::DEFAULT.to_raw()),
            frames: HartFrames::default(),
        }
    }

    /// The guest thread's effective I/O priority.
    pub(crate) fn io_priority(&self) -> IoPriority {
        IoPriority::from_raw(self.io_priority.load(Ordering::Relaxed))
            .unwrap_or(IoPriority::DEFAULT)
    }

    /// Whether an initiator of generation `gen` need not wait for this hart.
    pub(crate) fn released(&self, gen: u64) -> bool {
        !self.in_guest.load(Ordering::SeqCst) || self.acked_gen.load(Ordering::SeqCst) >= gen
    }
}

/// The hart (if any) on whose behalf the calling thread acts.
pub(crate) struct Caller(pub(crate) Option<Arc<HartShared>>);

impl Caller {
    /// The caller's hart, for shootdowns that must not wait for their own initiator.
    pub(crate) fn hart(&self) -> Option<&HartShared> {
        self.0.as_deref()
    }

    /// Who the caller's storage requests are for: its thread id and I/O priority (0 and
    /// the default outside any hart).
    pub(crate) fn io(&self) -> (u32, IoPriority) {
        self.hart()
            .map_or((0, IoPriority::DEFAULT), |h| (h.tid, h.io_priority()))
    }
}
