//! The futex wait queues of a process, keyed by guest address (one process, so private
//! and shared futexes are the same). A waiter parks on its thread's parker through the
//! one interruptible wait ([`super::wait`]), so a signal ends it too.

use super::wait::{WaitEnd, WaitLimits, Waiter};
use devices::Parker;
use mmu::{AddressSpace, Errno};
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The bitset that matches every waiter (FUTEX_WAIT and FUTEX_WAKE use it).
pub(crate) const FUTEX_BITSET_MATCH_ANY: u32 = u32::MAX;

struct Queued {
    parker: Arc<Parker>,
    bitset: u32,
    woken: AtomicBool,
}

/// All futex wait queues of a process.
#[derive(Default)]
pub(crate) struct FutexTable {
    queues: Mutex<HashMap<u64, VecDeque<Arc<Queued>>>>,
}

impl FutexTable {
    /// FUTEX_WAIT(_BITSET): sleeps if the word at `addr` still holds `val`, until
    /// woken (`Ready`), interrupted by a signal, or past `deadline_ns` on the run clock.
    pub(crate) fn wait(
        &self,
        mm: &AddressSpace,
        waiter: &Waiter<'_>,
        addr: u64,
        (val, bitset): (u32, u32),
        deadline_ns: Option<u64>,
    ) -> Result<WaitEnd<()>, Errno> {
        if bitset == 0 {
            return Err(Errno::EINVAL);
        }
        let w = Arc::new(Queued {
            parker: waiter.me.parker().clone(),
            bitset,
            woken: AtomicBool::new(false),
        });
        {
            // The value check and the enqueue happen under the queue lock that wakers
            // take, so a wake between a guest's store and this check is never lost.
            let mut q = self.queues.lock();
            if mm.load_u32_atomic(addr)? != val {
                return Err(Errno::EAGAIN);
            }
            q.entry(addr).or_default().push_back(w.clone());
        }
        let limits = WaitLimits {
            deadline_ns,
            poll_every_ns: None,
        };
        let end = waiter.wait(limits, || w.woken.load(Ordering::Acquire).then_some(()));
        if end == WaitEnd::Ready(()) {
            return Ok(end);
        }
        let mut q = self.queues.lock();
        if w.woken.load(Ordering::Acquire) {
            return Ok(WaitEnd::Ready(()));
        }
        // Still queued, possibly requeued elsewhere: remove it wherever it sits.
        for list in q.values_mut() {
            list.retain(|x| !Arc::ptr_eq(x, &w));
        }
        q.retain(|_, l| !l.is_empty());
        Ok(end)
    }

    /// Wakes up to `n` waiters on `addr` whose bitset intersects `bitset`.
    pub(crate) fn wake(&self, addr: u64, n: u32, bitset: u32) -> i64 {
        let mut q = self.queues.lock();
        Self::wake_locked(&mut q, addr, n, bitset)
    }

    fn wake_locked(
        q: &mut HashMap<u64, VecDeque<Arc<Queued>>>,
        addr: u64,
        n: u32,
        bitset: u32,
    ) -> i64 {
        let Some(list) = q.get_mut(&addr) else {
            return 0;
        };
        let mut woken = 0;
        let mut i = 0;
        while i < list.len() && woken < n as i64 {
            if list[i].bitset & bitset != 0 {
                let w = list.remove(i).expect("index checked");
                w.woken.store(true, Ordering::Release);
                w.parker.unpark();
                woken += 1;
            } else {
                i += 1;
            }
        }
        if list.is_empty() {
            q.remove(&addr);
        }
        woken
    }

    /// FUTEX_(CMP_)REQUEUE: wakes `n_wake` waiters of `addr` and moves up to `n_move` of
    /// the rest to `addr2`; with `expect`, only if the word at `addr` still holds it.
    pub(crate) fn requeue(
        &self,
        mm: &AddressSpace,
        (addr, addr2): (u64, u64),
        n_wake: u32,
        n_move: u32,
        expect: Option<u32>,
    ) -> Result<i64, Errno> {
        let mut q = self.queues.lock();
        if let Some(v) = expect {
            if mm.load_u32_atomic(addr)? != v {
                return Err(Errno::EAGAIN);
            }
        }
        let woken = Self::wake_locked(&mut q, addr, n_wake, FUTEX_BITSET_MATCH_ANY);
        let mut moved = Vec::new();
        if let Some(list) = q.get_mut(&addr) {
            let k = (n_move as usize).min(list.len());
            moved.extend(list.drain(..k));
            if list.is_empty() {
                q.remove(&addr);
            }
        }
        let count = moved.len() as i64;
        if !moved.is_empty() {
            q.entry(addr2).or_default().extend(moved);
        }
        Ok(woken + count)
    }

    /// FUTEX_WAKE_OP: atomically applies the encoded operation to the word at `addr2`,
    /// wakes `n1` waiters of `addr` and, if the encoded comparison of the old value holds,
    /// `n2` waiters of `addr2`.
    pub(crate) fn wake_op(
        &self,
        mm: &AddressSpace,
        (addr, n1): (u64, u32),
        (addr2, n2): (u64, u32),
        encoded: u32,
    ) -> Result<i64, Errno> {
        let op = (encoded >> 28) & 0xf;
        let cmp = (encoded >> 24) & 0xf;
        let sext12 = |v: u32| ((v << 20) as i32 >> 20) as u32;
        let mut oparg = sext12((encoded >> 12) & 0xfff);
        let cmparg = sext12(encoded & 0xfff);
        if op & 8 != 0 {
            // Linux warns about and masks an out-of-range shift rather than refusing it.
            oparg = 1u32 << (oparg & 31);
        }
        let apply = move |old: u32| match op & 7 {
            0 => oparg,
            1 => old.wrapping_add(oparg),
            2 => old | oparg,
            3 => old & !oparg,
            _ => old ^ oparg,
        };
        // An unknown operation changes nothing; an unknown comparison is only found
        // after the operation was applied, as in Linux.
        if op & 7 > 4 {
            return Err(Errno::ENOSYS);
        }
        let mut q = self.queues.lock();
        let old = mm.update_u32_atomic(addr2, &apply)?;
        let mut woken = Self::wake_locked(&mut q, addr, n1, FUTEX_BITSET_MATCH_ANY);
        let (o, c) = (old as i32, cmparg as i32);
        let hit = match cmp {
            0 => o == c,
            1 => o != c,
            2 => o < c,
            3 => o <= c,
            4 => o > c,
            5 => o >= c,
            _ => return Err(Errno::ENOSYS),
        };
        if hit {
            woken += Self::wake_locked(&mut q, addr2, n2, FUTEX_BITSET_MATCH_ANY);
        }
        Ok(woken)
    }
}
