//! The blocking semaphore on real threads. Which thread may proceed is decided by the
//! queue state the tests wait for, never by how long they sleep.
use super::*;
use devices::cast::low_u32;
use devices::trace::{Owner, Recorder, TidList};
use queue::MAX_READERS_WAKEUP;
use std::sync::atomic::AtomicUsize;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

type Sem = Arc<RwSemaphore<()>>;
type Log = Arc<parking_lot::Mutex<Vec<&'static str>>>;

fn sem() -> Sem {
    Arc::new(RwSemaphore::new(
        (),
        &MMAP_LOCK_COUNTERS,
        Arc::new(devices::HostClock::new()),
        DEFAULT_HANDOFF_NS,
    ))
}

fn who(stats: &HartStats, tid: u32) -> Acquirer<'_> {
    Acquirer {
        stats,
        task: Task {
            tid,
            realtime: false,
        },
        signal: None,
    }
}

/// Waits (yielding) until `cond` holds; the decision is the state, not the time.
fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

fn queue(s: &Sem) -> Vec<WaitKind> {
    s.snapshot().queue
}

/// A thread that takes the lock as `kind`, logs `name`, then holds it until told to
/// release (or at once when `hold` is false). Returns once it is queued or holds.
struct Locker {
    release: Option<mpsc::Sender<()>>,
    acquired: mpsc::Receiver<()>,
    join: JoinHandle<Arc<HartStats>>,
}

fn spawn_locker(s: &Sem, log: &Log, kind: WaitKind, name: &'static str, hold: bool) -> Locker {
    let (s2, log2) = (s.clone(), log.clone());
    let (rel_tx, rel_rx) = mpsc::channel::<()>();
    let (acq_tx, acq_rx) = mpsc::channel::<()>();
    let before = s.snapshot();
    let join = std::thread::spawn(move || {
        let stats = Arc::new(HartStats::default());
        let me = who(&stats, low_u32(name.len() as u64));
        let _r = (kind == WaitKind::Read).then(|| s2.read(me));
        let _w = (kind == WaitKind::Write).then(|| s2.write(me));
        log2.lock().push(name);
        acq_tx.send(()).unwrap();
        if hold {
            rel_rx.recv().unwrap();
        }
        drop((_r, _w));
        stats
    });
    // Queued (the queue grew) or holding (it logged).
    let n = log.lock().len();
    wait_for(name, || {
        queue(s).len() > before.queue.len() || log.lock().len() > n
    });
    Locker {
        release: hold.then_some(rel_tx),
        acquired: acq_rx,
        join,
    }
}

impl Locker {
    fn holds(&self) -> bool {
        self.acquired.try_recv().is_ok()
    }
    fn finish(self) -> Arc<HartStats> {
        if let Some(r) = self.release {
            let _ = r.send(());
        }
        self.join.join().unwrap()
    }
}

#[test]
fn new_reader_does_not_overtake_a_queued_writer() {
    let (s, log) = (sem(), Log::default());
    let stats = HartStats::default();
    let r0 = s.read(who(&stats, 1));
    let w = spawn_locker(&s, &log, WaitKind::Write, "W", false);
    assert_eq!(queue(&s), vec![WaitKind::Write]);
    assert!(
        s.try_read(who(&stats, 1)).is_none(),
        "try_read does not overtake either"
    );
    let r = spawn_locker(&s, &log, WaitKind::Read, "R", false);
    assert_eq!(queue(&s), vec![WaitKind::Write, WaitKind::Read]);
    assert!(log.lock().is_empty());
    drop(r0);
    w.finish();
    r.finish();
    assert_eq!(*log.lock(), vec!["W", "R"]);
}

#[test]
fn waking_a_writer_wakes_only_it() {
    let (s, log) = (sem(), Log::default());
    let stats = HartStats::default();
    let g = s.write(who(&stats, 1));
    let w = spawn_locker(&s, &log, WaitKind::Write, "W", true);
    let r1 = spawn_locker(&s, &log, WaitKind::Read, "R1", true);
    let r2 = spawn_locker(&s, &log, WaitKind::Read, "R2", true);
    assert_eq!(
        queue(&s),
        vec![WaitKind::Write, WaitKind::Read, WaitKind::Read]
    );
    drop(g);
    wait_for("W to hold", || log.lock().len() == 1);
    let snap = s.snapshot();
    assert!(snap.writer && snap.readers == 0);
    assert_eq!(snap.queue, vec![WaitKind::Read, WaitKind::Read]);
    assert!(!r1.holds() && !r2.holds());
    w.finish();
    wait_for("both readers", || s.snapshot().readers == 2);
    assert!(s.snapshot().queue.is_empty());
    r1.finish();
    r2.finish();
    assert_eq!(log.lock()[0], "W");
}

#[test]
fn waking_readers_wakes_all_queued_readers_even_behind_a_writer() {
    let (s, log) = (sem(), Log::default());
    let stats = HartStats::default();
    let g = s.write(who(&stats, 1));
    let r1 = spawn_locker(&s, &log, WaitKind::Read, "R1", true);
    let w = spawn_locker(&s, &log, WaitKind::Write, "W", true);
    let r2 = spawn_locker(&s, &log, WaitKind::Read, "R2", true);
    drop(g);
    wait_for("both readers", || log.lock().len() == 2);
    let snap = s.snapshot();
    assert_eq!((snap.readers, snap.writer), (2, false));
    assert_eq!(snap.queue, vec![WaitKind::Write]);
    assert!(!w.holds());
    r1.finish();
    assert!(!s.snapshot().writer, "one reader still holds");
    r2.finish();
    wait_for("the writer", || s.snapshot().writer);
    w.finish();
    assert_eq!(log.lock()[2], "W");
}

#[test]
fn at_most_max_readers_wake_at_once() {
    let s = sem();
    let stats = HartStats::default();
    let g = s.write(who(&stats, 1));
    let n = MAX_READERS_WAKEUP + 4;
    let held = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(parking_lot::RwLock::new(()));
    let closed = gate.write();
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let (s, held, gate) = (s.clone(), held.clone(), gate.clone());
            std::thread::spawn(move || {
                let stats = HartStats::default();
                let _r = s.read(who(&stats, 2));
                held.fetch_add(1, Ordering::SeqCst);
                drop(gate.read());
            })
        })
        .collect();
    wait_for("all readers queued", || queue(&s).len() == n);
    drop(g);
    wait_for("the first batch", || {
        held.load(Ordering::SeqCst) == MAX_READERS_WAKEUP
    });
    let snap = s.snapshot();
    assert_eq!(snap.readers as usize, MAX_READERS_WAKEUP);
    assert_eq!(snap.queue.len(), 4);
    drop(closed);
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(held.load(Ordering::SeqCst), n);
}

#[test]
fn try_variants_follow_the_same_rules_and_are_counted() {
    let s = sem();
    let stats = HartStats::default();
    let recorder = Recorder::in_memory(Arc::new(devices::HostClock::new()));
    recorder.attach(Owner::Hart {
        tid: 1,
        name: "t1".into(),
    });
    let r1 = s.try_read(who(&stats, 1)).expect("free");
    let r2 = s.try_read(who(&stats, 2)).expect("shared");
    assert!(s.try_write(who(&stats, 3)).is_none());
    drop((r1, r2));
    let w = s.try_write(who(&stats, 3)).expect("free");
    assert!(s.try_read(who(&stats, 4)).is_none() && s.try_write(who(&stats, 4)).is_none());
    drop(w);
    let snap = s.snapshot();
    assert_eq!((snap.readers, snap.writer, snap.queue.len()), (0, false, 0));
    assert_eq!(stats.get(Counter::MmapLockReadAcquired), 2);
    assert_eq!(stats.get(Counter::MmapLockWriteAcquired), 1);
    devices::trace::detach();
    let holds: Vec<_> = recorder
        .take_records()
        .into_iter()
        .filter(|(_, r)| r.phase == Phase::Begin)
        .map(|(_, r)| r.name)
        .collect();
    assert_eq!(
        holds,
        [
            catalog::MMAP_LOCK_READ,
            catalog::MMAP_LOCK_READ,
            catalog::MMAP_LOCK_WRITE
        ],
        "one hold slice per acquisition"
    );
}

#[test]
fn acquisitions_record_wait_hold_and_who_was_in_the_way() {
    let s = sem();
    let recorder = Recorder::in_memory(Arc::new(devices::HostClock::new()));
    let hart = |tid: u32| Owner::Hart {
        tid,
        name: format!("t{tid}"),
    };
    recorder.attach(hart(1));
    let mine = HartStats::default();
    let g = s.write(who(&mine, 1));
    let waiter = Arc::new(HartStats::default());
    let (s2, w2, r2) = (s.clone(), waiter.clone(), recorder.clone());
    let t = std::thread::spawn(move || {
        r2.attach(hart(2));
        drop(s2.read(who(&w2, 2)));
        devices::trace::detach();
    });
    wait_for("queued reader", || queue(&s).len() == 1);
    // Hold long enough that the measured times are clearly non-zero.
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(2) {
        std::hint::spin_loop();
    }
    drop(g);
    t.join().unwrap();
    assert_eq!(mine.get(Counter::MmapLockWriteAcquired), 1);
    assert_eq!(mine.get(Counter::MmapLockWriteWaitNs), 0, "uncontended");
    assert!(mine.get(Counter::MmapLockWriteHoldNs) >= 2_000_000);
    let waits: u64 = MMAP_LOCK_COUNTERS
        .write
        .waits
        .iter()
        .map(|&c| mine.get(c))
        .sum();
    assert_eq!(waits, 0, "an uncontended acquisition is no wait");
    assert_eq!(waiter.get(Counter::MmapLockReadAcquired), 1);
    assert!(waiter.get(Counter::MmapLockReadWaitNs) >= 2_000_000);
    assert_eq!(waiter.get(Counter::MmapLockReadWaits1ms10ms), 1);
    devices::trace::detach();
    let records = recorder.take_records();
    let of = |tid: u32| -> Vec<TraceRecord> {
        records
            .iter()
            .filter(|(o, r)| *o == hart(tid) && !matches!(r.phase, Phase::Counter(_)))
            .map(|(_, r)| *r)
            .collect()
    };
    // The writer: its hold, then the handoff that let the reader in.
    let mine_recs = of(1);
    let [hold, hold_end, handoff] = &mine_recs[..] else {
        panic!("{mine_recs:?}")
    };
    assert_eq!(
        (hold.phase, hold.name),
        (Phase::Begin, catalog::MMAP_LOCK_WRITE)
    );
    assert!(hold_end.ts_ns - hold.ts_ns >= 2_000_000);
    assert_eq!(handoff.name, catalog::LOCK_HANDOFF);
    assert_eq!(handoff.args[0].value, TraceValue::Uint(2));
    // The reader: its wait, naming the writer in the way, then its hold, where the flow
    // from the handoff ends.
    let theirs = of(2);
    let [wait, wait_end, hold, _] = &theirs[..] else {
        panic!("{theirs:?}")
    };
    assert_eq!(wait.name, catalog::MMAP_LOCK_READ_WAIT);
    assert_eq!(
        (wait.args[0].value, wait.args[1].value, wait.args[2].value),
        (
            TraceValue::Uint(1),
            TraceValue::Tids(TidList::default()),
            TraceValue::Tids(TidList::default())
        )
    );
    assert!(wait_end.ts_ns - wait.ts_ns >= 2_000_000);
    assert_eq!(hold.name, catalog::MMAP_LOCK_READ);
    assert!(handoff.flow_out.is_some());
    assert_eq!(hold.flow_in, handoff.flow_out);
}

#[test]
fn a_killed_waiter_gives_up_and_the_queue_moves_on() {
    let s = sem();
    let stats = HartStats::default();
    let r = s.read(who(&stats, 1));
    let signal = Arc::new(HartSignal::default());
    let killed = {
        let (s, signal) = (s.clone(), signal.clone());
        std::thread::spawn(move || {
            let stats = HartStats::default();
            let me = Acquirer {
                signal: Some(&signal),
                ..who(&stats, 2)
            };
            let r = s.write_killable(me).map(drop);
            (r, stats.get(Counter::MmapLockKilled))
        })
    };
    wait_for("queued writer", || queue(&s).len() == 1);
    let log = Log::default();
    let reader = spawn_locker(&s, &log, WaitKind::Read, "R", true);
    assert_eq!(queue(&s), vec![WaitKind::Write, WaitKind::Read]);
    signal.kill();
    wait_for("the killed writer to give up", || killed.is_finished());
    assert_eq!(killed.join().unwrap(), (Err(Killed), 1));
    // The reader behind the killed writer now shares the lock with the first reader.
    wait_for("the reader", || reader.holds() || !log.lock().is_empty());
    assert_eq!(s.snapshot().readers, 2);
    drop(r);
    reader.finish();
}

#[test]
fn uninterruptible_waits_ignore_a_kill() {
    let s = sem();
    let stats = HartStats::default();
    let g = s.write(who(&stats, 1));
    let signal = Arc::new(HartSignal::default());
    signal.kill();
    let t = {
        let (s, signal) = (s.clone(), signal.clone());
        std::thread::spawn(move || {
            let stats = HartStats::default();
            let me = Acquirer {
                signal: Some(&signal),
                ..who(&stats, 2)
            };
            drop(s.read(me));
        })
    };
    wait_for("queued reader", || queue(&s).len() == 1);
    drop(g);
    t.join().unwrap();
    let stats2 = HartStats::default();
    let me = Acquirer {
        signal: Some(&signal),
        ..who(&stats2, 3)
    };
    assert!(
        s.read_killable(me).is_ok(),
        "an uncontended lock needs no wait"
    );
}

#[test]
fn guards_give_access_to_the_data() {
    let s = RwSemaphore::new(
        5u32,
        &MMAP_LOCK_COUNTERS,
        Arc::new(devices::HostClock::new()),
        DEFAULT_HANDOFF_NS,
    );
    let stats = HartStats::default();
    *s.write(Acquirer::anonymous(&stats)) += 1;
    assert_eq!(*s.read(Acquirer::anonymous(&stats)), 6);
}
