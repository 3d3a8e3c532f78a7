//! The fuzz target bodies on a bounded number of generated inputs from a fixed seed, and
//! on every saved regression input, so CI exercises them on every run without nightly.

mod inputs;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The seed of every generated input stream: a failure repeats run after run.
/// `FUZZ_SEED` picks another for a longer hunt by hand.
const SEED: u64 = 0x6661_756c_746c_696e;

/// A whole number from environment variable `name`, if it is set.
fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value} is not a number")),
    )
}

/// Runs `body` on `count` inputs from `generate` (times `FUZZ_SCALE`); on a panic, saves the input where
/// `fuzz/regressions/` can take it and fails naming it.
fn run_generated(
    target: &str,
    count: usize,
    mut generate: impl FnMut(&mut ChaCha8Rng) -> Vec<u8>,
    body: fn(&[u8]),
) {
    let mut rng = ChaCha8Rng::seed_from_u64(env_number("FUZZ_SEED").unwrap_or(SEED));
    // `FUZZ_SCALE` multiplies the number of cases, for a longer hunt by hand.
    let scale = env_number("FUZZ_SCALE").map_or(1, devices::cast::u64_to_usize);
    for case in 0..count * scale {
        let input = generate(&mut rng);
        if catch_unwind(AssertUnwindSafe(|| body(&input))).is_err() {
            let saved = save_failure(target, case, &input);
            panic!(
                "{target}: generated case {case} failed; its input is in {}",
                saved.display()
            );
        }
    }
}

fn save_failure(target: &str, case: usize, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    std::fs::create_dir_all(&dir).expect("failure folder");
    let path = dir.join(format!("{target}-{case}"));
    std::fs::write(&path, input).expect("failure input saved");
    path
}

/// The saved inputs of `target` under `fuzz/regressions/TARGET/`.
fn regressions(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("regression entry").path())
        .collect();
    files.sort();
    files
}

fn replay(target: &str, body: fn(&[u8])) {
    for file in regressions(target) {
        let input = std::fs::read(&file).expect("regression input");
        if catch_unwind(AssertUnwindSafe(|| body(&input))).is_err() {
            panic!("{target}: regression input {} fails again", file.display());
        }
    }
}

#[test]
fn decoder() {
    run_generated(
        "decoder",
        20_000,
        inputs::instruction_words,
        fuzz_targets::decoder::run,
    );
    replay("decoder", fuzz_targets::decoder::run);
}

#[test]
fn every_compressed_parcel() {
    for c in 0..=u16::MAX {
        fuzz_targets::decoder::check_compressed(c);
    }
}

#[test]
fn options() {
    run_generated(
        "options",
        20_000,
        inputs::option_text,
        fuzz_targets::options::run,
    );
    replay("options", fuzz_targets::options::run);
}

#[test]
fn guest_paths() {
    run_generated(
        "guest_paths",
        5_000,
        inputs::guest_path,
        fuzz_targets::guest_paths::run,
    );
    replay("guest_paths", fuzz_targets::guest_paths::run);
}

#[test]
fn elf_loader() {
    let guest =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../guests/bin/hello-dynamic"))
            .expect("a committed guest");
    run_generated(
        "elf_loader",
        // Each load starts (and ends) an address space with its daemons: the slowest body.
        1_000,
        |rng| inputs::elf_file(rng, &guest),
        fuzz_targets::elf_loader::run,
    );
    replay("elf_loader", fuzz_targets::elf_loader::run);
}
