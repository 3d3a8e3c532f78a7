//! Helpers shared by faultline's end-to-end tests: where the `faultline` binary and the
//! guests are, the guest manifest, and running a guest under faultline or qemu-riscv64.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The `faultline` binary under test: `$FAULTLINE_BIN`, or the one cargo built beside
/// this test executable (`target/<profile>/faultline`).
pub fn faultline_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("FAULTLINE_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let bin = profile_dir.join("faultline");
    assert!(
        bin.exists(),
        "{} not built: run `cargo build --release` first",
        bin.display()
    );
    bin
}

/// The folder of guest ELFs: `$FAULTLINE_GUESTS_DIR` (relative to the repository root)
/// or the committed `guests/bin`.
pub fn guests_dir() -> PathBuf {
    let rel = std::env::var("FAULTLINE_GUESTS_DIR").unwrap_or_else(|_| "guests/bin".into());
    repo_root().join(rel)
}

/// One line of `guests/expected/manifest.txt`.
#[derive(Clone, Debug)]
pub struct Case {
    /// Guest path under the guests folder, e.g. `hello` or `isa/rv64i`.
    pub name: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// The expected shell exit status (128+N for death by signal N).
    pub status: i32,
    /// The expected standard output.
    pub stdout: Vec<u8>,
}

/// Reads the guest manifest and the expected outputs.
pub fn manifest() -> Vec<Case> {
    let dir = repo_root().join("guests/expected");
    let text =
        std::fs::read_to_string(dir.join("manifest.txt")).expect("guests/expected/manifest.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 3, "malformed manifest line: {l:?}");
            let stdout_path = dir.join(format!("{}.stdout", f[0]));
            Case {
                name: f[0].to_string(),
                args: f[1]
                    .split(' ')
                    .filter(|a| !a.is_empty())
                    .map(String::from)
                    .collect(),
                status: f[2].parse().expect("numeric status"),
                stdout: std::fs::read(&stdout_path)
                    .unwrap_or_else(|e| panic!("{}: {e}", stdout_path.display())),
            }
        })
        .collect()
}

/// The shell-style status of a finished process (128+N for a signal).
pub fn shell_status(o: &Output) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    o.status
        .code()
        .unwrap_or_else(|| 128 + o.status.signal().unwrap_or(0))
}

/// Runs a guest under faultline with extra faultline options before the program.
pub fn run_faultline(opts: &[&str], guest: &Path, args: &[String]) -> Output {
    Command::new(faultline_bin())
        .arg("run")
        .args(opts)
        .arg(guest)
        .args(args)
        .output()
        .expect("spawn faultline")
}

/// Whether qemu-riscv64 is installed.
pub fn have_qemu() -> bool {
    Command::new("qemu-riscv64")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs a guest under qemu-riscv64.
pub fn run_qemu(guest: &Path, args: &[String]) -> Output {
    Command::new("qemu-riscv64")
        .arg(guest)
        .args(args)
        .output()
        .expect("spawn qemu-riscv64")
}

/// Where the riscv64 cross libc installs its run-time files (Debian's libc6-riscv64-cross):
/// the library directory dynamically linked guests run against.
pub const CROSS_ROOT: &str = "/usr/riscv64-linux-gnu";
/// The program interpreter hello-dynamic names, below [`CROSS_ROOT`].
pub const CROSS_INTERP: &str = "lib/ld-linux-riscv64-lp64d.so.1";

/// Whether the cross libc is installed; says why the test is skipped if not.
pub fn have_cross_libc() -> bool {
    let found = Path::new(CROSS_ROOT).join(CROSS_INTERP).exists();
    if !found {
        eprintln!("skipped: no riscv64 libc under {CROSS_ROOT} (libc6-riscv64-cross)");
    }
    found
}

/// Runs a dynamically linked guest under qemu-riscv64 with `-L` [`CROSS_ROOT`].
pub fn run_qemu_with_cross_libc(guest: &Path, args: &[String]) -> Output {
    Command::new("qemu-riscv64")
        .args(["-L", CROSS_ROOT])
        .arg(guest)
        .args(args)
        .output()
        .expect("spawn qemu-riscv64")
}

/// A finished run as the differential checks compare it: status and stdout.
pub fn status_and_stdout(o: &Output) -> (i32, String) {
    (
        shell_status(o),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

/// Guests whose expected output is Linux's but which qemu-user is known to get wrong
/// (`guests/expected/qemu-divergences.txt`): no differential check against qemu for them.
pub fn qemu_divergent() -> Vec<String> {
    let path = repo_root().join("guests/expected/qemu-divergences.txt");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split('\t').next().map(String::from))
        .collect()
}

/// Checks every manifest case named `name`: faultline's stdout and status against the
/// expected ones and, where qemu-riscv64 is installed, against qemu's.
pub fn check_guest(name: &str) {
    let cases: Vec<Case> = manifest().into_iter().filter(|c| c.name == name).collect();
    assert!(!cases.is_empty(), "no manifest case named {name}");
    for c in cases {
        let guest = guests_dir().join(&c.name);
        let out = run_faultline(&[], &guest, &c.args);
        let got = shell_status(&out);
        assert_eq!(
            (got, String::from_utf8_lossy(&out.stdout)),
            (c.status, String::from_utf8_lossy(&c.stdout)),
            "{name} {:?} under faultline (stderr: {})",
            c.args,
            String::from_utf8_lossy(&out.stderr)
        );
        if have_qemu() && !qemu_divergent().contains(&c.name) {
            let q = run_qemu(&guest, &c.args);
            assert_eq!(
                (got, String::from_utf8_lossy(&out.stdout)),
                (shell_status(&q), String::from_utf8_lossy(&q.stdout)),
                "{name} {:?}: faultline differs from qemu-riscv64",
                c.args
            );
        }
    }
}

/// `--storage-errors` failing every read of `file` and none of any other file (such as
/// the program image): the page cache places each file's requests in a region of its own
/// on the device, at offset (inode mod 2^20) * 2^40.
pub fn errors_in(file: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    let ino = std::fs::metadata(file)
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
        .ino();
    let start = (ino % (1 << 20)) << 40;
    format!("range:{start}..{}", start + (1 << 40))
}

/// A scratch directory of its own for one test, removed when dropped. Its name holds the
/// test binary's and the process id, so tests in different binaries or runs never meet.
#[derive(Debug)]
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A fresh directory for the test part called `name`.
    pub fn new(name: &str) -> Scratch {
        let exe = std::env::current_exe().expect("the test binary's path");
        let binary = exe
            .file_stem()
            .map_or("test".into(), |s| s.to_string_lossy());
        let dir =
            std::env::temp_dir().join(format!("faultline-{binary}-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        Scratch(dir)
    }

    /// The directory as a guest argument.
    pub fn path(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Counter `name` of a `--stats` total (or hart or daemon entry); panics naming it when it
/// is missing, so a renamed counter fails loudly.
pub fn count(totals: &serde_json::Value, name: &str) -> u64 {
    totals[name]
        .as_u64()
        .unwrap_or_else(|| panic!("no counter {name} in {totals}"))
}

/// The Python with Perfetto's protos (`$FAULTLINE_PYTHON`, which `tools/test` sets up),
/// or `None` after printing that `what` is skipped.
pub fn perfetto_python(what: &str) -> Option<PathBuf> {
    let python = std::env::var_os("FAULTLINE_PYTHON").map(PathBuf::from);
    if python.is_none() {
        println!("skipped: {what}: FAULTLINE_PYTHON is not set (a Python with perfetto==0.59.1)");
    }
    python
}
