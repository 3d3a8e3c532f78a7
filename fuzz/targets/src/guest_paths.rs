//! The guest path resolver under `--root`: whatever the path (`..`, absolute and
//! relative symlinks pointing out, loops, empty components), every object a lookup
//! opens lies inside the root, checked on the real file system.

use emu::os::path::{Base, Resolver, View};
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A root directory with symlinks that point out of it, and a file beside it.
struct Sandbox {
    // Kept for its lifetime: the folder goes when it is dropped.
    _dir: tempfile::TempDir,
    root: PathBuf,
    resolver: Resolver,
}

/// The names the sandbox holds, for input generators and fuzzing dictionaries: `a/b`,
/// files, symlinks `up` (`../..`), `abs` (`/`), `out` (`../outside`), `a/deep`
/// (`../../../..`), `a/here` (`.`), `loop` (itself) and `etc` (`/etc`).
pub const NAMES: [&str; 12] = [
    "a", "b", "file", "up", "abs", "out", "deep", "here", "loop", "etc", "outside", "secret",
];

fn sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temporary folder");
        let root = dir.path().join("root");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(root.join("a/b")).expect("sandbox folders");
        std::fs::create_dir_all(&outside).expect("sandbox folders");
        std::fs::write(outside.join("secret"), b"outside the root").expect("sandbox file");
        std::fs::write(root.join("file"), b"inside").expect("sandbox file");
        std::fs::write(root.join("a/file"), b"inside").expect("sandbox file");
        for (link, target) in [
            ("up", "../.."),
            ("abs", "/"),
            ("out", "../outside"),
            ("a/deep", "../../../.."),
            ("a/here", "."),
            ("loop", "loop"),
            ("etc", "/etc"),
        ] {
            std::os::unix::fs::symlink(target, root.join(link)).expect("sandbox symlink");
        }
        let root = std::fs::canonicalize(&root).expect("canonical root");
        let resolver = Resolver::new(View::Root(&root)).expect("resolver over the sandbox");
        Sandbox {
            _dir: dir,
            root,
            resolver,
        }
    })
}

/// Resolves the guest path in `data` (after a first byte choosing the call and its
/// flags) under the sandbox root, and checks that nothing it opened is outside.
pub fn run(data: &[u8]) {
    let Some((&mode, path)) = data.split_first() else {
        return;
    };
    let sandbox = sandbox();
    let resolver = &sandbox.resolver;
    match mode % 4 {
        0 => {
            let flags = libc::O_PATH | if mode & 4 != 0 { libc::O_NOFOLLOW } else { 0 };
            if let Ok(fd) = resolver.open(Base::Cwd, path, flags, 0) {
                sandbox.assert_inside(fd.as_raw_fd(), path);
            }
        }
        1 | 2 => {
            let follow = mode % 4 == 1;
            if let Ok(at) = resolver.lookup(Base::Cwd, path, follow, mode & 4 != 0) {
                sandbox.assert_inside(at.dirfd(), path);
                assert_last_component(at.name().to_bytes(), path);
            }
        }
        _ => {
            if let Ok(emu::os::path::Entry::Name(at)) = resolver.entry(Base::Cwd, path) {
                sandbox.assert_inside(at.dirfd(), path);
                let name = at.name().to_bytes();
                assert_last_component(name.strip_suffix(b"/").unwrap_or(name), path);
            }
        }
    }
}

impl Sandbox {
    /// Host fd `fd`, opened for guest `path`, refers to the root or something in it.
    fn assert_inside(&self, fd: RawFd, path: &[u8]) {
        let host = std::fs::read_link(format!("/proc/self/fd/{fd}")).expect("fd link");
        assert!(
            within(&self.root, &host),
            "guest path {:?} opened {} outside the root {}",
            String::from_utf8_lossy(path),
            host.display(),
            self.root.display()
        );
    }
}

/// A name handed to the host beside a confined directory fd is one plain component:
/// the host cannot walk it anywhere.
fn assert_last_component(name: &[u8], path: &[u8]) {
    assert!(
        name.is_empty() || (!name.contains(&b'/') && name != b".." && name != b"."),
        "guest path {:?} left the host name {:?} to resolve",
        String::from_utf8_lossy(path),
        String::from_utf8_lossy(name)
    );
}

fn within(root: &Path, host: &Path) -> bool {
    host == root || host.starts_with(root)
}
