//! The `[[files]]` of a run: host files as they are, synthetic ones written into the
//! run's scratch folder (which is removed with it).

use super::check::{FileKind, Pattern, ScenarioFileSpec};
use rand::RngCore;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Bytes in a page of the `pages` pattern.
const PAGE: u64 = 4096;
/// [`PAGE`] as a length.
const PAGE_LEN: usize = 4096;

/// The path of each file, making the synthetic ones in `scratch` (their random content
/// drawn from `seed` and the file's name).
pub(crate) fn materialize(
    files: &[ScenarioFileSpec],
    scratch: &Path,
    seed: u64,
) -> std::io::Result<Vec<(String, PathBuf)>> {
    files
        .iter()
        .map(|f| {
            let path = match &f.kind {
                FileKind::Host(path) => path.clone(),
                FileKind::Synthetic { size, pattern } => {
                    let path = scratch.join(&f.name);
                    write_synthetic(&path, *size, *pattern, seed ^ name_hash(&f.name))?;
                    path
                }
            };
            Ok((f.name.clone(), path))
        })
        .collect()
}

/// A stable hash of a file's name (FNV-1a), so that two random files differ.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Writes `size` bytes of `pattern` to a new file at `path`.
fn write_synthetic(path: &Path, size: u64, pattern: Pattern, seed: u64) -> std::io::Result<()> {
    let file = File::create(path)?;
    if pattern == Pattern::Zero {
        // A sparse file reads as zeros.
        return file.set_len(size);
    }
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut page = [0u8; PAGE_LEN];
    let mut written = 0u64;
    while written < size {
        match pattern {
            Pattern::Random => rng.fill_bytes(&mut page),
            Pattern::Pages => page[..8].copy_from_slice(&(written / PAGE).to_le_bytes()),
            Pattern::Zero => unreachable!("written sparse above"),
        }
        let n = usize::try_from((size - written).min(PAGE)).unwrap_or(page.len());
        out.write_all(&page[..n])?;
        written += PAGE;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_files_have_their_size_and_pattern() {
        let dir = tempfile::tempdir().unwrap();
        let spec = |name: &str, size, pattern| ScenarioFileSpec {
            name: name.into(),
            kind: FileKind::Synthetic { size, pattern },
        };
        let files = [
            spec("z", 10_000, Pattern::Zero),
            spec("p", 3 * PAGE + 5, Pattern::Pages),
            spec("r", 5000, Pattern::Random),
        ];
        let made = materialize(&files, dir.path(), 1).unwrap();
        let z = std::fs::read(&made[0].1).unwrap();
        assert_eq!(z.len(), 10_000);
        assert!(z.iter().all(|&b| b == 0));
        let p = std::fs::read(&made[1].1).unwrap();
        assert_eq!(p.len(), 3 * 4096 + 5);
        assert_eq!(p[2 * 4096..2 * 4096 + 8], 2u64.to_le_bytes());
        assert_eq!(p[3 * 4096..], [3, 0, 0, 0, 0]);
        let r = std::fs::read(&made[2].1).unwrap();
        assert_eq!(r.len(), 5000);
        let again = tempfile::tempdir().unwrap();
        let r2 = std::fs::read(&materialize(&files, again.path(), 1).unwrap()[2].1).unwrap();
        assert_eq!(r, r2, "the same seed makes the same bytes");
    }
}
