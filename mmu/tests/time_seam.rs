//! The time seam: outside its tests, the memory manager reads time and waits only
//! through the clock it is given (`devices::Clock`), never through the host's clock,
//! sleeps or timed parks directly.

use std::path::Path;

/// What only the clock implementation may call.
const HOST_TIME: &[&str] = &[
    "HostClock::global",
    "Instant::now",
    "SystemTime::now",
    "thread::sleep",
    "park_timeout",
    ".park()",
];

/// `text` without its `#[cfg(test)]` modules and its comments.
fn code_outside_tests(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        // An inline test module ends at its matching brace; `mod tests;` at its `;`.
        let end = match (after.find('{'), after.find(';')) {
            (Some(open), semi) if semi.is_none_or(|s| open < s) => {
                let mut depth = 0;
                let mut end = after.len();
                for (i, c) in after[open..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (_, Some(semi)) => semi + 1,
            _ => after.len(),
        };
        rest = &after[end..];
    }
    out.push_str(rest);
    out.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn check_dir(dir: &Path, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            check_dir(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            let code = code_outside_tests(&std::fs::read_to_string(&path).unwrap());
            for (n, line) in code.lines().enumerate() {
                for call in HOST_TIME.iter().filter(|c| line.contains(*c)) {
                    found.push(format!("{}:{}: {call}", path.display(), n + 1));
                }
            }
        }
    }
}

#[test]
fn time_is_read_and_waited_for_only_through_the_injected_clock() {
    let mut found = Vec::new();
    check_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    assert!(
        found.is_empty(),
        "host time outside the clock:\n{}",
        found.join("\n")
    );
}
