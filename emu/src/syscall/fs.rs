//! File system calls (placeholder until the file layer lands).
use super::guest::GuestMemory;
/// The guest's file state.
pub struct Files;
impl Files {
    /// New file state.
    pub fn new(_root: Option<&std::path::Path>, _exe: &std::path::Path) -> std::io::Result<Files> {
        Ok(Files)
    }
    /// Handles a file syscall.
    pub fn handle(&self, mem: &dyn GuestMemory, nr: u64, a: [u64; 6]) -> Option<i64> {
        if nr == super::nr::write && a[0] <= 2 {
            let mut buf = vec![0; a[2] as usize];
            if mem.read_bytes(a[1], &mut buf).is_err() { return Some(-14); }
            use std::io::Write;
            let _ = if a[0] == 2 { std::io::stderr().write_all(&buf) } else { std::io::stdout().write_all(&buf) };
            return Some(a[2] as i64);
        }
        None
    }
}
