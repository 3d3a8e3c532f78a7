//! The Perfetto encoder's output, checked independently: a small synthetic trace (two
//! thread tracks with nested slices, a flow between them, a device track with a counter,
//! interned names and arguments) must equal the committed golden bytes, so encoding drift
//! is caught, and must pass `tools/check_trace.py`, which parses it with Perfetto's own
//! Python protos. That check needs `$FAULTLINE_PYTHON`, a Python with the pinned
//! `perfetto` package (`.ci/run` makes one); without it those tests print that they were
//! skipped. The trimmed schema itself is compared with Perfetto's full one, field by field.
//!
//! `FAULTLINE_BLESS=1` rewrites the golden files from the current encoder instead.

use devices::trace::{Arg, ArgValue, CounterUnit, Event, FlowId, PerfettoWriter};
use std::num::NonZeroU32;
use std::path::Path;
use std::process::{Command, Output};
use tests::{perfetto_python, repo_root};

/// The golden trace and its protobuf text dump.
const GOLDEN: &str = "tests/golden/small.pftrace";
/// The text dump of [`GOLDEN`], as Perfetto's Python protos print it.
const GOLDEN_TEXT: &str = "tests/golden/small.pftrace.txt";

/// A small trace using every kind of track and event the encoder writes. With `close`
/// false, the outer slice of the main thread is left open (a broken trace).
fn synthetic(close: bool) -> Vec<u8> {
    let mut w = PerfettoWriter::new(Vec::new(), NonZeroU32::new(1).unwrap());
    let process = w.process_track(100, "guest").unwrap();
    let main = w.thread_track(&process, 100, "100 main", 1).unwrap();
    let worker = w.thread_track(&process, 101, "101 worker", 2).unwrap();
    let disk = w.track(process.track(), "disk0", 3).unwrap();
    let depth = w
        .counter_track(disk, "queue depth", CounterUnit::Count, 4)
        .unwrap();

    let handoff = [FlowId(1)];
    let fault_args = [
        Arg {
            name: "address",
            value: ArgValue::Uint(0x4000_1000),
        },
        Arg {
            name: "path",
            value: ArgValue::Str("/data/file"),
        },
        Arg {
            name: "major",
            value: ArgValue::Bool(true),
        },
    ];
    let fault = Event {
        name: "fault",
        category: Some("mm"),
        args: &fault_args,
        ..Event::default()
    };
    let mprotect_args = [Arg {
        name: "result",
        value: ArgValue::Int(0),
    }];
    let mprotect = Event {
        name: "mprotect",
        category: Some("syscall"),
        args: &mprotect_args,
        ..Event::default()
    };
    let wait = Event {
        name: "mmap_lock write wait",
        category: Some("lock"),
        ..Event::default()
    };
    let hold = Event {
        name: "mmap_lock write hold",
        category: Some("lock"),
        flows_in: &handoff,
        ..Event::default()
    };
    let release = Event {
        name: "mmap_lock read release",
        flows_out: &handoff,
        ..Event::default()
    };

    w.slice_begin(1_000, worker, &fault).unwrap();
    w.counter(1_100, depth, 1i64).unwrap();
    w.slice_begin(2_000, main, &mprotect).unwrap();
    w.slice_begin(2_100, main, &wait).unwrap();
    w.counter(6_000, depth, 0i64).unwrap();
    w.instant(6_500, worker, &release).unwrap();
    w.slice_end(6_500, worker).unwrap();
    w.slice_end(6_600, main).unwrap();
    w.slice_begin(6_600, main, &hold).unwrap();
    w.slice_end(7_000, main).unwrap();
    if close {
        w.slice_end(7_100, main).unwrap();
    }
    w.slice_begin(8_000, worker, &fault).unwrap();
    w.slice_end(8_200, worker).unwrap();
    w.finish().unwrap()
}

/// Writes `bytes` to a scratch file named `name` and runs the checker on it.
fn check(python: &Path, name: &str, bytes: &[u8], dump: Option<&Path>) -> Output {
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&file, bytes).unwrap();
    let mut cmd = Command::new(python);
    cmd.arg(repo_root().join("tools/check_trace.py"));
    if let Some(dump) = dump {
        cmd.arg("--dump").arg(dump);
    }
    cmd.arg(&file)
        .output()
        .expect("running tools/check_trace.py")
}

#[test]
fn the_synthetic_trace_matches_the_golden_bytes() {
    let bytes = synthetic(true);
    let golden = repo_root().join(GOLDEN);
    if std::env::var_os("FAULTLINE_BLESS").is_some() {
        std::fs::write(&golden, &bytes).unwrap();
    }
    let expected = std::fs::read(&golden).expect("the golden trace");
    assert!(
        bytes == expected,
        "the encoder's output differs from {GOLDEN}: if the change is intended, rerun with \
         FAULTLINE_BLESS=1 (and FAULTLINE_PYTHON set, to update {GOLDEN_TEXT}) and review the diff"
    );
}

#[test]
fn perfettos_protos_accept_the_synthetic_trace_and_print_the_golden_dump() {
    let Some(python) = perfetto_python("checking the trace with Perfetto's protos") else {
        return;
    };
    let dump = Path::new(env!("CARGO_TARGET_TMPDIR")).join("small.pftrace.txt");
    let out = check(&python, "small.pftrace", &synthetic(true), Some(&dump));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "check_trace.py failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("2 threads, 1 counters"), "{stdout}");
    assert!(
        stdout.contains("5 slices, 1 instants, 2 counter values, 1 flows"),
        "{stdout}"
    );
    assert!(stdout.contains("thread 101 101 worker"), "{stdout}");

    let text = std::fs::read_to_string(&dump).unwrap();
    let golden = repo_root().join(GOLDEN_TEXT);
    if std::env::var_os("FAULTLINE_BLESS").is_some() {
        std::fs::write(&golden, &text).unwrap();
    }
    assert_eq!(
        text,
        std::fs::read_to_string(&golden).expect("the golden dump")
    );
}

#[test]
fn the_checker_rejects_an_unended_slice_and_an_unknown_field() {
    let Some(python) = perfetto_python("checking the checker") else {
        return;
    };
    let out = check(&python, "unended.pftrace", &synthetic(false), None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("'mprotect' on track 2 never ends"),
        "{stderr}"
    );

    // A packet holding field 9999 (a varint), which TracePacket does not define.
    let mut bytes = synthetic(true);
    bytes.extend_from_slice(&[0x0a, 0x04, 0xf8, 0xf0, 0x04, 0x05]);
    let out = check(&python, "unknown.pftrace", &bytes, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("unknown field(s) [9999]"), "{stderr}");
}

#[test]
fn the_trimmed_schema_matches_perfettos_own() {
    let Some(python) = perfetto_python("comparing the trimmed schema with Perfetto's") else {
        return;
    };
    let root = repo_root();
    let out = Command::new(python)
        .arg(root.join("tools/check_perfetto_schema.py"))
        .arg(root.join("third_party/perfetto/protos/perfetto/trace/perfetto_trace.proto"))
        .output()
        .expect("running tools/check_perfetto_schema.py");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
