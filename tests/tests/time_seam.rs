//! The one time seam: outside the clock implementation, no code of `devices`, `mmu` or
//! `emu` reads the host's time or waits on it directly. Every `now`, timed wait and sleep
//! goes through the run's injected `Clock`, so a virtual clock can replace the host one.
//!
//! A textual check over the non-test sources: comments, `#[cfg(test)]` modules and
//! `tests.rs` files or `tests/` folders are left out.

use std::path::{Path, PathBuf};
use tests::repo_root;

/// The crates whose time must come from the injected clock.
const CRATES: [&str; 3] = ["devices", "mmu", "emu"];

/// The files that implement the clock and its waits, relative to the repository root.
const CLOCK_IMPLEMENTATION: [&str; 3] = [
    "devices/src/clock.rs",
    "devices/src/park.rs",
    "devices/src/virtual_clock/mod.rs",
];

/// Ways of reading or waiting on the host's time directly.
/// A bare `.park()` on a `Parker` waits without the clock knowing, which a clock that
/// schedules harts must: waits go through `Clock::park`.
const FORBIDDEN: [&str; 6] = [
    "Instant::now()",
    "SystemTime::now()",
    "thread::sleep",
    "park_timeout",
    ".park()",
    "thread::park",
];

#[test]
fn time_is_read_and_waited_for_only_through_the_clock() {
    let root = repo_root();
    let mut found = Vec::new();
    for krate in CRATES {
        for file in rust_files(&root.join(krate).join("src")) {
            let rel = relative(&root, &file);
            if CLOCK_IMPLEMENTATION.contains(&rel.as_str()) || is_test_file(&rel) {
                continue;
            }
            let text = std::fs::read_to_string(&file).expect("readable source");
            let code = without_test_modules(&without_comments(&text));
            for (index, line) in code.lines().enumerate() {
                for pattern in FORBIDDEN.iter().filter(|p| line.contains(*p)) {
                    found.push(format!("{rel}:{}: {pattern}: {}", index + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "{} direct uses of the host's time outside the clock:\n{}",
        found.len(),
        found.join("\n")
    );
}

/// Whether a file holds only tests, by its name or its folder.
fn is_test_file(rel: &str) -> bool {
    rel.ends_with("/tests.rs") || rel.contains("/tests/")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable folder") {
            let path = entry.expect("folder entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// `text` with `//` and `/* */` comments blanked, line breaks kept so line numbers hold.
/// String literals are passed over so a `//` inside one is not taken for a comment.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            // The character literal '"' opens no string.
            ('\'', Some('"')) => {
                out.push(c);
                out.extend(chars.next());
            }
            ('"', _) => {
                out.push(c);
                while let Some(s) = chars.next() {
                    out.push(s);
                    match s {
                        '\\' => out.extend(chars.next()),
                        '"' => break,
                        _ => {}
                    }
                }
            }
            ('/', Some('/')) => {
                for s in chars.by_ref() {
                    if s == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                for s in chars.by_ref() {
                    if s == '\n' {
                        out.push('\n');
                    }
                    if last == '*' && s == '/' {
                        break;
                    }
                    last = s;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// `code` with each `#[cfg(test)]` item that has a `{ … }` body blanked, line breaks kept.
fn without_test_modules(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(start) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..start]);
        let item = &rest[start..];
        let Some(end) = item_end(item) else {
            rest = item;
            break;
        };
        out.extend(
            item[..end]
                .chars()
                .map(|c| if c == '\n' { '\n' } else { ' ' }),
        );
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The length of the item starting at `item`: up to its first `;` when that comes before
/// any `{`, otherwise up to the `}` closing its first brace.
fn item_end(item: &str) -> Option<usize> {
    let open = item.find('{');
    if let Some(semi) = item.find(';') {
        if open.is_none_or(|open| semi < open) {
            return Some(semi + 1);
        }
    }
    let mut depth = 0usize;
    for (index, c) in item.char_indices().skip(open?) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(index + 1);
                }
            }
            _ => {}
        }
    }
    None
}

#[test]
fn test_modules_and_comments_are_left_out() {
    let code = "fn a() {}\n// Instant::now()\n#[cfg(test)]\nmod tests {\n    fn b() { x(); }\n}\nfn c() { Instant::now() }\n";
    let cleaned = without_test_modules(&without_comments(code));
    assert_eq!(cleaned.lines().count(), code.lines().count());
    let hits: Vec<usize> = cleaned
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("Instant::now()") || l.contains("x()"))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(hits, [7]);
}
