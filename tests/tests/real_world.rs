//! Real distribution programs, as a user runs them: Debian trixie's riscv64 busybox
//! (static), lua5.4, sqlite3 and python3 (dynamically linked, run with `-L` on their
//! unpacked packages) and esbuild (a Go program, from npm). `tools/fetch_sysroot.py`
//! fetches them into a cache outside the repository; each test compares faultline's
//! output with qemu-riscv64's running the same binary, byte for byte, and checks what
//! the work should produce. A test skips, saying so, only when the archive cannot be
//! reached.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use tests::{faultline_bin, have_qemu, repo_root, shell_status, Scratch};

/// The programs the fetcher provides.
struct Programs {
    /// The unpacked packages, the `-L` directory.
    sysroot: PathBuf,
    /// esbuild's riscv64 binary; None when the npm registry cannot be reached.
    esbuild: Option<PathBuf>,
}

/// Runs the fetcher once per test binary; None when the archive cannot be reached.
fn programs() -> Option<&'static Programs> {
    static FETCHED: OnceLock<Option<Programs>> = OnceLock::new();
    let fetched = FETCHED.get_or_init(|| {
        let out = Command::new("python3")
            .arg(repo_root().join("tools/fetch_sysroot.py"))
            .stderr(Stdio::inherit())
            .output()
            .expect("spawn python3 tools/fetch_sysroot.py");
        match out.status.code() {
            Some(0) => {
                let text = String::from_utf8_lossy(&out.stdout);
                let said = |what: &str| {
                    text.lines()
                        .find_map(|l| l.strip_prefix(what)?.strip_prefix(' '))
                        .unwrap_or_else(|| panic!("the fetcher named no {what}: {text}"))
                        .to_string()
                };
                let esbuild = said("esbuild");
                Some(Programs {
                    sysroot: PathBuf::from(said("sysroot")),
                    esbuild: (esbuild != "unreachable").then(|| PathBuf::from(esbuild)),
                })
            }
            Some(2) => None,
            _ => panic!("tools/fetch_sysroot.py failed: {:?}", out.status),
        }
    });
    if fetched.is_none() {
        println!("skipped: the Debian archive cannot be reached");
        eprintln!("skipped: the Debian archive cannot be reached");
    }
    fetched.as_ref()
}

/// How a program is run: its path, `-L` or not, arguments, working directory and input.
struct Invocation<'a> {
    program: &'a Path,
    sysroot: Option<&'a Path>,
    args: Vec<String>,
    cwd: &'a Path,
    stdin: Option<&'a [u8]>,
}

impl Invocation<'_> {
    /// Runs it under `runner` (faultline's `run` or qemu-riscv64) with the environment
    /// faultline gives a guest, so both see the same.
    fn run_under(&self, runner: &[&std::ffi::OsStr]) -> Output {
        let mut cmd = Command::new(runner[0]);
        cmd.args(&runner[1..])
            .current_dir(self.cwd)
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", "/")
            .env("LANG", "C")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(root) = self.sysroot {
            cmd.arg("-L").arg(root);
        }
        cmd.arg(self.program).args(&self.args);
        let mut child = cmd.spawn().expect("spawn the runner");
        let input = self.stdin.unwrap_or_default().to_vec();
        let mut stdin = child.stdin.take().expect("piped stdin");
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().expect("wait for the runner");
        writer.join().expect("stdin writer");
        out
    }

    /// Runs it under faultline alone, asserts it succeeds and returns its standard
    /// output: for programs that execute other riscv64 programs, which qemu-user hands to
    /// the host kernel, where they fail without a binfmt_misc registration.
    fn alone(&self) -> Vec<u8> {
        let faultline = faultline_bin();
        let ours = self.run_under(&[faultline.as_os_str(), "run".as_ref()]);
        let what = format!("{} {:?}", self.program.display(), self.args);
        assert_eq!(
            shell_status(&ours),
            0,
            "{what} under faultline: stdout {}\nstderr {}",
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&ours.stderr)
        );
        ours.stdout
    }

    /// Runs it under faultline and, where installed, qemu-riscv64; asserts both succeed
    /// with the same standard output, and returns faultline's.
    fn same_as_qemu(&self) -> Vec<u8> {
        let what = format!("{} {:?}", self.program.display(), self.args);
        let ours = self.alone();
        if have_qemu() {
            let qemu = self.run_under(&["qemu-riscv64".as_ref()]);
            assert_eq!(shell_status(&qemu), 0, "{what} under qemu-riscv64");
            assert!(
                ours == qemu.stdout,
                "{what}: faultline's output differs from qemu-riscv64's\nfaultline: {}\nqemu: {}",
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&qemu.stdout)
            );
        }
        ours
    }
}

/// Runs Debian's static busybox applet `args` in `cwd` (with `stdin`), compared with qemu.
fn busybox(p: &Programs, cwd: &Path, args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    Invocation {
        program: &p.sysroot.join("usr/bin/busybox"),
        sysroot: None,
        args: args.iter().map(|s| s.to_string()).collect(),
        cwd,
        stdin,
    }
    .same_as_qemu()
}

/// Runs the sysroot's `program` with `-L`, compared with qemu.
fn dynamic(p: &Programs, cwd: &Path, program: &str, args: &[&str]) -> Vec<u8> {
    Invocation {
        program: &p.sysroot.join(program),
        sysroot: Some(&p.sysroot),
        args: args.iter().map(|s| s.to_string()).collect(),
        cwd,
        stdin: None,
    }
    .same_as_qemu()
}

/// Lines of words, many repeated: input for sort, uniq, wc, awk, sed and grep.
fn words() -> String {
    let names = [
        "delta", "alpha", "echo", "bravo", "charlie", "alpha", "foxtrot",
    ];
    let mut x: u64 = 12345;
    let mut out = String::new();
    for i in 0..2000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let name = names[(x >> 33) as usize % names.len()];
        out.push_str(&format!("{name} {} {}\n", (x >> 40) % 1000, i % 7));
    }
    out
}

#[test]
fn busybox_text_applets_match_qemu() {
    let Some(p) = programs() else { return };
    let dir = Scratch::new("text");
    let text = words();
    std::fs::write(dir.0.join("words.txt"), &text).unwrap();
    let sorted = busybox(p, &dir.0, &["sort", "words.txt"], None);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    assert_eq!(String::from_utf8_lossy(&sorted), lines.join("\n") + "\n");
    std::fs::write(dir.0.join("sorted.txt"), &sorted).unwrap();
    let firsts = busybox(p, &dir.0, &["awk", "{ print $1 }", "sorted.txt"], None);
    std::fs::write(dir.0.join("firsts.txt"), &firsts).unwrap();
    let counts = busybox(p, &dir.0, &["uniq", "-c", "firsts.txt"], None);
    assert_eq!(String::from_utf8_lossy(&counts).lines().count(), 6);
    let wc = busybox(p, &dir.0, &["wc", "-l", "words.txt"], None);
    assert_eq!(String::from_utf8_lossy(&wc).trim(), "2000 words.txt");
    let sums = busybox(
        p,
        &dir.0,
        &[
            "awk",
            "{ s[$1] += $2 } END { for (k in s) print k, s[k] }",
            "words.txt",
        ],
        None,
    );
    assert_eq!(String::from_utf8_lossy(&sums).lines().count(), 6);
    let sed = busybox(
        p,
        &dir.0,
        &["sed", "-n", "s/^alpha \\([0-9]*\\) 3$/A\\1/p"],
        Some(text.as_bytes()),
    );
    assert!(sed.starts_with(b"A"), "{}", String::from_utf8_lossy(&sed));
    let grep = busybox(p, &dir.0, &["grep", "-c", "^echo ", "words.txt"], None);
    let echoes = text.lines().filter(|l| l.starts_with("echo ")).count();
    assert_eq!(String::from_utf8_lossy(&grep).trim(), echoes.to_string());
}

#[test]
fn busybox_digests_match_qemu_and_the_host() {
    let Some(p) = programs() else { return };
    let dir = Scratch::new("digests");
    std::fs::write(dir.0.join("words.txt"), words()).unwrap();
    for tool in ["md5sum", "sha256sum"] {
        let ours = busybox(p, &dir.0, &[tool, "words.txt"], None);
        let host = Command::new(tool)
            .arg("words.txt")
            .current_dir(&dir.0)
            .output()
            .expect("the host's coreutils");
        assert_eq!(ours, host.stdout, "{tool}");
    }
}

#[test]
fn busybox_gzip_round_trip_matches_qemu() {
    let Some(p) = programs() else { return };
    let dir = Scratch::new("gzip");
    let text = words().repeat(20);
    std::fs::write(dir.0.join("words.txt"), &text).unwrap();
    let packed = busybox(p, &dir.0, &["gzip", "-9", "-c", "words.txt"], None);
    assert!(packed.len() < text.len() / 4, "{} bytes", packed.len());
    let unpacked = busybox(p, &dir.0, &["gunzip", "-c"], Some(&packed));
    assert!(unpacked == text.as_bytes(), "gunzip gave back other bytes");
}

#[test]
fn busybox_find_and_tar_match_qemu() {
    let Some(p) = programs() else { return };
    let dir = Scratch::new("tar");
    for (path, body) in [
        ("tree/a.txt", "a\n"),
        ("tree/sub/b.txt", "bb\n"),
        ("tree/sub/c.dat", "c"),
    ] {
        let file = dir.0.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, body).unwrap();
    }
    let found = busybox(p, &dir.0, &["find", "tree", "-name", "*.txt"], None);
    let mut found: Vec<String> = String::from_utf8_lossy(&found)
        .lines()
        .map(String::from)
        .collect();
    found.sort();
    assert_eq!(found, ["tree/a.txt", "tree/sub/b.txt"]);
    let archive = busybox(p, &dir.0, &["tar", "-cf", "-", "tree"], None);
    assert_eq!(archive.len() % 512, 0);
    std::fs::create_dir(dir.0.join("out")).unwrap();
    busybox(p, &dir.0, &["tar", "-xf", "-", "-C", "out"], Some(&archive));
    let b = std::fs::read_to_string(dir.0.join("out/tree/sub/b.txt")).unwrap();
    assert_eq!(b, "bb\n");
}

#[test]
fn busybox_xargs_with_an_in_process_applet_matches_qemu() {
    // echo is one of busybox's NOFORK applets: xargs runs it without a child process.
    let Some(p) = programs() else { return };
    let dir = Scratch::new("xargs");
    let out = busybox(
        p,
        &dir.0,
        &["xargs", "-n", "2", "echo"],
        Some(b"a b c d e\n"),
    );
    assert_eq!(out, b"a b\nc d\ne\n");
}

/// xargs running busybox itself as its command, in a child (vfork and execve of a riscv64
/// program: faultline alone, see [`Invocation::alone`]).
#[test]
fn busybox_xargs_running_a_child() {
    let Some(p) = programs() else { return };
    let dir = Scratch::new("xargs-child");
    std::fs::write(dir.0.join("words.txt"), words()).unwrap();
    let busybox = p.sysroot.join("usr/bin/busybox");
    let out = Invocation {
        program: &busybox,
        sysroot: None,
        args: ["xargs", &busybox.to_string_lossy(), "wc", "-l"]
            .map(String::from)
            .to_vec(),
        cwd: &dir.0,
        stdin: Some(b"words.txt\n"),
    }
    .alone();
    assert_eq!(out, b"2000 words.txt\n");
}

/// The shell forks for pipelines, `$(...)` and subshells, and runs its applets by
/// executing /proc/self/exe (which qemu-user handles itself).
#[test]
fn busybox_sh_pipelines_match_qemu() {
    let Some(p) = programs() else { return };
    let dir = Scratch::new("sh");
    let script = "for i in 3 1 2; do echo $i; done | sort | tr '\\n' ' '; echo; \
                  x=$(echo sub | sed s/sub/SUB/); echo $x; (echo subshell) > f; cat f; \
                  sleep 0 & wait; trap 'echo trapped' EXIT";
    let out = busybox(p, &dir.0, &["sh", "-c", script], None);
    assert_eq!(out, b"1 2 3 \nSUB\nsubshell\ntrapped\n");
}

#[test]
fn lua_does_real_work_like_qemu() {
    let Some(p) = programs() else { return };
    let dir = Scratch::new("lua");
    let script = r#"
        local n, sieve, sum, count = 200000, {}, 0, 0
        for i = 2, n do
          if not sieve[i] then
            count, sum = count + 1, sum + i
            for j = i * i, n, i do sieve[j] = true end
          end
        end
        local words = {}
        for w in ("the quick brown fox jumps over the lazy dog"):gmatch("%a+") do
          words[#words + 1] = w:upper()
        end
        table.sort(words)
        print(count, sum, table.concat(words, ","), string.format("%.6f", math.pi * sum))
    "#;
    let out = dynamic(p, &dir.0, "usr/bin/lua5.4", &["-e", script]);
    let primes: Vec<u64> = (2..=200_000u64)
        .filter(|&i| (2..).take_while(|d| d * d <= i).all(|d| i % d != 0))
        .collect();
    let first = format!("{}\t{}\t", primes.len(), primes.iter().sum::<u64>());
    let out = String::from_utf8_lossy(&out);
    assert!(out.starts_with(&first), "{out}");
    assert!(
        out.contains("BROWN,DOG,FOX,JUMPS,LAZY,OVER,QUICK,THE,THE"),
        "{out}"
    );
}

#[test]
fn sqlite3_file_database_with_an_index_like_qemu() {
    let Some(p) = programs() else { return };
    let dir = Scratch::new("sqlite");
    // The same database file serves faultline's run and then qemu's: each starts afresh.
    let sql = "drop table if exists t;\
               create table t(id integer primary key, k integer, v text);\
               with recursive c(x) as (select 1 union all select x + 1 from c where x < 100000)\
               insert into t(k, v) select (x * 7919) % 100003, printf('row%06d', x) from c;\
               create index tk on t(k);\
               explain query plan select count(*) from t where k between 1000 and 2000;\
               select count(*), min(v), max(v) from t where k between 1000 and 2000;\
               select count(*) from t;";
    let out = dynamic(p, &dir.0, "usr/bin/sqlite3", &["db.sqlite", sql]);
    let out = String::from_utf8_lossy(&out);
    let hits = (1..=100_000u64)
        .filter(|x| (1000..=2000).contains(&((x * 7919) % 100_003)))
        .count();
    assert!(out.contains("USING COVERING INDEX tk"), "{out}");
    assert!(out.contains(&format!("\n{hits}|row")), "{out}");
    assert!(out.ends_with("\n100000\n"), "{out}");
    assert!(std::fs::metadata(dir.0.join("db.sqlite")).unwrap().len() > 1 << 20);
}

#[test]
fn python3_stdlib_threads_asyncio_and_tcp_like_qemu() {
    let Some(p) = programs() else { return };
    let dir = Scratch::new("python");
    let script = r#"
import json, re, hashlib, threading, asyncio, socket
d = json.loads(json.dumps({"a": [1, 2, {"b": "c"}], "n": None}))
print(d, re.findall(r"\d+", "a1b22c333"), hashlib.sha256(b"abc").hexdigest())
out = []
lock = threading.Lock()
def work(i):
    s = sum(range(i * 10000))
    with lock:
        out.append(s)
ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(sorted(out))
async def main():
    await asyncio.sleep(0.05)
    a, b = socket.socketpair()
    r1, w1 = await asyncio.open_connection(sock=a)
    r2, w2 = await asyncio.open_connection(sock=b)
    w1.write(b"ping\n"); await w1.drain()
    line = await r2.readline()
    w2.write(line.upper()); await w2.drain()
    print((await r1.readline()).decode().strip())
    w1.close(); w2.close()
asyncio.run(main())
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()
def serve():
    c, _ = srv.accept(); c.sendall(c.recv(100).upper()); c.close()
threading.Thread(target=serve).start()
cli = socket.create_connection(srv.getsockname()); cli.sendall(b"tcp"); print(cli.recv(100))
try:
    socket.create_connection(("127.0.0.1", 1))
except ConnectionRefusedError as e:
    print("refused", e.errno)
"#;
    let out = dynamic(p, &dir.0, "usr/bin/python3", &["-c", script]);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "{'a': [1, 2, {'b': 'c'}], 'n': None} ['1', '22', '333'] \
         ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n\
         [0, 49995000, 199990000, 449985000]\nPING\nb'TCP'\nrefused 111\n"
    );
}

/// subprocess runs python3 again in a child (faultline alone, see [`Invocation::alone`]:
/// under qemu-user 7.2 the child's output is empty); os.fork and waitpid.
#[test]
fn python3_subprocess_and_fork() {
    let Some(p) = programs() else { return };
    let dir = Scratch::new("python-fork");
    let script = "import os, subprocess, sys\n\
                  print(subprocess.run([sys.executable, '-c', 'print(6*7)'], capture_output=True, text=True).stdout.strip())\n\
                  pid = os.fork()\n\
                  if pid == 0: os._exit(7)\n\
                  print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n";
    let out = Invocation {
        program: &p.sysroot.join("usr/bin/python3"),
        sysroot: Some(&p.sysroot),
        args: vec!["-c".to_string(), script.to_string()],
        cwd: &dir.0,
        stdin: None,
    }
    .alone();
    assert_eq!(out, b"42\n7\n");
}

/// A small TypeScript project: two modules, an interface, an enum, a generic class.
fn typescript_project(dir: &Path) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("src/util.ts"),
        "export interface Point { x: number; y: number }\n\
         export function dist(a: Point, b: Point): number { return Math.hypot(a.x - b.x, a.y - b.y); }\n\
         export enum Color { Red = \"red\", Green = \"green\" }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/main.ts"),
        "import { dist, Color, type Point } from \"./util\";\n\
         const pts: Point[] = [{ x: 0, y: 0 }, { x: 3, y: 4 }];\n\
         class Shape<T> { constructor(private readonly items: T[]) {} count(): number { return this.items.length; } }\n\
         console.log(dist(pts[0], pts[1]), Color.Green, new Shape(pts).count());\n",
    )
    .unwrap();
}

#[test]
fn esbuild_version_bundle_and_transform_like_qemu() {
    let Some(p) = programs() else { return };
    let Some(esbuild) = &p.esbuild else {
        println!("skipped: the npm registry cannot be reached");
        return;
    };
    let dir = Scratch::new("esbuild");
    typescript_project(&dir.0);
    let run = |args: &[&str], stdin: Option<&[u8]>| {
        Invocation {
            program: esbuild,
            sysroot: None,
            args: args.iter().map(|s| s.to_string()).collect(),
            cwd: &dir.0,
            stdin,
        }
        .same_as_qemu()
    };
    assert_eq!(run(&["--version"], None), b"0.28.2\n");
    let bundle =
        String::from_utf8(run(&["src/main.ts", "--bundle", "--format=esm"], None)).unwrap();
    assert!(bundle.contains("function dist(a, b)"), "{bundle}");
    assert!(bundle.contains("\"green\" /* Green */"), "{bundle}");
    assert!(!bundle.contains(": number"), "types left in: {bundle}");
    let ts = b"let x: number = 1 + 2; export const f = (a: string): string => a + x;";
    let min = run(&["--loader=ts", "--minify"], Some(ts));
    assert_eq!(
        String::from_utf8_lossy(&min),
        "let n=3;export const f=t=>t+n;\n"
    );
}
