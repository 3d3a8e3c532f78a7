//! Which plots a comparison and a sweep get, and their files: a latency CDF per
//! labelled operation and bars per figure for `compare --svg`, a line plot per swept
//! figure for `sweep --svg`.

use super::compare::Comparison;
use super::overrides::Vary;
use super::plot;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// `name` made safe as a file name: letters, digits, `.`, `_` and `-`.
pub(crate) fn file_name(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
            _ => '-',
        })
        .collect()
}

/// Makes folder `dir` for plots.
fn plot_dir(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("--svg {}", dir.display()))?;
    Ok(dir.to_path_buf())
}

/// The figures a sweep plots: each labelled operation's p99, then the throughput.
fn swept_figures(c: &Comparison) -> Vec<String> {
    c.rows
        .iter()
        .map(|r| r.name.clone())
        .filter(|n| n.ends_with(" p99") && !n.starts_with("fault ") || n == "rounds per second")
        .collect()
}

/// A line plot per swept figure against the values, one line per policy.
pub(crate) fn sweep_plots(dir: &Path, vary: &Vary, comparisons: &[Comparison]) -> Result<()> {
    let dir = plot_dir(dir)?;
    let Some(first) = comparisons.first() else {
        bail!("a sweep of no values");
    };
    for figure in swept_figures(first) {
        let series: Vec<(String, Vec<Option<f64>>)> = first
            .policies
            .iter()
            .enumerate()
            .map(|(p, policy)| {
                let values = comparisons
                    .iter()
                    .map(|c| {
                        let row = c.rows.iter().find(|r| r.name == figure)?;
                        row.cells.get(p)?.median
                    })
                    .collect();
                (policy.clone(), values)
            })
            .collect();
        let unit = first
            .rows
            .iter()
            .find(|r| r.name == figure)
            .map_or("", |r| r.unit);
        plot::lines(
            &dir.join(format!("sweep-{}.svg", file_name(&figure))),
            &format!("{figure} against {}", vary.key),
            &vary.key,
            unit,
            &vary.values,
            &series,
        )?;
    }
    Ok(())
}

/// The plots of one comparison: a latency CDF per labelled operation (every seed's
/// operations together, one line per policy) and bars per figure.
pub(crate) fn comparison_plots(dir: &Path, c: &Comparison) -> Result<()> {
    let dir = plot_dir(dir)?;
    let labels: Vec<&String> = c
        .runs
        .first()
        .map(|r| r.digest.labels.iter().map(|(l, _)| l).collect())
        .unwrap_or_default();
    for (i, label) in labels.iter().enumerate() {
        let pooled: Vec<(String, Vec<u64>)> = c
            .policies
            .iter()
            .map(|p| {
                let mut all: Vec<u64> = c
                    .runs
                    .iter()
                    .filter(|r| r.policy == *p)
                    .flat_map(|r| r.digest.labels[i].1.iter().copied())
                    .collect();
                all.sort_unstable();
                (p.clone(), all)
            })
            .collect();
        let series: Vec<(String, &[u64])> = pooled
            .iter()
            .map(|(p, s)| (p.clone(), s.as_slice()))
            .collect();
        plot::cdf(
            &dir.join(format!("cdf-{}.svg", file_name(label))),
            &format!("{label}: latency CDF"),
            &series,
        )?;
    }
    for row in &c.rows {
        let bars: Vec<(String, f64)> = row
            .cells
            .iter()
            .map(|cell| (cell.policy.clone(), cell.median.unwrap_or(0.0)))
            .collect();
        let title = match row.unit {
            "" => row.name.clone(),
            unit => format!("{} ({unit})", row.name),
        };
        plot::bars(
            &dir.join(format!("bars-{}.svg", file_name(&row.name))),
            &title,
            &bars,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_name("fixed:1ms"), "fixed-1ms");
        assert_eq!(file_name("rt mprotect p99"), "rt-mprotect-p99");
    }
}
