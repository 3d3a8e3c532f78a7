//! `--set KEY=VALUE` (and each value of `sweep --vary`): edits a scenario's text in
//! place before it is read, so that every later check still points at a line, and a
//! value that came from an option is named as such.
//!
//! KEY is a dotted path of table keys (`storage.latency`, `machine.cost.insn`); a
//! number selects an entry of an array of tables (`process.0.args`, `inject.1.at`).
//! VALUE is read as a TOML value (`4`, `true`, `["a", "b"]`, `"text"`) and, when it is
//! none, as a string (`fixed:5ms`), so that options need no quoting.

use super::keypath::KeyPath;
use super::located::Source;
use std::path::Path;
use toml_edit::{DocumentMut, Item, Table, Value};

/// One `KEY=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The dotted key.
    pub key: String,
    /// The value as written.
    pub value: String,
    /// The option that gave it (`--set` or `--vary`), for messages.
    pub option: &'static str,
}

impl Setting {
    /// Parses `KEY=VALUE` given to `option`.
    pub fn parse(option: &'static str, s: &str) -> Result<Setting, String> {
        let (key, value) = s
            .split_once('=')
            .ok_or_else(|| format!("{option} {s}: expected KEY=VALUE"))?;
        let key = key.trim();
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(format!(
                "{option} {s}: `{key}` is no key (dotted names such as storage.latency)"
            ));
        }
        Ok(Setting {
            key: key.to_string(),
            value: value.trim().to_string(),
            option,
        })
    }

    /// How messages name it.
    pub fn shown(&self) -> String {
        format!("{} {}={}", self.option, self.key, self.value)
    }

    /// The value as TOML: itself when it parses as a value, else a string.
    fn toml_value(&self) -> Value {
        self.value
            .parse::<Value>()
            .unwrap_or_else(|_| Value::from(self.value.as_str()))
    }
}

/// A key and the values it takes, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vary {
    /// The dotted key.
    pub key: String,
    /// Its values, as `--set` would take them.
    pub values: Vec<String>,
}

impl Vary {
    /// Parses `KEY=V1,V2,...`; values that contain commas themselves (`lognormal:2ms,40ms`)
    /// are separated by `;` instead.
    pub fn parse(s: &str) -> Result<Vary, String> {
        let first = Setting::parse("--vary", s)?;
        let separator = if first.value.contains(';') { ';' } else { ',' };
        let values: Vec<String> = first
            .value
            .split(separator)
            .map(|v| v.trim().to_string())
            .collect();
        if values.len() < 2 || values.iter().any(String::is_empty) {
            return Err(format!(
                "--vary {s}: expected KEY=V1,V2,... with two values or more"
            ));
        }
        Ok(Vary {
            key: first.key,
            values,
        })
    }
}

/// The scenario `text` read from `path` with `settings` applied, in order.
pub(crate) fn apply(path: &Path, text: String, settings: &[Setting]) -> Result<Source, String> {
    let source = |text| Source {
        path: path.to_path_buf(),
        text,
        overrides: Vec::new(),
    };
    if settings.is_empty() {
        return Ok(source(text));
    }
    // A file that is no TOML at all is reported by the parser, at its line.
    let Ok(mut doc) = text.parse::<DocumentMut>() else {
        return Ok(source(text));
    };
    for s in settings {
        let keys: Vec<&str> = s.key.split('.').collect();
        let slot = slot(doc.as_table_mut(), &keys).map_err(|e| format!("{}: {e}", s.shown()))?;
        *slot = Item::Value(s.toml_value());
    }
    Ok(Source {
        overrides: settings
            .iter()
            .map(|s| (KeyPath::dotted(&s.key), s.shown()))
            .collect(),
        ..source(doc.to_string())
    })
}

/// The item at `keys` in `table`, made (as tables) where missing.
fn slot<'a>(table: &'a mut Table, keys: &[&str]) -> Result<&'a mut Item, String> {
    let (first, rest) = keys.split_first().ok_or("an empty key")?;
    if rest.is_empty() {
        return Ok(table.entry(first).or_insert(Item::None));
    }
    let item = table
        .entry(first)
        .or_insert_with(|| Item::Table(Table::new()));
    match item {
        Item::Table(inner) => slot(inner, rest),
        Item::ArrayOfTables(array) => {
            let (index, rest) = rest.split_first().ok_or("an empty key")?;
            let len = array.len();
            let entry = index
                .parse::<usize>()
                .ok()
                .and_then(|i| array.get_mut(i))
                .ok_or_else(|| {
                    format!("`{first}.{index}`: expected an entry number below {len}")
                })?;
            match rest.is_empty() {
                true => Err(format!(
                    "`{first}.{index}` is a whole table; set one of its keys"
                )),
                false => slot(entry, rest),
            }
        }
        Item::Value(Value::InlineTable(_)) => Err(format!(
            "`{first}` is an inline table; write it out as a [table] to set its keys"
        )),
        _ => Err(format!("`{first}` is a value, not a table")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vary_takes_two_values_or_more_split_by_commas_or_semicolons() {
        let v = Vary::parse("storage.latency=fixed:1ms,fixed:5ms").unwrap();
        assert_eq!(v.key, "storage.latency");
        assert_eq!(v.values, ["fixed:1ms", "fixed:5ms"]);
        let v = Vary::parse("storage.latency=lognormal:1ms,9ms;lognormal:2ms,40ms").unwrap();
        assert_eq!(v.values, ["lognormal:1ms,9ms", "lognormal:2ms,40ms"]);
        assert!(Vary::parse("machine.cpus=2").is_err());
        assert!(Vary::parse("machine.cpus").is_err());
        assert!(Vary::parse("machine.cpus=2,,4").is_err());
    }

    fn edited(text: &str, sets: &[&str]) -> Result<Source, String> {
        let sets: Vec<Setting> = sets
            .iter()
            .map(|s| Setting::parse("--set", s).unwrap())
            .collect();
        apply(Path::new("s.toml"), text.to_string(), &sets)
    }

    #[test]
    fn settings_edit_values_in_place_and_remember_where() {
        let text = "[storage]\nlatency = \"fixed:1ms\" # slow\n\n[[process]]\nprogram = \"p\"\nargs = [\"1\"]\n";
        let s = edited(
            text,
            &[
                "storage.latency=fixed:5ms",
                "machine.cpus=4",
                "process.0.args=[\"2\", \"3\"]",
            ],
        )
        .unwrap();
        assert!(s.text.contains("latency = \"fixed:5ms\""), "{}", s.text);
        assert!(s.text.contains("cpus = 4"), "{}", s.text);
        assert!(s.text.contains("args = [\"2\", \"3\"]"), "{}", s.text);
        assert_eq!(s.overrides.len(), 3);
        let (path, option) = &s.overrides[0];
        let span = path.span_in(&s.text).unwrap();
        assert_eq!(&s.text[span], "\"fixed:5ms\"");
        assert_eq!(option, "--set storage.latency=fixed:5ms");
        let e = edited(text, &["process.3.args=[]"]).unwrap_err();
        assert!(e.contains("entry number below 1"), "{e}");
        let e = edited(text, &["storage.latency.x=1"]).unwrap_err();
        assert!(e.contains("is a value, not a table"), "{e}");
        assert!(Setting::parse("--set", "noequals").is_err());
        assert!(Setting::parse("--set", "a..b=1").is_err());
    }
}
