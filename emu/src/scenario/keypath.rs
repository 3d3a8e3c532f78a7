//! The path from the top of a scenario file to one value (`storage.latency`,
//! `process.0.args`), and where that value is in the file's text. Edits made before the
//! file is read (`--set`, `[params]` substitution) remember the paths they wrote, and an
//! error finds them in the final text, so no edit has to keep another's offsets true.

use std::ops::Range;
use toml_edit::{Item, Table, Value};

/// One step of a [`KeyPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// A key of a table (or of an inline table).
    Key(String),
    /// An entry of an array of tables, counted from 0.
    Entry(usize),
}

/// A value's place in the file, as a path of keys and entry numbers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct KeyPath(pub(crate) Vec<Step>);

impl KeyPath {
    /// The path a dotted key names: a number is an entry of an array of tables.
    pub(crate) fn dotted(key: &str) -> KeyPath {
        KeyPath(
            key.split('.')
                .map(|s| match s.parse() {
                    Ok(n) => Step::Entry(n),
                    Err(_) => Step::Key(s.to_string()),
                })
                .collect(),
        )
    }

    /// The byte range of the value at this path in `text`, if `text` is TOML and has it.
    pub(crate) fn span_in(&self, text: &str) -> Option<Range<usize>> {
        let doc = toml_edit::Document::parse(text.to_string()).ok()?;
        span(doc.as_table(), &self.0)
    }
}

/// The span of the value at `path` under `table`.
fn span(table: &Table, path: &[Step]) -> Option<Range<usize>> {
    let (Step::Key(first), rest) = path.split_first()? else {
        return None;
    };
    let item = table.get(first)?;
    match (item, rest.split_first()) {
        (_, None) => item.span(),
        (Item::Table(inner), Some(_)) => span(inner, rest),
        (Item::ArrayOfTables(entries), Some((Step::Entry(n), rest))) => {
            span(entries.get(*n)?, rest)
        }
        (Item::Value(Value::InlineTable(inline)), Some((Step::Key(k), []))) => {
            inline.get(k)?.span()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_finds_its_value_through_tables_arrays_and_inline_tables() {
        let text = "[machine]\ncpus = 4\n\n[[process]]\nprogram = \"a\"\n\n[[process]]\nprogram = \"b\"\n\n[[policy]]\nfile = { io = \"hold\" }\n";
        let at = |key: &str| KeyPath::dotted(key).span_in(text).map(|r| &text[r]);
        assert_eq!(at("machine.cpus"), Some("4"));
        assert_eq!(at("process.1.program"), Some("\"b\""));
        assert_eq!(at("policy.0.file.io"), Some("\"hold\""));
        assert_eq!(at("process.2.program"), None);
        assert_eq!(at("machine.seed"), None);
        assert_eq!(KeyPath::dotted("x").span_in("not = = toml"), None);
    }
}
