//! The report's three forms: text tables and chains for people, JSON for programs, CSV
//! (one row per latency event) for spreadsheets and plotting.

use super::blame::{Blame, Link};
use super::latency::{LatencyEvent, Table, COLUMNS};
use super::model::Trace;
use serde::Serialize;
use std::io::{self, Write};

/// The width of the class column.
const CLASS_WIDTH: usize = 24;

/// The tables as text, times in microseconds.
pub(crate) fn tables_text(out: &mut dyn Write, trace: &Trace, tables: &[Table]) -> io::Result<()> {
    writeln!(out, "Latencies in µs")?;
    dropped_note(out, trace)?;
    if tables.is_empty() {
        writeln!(out, "\nno latency events in the trace")?;
    }
    for table in tables {
        match table.tid {
            Some(tid) => writeln!(out, "\ntid {tid} ({})", table.name)?,
            None => writeln!(out, "\n{}", table.name)?,
        }
        write!(out, "  {:<CLASS_WIDTH$} {:>8}", "class", "count")?;
        for c in COLUMNS {
            write!(out, " {c:>10}")?;
        }
        writeln!(out)?;
        for row in &table.rows {
            write!(out, "  {:<CLASS_WIDTH$} {:>8}", row.class, row.count)?;
            for v in row.columns() {
                write!(out, " {v:>10.1}")?;
            }
            writeln!(out)?;
        }
    }
    Ok(())
}

/// The tables as one JSON document.
pub(crate) fn tables_json(out: &mut dyn Write, trace: &Trace, tables: &[Table]) -> io::Result<()> {
    /// The document.
    #[derive(Serialize)]
    struct Doc<'a> {
        unit: &'static str,
        dropped: Option<u64>,
        tables: &'a [Table],
    }
    json(
        out,
        &Doc {
            unit: "us",
            dropped: trace.dropped,
            tables,
        },
    )
}

/// One CSV row per latency event, after a header.
pub(crate) fn csv(out: &mut dyn Write, trace: &Trace, events: &[LatencyEvent]) -> io::Result<()> {
    writeln!(out, "tid,thread,class,start_ns,duration_ns")?;
    for e in events {
        writeln!(
            out,
            "{},{},{},{},{}",
            e.tid,
            csv_field(trace.thread_name(e.tid)),
            csv_field(&e.class.to_string()),
            e.start_ns,
            e.dur_ns
        )?;
    }
    Ok(())
}

/// `field` quoted when it needs to be (RFC 4180).
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// The chains as indented text.
pub(crate) fn blame_text(out: &mut dyn Write, trace: &Trace, blame: &Blame) -> io::Result<()> {
    writeln!(
        out,
        "The {} longest of the {} waits of tid {} ({})",
        blame.worst.len(),
        blame.waits,
        blame.tid,
        blame.name
    )?;
    dropped_note(out, trace)?;
    for (n, link) in blame.worst.iter().enumerate() {
        writeln!(out, "\n#{} {}", n + 1, link.text)?;
        for cause in &link.causes {
            chain_text(out, cause, 1)?;
        }
    }
    Ok(())
}

/// `link` and what explains it, indented by `depth`.
fn chain_text(out: &mut dyn Write, link: &Link, depth: usize) -> io::Result<()> {
    writeln!(out, "{:indent$}<- {}", "", link.text, indent = 3 * depth)?;
    for cause in &link.causes {
        chain_text(out, cause, depth + 1)?;
    }
    Ok(())
}

/// The chains as one JSON document.
pub(crate) fn blame_json(out: &mut dyn Write, blame: &Blame) -> io::Result<()> {
    json(out, blame)
}

/// `value` as pretty JSON and a newline.
fn json(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// A line saying the trace is incomplete, when the recorder dropped records.
fn dropped_note(out: &mut dyn Write, trace: &Trace) -> io::Result<()> {
    match trace.dropped {
        Some(n) if n > 0 => writeln!(
            out,
            "note: the recorder dropped {n} records; some slices are missing or unended"
        ),
        _ => Ok(()),
    }
}
