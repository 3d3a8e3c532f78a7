//! Regenerates `devices/src/trace/proto.rs`, the Rust types of the trimmed Perfetto trace
//! schema in `third_party/perfetto/protos`:
//!
//! ```text
//! cargo run -p tools --bin gen-perfetto
//! ```
//!
//! The `.proto` files are compiled by `protox` (a protobuf compiler written in Rust, so no
//! `protoc` binary is needed) and turned into Rust by `prost-build`; the result is
//! formatted with `rustfmt` and checked in, so the normal build needs neither tool.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;

/// The schema's root, relative to the repository root; imports resolve from here.
const PROTO_ROOT: &str = "third_party/perfetto/protos";
/// The one schema file, relative to [`PROTO_ROOT`].
const PROTO_FILE: &str = "perfetto/trace/perfetto_trace.proto";
/// Where the generated module goes, relative to the repository root.
const OUTPUT: &str = "devices/src/trace/proto.rs";
/// The protobuf package of the schema; prost-build names its output after it.
const PACKAGE: &str = "perfetto.protos";

fn main() {
    if let Err(err) = run() {
        eprintln!("gen-perfetto: {err:#}");
        std::process::exit(2);
    }
}

fn run() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the tools crate has no parent folder")?;
    let proto_root = root.join(PROTO_ROOT);
    let descriptors = protox::compile([PROTO_FILE], [&proto_root])
        .map_err(|err| anyhow::anyhow!("{err}"))
        .context("compiling the Perfetto schema")?;

    let scratch = tempfile::tempdir().context("creating a scratch folder")?;
    prost_build::Config::new()
        .out_dir(scratch.path())
        .compile_fds(descriptors)
        .context("generating Rust from the Perfetto schema")?;
    let generated = scratch.path().join(format!("{PACKAGE}.rs"));
    let body = std::fs::read_to_string(&generated)
        .with_context(|| format!("reading {}", generated.display()))?;

    let output = root.join(OUTPUT);
    let header = format!(
        "//! Perfetto's trace schema as Rust types, generated from the trimmed copy in\n\
         //! `{PROTO_ROOT}/{PROTO_FILE}`.\n\
         //!\n\
         //! Do not edit: regenerate with `cargo run -p tools --bin gen-perfetto`.\n\n"
    );
    std::fs::write(&output, header + &body)
        .with_context(|| format!("writing {}", output.display()))?;
    let status = Command::new("rustfmt")
        .args(["--edition", "2021"])
        .arg(&output)
        .status()
        .context("running rustfmt")?;
    if !status.success() {
        bail!("rustfmt failed on {}", output.display());
    }
    println!("wrote {}", output.display());
    Ok(())
}
