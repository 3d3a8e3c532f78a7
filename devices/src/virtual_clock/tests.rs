use super::sched::{Pick, Sched, LOOKAHEAD_PS, MIN_QUANTUM_PS};
use super::*;
use crate::clock::SharedClock;
use crate::spawn::spawn_task;
use crate::task::SchedPolicy;
use std::thread::{Builder, JoinHandle};
use std::time::{Duration, Instant};

const MS: u64 = 1_000_000;

fn clock(cpus: Option<u32>) -> (Arc<VirtualClock>, SharedClock) {
    seeded_clock(cpus, None)
}

/// A clock whose schedule the scheduler stream `seed` perturbs (`None`: fixed).
fn seeded_clock(cpus: Option<u32>, seed: Option<u64>) -> (Arc<VirtualClock>, SharedClock) {
    let v = VirtualClock::new(VirtualConfig {
        cpus,
        seed,
        ..VirtualConfig::default()
    });
    let shared: SharedClock = v.clone();
    (v, shared)
}

type Body = Box<dyn FnOnce() + Send>;

/// Starts one hart per body, all registered before any enters, as a run's first
/// threads are (threads a running task starts are registered by it, in its turn).
fn harts(clock: &SharedClock, bodies: Vec<(u32, Body)>) -> Vec<JoinHandle<()>> {
    let tickets: Vec<_> = bodies
        .iter()
        .map(|(tid, _)| clock.register_task(&format!("t{tid}"), TaskKind::Hart { tid: *tid }))
        .collect();
    tickets
        .into_iter()
        .zip(bodies)
        .map(|(ticket, (_, body))| {
            let c = clock.clone();
            std::thread::spawn(move || {
                c.enter_task(ticket);
                body();
                c.exit_task();
            })
        })
        .collect()
}

fn join(handles: Vec<JoinHandle<()>>) {
    for h in handles {
        h.join().unwrap();
    }
}

fn hart(clock: &SharedClock, tid: u32, body: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    spawn_task(
        clock,
        Builder::new(),
        &format!("t{tid}"),
        TaskKind::Hart { tid },
        body,
    )
    .unwrap()
}

/// Charges `ns` of instructions, a microsecond at a time, with a yield point after each.
fn spin(clock: &SharedClock, ns: u64) {
    let insns_per_us = 1_000_000 / clock.cost_ps(Cost::Insn);
    for _ in 0..ns / 1000 {
        clock.charge(Cost::Insn, insns_per_us);
        clock.yield_point();
    }
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Two harts log their times at each step; the log comes out in time order, the same
/// every run (under the schedule the scheduler stream `seed` perturbs, if any).
fn interleaving(seed: Option<u64>) -> Vec<(u32, u64)> {
    let (_v, c) = seeded_clock(None, seed);
    let log = Arc::new(Mutex::new(Vec::new()));
    let bodies = (1..=2)
        .map(|tid| {
            let (c2, log) = (c.clone(), log.clone());
            let body: Body = Box::new(move || {
                for step in 0..20u64 {
                    spin(&c2, 1000 * (tid as u64 + step % 3));
                    c2.yield_point();
                    log.lock().push((tid, c2.now_ns()));
                }
            });
            (tid, body)
        })
        .collect();
    join(harts(&c, bodies));
    let log = log.lock().clone();
    log
}

#[test]
fn harts_run_in_virtual_time_order_deterministically() {
    for seed in [None, Some(2)] {
        let first = interleaving(seed);
        assert_eq!(first.len(), 40);
        // A drawn quantum is at most a quarter longer.
        let quantum = if seed.is_some() {
            MIN_QUANTUM_PS * 5 / 4
        } else {
            MIN_QUANTUM_PS
        };
        assert!(
            first
                .windows(2)
                .all(|w| w[0].1 <= w[1].1 + (quantum + LOOKAHEAD_PS) / 1000),
            "out of order beyond a quantum: {first:?}"
        );
        for _ in 0..3 {
            assert_eq!(interleaving(seed), first, "seed {seed:?}");
        }
    }
}

#[test]
fn sleeping_takes_exactly_the_virtual_time_asked() {
    let (_v, c) = clock(None);
    let c2 = c.clone();
    let out = Arc::new(Mutex::new(None));
    let o = out.clone();
    let start = Instant::now();
    hart(&c, 1, move || {
        let t0 = c2.now_ns();
        c2.sleep_ns(10 * MS);
        *o.lock() = Some(c2.now_ns() - t0);
    })
    .join()
    .unwrap();
    let cs = Cost::ContextSwitch.default_ps() / 1000;
    assert_eq!(*out.lock(), Some(10 * MS + cs));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "virtual sleeps take no host time"
    );
}

#[test]
fn unpark_wakes_at_the_wakers_time_and_timeouts_fire_at_the_deadline() {
    let (_v, c) = clock(None);
    let p = Arc::new(Parker::new());
    let times = Arc::new(Mutex::new(Vec::new()));
    let (c1, p1, t1) = (c.clone(), p.clone(), times.clone());
    let a: Body = Box::new(move || {
        c1.park(&p1);
        t1.lock().push(("woken", c1.now_ns()));
        let woke = c1.park_until(&p1, c1.now_ns() + 3 * MS);
        t1.lock()
            .push((if woke { "unparked" } else { "timeout" }, c1.now_ns()));
    });
    let (c2, t2) = (c.clone(), times.clone());
    let b: Body = Box::new(move || {
        spin(&c2, 5000);
        t2.lock().push(("unpark", c2.now_ns()));
        p.unpark();
    });
    join(harts(&c, vec![(1, a), (2, b)]));
    let cs = Cost::ContextSwitch.default_ps() / 1000;
    let t = times.lock().clone();
    let unpark_at = t[0].1;
    assert_eq!(t[0].0, "unpark");
    assert_eq!(t[1], ("woken", unpark_at + cs));
    assert_eq!(t[2], ("timeout", unpark_at + cs + 3 * MS + cs));
}

#[test]
fn every_task_waiting_is_a_deadlock_reported_with_its_cycle() {
    let (v, c) = clock(None);
    // A daemon ticking idly does not hide the deadlock.
    let c1 = c.clone();
    spawn_task(&c, Builder::new(), "ticker", TaskKind::Daemon, move || {
        loop {
            c1.park_idle_until(&Parker::new(), c1.now_ns() + MS);
        }
    })
    .unwrap();
    let report = Arc::new(Mutex::new(None));
    let r = report.clone();
    v.set_stall_handler(Box::new(move |rep: &StallReport| {
        *r.lock() = Some(rep.clone());
    }));
    let bodies = [(1, 2), (2, 1)]
        .into_iter()
        .map(|(tid, other)| {
            let c2 = c.clone();
            let body: Body = Box::new(move || {
                spin(&c2, 1000);
                c2.note_wait(WaitNote {
                    what: format!("mutex {tid}"),
                    holders: vec![other],
                });
                c2.park(&Parker::new());
            });
            (tid, body)
        })
        .collect();
    drop(harts(&c, bodies));
    let rep = wait_for("the report", || report.lock().clone());
    assert_eq!(rep.reason, StallReason::Deadlock);
    assert_eq!(rep.cycle.len(), 2);
    let text = rep.to_string();
    assert!(
        text.contains("thread 1 (t1): waiting on mutex 1, held by thread 2"),
        "{text}"
    );
    assert!(
        text.contains("thread 2 (t2): waiting on mutex 2, held by thread 1"),
        "{text}"
    );
}

#[test]
fn max_time_stops_a_spinning_run() {
    let v = VirtualClock::new(VirtualConfig {
        max_time_ns: Some(2 * MS),
        ..VirtualConfig::default()
    });
    let c: SharedClock = v.clone();
    let report = Arc::new(Mutex::new(None));
    let r = report.clone();
    v.set_stall_handler(Box::new(move |rep: &StallReport| {
        *r.lock() = Some(rep.clone());
    }));
    let c2 = c.clone();
    hart(&c, 1, move || spin(&c2, 1000 * MS));
    let rep = wait_for("the report", || report.lock().clone());
    assert_eq!(rep.reason, StallReason::MaxTime);
    assert!(rep.now_ns > 2 * MS && rep.now_ns < 3 * MS, "{}", rep.now_ns);
}

/// Two spinners on one CPU with these nice values: their CPU times when the first
/// reaches `total_ns` of virtual time.
fn shares(nice: [i32; 2], total_ns: u64) -> [u64; 2] {
    seeded_shares(nice, total_ns, None)
}

/// `shares` under a schedule the scheduler stream `seed` perturbs.
fn seeded_shares(nice: [i32; 2], total_ns: u64, seed: Option<u64>) -> [u64; 2] {
    let (_v, c) = seeded_clock(Some(1), seed);
    let out = Arc::new(Mutex::new([0u64; 2]));
    let done = Arc::new(Mutex::new(false));
    let bodies = (0..2usize)
        .map(|i| {
            let (c2, out, done) = (c.clone(), out.clone(), done.clone());
            let body: Body = Box::new(move || {
                let me = c2.current_task().unwrap();
                let params = SchedParams {
                    nice: nice[i],
                    ..SchedParams::default()
                };
                c2.set_sched_params(me, params);
                while c2.now_ns() < total_ns && !*done.lock() {
                    spin(&c2, 1000);
                }
                let mut d = done.lock();
                if !*d {
                    *d = true;
                    let mut o = out.lock();
                    for (k, slot) in o.iter_mut().enumerate() {
                        let task = c2.task_of_tid(u32::try_from(k).unwrap() + 1).unwrap();
                        *slot = c2.sched_stats(task).unwrap().run_ns;
                    }
                }
            });
            (u32::try_from(i).unwrap() + 1, body)
        })
        .collect();
    join(harts(&c, bodies));
    let o = *out.lock();
    o
}

#[test]
fn nice_weights_share_one_cpu() {
    let [a, b] = shares([0, 0], 3000 * MS);
    let diff = a.abs_diff(b) as f64 / (a + b) as f64;
    assert!(diff < 0.01, "nice 0 against nice 0: {a} vs {b} ns");
    let [a, b] = shares([0, 19], 3000 * MS);
    let ratio = a as f64 / b as f64;
    let expected = 1024.0 / 15.0;
    assert!(
        (ratio / expected - 1.0).abs() < 0.1,
        "nice 0 against nice 19: {a} vs {b} ns, ratio {ratio:.1}, expected about {expected:.1}"
    );
}

#[test]
fn a_fifo_thread_preempts_normal_spinners_at_once() {
    let (_v, c) = clock(Some(1));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut bodies: Vec<(u32, Body)> = (1..=2)
        .map(|tid| {
            let c2 = c.clone();
            let body: Body = Box::new(move || {
                let me = c2.current_task().unwrap();
                c2.set_sched_params(
                    me,
                    SchedParams {
                        nice: 19,
                        ..SchedParams::default()
                    },
                );
                spin(&c2, 20 * MS);
            });
            (tid, body)
        })
        .collect();
    let (c3, s3) = (c.clone(), seen.clone());
    let rt: Body = Box::new(move || {
        let me = c3.current_task().unwrap();
        c3.set_sched_params(
            me,
            SchedParams {
                policy: SchedPolicy::Fifo,
                rt_priority: 50,
                ..SchedParams::default()
            },
        );
        let t0 = c3.now_ns();
        c3.sleep_ns(5 * MS);
        let woke = c3.now_ns();
        let spun = |c: &SharedClock| {
            (1..=2)
                .map(|tid| c.sched_stats(c.task_of_tid(tid).unwrap()).unwrap().run_ns)
                .sum::<u64>()
        };
        let before = spun(&c3);
        spin(&c3, 2 * MS);
        let after = spun(&c3);
        s3.lock().push((woke - t0, after - before));
    });
    bodies.push((3, rt));
    join(harts(&c, bodies));
    let (latency, spinners_ran) = seen.lock()[0];
    let cs = Cost::ContextSwitch.default_ps() / 1000;
    assert!(
        // The spinner may run past the wake-up by the lookahead and one step of its spin.
        latency >= 5 * MS + cs && latency <= 5 * MS + cs + LOOKAHEAD_PS / 1000 + 1000,
        "woke {latency} ns after sleeping 5 ms"
    );
    assert_eq!(
        spinners_ran, 0,
        "the spinners ran while the FIFO thread did"
    );
}

/// The order in which `n` tasks runnable at time 0 get the baton, each ending when it
/// does: daemons (ties in the ready queue) or harts on one CPU (ties among the harts
/// waiting for it, all at the same virtual runtime).
fn tie_order(seed: Option<u64>, n: u32, harts: bool) -> Vec<u32> {
    let mut s = Sched::new(harts.then_some(1), 0, None, seed);
    for tid in 1..=n {
        let kind = if harts {
            TaskKind::Hart { tid }
        } else {
            TaskKind::Daemon
        };
        s.register(&format!("t{tid}"), kind, 0, None);
    }
    s.started = true;
    let mut order = Vec::new();
    while let Pick::Run(id) = s.pick() {
        order.push(id.0);
        s.finish(id);
    }
    order
}

/// The order in which 8 daemons that each went to sleep until the same instant, in
/// turn, run again.
fn wake_order(seed: Option<u64>) -> Vec<u32> {
    let mut s = Sched::new(None, 0, None, seed);
    for tid in 1..=8 {
        s.register(&format!("t{tid}"), TaskKind::Daemon, 0, None);
    }
    s.started = true;
    let mut order = Vec::new();
    while let Pick::Run(id) = s.pick() {
        if s.tasks[id.0 as usize].slot.time_ps.load(Relaxed) == 0 {
            s.block_running(id, Some(MS), false);
        } else {
            order.push(id.0);
            s.finish(id);
        }
    }
    order
}

#[test]
fn without_a_seed_ties_go_in_insertion_order() {
    let fixed: Vec<u32> = (0..8).collect();
    assert_eq!(tie_order(None, 8, false), fixed);
    assert_eq!(tie_order(None, 8, true), fixed);
    assert_eq!(wake_order(None), fixed);
}

#[test]
fn a_seed_draws_the_order_of_timers_due_together() {
    let orders: Vec<Vec<u32>> = (1..=4).map(|s| wake_order(Some(s))).collect();
    for (seed, order) in (1..=4).zip(&orders) {
        assert_eq!(&wake_order(Some(seed)), order, "seed {seed}");
        assert_eq!(order.len(), 8);
    }
    assert!(
        orders.windows(2).any(|w| w[0] != w[1]),
        "the seeds agree: {orders:?}"
    );
}

#[test]
fn a_seed_draws_the_tie_order_the_same_way_each_time() {
    for harts in [false, true] {
        let orders: Vec<Vec<u32>> = (1..=4).map(|s| tie_order(Some(s), 8, harts)).collect();
        for (seed, order) in (1..=4).zip(&orders) {
            assert_eq!(&tie_order(Some(seed), 8, harts), order, "seed {seed}");
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..8).collect::<Vec<_>>(), "every task runs once");
        }
        assert!(
            orders.iter().any(|o| o.windows(2).any(|w| w[0] > w[1])),
            "no seed changed the insertion order ({harts}): {orders:?}"
        );
        assert!(
            orders.windows(2).any(|w| w[0] != w[1]),
            "the seeds agree ({harts}): {orders:?}"
        );
    }
}

#[test]
fn the_quantum_is_fixed_without_a_seed_and_drawn_near_it_with_one() {
    let quanta = |seed| {
        let mut s = Sched::new(None, 0, None, seed);
        let id = s.register("t1", TaskKind::Daemon, 0, None);
        s.started = true;
        (0..16)
            .map(|_| {
                assert_eq!(s.pick(), Pick::Run(id));
                s.yield_running(id, false);
                s.tasks[id.0 as usize].slot.quantum_ps.load(Relaxed)
            })
            .collect::<Vec<u64>>()
    };
    assert!(quanta(None).iter().all(|&q| q == MIN_QUANTUM_PS));
    let drawn = quanta(Some(3));
    assert_eq!(drawn, quanta(Some(3)));
    assert!(
        drawn
            .iter()
            .all(|&q| (MIN_QUANTUM_PS * 3 / 4..=MIN_QUANTUM_PS * 5 / 4).contains(&q)),
        "{drawn:?}"
    );
    assert!(drawn.iter().any(|&q| q != drawn[0]), "{drawn:?}");
}

/// Two nice-0 spinners on one CPU under `seed`: the lengths of the stretches each ran
/// without the other, in nanoseconds, in the order they ended (the first and last of
/// each left out: they begin or end with the run, not with a switch).
fn stretches(seed: Option<u64>) -> Vec<u64> {
    let (_v, c) = seeded_clock(Some(1), seed);
    let log = Arc::new(Mutex::new(Vec::new()));
    let bodies = (1..=2)
        .map(|tid| {
            let (c2, log) = (c.clone(), log.clone());
            let body: Body = Box::new(move || {
                let mut ran = Vec::new();
                let (mut start, mut last) = (c2.now_ns(), c2.now_ns());
                while c2.now_ns() < 60 * MS {
                    spin(&c2, 1000);
                    let now = c2.now_ns();
                    // A step takes a microsecond; a longer one means the other ran.
                    if now - last > 50_000 {
                        ran.push((last, last - start));
                        start = now;
                    }
                    last = now;
                }
                log.lock().extend(ran.into_iter().skip(1));
            });
            (tid, body)
        })
        .collect();
    join(harts(&c, bodies));
    let mut ran = log.lock().clone();
    ran.sort_unstable();
    ran.into_iter().map(|(_, len)| len).collect()
}

#[test]
fn slices_are_fixed_without_a_seed_and_drawn_with_one() {
    let fixed = stretches(None);
    assert!(fixed.len() >= 6, "{fixed:?}");
    // Two 3 ms slices (at the end of the first the two have run alike, so the other is
    // not behind), give or take a step of the spin.
    assert!(
        fixed
            .iter()
            .all(|&len| (6 * MS - 2000..=6 * MS + 2000).contains(&len)),
        "{fixed:?}"
    );
    let drawn = stretches(Some(11));
    assert_eq!(drawn, stretches(Some(11)), "a seed repeats");
    assert_ne!(drawn, fixed);
    // Each stretch is one or more slices of 2.25 to 3.75 ms.
    assert!(
        drawn.iter().all(|&len| len >= 9 * MS / 4 - 2000),
        "a slice shorter than the band: {drawn:?}"
    );
    assert!(
        drawn.iter().any(|&len| len.abs_diff(3 * MS) > 100_000),
        "no slice drawn away from 3 ms: {drawn:?}"
    );
}

#[test]
fn a_seed_keeps_the_nice_weights() {
    let [a, b] = seeded_shares([0, 19], 3000 * MS, Some(5));
    let ratio = a as f64 / b as f64;
    let expected = 1024.0 / 15.0;
    assert!(
        (ratio / expected - 1.0).abs() < 0.1,
        "nice 0 against nice 19 under seed 5: {a} vs {b} ns, ratio {ratio:.1}"
    );
}
