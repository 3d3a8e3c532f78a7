//! Scenario files: a valid one becomes the `faultline run` options it says, and a dozen
//! kinds of mistake are each refused with the line, the key and what was expected.

use super::*;

/// A scenario folder holding a program `prog`, a host file `data` and a folder `root`.
struct Folder(tempfile::TempDir);

impl Folder {
    fn new() -> Folder {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("prog"), b"").unwrap();
        std::fs::write(dir.path().join("data"), b"0123").unwrap();
        std::fs::create_dir(dir.path().join("root")).unwrap();
        Folder(dir)
    }

    /// Loads `text` as `s.toml` in the folder, with `sets`.
    fn load(&self, text: &str, sets: &[&str]) -> Result<Scenario, ScenarioError> {
        let path = self.0.path().join("s.toml");
        std::fs::write(&path, text).unwrap();
        let sets: Vec<Setting> = sets
            .iter()
            .map(|s| Setting::parse("--set", s).unwrap())
            .collect();
        load(&path, &sets)
    }

    /// The error `text` is refused with, without the folder's path.
    fn error(&self, text: &str) -> String {
        let e = self.load(text, &[]).expect_err(text).to_string();
        e.replace(&format!("{}/", self.0.path().display()), "")
    }
}

const PROCESS: &str = "[[process]]\nprogram = \"prog\"\n";

#[test]
fn a_scenario_becomes_run_options() {
    let f = Folder::new();
    let text = format!(
        r#"
[machine]
cpus = 2
seed = 7
[machine.cost]
insn = "1ns"
[mm]
policy = "hold-file"
readahead = "64KiB"
fork_lock = "anon-cow"
[storage]
latency = "fixed:5ms"
depth = 4
[memory]
limit = "64MiB"
[[files]]
name = "big"
size = "1MiB"
[[policy]]
name = "hold-file"
file = {{ io = "hold" }}
[params]
threads = 3
{PROCESS}args = ["{{threads}}", "{{file:big}}", "{{scratch}}/x"]
env = ["A=1"]
priorities = [{{ thread = "worker-*", set = "nice:19+io:idle" }}]
[[inject]]
at = "10ms"
stall = "5ms"
[run]
length = "1s"
labels = ["op"]
rounds = "round"
"#
    );
    let s = f.load(&text, &["storage.depth=8"]).unwrap();
    assert_eq!(s.seed, 7);
    assert_eq!(s.policy, "hold-file");
    assert_eq!(
        s.custom_policies,
        [(
            "hold-file".to_string(),
            "hold-file:file.io=hold".to_string()
        )]
    );
    let opts = s.run_options.join(" ");
    for o in [
        "--clock virtual",
        "--cpus 2",
        "--cost insn=1ns",
        "--readahead 64KiB",
        "--fork-lock anon-cow",
        "--storage-latency fixed:5ms",
        "--storage-depth 8",
        "--mem-limit 64MiB",
        "--max-time 1000000000ns",
        "--inject 10ms:stall=5ms",
        "--env A=1",
        "--thread-prio worker-*=nice:19+io:idle",
    ] {
        assert!(opts.contains(o), "{o} in {opts}");
    }
    assert_eq!(s.args, ["3", "{file:big}", "{scratch}/x"]);
    assert_eq!(s.length_ns, Some(1_000_000_000));
    assert_eq!(s.labels, ["op"]);
    assert_eq!(s.rounds.as_deref(), Some("round"));
}

#[test]
fn a_dozen_kinds_of_mistake_are_refused_at_their_line() {
    let f = Folder::new();
    let cases: [(&str, &str); 19] = [
        // A priority its parser refuses.
        (
            "[[process]]\nprogram = \"prog\"\npriorities = [{ thread = \"a\", set = \"nice:40\" }]\n",
            "s.toml:3:37: process.priorities: --thread-prio a=nice:40: nice `40`",
        ),
        // A memory-limit injection with no memory limit to change.
        (
            "[[inject]]\nat = \"1ms\"\nmem_limit = \"8MiB\"\n",
            "s.toml:3:13: inject.mem_limit: needs memory.limit",
        ),
        // A typo in a key, with the nearest field.
        (
            "[storage]\nlatncy = \"fixed:1ms\"\n",
            "s.toml:2:1: unknown field `latncy`, expected `latency`",
        ),
        // A TOML syntax error.
        ("[storage\n", "s.toml:1:9:"),
        // A value of the wrong type.
        ("[machine]\ncpus = \"four\"\n", "s.toml:2:8: invalid type: string \"four\", expected i64"),
        // A value its option's parser refuses.
        ("[storage]\nlatency = \"fast\"\n", "s.toml:2:11: storage.latency:"),
        ("[memory]\nlimit = \"lots\"\n", "s.toml:2:9: memory.limit:"),
        ("[mm]\nfork_lock = \"some\"\n", "s.toml:2:13: mm.fork_lock: fork lock `some`"),
        // Out of range.
        ("[machine]\ncpus = 0\n", "s.toml:2:8: machine.cpus: 0 is out of range (expected 1 to 4096)"),
        // An unknown clock, and a virtual-only key on the host clock.
        ("[machine]\nclock = \"wall\"\n", "s.toml:2:9: machine.clock: `wall` is no clock"),
        (
            "[machine]\nclock = \"host\"\ncpus = 2\n",
            "s.toml:3:8: machine.cpus needs machine.clock = \"virtual\"",
        ),
        // An unknown policy.
        ("[mm]\npolicy = \"vma-hodl\"\n", "s.toml:2:10: mm.policy: unknown policy `vma-hodl`"),
        // A missing program file.
        ("[[process]]\nprogram = \"nope\"\n", "s.toml:2:11: process.program: no file"),
        // A missing host file.
        (
            "[[files]]\nname = \"d\"\npath = \"gone\"\n",
            "s.toml:3:8: files.path: no file",
        ),
        // An unknown placeholder.
        (
            "[[process]]\nprogram = \"prog\"\nargs = [\"{threads}\"]\n",
            "s.toml:3:9: `{threads}` in `{threads}` is none of {scratch}",
        ),
        // An injection past the run's end.
        (
            "[run]\nlength = \"1s\"\n[[inject]]\nat = \"2s\"\ndrop_caches = true\n",
            "s.toml:4:6: inject.at: 2s is past the run's end (run.length = 1s)",
        ),
        // An injection with two actions.
        (
            "[[inject]]\nat = \"1ms\"\nstall = \"1ms\"\ndrop_caches = true\n",
            "inject: exactly one action",
        ),
        // A file that is both host and synthetic.
        (
            "[[files]]\nname = \"d\"\npath = \"data\"\nsize = \"1MiB\"\n",
            "s.toml:4:8: files.size: a file is a host file (path) or a synthetic one (size), not both",
        ),
        // No program at all.
        ("[storage]\nlatency = \"fixed:1ms\"\n", "s.toml: no [[process]]"),
    ];
    for (text, expected) in cases {
        // Every case but the last two is checked with a valid program after it, so that
        // the mistake itself is what is reported.
        let full = match expected.contains("no [[process]]") || text.contains("[[process]]") {
            true => text.to_string(),
            false => format!("{text}{PROCESS}"),
        };
        let e = f.error(&full);
        assert!(e.contains(expected), "{full:?}: {e}");
        if expected.starts_with("s.toml:") && expected.as_bytes()[6] == b':' && e.contains('\n') {
            assert!(e.contains(" |\n") && e.contains('^'), "a caret: {e}");
        }
    }
}

#[test]
fn a_set_value_that_is_wrong_is_named_as_the_option() {
    let f = Folder::new();
    let e = f
        .load(
            &format!("[storage]\nlatency = \"fixed:1ms\"\n{PROCESS}"),
            &["storage.latency=slow"],
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("storage.latency:"), "{e}");
    assert!(
        e.contains("(the value of --set storage.latency=slow)"),
        "{e}"
    );
    let e = f
        .load(PROCESS, &["storage.nope=1"])
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `nope`"), "{e}");
}

#[test]
fn params_stand_for_values_of_any_type_in_any_key() {
    let f = Folder::new();
    let text = format!(
        "[machine]\ncpus = \"{{cpus}}\"\n[memory]\nlimit = \"{{mib}}MiB\"\n[storage]\nlatency = \"fixed:{{ms}}ms\"\n[params]\ncpus = 4\nmib = 64\nms = 5\n{PROCESS}args = [\"{{cpus}}\"]\n"
    );
    let s = f.load(&text, &[]).unwrap();
    let opts = s.run_options.join(" ");
    for o in [
        "--cpus 4",
        "--mem-limit 64MiB",
        "--storage-latency fixed:5ms",
    ] {
        assert!(opts.contains(o), "{o} in {opts}");
    }
    assert_eq!(s.args, ["4"]);
    // One parameter moves every key that names it.
    let s = f.load(&text, &["params.cpus=2"]).unwrap();
    assert!(s.run_options.join(" ").contains("--cpus 2"));
    assert_eq!(s.args, ["2"]);
    // A parameter that makes a value wrong is named with the value's line.
    let e = f
        .load(&text, &["params.cpus=many"])
        .unwrap_err()
        .to_string();
    assert!(e.contains(":2:8:"), "{e}");
    assert!(e.contains("(the value of params.cpus)"), "{e}");
    let e = f.load(&text, &["params.mib=lots"]).unwrap_err().to_string();
    assert!(e.contains("memory.limit"), "{e}");
    assert!(e.contains("(the value of params.mib)"), "{e}");
}
