//! Signal delivery: what the kernel does between a signal becoming deliverable and the
//! handler running, and back again through rt_sigreturn.
//!
//! The system-call side (dispositions, masks, kill) lives in `syscall::signal`; this
//! module owns the guest-visible structures and the hart-side mechanics.

pub mod altstack;
pub mod deliver;
pub mod frame;
pub mod info;
pub mod trampoline;
