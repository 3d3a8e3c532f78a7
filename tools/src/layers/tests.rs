//! The check run over small crates written to a temporary folder.

use super::*;

/// Writes `files` (path relative to the crate folder, contents) as crate `k` under a
/// fresh workspace and checks it.
fn check(files: &[(&str, &str)]) -> Vec<Finding> {
    let root = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = root.path().join("k").join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    check_crate(root.path(), "k")
}

fn cycles(findings: &[Finding]) -> Vec<Vec<String>> {
    findings
        .iter()
        .filter_map(|f| match f {
            Finding::Cycle { files, .. } => Some(files.clone()),
            _ => None,
        })
        .collect()
}

fn upward(findings: &[Finding]) -> Vec<(String, String)> {
    findings
        .iter()
        .filter_map(|f| match f {
            Finding::Upward { import, .. } => Some((import.from.clone(), import.to.clone())),
            _ => None,
        })
        .collect()
}

const LIB: &str = "mod a;\nmod b;\nmod c;\n";

#[test]
fn a_ring_of_grouped_imports_is_a_cycle() {
    let found = check(&[
        ("src/lib.rs", LIB),
        ("src/a.rs", "use crate::{b::{B}, c};\npub struct A;\n"),
        (
            "src/b.rs",
            "pub struct B;\nfn f() { let _ = crate::c::C; }\n",
        ),
        ("src/c.rs", "pub struct C;\nuse super::a::A;\n"),
    ]);
    assert_eq!(
        cycles(&found),
        [["k/src/a.rs", "k/src/b.rs", "k/src/c.rs"]],
        "{found:?}"
    );
    let text = found[0].to_string();
    assert!(text.contains("k/src/c.rs:2: use super::a::A;"), "{text}");
    assert!(
        text.contains("k/src/b.rs:2: fn f() { let _ = crate::c::C; }"),
        "{text}"
    );
}

#[test]
fn test_code_and_chains_make_no_cycle() {
    let found = check(&[
        ("src/lib.rs", "mod a;\nmod b;\n#[cfg(test)]\nmod tests;\n"),
        (
            "src/a.rs",
            "use crate::b::B;\n#[cfg(test)]\nmod t { use crate::b::B; }\n",
        ),
        (
            "src/b.rs",
            "pub struct B;\n#[cfg(test)]\nfn g() { crate::a::f(); }\n",
        ),
        ("src/tests.rs", "use crate::a::*; use crate::b::*;\n"),
    ]);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_module_and_its_children_are_not_a_cycle_but_siblings_through_reexports_are() {
    let found = check(&[
        ("src/lib.rs", "mod s;\n"),
        (
            "src/s/mod.rs",
            "mod x;\nmod y;\npub use x::X;\npub use y::Y;\npub fn helper() {}\n",
        ),
        ("src/s/x.rs", "use super::{helper, Y};\npub struct X;\n"),
        ("src/s/y.rs", "pub struct Y;\nfn f(_: super::X) {}\n"),
    ]);
    assert_eq!(
        cycles(&found),
        [["k/src/s/x.rs", "k/src/s/y.rs"]],
        "{found:?}"
    );
}

#[test]
fn macro_bodies_and_inline_modules_are_read() {
    let found = check(&[
        ("src/lib.rs", LIB),
        (
            "src/a.rs",
            "pub fn f() {}\nmod inner { pub fn g() { super::super::b::h(); } }\n",
        ),
        ("src/b.rs", "pub fn h() { assert!(crate::a::f() == ()); }\n"),
        ("src/c.rs", ""),
    ]);
    assert_eq!(cycles(&found), [["k/src/a.rs", "k/src/b.rs"]], "{found:?}");
}

#[test]
fn imports_from_a_higher_layer_are_reported() {
    let found = check(&[
        ("LAYERS", "low: a.rs, b.rs\nhigh: c.rs\ntop: lib.rs\n"),
        ("src/lib.rs", LIB),
        ("src/a.rs", "use crate::c::C;\npub struct A;\n"),
        ("src/b.rs", "use crate::a::A;\n"),
        ("src/c.rs", "pub struct C;\n"),
    ]);
    assert_eq!(
        upward(&found),
        [("k/src/a.rs".to_owned(), "k/src/c.rs".to_owned())]
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0]
        .to_string()
        .contains("layer `low` imports from higher layer `high`"));
}

#[test]
fn a_layer_map_must_fit_the_files() {
    let found = check(&[
        ("LAYERS", "low: a.rs, gone.rs\nboth: a.rs\n"),
        ("src/lib.rs", "mod a;\nmod b;\n"),
        ("src/a.rs", ""),
        ("src/b.rs", ""),
    ]);
    let messages: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "k: LAYERS: no layer holds src/lib.rs\n",
            "k: LAYERS: src/a.rs is in more than one layer: low, both\n",
            "k: LAYERS: no layer holds src/b.rs\n",
            "k: LAYERS: `gone.rs` (layer `low`) matches no file\n",
        ]
    );
}

#[test]
fn binaries_are_their_own_crates() {
    let found = check(&[
        ("src/lib.rs", "pub mod a;\n"),
        ("src/a.rs", "pub fn f() {}\n"),
        (
            "src/bin/tool.rs",
            "mod cli;\nfn main() { k::a::f(); cli::run(); }\n",
        ),
        ("src/bin/tool/cli.rs", "pub fn run() { crate::main(); }\n"),
    ]);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_missing_module_file_is_reported() {
    let found = check(&[("src/lib.rs", "mod nowhere;\n")]);
    assert_eq!(found.len(), 1);
    assert!(found[0].to_string().contains("no file for `mod nowhere;`"));
}

#[test]
fn workspace_members_are_read_from_the_manifest() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("Cargo.toml"),
        "[workspace]\nmembers = [\"a\", \"b/c\",\n  \"d\"]\nexclude = [\"fuzz\"]\n",
    )
    .unwrap();
    assert_eq!(workspace_members(root.path()).unwrap(), ["a", "b/c", "d"]);
    let nested = root.path().join("a/src");
    std::fs::create_dir_all(&nested).unwrap();
    assert_eq!(find_workspace_root(&nested).unwrap(), root.path());
}
