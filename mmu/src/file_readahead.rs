//! The read-around window of a file fault: which pages one device read brings in.
//!
//! Like Linux's mmap read-around, the window is centred on the faulting page (so
//! backward and forward strides both profit), starts at the page for `MADV_SEQUENTIAL`
//! and shrinks to the one page for `MADV_RANDOM`; it never reaches past the file's end.

use std::ops::Range;

/// How a mapping's pages are expected to be touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessHint {
    /// No advice: read around the fault.
    Normal,
    /// `MADV_SEQUENTIAL`: read ahead of the fault.
    Sequential,
    /// `MADV_RANDOM`: read only the faulting page.
    Random,
}

/// The pages `[start, end)` to read for a fault on page `pgoff` of a file of
/// `file_pages` pages, with a window of `window` pages.
pub(crate) fn window(pgoff: u64, file_pages: u64, window: u64, hint: AccessHint) -> Range<u64> {
    let window = window.max(1);
    let start = match hint {
        AccessHint::Random => return pgoff..(pgoff + 1).min(file_pages.max(pgoff + 1)),
        AccessHint::Sequential => pgoff,
        AccessHint::Normal => pgoff.saturating_sub(window / 2),
    };
    let end = start.saturating_add(window).min(file_pages).max(pgoff + 1);
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccessHint::*;

    #[test]
    fn the_window_is_centred_on_the_fault_and_clipped_to_the_file() {
        assert_eq!(window(100, 1000, 32, Normal), 84..116);
        assert_eq!(window(3, 1000, 32, Normal), 0..32);
        assert_eq!(window(990, 1000, 32, Normal), 974..1000);
        assert_eq!(window(0, 5, 32, Normal), 0..5);
    }

    #[test]
    fn advice_moves_or_shrinks_the_window() {
        assert_eq!(window(100, 1000, 32, Sequential), 100..132);
        assert_eq!(window(100, 1000, 32, Random), 100..101);
        assert_eq!(window(7, 1000, 0, Normal), 7..8);
    }
}
