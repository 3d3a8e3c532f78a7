//! Guest (riscv64, asm-generic) layouts of the structures file-system calls exchange.
//!
//! Only `struct stat` differs from the x86_64 host's and is rebuilt field by field; the
//! others have the same layout on both and are copied through at the sizes given here.

use devices::cast::low_u32;

/// Size of the riscv64 `struct stat`.
pub(crate) const STAT_SIZE: usize = 128;
/// Size of `struct statx` (the same on every architecture).
pub(crate) const STATX_SIZE: usize = 256;
/// Size of the 64-bit asm-generic `struct statfs` (the same as x86_64's).
pub(crate) const STATFS_SIZE: usize = 120;
/// Size of `struct flock` on 64-bit Linux (the same as x86_64's).
pub(crate) const FLOCK_SIZE: usize = 32;
/// Size of the kernel's asm-generic `struct termios` (TCGETS; the same as x86_64's).
pub(crate) const TERMIOS_SIZE: usize = 36;
/// Size of `struct winsize` (TIOCGWINSZ).
pub(crate) const WINSIZE_SIZE: usize = 8;

/// Encodes host `st` as the riscv64 `struct stat`:
/// dev u64, ino u64, mode u32, nlink u32, uid u32, gid u32, rdev u64, pad u64, size i64,
/// blksize i32, pad i32, blocks i64, then atime, mtime, ctime as (i64 s, u64 ns), 2×u32.
pub(crate) fn encode_stat(st: &libc::stat) -> [u8; STAT_SIZE] {
    let mut out = [0u8; STAT_SIZE];
    let mut put =
        |offset: usize, bytes: &[u8]| out[offset..offset + bytes.len()].copy_from_slice(bytes);
    put(0, &st.st_dev.to_le_bytes());
    put(8, &st.st_ino.to_le_bytes());
    put(16, &st.st_mode.to_le_bytes());
    // x86_64 keeps nlink in 64 bits; the kernel's own value fits the guest's 32.
    put(20, &low_u32(st.st_nlink).to_le_bytes());
    put(24, &st.st_uid.to_le_bytes());
    put(28, &st.st_gid.to_le_bytes());
    put(32, &st.st_rdev.to_le_bytes());
    put(48, &st.st_size.to_le_bytes());
    put(
        56,
        &i32::try_from(st.st_blksize)
            .unwrap_or(i32::MAX)
            .to_le_bytes(),
    );
    put(64, &st.st_blocks.to_le_bytes());
    put(72, &st.st_atime.to_le_bytes());
    put(80, &st.st_atime_nsec.to_le_bytes());
    put(88, &st.st_mtime.to_le_bytes());
    put(96, &st.st_mtime_nsec.to_le_bytes());
    put(104, &st.st_ctime.to_le_bytes());
    put(112, &st.st_ctime_nsec.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_fields_at_asm_generic_offsets() {
        // SAFETY: libc::stat is plain old data; all-zero is a valid value.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        st.st_dev = 0x0102;
        st.st_ino = 77;
        st.st_mode = 0o100644;
        st.st_nlink = 3;
        st.st_uid = 1000;
        st.st_gid = 100;
        st.st_size = 12345;
        st.st_blksize = 4096;
        st.st_blocks = 24;
        st.st_mtime = 1_700_000_000;
        st.st_mtime_nsec = 999;
        let b = encode_stat(&st);
        let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
        assert_eq!(u64_at(0), 0x0102);
        assert_eq!(u64_at(8), 77);
        assert_eq!(u32_at(16), 0o100644);
        assert_eq!(u32_at(20), 3);
        assert_eq!((u32_at(24), u32_at(28)), (1000, 100));
        assert_eq!(u64_at(48), 12345);
        assert_eq!(u32_at(56), 4096);
        assert_eq!(u64_at(64), 24);
        assert_eq!((u64_at(88), u64_at(96)), (1_700_000_000, 999));
    }
}
