//! Errors that point into a scenario file: `FILE:LINE:COLUMN: message`, then the line
//! and a caret under the offending text, as compilers print them.

use super::keypath::KeyPath;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A scenario file's text and the name it is shown by.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// The file, as the user named it.
    pub(crate) path: PathBuf,
    /// Its text (after `--set` edits).
    pub(crate) text: String,
    /// Values written before the file was read (by `--set`, or a `[params]` value),
    /// with how a message names what wrote each.
    pub(crate) overrides: Vec<(KeyPath, String)>,
}

/// An error in a scenario, located in its file where it can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    rendered: String,
}

impl ScenarioError {
    /// An error about the file as a whole (or not in it at all).
    pub(crate) fn whole(path: &Path, message: impl fmt::Display) -> ScenarioError {
        ScenarioError {
            rendered: format!("{}: {message}", path.display()),
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rendered)
    }
}

impl std::error::Error for ScenarioError {}

impl Source {
    /// The error `message` about the text at `span`.
    pub(crate) fn error(&self, span: Range<usize>, message: impl fmt::Display) -> ScenarioError {
        let start = span.start.min(self.text.len());
        let end = span.end.clamp(start, self.text.len());
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let line_no = self.text[..start].matches('\n').count() + 1;
        let column = self.text[line_start..start].chars().count() + 1;
        let line = self.text[line_start..line_end].trim_end_matches('\r');
        let width = self.text[start..end.min(line_end).max(start)]
            .chars()
            .count()
            .max(1);
        let set_by = self
            .overrides
            .iter()
            .find(|(path, _)| {
                path.span_in(&self.text)
                    .is_some_and(|r| r.start <= start && start < r.end.max(r.start + 1))
            })
            .map(|(_, option)| format!(" (the value of {option})"))
            .unwrap_or_default();
        let gutter = " ".repeat(line_no.to_string().len());
        ScenarioError {
            rendered: format!(
                "{}:{line_no}:{column}: {message}{set_by}\n{gutter} |\n{line_no} | {line}\n{gutter} | {}{}",
                self.path.display(),
                " ".repeat(column - 1),
                "^".repeat(width),
            ),
        }
    }

    /// The error toml reported while parsing.
    pub(crate) fn parse_error(&self, e: &toml::de::Error) -> ScenarioError {
        let message = suggest(e.message().trim_end());
        match e.span() {
            Some(span) => self.error(span, message),
            None => ScenarioError::whole(&self.path, message),
        }
    }
}

/// serde's "unknown field `x`, expected one of `a`, `b`" with the nearest expected name
/// first, when one is close enough to be the intended one.
fn suggest(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_string();
    };
    let Some((typo, expected)) = rest.split_once('`') else {
        return message.to_string();
    };
    let nearest = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|name| (edit_distance(typo, name), name))
        .min();
    match nearest {
        Some((d, name)) if d <= 2.max(typo.len() / 3) => {
            format!("unknown field `{typo}`, expected `{name}` ({message})")
        }
        _ => message.to_string(),
    }
}

/// Levenshtein distance between `a` and `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Source {
        Source {
            path: "s.toml".into(),
            text: text.into(),
            overrides: Vec::new(),
        }
    }

    #[test]
    fn an_error_shows_its_line_and_a_caret_under_the_span() {
        let s = source("[storage]\nlatency = \"fast\"\n");
        let e = s.error(20..26, "bad latency");
        assert_eq!(
            e.to_string(),
            "s.toml:2:11: bad latency\n  |\n2 | latency = \"fast\"\n  |           ^^^^^^"
        );
    }

    #[test]
    fn a_typo_is_answered_with_the_nearest_field() {
        let m = suggest("unknown field `latncy`, expected one of `latency`, `depth`");
        assert!(
            m.starts_with("unknown field `latncy`, expected `latency` ("),
            "{m}"
        );
        let far = "unknown field `zzz`, expected one of `latency`, `depth`";
        assert_eq!(suggest(far), far);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
