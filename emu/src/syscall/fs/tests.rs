//! The file-system calls against a scratch directory, through a flat guest memory.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use devices::cast::low_u8;
use mmu::Errno;

use super::{Files, AT_FDCWD};
use crate::abi::nr;
use crate::os::guest_memory::{GuestMemory, VecMemory};
use crate::os::path::View;

/// Guest address of the test memory.
const BASE: u64 = 0x10_0000;
/// Guest scratch addresses inside it.
const PATH_A: u64 = BASE;
const PATH_B: u64 = BASE + 0x1000;
const BUF: u64 = BASE + 0x2000;
const BUF_LEN: usize = 0x4000;
const IOV: u64 = BASE + 0x6000;
const OUT: u64 = BASE + 0x7000;
/// An address outside the test memory.
const UNMAPPED: u64 = 0x10;

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("faultline-fs-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(std::fs::canonicalize(&dir).unwrap())
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    fn path_str(&self, rel: &str) -> String {
        self.path(rel).to_str().unwrap().to_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `Files` and its guest memory.
struct Guest {
    files: Files,
    mem: VecMemory,
}

impl Guest {
    fn new(view: View<'_>, exe: &Path) -> Guest {
        Guest {
            files: Files::new(view, exe, 1).unwrap(),
            mem: VecMemory::new(BASE, 0x10000),
        }
    }

    fn host(scratch: &Scratch) -> Guest {
        Guest::new(View::Host, &scratch.path("prog"))
    }

    fn rooted(scratch: &Scratch) -> Guest {
        Guest::new(View::Root(&scratch.0), &scratch.path("bin/prog"))
    }

    fn call(&self, nr: u64, args: &[u64]) -> i64 {
        let mut a = [0u64; 6];
        a[..args.len()].copy_from_slice(args);
        self.files
            .handle(&self.mem, nr, a)
            .expect("a file-system call")
    }

    /// Writes `s` with a NUL at `addr` and returns `addr`.
    fn cstr(&self, addr: u64, s: &str) -> u64 {
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        self.mem.write_bytes(addr, &b).unwrap();
        addr
    }

    fn bytes(&self, addr: u64, len: usize) -> Vec<u8> {
        let mut b = vec![0; len];
        self.mem.read_bytes(addr, &mut b).unwrap();
        b
    }

    fn u32_at(&self, addr: u64) -> u32 {
        u32::from_le_bytes(self.bytes(addr, 4).try_into().unwrap())
    }

    fn u64_at(&self, addr: u64) -> u64 {
        u64::from_le_bytes(self.bytes(addr, 8).try_into().unwrap())
    }

    fn open(&self, path: &str, flags: i32, mode: u32) -> i64 {
        let p = self.cstr(PATH_A, path);
        self.call(nr::openat, &[AT_FDCWD as u64, p, flags as u64, mode.into()])
    }

    fn write_str(&self, fd: i64, s: &str) -> i64 {
        self.mem.write_bytes(BUF, s.as_bytes()).unwrap();
        self.call(nr::write, &[fd as u64, BUF, s.len() as u64])
    }

    /// Reads up to `len` bytes from `fd` and returns them as a string.
    fn read_str(&self, fd: i64, len: usize) -> String {
        let n = self.call(nr::read, &[fd as u64, BUF, len as u64]);
        assert!(n >= 0, "read: {n}");
        String::from_utf8(self.bytes(BUF, usize::try_from(n).unwrap())).unwrap()
    }

    /// Opens `path` read-only and returns its contents.
    fn slurp(&self, path: &str) -> Result<String, i64> {
        let fd = self.open(path, libc::O_RDONLY, 0);
        if fd < 0 {
            return Err(fd);
        }
        let s = self.read_str(fd, BUF_LEN);
        assert_eq!(self.call(nr::close, &[fd as u64]), 0);
        Ok(s)
    }

    /// newfstatat(AT_FDCWD, path, OUT, flags) and the st_mode it reports.
    fn stat_mode(&self, path: &str, flags: i32) -> Result<u32, i64> {
        let p = self.cstr(PATH_A, path);
        match self.call(nr::newfstatat, &[AT_FDCWD as u64, p, OUT, flags as u64]) {
            0 => Ok(self.u32_at(OUT + 16)),
            e => Err(e),
        }
    }

    fn getcwd(&self) -> String {
        let n = self.call(nr::getcwd, &[BUF, 4096]);
        assert!(n > 0, "getcwd: {n}");
        String::from_utf8(self.bytes(BUF, usize::try_from(n).unwrap() - 1)).unwrap()
    }

    fn chdir(&self, path: &str) -> i64 {
        let p = self.cstr(PATH_A, path);
        self.call(nr::chdir, &[p])
    }

    fn readlink(&self, dirfd: i64, path: &str) -> Result<String, i64> {
        let p = self.cstr(PATH_A, path);
        match self.call(nr::readlinkat, &[dirfd as u64, p, BUF, 4096]) {
            n if n >= 0 => {
                Ok(String::from_utf8(self.bytes(BUF, usize::try_from(n).unwrap())).unwrap())
            }
            e => Err(e),
        }
    }
}

fn err(e: Errno) -> i64 {
    e.neg()
}

const S_IFMT: u32 = libc::S_IFMT;

#[test]
fn open_write_read_seek_fstat_close() {
    let s = Scratch::new("rw");
    let g = Guest::host(&s);
    let fd = g.open(
        &s.path_str("f"),
        libc::O_CREAT | libc::O_RDWR | libc::O_TRUNC,
        0o600,
    );
    assert!(fd >= 3, "guest stdio occupies 0..3: {fd}");
    assert_eq!(g.write_str(fd, "hello world"), 11);
    assert_eq!(g.call(nr::lseek, &[fd as u64, 0, libc::SEEK_SET as u64]), 0);
    assert_eq!(g.read_str(fd, 5), "hello");
    assert_eq!(g.call(nr::pread64, &[fd as u64, BUF, 5, 6]), 5);
    assert_eq!(g.bytes(BUF, 5), b"world");
    assert_eq!(g.read_str(fd, 100), " world");
    assert_eq!(g.read_str(fd, 100), "");

    assert_eq!(g.call(nr::fstat, &[fd as u64, OUT]), 0);
    assert_eq!(g.u64_at(OUT + 48), 11, "st_size");
    assert_eq!(g.u32_at(OUT + 16), libc::S_IFREG | 0o600, "st_mode");
    assert_eq!(g.u32_at(OUT + 20), 1, "st_nlink");

    assert_eq!(g.call(nr::pwrite64, &[fd as u64, BUF, 2, 100]), 2);
    assert_eq!(std::fs::metadata(s.path("f")).unwrap().len(), 102);
    assert_eq!(g.call(nr::ftruncate, &[fd as u64, 3]), 0);
    assert_eq!(std::fs::read(s.path("f")).unwrap(), b"hel");

    assert_eq!(g.call(nr::close, &[fd as u64]), 0);
    assert_eq!(g.call(nr::read, &[fd as u64, BUF, 1]), err(Errno::EBADF));
    assert_eq!(g.call(nr::close, &[fd as u64]), err(Errno::EBADF));
    // The freed number is the next one handed out.
    assert_eq!(g.open(&s.path_str("f"), libc::O_RDONLY, 0), fd);
}

#[test]
fn errors_come_back_as_linux_reports_them() {
    let s = Scratch::new("err");
    let g = Guest::host(&s);
    assert_eq!(
        g.open(&s.path_str("missing"), libc::O_RDONLY, 0),
        err(Errno::ENOENT)
    );
    assert_eq!(
        g.call(nr::openat, &[AT_FDCWD as u64, UNMAPPED, 0, 0]),
        err(Errno::EFAULT)
    );
    assert_eq!(g.call(nr::fstat, &[77, OUT]), err(Errno::EBADF));
    assert_eq!(g.call(nr::write, &[u64::MAX, BUF, 1]), err(Errno::EBADF));
    let rel = g.cstr(PATH_A, "x");
    assert_eq!(g.call(nr::openat, &[55, rel, 0, 0]), err(Errno::EBADF));

    std::fs::write(s.path("f"), "data").unwrap();
    let fd = g.open(&s.path_str("f"), libc::O_RDONLY, 0) as u64;
    assert_eq!(g.call(nr::read, &[fd, UNMAPPED, 4]), err(Errno::EFAULT));
    assert_eq!(g.call(nr::fstat, &[fd, UNMAPPED]), err(Errno::EFAULT));
    assert_eq!(
        g.call(nr::write, &[fd, BUF, 1]),
        err(Errno::EBADF),
        "read-only fd"
    );
    assert_eq!(
        g.call(nr::ioctl, &[fd, 0x5401, OUT]),
        err(Errno::ENOTTY),
        "TCGETS on a file"
    );
    assert_eq!(g.call(nr::ioctl, &[fd, 0x1234, OUT]), err(Errno::ENOTTY));
    assert_eq!(g.files.handle(&g.mem, nr::getpid, [0; 6]), None);
}

#[test]
fn stat_family_and_symlinks() {
    let s = Scratch::new("stat");
    let g = Guest::host(&s);
    std::fs::write(s.path("file"), "12345").unwrap();
    symlink("file", s.path("link")).unwrap();
    let link = s.path_str("link");
    assert_eq!(g.stat_mode(&link, 0).map(|m| m & S_IFMT), Ok(libc::S_IFREG));
    assert_eq!(
        g.stat_mode(&link, libc::AT_SYMLINK_NOFOLLOW)
            .map(|m| m & S_IFMT),
        Ok(libc::S_IFLNK)
    );
    assert_eq!(g.readlink(AT_FDCWD.into(), &link), Ok("file".to_owned()));

    let p = g.cstr(PATH_A, &link);
    let mask = libc::STATX_BASIC_STATS as u64;
    assert_eq!(g.call(nr::statx, &[AT_FDCWD as u64, p, 0, mask, OUT]), 0);
    assert_eq!(g.u64_at(OUT + 40), 5, "stx_size");
    let stx_mode = u16::from_le_bytes(g.bytes(OUT + 28, 2).try_into().unwrap());
    assert_eq!(u32::from(stx_mode) & S_IFMT, libc::S_IFREG);

    // AT_EMPTY_PATH stats the dirfd itself.
    let fd = g.open(&s.path_str("file"), libc::O_RDONLY, 0) as u64;
    let empty = g.cstr(PATH_B, "");
    assert_eq!(
        g.call(
            nr::newfstatat,
            &[fd, empty, OUT, libc::AT_EMPTY_PATH as u64]
        ),
        0
    );
    assert_eq!(g.u64_at(OUT + 48), 5);
    assert_eq!(
        g.call(nr::newfstatat, &[fd, empty, OUT, 0]),
        err(Errno::ENOENT)
    );

    let p = g.cstr(PATH_A, &s.path_str("file"));
    assert_eq!(
        g.call(nr::faccessat, &[AT_FDCWD as u64, p, libc::R_OK as u64]),
        0
    );
    assert_eq!(g.call(nr::fchmodat, &[AT_FDCWD as u64, p, 0o640]), 0);
    assert_eq!(
        g.stat_mode(&s.path_str("file"), 0),
        Ok(libc::S_IFREG | 0o640)
    );
    assert_eq!(g.call(nr::truncate, &[p, 2]), 0);
    assert_eq!(std::fs::read(s.path("file")).unwrap(), b"12");
    assert_eq!(g.call(nr::statfs, &[p, OUT]), 0);
    assert!(g.u64_at(OUT + 8) > 0, "f_bsize");
}

#[test]
fn getdents64_lists_a_directory() {
    let s = Scratch::new("dents");
    let g = Guest::host(&s);
    for name in ["a", "bb", "ccc"] {
        std::fs::write(s.path(name), name).unwrap();
    }
    std::fs::create_dir(s.path("sub")).unwrap();
    let fd = g.open(&s.path_str(""), libc::O_RDONLY | libc::O_DIRECTORY, 0) as u64;
    let mut names = Vec::new();
    loop {
        let n = g.call(nr::getdents64, &[fd, BUF, BUF_LEN as u64]);
        assert!(n >= 0, "getdents64: {n}");
        if n == 0 {
            break;
        }
        let buf = g.bytes(BUF, usize::try_from(n).unwrap());
        let mut off = 0;
        while off < buf.len() {
            let reclen = u16::from_le_bytes([buf[off + 16], buf[off + 17]]) as usize;
            let kind = buf[off + 18];
            let name = &buf[off + 19..off + reclen];
            let name =
                String::from_utf8(name[..name.iter().position(|&b| b == 0).unwrap()].to_vec())
                    .unwrap();
            names.push((name, kind));
            off += reclen;
        }
    }
    names.sort();
    let expect = [
        (".", libc::DT_DIR),
        ("..", libc::DT_DIR),
        ("a", libc::DT_REG),
        ("bb", libc::DT_REG),
        ("ccc", libc::DT_REG),
        ("sub", libc::DT_DIR),
    ];
    let expect: Vec<_> = expect.iter().map(|&(n, k)| (n.to_owned(), k)).collect();
    assert_eq!(names, expect);
}

#[test]
fn mkdir_rename_unlink_rmdir() {
    let s = Scratch::new("names");
    let g = Guest::host(&s);
    let dir = g.cstr(PATH_A, &s.path_str("d"));
    assert_eq!(g.call(nr::mkdirat, &[AT_FDCWD as u64, dir, 0o755]), 0);
    assert!(s.path("d").is_dir());
    assert_eq!(
        g.call(nr::mkdirat, &[AT_FDCWD as u64, dir, 0o755]),
        err(Errno::EEXIST)
    );

    std::fs::write(s.path("d/f"), "x").unwrap();
    let from = g.cstr(PATH_A, &s.path_str("d/f"));
    let to = g.cstr(PATH_B, &s.path_str("g"));
    assert_eq!(
        g.call(
            nr::renameat2,
            &[AT_FDCWD as u64, from, AT_FDCWD as u64, to, 0]
        ),
        0
    );
    assert!(s.path("g").is_file() && !s.path("d/f").exists());

    let p = g.cstr(PATH_A, &s.path_str("g"));
    let l = g.cstr(PATH_B, &s.path_str("hard"));
    assert_eq!(
        g.call(nr::linkat, &[AT_FDCWD as u64, p, AT_FDCWD as u64, l, 0]),
        0
    );
    assert_eq!(std::fs::read(s.path("hard")).unwrap(), b"x");
    let target = g.cstr(PATH_A, "g");
    assert_eq!(
        g.call(nr::symlinkat, &[target, AT_FDCWD as u64, l]),
        err(Errno::EEXIST)
    );

    let d = g.cstr(PATH_A, &s.path_str("d"));
    let rmdir = libc::AT_REMOVEDIR as u64;
    assert_eq!(
        g.call(nr::unlinkat, &[AT_FDCWD as u64, d, 0]),
        err(Errno::EISDIR)
    );
    assert_eq!(g.call(nr::unlinkat, &[AT_FDCWD as u64, d, rmdir]), 0);
    assert!(!s.path("d").exists());
    let p = g.cstr(PATH_A, &s.path_str("g"));
    assert_eq!(g.call(nr::unlinkat, &[AT_FDCWD as u64, p, 0]), 0);
    assert_eq!(
        g.call(nr::unlinkat, &[AT_FDCWD as u64, p, 0]),
        err(Errno::ENOENT)
    );
}

#[test]
fn dup_dup3_fcntl_and_cloexec() {
    let s = Scratch::new("dup");
    let g = Guest::host(&s);
    let fd = g.open(
        &s.path_str("f"),
        libc::O_CREAT | libc::O_RDWR | libc::O_CLOEXEC,
        0o600,
    ) as u64;
    assert_eq!(
        g.call(nr::fcntl, &[fd, libc::F_GETFD as u64]),
        i64::from(libc::FD_CLOEXEC)
    );
    let d = g.call(nr::dup, &[fd]) as u64;
    assert_eq!(d, fd + 1);
    assert_eq!(
        g.call(nr::fcntl, &[d, libc::F_GETFD as u64]),
        0,
        "dup clears FD_CLOEXEC"
    );

    assert_eq!(g.call(nr::dup3, &[fd, 10, libc::O_CLOEXEC as u64]), 10);
    assert_eq!(g.call(nr::fcntl, &[10, libc::F_GETFD as u64]), 1);
    assert_eq!(g.call(nr::fcntl, &[10, libc::F_SETFD as u64, 0]), 0);
    assert_eq!(g.call(nr::fcntl, &[10, libc::F_GETFD as u64]), 0);
    assert_eq!(g.call(nr::dup3, &[fd, fd, 0]), err(Errno::EINVAL));
    assert_eq!(g.call(nr::dup3, &[99, 11, 0]), err(Errno::EBADF));
    assert_eq!(
        g.call(nr::fcntl, &[fd, libc::F_DUPFD_CLOEXEC as u64, 20]),
        20
    );
    assert_eq!(g.call(nr::fcntl, &[20, libc::F_GETFD as u64]), 1);

    // The copies share one open file: one offset, one set of status flags.
    assert_eq!(g.write_str(fd as i64, "abc"), 3);
    assert_eq!(g.call(nr::lseek, &[10, 0, libc::SEEK_CUR as u64]), 3);
    let fl = g.call(nr::fcntl, &[d, libc::F_GETFL as u64]);
    assert_eq!(i32::try_from(fl).unwrap() & libc::O_ACCMODE, libc::O_RDWR);
    assert_eq!(
        g.call(
            nr::fcntl,
            &[
                d,
                libc::F_SETFL as u64,
                (i32::try_from(fl).unwrap() | libc::O_APPEND) as u64
            ]
        ),
        0
    );
    assert_ne!(
        i32::try_from(g.call(nr::fcntl, &[20, libc::F_GETFL as u64])).unwrap() & libc::O_APPEND,
        0
    );

    assert_eq!(g.call(nr::close_range, &[10, 30, 0]), 0);
    assert_eq!(
        g.call(nr::fcntl, &[20, libc::F_GETFD as u64]),
        err(Errno::EBADF)
    );

    // Closing the guest's stdio leaves the emulator's open.
    for fd in 0..3 {
        g.call(nr::close, &[fd]);
    }
    // SAFETY: F_GETFD only queries the fd.
    assert!(unsafe { libc::fcntl(2, libc::F_GETFD) } >= 0);
    assert_eq!(g.call(nr::dup, &[fd]), 0, "lowest free number");
}

#[test]
fn pipe2_round_trip() {
    let s = Scratch::new("pipe");
    let g = Guest::host(&s);
    assert_eq!(g.call(nr::pipe2, &[OUT, libc::O_CLOEXEC as u64]), 0);
    let (r, w) = (g.u32_at(OUT) as i64, g.u32_at(OUT + 4) as i64);
    assert_ne!(r, w);
    assert_eq!(g.call(nr::fcntl, &[r as u64, libc::F_GETFD as u64]), 1);
    assert_eq!(g.write_str(w, "ping"), 4);
    assert_eq!(g.read_str(r, 100), "ping");
    assert_eq!(g.call(nr::lseek, &[r as u64, 0, 0]), err(Errno::ESPIPE));
    assert_eq!(g.call(nr::close, &[w as u64]), 0);
    assert_eq!(g.read_str(r, 100), "", "EOF once the write end is closed");
    assert_eq!(g.call(nr::pipe2, &[UNMAPPED, 0]), err(Errno::EFAULT));
    assert_eq!(g.call(nr::pipe2, &[OUT, 0o1]), err(Errno::EINVAL));
}

#[test]
fn readv_writev_scatter_and_gather() {
    let s = Scratch::new("iov");
    let g = Guest::host(&s);
    let fd = g.open(&s.path_str("f"), libc::O_CREAT | libc::O_RDWR, 0o600) as u64;
    let put_iov = |entries: &[(u64, u64)]| {
        let mut raw = Vec::new();
        for &(base, len) in entries {
            raw.extend_from_slice(&base.to_le_bytes());
            raw.extend_from_slice(&len.to_le_bytes());
        }
        g.mem.write_bytes(IOV, &raw).unwrap();
    };
    g.mem.write_bytes(BUF, b"abc").unwrap();
    g.mem.write_bytes(BUF + 100, b"defg").unwrap();
    put_iov(&[(BUF, 3), (BUF + 100, 0), (BUF + 100, 4)]);
    assert_eq!(g.call(nr::writev, &[fd, IOV, 3]), 7);
    assert_eq!(std::fs::read(s.path("f")).unwrap(), b"abcdefg");

    put_iov(&[(OUT, 2), (OUT + 10, 2), (OUT + 20, 10)]);
    assert_eq!(g.call(nr::preadv, &[fd, IOV, 3, 0]), 7);
    assert_eq!(g.bytes(OUT, 2), b"ab");
    assert_eq!(g.bytes(OUT + 10, 2), b"cd");
    assert_eq!(g.bytes(OUT + 20, 3), b"efg");
    assert_eq!(g.call(nr::lseek, &[fd, 0, libc::SEEK_SET as u64]), 0);
    assert_eq!(g.call(nr::readv, &[fd, IOV, 1]), 2);
    assert_eq!(g.call(nr::readv, &[fd, IOV, 1025]), err(Errno::EINVAL));
    put_iov(&[(OUT, u64::MAX)]);
    assert_eq!(g.call(nr::readv, &[fd, IOV, 1]), err(Errno::EINVAL));
}

#[test]
fn large_transfers_go_through_the_bounce_buffer() {
    let s = Scratch::new("big");
    let g = Guest {
        files: Files::new(View::Host, &s.path("prog"), 1).unwrap(),
        mem: VecMemory::new(BASE, 0x100000),
    };
    let data: Vec<u8> = (0..0x90000u32)
        .map(|i| low_u8(u64::from(i * 7 + i / 251)))
        .collect();
    g.mem.write_bytes(BASE + 0x1000, &data).unwrap();
    let fd = g.open(&s.path_str("big"), libc::O_CREAT | libc::O_RDWR, 0o600) as u64;
    assert_eq!(
        g.call(nr::write, &[fd, BASE + 0x1000, data.len() as u64]),
        data.len() as i64
    );
    assert_eq!(std::fs::read(s.path("big")).unwrap(), data);
    let back = BASE + 0x1000 + data.len() as u64;
    assert_eq!(g.call(nr::pread64, &[fd, back, 0x60000, 0]), 0x60000);
    assert_eq!(g.bytes(back, 0x60000), data[..0x60000]);
}

#[test]
fn relative_paths_follow_the_guest_cwd_without_a_root() {
    let s = Scratch::new("cwd");
    let g = Guest::host(&s);
    let here = std::env::current_dir().unwrap();
    assert_eq!(g.getcwd(), here.to_str().unwrap());
    std::fs::create_dir(s.path("d")).unwrap();
    std::fs::write(s.path("d/f"), "in d").unwrap();
    assert_eq!(g.chdir(&s.path_str("d")), 0);
    assert_eq!(g.getcwd(), s.path_str("d"));
    assert_eq!(g.slurp("f"), Ok("in d".to_owned()));
    assert_eq!(
        std::env::current_dir().unwrap(),
        here,
        "the emulator's cwd stays"
    );
    assert_eq!(g.chdir("f"), err(Errno::ENOTDIR));

    let fd = g.open(&s.path_str(""), libc::O_RDONLY | libc::O_DIRECTORY, 0) as u64;
    assert_eq!(g.call(nr::fchdir, &[fd]), 0);
    assert_eq!(g.getcwd(), s.0.to_str().unwrap());
}

#[test]
fn getcwd_and_chdir_show_the_view_inside_the_root() {
    let s = Scratch::new("root-cwd");
    std::fs::create_dir_all(s.path("sub/deeper")).unwrap();
    symlink("sub/deeper", s.path("shortcut")).unwrap();
    let g = Guest::rooted(&s);
    assert_eq!(g.getcwd(), "/");
    assert_eq!(g.chdir("sub"), 0);
    assert_eq!(g.getcwd(), "/sub");
    assert_eq!(g.chdir("deeper/../../../../.."), 0);
    assert_eq!(g.getcwd(), "/");
    assert_eq!(g.chdir("/shortcut"), 0);
    assert_eq!(
        g.getcwd(),
        "/sub/deeper",
        "getcwd shows the resolved directory"
    );
    assert_eq!(g.chdir("nope"), err(Errno::ENOENT));

    // The length returned counts the NUL; a buffer without room for it is ERANGE.
    assert_eq!(g.call(nr::getcwd, &[BUF, 12]), 12);
    assert_eq!(g.call(nr::getcwd, &[BUF, 11]), err(Errno::ERANGE));
    assert_eq!(g.call(nr::getcwd, &[UNMAPPED, 100]), err(Errno::EFAULT));
}

#[test]
fn readlink_proc_self_exe_names_the_program() {
    let s = Scratch::new("exe");
    std::fs::create_dir(s.path("bin")).unwrap();
    std::fs::write(s.path("bin/prog"), "").unwrap();
    let g = Guest::rooted(&s);
    assert_eq!(
        g.readlink(AT_FDCWD.into(), "/proc/self/exe"),
        Ok("/bin/prog".to_owned())
    );
    let pid = std::process::id();
    assert_eq!(
        g.readlink(AT_FDCWD.into(), &format!("/proc/{pid}/exe")),
        Ok("/bin/prog".to_owned())
    );
    let p = g.cstr(PATH_A, "/proc/self/exe");
    assert_eq!(
        g.call(nr::readlinkat, &[AT_FDCWD as u64, p, BUF, 4]),
        4,
        "truncated, no NUL"
    );
    assert_eq!(g.bytes(BUF, 4), b"/bin");
    assert_eq!(
        g.call(nr::readlinkat, &[AT_FDCWD as u64, p, BUF, 0]),
        err(Errno::EINVAL)
    );

    let h = Guest::new(View::Host, &s.path("bin/prog"));
    assert_eq!(
        h.readlink(AT_FDCWD.into(), "/proc/self/exe"),
        Ok(s.path_str("bin/prog"))
    );
    let fd = h.open(&s.path_str("bin/prog"), libc::O_RDONLY, 0);
    assert_eq!(
        h.readlink(AT_FDCWD.into(), &format!("/proc/self/fd/{fd}")),
        Ok(s.path_str("bin/prog"))
    );
}

/// A root holding its own /etc/passwd, and symlinks that try to leave it.
fn escape_room() -> Scratch {
    let s = Scratch::new("root");
    std::fs::create_dir_all(s.path("etc")).unwrap();
    std::fs::create_dir_all(s.path("sub/deeper")).unwrap();
    std::fs::write(s.path("etc/passwd"), "inside").unwrap();
    std::fs::write(s.path("sub/f"), "sub file").unwrap();
    symlink("/etc", s.path("abs")).unwrap();
    symlink("../../../../../../etc", s.path("sub/rel")).unwrap();
    symlink("sub", s.path("linkdir")).unwrap();
    symlink("/etc/passwd", s.path("sub/deeper/pw")).unwrap();
    s
}

#[test]
fn dotdot_beyond_the_root_stays_at_the_root() {
    let s = escape_room();
    let g = Guest::rooted(&s);
    assert_eq!(g.slurp("/../../../../etc/passwd"), Ok("inside".to_owned()));
    assert_eq!(g.slurp("../../etc/passwd"), Ok("inside".to_owned()));
    assert_eq!(g.slurp("/sub/../../etc/passwd"), Ok("inside".to_owned()));
    assert_eq!(g.stat_mode("/..", 0).map(|m| m & S_IFMT), Ok(libc::S_IFDIR));
    let p = g.cstr(PATH_A, "/..");
    assert_eq!(
        g.call(
            nr::unlinkat,
            &[AT_FDCWD as u64, p, libc::AT_REMOVEDIR as u64]
        ),
        err(Errno(libc::ENOTEMPTY))
    );
    assert_eq!(
        g.call(nr::mkdirat, &[AT_FDCWD as u64, p, 0o755]),
        err(Errno::EEXIST)
    );
    let p = g.cstr(PATH_A, "/");
    assert_eq!(
        g.call(
            nr::unlinkat,
            &[AT_FDCWD as u64, p, libc::AT_REMOVEDIR as u64]
        ),
        err(Errno::EBUSY)
    );
    // A dirfd-relative `..` climbs to the root and no further.
    let dir = g.open("/sub/deeper", libc::O_RDONLY | libc::O_DIRECTORY, 0) as u64;
    let p = g.cstr(PATH_A, "../../../../etc/passwd");
    let fd = g.call(nr::openat, &[dir, p, 0, 0]);
    assert!(fd >= 0, "openat: {fd}");
    assert_eq!(g.read_str(fd, 100), "inside");
}

#[test]
fn absolute_symlinks_resolve_inside_the_root() {
    let s = escape_room();
    let g = Guest::rooted(&s);
    assert_eq!(g.slurp("/abs/passwd"), Ok("inside".to_owned()));
    assert_eq!(g.slurp("/sub/deeper/pw"), Ok("inside".to_owned()));
    assert_eq!(g.readlink(AT_FDCWD.into(), "/abs"), Ok("/etc".to_owned()));
    assert_eq!(
        g.stat_mode("/abs", libc::AT_SYMLINK_NOFOLLOW)
            .map(|m| m & S_IFMT),
        Ok(libc::S_IFLNK)
    );
    assert_eq!(
        g.stat_mode("/abs", 0).map(|m| m & S_IFMT),
        Ok(libc::S_IFDIR)
    );
    assert_eq!(
        g.stat_mode("/abs/", libc::AT_SYMLINK_NOFOLLOW)
            .map(|m| m & S_IFMT),
        Ok(libc::S_IFDIR)
    );
    assert_eq!(
        g.stat_mode("/abs/hostname", 0),
        Err(err(Errno::ENOENT)),
        "not the host's /etc"
    );
    // A symlink a guest makes points inside the root too.
    let target = g.cstr(PATH_A, "/etc/passwd");
    let l = g.cstr(PATH_B, "/mine");
    assert_eq!(g.call(nr::symlinkat, &[target, AT_FDCWD as u64, l]), 0);
    assert_eq!(
        std::fs::read_link(s.path("mine")).unwrap(),
        Path::new("/etc/passwd")
    );
    assert_eq!(g.slurp("/mine"), Ok("inside".to_owned()));
    // Writing through one does not escape either.
    let fd = g.open("/abs/new", libc::O_CREAT | libc::O_WRONLY, 0o600);
    assert!(fd >= 0, "openat: {fd}");
    assert!(s.path("etc/new").exists());
}

#[test]
fn relative_symlinks_climbing_out_stay_inside() {
    let s = escape_room();
    let g = Guest::rooted(&s);
    assert_eq!(g.slurp("/sub/rel/passwd"), Ok("inside".to_owned()));
    assert_eq!(g.chdir("/sub"), 0);
    assert_eq!(g.slurp("rel/passwd"), Ok("inside".to_owned()));
    assert_eq!(g.chdir("rel"), 0);
    assert_eq!(g.getcwd(), "/etc");
}

#[test]
fn paths_through_symlinked_directories_work() {
    let s = escape_room();
    let g = Guest::rooted(&s);
    assert_eq!(g.slurp("/linkdir/f"), Ok("sub file".to_owned()));
    let p = g.cstr(PATH_A, "/linkdir/made");
    assert_eq!(g.call(nr::mkdirat, &[AT_FDCWD as u64, p, 0o755]), 0);
    assert!(s.path("sub/made").is_dir());
    let to = g.cstr(PATH_B, "/linkdir/deeper/moved");
    assert_eq!(
        g.call(nr::renameat2, &[AT_FDCWD as u64, p, AT_FDCWD as u64, to, 0]),
        0
    );
    assert!(s.path("sub/deeper/moved").is_dir());
    assert_eq!(
        g.call(
            nr::unlinkat,
            &[AT_FDCWD as u64, to, libc::AT_REMOVEDIR as u64]
        ),
        0
    );
    assert!(!s.path("sub/deeper/moved").exists());
    // Removing the symlink removes the link, not the directory it names.
    let p = g.cstr(PATH_A, "/linkdir");
    assert_eq!(g.call(nr::unlinkat, &[AT_FDCWD as u64, p, 0]), 0);
    assert!(s.path("sub").is_dir());
}

#[test]
fn files_is_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Files>();
}

#[test]
fn sendfile_and_copy_file_range_update_guest_offsets() {
    let s = Scratch::new("copy");
    let g = Guest::host(&s);
    std::fs::write(s.path("src"), "0123456789").unwrap();
    let src = g.open(&s.path_str("src"), libc::O_RDONLY, 0) as u64;
    let dst = g.open(&s.path_str("dst"), libc::O_CREAT | libc::O_WRONLY, 0o600) as u64;
    g.mem.write_bytes(OUT, &2u64.to_le_bytes()).unwrap();
    assert_eq!(g.call(nr::sendfile, &[dst, src, OUT, 3]), 3);
    assert_eq!(g.u64_at(OUT), 5);
    assert_eq!(std::fs::read(s.path("dst")).unwrap(), b"234");
    assert_eq!(
        g.call(nr::lseek, &[src, 0, libc::SEEK_CUR as u64]),
        0,
        "in_fd offset untouched"
    );

    g.mem.write_bytes(OUT, &7u64.to_le_bytes()).unwrap();
    assert_eq!(g.call(nr::copy_file_range, &[src, OUT, dst, 0, 3, 0]), 3);
    assert_eq!(g.u64_at(OUT), 10);
    assert_eq!(std::fs::read(s.path("dst")).unwrap(), b"234789");
    assert_eq!(
        g.call(nr::sendfile, &[dst, src, UNMAPPED, 3]),
        err(Errno::EFAULT)
    );
}

/// Under a sysroot an absolute path that exists below it is read from there; one that
/// does not falls back to the host; relative paths and creation stay the host's.
#[test]
fn sysroot_prefers_its_tree_and_falls_back_to_the_host() {
    let sys = Scratch::new("sysroot");
    let host = Scratch::new("sysroot-host");
    std::fs::create_dir_all(sys.path(&host.path_str("")[1..])).unwrap();
    // The same absolute name in both trees: the sysroot's wins.
    std::fs::write(host.path("both"), "host").unwrap();
    std::fs::write(sys.path(&host.path_str("both")[1..]), "sysroot").unwrap();
    std::fs::write(host.path("only-host"), "host only").unwrap();
    let g = Guest::new(View::Sysroot(&sys.0), &host.path("prog"));
    let fd = g.open(&host.path_str("both"), libc::O_RDONLY, 0);
    assert_eq!(g.read_str(fd, 64), "sysroot");
    let fd = g.open(&host.path_str("only-host"), libc::O_RDONLY, 0);
    assert_eq!(g.read_str(fd, 64), "host only");
    // stat and readlink go the same way.
    let p = g.cstr(PATH_A, &host.path_str("both"));
    assert_eq!(g.call(nr::newfstatat, &[AT_FDCWD as u64, p, OUT, 0]), 0);
    assert_eq!(g.u64_at(OUT + 48), 7, "st_size of the sysroot's file");
    // A new file is created on the host, where its parent is.
    let fd = g.open(&host.path_str("new"), libc::O_WRONLY | libc::O_CREAT, 0o644);
    assert!(fd >= 0);
    assert!(host.path("new").exists());
    // The working directory is the host's.
    let mut cwd = vec![0u8; 0];
    cwd.extend_from_slice(
        std::env::current_dir()
            .unwrap()
            .as_os_str()
            .as_encoded_bytes(),
    );
    assert_eq!(g.files.paths.cwd(), cwd);
}

/// The program interpreter is found below the sysroot first.
#[test]
fn sysroot_interpreter_lookup_prefers_the_sysroot() {
    let sys = Scratch::new("sysroot-interp");
    let host = Scratch::new("sysroot-interp-host");
    std::fs::write(host.path("ld.so"), "host").unwrap();
    std::fs::create_dir_all(sys.path(&host.path_str("")[1..])).unwrap();
    std::fs::write(sys.path(&host.path_str("ld.so")[1..]), "sysroot").unwrap();
    let g = Guest::new(View::Sysroot(&sys.0), &host.path("prog"));
    let fd = g
        .files
        .open_exec(host.path_str("ld.so").as_bytes())
        .unwrap();
    let mut f = std::fs::File::from(fd);
    let mut s = String::new();
    std::io::Read::read_to_string(&mut f, &mut s).unwrap();
    assert_eq!(s, "sysroot");
}

/// Under --root, the devices and the harts' description are faultline's, not missing
/// and not the host's; a snapshot reads with read, pread and lseek and refuses writes.
#[test]
fn synthesized_files_are_provided_under_root() {
    let s = Scratch::new("synth");
    let g = Guest::rooted(&s);
    let null = g.open("/dev/null", libc::O_RDWR, 0);
    assert!(null >= 0, "/dev/null: {null}");
    assert_eq!(g.write_str(null, "gone"), 4);
    assert_eq!(g.read_str(null, 16), "");
    let zero = g.open("/dev/zero", libc::O_RDONLY, 0);
    assert_eq!(g.call(nr::read, &[zero as u64, BUF, 4]), 4);
    assert_eq!(g.bytes(BUF, 4), [0; 4]);
    let full = g.open("/dev/full", libc::O_WRONLY, 0);
    assert_eq!(g.write_str(full, "x"), -i64::from(libc::ENOSPC));
    let rnd = g.open("/dev/urandom", libc::O_RDONLY, 0);
    assert_eq!(g.call(nr::read, &[rnd as u64, BUF, 32]), 32);

    let cpu = g.open("/proc/cpuinfo", libc::O_RDONLY, 0);
    let text = g.read_str(cpu, BUF_LEN);
    assert!(
        text.starts_with("processor\t: 0\nhart\t\t: 0\nisa\t\t: rv64imafdc\n"),
        "{text}"
    );
    assert_eq!(
        g.call(nr::lseek, &[cpu as u64, 10, libc::SEEK_SET as u64]),
        10
    );
    assert_eq!(g.read_str(cpu, 4), &text[10..14]);
    assert_eq!(g.call(nr::pread64, &[cpu as u64, BUF, 9, 0]), 9);
    assert_eq!(g.bytes(BUF, 9), b"processor");
    assert_eq!(g.write_str(cpu, "x"), -i64::from(libc::EBADF));
    assert_eq!(
        g.open("/proc/cpuinfo", libc::O_WRONLY, 0),
        -i64::from(libc::EACCES)
    );
    let online = g.open("/sys/devices/system/cpu/online", libc::O_RDONLY, 0);
    assert!(g.read_str(online, 64).starts_with('0'));
}
