//! A crate's committed layer map: the file `CRATE/LAYERS`.
//!
//! One layer per line, the bottom layer first, as `name: glob, glob`; the globs are
//! paths relative to `CRATE/src` where `*` matches within one path component, `**`
//! any number of components and `?` one character. Blank lines and lines starting
//! with `#` are ignored.

use anyhow::{bail, Result};

/// One layer: its name and the globs of its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layer {
    /// The name, used only in messages.
    pub(crate) name: String,
    /// The globs, relative to the crate's `src/`.
    pub(crate) globs: Vec<String>,
}

/// A crate's layers, bottom first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LayerMap {
    /// The layers, bottom first.
    pub(crate) layers: Vec<Layer>,
}

impl LayerMap {
    /// Parses the text of a `LAYERS` file.
    pub(crate) fn parse(text: &str) -> Result<LayerMap> {
        let mut layers = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, globs)) = line.split_once(':') else {
                bail!("line {}: expected `layer-name: glob, glob`", index + 1);
            };
            let globs: Vec<String> = globs
                .split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_owned)
                .collect();
            if name.trim().is_empty() || globs.is_empty() {
                bail!(
                    "line {}: a layer needs a name and at least one glob",
                    index + 1
                );
            }
            layers.push(Layer {
                name: name.trim().to_owned(),
                globs,
            });
        }
        Ok(LayerMap { layers })
    }

    /// The indices of the layers with a glob matching `file` (relative to `src/`).
    pub(crate) fn layers_of(&self, file: &str) -> Vec<usize> {
        (0..self.layers.len())
            .filter(|&i| self.layers[i].globs.iter().any(|g| glob_match(g, file)))
            .collect()
    }
}

/// Whether `path` matches `glob` (see the module documentation for the syntax).
pub(crate) fn glob_match(glob: &str, path: &str) -> bool {
    let glob: Vec<&str> = glob.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    match_components(&glob, &path)
}

fn match_components(glob: &[&str], path: &[&str]) -> bool {
    match glob.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| match_components(rest, &path[skip..])),
        Some((first, rest)) => match path.split_first() {
            Some((component, path_rest)) => {
                match_chars(first.as_bytes(), component.as_bytes())
                    && match_components(rest, path_rest)
            }
            None => false,
        },
    }
}

fn match_chars(glob: &[u8], name: &[u8]) -> bool {
    match glob.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|skip| match_chars(rest, &name[skip..])),
        Some((b'?', rest)) => !name.is_empty() && match_chars(rest, &name[1..]),
        Some((c, rest)) => name.first() == Some(c) && match_chars(rest, &name[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_within_and_across_components() {
        assert!(glob_match("types.rs", "types.rs"));
        assert!(glob_match("phys/*", "phys/frames.rs"));
        assert!(!glob_match("phys/*", "phys/x/y.rs"));
        assert!(glob_match("phys/**", "phys/x/y.rs"));
        assert!(glob_match("**/tests.rs", "tests.rs"));
        assert!(glob_match("*.rs", "lib.rs"));
        assert!(!glob_match("*.rs", "bin/x.rs"));
        assert!(glob_match("rwsem?.rs", "rwsem2.rs"));
    }

    #[test]
    fn layer_files_parse_bottom_first() {
        let map = LayerMap::parse("# bottom\ntypes: types.rs, errno.rs\n\nphys: phys/*\n").unwrap();
        assert_eq!(map.layers.len(), 2);
        assert_eq!(map.layers[0].globs, ["types.rs", "errno.rs"]);
        assert_eq!(map.layers_of("phys/tlb.rs"), [1]);
        assert!(map.layers_of("lib.rs").is_empty());
        assert!(LayerMap::parse("no colon here").is_err());
        assert!(LayerMap::parse("empty:").is_err());
    }
}
