//! Which hart the calling host thread runs, as far as the memory manager knows.
//!
//! The system-call side of the API ([`crate::MmCore`]) is not told which hart calls
//! it, yet it needs to know: lock acquisitions are counted into the calling hart's stats,
//! a shootdown must not wait for its own initiator, and a hart that blocks on `mmap_lock`
//! must stop counting as "in guest code" while it waits. A [`crate::hart_mem::HartMem`] claims the
//! thread it runs on whenever it enters or leaves guest code or misses in its TLB; the
//! claim is checked against the hart's owner token, so a thread that merely used to run a
//! hart (or ran one of another address space) is not mistaken for it.

use crate::caller::HartShared;
use crate::stats::Daemon;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static TOKEN: u64 = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
    static CURRENT: RefCell<Option<Arc<HartShared>>> = const { RefCell::new(None) };
    static DAEMON: Cell<Option<Daemon>> = const { Cell::new(None) };
}

/// Records that the calling thread is the memory manager's background thread `daemon`
/// (for its whole life).
pub(crate) fn become_daemon(daemon: Daemon) {
    DAEMON.with(|d| d.set(Some(daemon)));
}

/// The background thread the calling thread is, if it is one.
pub(crate) fn daemon() -> Option<Daemon> {
    DAEMON.with(Cell::get)
}

/// A token unique to the calling thread (never 0).
pub(crate) fn thread_token() -> u64 {
    TOKEN.with(|t| *t)
}

/// Records that the calling thread runs `hart`.
pub(crate) fn claim(hart: &Arc<HartShared>) {
    let token = thread_token();
    if hart.owner.load(Ordering::Relaxed) != token {
        hart.owner.store(token, Ordering::Relaxed);
    }
    CURRENT.with(|c| {
        let mut c = c.borrow_mut();
        if !c.as_ref().is_some_and(|h| Arc::ptr_eq(h, hart)) {
            *c = Some(hart.clone());
        }
    });
}

/// The hart of address space `space_id` the calling thread runs, if any.
pub(crate) fn hart_in(space_id: u64) -> Option<Arc<HartShared>> {
    let token = thread_token();
    CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|h| h.space_id == space_id && h.owner.load(Ordering::Relaxed) == token)
            .cloned()
    })
}

/// Calls `f` with the hart the calling thread runs (of any address space), if any,
/// borrowed: no reference count moves, so that per-fault paths can look at it.
pub(crate) fn with_hart<R>(f: impl FnOnce(Option<&HartShared>) -> R) -> R {
    let token = thread_token();
    let mut f = Some(f);
    // try_with: during thread-local destruction the thread runs no hart.
    let found = CURRENT.try_with(|c| {
        let c = c.borrow();
        let hart = c
            .as_deref()
            .filter(|h| h.owner.load(Ordering::Relaxed) == token);
        f.take().map(|f| f(hart))
    });
    match (found, f) {
        (Ok(Some(r)), _) => r,
        (_, Some(f)) => f(None),
        (_, None) => unreachable!("f ran or is still here"),
    }
}

/// Forgets `hart` if the calling thread had claimed it.
pub(crate) fn release(hart: &Arc<HartShared>) {
    // try_with: a hart dropped during thread-local destruction has nothing to release.
    let _ = CURRENT.try_with(|c| {
        let mut c = c.borrow_mut();
        if c.as_ref().is_some_and(|h| Arc::ptr_eq(h, hart)) {
            *c = None;
        }
    });
}
