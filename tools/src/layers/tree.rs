//! The module tree of one crate: which file holds which module, and what each module
//! defines and imports by name.
//!
//! The tree is built by following `mod` declarations from the crate roots (`lib.rs`,
//! `main.rs` and each binary under `bin/`), so a file reached only through a
//! `#[cfg(test)] mod` is never read: test-only code takes no part in layering.

use super::cfg::is_test_only;
use super::uses::{flatten_use, UseLeaf};
use anyhow::{Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Index of a module in [`CrateTree::modules`].
pub(crate) type ModId = usize;
/// Index of a file in [`CrateTree::files`].
pub(crate) type FileId = usize;

/// One source file of the crate.
pub(crate) struct SourceFile {
    /// The path relative to the crate's `src/`, with `/` separators.
    pub(crate) rel: String,
    /// The module the file holds.
    pub(crate) module: ModId,
    /// The parsed file.
    pub(crate) ast: syn::File,
    /// The file's lines, for quoting an import.
    pub(crate) lines: Vec<String>,
}

/// One module: a file, or an inline `mod name { … }` inside one.
#[derive(Debug)]
pub(crate) struct Module {
    /// The module that declares this one; `None` for a crate root.
    pub(crate) parent: Option<ModId>,
    /// The file that holds the module's items.
    pub(crate) file: FileId,
    /// Child modules by name.
    pub(crate) children: BTreeMap<String, ModId>,
    /// Names of the items the module defines itself (types, functions, constants…).
    pub(crate) items: BTreeSet<String>,
    /// The module's `use` declarations.
    pub(crate) uses: Vec<UseLeaf>,
}

/// The module tree of one crate, and the problems met while building it.
#[derive(Default)]
pub(crate) struct CrateTree {
    /// Every non-test file reached from a crate root.
    pub(crate) files: Vec<SourceFile>,
    /// Every module, file-backed or inline.
    pub(crate) modules: Vec<Module>,
    /// `mod` declarations whose file could not be found.
    pub(crate) missing: Vec<String>,
}

impl CrateTree {
    /// Reads the crate whose sources are under `src`.
    pub(crate) fn read(src: &Path) -> Result<CrateTree> {
        let mut tree = CrateTree::default();
        for root in crate_roots(src)? {
            let rel = relative(src, &root);
            // A binary's own submodules live in a folder named after it.
            let child_dir = match root.file_name().and_then(|n| n.to_str()) {
                Some("lib.rs" | "main.rs") => root.parent().unwrap_or(src).to_path_buf(),
                _ => root.with_extension(""),
            };
            tree.load_file(src, &root, rel, None, &child_dir)?;
        }
        Ok(tree)
    }

    /// The file that holds `module`'s parent module, if it has one.
    pub(crate) fn parent_file(&self, module: ModId) -> Option<FileId> {
        self.modules[module]
            .parent
            .map(|parent| self.modules[parent].file)
    }

    fn load_file(
        &mut self,
        src: &Path,
        path: &Path,
        rel: String,
        parent: Option<ModId>,
        child_dir: &Path,
    ) -> Result<ModId> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let ast =
            syn::parse_file(&text).with_context(|| format!("cannot parse {}", path.display()))?;
        let file = self.files.len();
        let module = self.new_module(parent, file);
        let items = ast.items.clone();
        self.files.push(SourceFile {
            rel,
            module,
            ast,
            lines: text.lines().map(str::to_owned).collect(),
        });
        self.load_items(src, &items, module, file, child_dir)?;
        Ok(module)
    }

    fn new_module(&mut self, parent: Option<ModId>, file: FileId) -> ModId {
        self.modules.push(Module {
            parent,
            file,
            children: BTreeMap::new(),
            items: BTreeSet::new(),
            uses: Vec::new(),
        });
        self.modules.len() - 1
    }

    fn load_items(
        &mut self,
        src: &Path,
        items: &[syn::Item],
        module: ModId,
        file: FileId,
        child_dir: &Path,
    ) -> Result<()> {
        for item in items {
            if is_test_only(item_attrs(item)) {
                continue;
            }
            match item {
                syn::Item::Mod(m) => {
                    let name = m.ident.to_string();
                    let child = match &m.content {
                        Some((_, inner)) => {
                            let child = self.new_module(Some(module), file);
                            self.load_items(src, inner, child, file, &child_dir.join(&name))?;
                            child
                        }
                        None => match find_mod_file(child_dir, &name, &m.attrs) {
                            Some((path, grandchild_dir)) => {
                                let rel = relative(src, &path);
                                self.load_file(src, &path, rel, Some(module), &grandchild_dir)?
                            }
                            None => {
                                self.missing.push(format!(
                                    "{}: no file for `mod {name};`",
                                    self.files[file].rel
                                ));
                                continue;
                            }
                        },
                    };
                    self.modules[module].children.insert(name, child);
                }
                syn::Item::Use(u) => self.modules[module].uses.extend(flatten_use(u)),
                other => {
                    if let Some(name) = item_name(other) {
                        self.modules[module].items.insert(name);
                    }
                }
            }
        }
        Ok(())
    }
}

/// The attributes of any item.
pub(crate) fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    use syn::Item;
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// The name an item defines in its module, if it defines one.
fn item_name(item: &syn::Item) -> Option<String> {
    use syn::Item;
    let ident = match item {
        Item::Const(i) => &i.ident,
        Item::Enum(i) => &i.ident,
        Item::Fn(i) => &i.sig.ident,
        Item::Macro(i) => i.ident.as_ref()?,
        Item::Static(i) => &i.ident,
        Item::Struct(i) => &i.ident,
        Item::Trait(i) => &i.ident,
        Item::TraitAlias(i) => &i.ident,
        Item::Type(i) => &i.ident,
        Item::Union(i) => &i.ident,
        _ => return None,
    };
    Some(ident.to_string())
}

/// The file of `mod name;` declared in a module whose children live in `dir`, and the
/// folder where that file's own children live. `#[path = "…"]` is honoured.
fn find_mod_file(dir: &Path, name: &str, attrs: &[syn::Attribute]) -> Option<(PathBuf, PathBuf)> {
    if let Some(path) = path_attr(attrs) {
        let file = dir.join(path);
        let children = file.with_extension("");
        return file.is_file().then_some((file, children));
    }
    let flat = dir.join(format!("{name}.rs"));
    if flat.is_file() {
        return Some((flat, dir.join(name)));
    }
    let nested = dir.join(name).join("mod.rs");
    nested.is_file().then(|| (nested, dir.join(name)))
}

/// The value of a `#[path = "…"]` attribute.
fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|attr| match &attr.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

/// The crate roots under `src`: the library, the main binary and every `bin/` binary.
fn crate_roots(src: &Path) -> Result<Vec<PathBuf>> {
    let mut roots: Vec<PathBuf> = ["lib.rs", "main.rs"]
        .iter()
        .map(|name| src.join(name))
        .filter(|path| path.is_file())
        .collect();
    let bin = src.join("bin");
    if bin.is_dir() {
        let mut bins = Vec::new();
        for entry in
            std::fs::read_dir(&bin).with_context(|| format!("cannot list {}", bin.display()))?
        {
            let path = entry?.path();
            if path.extension().is_some_and(|ext| ext == "rs") {
                bins.push(path);
            } else if path.join("main.rs").is_file() {
                bins.push(path.join("main.rs"));
            }
        }
        bins.sort();
        roots.extend(bins);
    }
    Ok(roots)
}

/// `path` relative to `src`, with `/` separators.
fn relative(src: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(src).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
