//! The parking primitive behind every explicit wait queue (rw-semaphores, futexes).
//!
//! A waiter enqueues a [`Parker`] in the queue it waits on, releases the queue's lock and
//! parks; whoever dequeues it calls [`Parker::unpark`]. The token is sticky, so an unpark
//! that races ahead of the park is never lost.

use parking_lot::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// A one-waiter wake-up token.
#[derive(Debug, Default)]
pub struct Parker {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl Parker {
    /// A parker with no pending wake-up.
    pub fn new() -> Self {
        Self::default()
    }

    /// Blocks until [`unpark`](Self::unpark) has been called, then consumes the wake-up.
    pub fn park(&self) {
        let mut w = self.woken.lock();
        while !*w {
            self.cv.wait(&mut w);
        }
        *w = false;
    }

    /// Blocks until woken or until `timeout` elapses; returns whether it was woken.
    pub fn park_timeout(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut w = self.woken.lock();
        while !*w {
            if self.cv.wait_until(&mut w, deadline).timed_out() {
                break;
            }
        }
        std::mem::replace(&mut *w, false)
    }

    /// Wakes the parked waiter, or makes its next park return at once.
    pub fn unpark(&self) {
        *self.woken.lock() = true;
        self.cv.notify_one();
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
