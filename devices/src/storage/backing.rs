//! The bytes behind the device: a host file mapped with memmap2, so what is written comes
//! back identical and survives the run.

use crate::cast::u64_to_usize;
use memmap2::MmapMut;
use parking_lot::RwLock;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// A host file as the device's storage. Reads past its end see zeroes; writes past its
/// end grow it.
///
/// The file must not be truncated by anyone else while the store has it mapped: the
/// mapping would then fault on the missing pages.
#[derive(Debug)]
pub struct BackingStore {
    path: PathBuf,
    file: File,
    // Written under the write lock only, so readers never see a torn write and growth can
    // swap the mapping.
    map: RwLock<MmapMut>,
}

impl BackingStore {
    /// Opens an existing file for reading and writing.
    pub fn open(path: impl AsRef<Path>) -> io::Result<BackingStore> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path.as_ref())?;
        Self::from_file(path.as_ref(), file)
    }

    /// Creates (or truncates) a file of `size` bytes, all zero, as a swap area. The file
    /// is sparse, so an unused area costs no disk.
    pub fn create(path: impl AsRef<Path>, size: u64) -> io::Result<BackingStore> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path.as_ref())?;
        file.set_len(size)?;
        Self::from_file(path.as_ref(), file)
    }

    fn from_file(path: &Path, file: File) -> io::Result<BackingStore> {
        let map = map(&file)?;
        Ok(BackingStore {
            path: path.to_path_buf(),
            file,
            map: RwLock::new(map),
        })
    }

    /// The host file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current size in bytes.
    pub fn len(&self) -> u64 {
        self.map.read().len() as u64
    }

    /// Whether the store holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` from `offset`; whatever lies past the end reads as zero.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) {
        let map = self.map.read();
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(map.len());
        let n = buf.len().min(map.len() - start);
        buf[..n].copy_from_slice(&map[start..start + n]);
        buf[n..].fill(0);
    }

    /// Writes `data` at `offset`, growing the file first if it ends short of that.
    pub fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let end = offset
            .checked_add(data.len() as u64)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "write past 2^64"))?;
        let mut map = self.map.write();
        if end > map.len() as u64 {
            self.file.set_len(end)?;
            *map = self::map(&self.file)?;
        }
        let start = u64_to_usize(offset);
        map[start..start + data.len()].copy_from_slice(data);
        Ok(())
    }

    /// Writes dirty pages back to the host file.
    pub fn flush(&self) -> io::Result<()> {
        self.map.read().flush()
    }
}

fn map(file: &File) -> io::Result<MmapMut> {
    // SAFETY: the store owns the file handle and only ever grows the file, under the
    // mapping's write lock, before remapping; the type's documentation asks that no one
    // else truncate it.
    unsafe { MmapMut::map_mut(file) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("swap");
        let store = BackingStore::create(&path, 1 << 20).unwrap();
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        store.write_at(4093, &data).unwrap();
        let mut back = vec![0xAA; data.len()];
        store.read_at(4093, &mut back);
        assert_eq!(back, data);
        store.flush().unwrap();
        drop(store);
        // The bytes are in the host file itself.
        let on_disk = std::fs::read(&path).unwrap();
        assert_eq!(on_disk.len(), 1 << 20);
        assert_eq!(&on_disk[4093..4093 + data.len()], &data[..]);
        let reopened = BackingStore::open(&path).unwrap();
        let mut again = vec![0; data.len()];
        reopened.read_at(4093, &mut again);
        assert_eq!(again, data);
    }

    #[test]
    fn reads_past_end_are_zero_and_writes_grow() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        std::fs::write(&path, b"hello").unwrap();
        let store = BackingStore::open(&path).unwrap();
        let mut buf = [0xFF; 8];
        store.read_at(3, &mut buf);
        assert_eq!(&buf, b"lo\0\0\0\0\0\0");
        store.read_at(1 << 40, &mut buf);
        assert_eq!(buf, [0; 8]);
        store.write_at(10, b"world").unwrap();
        assert_eq!(store.len(), 15);
        let mut all = [0xFF; 16];
        store.read_at(0, &mut all);
        assert_eq!(&all, b"hello\0\0\0\0\0world\0");
    }

    #[test]
    fn empty_file_maps() {
        let dir = tempfile::tempdir().unwrap();
        let store = BackingStore::create(dir.path().join("e"), 0).unwrap();
        assert!(store.is_empty());
        let mut buf = [1u8; 4];
        store.read_at(0, &mut buf);
        assert_eq!(buf, [0; 4]);
        store.write_at(0, b"x").unwrap();
        assert_eq!(store.len(), 1);
    }
}
