//! `/proc/self/maps` from the address space's VMAs, in Linux's format (`show_map_vma`):
//! `start-end perms offset dev inode`, then, padded to column 73, `[heap]`, `[stack]`,
//! `[anon:NAME]` (PR_SET_VMA_ANON_NAME) or `/dev/zero (deleted)` for shared anonymous
//! memory.
//!
//! The stack is the area mapped MAP_GROWSDOWN (the initial stack; Linux names the area
//! holding the initial stack pointer). File-backed areas show their offset but device
//! 00:00, inode 0 and no path: the page cache does not tell its files' identity to this
//! layer.

use std::fmt::Write;

use mmu::prot;
use mmu::vma::{Backing, Vma, VmaFlags};

/// The column names start at: after 25 + 6 * sizeof(void *) - 1 characters.
const NAME_COLUMN: usize = 72;

/// The text of /proc/self/maps for `vmas` (in address order).
pub(crate) fn render(vmas: &[Vma]) -> String {
    let mut out = String::new();
    for v in vmas {
        line(&mut out, v);
    }
    out
}

/// Appends `v`'s line to `out`.
fn line(out: &mut String, v: &Vma) {
    let start = out.len();
    let bit = |b: u32, c: char| if v.prot & b != 0 { c } else { '-' };
    let offset = match v.backing {
        Backing::Private => 0,
        Backing::Shared(_) | Backing::File(_) => v.pgoff * mmu::PAGE_SIZE,
    };
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{:08x}-{:08x} {}{}{}{} {:08x} 00:00 0 ",
        v.start,
        v.end,
        bit(prot::READ, 'r'),
        bit(prot::WRITE, 'w'),
        bit(prot::EXEC, 'x'),
        if v.is_shared() { 's' } else { 'p' },
        offset,
    );
    if let Some(name) = name(v) {
        let pad = NAME_COLUMN.saturating_sub(out.len() - start);
        out.extend(std::iter::repeat_n(' ', pad));
        out.push(' ');
        out.push_str(&name);
    }
    out.push('\n');
}

/// What Linux shows after the inode for `v`, if anything.
fn name(v: &Vma) -> Option<String> {
    if let Backing::Shared(_) = v.backing {
        return Some(match &v.anon_name {
            Some(n) => format!("[anon_shmem:{n}]"),
            None => "/dev/zero (deleted)".to_string(),
        });
    }
    if let Some(n) = &v.name {
        return Some(n.to_string());
    }
    if let Backing::File(_) = v.backing {
        return None;
    }
    if v.flags.contains(VmaFlags::GROWSDOWN) {
        return Some("[stack]".to_string());
    }
    v.anon_name.as_ref().map(|n| format!("[anon:{n}]"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn anonymous_lines_match_linux() {
        let mut heap = Vma::anonymous(0x2000, 0x5000, prot::READ | prot::WRITE);
        heap.name = Some(Arc::from("[heap]"));
        let mut named = Vma::anonymous(0x3f_f000_0000, 0x3f_f000_2000, prot::READ);
        named.anon_name = Some(Arc::from("arena"));
        let mut stack = Vma::anonymous(0x3f_ffff_0000, 0x40_0000_0000, prot::READ | prot::WRITE);
        stack.flags = stack.flags | VmaFlags::GROWSDOWN;
        let plain = Vma::anonymous(0x7000, 0x8000, prot::EXEC);
        let text = render(&[heap, plain, named, stack]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            format!(
                "00002000-00005000 rw-p 00000000 00:00 0{}[heap]",
                " ".repeat(34)
            )
        );
        assert_eq!(lines[1], "00007000-00008000 --xp 00000000 00:00 0 ");
        assert_eq!(
            lines[2],
            format!(
                "3ff0000000-3ff0002000 r--p 00000000 00:00 0{}[anon:arena]",
                " ".repeat(30)
            )
        );
        assert!(lines[3].ends_with(" [stack]"));
        assert_eq!(lines[3].find('['), Some(73));
    }
}
