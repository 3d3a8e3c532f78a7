//! The simulated storage device that guest page faults wait on.
//!
//! Requests (read or write, offset, length, submitting thread, I/O priority) queue under
//! a scheduler ([`IoScheduler`]: fifo, strict priority, or deadline) for a device with a
//! number of parallel channels. Each request's service time comes from a
//! [`LatencyModel`], plus `len / bandwidth` under a [`Bandwidth`] cap; the device may
//! stall ([`StallModel`]) and fail reads ([`ErrorInjection`]). Every random choice comes
//! from one seed.
//!
//! The decisions live in [`DeviceModel`], which knows no clock: it is told the time and
//! says when each request starts and ends. [`StorageDevice`] drives it on a
//! [`Clock`](crate::Clock) from a dispatcher thread and moves real bytes to and from a
//! [`BackingStore`]. [`spec`] parses the command-line syntax of every setting.

mod backing;
mod device;
mod duration;
mod faults;
mod io_stats;
mod io_trace;
mod latency;
mod model;
mod prio;
mod regions;
mod request;
mod sched;
pub mod spec;
mod stall;

pub use backing::BackingStore;
pub use device::{IoDone, IoOp, StorageDevice};
pub use faults::{ErrorInjection, InvalidErrorInjection};
pub use io_stats::{ClassStats, DeviceStats, LatencyHistogram};
pub use latency::{Bandwidth, InvalidLatency, LatencyModel};
pub use model::{DeviceConfig, DeviceModel, ZeroDepth};
pub use prio::{
    effective_io_priority, task_nice_ioclass, task_nice_ioprio, InvalidIoPriority, IoClass,
    IoPriority, IOPRIO_CLASS_SHIFT, IOPRIO_NORM, IOPRIO_NR_LEVELS,
};
pub use regions::{file_region, FILE_SPAN};
pub use request::{Completion, IoError, IoKind, IoRequest, RequestId};
pub use sched::{DeadlineTunables, IoScheduler, WRITES_STARVED};
pub use stall::{InvalidStall, StallModel};
