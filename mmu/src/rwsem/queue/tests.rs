//! Each rule, scripted step by step: no threads, no sleeps, time passed by hand.
use super::*;
use devices::cast::low_u32;

const HANDOFF: u64 = 4_000_000;
type Q = SemQueue<&'static str>;

fn t(tid: u32) -> Task {
    Task {
        tid,
        realtime: false,
    }
}

fn rt(tid: u32) -> Task {
    Task {
        tid,
        realtime: true,
    }
}

fn queued(a: Arrival) -> WaiterId {
    match a {
        Arrival::Queued(id, _) => id,
        other => panic!("expected to queue, got {other:?}"),
    }
}

fn kinds(q: &Q) -> Vec<WaitKind> {
    q.snapshot().queue
}

use WaitKind::{Read as R, Write as W};

#[test]
fn a_new_reader_queues_behind_any_waiter_even_while_readers_hold() {
    let mut q = Q::new(HANDOFF);
    assert!(q.try_read(t(1)));
    queued(q.arrive(W, t(2), 0, "w"));
    assert!(!q.try_read(t(3)), "try_read may not overtake the writer");
    let r = q.arrive(R, t(3), 0, "r");
    queued(r);
    assert_eq!(kinds(&q), vec![W, R]);
    assert_eq!(q.snapshot().readers, 1);
    // Readers keep the lock until the last leaves; then the writer goes first.
    assert_eq!(q.release(R, 1), vec![Wake::Woken("w")]);
}

#[test]
fn a_reader_with_nobody_queued_shares_the_lock() {
    let mut q = Q::new(HANDOFF);
    assert_eq!(
        q.arrive(R, t(1), 0, "a"),
        Arrival::Acquired { stolen: false }
    );
    assert_eq!(
        q.arrive(R, t(2), 0, "b"),
        Arrival::Acquired { stolen: false }
    );
    assert_eq!(q.snapshot().readers, 2);
    assert!(q.release(R, 2).is_empty() && q.release(R, 1).is_empty());
}

#[test]
fn waking_a_writer_wakes_only_it_and_it_must_take_the_lock_itself() {
    let mut q = Q::new(HANDOFF);
    assert!(q.try_write(t(1)));
    let w = queued(q.arrive(W, t(2), 0, "w"));
    queued(q.arrive(R, t(3), 0, "r1"));
    queued(q.arrive(R, t(4), 0, "r2"));
    assert_eq!(q.release(W, 1), vec![Wake::Woken("w")]);
    let s = q.snapshot();
    assert!(!s.writer && s.readers == 0, "woken, not granted");
    assert_eq!(s.queue, vec![W, R, R]);
    assert_eq!(q.retry_write(w, 10), Retry::Acquired);
    assert_eq!(kinds(&q), vec![R, R]);
    assert_eq!(
        q.release(W, 2),
        vec![Wake::Granted("r1"), Wake::Granted("r2")]
    );
}

#[test]
fn a_woken_writer_is_not_woken_twice() {
    let mut q = Q::new(HANDOFF);
    assert!(q.try_write(t(1)));
    queued(q.arrive(W, t(2), 0, "w"));
    assert_eq!(q.release(W, 1), vec![Wake::Woken("w")]);
    // A thief takes and releases the lock before the woken writer runs.
    assert_eq!(
        q.arrive(W, t(3), 5, "thief"),
        Arrival::Acquired { stolen: true }
    );
    assert!(q.release(W, 3).is_empty(), "already woken");
}

#[test]
fn waking_readers_grants_every_queued_reader_wherever_it_sits() {
    let mut q = Q::new(HANDOFF);
    assert!(q.try_write(t(1)));
    queued(q.arrive(R, t(2), 0, "r1"));
    queued(q.arrive(W, t(3), 0, "w"));
    queued(q.arrive(R, t(4), 0, "r2"));
    assert_eq!(
        q.release(W, 1),
        vec![Wake::Granted("r1"), Wake::Granted("r2")]
    );
    let s = q.snapshot();
    assert_eq!((s.readers, s.writer, s.queue), (2, false, vec![W]));
    assert!(q.release(R, 2).is_empty(), "one reader still holds");
    assert_eq!(q.release(R, 4), vec![Wake::Woken("w")]);
}

#[test]
fn at_most_max_readers_are_granted_at_once() {
    let mut q: SemQueue<usize> = SemQueue::new(HANDOFF);
    assert!(q.try_write(t(1)));
    for i in 0..MAX_READERS_WAKEUP + 3 {
        queued(q.arrive(R, t(10 + low_u32(i as u64)), 0, i));
    }
    let woken = q.release(W, 1);
    assert_eq!(woken.len(), MAX_READERS_WAKEUP);
    assert_eq!(woken[0], Wake::Granted(0));
    let s = q.snapshot();
    assert_eq!((s.readers as usize, s.queue.len()), (MAX_READERS_WAKEUP, 3));
}

#[test]
fn writers_are_served_in_arrival_order() {
    let mut q = Q::new(HANDOFF);
    assert!(q.try_write(t(1)));
    let ids: Vec<WaiterId> = ["a", "b", "c"]
        .iter()
        .enumerate()
        .map(|(i, n)| queued(q.arrive(W, t(2 + low_u32(i as u64)), 0, n)))
        .collect();
    let mut order = Vec::new();
    let mut holder = 1;
    for (i, id) in ids.into_iter().enumerate() {
        let wakes = q.release(W, holder);
        order.extend(wakes);
        assert_eq!(q.retry_write(id, 0), Retry::Acquired);
        holder = 2 + low_u32(i as u64);
    }
    assert_eq!(
        order,
        vec![Wake::Woken("a"), Wake::Woken("b"), Wake::Woken("c")]
    );
}

#[test]
fn a_writer_steals_a_free_lock_from_a_woken_writer_before_the_timeout() {
    let mut q = Q::new(HANDOFF);
    assert!(q.try_write(t(1)));
    let w = queued(q.arrive(W, t(2), 0, "w"));
    q.release(W, 1);
    assert_eq!(
        q.arrive(W, t(3), 100, "thief"),
        Arrival::Acquired { stolen: true }
    );
    assert_eq!(
        q.retry_write(w, HANDOFF - 1),
        Retry::Wait { handoff: false }
    );
    assert!(!q.snapshot().handoff);
    assert_eq!(q.release(W, 3), vec![Wake::Woken("w")]);
    assert_eq!(q.retry_write(w, HANDOFF), Retry::Acquired);
}

#[test]
fn handoff_after_the_timeout_forbids_stealing() {
    let mut q = Q::new(HANDOFF);
    assert!(q.try_write(t(1)));
    let w = queued(q.arrive(W, t(2), 0, "w"));
    q.release(W, 1);
    assert_eq!(
        q.arrive(W, t(3), HANDOFF, "thief"),
        Arrival::Acquired { stolen: true }
    );
    assert_eq!(q.retry_write(w, HANDOFF), Retry::Wait { handoff: true });
    assert!(q.snapshot().handoff);
    assert_eq!(q.release(W, 3), vec![Wake::Woken("w")]);
    // The lock is free, but the handoff bit keeps the next thief out.
    queued(q.arrive(W, t(4), HANDOFF + 1, "late"));
    assert!(!q.try_write(t(5)));
    assert_eq!(q.retry_write(w, HANDOFF + 2), Retry::Acquired);
    assert!(!q.snapshot().handoff, "cleared by the waiter that set it");
}

#[test]
fn a_realtime_writer_claims_the_handoff_at_once() {
    let mut q = Q::new(HANDOFF);
    assert!(q.try_read(t(1)));
    let w = queued(q.arrive(W, rt(2), 0, "rt"));
    assert!(q.snapshot().handoff, "on queueing as the first waiter");
    assert_eq!(q.release(R, 1), vec![Wake::Woken("rt")]);
    queued(q.arrive(W, t(3), 1, "thief"));
    assert_eq!(q.retry_write(w, 2), Retry::Acquired);
}

#[test]
fn a_realtime_writer_behind_others_claims_the_handoff_on_its_first_failed_try() {
    let mut q = Q::new(HANDOFF);
    assert!(q.try_write(t(1)));
    let a = queued(q.arrive(W, t(2), 0, "a"));
    let b = queued(q.arrive(W, rt(3), 0, "rt"));
    assert!(!q.snapshot().handoff, "not the first waiter");
    q.release(W, 1);
    assert_eq!(q.retry_write(a, 1), Retry::Acquired);
    q.release(W, 2);
    assert_eq!(
        q.arrive(W, t(4), 2, "thief"),
        Arrival::Acquired { stolen: true }
    );
    assert_eq!(q.retry_write(b, 3), Retry::Wait { handoff: true });
}

#[test]
fn trylocks_follow_the_rules_and_never_steal() {
    let mut q = Q::new(HANDOFF);
    assert!(q.try_read(t(1)) && q.try_read(t(2)));
    assert!(!q.try_write(t(3)), "readers hold");
    q.release(R, 1);
    q.release(R, 2);
    assert!(q.try_write(t(3)));
    assert!(!q.try_read(t(4)) && !q.try_write(t(4)));
    let w = queued(q.arrive(W, t(5), 0, "w"));
    q.release(W, 3);
    assert!(!q.try_write(t(6)), "free, but a woken writer is queued");
    assert!(!q.try_read(t(6)));
    assert_eq!(q.retry_write(w, 0), Retry::Acquired);
}

#[test]
fn a_killed_first_waiter_leaves_and_wakes_those_behind_it() {
    let mut q = Q::new(HANDOFF);
    assert!(q.try_read(t(1)));
    let w = queued(q.arrive(W, rt(2), 0, "w"));
    queued(q.arrive(R, t(3), 0, "r"));
    assert!(q.snapshot().handoff);
    assert_eq!(q.cancel(w), Cancel::Left(vec![Wake::Granted("r")]));
    let s = q.snapshot();
    assert_eq!((s.readers, s.handoff, s.queue.len()), (2, false, 0));
}

#[test]
fn a_killed_waiter_behind_others_wakes_nobody() {
    let mut q = Q::new(HANDOFF);
    assert!(q.try_write(t(1)));
    queued(q.arrive(W, t(2), 0, "a"));
    let b = queued(q.arrive(R, t(3), 0, "b"));
    assert_eq!(q.cancel(b), Cancel::Left(Vec::new()));
    assert_eq!(kinds(&q), vec![W]);
}

#[test]
fn a_reader_granted_before_it_could_leave_keeps_the_lock() {
    let mut q = Q::new(HANDOFF);
    assert!(q.try_write(t(1)));
    let r = queued(q.arrive(R, t(2), 0, "r"));
    assert_eq!(q.release(W, 1), vec![Wake::Granted("r")]);
    assert_eq!(q.cancel(r), Cancel::AlreadyGranted);
    assert_eq!(q.snapshot().readers, 1);
}

#[test]
fn a_queued_waiter_records_the_holders_and_the_waiters_ahead() {
    let mut q = Q::new(HANDOFF);
    assert!(q.try_read(t(7)) && q.try_read(t(8)));
    queued(q.arrive(W, t(9), 0, "w"));
    queued(q.arrive(R, t(10), 0, "r"));
    let Arrival::Queued(_, c) = q.arrive(W, t(11), 0, "me") else {
        panic!("queued")
    };
    assert_eq!(c.writer, None);
    assert_eq!(c.readers.tids(), &[7, 8]);
    assert_eq!(c.ahead.tids(), &[9, 10]);
    assert_eq!(c.writers_ahead, 1);
    let mut q = Q::new(HANDOFF);
    assert!(q.try_write(t(3)));
    let Arrival::Queued(_, c) = q.arrive(R, t(4), 0, "r") else {
        panic!("queued")
    };
    assert_eq!(
        (c.writer, c.readers.total(), c.ahead.total()),
        (Some(3), 0, 0)
    );
}

#[test]
fn tid_lists_count_past_their_capacity() {
    let mut l = TidList::default();
    for tid in 1..=8 {
        l.push(tid);
    }
    assert_eq!((l.total(), l.tids()), (8, &[1, 2, 3, 4][..]));
    assert_eq!(l.render(), "1,2,3,4,+4 more");
}
