//! What the check found, and how it is printed.

use std::fmt;

/// The imports of one file from another, with the lines that make them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The importing file, relative to the workspace root.
    pub from: String,
    /// The imported file, relative to the workspace root.
    pub to: String,
    /// Each importing line: its number (1-based) and its text.
    pub lines: Vec<(usize, String)>,
}

/// One problem found in a crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The crate or its layer map could not be read, or the map does not fit the files.
    Setup {
        /// The crate's folder.
        krate: String,
        /// What is wrong.
        message: String,
    },
    /// Files that import each other in a ring.
    Cycle {
        /// The crate's folder.
        krate: String,
        /// The files in the ring, relative to the workspace root.
        files: Vec<String>,
        /// Every import between two files of the ring: removing enough of them breaks it.
        imports: Vec<Import>,
    },
    /// A file importing from a file in a higher layer.
    Upward {
        /// The crate's folder.
        krate: String,
        /// The layer of the importing file.
        from_layer: String,
        /// The layer of the imported file.
        to_layer: String,
        /// The import.
        import: Import,
    },
}

impl fmt::Display for Import {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "    {} -> {}", self.from, self.to)?;
        for (line, text) in &self.lines {
            writeln!(f, "      {}:{line}: {}", self.from, text.trim())?;
        }
        Ok(())
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Setup { krate, message } => writeln!(f, "{krate}: {message}"),
            Finding::Cycle {
                krate,
                files,
                imports,
            } => {
                writeln!(f, "{krate}: import cycle between {} files:", files.len())?;
                for file in files {
                    writeln!(f, "    {file}")?;
                }
                writeln!(f, "  closed by these imports:")?;
                imports.iter().try_for_each(|import| write!(f, "{import}"))
            }
            Finding::Upward {
                krate,
                from_layer,
                to_layer,
                import,
            } => {
                writeln!(
                    f,
                    "{krate}: layer `{from_layer}` imports from higher layer `{to_layer}`:"
                )?;
                write!(f, "{import}")
            }
        }
    }
}
