//! The parking primitive behind every explicit wait queue (rw-semaphores, futexes).
//!
//! A waiter enqueues a [`Parker`] in the queue it waits on, releases the queue's lock and
//! parks; whoever dequeues it calls [`Parker::unpark`]. The token is sticky, so an unpark
//! that races ahead of the park is never lost.
//!
//! A clock that schedules tasks itself (the virtual clock) does not block the host thread
//! on the parker: it arms the parker with a [`WakeHook`], and the unpark tells the clock
//! which task became runnable.

use crate::task::TaskId;
use parking_lot::{Condvar, Mutex};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Who learns of an unpark of a parker a scheduled task waits on.
pub trait WakeHook: Send + Sync {
    /// `task`, waiting on a parker, was unparked.
    fn wake(&self, task: TaskId);
}

/// A one-waiter wake-up token.
#[derive(Debug, Default)]
pub struct Parker {
    state: Mutex<ParkState>,
    cv: Condvar,
}

/// The token, and the scheduled task waiting on it, if one is.
#[derive(Default)]
struct ParkState {
    woken: bool,
    hook: Option<(Arc<dyn WakeHook>, TaskId)>,
}

impl fmt::Debug for ParkState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParkState")
            .field("woken", &self.woken)
            .field("task", &self.hook.as_ref().map(|(_, t)| *t))
            .finish()
    }
}

impl Parker {
    /// A parker with no pending wake-up.
    pub fn new() -> Self {
        Self::default()
    }

    /// Blocks until [`unpark`](Self::unpark) has been called, then consumes the wake-up.
    pub fn park(&self) {
        let mut s = self.state.lock();
        while !s.woken {
            self.cv.wait(&mut s);
        }
        s.woken = false;
    }

    /// Blocks until woken or until `timeout` elapses; returns whether it was woken.
    pub fn park_timeout(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut s = self.state.lock();
        while !s.woken {
            if self.cv.wait_until(&mut s, deadline).timed_out() {
                break;
            }
        }
        std::mem::replace(&mut s.woken, false)
    }

    /// [`park_timeout`](Self::park_timeout) for `ns` nanoseconds of host time: the host
    /// wait of a clock's caller that is no task of it.
    pub fn park_for_ns(&self, ns: u64) -> bool {
        self.park_timeout(Duration::from_nanos(ns))
    }

    /// Wakes the parked waiter, or makes its next park return at once.
    pub fn unpark(&self) {
        let hook = {
            let mut s = self.state.lock();
            s.woken = true;
            s.hook.take()
        };
        self.cv.notify_one();
        if let Some((hook, task)) = hook {
            hook.wake(task);
        }
    }

    /// For a scheduling clock: consumes a pending wake-up and returns true, or else
    /// records that `task` waits here, so that the next unpark calls `hook`.
    pub fn arm(&self, hook: Arc<dyn WakeHook>, task: TaskId) -> bool {
        let mut s = self.state.lock();
        if std::mem::replace(&mut s.woken, false) {
            return true;
        }
        s.hook = Some((hook, task));
        false
    }

    /// For a scheduling clock, when its task runs again: forgets the task and consumes
    /// the wake-up; returns whether there was one (false: the wait timed out).
    pub fn disarm(&self) -> bool {
        let mut s = self.state.lock();
        s.hook = None;
        std::mem::replace(&mut s.woken, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn unpark_before_park_is_not_lost() {
        let p = Parker::new();
        p.unpark();
        p.park();
    }

    #[test]
    fn park_timeout_reports_timeout() {
        let p = Parker::new();
        assert!(!p.park_timeout(Duration::from_millis(5)));
        p.unpark();
        assert!(p.park_timeout(Duration::from_millis(5)));
    }

    #[test]
    fn unpark_from_other_thread_wakes() {
        let p = Arc::new(Parker::new());
        let q = p.clone();
        let t = std::thread::spawn(move || q.park());
        std::thread::sleep(Duration::from_millis(10));
        p.unpark();
        t.join().unwrap();
    }
}
