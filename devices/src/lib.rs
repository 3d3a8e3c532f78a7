//! The pieces of faultline that know nothing of CPUs or page tables: the time base every
//! wait and every time read goes through, the parking primitive that lock wait queues
//! build on, and the simulated storage device.
//!
//! Two clocks plug into the same [`Clock`] and [`Parker`] seam: the host's
//! ([`HostClock`]) and the deterministic virtual one ([`VirtualClock`]).

pub mod cast;
pub mod clock;
pub mod cost;
pub mod park;
pub mod spawn;
pub mod storage;
pub mod task;
pub mod trace;
pub mod virtual_clock;

pub use clock::{Clock, HostClock, SharedClock};
pub use cost::{Cost, CostModel};
pub use park::Parker;
pub use spawn::spawn_task;
pub use task::{
    Budget, SchedParams, SchedPolicy, SchedStats, TaskId, TaskKind, TaskTicket, WaitNote,
};
pub use virtual_clock::{StallReason, StallReport, VirtualClock, VirtualConfig};
