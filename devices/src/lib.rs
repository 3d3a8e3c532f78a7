//! The pieces of faultline that know nothing of CPUs or page tables: the time base every
//! wait and every time read goes through, the parking primitive that lock wait queues
//! build on, and the simulated storage device.
//!
//! Only the host clock exists so far; the virtual clock plugs in behind the same
//! [`Clock`] and [`Parker`] seam.

pub mod cast;
pub mod clock;
pub mod park;
pub mod storage;

pub use clock::{Clock, HostClock, SharedClock};
pub use park::Parker;
