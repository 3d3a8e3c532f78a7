//! `faultline report` end to end: the built binary reads a trace written by the
//! recorder (a real-time thread's mprotect waiting for a VMA whose reader waits for an
//! idle-class read) and prints its tables, its CSV, its JSON and the blame chain; bad
//! inputs get one line and exit status 2.

use devices::trace::{
    catalog as c, emit, Owner, Phase, Recorder, TraceArg, TraceRecord, TraceValue, TrackRef,
    WhenFull,
};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use tests::{faultline_bin, shell_status, Scratch};

const VMA: u64 = 0x4000_0000;

fn arg(name: &'static str, value: TraceValue) -> TraceArg {
    TraceArg::new(name, value)
}

fn rec(
    us: u64,
    phase: Phase,
    track: TrackRef,
    name: &'static str,
    args: &[TraceArg],
) -> TraceRecord {
    TraceRecord::new(us * 1_000, phase, track, name).with_args(args)
}

/// Records `records` as `owner` on a thread of its own.
fn record(recorder: &Recorder, owner: Owner, records: Vec<TraceRecord>) {
    let recorder = recorder.clone();
    std::thread::spawn(move || {
        recorder.attach(owner);
        for r in records {
            emit(move |_| r);
        }
        devices::trace::detach();
    })
    .join()
    .unwrap();
}

/// Writes the inversion's trace to `path`.
fn write_trace(path: &Path) {
    use Phase::{Begin, End, Instant};
    use TraceValue::{Addr, Str, Uint};
    let own = TrackRef::Own;
    let lane = TrackRef::Lane {
        device: "disk0",
        lane: 0,
    };
    let recorder = Recorder::create(
        path,
        1,
        "guest",
        WhenFull::Block,
        Arc::new(devices::HostClock::new()),
    )
    .unwrap();
    let bg = Owner::Hart {
        tid: 11,
        name: "bg".into(),
    };
    record(
        &recorder,
        bg,
        vec![
            rec(500, Begin, own, c::FAULT, &[arg(c::ADDR, Addr(VMA + 8))]),
            rec(
                500,
                Begin,
                own,
                c::FAULT_ATTEMPT,
                &[arg(c::LOCK, Str("vma")), arg(c::VMA, Addr(VMA))],
            ),
            rec(
                600,
                Instant,
                own,
                c::IO_SUBMIT,
                &[
                    arg(c::DEVICE, Str("disk0")),
                    arg(c::REQUEST, Uint(17)),
                    arg(c::CLASS, Str("idle")),
                    arg(c::QUEUE_POS, Uint(12)),
                ],
            ),
            rec(600, Begin, own, c::FOLIO_WAIT, &[arg(c::WHAT, Str("io"))]),
            rec(50_600, End, own, "", &[]),
            rec(50_600, End, own, "", &[arg(c::RESULT, Str("done"))]),
            rec(
                50_700,
                End,
                own,
                "",
                &[arg(c::OUTCOME, Str("major")), arg(c::PATH, Str("vma"))],
            ),
        ],
    );
    let rt = Owner::Hart {
        tid: 10,
        name: "rt".into(),
    };
    record(
        &recorder,
        rt,
        vec![
            rec(1_000, Begin, own, "mprotect", &[arg(c::ARG0, Uint(VMA))]),
            rec(1_000, Begin, own, c::MMAP_LOCK_WRITE, &[]),
            rec(
                1_000,
                Begin,
                own,
                c::VMA_WRITE_WAIT,
                &[arg(c::VMA, Addr(VMA))],
            ),
            rec(50_610, End, own, "", &[]),
            rec(50_620, End, own, "", &[]),
            rec(50_630, End, own, "", &[arg(c::RET, Uint(0))]),
        ],
    );
    record(
        &recorder,
        Owner::Device("disk0"),
        vec![
            rec(
                600,
                Begin,
                lane,
                c::IO_READ,
                &[
                    arg(c::REQUEST, Uint(17)),
                    arg(c::CLASS, Str("idle")),
                    arg(c::SUBMITTER, Uint(11)),
                ],
            ),
            rec(
                50_590,
                End,
                lane,
                "",
                &[
                    arg(c::QUEUE_NS, Uint(40_000_000)),
                    arg(c::SERVICE_NS, Uint(9_990_000)),
                ],
            ),
        ],
    );
    recorder.finish().unwrap();
}

fn report(args: &[&str]) -> Output {
    Command::new(faultline_bin())
        .arg("report")
        .args(args)
        .output()
        .expect("run faultline")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn report_prints_tables_csv_json_and_the_blame_chain() {
    let dir = Scratch::new("report");
    let trace = dir.0.join("t.pftrace");
    write_trace(&trace);
    let t = trace.to_str().unwrap();

    let tables = stdout(&report(&[t]));
    for want in [
        "tid 10 (rt)",
        "tid 11 (bg)",
        "all threads",
        "vma write wait",
        "io read idle",
    ] {
        assert!(tables.contains(want), "{want} missing from\n{tables}");
    }
    let only = stdout(&report(&["--thread", "bg", t]));
    assert!(
        only.contains("fault vma major") && !only.contains("tid 10"),
        "{only}"
    );

    // bg: fault, folio wait, its read; rt: mprotect, vma write wait.
    let csv = stdout(&report(&["--csv", t]));
    assert_eq!(csv.lines().count(), 1 + 5, "{csv}");

    let json: serde_json::Value = serde_json::from_str(&stdout(&report(&["--json", t]))).unwrap();
    assert_eq!(json["unit"], "us");
    assert_eq!(json["tables"].as_array().unwrap().len(), 3);

    let blame = stdout(&report(&["--blame", "rt", "--top", "1", t]));
    for want in [
        "#1 vma write wait 49.610 ms from 1.000 ms on VMA 0x40000000",
        "tid 11 (bg) held VMA 0x40000000 for read since 500.0 µs, in fault at 0x40000008",
        "folio wait 50.000 ms from 600.0 µs for io",
        "request 17 to disk0, class idle, queue position 12",
        "served by disk0 lane 0: queued 40.000 ms, served in 9.990 ms",
    ] {
        assert!(blame.contains(want), "{want} missing from\n{blame}");
    }
}

#[test]
fn bad_report_inputs_are_one_line_and_status_2() {
    let dir = Scratch::new("report-bad");
    let trace = dir.0.join("t.pftrace");
    write_trace(&trace);
    let not_trace = dir.0.join("notes.txt");
    std::fs::write(&not_trace, "not a trace\n").unwrap();
    let cases: [(&[&str], &str); 3] = [
        (&["--thread", "nobody"], "no thread called 'nobody'"),
        (&[], "cannot open"),
        (&[], "not a Perfetto trace"),
    ];
    let paths = [trace.clone(), dir.0.join("missing"), not_trace];
    for ((args, what), path) in cases.iter().zip(paths) {
        let mut all = args.to_vec();
        all.push(path.to_str().unwrap());
        let out = report(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(shell_status(&out), 2, "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(what), "{what} missing from {stderr}");
    }
}
