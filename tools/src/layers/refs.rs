//! The file-to-file import graph of a crate: every `use` of the crate's own modules and
//! every inline `crate::a::b`/`super::a`/`self::a` path (also inside macro calls), with
//! `#[cfg(test)]` code left out.

use super::cfg::is_test_only;
use super::resolve::Resolver;
use super::tree::{item_attrs, CrateTree, FileId, ModId};
use super::uses::flatten_use;
use proc_macro2::{TokenStream, TokenTree};
use std::collections::{BTreeMap, BTreeSet};
use syn::visit::Visit;

/// The lines (1-based) of one file that import from another.
pub(crate) type Witnesses = BTreeSet<usize>;

/// `edges[from][to]`: the lines of file `from` that import from file `to`.
pub(crate) type Edges = BTreeMap<FileId, BTreeMap<FileId, Witnesses>>;

/// Every import between two different files of `tree`.
pub(crate) fn import_edges(tree: &CrateTree) -> Edges {
    let resolver = Resolver::new(tree);
    let mut edges = Edges::new();
    for (file, source) in tree.files.iter().enumerate() {
        let mut collector = Collector {
            tree,
            resolver: &resolver,
            module: source.module,
            paths: Vec::new(),
        };
        for item in &source.ast.items {
            collector.visit_item(item);
        }
        for (module, path, line) in collector.paths {
            match resolver.file_of(module, &path) {
                Some(to) if to != file => {
                    edges
                        .entry(file)
                        .or_default()
                        .entry(to)
                        .or_default()
                        .insert(line);
                }
                _ => {}
            }
        }
    }
    edges
}

/// Walks one file, noting each path that may lead into the crate and the module it
/// was written in.
struct Collector<'r, 'a> {
    tree: &'a CrateTree,
    resolver: &'r Resolver<'a>,
    module: ModId,
    paths: Vec<(ModId, Vec<String>, usize)>,
}

impl Collector<'_, '_> {
    /// Whether a path starting with `first` (and longer than one segment) may name
    /// something in this crate.
    fn is_local(&self, first: &str) -> bool {
        matches!(first, "crate" | "super" | "self") || self.resolver.is_module(self.module, first)
    }

    /// Notes the `a::b::c` paths spelled out token by token inside a macro call.
    fn scan_tokens(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < tokens.len() {
            if let TokenTree::Group(group) = &tokens[i] {
                self.scan_tokens(group.stream());
                i += 1;
                continue;
            }
            let (path, next) = token_path(&tokens, i);
            if path.len() > 1 && self.is_local(&path[0]) {
                let line = tokens[i].span().start().line;
                self.paths.push((self.module, path, line));
            }
            i = next.max(i + 1);
        }
    }
}

/// The `ident::ident::…` path starting at `tokens[start]`, and the index after it.
fn token_path(tokens: &[TokenTree], start: usize) -> (Vec<String>, usize) {
    let mut path = Vec::new();
    let mut i = start;
    while let Some(TokenTree::Ident(ident)) = tokens.get(i) {
        path.push(ident.to_string());
        i += 1;
        let colons = matches!(
            (tokens.get(i), tokens.get(i + 1)),
            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                if a.as_char() == ':' && b.as_char() == ':'
        );
        if !colons {
            break;
        }
        i += 2;
    }
    (path, i)
}

impl<'ast> Visit<'ast> for Collector<'_, '_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if is_test_only(item_attrs(item)) {
            return;
        }
        if let syn::Item::Mod(m) = item {
            let Some((_, inner)) = &m.content else {
                return;
            };
            let name = m.ident.to_string();
            let Some(&child) = self.tree.modules[self.module].children.get(&name) else {
                return;
            };
            let outer = std::mem::replace(&mut self.module, child);
            for item in inner {
                self.visit_item(item);
            }
            self.module = outer;
            return;
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        for leaf in flatten_use(item) {
            self.paths.push((self.module, leaf.path, leaf.line));
        }
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        let attrs = match item {
            syn::ImplItem::Const(i) => &i.attrs,
            syn::ImplItem::Fn(i) => &i.attrs,
            syn::ImplItem::Type(i) => &i.attrs,
            syn::ImplItem::Macro(i) => &i.attrs,
            _ => return syn::visit::visit_impl_item(self, item),
        };
        if !is_test_only(attrs) {
            syn::visit::visit_impl_item(self, item);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if path.leading_colon.is_none() && segments.len() > 1 && self.is_local(&segments[0]) {
            let line = path.segments[0].ident.span().start().line;
            self.paths.push((self.module, segments, line));
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        self.scan_tokens(mac.tokens.clone());
    }
}
