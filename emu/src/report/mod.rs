//! `faultline report TRACE`: what a trace written by `faultline run --trace` says about
//! latency. Per thread and per class (faults by path and outcome, `mmap_lock` and VMA
//! write waits, folio waits, I/O by priority class, the mm system calls): fio-style
//! tables from HdrHistograms, as text, JSON or CSV (one row per event); or, with
//! `--blame`, a thread's worst waits with the chains of holders behind them.
//!
//! `stream` reads the file packet by packet, `load` rebuilds its tracks and slices into a
//! `model::Trace`, `latency` and `blame` analyse it, `output` writes the result.

mod blame;
mod digest;
mod latency;
mod load;
mod model;
mod output;
mod stream;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

pub use digest::Digest;
pub use latency::Row;

use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Tables (or chains) for people.
    Text,
    /// One JSON document.
    Json,
    /// One CSV row per latency event (tables only).
    Csv,
}

/// What a report shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The trace file.
    pub trace: PathBuf,
    /// How to write it.
    pub format: Format,
    /// Only this thread (a tid or a name), if given.
    pub thread: Option<String>,
    /// Instead of tables: the worst waits of this thread (a tid or a name), and how many.
    pub blame: Option<(String, usize)>,
}

/// Writes the report `request` asks for to `out`.
pub fn report(request: &Request, out: &mut dyn Write) -> Result<()> {
    let trace = load::load(&request.trace)?;
    if let Some((who, top)) = &request.blame {
        let tid = trace.find_thread(who)?;
        let blame = blame::blame(&trace, tid, *top);
        match request.format {
            Format::Json => output::blame_json(out, &blame)?,
            Format::Text | Format::Csv => output::blame_text(out, &trace, &blame)?,
        }
        return Ok(out.flush()?);
    }
    let only = request
        .thread
        .as_deref()
        .map(|t| trace.find_thread(t))
        .transpose()?;
    let events = latency::events(&trace, only);
    match request.format {
        Format::Csv => output::csv(out, &trace, &events)?,
        Format::Json => {
            output::tables_json(
                out,
                &trace,
                &latency::tables(&trace, &events, only.is_some()),
            )?;
        }
        Format::Text => {
            output::tables_text(
                out,
                &trace,
                &latency::tables(&trace, &events, only.is_some()),
            )?;
        }
    }
    Ok(out.flush()?)
}

/// The digest of the trace at `path` for a scenario's `labels` and `rounds` marker.
pub fn digest_file(
    path: &std::path::Path,
    labels: &[String],
    rounds: Option<&str>,
) -> Result<Digest> {
    let trace = load::load(path)?;
    Ok(digest::digest(&trace, labels, rounds))
}
