//! The device model driven deterministically: time is whatever the test says it is.

use devices::cast::{low_u32, u64_to_usize};
use devices::storage::{
    Bandwidth, Completion, DeviceConfig, DeviceModel, ErrorInjection, IoKind, IoPriority,
    IoRequest, IoScheduler, LatencyModel, StallModel,
};

const MS: u64 = 1_000_000;

fn model(latency: LatencyModel, depth: usize, scheduler: IoScheduler) -> DeviceModel {
    DeviceModel::new(DeviceConfig {
        latency,
        depth,
        scheduler,
        ..DeviceConfig::default()
    })
    .unwrap()
}

fn read(prio: IoPriority) -> IoRequest {
    IoRequest::read(0, 4096, 1, prio)
}

fn be(level: u8) -> IoPriority {
    IoPriority::best_effort(level).unwrap()
}

#[test]
fn prio_serves_rt_then_be_by_level_then_idle() {
    let mut m = model(LatencyModel::fixed(MS), 1, IoScheduler::Prio);
    let blocker = m.submit(0, read(be(4)));
    let idle = m.submit(0, read(IoPriority::idle()));
    let be7 = m.submit(0, read(be(7)));
    let be0 = m.submit(0, read(be(0)));
    let rt = m.submit(0, read(IoPriority::realtime(0).unwrap()));
    let order: Vec<_> = m.run_to_idle().iter().map(|c| c.id).collect();
    assert_eq!(order, [blocker, rt, be0, be7, idle]);
}

/// Keeps one best-effort request queued behind the one in service for `rounds`
/// completions, with an idle request queued from the start; returns the idle request's
/// completion and the time the best-effort stream stopped.
fn busy_device_with_idle_waiter(scheduler: IoScheduler, rounds: usize) -> (Completion, u64) {
    let mut m = model(LatencyModel::fixed(MS), 1, scheduler);
    m.submit(0, read(be(4)));
    let idle = m.submit(0, IoRequest::read(1 << 30, 4096, 2, IoPriority::idle()));
    m.submit(0, read(be(4)));
    let mut idle_done = None;
    let mut last = 0;
    for _ in 0..rounds {
        let t = m.next_event_ns().unwrap();
        for c in m.advance(t) {
            if c.id == idle {
                idle_done = Some(c);
            } else {
                last = t;
                m.submit(t, read(be(4)));
            }
        }
    }
    let idle_done = idle_done.or_else(|| m.run_to_idle().into_iter().find(|c| c.id == idle));
    (idle_done.unwrap(), last)
}

#[test]
fn prio_starves_idle_while_higher_classes_keep_the_device_busy() {
    let (idle, stream_end) = busy_device_with_idle_waiter(IoScheduler::Prio, 2000);
    assert!(stream_end >= 1999 * MS);
    assert!(
        idle.started_ns >= stream_end,
        "idle served at {} while the stream ran until {stream_end}",
        idle.started_ns
    );
}

#[test]
fn deadline_serves_an_expired_low_priority_request() {
    let (idle, _) = busy_device_with_idle_waiter(IoScheduler::default(), 2000);
    // Submitted at 0 with a 500 ms read expiry; the device frees a channel every 1 ms.
    assert_eq!(idle.started_ns, 500 * MS);
}

#[test]
fn depth_is_the_number_of_parallel_channels() {
    for depth in [1, 2, 3, 4, 8] {
        for n in [1, 5, 8, 13] {
            let mut m = model(LatencyModel::fixed(3 * MS), depth, IoScheduler::Fifo);
            for _ in 0..n {
                m.submit(0, read(be(4)));
            }
            let done = m.run_to_idle();
            assert_eq!(done.len(), n);
            let last = done.iter().map(|c| c.completed_ns).max().unwrap();
            assert_eq!(
                last,
                n.div_ceil(depth) as u64 * 3 * MS,
                "n {n} depth {depth}"
            );
            let mut channels: Vec<_> = done.iter().map(|c| c.channel).collect();
            channels.sort_unstable();
            channels.dedup();
            assert_eq!(channels.len(), n.min(depth));
        }
    }
}

#[test]
fn bandwidth_cap_adds_len_over_bandwidth() {
    let mut m = DeviceModel::new(DeviceConfig {
        latency: LatencyModel::fixed(0),
        depth: 1,
        bandwidth: Bandwidth::new(100 << 20),
        ..DeviceConfig::default()
    })
    .unwrap();
    for _ in 0..4 {
        m.submit(0, IoRequest::write(0, 1 << 20, 1, be(4)));
    }
    let ends: Vec<_> = m.run_to_idle().iter().map(|c| c.completed_ns).collect();
    assert_eq!(ends, [10 * MS, 20 * MS, 30 * MS, 40 * MS]);

    let mut m = DeviceModel::new(DeviceConfig {
        latency: LatencyModel::fixed(MS),
        depth: 1,
        bandwidth: Bandwidth::new(4096 * 1000),
        ..DeviceConfig::default()
    })
    .unwrap();
    m.submit(0, read(be(4)));
    assert_eq!(m.run_to_idle()[0].service_ns(), 2 * MS);
}

#[test]
fn scheduled_stall_delays_dispatch_by_its_remainder() {
    let mut m = DeviceModel::new(DeviceConfig {
        latency: LatencyModel::fixed(MS),
        depth: 2,
        stall: StallModel::scheduled(500 * MS, 100 * MS).unwrap(),
        ..DeviceConfig::default()
    })
    .unwrap();
    // Started just before the stall: finishes on time inside it.
    let early = m.submit(499 * MS + MS / 2, read(be(4)));
    // Submitted 20 ms into the stall: waits the remaining 80 ms.
    let mid = m.submit(520 * MS, read(be(4)));
    let done = m.run_to_idle();
    let by_id = |id| done.iter().find(|c| c.id == id).unwrap();
    assert_eq!(by_id(early).started_ns, 499 * MS + MS / 2);
    assert_eq!(by_id(early).completed_ns, 500 * MS + MS / 2);
    assert_eq!(by_id(mid).started_ns, 600 * MS);
    assert_eq!(by_id(mid).queue_wait_ns(), 80 * MS);
    assert_eq!(m.stats().stall_deferrals, 1);
    // After the stall the device serves at once again.
    let after = m.submit(650 * MS, read(be(4)));
    assert_eq!(m.run_to_idle()[0].id, after);
    assert_eq!(m.stats().total.queue_wait.max_ns(), 80 * MS);
}

#[test]
fn random_stalls_happen_at_rate_p_and_hold_every_channel() {
    let mut m = DeviceModel::new(DeviceConfig {
        latency: LatencyModel::fixed(1_000),
        depth: 1,
        stall: StallModel::random(0.01, 50 * MS).unwrap(),
        seed: 7,
        ..DeviceConfig::default()
    })
    .unwrap();
    let n = 100_000;
    for _ in 0..n {
        m.submit(0, read(be(4)));
    }
    let done = m.run_to_idle();
    let stalled: Vec<_> = done.iter().filter(|c| c.stall_ns > 0).collect();
    let rate = stalled.len() as f64 / n as f64;
    assert!((rate - 0.01).abs() < 0.001, "stall rate {rate}");
    assert!(stalled.iter().all(|c| c.stall_ns == 50 * MS));
    assert_eq!(m.stats().stalls, stalled.len() as u64);
    let end = done.last().unwrap().completed_ns;
    assert_eq!(end, n * 1_000 + stalled.len() as u64 * 50 * MS);

    // A stall taken on one channel keeps the others from starting anything.
    let mut m = DeviceModel::new(DeviceConfig {
        latency: LatencyModel::fixed(MS),
        depth: 2,
        stall: StallModel::random(1.0, 10 * MS).unwrap(),
        ..DeviceConfig::default()
    })
    .unwrap();
    m.submit(0, read(be(4)));
    m.submit(0, read(be(4)));
    let starts: Vec<_> = m.run_to_idle().iter().map(|c| c.started_ns).collect();
    assert_eq!(starts, [10 * MS, 20 * MS]);
}

#[test]
fn error_injection_fails_reads_only() {
    let mut m = DeviceModel::new(DeviceConfig {
        errors: ErrorInjection::fraction(0.1).unwrap(),
        seed: 3,
        ..DeviceConfig::default()
    })
    .unwrap();
    let n = 50_000;
    for i in 0..n {
        let r = if i % 2 == 0 {
            read(be(4))
        } else {
            IoRequest::write(0, 4096, 1, be(4))
        };
        m.submit(0, r);
    }
    let done = m.run_to_idle();
    let failed = |kind| {
        done.iter()
            .filter(|c| c.request.kind == kind && c.result.is_err())
            .count()
    };
    let rate = failed(IoKind::Read) as f64 / (n / 2) as f64;
    assert!((rate - 0.1).abs() < 0.01, "read error rate {rate}");
    assert_eq!(failed(IoKind::Write), 0);
    assert_eq!(m.stats().total.errors, failed(IoKind::Read) as u64);

    let mut m = DeviceModel::new(DeviceConfig {
        errors: ErrorInjection::range(40960, 81920).unwrap(),
        ..DeviceConfig::default()
    })
    .unwrap();
    for i in 0..100 {
        m.submit(0, IoRequest::read(i * 4096, 4096, 1, be(4)));
    }
    let mut failed: Vec<_> = m
        .run_to_idle()
        .iter()
        .filter(|c| c.result.is_err())
        .map(|c| c.request.offset / 4096)
        .collect();
    failed.sort_unstable();
    assert_eq!(failed, (10..20).collect::<Vec<_>>());
}

fn mixed_run(config: DeviceConfig) -> Vec<Completion> {
    let mut m = DeviceModel::new(config).unwrap();
    let prios = [
        IoPriority::realtime(1).unwrap(),
        be(0),
        be(6),
        IoPriority::idle(),
    ];
    let mut done = Vec::new();
    for i in 0..2000u64 {
        let t = i * 300_000;
        done.extend(m.advance(t));
        let r = IoRequest::read(
            i * 7919 % 1000 * 4096,
            4096,
            low_u32(i % 5),
            prios[u64_to_usize(i % 4)],
        );
        m.submit(t, r);
    }
    done.extend(m.run_to_idle());
    done
}

#[test]
fn same_seed_same_run() {
    let config = DeviceConfig {
        latency: "mix:0.9*lognormal:500us,3ms+0.1*exp:5ms".parse().unwrap(),
        depth: 3,
        stall: StallModel::random(0.005, 20 * MS).unwrap(),
        seed: 11,
        ..DeviceConfig::default()
    };
    let a = mixed_run(config.clone());
    assert_eq!(a.len(), 2000);
    assert_eq!(a, mixed_run(config.clone()));
    assert_ne!(a, mixed_run(DeviceConfig { seed: 12, ..config }));
}

#[test]
fn error_injection_leaves_latencies_alone() {
    let config = DeviceConfig {
        latency: LatencyModel::exponential(MS),
        depth: 1,
        scheduler: IoScheduler::Fifo,
        seed: 5,
        ..DeviceConfig::default()
    };
    let service = |c: Vec<Completion>| c.iter().map(Completion::service_ns).collect::<Vec<_>>();
    let plain = service(mixed_run(config.clone()));
    let with_errors = service(mixed_run(DeviceConfig {
        errors: ErrorInjection::fraction(0.5).unwrap(),
        ..config
    }));
    assert_eq!(plain, with_errors);
}

#[test]
fn stats_count_per_class_and_export_named_counters() {
    let mut m = model(LatencyModel::fixed(2 * MS), 1, IoScheduler::Fifo);
    m.submit(0, read(IoPriority::realtime(0).unwrap()));
    m.submit(0, IoRequest::write(0, 8192, 1, be(3)));
    m.submit(0, read(IoPriority::DEFAULT));
    m.run_to_idle();
    let s = m.stats();
    assert_eq!((s.total.reads, s.total.writes), (2, 1));
    assert_eq!(
        (s.realtime.reads, s.best_effort.reads, s.best_effort.writes),
        (1, 1, 1)
    );
    assert_eq!(s.best_effort.bytes_written, 8192);
    let counters: std::collections::HashMap<_, _> = s.counters().into_iter().collect();
    assert_eq!(counters["io.reads"], 2);
    assert_eq!(counters["io.writes"], 1);
    assert_eq!(counters["io.rt.reads"], 1);
    assert_eq!(counters["io.idle.reads"], 0);
    // Reads finished at 2 ms and 6 ms after submission at 0.
    let near = |got: u64, want: u64| got.abs_diff(want) <= want / 500;
    assert!(near(counters["io.read_latency_ns.p50"], 2 * MS));
    assert_eq!(counters["io.read_latency_ns.max"], 6 * MS);
    assert_eq!(counters["io.queue_wait_ns.max"], 4 * MS);
    assert!(near(counters["io.queue_wait_ns.p50"], 2 * MS));
}

#[test]
fn zero_depth_is_refused() {
    let config = DeviceConfig {
        depth: 0,
        ..DeviceConfig::default()
    };
    assert!(DeviceModel::new(config).is_err());
}

#[test]
fn a_stall_from_now_holds_queued_requests_and_lets_service_finish() {
    let mut m = model(LatencyModel::fixed(MS), 1, IoScheduler::Fifo);
    let first = m.submit(0, read(be(4)));
    let second = m.submit(0, read(be(4)));
    // The first is in service; the second waits out the stall, then its service.
    m.stall(MS / 2, 5 * MS);
    let done = m.run_to_idle();
    assert_eq!(done[0].id, first);
    assert_eq!(done[0].completed_ns, MS);
    assert_eq!(done[1].id, second);
    assert_eq!(done[1].started_ns, MS / 2 + 5 * MS);
    assert_eq!(done[1].completed_ns, MS / 2 + 6 * MS);
    // A shorter stall inside a longer one does not end it early.
    m.stall(10 * MS, 5 * MS);
    m.stall(11 * MS, MS);
    let third = m.submit(11 * MS, read(be(4)));
    let done = m.run_to_idle();
    assert_eq!((done[0].id, done[0].started_ns), (third, 15 * MS));
}

#[test]
fn a_new_latency_model_serves_the_requests_started_after_it() {
    let mut m = model(LatencyModel::fixed(MS), 1, IoScheduler::Fifo);
    let old = m.submit(0, read(be(4)));
    let new = m.submit(0, read(be(4)));
    m.set_latency(MS / 2, LatencyModel::fixed(7 * MS));
    let done = m.run_to_idle();
    assert_eq!((done[0].id, done[0].completed_ns), (old, MS));
    assert_eq!((done[1].id, done[1].completed_ns), (new, 8 * MS));
}
