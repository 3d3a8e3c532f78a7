//! Inputs the emulator refuses, each with one line and exit status 2: an ELF whose
//! program headers have the wrong entry size or whose PT_INTERP is not one
//! NUL-terminated path, a `--stats` file that cannot be written (the guest's output
//! intact), an error range naming a missing file, and bad or misplaced time options
//! (`--cost`, `--cpus`, `--epoch`, `--max-time`, `--seed`, `--clock`); and an error
//! range in one file's own offsets, which fails that file's reads.

use std::path::Path;
use tests::{guests_dir, run_faultline, shell_status, Scratch};

fn u16_at(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

fn u64_at(b: &[u8], at: usize) -> usize {
    usize::try_from(u64::from_le_bytes(b[at..at + 8].try_into().unwrap())).unwrap()
}

/// Runs `elf` (a copy of a guest, changed by `patch`) and returns its status and stderr.
fn run_patched(dir: &Scratch, guest: &str, patch: impl FnOnce(&mut Vec<u8>)) -> (i32, String) {
    let mut elf = std::fs::read(guests_dir().join(guest)).unwrap();
    patch(&mut elf);
    let path = dir.0.join(guest);
    std::fs::write(&path, &elf).unwrap();
    let out = run_faultline(&[], Path::new(&path), &[]);
    (
        shell_status(&out),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn one_line_error(status: i32, stderr: &str, what: &str) {
    assert_eq!(status, 2, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(what), "{stderr}");
}

#[test]
fn a_wrong_program_header_entry_size_is_refused() {
    let dir = Scratch::new("phentsize");
    let (status, stderr) = run_patched(&dir, "hello", |elf| elf[54] = 55);
    one_line_error(status, &stderr, "e_phentsize is 55");
}

#[test]
fn a_pt_interp_that_is_not_one_nul_terminated_path_is_refused() {
    let dir = Scratch::new("interp");
    let (status, stderr) = run_patched(&dir, "hello-dynamic", |elf| {
        let (phoff, phnum) = (u64_at(elf, 32), u16_at(elf, 56));
        let interp = (0..phnum)
            .map(|i| phoff + i * 56)
            .find(|&ph| u32::from_le_bytes(elf[ph..ph + 4].try_into().unwrap()) == 3)
            .expect("hello-dynamic has a PT_INTERP");
        let (offset, size) = (u64_at(elf, interp + 8), u64_at(elf, interp + 32));
        elf[offset + size - 1] = b'x';
    });
    one_line_error(status, &stderr, "PT_INTERP is not one NUL-terminated path");
}

#[test]
fn a_stats_file_that_cannot_be_written_is_an_emulator_error() {
    let dir = Scratch::new("stats");
    // A directory where the file should be: it exists, but cannot be written as a file.
    let stats = dir.0.join("taken");
    std::fs::create_dir(&stats).unwrap();
    let out = run_faultline(
        &["--stats", stats.to_str().unwrap()],
        &guests_dir().join("hello"),
        &["alpha".into(), "beta".into()],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(shell_status(&out), 2, "{stderr}");
    assert!(stderr.contains("cannot write stats"), "{stderr}");
    let want = std::fs::read(guests_dir().join("../expected/hello.stdout")).unwrap();
    assert_eq!(out.stdout, want, "the guest's output is kept");
}

#[test]
fn an_error_range_in_a_files_own_offsets_fails_its_reads_only() {
    let dir = Scratch::new("range");
    let data = dir.0.join("filemap.dat");
    std::fs::write(&data, vec![5u8; 64 * 4096]).unwrap();
    let run = |errors: &str| {
        let opts = ["--storage-errors", errors];
        let args = [dir.path(), "64".into(), "read".into()];
        let out = run_faultline(&opts, &guests_dir().join("filemap"), &args);
        (
            shell_status(&out),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let failing = format!("range:128KiB..132KiB@{}", data.display());
    assert_eq!(run(&failing), (0, "filemap: read failed: EIO\n".into()));
    // The same offsets of another file (the program's) fail nothing here.
    let other = format!("range:128KiB..132KiB@{}", dir.0.display());
    assert_eq!(run(&other), (0, "filemap: read 64 pages\n".into()));
    let out = run_faultline(
        &["--storage-errors", "range:0..1@/no/such/file"],
        &guests_dir().join("filemap"),
        &[],
    );
    assert_eq!(shell_status(&out), 2);
}

/// Runs `hello` with `opts` and returns its status and stderr.
fn run_hello(opts: &[&str]) -> (i32, String) {
    let out = run_faultline(opts, &guests_dir().join("hello"), &[]);
    (
        shell_status(&out),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn options_of_the_virtual_clock_are_refused_under_the_host_clock() {
    for (opts, name) in [
        (&["--cpus", "2"][..], "--cpus"),
        (&["--epoch", "5"], "--epoch"),
        (&["--max-time", "1s"], "--max-time"),
        (&["--cost", "insn=1ns"], "--cost"),
        (&["--clock", "host", "--cpus", "2"], "--cpus"),
    ] {
        let (status, stderr) = run_hello(opts);
        one_line_error(status, &stderr, &format!("{name} needs --clock virtual"));
    }
}

#[test]
fn bad_values_of_the_time_options_are_refused_naming_what_is_wrong() {
    for (opts, what) in [
        (&["--cost", "bogus=1ns"][..], "valid: insn, tlb_miss"),
        (&["--cost", "insn"], "NAME=VALUE"),
        (&["--cost", "insn=5"], "unit"),
        (&["--cpus", "0"], "--cpus"),
        (
            &["--epoch", "2026-13-01T00:00:00Z"],
            "Unix seconds or a UTC time",
        ),
        (&["--epoch", "yesterday"], "Unix seconds or a UTC time"),
        (&["--max-time", "5"], "needs a unit"),
        (&["--seed", "x"], "--seed"),
        (&["--clock", "wall"], "--clock"),
    ] {
        let mut all = vec!["--clock", "virtual"];
        all.extend_from_slice(opts);
        if opts[0] == "--clock" {
            all = opts.to_vec();
        }
        let (status, stderr) = run_hello(&all);
        assert_eq!(status, 2, "{opts:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{opts:?}: {stderr}");
        let first = stderr.lines().next().unwrap_or("");
        assert!(
            first.contains(what),
            "{opts:?}: expected {what:?} in {stderr}"
        );
    }
}
