//! The README's option references for `faultline run` and `faultline report` name exactly
//! the options their `--help` lists, so the two cannot drift apart.

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

/// The README's block that starts with `usage` documents exactly the options
/// `faultline SUBCOMMAND --help` lists.
fn check(subcommand: &str, usage: &str) {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    let block = readme
        .split(usage)
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_else(|| panic!("README.md has the `{usage}` block"));
    let documented = options_in(block.lines());

    let help = Command::new(faultline_bin())
        .args([subcommand, "--help"])
        .output()
        .expect("run faultline");
    assert!(
        help.status.success(),
        "faultline {subcommand} --help failed"
    );
    let help = String::from_utf8_lossy(&help.stdout);
    let offered = options_in(help.lines());

    assert!(!offered.is_empty(), "no options found in:\n{help}");
    let missing: Vec<_> = offered.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&offered).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "README's {subcommand} option block: missing {missing:?}, no longer offered {stale:?}"
    );
}

#[test]
fn the_readmes_run_options_are_those_of_run_help() {
    check("run", "faultline run [OPTIONS] PROGRAM [ARGS]...");
}

#[test]
fn the_readmes_report_options_are_those_of_report_help() {
    check("report", "faultline report [OPTIONS] TRACE");
}
