//! Whatever the scheduler and device settings, a finite stream of requests is served
//! completely: every request exactly once, on a channel no other request holds.

use devices::storage::{
    Bandwidth, DeadlineTunables, DeviceConfig, DeviceModel, IoPriority, IoRequest, IoScheduler,
    LatencyModel, StallModel,
};
use proptest::prelude::*;

const MS: u64 = 1_000_000;

fn scheduler() -> impl Strategy<Value = IoScheduler> {
    prop_oneof![
        Just(IoScheduler::Fifo),
        Just(IoScheduler::Prio),
        (1..50 * MS, 1..200 * MS).prop_map(|(read_expire_ns, write_expire_ns)| {
            IoScheduler::Deadline(DeadlineTunables {
                read_expire_ns,
                write_expire_ns,
            })
        }),
    ]
}

fn latency() -> impl Strategy<Value = LatencyModel> {
    prop_oneof![
        (0..2 * MS).prop_map(LatencyModel::fixed),
        (0..MS, 0..MS).prop_map(|(a, b)| LatencyModel::uniform(a, a + b).unwrap()),
        (1..2 * MS).prop_map(LatencyModel::exponential),
        (1..MS, 0..20 * MS).prop_map(|(m, d)| LatencyModel::lognormal(m, m + d).unwrap()),
    ]
}

fn stall() -> impl Strategy<Value = StallModel> {
    prop_oneof![
        Just(StallModel::never()),
        (2 * MS..50 * MS, 0u64..100).prop_map(|(every, pct)| StallModel::scheduled(
            every,
            every * pct / 100
        )
        .unwrap()),
        (0.0..0.3f64, 0..5 * MS).prop_map(|(p, d)| StallModel::random(p, d).unwrap()),
    ]
}

fn config() -> impl Strategy<Value = DeviceConfig> {
    (
        latency(),
        1usize..6,
        scheduler(),
        proptest::option::of((1u64 << 20..1 << 30).prop_map(|b| Bandwidth::new(b).unwrap())),
        stall(),
        any::<u64>(),
    )
        .prop_map(
            |(latency, depth, scheduler, bandwidth, stall, seed)| DeviceConfig {
                latency,
                depth,
                scheduler,
                bandwidth,
                stall,
                seed,
                ..DeviceConfig::default()
            },
        )
}

fn priority() -> impl Strategy<Value = IoPriority> {
    prop_oneof![
        Just(IoPriority::DEFAULT),
        (0u8..8).prop_map(|l| IoPriority::realtime(l).unwrap()),
        (0u8..8).prop_map(|l| IoPriority::best_effort(l).unwrap()),
        Just(IoPriority::idle()),
    ]
}

/// A request and the time since the previous submission.
fn arrival() -> impl Strategy<Value = (u64, IoRequest)> {
    (
        prop_oneof![Just(0), 0..3 * MS],
        any::<bool>(),
        0u64..1 << 20,
        0u64..1 << 16,
        0u32..8,
        priority(),
    )
        .prop_map(|(gap, write, offset, len, tid, prio)| {
            let r = if write {
                IoRequest::write(offset, len, tid, prio)
            } else {
                IoRequest::read(offset, len, tid, prio)
            };
            (gap, r)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_request_is_served_exactly_once(
        config in config(),
        arrivals in proptest::collection::vec(arrival(), 0..200),
    ) {
        let depth = config.depth;
        let mut m = DeviceModel::new(config).unwrap();
        let mut submitted = Vec::new();
        let mut done = Vec::new();
        let mut t = 0;
        for (gap, request) in arrivals {
            t += gap;
            done.extend(m.advance(t));
            let id = m.submit(t, request);
            submitted.push((id, t, request));
        }
        done.extend(m.run_to_idle());

        prop_assert_eq!(m.queued() + m.in_flight(), 0);
        prop_assert_eq!(m.next_event_ns(), None);
        let mut ids: Vec<_> = done.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        let want: Vec<_> = submitted.iter().map(|&(id, _, _)| id).collect();
        prop_assert_eq!(ids, want);

        let mut per_channel = vec![Vec::new(); depth];
        for c in &done {
            let (_, at, request) = submitted[devices::cast::u64_to_usize(c.id.0)];
            prop_assert_eq!(c.request, request);
            prop_assert_eq!(c.submitted_ns, at);
            prop_assert!(c.submitted_ns <= c.started_ns && c.started_ns <= c.completed_ns);
            prop_assert!(c.channel < depth);
            // The channel is held from dispatch, before any stall taken then.
            per_channel[c.channel].push((c.started_ns - c.stall_ns, c.completed_ns));
        }
        for spans in &mut per_channel {
            spans.sort_unstable();
            for w in spans.windows(2) {
                prop_assert!(w[0].1 <= w[1].0, "channel overlap {:?}", w);
            }
        }
        prop_assert_eq!(m.stats().total.reads + m.stats().total.writes, done.len() as u64);
    }
}
