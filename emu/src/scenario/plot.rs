//! SVG plots of comparisons and sweeps, drawn with plotters' SVG backend and its
//! built-in font metrics (no system fonts): a latency CDF per labelled operation, bars
//! per figure, and a line per policy of a figure against a swept value.

use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The size of every plot, in pixels.
const SIZE: (u32, u32) = (900, 540);

/// A plotters error as an error of ours.
fn failed(path: &Path, e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("cannot draw {}: {e}", path.display())
}

/// The colour of series `i`.
fn colour(i: usize) -> RGBColor {
    const COLOURS: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(214, 39, 40),
        RGBColor(44, 160, 44),
        RGBColor(255, 127, 14),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
    ];
    COLOURS[i % COLOURS.len()]
}

/// A drawing area on a new SVG file at `path`, filled white.
fn canvas(path: &Path) -> Result<DrawingArea<SVGBackend<'_>, Shift>> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| failed(path, e))?;
    Ok(root)
}

/// Draws the legend of `chart`.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    path: &Path,
    chart: &mut ChartContext<'a, DB, CT>,
) -> Result<()> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| failed(path, e))
}

/// The cumulative distribution of each series' latencies (sorted, in nanoseconds), one
/// line per series, on a logarithmic axis of microseconds.
pub(crate) fn cdf(path: &Path, title: &str, series: &[(String, &[u64])]) -> Result<()> {
    let us = |ns: u64| -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let v = ns as f64 / 1e3;
        v.max(0.001)
    };
    let all = series.iter().flat_map(|(_, s)| s.iter().copied());
    let lo = all.clone().min().map_or(0.001, us);
    let hi = all.max().map_or(1.0, us).max(lo * 10.0);
    let root = canvas(path)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(55)
        .build_cartesian_2d((lo / 1.2..hi * 1.2).log_scale(), 0f64..1f64)
        .map_err(|e| failed(path, e))?;
    chart
        .configure_mesh()
        .x_desc("latency (us)")
        .y_desc("fraction of operations")
        .draw()
        .map_err(|e| failed(path, e))?;
    for (i, (name, samples)) in series.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let n = samples.len() as f64;
        #[allow(clippy::cast_precision_loss)]
        let points = samples
            .iter()
            .enumerate()
            .map(|(k, &ns)| (us(ns), (k + 1) as f64 / n));
        let c = colour(i);
        chart
            .draw_series(LineSeries::new(points, c.stroke_width(2)))
            .map_err(|e| failed(path, e))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    legend(path, &mut chart)?;
    root.present().map_err(|e| failed(path, e))
}

/// One bar per policy of one figure.
pub(crate) fn bars(path: &Path, title: &str, bars: &[(String, f64)]) -> Result<()> {
    let top = bars.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let top = if top > 0.0 { top * 1.15 } else { 1.0 };
    let names: Vec<String> = bars.iter().map(|(n, _)| n.clone()).collect();
    let root = canvas(path)?;
    #[allow(clippy::cast_precision_loss)]
    let width = bars.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..width, 0f64..top)
        .map_err(|e| failed(path, e))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(bars.len() * 2 + 1)
        .x_label_formatter(&|x| {
            let at = x - x.floor();
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let i = x.floor() as usize;
            match names.get(i) {
                Some(n) if (at - 0.5).abs() < 0.01 => n.clone(),
                _ => String::new(),
            }
        })
        .draw()
        .map_err(|e| failed(path, e))?;
    #[allow(clippy::cast_precision_loss)]
    let rects = bars.iter().enumerate().map(|(i, (_, v))| {
        let x = i as f64;
        Rectangle::new([(x + 0.15, 0.0), (x + 0.85, *v)], colour(i).filled())
    });
    chart.draw_series(rects).map_err(|e| failed(path, e))?;
    root.present().map_err(|e| failed(path, e))
}

/// One line per series of a figure against the swept values `xs` (shown by name, evenly
/// spaced); a missing value leaves a gap.
pub(crate) fn lines(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    xs: &[String],
    series: &[(String, Vec<Option<f64>>)],
) -> Result<()> {
    let top = series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().copied())
        .fold(0.0, f64::max);
    let top = if top > 0.0 { top * 1.15 } else { 1.0 };
    #[allow(clippy::cast_precision_loss)]
    let right = xs.len().saturating_sub(1).max(1) as f64;
    let root = canvas(path)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.2f64..right + 0.2, 0f64..top)
        .map_err(|e| failed(path, e))?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(xs.len() * 5 + 1)
        .x_label_formatter(&|x| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let i = x.round() as usize;
            match xs.get(i) {
                Some(name) if (x - x.round()).abs() < 0.01 && *x >= -0.01 => name.clone(),
                _ => String::new(),
            }
        })
        .draw()
        .map_err(|e| failed(path, e))?;
    for (i, (name, values)) in series.iter().enumerate() {
        let c = colour(i);
        #[allow(clippy::cast_precision_loss)]
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .filter_map(|(k, v)| Some((k as f64, (*v)?)))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))
            .map_err(|e| failed(path, e))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        chart
            .draw_series(points.into_iter().map(|p| Circle::new(p, 4, c.filled())))
            .map_err(|e| failed(path, e))?;
    }
    legend(path, &mut chart)?;
    root.present().map_err(|e| failed(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plots_are_svg_files_that_name_their_series() {
        let dir = tempfile::tempdir().unwrap();
        let cdf_path = dir.path().join("cdf.svg");
        cdf(
            &cdf_path,
            "rt mprotect",
            &[
                ("vma".into(), &[1000, 2000, 3000][..]),
                ("vma-hold".into(), &[5_000_000][..]),
            ],
        )
        .unwrap();
        let bars_path = dir.path().join("bars.svg");
        bars(
            &bars_path,
            "read wait",
            &[("mmap".into(), 3.0), ("vma".into(), 1.0)],
        )
        .unwrap();
        let lines_path = dir.path().join("lines.svg");
        lines(
            &lines_path,
            "p99",
            "storage.latency",
            "us",
            &["1ms".into(), "5ms".into()],
            &[
                ("vma".into(), vec![Some(1.0), None]),
                ("vma-hold".into(), vec![Some(2.0), Some(9.0)]),
            ],
        )
        .unwrap();
        for (path, names) in [
            (&cdf_path, &["vma", "vma-hold"][..]),
            (&bars_path, &["mmap", "vma"][..]),
            (&lines_path, &["vma-hold", "5ms"][..]),
        ] {
            let svg = std::fs::read_to_string(path).unwrap();
            assert!(svg.starts_with("<svg"), "{svg:.80}");
            for n in names {
                assert!(
                    svg.contains(&format!("\n{n}\n</text>")),
                    "{n} in {}",
                    path.display()
                );
            }
        }
    }
}
