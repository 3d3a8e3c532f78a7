//! The README's option reference for `faultline run` names exactly the options
//! `faultline run --help` lists, so the two cannot drift apart.

use std::collections::BTreeSet;
use std::process::Command;
use tests::{faultline_bin, repo_root};

/// The long options named at the start of `lines` (`  --root DIR …`, `  -v, --verbose…`),
/// `--help` left out.
fn options_in<'a>(lines: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    lines
        .filter_map(|line| {
            let line = line.trim_start();
            let line = line.split_once(", ").map_or(line, |(short, rest)| {
                if short.starts_with('-') && !short.starts_with("--") {
                    rest
                } else {
                    line
                }
            });
            let name: String = line
                .strip_prefix("--")?
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (!name.is_empty() && name != "help").then(|| format!("--{name}"))
        })
        .collect()
}

#[test]
fn the_readmes_run_options_are_those_of_run_help() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    let block = readme
        .split("faultline run [OPTIONS] PROGRAM [ARGS]...")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("README.md has the `faultline run [OPTIONS] PROGRAM [ARGS]...` block");
    let documented = options_in(block.lines());

    let help = Command::new(faultline_bin())
        .args(["run", "--help"])
        .output()
        .expect("run faultline");
    assert!(help.status.success(), "faultline run --help failed");
    let help = String::from_utf8_lossy(&help.stdout);
    let offered = options_in(help.lines());

    assert!(!offered.is_empty(), "no options found in:\n{help}");
    let missing: Vec<_> = offered.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&offered).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "README's option block: missing {missing:?}, no longer offered {stale:?}"
    );
}
