//! `use` declarations flattened into one path per imported name.

use syn::spanned::Spanned;

/// What one leaf of a `use` tree brings into scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Imported {
    /// One name (after any `as` renaming).
    Name(String),
    /// Every public name of the module the path leads to (`use a::*`).
    Glob,
    /// Nothing (`use a as _`).
    Nothing,
}

/// One leaf of a `use` tree: `use crate::{a, b::{c as d}}` has two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UseLeaf {
    /// The full path, starting at the tree's first segment; for a glob, the module's path.
    pub(crate) path: Vec<String>,
    /// What the leaf brings into scope.
    pub(crate) imported: Imported,
    /// The line the leaf is on, 1-based.
    pub(crate) line: usize,
}

/// The leaves of a `use` declaration.
pub(crate) fn flatten_use(item: &syn::ItemUse) -> Vec<UseLeaf> {
    let mut leaves = Vec::new();
    walk(&item.tree, &mut Vec::new(), &mut leaves);
    leaves
}

fn walk(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<UseLeaf>) {
    let line = tree.span().start().line;
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            walk(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => out.push(leaf(prefix, &n.ident, None, line)),
        syn::UseTree::Rename(r) => out.push(leaf(prefix, &r.ident, Some(&r.rename), line)),
        syn::UseTree::Glob(_) => out.push(UseLeaf {
            path: prefix.clone(),
            imported: Imported::Glob,
            line,
        }),
        syn::UseTree::Group(g) => {
            for tree in &g.items {
                walk(tree, prefix, out);
            }
        }
    }
}

/// A leaf naming `ident` (perhaps renamed); `a::{self}` imports `a` itself.
fn leaf(
    prefix: &[String],
    ident: &syn::Ident,
    rename: Option<&syn::Ident>,
    line: usize,
) -> UseLeaf {
    let mut path = prefix.to_vec();
    let name = ident.to_string();
    if name != "self" || path.is_empty() {
        path.push(name);
    }
    let imported = match rename.map(ToString::to_string) {
        Some(r) if r == "_" => Imported::Nothing,
        Some(r) => Imported::Name(r),
        None => Imported::Name(path.last().cloned().unwrap_or_default()),
    };
    UseLeaf {
        path,
        imported,
        line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(src: &str) -> Vec<(String, Imported)> {
        let item: syn::ItemUse = syn::parse_str(src).unwrap();
        flatten_use(&item)
            .into_iter()
            .map(|l| (l.path.join("::"), l.imported))
            .collect()
    }

    fn name(n: &str) -> Imported {
        Imported::Name(n.to_owned())
    }

    #[test]
    fn grouped_imports_flatten_to_one_path_each() {
        assert_eq!(
            leaves("use crate::{a, b::{self, c as d, e::*}};"),
            vec![
                ("crate::a".to_owned(), name("a")),
                ("crate::b".to_owned(), name("b")),
                ("crate::b::c".to_owned(), name("d")),
                ("crate::b::e".to_owned(), Imported::Glob),
            ]
        );
        assert_eq!(
            leaves("use super::x::Trait as _;"),
            vec![("super::x::Trait".to_owned(), Imported::Nothing)]
        );
    }
}
