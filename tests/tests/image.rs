//! The program image: its pages are demand-paged from the page cache, and a dynamically
//! linked program runs with its interpreter and libraries mapped the same way.

use serde_json::Value;
use std::path::Path;
use tests::{count, guests_dir, have_qemu, manifest, run_faultline, shell_status};

/// Where the riscv64 cross libc installs its run-time files (Debian's libc6-riscv64-cross).
const CROSS_ROOT: &str = "/usr/riscv64-linux-gnu";
/// The interpreter hello-dynamic names, below the root.
const INTERP: &str = "lib/ld-linux-riscv64-lp64d.so.1";

/// Runs `guest args` with `opts` and `--stats`; returns the output and the totals.
fn run_with_stats(opts: &[&str], guest: &str, args: &[String]) -> (std::process::Output, Value) {
    let stats = std::env::temp_dir().join(format!(
        "faultline-image-test-{}-{guest}-{}.json",
        std::process::id(),
        opts.join("_").replace('/', "_")
    ));
    let mut all = opts.to_vec();
    all.extend(["--stats", stats.to_str().unwrap()]);
    let out = run_faultline(&all, &guests_dir().join(guest), args);
    let totals = std::fs::read(&stats)
        .map(|b| serde_json::from_slice::<Value>(&b).unwrap()["total"].clone())
        .unwrap_or(Value::Null);
    let _ = std::fs::remove_file(&stats);
    (out, totals)
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// Whether the cross libc is installed; says why the test is skipped if not.
fn have_cross_libc() -> bool {
    let found = Path::new(CROSS_ROOT).join(INTERP).exists();
    if !found {
        eprintln!("skipped: no riscv64 libc under {CROSS_ROOT} (libc6-riscv64-cross)");
    }
    found
}

#[test]
fn dynamically_linked_hello_prints_what_static_hello_and_qemu_print() {
    if !have_cross_libc() {
        return;
    }
    let case = manifest().into_iter().find(|c| c.name == "hello").unwrap();
    let root = ["--root", CROSS_ROOT];
    let dynamic = run_faultline(&root, &guests_dir().join("hello-dynamic"), &case.args);
    let stat = run_faultline(&[], &guests_dir().join("hello"), &case.args);
    let seen = |o: &std::process::Output| {
        (
            shell_status(o),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    assert_eq!(
        seen(&dynamic),
        (
            case.status,
            String::from_utf8_lossy(&case.stdout).into_owned()
        ),
        "stderr: {}",
        String::from_utf8_lossy(&dynamic.stderr)
    );
    assert_eq!(seen(&dynamic), seen(&stat));
    if !have_qemu() {
        eprintln!("qemu-riscv64 not installed: no comparison with it");
        return;
    }
    let qemu = std::process::Command::new("qemu-riscv64")
        .args(["-L", CROSS_ROOT])
        .arg(guests_dir().join("hello-dynamic"))
        .args(&case.args)
        .output()
        .expect("spawn qemu-riscv64");
    assert_eq!(seen(&dynamic), seen(&qemu));
}

/// With one-page reads, every page-cache miss reads one page: more misses than the
/// program's and its interpreter's pages (and the one page of libc that ld.so reads with
/// read(2)) together can account for means faults read libc's mapped pages.
#[test]
fn a_dynamic_programs_libraries_are_read_through_the_page_cache() {
    if !have_cross_libc() {
        return;
    }
    let opts = ["--root", CROSS_ROOT, "--readahead", "4KiB"];
    let (out, totals) = run_with_stats(&opts, "hello-dynamic", &[]);
    assert_eq!(
        shell_status(&out),
        0,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pages = |p: &Path| file_size(p).div_ceil(4096);
    let program_and_interp =
        pages(&guests_dir().join("hello-dynamic")) + pages(&Path::new(CROSS_ROOT).join(INTERP));
    let misses = count(&totals, "pagecache.misses");
    assert!(
        misses > program_and_interp + 1,
        "{misses} misses: libc's pages were not faulted in"
    );
    assert_eq!(count(&totals, "io.reads"), misses);
}

/// The static hello touches only part of its image: with one-page reads, fewer bytes are
/// read than the file holds, and every one of them through a page-cache miss.
#[test]
fn image_pages_are_read_on_first_touch_only() {
    let (out, totals) = run_with_stats(&["--readahead", "4KiB"], "hello", &[]);
    assert_eq!(
        shell_status(&out),
        0,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let misses = count(&totals, "pagecache.misses");
    assert!(misses > 0, "the image was not read on demand");
    assert_eq!(count(&totals, "io.bytes_read"), misses * 4096);
    assert!(
        misses * 4096 < file_size(&guests_dir().join("hello")),
        "{misses} pages read: the whole image"
    );
    assert!(count(&totals, "faults.major") > 0);
}

/// Under a memory limit clean image pages are dropped and read again when touched.
#[test]
fn under_a_memory_limit_image_pages_are_dropped_and_read_again() {
    let case = manifest().into_iter().find(|c| c.name == "hello").unwrap();
    let free = run_with_stats(&["--readahead", "4KiB"], "hello", &case.args).1;
    // Less than the 47 or so image pages hello touches, more than its anonymous memory.
    let opts = ["--readahead", "4KiB", "--mem-limit", "96KiB"];
    let (out, limited) = run_with_stats(&opts, "hello", &case.args);
    assert_eq!(
        (shell_status(&out), out.stdout.as_slice()),
        (case.status, case.stdout.as_slice()),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(count(&limited, "reclaim.reclaimed") > 0);
    assert!(
        count(&limited, "pagecache.misses") > count(&free, "pagecache.misses"),
        "no image page was read twice: {limited}"
    );
}
