//! The knobs' semantics over backings × lock × TRIED × wait, the presets' knobs, and
//! parsing, printing and refusing `--policy` specs.
use super::*;
use FaultBacking::{Anon, File, Swap};
use FaultLock::{Mmap as M, Vma as V};
use WaitAction::{DropAndRetry as Drop, WaitHolding as Hold};

const IO: PageWait = PageWait::Io;
const BRIEF: PageWait = PageWait::FolioLocked { uptodate: true };
const READING: PageWait = PageWait::FolioLocked { uptodate: false };
const WAITS: [PageWait; 3] = [IO, BRIEF, READING];

fn parse(spec: &str) -> FaultPolicy {
    FaultPolicy::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"))
}

fn error(spec: &str) -> String {
    match FaultPolicy::parse(spec) {
        Ok(p) => panic!("{spec} parsed as {p:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn under_mmap_lock_a_first_try_drops_and_a_tried_pass_holds() {
    for p in FaultPolicy::PRESETS {
        for b in FaultBacking::ALL {
            for w in WAITS {
                assert_eq!(p.on_wait(b, M, false, w), Drop, "{p} {b:?} {w:?}");
                assert_eq!(p.on_wait(b, M, true, w), Hold, "{p} {b:?} {w:?}");
            }
        }
    }
}

#[test]
fn io_decides_a_first_attempt_under_the_vma_lock_and_a_tried_pass_holds() {
    let table = [
        // io, wait, first try
        (IoWait::Drop, IO, Drop),
        (IoWait::Drop, BRIEF, Drop),
        (IoWait::Drop, READING, Drop),
        (IoWait::Hold, IO, Hold),
        (IoWait::Hold, BRIEF, Hold),
        (IoWait::Hold, READING, Hold),
        (IoWait::HoldIfUptodate, IO, Drop),
        (IoWait::HoldIfUptodate, BRIEF, Hold),
        (IoWait::HoldIfUptodate, READING, Drop),
    ];
    for (io, w, first) in table {
        for b in FaultBacking::ALL {
            // Only `b` gets `io`; the others get the opposite, which must not leak.
            let other = if first == Hold { "drop" } else { "hold" };
            let spec = format!("t:io={other},{}.io={}", b.name(), io.name());
            let p = parse(&spec);
            assert_eq!(p.on_wait(b, V, false, w), first, "{spec} {w:?} first try");
            assert_eq!(p.on_wait(b, V, true, w), Hold, "{spec} {w:?} tried");
            for o in FaultBacking::ALL.into_iter().filter(|&o| o != b) {
                let want = if other == "hold" { Hold } else { Drop };
                assert_eq!(p.on_wait(o, V, false, IO), want, "{spec}: {o:?}");
            }
            // Under mmap_lock the knob changes nothing.
            assert_eq!(p.on_wait(b, M, false, w), Drop, "{spec} {w:?}");
            assert_eq!(p.on_wait(b, M, true, w), Hold, "{spec} {w:?}");
        }
    }
}

#[test]
fn the_presets_are_their_knobs() {
    let table = [
        ("mmap", M, IoWait::Drop, M),
        ("vma", V, IoWait::Drop, M),
        ("vma-retry", V, IoWait::HoldIfUptodate, V),
        ("vma-hold", V, IoWait::Hold, M),
    ];
    assert_eq!(FaultPolicy::PRESETS.len(), table.len());
    for (p, (name, first, io, retry)) in FaultPolicy::PRESETS.iter().zip(table) {
        assert_eq!(p.name(), name);
        for b in FaultBacking::ALL {
            assert_eq!(p.knobs(b), Knobs { first, io, retry }, "{name} {b:?}");
        }
        assert_eq!(parse(name), *p);
        assert_eq!(p.spec(), name);
        let spelled = format!(
            "{name}:first={},io={},retry={}",
            first.name(),
            io.name(),
            retry.name()
        );
        assert_eq!(parse(&spelled), *p, "{spelled}");
        assert_eq!(parse(&format!("x:base={name}")).knobs, p.knobs);
    }
    assert_eq!(FaultPolicy::default(), FaultPolicy::VMA);
    assert!(!FaultPolicy::MMAP.tries_vma_lock());
    assert!(FaultPolicy::PRESETS[1..]
        .iter()
        .all(FaultPolicy::tries_vma_lock));
}

/// The old enum's table of the presets under the VMA lock, where it can be reached: a
/// TRIED pass under the VMA lock happens only when `retry` is `vma`.
#[test]
fn the_presets_wait_as_before() {
    let table = [
        // policy, wait, first try, tried (None: never under the VMA lock)
        (FaultPolicy::VMA, IO, Drop, None),
        (FaultPolicy::VMA, BRIEF, Drop, None),
        (FaultPolicy::VMA, READING, Drop, None),
        (FaultPolicy::VMA_RETRY, IO, Drop, Some(Hold)),
        (FaultPolicy::VMA_RETRY, BRIEF, Hold, Some(Hold)),
        (FaultPolicy::VMA_RETRY, READING, Drop, Some(Hold)),
        (FaultPolicy::VMA_HOLD, IO, Hold, Some(Hold)),
        (FaultPolicy::VMA_HOLD, BRIEF, Hold, Some(Hold)),
        (FaultPolicy::VMA_HOLD, READING, Hold, Some(Hold)),
    ];
    for (p, w, first, tried) in table {
        for b in FaultBacking::ALL {
            assert_eq!(p.on_wait(b, V, false, w), first, "{p} {w:?} first try");
            if let Some(tried) = tried {
                assert_eq!(p.on_wait(b, V, true, w), tried, "{p} {w:?} tried");
            }
        }
    }
    assert_eq!(FaultPolicy::VMA.knobs(Anon).retry, M);
}

#[test]
fn knobs_set_every_backing_or_one_and_later_ones_win() {
    let p = parse("file-hold:file.io=hold");
    assert_eq!(p.name(), "file-hold");
    assert_eq!(p.knobs(File).io, IoWait::Hold);
    assert_eq!(p.knobs(Anon), FaultPolicy::VMA.knobs(Anon));
    assert_eq!(p.knobs(Swap), FaultPolicy::VMA.knobs(Swap));

    let p = parse("vma-retry:anon.io=drop");
    assert_eq!(p.knobs(Anon).io, IoWait::Drop);
    assert_eq!(p.knobs(File), FaultPolicy::VMA_RETRY.knobs(File));

    let p = parse("mix:base=mmap,io=hold,retry=vma,first=vma,swap.io=drop");
    assert_eq!(
        p.knobs(Anon),
        Knobs {
            first: V,
            io: IoWait::Hold,
            retry: V
        }
    );
    assert_eq!(
        p.knobs(Swap),
        Knobs {
            first: V,
            io: IoWait::Drop,
            retry: V
        }
    );
    // `base` comes first wherever it is written.
    assert_eq!(parse("a:io=hold,base=mmap").knobs(File).io, IoWait::Hold);
    assert_eq!(parse("a:io=hold,file.io=drop").knobs(File).io, IoWait::Drop);
}

#[test]
fn swap_first_follows_anon_first() {
    let p = parse("anon-mmap:anon.first=mmap");
    assert_eq!(p.knobs(Swap).first, M);
    assert_eq!(p.knobs(File).first, V);
    assert!(p.tries_vma_lock());
    let p = parse("x:base=mmap,file.first=vma");
    assert_eq!(p.knobs(Swap).first, M);
    assert!(p.tries_vma_lock());
    assert!(!parse("x:first=mmap").tries_vma_lock());
    let e = error("x:swap.first=mmap");
    assert!(
        e.contains("`swap.first`") && e.contains("anon.first"),
        "{e}"
    );
}

#[test]
fn specs_print_back_as_what_they_parse() {
    for spec in [
        "vma",
        "mmap",
        "file-hold:file.io=hold",
        "vma-retry:anon.io=drop",
        "x:base=vma",
        "x:base=vma-hold",
        "linux-6.4:file.first=mmap",
        "mix:base=mmap,io=hold,retry=vma,first=vma,swap.io=drop",
        "odd:anon.first=mmap,file.retry=vma,swap.io=hold-if-uptodate",
        "vma:io=hold",
    ] {
        let p = parse(spec);
        let printed = p.spec();
        assert_eq!(parse(&printed), p, "{spec} printed as {printed}");
        assert_eq!(p.to_string(), printed);
    }
    assert_eq!(
        parse("file-hold:file.io=hold").spec(),
        "file-hold:file.io=hold"
    );
    assert_eq!(parse("h:base=vma-hold").spec(), "h:io=hold");
    assert_eq!(parse("v:base=vma").spec(), "v:base=vma");
}

#[test]
fn bad_specs_get_one_line_naming_the_mistake() {
    let cases = [
        ("vma_hold", "mmap, vma, vma-retry, vma-hold"),
        ("x:", "no knobs after `x:`"),
        (":io=hold", "bad policy name ``"),
        ("a b:io=hold", "bad policy name `a b`"),
        ("x:io", "`io` is no KNOB=VALUE"),
        ("x:io=hold,", "`` is no KNOB=VALUE"),
        ("x:=hold", "`=hold` is no KNOB=VALUE"),
        ("x:speed=fast", "unknown knob `speed`"),
        ("x:heap.io=hold", "unknown backing `heap` in `heap.io`"),
        (
            "x:file.io=wait",
            "bad value `wait` for `file.io` (expected drop, hold or hold-if-uptodate)",
        ),
        (
            "x:first=rcu",
            "bad value `rcu` for `first` (expected vma or mmap)",
        ),
        ("x:anon.retry=", "bad value `` for `anon.retry`"),
        (
            "x:base=linux",
            "bad value `linux` for `base` (expected one of: mmap, vma",
        ),
        ("x:base=vma,base=mmap", "`base` given twice"),
        ("x:file.base=vma", "unknown knob `file.base`"),
    ];
    for (spec, want) in cases {
        let e = error(spec);
        assert!(e.contains(want), "{spec}: {e}");
        assert!(!e.contains('\n'), "{spec}: {e}");
    }
    assert!(error("x:io=wait").starts_with("fault policy `x:io=wait`: "));
}
