//! `--strace`: one stderr line per system call, with its arguments decoded the way the
//! call reads them (paths as strings, fds and counts in decimal, the rest in hex).

use crate::abi::nr;
use crate::abi::outcome::Outcome;
use mmu::AddressSpace;

/// How one argument is shown.
#[derive(Clone, Copy)]
enum Arg {
    /// A NUL-terminated guest string (a path).
    Str,
    /// A signed decimal (fds, counts, flags that read better in decimal).
    Dec,
    /// A hex value (addresses, flags).
    Hex,
}

use Arg::{Dec, Hex, Str};

/// The arguments a system call reads; unknown calls show all six in hex.
fn signature(n: u64) -> &'static [Arg] {
    match n {
        nr::openat => &[Dec, Str, Hex, Hex],
        nr::faccessat | nr::faccessat2 => &[Dec, Str, Hex, Hex],
        nr::newfstatat => &[Dec, Str, Hex, Hex],
        nr::statx => &[Dec, Str, Hex, Hex, Hex],
        nr::readlinkat => &[Dec, Str, Hex, Dec],
        nr::unlinkat => &[Dec, Str, Hex],
        nr::mkdirat => &[Dec, Str, Hex],
        nr::renameat2 => &[Dec, Str, Dec, Str, Hex],
        nr::symlinkat => &[Str, Dec, Str],
        nr::linkat => &[Dec, Str, Dec, Str, Hex],
        nr::chdir | nr::truncate => &[Str, Dec],
        nr::read | nr::write | nr::readv | nr::writev | nr::getdents64 => &[Dec, Hex, Dec],
        nr::pread64 | nr::pwrite64 => &[Dec, Hex, Dec, Dec],
        nr::close | nr::dup | nr::fsync | nr::fdatasync | nr::fchdir => &[Dec],
        nr::dup3 => &[Dec, Dec, Hex],
        nr::lseek => &[Dec, Dec, Dec],
        nr::fstat => &[Dec, Hex],
        nr::fcntl | nr::ioctl => &[Dec, Hex, Hex],
        nr::ftruncate => &[Dec, Dec],
        nr::exit | nr::exit_group => &[Dec],
        nr::mmap => &[Hex, Hex, Hex, Hex, Dec, Hex],
        nr::munmap | nr::mprotect | nr::madvise | nr::msync => &[Hex, Hex, Hex],
        nr::mremap => &[Hex, Hex, Hex, Hex, Hex],
        nr::brk | nr::set_tid_address => &[Hex],
        nr::faultline_trace => &[Dec, Str, Dec],
        nr::futex => &[Hex, Hex, Dec, Hex, Hex, Hex],
        nr::clone => &[Hex, Hex, Hex, Hex, Hex],
        nr::clone3 => &[Hex, Dec],
        nr::kill | nr::tkill => &[Dec, Dec],
        nr::tgkill => &[Dec, Dec, Dec],
        nr::rt_sigaction | nr::rt_sigprocmask => &[Dec, Hex, Hex, Dec],
        nr::clock_gettime | nr::clock_getres => &[Dec, Hex],
        nr::set_robust_list => &[Hex, Dec],
        nr::prlimit64 => &[Dec, Dec, Hex, Hex],
        nr::getrandom => &[Hex, Dec, Hex],
        nr::gettid | nr::getpid | nr::getppid | nr::sched_yield => &[],
        nr::socket | nr::bind | nr::connect => &[Dec, Hex, Dec],
        nr::listen | nr::shutdown => &[Dec, Dec],
        nr::accept4 => &[Dec, Hex, Hex, Hex],
        nr::accept | nr::getsockname | nr::getpeername => &[Dec, Hex, Hex],
        nr::sendto | nr::recvfrom => &[Dec, Hex, Dec, Hex, Hex, Dec],
        nr::sendmsg | nr::recvmsg => &[Dec, Hex, Hex],
        nr::setsockopt | nr::getsockopt => &[Dec, Dec, Dec, Hex, Dec],
        _ => &[Hex, Hex, Hex, Hex, Hex, Hex],
    }
}

fn show(mm: &AddressSpace, kind: Arg, v: u64) -> String {
    match kind {
        Dec => (v as i64).to_string(),
        Hex => format!("{v:#x}"),
        Str if v == 0 => "NULL".to_string(),
        Str => match mm.read_cstring(v, 256) {
            Ok(s) => format!("{:?}", String::from_utf8_lossy(&s)),
            Err(_) => format!("{v:#x}"),
        },
    }
}

/// Prints the line for system call `n` of thread `tid` and how it ended (`a0` is the
/// register after a call that restores registers).
pub(crate) fn trace(mm: &AddressSpace, tid: u32, n: u64, a: &[u64; 6], outcome: &Outcome, a0: u64) {
    let name = nr::name(n).map_or_else(|| format!("syscall_{n}"), str::to_string);
    let args: Vec<String> = signature(n)
        .iter()
        .zip(a)
        .map(|(&k, &v)| show(mm, k, v))
        .collect();
    let result = match outcome {
        Outcome::Return(v) if (-4095..0).contains(v) => {
            let e = std::io::Error::from_raw_os_error(i32::try_from(-*v).expect("an errno"));
            let text = e.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_string();
            format!("-1 errno={} ({text})", -v)
        }
        Outcome::Return(v) if matches!(n, nr::mmap | nr::mremap | nr::brk) => format!("{v:#x}"),
        Outcome::Return(v) => v.to_string(),
        Outcome::Resume => format!("{a0:#x} (registers restored)"),
        Outcome::ExitThread(s) | Outcome::ExitGroup(s) => format!("? (exit {s})"),
        Outcome::Signal(s, _) => format!("? (killed by signal {s})"),
    };
    eprintln!("{tid} {name}({}) = {result}", args.join(", "));
}
