//! Processes under faultline: execve of `#!` scripts with Linux's argument rules and its
//! errors, `--root` confinement of execve, the run's end with the initial process, and
//! the per-process sections of `--stats` (the guest `procs` runs every other check: see
//! guests.rs).

use std::os::unix::fs::PermissionsExt;
use tests::{count, guests_dir, have_cross_libc, run_faultline, shell_status, Scratch, CROSS_ROOT};

/// Writes an executable file `name` holding `text` in `dir`; returns its path.
fn script(dir: &Scratch, name: &str, text: &str) -> String {
    let path = dir.0.join(name);
    std::fs::write(&path, text).expect("write the script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path.display().to_string()
}

/// Runs `procs exec PATH ARGS...` under faultline with `opts`; returns status and stdout.
fn exec(opts: &[&str], path: &str, args: &[&str]) -> (i32, String) {
    let mut all = vec!["exec".to_string(), path.to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    let out = run_faultline(opts, &guests_dir().join("procs"), &all);
    (
        shell_status(&out),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_script_runs_its_interpreter_with_one_argument_then_its_path_then_its_arguments() {
    let dir = Scratch::new("shebang");
    let procs = guests_dir().join("procs").display().to_string();
    let s = script(&dir, "run.sh", &format!("#!{procs}  echo \n"));
    assert_eq!(
        exec(&[], &s, &["a", "b c"]),
        (0, format!("argv: [self] [echo] [{s}] [a] [b c]\n"))
    );
    // A script whose interpreter is a script: both lines are followed.
    let outer = script(&dir, "outer.sh", &format!("#!{s} x y\n"));
    assert_eq!(
        exec(&[], &outer, &["z"]),
        (
            0,
            format!("argv: [self] [echo] [{s}] [x y] [{outer}] [z]\n")
        )
    );
}

#[test]
fn execve_fails_as_linux_does() {
    let dir = Scratch::new("exec-errors");
    let empty = script(&dir, "empty.sh", "#!\n");
    assert_eq!(
        exec(&[], &empty, &[]),
        (126, format!("execve {empty}: Exec format error\n"))
    );
    let missing = script(&dir, "missing.sh", "#!/nonexistent/interp\n");
    assert_eq!(
        exec(&[], &missing, &[]),
        (
            126,
            format!("execve {missing}: No such file or directory\n")
        )
    );
    let looping = script(&dir, "loop.sh", "");
    std::fs::write(&looping, format!("#!{looping}\n")).unwrap();
    assert_eq!(
        exec(&[], &looping, &[]),
        (
            126,
            format!("execve {looping}: Too many levels of symbolic links\n")
        )
    );
}

#[test]
fn execve_is_confined_by_root() {
    // Under --root the program's own directory is the whole file system: the host's
    // /bin is out of reach, the guest's copy of itself is not.
    let dir = Scratch::new("exec-root");
    std::fs::copy(guests_dir().join("procs"), dir.0.join("procs")).expect("copy procs");
    let guest = dir.0.join("procs");
    let root = dir.path();
    let run = |path: &str| {
        let args = ["exec", path, "echo", "inside"].map(String::from);
        let out = run_faultline(&["--root", &root], &guest, &args);
        (
            shell_status(&out),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert_eq!(
        run("/bin/sh"),
        (126, "execve /bin/sh: No such file or directory\n".into())
    );
    assert_eq!(run("/procs"), (0, "argv: [self] [echo] [inside]\n".into()));
}

#[test]
fn the_run_ends_with_the_initial_process_and_its_status() {
    // The child pauses for ever: the run must still end, with the parent's status.
    let out = run_faultline(
        &["--clock", "virtual"],
        &guests_dir().join("procs"),
        &["leave".into(), "4".into()],
    );
    assert_eq!(
        shell_status(&out),
        4,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `--stats` document of a virtual run of `guest`, which must exit 0.
fn virtual_stats(guest: &str) -> serde_json::Value {
    let dir = Scratch::new(&format!("{guest}-stats"));
    let stats = dir.0.join("stats.json");
    let stats_arg = stats.display().to_string();
    let out = run_faultline(
        &["--clock", "virtual", "--stats", &stats_arg],
        &guests_dir().join(guest),
        &[],
    );
    assert_eq!(
        shell_status(&out),
        0,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap()
}

#[test]
fn stats_list_every_process_with_its_parent_and_harts() {
    let doc = virtual_stats("procs");
    let procs = doc["processes"].as_array().expect("a processes array");
    // Under the virtual clock ids are fixed: 1000 first, then in creation order.
    assert_eq!(procs[0]["pid"], 1000);
    assert_eq!(procs[0]["ppid"], 1);
    assert_eq!(procs[0]["harts"], serde_json::json!([1000]));
    assert_eq!(procs[1]["pid"], 1001);
    assert_eq!(procs[1]["ppid"], 1000);
    assert_eq!(procs[1]["harts"], serde_json::json!([1001]));
    // The orphan maker's child names the orphan maker as the parent it was made by.
    let pids: Vec<u64> = procs.iter().map(|p| p["pid"].as_u64().unwrap()).collect();
    assert!(
        pids.windows(2).all(|w| w[0] < w[1]),
        "in pid order: {pids:?}"
    );
    assert!(procs.iter().skip(1).any(|p| p["ppid"] != 1000));
}

#[test]
fn fork_counters_reach_the_stats_from_every_process() {
    let doc = virtual_stats("fork");
    // Five forks by the initial process (one from its second thread, 1003) and one by
    // a child, whose address space is gone when the statistics are written.
    assert_eq!(count(&doc["total"], "fork.count"), 6);
    assert!(count(&doc["total"], "fork.cow_faults") > 0);
    let hart = |tid: u64| {
        doc["harts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["tid"] == tid)
            .unwrap_or_else(|| panic!("no hart {tid}"))
            .clone()
    };
    assert_eq!(count(&hart(1000), "fork.count"), 4);
    assert_eq!(count(&hart(1003), "fork.count"), 1);
    let procs = doc["processes"].as_array().unwrap();
    let grandchild = procs
        .iter()
        .find(|p| p["ppid"] != 1 && p["ppid"] != 1000)
        .expect("a grandchild");
    let child = grandchild["ppid"].as_u64().unwrap();
    assert_eq!(count(&hart(child), "fork.count"), 1);
    let grandchild_hart = grandchild["harts"][0].as_u64().unwrap();
    assert!(count(&hart(grandchild_hart), "instructions") > 0);
}

#[test]
fn execve_starts_a_dynamically_linked_program_found_through_the_sysroot() {
    if !have_cross_libc() {
        return;
    }
    let hello = guests_dir().join("hello-dynamic").display().to_string();
    let (status, out) = exec(&["-L", CROSS_ROOT], &hello, &["x"]);
    assert_eq!(status, 0, "{out}");
    assert!(out.starts_with("hello, world\nargc=2\n"), "{out}");
    assert!(out.contains("argv[1]=x\n"), "{out}");
}
