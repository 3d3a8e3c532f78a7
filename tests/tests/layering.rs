//! No crate of the workspace has an import cycle between files, and none imports from a
//! higher layer than its own in its `LAYERS` map: `tools::layers` over the real tree.

use tests::repo_root;

#[test]
fn no_import_cycles_or_upward_imports() {
    let findings = tools::layers::check_workspace(&repo_root()).expect("workspace manifest");
    let report: String = findings.iter().map(ToString::to_string).collect();
    assert!(
        findings.is_empty(),
        "{} layering findings (run `cargo run -p tools --bin layers` for the same list):\n{report}",
        findings.len()
    );
}
