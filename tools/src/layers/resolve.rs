//! Resolving a path written in one module to the file that defines what it names.
//!
//! Re-exports are followed (`use super::Foo` where the parent only re-exports `Foo`
//! from a sibling leads to the sibling), so an import counts against the file that
//! really holds the item, not against the `mod.rs` or `lib.rs` passing it on.

use super::tree::{CrateTree, FileId, ModId};
use super::uses::Imported;
use std::collections::HashSet;

/// What a name in a module's scope stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// A module of this crate.
    Module(ModId),
    /// An item defined in this file.
    Item(FileId),
}

/// Resolves names against one crate's module tree.
pub(crate) struct Resolver<'a> {
    tree: &'a CrateTree,
}

impl<'a> Resolver<'a> {
    /// A resolver over `tree`.
    pub(crate) fn new(tree: &'a CrateTree) -> Self {
        Resolver { tree }
    }

    /// The file that defines what `path`, written in module `from`, names; `None` when
    /// the path leads outside the crate.
    pub(crate) fn file_of(&self, from: ModId, path: &[String]) -> Option<FileId> {
        match self.path(from, path, &mut HashSet::new())? {
            Target::Module(m) => Some(self.tree.modules[m].file),
            Target::Item(f) => Some(f),
        }
    }

    /// Whether `name`, in module `from`'s scope, is a module of this crate.
    pub(crate) fn is_module(&self, from: ModId, name: &str) -> bool {
        matches!(
            self.lookup(from, name, &mut HashSet::new()),
            Some(Target::Module(_))
        )
    }

    fn path(
        &self,
        from: ModId,
        path: &[String],
        seen: &mut HashSet<(ModId, String)>,
    ) -> Option<Target> {
        let (first, rest) = path.split_first()?;
        let mut current = match first.as_str() {
            "crate" => self.root_of(from),
            "self" => from,
            "super" => self.tree.modules[from].parent?,
            name => match self.lookup(from, name, seen)? {
                Target::Module(m) => m,
                item => return Some(item),
            },
        };
        for segment in rest {
            current = match segment.as_str() {
                "super" => self.tree.modules[current].parent?,
                "self" => current,
                name => match self.lookup(current, name, seen) {
                    Some(Target::Module(m)) => m,
                    Some(item) => return Some(item),
                    // A name the tree cannot see (made by a macro, say): the module is
                    // the best that can be said.
                    None => return Some(Target::Item(self.tree.modules[current].file)),
                },
            };
        }
        Some(Target::Module(current))
    }

    /// What `name` stands for in `module`'s scope: a child module, an item defined
    /// there, or what a `use` there brings in.
    fn lookup(
        &self,
        module: ModId,
        name: &str,
        seen: &mut HashSet<(ModId, String)>,
    ) -> Option<Target> {
        if !seen.insert((module, name.to_owned())) {
            return None;
        }
        let m = &self.tree.modules[module];
        if let Some(&child) = m.children.get(name) {
            return Some(Target::Module(child));
        }
        if m.items.contains(name) {
            return Some(Target::Item(m.file));
        }
        let named = m
            .uses
            .iter()
            .filter(|u| u.imported == Imported::Name(name.to_owned()));
        if let Some(found) = named
            .into_iter()
            .find_map(|u| self.path(module, &u.path, seen))
        {
            return Some(found);
        }
        m.uses
            .iter()
            .filter(|u| u.imported == Imported::Glob)
            .find_map(|u| match self.path(module, &u.path, seen)? {
                Target::Module(glob) => self.lookup(glob, name, seen),
                Target::Item(_) => None,
            })
    }

    fn root_of(&self, mut module: ModId) -> ModId {
        while let Some(parent) = self.tree.modules[module].parent {
            module = parent;
        }
        module
    }
}
