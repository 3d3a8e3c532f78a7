//! Checks that no crate of the workspace has an import cycle between files, and that no
//! file imports from a higher layer than its own in the crate's `LAYERS` map.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: layers [--root DIR] [CRATE...]

Checks the Rust crates of a workspace for import cycles between files and for imports
from a lower layer to a higher one.

  --root DIR   the workspace root (default: the nearest folder at or above the current
               one whose Cargo.toml has a [workspace] table)
  CRATE...     crate folders relative to the root (default: the workspace members)

Each non-test .rs file under CRATE/src is mapped to its module. Every `use` of the
crate's own modules and every inline crate::/super::/self:: path is an import from one
file to another (re-exports followed to the file defining the item; #[cfg(test)] code
left out). Reported:
  - every import cycle between files; a module and its own direct children are exempt;
  - where CRATE/LAYERS exists, every import from a file to a file in a higher layer,
    and every file that no layer (or more than one) holds.

CRATE/LAYERS lists one layer per line, bottom first, as `name: glob, glob`, with globs
relative to CRATE/src (`*` within one path component, `**` across components); lines
starting with # are comments. A crate without LAYERS is checked for cycles only.

Exit status: 0 when nothing is found, 1 on any finding, 2 on a usage error.";

fn main() -> ExitCode {
    let mut root = None;
    let mut crates = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--root" => match args.next() {
                Some(dir) => root = Some(PathBuf::from(dir)),
                None => return usage_error("--root needs a folder"),
            },
            flag if flag.starts_with('-') => return usage_error(&format!("unknown option {flag}")),
            krate => crates.push(krate.trim_end_matches('/').to_owned()),
        }
    }
    let root = match root {
        Some(root) => root,
        None => {
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            match tools::layers::find_workspace_root(&cwd) {
                Some(root) => root,
                None => return usage_error("no workspace above the current folder; use --root"),
            }
        }
    };
    if crates.is_empty() {
        match tools::layers::workspace_members(&root) {
            Ok(members) => crates = members,
            Err(err) => return usage_error(&format!("{err:#}")),
        }
    }
    let mut total = 0;
    for krate in &crates {
        let findings = tools::layers::check_crate(&root, krate);
        for finding in &findings {
            print!("{finding}");
        }
        total += findings.len();
    }
    if total == 0 {
        println!(
            "layers: no import cycles or upward imports in {}",
            crates.join(", ")
        );
        ExitCode::SUCCESS
    } else {
        let plural = if total == 1 { "" } else { "s" };
        println!("layers: {total} finding{plural} in {}", crates.join(", "));
        ExitCode::FAILURE
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("layers: {message}\n\n{USAGE}");
    ExitCode::from(2)
}
