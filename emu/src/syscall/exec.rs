//! execve and execveat: the calling process gets a new image, as Linux's `do_execve`
//! makes it. The program is looked up as the guest's opens are (its working directory,
//! `--root` confinement, `-L` lookup); a `#!` script runs its interpreter with Linux's
//! argument rules; an ELF program (static, or dynamic with its PT_INTERP interpreter) is
//! loaded into a new address space. Until the new image is complete the old one is
//! untouched, so every failure returns an errno to it. Then: close-on-exec fds are
//! closed, caught signals go back to SIG_DFL, the process's other threads are killed, a
//! vfork parent goes on, and the calling thread starts the new image with the same pid.

use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::abi::signo::SIGKILL;
use crate::cpu::Cpu;
use crate::loader::{self, trampoline, LoadError, StartInfo};
use crate::os::files::{Files, AT_FDCWD};
use crate::os::path::PATH_MAX;
use crate::os::process::{host_ids, Process};
use crate::thread::Thread;
use devices::cast::low_i32;
use mmu::{AddressSpace, Errno};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

/// How much of a file decides its format (Linux's BINPRM_BUF_SIZE): the ELF magic, or
/// a `#!` line.
const BINPRM_BUF_SIZE: usize = 256;
/// How many interpreters deep a script may nest (Linux's binfmt recursion limit).
const MAX_SCRIPT_DEPTH: usize = 4;
/// execveat: the fd itself is the program when the path is empty.
const AT_EMPTY_PATH: u64 = 0x1000;
/// execveat: fail with ELOOP if the path names a symbolic link.
const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
/// The most argument and environment strings execve reads (Linux's MAX_ARG_STRINGS).
const MAX_ARG_STRINGS: usize = 0x7fff_ffff;
/// Linux's limit on one argument or environment string (MAX_ARG_STRLEN).
const MAX_ARG_STRLEN: usize = 32 * 4096;

/// The program to run, once its `#!` lines are followed.
struct Program {
    /// The ELF file, open.
    fd: OwnedFd,
    /// Its path as the guest named it, for /proc/self/exe.
    path: Vec<u8>,
    /// The arguments the new image gets.
    argv: Vec<Vec<u8>>,
}

/// Reads the NULL-terminated array of strings at `addr` (none if `addr` is 0).
fn read_strings(mm: &AddressSpace, addr: u64) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    for i in 0..MAX_ARG_STRINGS as u64 {
        let mut p = [0u8; 8];
        mm.read_bytes(addr + i * 8, &mut p)?;
        let p = u64::from_le_bytes(p);
        if p == 0 {
            return Ok(out);
        }
        let s = mm.read_cstring(p, MAX_ARG_STRLEN + 1)?;
        if s.len() > MAX_ARG_STRLEN {
            return Err(Errno(libc::E2BIG));
        }
        out.push(s);
    }
    Err(Errno(libc::E2BIG))
}

/// Checks that the open file may be executed: a regular file with an execute bit
/// (EACCES otherwise, as Linux answers for a directory or a device).
fn check_executable(fd: &OwnedFd) -> Result<(), Errno> {
    // SAFETY: a zeroed stat is a valid out-parameter; fstat writes only into it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is open and `st` outlives the call.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
        return Err(Errno(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO),
        ));
    }
    if st.st_mode & libc::S_IFMT != libc::S_IFREG || st.st_mode & 0o111 == 0 {
        return Err(Errno::EACCES);
    }
    Ok(())
}

/// The first bytes of the file, which decide its format.
fn head(fd: &OwnedFd) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; BINPRM_BUF_SIZE];
    // SAFETY: `buf` is valid for its length; pread writes only into it.
    let n = unsafe { libc::pread(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
    let n = usize::try_from(n).map_err(|_| Errno::EIO)?;
    buf.truncate(n);
    Ok(buf)
}

/// What a `#!` line names.
#[derive(Debug, PartialEq, Eq)]
struct Shebang {
    /// The interpreter's path.
    interp: Vec<u8>,
    /// Its one argument, if the line gives one.
    arg: Option<Vec<u8>>,
}

/// A `#!` line's interpreter and its one optional argument (Linux's binfmt_script: the
/// line ends at a newline or the end of the buffer; blanks around both are dropped; the
/// argument is everything after the interpreter's name, inner blanks included). None if
/// the file is no script; ENOEXEC if the line names no interpreter.
fn shebang(head: &[u8]) -> Result<Option<Shebang>, Errno> {
    let Some(line) = head.strip_prefix(b"#!") else {
        return Ok(None);
    };
    let line = line.split(|&b| b == b'\n').next().unwrap_or(line);
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let line = trim(line, blank);
    let name_len = line.iter().position(blank).unwrap_or(line.len());
    if name_len == 0 {
        return Err(Errno(libc::ENOEXEC));
    }
    let (interp, rest) = line.split_at(name_len);
    let arg = trim(rest, blank);
    Ok(Some(Shebang {
        interp: interp.to_vec(),
        arg: (!arg.is_empty()).then(|| arg.to_vec()),
    }))
}

/// `s` without the leading and trailing bytes `drop` selects.
fn trim(s: &[u8], drop: impl Fn(&u8) -> bool) -> &[u8] {
    let start = s.iter().position(|b| !drop(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !drop(b)).map_or(start, |e| e + 1);
    &s[start..end]
}

/// Opens the program execveat names: `path` relative to `dirfd`, or the fd itself with
/// AT_EMPTY_PATH and an empty path.
fn open_program(files: &Files, dirfd: u64, path: &[u8], flags: u64) -> Result<OwnedFd, Errno> {
    if path.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        let file = files.fds.get(low_i32(dirfd))?;
        // SAFETY: F_DUPFD_CLOEXEC only reads the open fd; failure is checked.
        let dup = unsafe { libc::fcntl(file.raw(), libc::F_DUPFD_CLOEXEC, 0) };
        if dup < 0 {
            return Err(Errno(libc::EMFILE));
        }
        // SAFETY: `dup` is a fresh fd nobody else owns.
        return Ok(unsafe { OwnedFd::from_raw_fd(dup) });
    }
    let nofollow = match flags & AT_SYMLINK_NOFOLLOW {
        0 => 0,
        _ => libc::O_NOFOLLOW,
    };
    let base = files.base(dirfd, path)?;
    files.paths.open(base, path, libc::O_RDONLY | nofollow, 0)
}

/// The guest path of `path` as /proc/self/exe shows it: absolute, from the working
/// directory if relative.
fn absolute(files: &Files, path: &[u8]) -> Vec<u8> {
    if path.first() == Some(&b'/') {
        return path.to_vec();
    }
    let mut p = files.paths.cwd();
    if p.last() != Some(&b'/') {
        p.push(b'/');
    }
    p.extend_from_slice(path);
    p
}

/// Opens the program at `path` and follows its `#!` lines to the ELF file that runs.
fn resolve(
    files: &Files,
    dirfd: u64,
    path: &[u8],
    flags: u64,
    argv: Vec<Vec<u8>>,
) -> Result<Program, Errno> {
    let mut fd = open_program(files, dirfd, path, flags)?;
    let mut shown = path.to_vec();
    let mut argv = argv;
    for _ in 0..=MAX_SCRIPT_DEPTH {
        check_executable(&fd)?;
        let head = head(&fd)?;
        if head.starts_with(b"\x7fELF") {
            return Ok(Program {
                fd,
                path: absolute(files, &shown),
                argv,
            });
        }
        let Some(Shebang { interp, arg }) = shebang(&head)? else {
            return Err(Errno(libc::ENOEXEC));
        };
        // The interpreter, its argument, the script's path, then argv[1..].
        let mut next = vec![interp.clone()];
        next.extend(arg);
        next.push(shown.clone());
        next.extend(argv.into_iter().skip(1));
        argv = next;
        fd = files.open_exec(&interp)?;
        shown = interp;
    }
    Err(Errno(libc::ELOOP))
}

/// The errno execve returns for a program the loader refused.
fn load_errno(e: &LoadError) -> Errno {
    match e {
        LoadError::Malformed { .. } | LoadError::Unsupported { .. } => Errno(libc::ENOEXEC),
        LoadError::Interpreter { err, .. } | LoadError::Read { err, .. } => {
            Errno(err.raw_os_error().unwrap_or(libc::ENOEXEC))
        }
        LoadError::Map { .. } => Errno::ENOMEM,
    }
}

/// Loads `prog` into a new address space configured as the caller's, on the same
/// machine memory, with the
/// environment `env` and AT_EXECFN `execfn`; returns the space and the image.
fn build_image(
    t: &Thread,
    prog: Program,
    env: &[Vec<u8>],
    execfn: &[u8],
) -> Result<(Arc<AddressSpace>, loader::LoadedImage, Vec<String>), Errno> {
    let old = &t.proc;
    // On the same machine memory: one page cache, swap and memory limit for all.
    let mm = AddressSpace::new_on(old.mm.machine(), old.mm.config().clone())
        .map_err(|_| Errno::ENOMEM)?;
    trampoline::map_into(&mm).map_err(|_| Errno::ENOMEM)?;
    let text = |v: &[Vec<u8>]| -> Vec<String> {
        v.iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    };
    let argv = text(&prog.argv);
    let env = text(env);
    let execfn = String::from_utf8_lossy(execfn).into_owned();
    let mut random = [0u8; 16];
    old.opts.getrandom.fill(&mut random);
    let start = StartInfo {
        args: &argv,
        env: &env,
        execfn: &execfn,
        random,
        ids: host_ids(),
    };
    let name = String::from_utf8_lossy(&prog.path).into_owned();
    let image = loader::load_opened(&mm, &old.files, name, prog.fd, &start).map_err(|e| {
        tracing::debug!(target: "faultline::exec", error = %e, "execve fails");
        load_errno(&e)
    })?;
    Ok((mm, image, argv))
}

/// execveat(dirfd, path, argv, envp, flags); on success the caller's thread runs the new
/// image and nothing is returned to the old one.
fn exec(t: &mut Thread, cpu: &mut Cpu, dirfd: u64, a: [u64; 4]) -> Result<(), Errno> {
    let [path_addr, argv_addr, envp_addr, flags] = a;
    if flags & !(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    let mm = t.proc.mm.clone();
    let path = mm.read_cstring(path_addr, PATH_MAX)?;
    if path.len() >= PATH_MAX {
        return Err(Errno(libc::ENAMETOOLONG));
    }
    let argv = read_strings(&mm, argv_addr)?;
    let env = read_strings(&mm, envp_addr)?;
    let files = t.proc.files.clone();
    // /proc/self/exe is faultline's own file on the host: the guest means its program.
    let own = format!("/proc/{}/exe", t.proc.pid);
    let target = match path.as_slice() {
        b"/proc/self/exe" => files.exe(),
        p if p == own.as_bytes() => files.exe(),
        _ => path.clone(),
    };
    let prog = resolve(&files, dirfd, &target, flags, argv)?;
    let exe = prog.path.clone();
    let (new_mm, image, argv) = build_image(t, prog, &env, &path)?;

    // The point of no return: the old image is over.
    let old = t.proc.clone();
    old.end_image();
    old.remove_thread(t.tid);
    for other in old.live_threads() {
        other.queue(crate::abi::siginfo::SigInfo::sent_by_self(
            SIGKILL,
            crate::abi::siginfo::code::SI_KERNEL,
            old.pid,
        ));
    }
    files.close_on_exec();
    files.set_cmdline(&argv);
    files.set_exe(exe);
    let new = Process::new(
        new_mm,
        files,
        old.signals.inherited(true),
        old.opts.clone(),
        old.pid,
        old.table.clone(),
    );
    let comm = path.rsplit(|&b| b == b'/').next().unwrap_or(&path);
    t.name = String::from_utf8_lossy(&comm[..comm.len().min(15)]).into_owned();
    let mut mem = new.mm.attach_hart(t.tid);
    t.prio.apply(&mut mem);
    let (live, sig) = new.add_thread(t.tid, &t.name, mem.signal(), t.sigmask());
    t.mem = mem;
    t.live = live;
    t.sig = sig;
    t.proc = new.clone();
    t.clear_child_tid = 0;
    t.saved_sigmask = None;
    t.restart = None;
    t.altstack = crate::abi::altstack::AltStack::DISABLED;
    new.table.set_image(new.pid, new.clone());
    new.table.release_vfork(new.pid);
    cpu.exec(image.entry);
    cpu.x[2] = image.sp;
    Ok(())
}

/// Handles execve and execveat; None if `n` is neither.
pub(crate) fn handle(t: &mut Thread, cpu: &mut Cpu, n: u64, a: [u64; 6]) -> Option<Outcome> {
    let r = match n {
        nr::execve => exec(t, cpu, AT_FDCWD as u64, [a[0], a[1], a[2], 0]),
        nr::execveat => exec(t, cpu, a[0], [a[1], a[2], a[3], a[4]]),
        _ => return None,
    };
    Some(match r {
        Ok(()) => Outcome::Resume,
        Err(e) => ret(Err(e)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shebang_line_gives_the_interpreter_and_one_argument() {
        let s = |h: &[u8]| shebang(h).unwrap().map(|s| (s.interp, s.arg));
        assert_eq!(s(b"\x7fELF"), None);
        assert_eq!(s(b"#!/bin/sh\necho"), Some((b"/bin/sh".to_vec(), None)));
        assert_eq!(
            s(b"#! /usr/bin/env  python3 -u \t\nx"),
            Some((b"/usr/bin/env".to_vec(), Some(b"python3 -u".to_vec())))
        );
        assert_eq!(s(b"#!/bin/sh"), Some((b"/bin/sh".to_vec(), None)));
        assert_eq!(shebang(b"#!  \n"), Err(Errno(libc::ENOEXEC)));
    }
}
