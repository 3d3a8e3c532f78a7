//! The pieces of faultline that know nothing of CPUs or page tables: the time base every
//! wait and every time read goes through, and the parking primitive that lock wait queues
//! build on.
//!
//! Only the host clock exists so far; the virtual clock plugs in behind the same
//! [`Clock`] and [`Parker`] seam.

pub mod clock;
pub mod park;

pub use clock::{Clock, HostClock};
pub use park::Parker;
