//! A comparison as people read it (one row per figure, one column per policy, the change
//! against the first policy in percent) and as scripts read it (JSON).

use super::compare::{Cell, Comparison, MetricRow};
use serde::Serialize;
use std::fmt::Write as _;

/// The width of the figure-name column.
const NAME_WIDTH: usize = 38;

/// A value as the table prints it: whole for counts, one decimal otherwise.
fn number(v: f64, unit: &str) -> String {
    match unit {
        "" => format!("{v:.0}"),
        _ => format!("{v:.1}"),
    }
}

/// One cell: the median (and the worst when there are several seeds) and the change.
fn cell_text(c: &Cell, unit: &str, several_seeds: bool) -> String {
    let Some(median) = c.median else {
        return "-".into();
    };
    let mut s = number(median, unit);
    if several_seeds {
        if let Some(w) = c.worst {
            let _ = write!(s, "/{}", number(w, unit));
        }
    }
    if let Some(change) = c.change_pct {
        // Past +1000% a factor reads better than a percentage.
        match change >= 1000.0 {
            true => {
                let _ = write!(s, " (x{:.0})", 1.0 + change / 100.0);
            }
            false => {
                let _ = write!(s, " ({change:+.1}%)");
            }
        }
    }
    s
}

/// A row's name with its unit.
fn row_name(r: &MetricRow) -> String {
    match r.unit {
        "" => r.name.clone(),
        unit => format!("{} ({unit})", r.name),
    }
}

/// The table of `c` for the scenario called `title`.
pub(crate) fn text(title: &str, c: &Comparison) -> String {
    let several = c.seeds.len() > 1;
    let seeds = match c.seeds.as_slice() {
        [one] => format!("seed {one}"),
        [first, .., last] => format!(
            "seeds {first}-{last}, each cell the median/worst over {} seeds",
            c.seeds.len()
        ),
        [] => String::new(),
    };
    let mut out = format!("{title}: {} policies, {seeds}\n", c.policies.len());
    let cells: Vec<Vec<String>> = c
        .rows
        .iter()
        .map(|r| {
            r.cells
                .iter()
                .map(|x| cell_text(x, r.unit, several))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..c.policies.len())
        .map(|p| {
            cells
                .iter()
                .map(|row| row[p].len())
                .chain([c.policies[p].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let _ = write!(out, "{:NAME_WIDTH$}", "");
    for (p, w) in c.policies.iter().zip(&widths) {
        let _ = write!(out, "  {p:>w$}");
    }
    out.push('\n');
    for (r, row) in c.rows.iter().zip(&cells) {
        let _ = write!(out, "{:NAME_WIDTH$}", row_name(r));
        for (v, w) in row.iter().zip(&widths) {
            let _ = write!(out, "  {v:>w$}");
        }
        out.push('\n');
    }
    out
}

/// A comparison in JSON.
#[derive(Debug, Serialize)]
pub(crate) struct JsonComparison<'a> {
    /// The policies, in column order.
    pub(crate) policies: &'a [String],
    /// The seeds.
    pub(crate) seeds: &'a [u64],
    /// The figures.
    pub(crate) metrics: &'a [MetricRow],
}

impl<'a> JsonComparison<'a> {
    /// The JSON form of `c`.
    pub(crate) fn of(c: &'a Comparison) -> JsonComparison<'a> {
        JsonComparison {
            policies: &c.policies,
            seeds: &c.seeds,
            metrics: &c.rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::measure::Better;

    fn cell(policy: &str, median: f64, change: Option<f64>) -> Cell {
        Cell {
            policy: policy.into(),
            median: Some(median),
            worst: Some(median * 2.0),
            change_pct: change,
            per_seed: vec![Some(median)],
        }
    }

    #[test]
    fn the_table_has_a_column_per_policy_and_the_change_against_the_first() {
        let c = Comparison {
            policies: vec!["mmap".into(), "vma".into()],
            seeds: vec![0],
            runs: Vec::new(),
            rows: vec![MetricRow {
                name: "mmap_lock read wait total".into(),
                unit: "ms",
                better: Better::Lower,
                cells: vec![cell("mmap", 10.0, None), cell("vma", 2.5, Some(-75.0))],
            }],
        };
        let t = text("s.toml", &c);
        assert!(t.starts_with("s.toml: 2 policies, seed 0\n"), "{t}");
        let row = t.lines().nth(2).unwrap();
        assert!(row.starts_with("mmap_lock read wait total (ms)"), "{row}");
        assert!(row.ends_with("10.0  2.5 (-75.0%)"), "{row}");
        let mut two = c.clone();
        two.seeds = vec![0, 1];
        assert!(text("s", &two).contains("2.5/5.0 (-75.0%)"));
        two.rows[0].cells[1].change_pct = Some(2400.0);
        assert!(text("s", &two).contains("2.5/5.0 (x25)"));
    }
}
