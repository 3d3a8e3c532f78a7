//! Where a page cache places each file's requests on the one simulated device: file
//! `ino` owns the region of [`FILE_SPAN`] bytes at [`file_region`]`(ino)`, and byte `o`
//! of the file is device offset `file_region(ino) + o`. Error injection by file offset
//! (`range:A..B@PATH`) uses the same layout.

/// Bytes of the device given to each file (1 TiB: larger than any file a run uses), so a
/// scheduler that orders by offset sees each file as one region.
pub const FILE_SPAN: u64 = 1 << 40;

/// Files whose regions are distinct (inode numbers are taken modulo this).
const REGIONS: u64 = 1 << 20;

/// The device offset at which the region of the file with inode number `ino` starts.
pub fn file_region(ino: u64) -> u64 {
    (ino % REGIONS) * FILE_SPAN
}
