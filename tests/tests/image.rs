//! The program image: its pages are demand-paged from the page cache, and a dynamically
//! linked program runs with its interpreter and libraries mapped the same way.

use serde_json::Value;
use std::path::Path;
use tests::{
    count, guests_dir, have_cross_libc, have_qemu, manifest, run_faultline,
    run_qemu_with_cross_libc, shell_status, status_and_stdout, CROSS_INTERP, CROSS_ROOT,
};

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

#[test]
fn dynamically_linked_hello_prints_what_static_hello_and_qemu_print() {
    if !have_cross_libc() {
        return;
    }
    let case = manifest().into_iter().find(|c| c.name == "hello").unwrap();
    let root = ["--root", CROSS_ROOT];
    let dynamic = run_faultline(&root, &guests_dir().join("hello-dynamic"), &case.args);
    let stat = run_faultline(&[], &guests_dir().join("hello"), &case.args);
    assert_eq!(
        status_and_stdout(&dynamic),
        (
            case.status,
            String::from_utf8_lossy(&case.stdout).into_owned()
        ),
        "stderr: {}",
        String::from_utf8_lossy(&dynamic.stderr)
    );
    assert_eq!(status_and_stdout(&dynamic), status_and_stdout(&stat));
    if !have_qemu() {
        eprintln!("qemu-riscv64 not installed: no comparison with it");
        return;
    }
    let qemu = run_qemu_with_cross_libc(&guests_dir().join("hello-dynamic"), &case.args);
    assert_eq!(status_and_stdout(&dynamic), status_and_stdout(&qemu));
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
    let program_and_interp = pages(&guests_dir().join("hello-dynamic"))
        + pages(&Path::new(CROSS_ROOT).join(CROSS_INTERP));
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
