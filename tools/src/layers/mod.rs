//! The layer and import-cycle check behind the `layers` binary.
//!
//! For each crate, every non-test `.rs` file under `src/` is mapped to its module by
//! following `mod` declarations from the crate roots. Every `use` of the crate's own
//! modules and every inline `crate::…`, `super::…` or `self::…` path (grouped imports
//! flattened, re-exports followed to the defining file, `#[cfg(test)]` code left out)
//! becomes an edge between two files. The check then reports
//! - every import cycle between files, leaving out the edges between a module and its
//!   own direct children (a `mod.rs` re-exporting its children, a child using its
//!   parent's helpers), and
//! - where the crate has a `LAYERS` file (`name: glob, glob`, one layer per line, bottom
//!   first), every import from a file to a file in a higher layer,
//!   every file no layer claims or two layers claim, and every glob matching no file.

mod cfg;
mod graph;
mod map;
mod refs;
mod report;
mod resolve;
mod tree;
mod uses;

pub use report::{Finding, Import};

use anyhow::{Context, Result};
use map::LayerMap;
use refs::{Edges, Witnesses};
use std::path::{Path, PathBuf};
use tree::{CrateTree, FileId};

/// The name of a crate's layer map, in the crate's folder.
pub const LAYER_FILE: &str = "LAYERS";

/// Checks every member crate of the workspace rooted at `root`.
pub fn check_workspace(root: &Path) -> Result<Vec<Finding>> {
    Ok(workspace_members(root)?
        .iter()
        .flat_map(|krate| check_crate(root, krate))
        .collect())
}

/// Checks the crate in folder `krate` (relative to `root`): cycles always, layers when
/// the crate has a layer map.
pub fn check_crate(root: &Path, krate: &str) -> Vec<Finding> {
    let setup = |message: String| {
        vec![Finding::Setup {
            krate: krate.to_owned(),
            message,
        }]
    };
    let dir = root.join(krate);
    let tree = match CrateTree::read(&dir.join("src")) {
        Ok(tree) => tree,
        Err(err) => return setup(format!("{err:#}")),
    };
    let map = match read_layer_map(&dir) {
        Ok(map) => map,
        Err(err) => return setup(format!("{LAYER_FILE}: {err:#}")),
    };
    let mut findings: Vec<Finding> = tree.missing.iter().cloned().flat_map(setup).collect();
    let edges = refs::import_edges(&tree);
    let named = Named { krate, tree: &tree };
    findings.extend(cycle_findings(&named, &edges));
    if let Some(map) = map {
        findings.extend(layer_findings(&named, &map, &edges));
    }
    findings
}

/// The member folders listed in the workspace's `Cargo.toml`.
pub fn workspace_members(root: &Path) -> Result<Vec<String>> {
    let manifest = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let list = text
        .split_once("members")
        .and_then(|(_, rest)| rest.split_once('['))
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .with_context(|| format!("no `members = [...]` in {}", manifest.display()))?;
    Ok(list
        .split(',')
        .map(|member| member.trim().trim_matches('"').to_owned())
        .filter(|member| !member.is_empty())
        .collect())
}

/// The workspace root above `start`: the nearest folder whose `Cargo.toml` has a
/// `[workspace]` table.
pub fn find_workspace_root(start: &Path) -> Option<PathBuf> {
    start.ancestors().find_map(|dir| {
        let text = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
        text.contains("[workspace]").then(|| dir.to_path_buf())
    })
}

fn read_layer_map(dir: &Path) -> Result<Option<LayerMap>> {
    let path = dir.join(LAYER_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)?;
    LayerMap::parse(&text).map(Some)
}

/// A crate's files named for messages.
struct Named<'a> {
    krate: &'a str,
    tree: &'a CrateTree,
}

impl Named<'_> {
    fn path(&self, file: FileId) -> String {
        format!("{}/src/{}", self.krate, self.tree.files[file].rel)
    }

    fn import(&self, from: FileId, to: FileId, lines: &Witnesses) -> Import {
        let text = &self.tree.files[from].lines;
        Import {
            from: self.path(from),
            to: self.path(to),
            lines: lines
                .iter()
                .map(|&line| {
                    let quoted = text.get(line.wrapping_sub(1)).cloned().unwrap_or_default();
                    (line, quoted)
                })
                .collect(),
        }
    }

    /// Whether one of the files holds the parent module of the other's.
    fn parent_and_child(&self, a: FileId, b: FileId) -> bool {
        let module = |f: FileId| self.tree.files[f].module;
        self.tree.parent_file(module(a)) == Some(b) || self.tree.parent_file(module(b)) == Some(a)
    }
}

fn cycle_findings(named: &Named<'_>, edges: &Edges) -> Vec<Finding> {
    let mut counted = Edges::new();
    for (&from, targets) in edges {
        for (&to, lines) in targets {
            if !named.parent_and_child(from, to) {
                counted.entry(from).or_default().insert(to, lines.clone());
            }
        }
    }
    graph::cycles(named.tree.files.len(), &counted)
        .into_iter()
        .map(|ring| Finding::Cycle {
            krate: named.krate.to_owned(),
            files: ring.iter().map(|&f| named.path(f)).collect(),
            imports: ring
                .iter()
                .flat_map(|&from| {
                    counted[&from]
                        .iter()
                        .filter(|(to, _)| ring.contains(to))
                        .map(move |(&to, lines)| named.import(from, to, lines))
                })
                .collect(),
        })
        .collect()
}

fn layer_findings(named: &Named<'_>, map: &LayerMap, edges: &Edges) -> Vec<Finding> {
    let setup = |message: String| Finding::Setup {
        krate: named.krate.to_owned(),
        message: format!("{LAYER_FILE}: {message}"),
    };
    let mut findings = Vec::new();
    let mut layer_of = Vec::new();
    for file in 0..named.tree.files.len() {
        let rel = &named.tree.files[file].rel;
        let layers = map.layers_of(rel);
        match layers.as_slice() {
            [] => findings.push(setup(format!("no layer holds src/{rel}"))),
            [_] => {}
            _ => findings.push(setup(format!(
                "src/{rel} is in more than one layer: {}",
                layers
                    .iter()
                    .map(|&l| map.layers[l].name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
        layer_of.push(layers.first().copied());
    }
    for layer in &map.layers {
        for glob in &layer.globs {
            if !named
                .tree
                .files
                .iter()
                .any(|f| map::glob_match(glob, &f.rel))
            {
                findings.push(setup(format!(
                    "`{glob}` (layer `{}`) matches no file",
                    layer.name
                )));
            }
        }
    }
    for (&from, targets) in edges {
        for (&to, lines) in targets {
            if let (Some(low), Some(high)) = (layer_of[from], layer_of[to]) {
                if low < high {
                    findings.push(Finding::Upward {
                        krate: named.krate.to_owned(),
                        from_layer: map.layers[low].name.clone(),
                        to_layer: map.layers[high].name.clone(),
                        import: named.import(from, to, lines),
                    });
                }
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests;
