//! The report over synthetic traces written by the recorder.

use super::testkit::{
    addr, begin, end, flow_in, flow_out, instant, on_lane, rename, text, tids, uint, Script, US,
};
use super::{blame, latency, load, report, Format, Request};
use devices::trace::catalog as c;
use std::path::{Path, PathBuf};

/// The VMA the real-time thread's mprotect write-locks.
const VMA: u64 = 0x4000_0000;

/// A priority inversion, as the linux-mm thread describes it:
/// - `bg` (tid 11) faults on the VMA under its VMA lock and waits for its read, request
///   17 of class idle at queue position 12, which `disk0` serves late (45 ms queued, 15
///   ms in service);
/// - `rt` (tid 10) calls mprotect on the VMA: it takes mmap_lock for write, then waits
///   in `vma write wait` for `bg`'s attempt to end;
/// - `rt2` (tid 12) faults elsewhere under mmap_lock and waits behind `rt`'s write hold,
///   let in by its release.
fn inversion() -> Script {
    let mut s = Script::default();
    let bg = s.hart(11, "bg");
    bg.extend([
        begin(
            500,
            c::FAULT,
            &[addr(c::ADDR, VMA + 0x123), text(c::ACCESS, "read")],
        ),
        begin(
            500,
            c::FAULT_ATTEMPT,
            &[text(c::LOCK, "vma"), uint(c::TRIED, 0), addr(c::VMA, VMA)],
        ),
        instant(
            600,
            c::IO_SUBMIT,
            &[
                text(c::DEVICE, "disk0"),
                uint(c::REQUEST, 17),
                text(c::CLASS, "idle"),
                uint(c::QUEUE_POS, 12),
                uint(c::BYTES, 4096),
            ],
        ),
        begin(
            600,
            c::FOLIO_WAIT,
            &[text(c::WHAT, "io"), text(c::LOCK, "vma"), uint(c::HELD, 1)],
        ),
        end(60_600, &[]),
        end(60_600, &[text(c::RESULT, "done")]),
        end(
            60_700,
            &[
                text(c::OUTCOME, "major"),
                text(c::PATH, "vma"),
                uint(c::ATTEMPTS, 1),
            ],
        ),
    ]);
    let rt = s.hart(10, "rt");
    rt.extend([
        begin(
            1_000,
            "mprotect",
            &[uint(c::ARG0, VMA), uint(c::ARG1, 0x1000), uint(c::ARG2, 1)],
        ),
        begin(
            1_000,
            c::MMAP_LOCK_WRITE_WAIT,
            &[
                uint(c::WRITER, 0),
                tids(c::READERS, &[]),
                uint(c::AHEAD, 0),
                uint(c::WRITERS_AHEAD, 0),
            ],
        ),
        end(1_010, &[]),
        begin(1_010, c::MMAP_LOCK_WRITE, &[]),
        begin(1_020, c::VMA_WRITE_WAIT, &[addr(c::VMA, VMA)]),
        end(60_610, &[]),
        flow_out(1, instant(60_630, c::LOCK_HANDOFF, &[uint(c::WAITER, 12)])),
        end(60_630, &[]),
        end(60_640, &[uint(c::RET, 0)]),
    ]);
    let rt2 = s.hart(12, "rt2");
    rt2.extend([
        begin(
            1_015,
            c::FAULT,
            &[addr(c::ADDR, 0x5000_0000), text(c::ACCESS, "write")],
        ),
        begin(
            1_015,
            c::FAULT_ATTEMPT,
            &[text(c::LOCK, "mmap"), uint(c::TRIED, 0)],
        ),
        begin(
            1_015,
            c::MMAP_LOCK_READ_WAIT,
            &[
                uint(c::WRITER, 10),
                tids(c::READERS, &[]),
                uint(c::AHEAD, 0),
                uint(c::WRITERS_AHEAD, 0),
            ],
        ),
        flow_in(1, end(60_630, &[])),
        end(60_650, &[text(c::RESULT, "done")]),
        end(
            60_660,
            &[
                text(c::OUTCOME, "minor"),
                text(c::PATH, "mmap"),
                uint(c::ATTEMPTS, 1),
            ],
        ),
        // Never ended: not a latency event.
        begin(
            70_000,
            c::FAULT,
            &[addr(c::ADDR, 0x6000_0000), text(c::ACCESS, "read")],
        ),
    ]);
    let disk = s.device("disk0");
    disk.extend([
        on_lane(
            "disk0",
            0,
            begin(
                600,
                c::IO_READ,
                &[
                    uint(c::REQUEST, 17),
                    text(c::OP, "read"),
                    text(c::CLASS, "idle"),
                    uint(c::PRIO, 7),
                    uint(c::SUBMITTER, 11),
                ],
            ),
        ),
        on_lane(
            "disk0",
            0,
            end(
                60_590,
                &[
                    uint(c::QUEUE_NS, 44_990 * US),
                    uint(c::SERVICE_NS, 15_000 * US),
                    text(c::RESULT, "ok"),
                ],
            ),
        ),
    ]);
    s
}

/// `script` written to a trace in a new temporary folder.
fn written(script: Script) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.pftrace");
    script.write(&path);
    (dir, path)
}

/// The report `format` of `path`, for `thread` or blaming `blame`.
fn run(path: &Path, format: Format, thread: Option<&str>, blame: Option<&str>) -> String {
    let mut out = Vec::new();
    let request = Request {
        trace: path.to_path_buf(),
        format,
        thread: thread.map(String::from),
        blame: blame.map(|b| (b.to_string(), 5)),
    };
    report(&request, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Every line of a chain, depth first.
fn lines(link: &blame::Link, out: &mut Vec<String>) {
    out.push(link.text.clone());
    for c in &link.causes {
        lines(c, out);
    }
}

#[test]
fn slices_join_their_ends_arguments_across_sequences() {
    let (_dir, path) = written(inversion());
    let trace = load::load(&path).unwrap();
    assert_eq!(trace.thread_tracks.len(), 3);
    assert_eq!(trace.dropped, Some(0));
    let fault = &trace.slices[trace.thread_slices(11)[0]];
    assert_eq!(&*fault.name, c::FAULT);
    assert_eq!(fault.dur_ns(), Some(60_200 * US));
    assert_eq!(fault.args.uint(c::ADDR), Some(VMA + 0x123));
    assert_eq!(fault.args.str(c::OUTCOME), Some("major"));
    let lane = trace
        .slices
        .iter()
        .find(|s| &*s.name == c::IO_READ)
        .unwrap();
    assert_eq!(trace.lane(lane.track), Some(("disk0", "lane 0")));
    assert_eq!(lane.args.uint(c::SERVICE_NS), Some(15_000 * US));
    // An end's flow joins its slice.
    let wait = &trace.slices[trace.open_at(12, c::MMAP_LOCK_READ_WAIT, 2_000 * US)[0]];
    assert_eq!(wait.flows_in, [1]);
}

#[test]
fn latency_events_are_the_ended_slices_of_measured_classes() {
    let (_dir, path) = written(inversion());
    let trace = load::load(&path).unwrap();
    let classes: Vec<(u32, String)> = latency::events(&trace, None)
        .iter()
        .map(|e| (e.tid, e.class.to_string()))
        .collect();
    let want = [
        (11, "fault vma major"),
        (11, "folio wait io"),
        (10, "mprotect"),
        (10, "mmap_lock write wait"),
        (10, "vma write wait"),
        (12, "fault mmap minor"),
        (12, "mmap_lock read wait"),
        (11, "io read idle"),
    ];
    let want: Vec<(u32, String)> = want.iter().map(|&(t, s)| (t, s.to_string())).collect();
    assert_eq!(classes, want);
    // One CSV row per event, after the header.
    let csv = run(&path, Format::Csv, None, None);
    assert_eq!(csv.lines().count(), 1 + want.len(), "{csv}");
    assert!(
        csv.contains("\n11,bg,io read idle,600000,59990000\n"),
        "{csv}"
    );
}

#[test]
fn percentiles_match_a_hand_computed_set() {
    // 100 faults of 10, 20, ... 1000 µs.
    let mut s = Script::default();
    let t = s.hart(7, "w");
    for k in 1..=100u64 {
        let at = k * 10_000;
        t.push(begin(at, c::FAULT, &[addr(c::ADDR, 0x1000)]));
        t.push(end(
            at + k * 10,
            &[text(c::OUTCOME, "minor"), text(c::PATH, "vma")],
        ));
    }
    let (_dir, path) = written(s);
    let trace = load::load(&path).unwrap();
    let tables = latency::tables(&trace, &latency::events(&trace, None), true);
    assert_eq!(tables.len(), 1);
    let row = &tables[0].rows[0];
    assert_eq!((row.class.as_str(), row.count), ("fault vma minor", 100));
    // Exact: min, mean (50.5 * 10 µs), max.
    assert_eq!((row.min_us, row.mean_us, row.max_us), (10.0, 505.0, 1000.0));
    // Nearest rank: the 50th, 90th, 99th and 100th values, within the histogram's 0.1%.
    let want = [500.0, 900.0, 990.0, 1000.0, 1000.0];
    let got = [
        row.p50_us,
        row.p90_us,
        row.p99_us,
        row.p99_9_us,
        row.p99_99_us,
    ];
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= w * 1e-3, "got {got:?}, want {want:?}");
    }
}

#[test]
fn a_thread_is_selected_by_tid_or_by_any_name_it_had() {
    let mut s = inversion();
    s.hart(13, "starter").extend([
        rename(1, "worker"),
        begin(2, "munmap", &[uint(c::ARG0, 0)]),
        end(5, &[]),
    ]);
    let (_dir, path) = written(s);
    let by_name = run(&path, Format::Text, Some("bg"), None);
    assert!(by_name.contains("tid 11 (bg)"), "{by_name}");
    assert!(
        !by_name.contains("tid 10") && !by_name.contains("all threads"),
        "{by_name}"
    );
    assert_eq!(by_name, run(&path, Format::Text, Some("11"), None));
    // The old name and the new one both find the renamed thread; the table shows the new.
    let old = run(&path, Format::Text, Some("starter"), None);
    assert!(
        old.contains("tid 13 (worker)") && old.contains("munmap"),
        "{old}"
    );
    assert_eq!(old, run(&path, Format::Text, Some("worker"), None));
    let all = run(&path, Format::Text, None, None);
    assert!(
        all.contains("all threads") && all.contains("tid 12 (rt2)"),
        "{all}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&run(&path, Format::Json, Some("rt"), None)).unwrap();
    let rows = &json["tables"][0]["rows"];
    assert_eq!(json["tables"][0]["tid"], 10);
    assert_eq!(rows.as_array().unwrap().len(), 3);
    assert_eq!(rows[2]["class"], "mprotect");
    assert_eq!(rows[2]["max_us"], 59_640.0);
}

#[test]
fn blame_follows_the_inversion_chain_to_the_idle_request() {
    let (_dir, path) = written(inversion());
    let trace = load::load(&path).unwrap();
    let b = blame::blame(&trace, 12, 5);
    assert_eq!((b.waits, b.worst.len()), (1, 1));
    let mut chain = Vec::new();
    lines(&b.worst[0], &mut chain);
    let want = [
        "mmap_lock read wait 59.615 ms from 1.015 ms, in fault at 0x50000000 (write)",
        "let in by tid 10 (rt)'s release at 60.630 ms",
        "tid 10 (rt) held mmap_lock for write since 1.010 ms, in mprotect(0x40000000, 0x1000, 0x1)",
        "vma write wait 59.590 ms from 1.020 ms on VMA 0x40000000, in mprotect(0x40000000, 0x1000, 0x1)",
        "tid 11 (bg) held VMA 0x40000000 for read since 500.0 µs, in fault at 0x40000123 (read)",
        "folio wait 60.000 ms from 600.0 µs for io under the vma lock (kept: 1), in fault at 0x40000123 (read)",
        "io submit at 600.0 µs: request 17 to disk0, read, class idle, prio 7, queue position 12, 4096 bytes",
        "served by disk0 lane 0: queued 44.990 ms, served in 15.000 ms, done at 60.590 ms, result ok",
    ];
    assert_eq!(chain, want);
    // The text form is the same chain, indented.
    let out = run(&path, Format::Text, None, Some("rt2"));
    for line in want {
        assert!(out.contains(line), "{line} missing from\n{out}");
    }
    // rt's worst wait is the VMA's, bg's is its folio wait.
    let rt = blame::blame(&trace, 10, 1);
    assert!(
        rt.worst[0].text.starts_with("vma write wait"),
        "{:?}",
        rt.worst
    );
    assert_eq!(rt.waits, 2);
}

#[test]
fn a_wait_chain_that_comes_back_to_itself_stops() {
    // Two threads each hold mmap_lock for read in their own slice and wait in a
    // `vma write wait` whose reader is the other: a cycle the report must cut.
    let mut s = Script::default();
    for (me, other) in [(20u32, 21u32), (21, 20)] {
        let vma = 0x1000 * u64::from(me);
        let other_vma = 0x1000 * u64::from(other);
        s.hart(me, if me == 20 { "a" } else { "b" }).extend([
            begin(
                10,
                c::FAULT_ATTEMPT,
                &[text(c::LOCK, "vma"), addr(c::VMA, vma)],
            ),
            begin(20, c::VMA_WRITE_WAIT, &[addr(c::VMA, other_vma)]),
            end(100, &[]),
            end(110, &[]),
        ]);
    }
    let (_dir, path) = written(s);
    let trace = load::load(&path).unwrap();
    let b = blame::blame(&trace, 20, 5);
    let mut chain = Vec::new();
    lines(&b.worst[0], &mut chain);
    assert!(chain.last().unwrap().contains("a cycle"), "{chain:?}");
    assert!(chain.len() < 10, "{chain:?}");
}

#[test]
fn a_wait_the_trace_ends_in_is_the_worst() {
    let mut s = Script::default();
    let lock_wait = |at: u64, readers: &[u32]| {
        begin(
            at,
            c::MMAP_LOCK_WRITE_WAIT,
            &[uint(c::WRITER, 0), tids(c::READERS, readers)],
        )
    };
    s.hart(30, "stuck")
        .extend([lock_wait(10, &[]), end(20, &[]), lock_wait(30, &[31, 32])]);
    s.hart(31, "holder").extend([
        begin(5, "munmap", &[uint(c::ARG0, 0x7000)]),
        begin(6, c::MMAP_LOCK_READ, &[]),
        begin(40, c::RECLAIM, &[]),
        end(60, &[uint(c::SCANNED, 32)]),
    ]);
    s.hart(32, "gone").push(instant(100, "marker", &[]));
    let (_dir, path) = written(s);
    let trace = load::load(&path).unwrap();
    let b = blame::blame(&trace, 30, 5);
    assert_eq!(b.waits, 2);
    let mut chain = Vec::new();
    lines(&b.worst[0], &mut chain);
    assert_eq!(
        chain,
        [
            "mmap_lock write wait (not ended when the trace ends) from 30.0 µs",
            "tid 31 (holder) held mmap_lock for read since 6.0 µs, in munmap(0x7000, ?, ?)",
            "reclaim 20.0 µs from 40.0 µs",
            "tid 32 (gone) held mmap_lock for read (no hold of it open in the trace)",
        ]
    );
}

#[test]
fn a_chain_with_many_holders_is_cut() {
    // 150 readers of one VMA, each waiting for a locked folio.
    let mut s = Script::default();
    s.hart(1, "writer").extend([
        begin(10, c::VMA_WRITE_WAIT, &[addr(c::VMA, VMA)]),
        end(100, &[]),
    ]);
    for tid in 2..152 {
        s.hart(tid, "reader").extend([
            begin(
                5,
                c::FAULT_ATTEMPT,
                &[text(c::LOCK, "vma"), addr(c::VMA, VMA)],
            ),
            begin(6, c::FOLIO_WAIT, &[text(c::WHAT, "locked")]),
            end(90, &[]),
            end(95, &[]),
        ]);
    }
    let (_dir, path) = written(s);
    let trace = load::load(&path).unwrap();
    let mut chain = Vec::new();
    lines(&blame::blame(&trace, 1, 1).worst[0], &mut chain);
    let cut = chain
        .iter()
        .filter(|l| l.contains("chain cut at 100"))
        .count();
    // The first 99 folio waits are explained (the VMA's wait is the 100th).
    assert_eq!(cut, 150 - 99, "{chain:?}");
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let error = |path: &Path, thread: Option<&str>| {
        let request = Request {
            trace: path.to_path_buf(),
            format: Format::Text,
            thread: thread.map(String::from),
            blame: None,
        };
        let e = report(&request, &mut Vec::new()).unwrap_err();
        let msg = format!("{e:#}");
        assert_eq!(msg.lines().count(), 1, "{msg}");
        msg
    };
    assert!(error(&dir.path().join("missing"), None).contains("cannot open"));
    let text = dir.path().join("text");
    std::fs::write(&text, "hello, world\n").unwrap();
    assert!(error(&text, None).contains("not a Perfetto trace"));
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    assert!(error(&empty, None).contains("no packets"));
    let (_d, good) = written(inversion());
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut");
    std::fs::write(&cut, &bytes[..bytes.len() - 3]).unwrap();
    assert!(error(&cut, None).contains("truncated packet"));
    assert!(error(&good, Some("nobody")).contains("no thread called 'nobody'"));
    assert!(error(&good, Some("99")).contains("no thread with tid 99"));
}

#[test]
fn blame_as_json_is_the_same_chain() {
    let (_dir, path) = written(inversion());
    let json: serde_json::Value =
        serde_json::from_str(&run(&path, Format::Json, None, Some("12"))).unwrap();
    assert_eq!(
        (json["tid"].as_u64(), json["waits"].as_u64()),
        (Some(12), Some(1))
    );
    let holder = &json["worst"][0]["causes"][1];
    assert!(holder["text"]
        .as_str()
        .unwrap()
        .starts_with("tid 10 (rt) held mmap_lock"));
    assert_eq!(holder["causes"][0]["causes"].as_array().unwrap().len(), 1);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// A corrupted trace is an error or a report, never a panic.
    #[test]
    fn a_corrupted_trace_never_panics(at in 0usize..100_000, byte in 0u8..=255, cut in 0usize..64) {
        let (_dir, path) = written(inversion());
        let mut bytes = std::fs::read(&path).unwrap();
        let at = at % bytes.len();
        bytes[at] = byte;
        bytes.truncate(bytes.len() - cut);
        if let Ok(trace) = load::read(bytes.as_slice()) {
            let events = latency::events(&trace, None);
            latency::tables(&trace, &events, false);
            for &tid in trace.thread_tracks.keys() {
                blame::blame(&trace, tid, 5);
            }
        }
    }
}
