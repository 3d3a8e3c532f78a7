//! faultline's private system call for guest trace markers, `faultline_trace(op, name,
//! value)` (number 0x4fa1, far above Linux's table, which Linux answers with ENOSYS, so a
//! guest that marks runs unchanged on a real kernel; `guests/include/faultline.h` wraps
//! it): `op` 0 opens a slice called `name` on the thread's track, 1 closes the innermost
//! (`name` unread), 2 marks an instant, 3 sets the counter track `name` to `value`.
//!
//! The arguments are checked whether or not the run records, so that `--trace` changes
//! neither what the guest sees nor, under the virtual clock, its time: a bad `op`, an
//! empty name, one longer than [`MAX_GUEST_NAME_LEN`] bytes or not UTF-8 is EINVAL, an
//! unreadable one EFAULT. Without `--trace` a valid marker is just 0.

use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::thread::Thread;
use devices::trace::{self, MAX_GUEST_NAME_LEN};
use mmu::Errno;

/// What a marker does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// Opens a slice.
    Begin,
    /// Closes the innermost open slice.
    End,
    /// Marks an instant.
    Instant,
    /// Sets a counter.
    Counter,
}

impl Op {
    /// The operation numbered `raw` in the call's first argument.
    fn from_raw(raw: u64) -> Result<Op, Errno> {
        match raw {
            0 => Ok(Op::Begin),
            1 => Ok(Op::End),
            2 => Ok(Op::Instant),
            3 => Ok(Op::Counter),
            _ => Err(Errno::EINVAL),
        }
    }
}

/// A marker's name from the bytes read up to its NUL (at most one past the limit, so a
/// longer name shows as too long).
fn name_of(bytes: Vec<u8>) -> Result<String, Errno> {
    if bytes.is_empty() || bytes.len() > MAX_GUEST_NAME_LEN {
        return Err(Errno::EINVAL);
    }
    String::from_utf8(bytes).map_err(|_| Errno::EINVAL)
}

/// Checks the marker `op` whose name `read_name` reads, and records it if the thread
/// records.
fn mark(
    raw_op: u64,
    read_name: impl FnOnce(usize) -> Result<Vec<u8>, Errno>,
    value: u64,
) -> Result<i64, Errno> {
    let op = Op::from_raw(raw_op)?;
    let name = match op {
        Op::End => String::new(),
        _ => name_of(read_name(MAX_GUEST_NAME_LEN + 1)?)?,
    };
    if trace::enabled() {
        match op {
            Op::Begin => trace::begin(trace::guest_name(&name), &[]),
            Op::End => trace::end(&[]),
            Op::Instant => trace::instant(trace::guest_name(&name), &[]),
            // The value is the guest's `long long`, as the register holds it.
            Op::Counter => trace::counter(trace::guest_name(&name), value as i64),
        }
    }
    Ok(0)
}

/// Handles `faultline_trace`; None for any other call.
pub(crate) fn handle(t: &Thread, n: u64, a: [u64; 6]) -> Option<Outcome> {
    (n == nr::faultline_trace).then(|| {
        let mm = &t.proc.mm;
        ret(mark(a[0], |max| mm.read_cstring(a[1], max), a[2]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use devices::clock::{HostClock, SharedClock};
    use devices::trace::{Owner, Recorder, WhenFull};
    use std::sync::Arc;

    fn name(s: &'static [u8]) -> impl FnOnce(usize) -> Result<Vec<u8>, Errno> {
        move |max| Ok(s[..s.len().min(max)].to_vec())
    }

    #[test]
    fn bad_markers_are_refused_with_or_without_a_trace() {
        assert_eq!(mark(4, name(b"x"), 0), Err(Errno::EINVAL));
        assert_eq!(mark(0, name(b""), 0), Err(Errno::EINVAL));
        assert_eq!(mark(2, name(b"\xff\xfe"), 0), Err(Errno::EINVAL));
        let long = [b'x'; MAX_GUEST_NAME_LEN + 8];
        let long: &'static [u8] = Box::leak(Box::new(long));
        assert_eq!(mark(0, name(long), 0), Err(Errno::EINVAL));
        assert_eq!(mark(0, name(&long[..MAX_GUEST_NAME_LEN]), 0), Ok(0));
        assert_eq!(mark(3, |_| Err(Errno::EFAULT), 1), Err(Errno::EFAULT));
        // An end reads no name.
        assert_eq!(mark(1, |_| Err(Errno::EFAULT), 0), Ok(0));
    }

    #[test]
    fn markers_reach_the_thread_s_trace() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.pftrace");
        let clock: SharedClock = Arc::new(HostClock::new());
        let rec = Recorder::create(&path, 1, "guest", WhenFull::Block, clock).unwrap();
        rec.attach(Owner::Hart {
            tid: 1,
            name: "guest".into(),
        });
        assert_eq!(mark(0, name(b"mprotect"), 0), Ok(0));
        assert_eq!(mark(1, name(b""), 0), Ok(0));
        assert_eq!(mark(2, name(b"tick"), 0), Ok(0));
        assert_eq!(mark(3, name(b"queue"), (-5i64) as u64), Ok(0));
        trace::detach();
        let summary = rec.finish().unwrap();
        assert_eq!(summary.records, 4);
        let bytes = std::fs::read(&path).unwrap();
        for s in [&b"mprotect"[..], b"tick", b"queue"] {
            assert!(
                bytes.windows(s.len()).any(|w| w == s),
                "{} in the trace",
                String::from_utf8_lossy(s)
            );
        }
    }
}
