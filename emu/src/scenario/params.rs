//! `{NAME}` of `[params]` in any value of a scenario, not only in the program's
//! arguments, environment and labels: `cpus = "{cpus}"` becomes the number the
//! parameter holds, `size = "{file_mib}MiB"` the string with it written in. So one
//! parameter can tie several keys together (a thread count and the CPUs they share),
//! and `--set params.NAME=V` or `sweep --vary params.NAME=...` moves them all.
//!
//! Substitution edits the file's text before it is read, as `--set` does, so a value
//! that is wrong after it is still reported at its line, named as the parameter's.
//! A value that is exactly one placeholder takes the parameter's type (a number stays
//! a number); a placeholder inside a longer string is written in as text. Arrays (the
//! arguments, the labels) and the environment are left to the checks that substitute
//! there and also know `{scratch}` and `{file:NAME}`.

use super::keypath::{KeyPath, Step};
use super::located::Source;
use toml_edit::{DocumentMut, Item, Table, Value};

/// `src` with the `{NAME}` of its `[params]` written into every value outside arrays,
/// the environment and `[params]` itself. A file that is no TOML is returned as it is,
/// for the parser to report.
pub(crate) fn substitute(src: Source) -> Source {
    let Ok(mut doc) = src.text.parse::<DocumentMut>() else {
        return src;
    };
    let params = scalar_params(doc.as_table());
    if params.is_empty() {
        return src;
    }
    let mut written = Vec::new();
    walk(
        doc.as_table_mut(),
        &params,
        &mut KeyPath::default(),
        &mut written,
    );
    if written.is_empty() {
        return src;
    }
    let mut out = Source {
        text: doc.to_string(),
        ..src
    };
    out.overrides.extend(written);
    out
}

/// How an error names the parameters a value came from.
fn shown(params: &[String]) -> String {
    let names: Vec<String> = params.iter().map(|p| format!("params.{p}")).collect();
    names.join(" and ")
}

/// The `[params]` whose values are strings, numbers or booleans, by name.
fn scalar_params(top: &Table) -> Vec<(String, Value)> {
    let Some(params) = top.get("params").and_then(Item::as_table_like) else {
        return Vec::new();
    };
    params
        .iter()
        .filter_map(|(name, item)| {
            let value = item.as_value()?;
            let scalar =
                value.is_str() || value.is_integer() || value.is_float() || value.is_bool();
            scalar.then(|| (name.to_string(), value.clone()))
        })
        .collect()
}

/// Substitutes in every value under `table`, whose path is `path`.
fn walk(
    table: &mut Table,
    params: &[(String, Value)],
    path: &mut KeyPath,
    written: &mut Vec<(KeyPath, String)>,
) {
    for (key, item) in table.iter_mut() {
        let key = key.get().to_string();
        if path.0.is_empty() && key == "params" || key == "env" {
            continue;
        }
        path.0.push(Step::Key(key));
        match item {
            Item::Table(inner) => walk(inner, params, path, written),
            Item::ArrayOfTables(entries) => {
                for (i, entry) in entries.iter_mut().enumerate() {
                    path.0.push(Step::Entry(i));
                    walk(entry, params, path, written);
                    path.0.pop();
                }
            }
            Item::Value(Value::InlineTable(inline)) => {
                let mut as_table = std::mem::take(inline).into_table();
                walk(&mut as_table, params, path, written);
                *inline = as_table.into_inline_table();
            }
            Item::Value(value) => {
                if let Some((new, used)) = substituted(value, params) {
                    *value = new;
                    written.push((path.clone(), shown(&used)));
                }
            }
            Item::None => {}
        }
        path.0.pop();
    }
}

/// What `value` becomes, and the parameters it used; None when it has no placeholder
/// of a parameter. `"{NAME}"` alone takes the parameter's own value and type.
fn substituted(value: &Value, params: &[(String, Value)]) -> Option<(Value, Vec<String>)> {
    let text = value.as_str()?;
    let lookup = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    if let Some(name) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        if let Some(v) = lookup(name) {
            let mut v = v.clone();
            v.decor_mut().clear();
            return Some((v, vec![name.to_string()]));
        }
    }
    let mut out = String::new();
    let mut used = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        out.push_str(&rest[..open]);
        match lookup(name) {
            Some(v) => {
                out.push_str(&as_text(v));
                used.push(name.to_string());
            }
            // `{scratch}`, `{file:NAME}` and mistakes stay for the later checks.
            None => out.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    (!used.is_empty()).then(|| (Value::from(out), used))
}

/// A scalar parameter written into a string.
fn as_text(v: &Value) -> String {
    match v.as_str() {
        Some(s) => s.to_string(),
        None => v.to_string().trim().to_string(),
    }
}
