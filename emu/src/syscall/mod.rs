//! The Linux system-call layer (riscv64 numbers): dispatch, and one module per family.

pub(crate) mod blocking_io;
pub(crate) mod children;
pub(crate) mod clone;
pub(crate) mod epoll;
pub(crate) mod eventfd;
pub(crate) mod exec;
pub(crate) mod fs;
pub(crate) mod futex;
pub(crate) mod kill;
pub(crate) mod mm;
pub(crate) mod new_hart;
pub(crate) mod new_process;
pub(crate) mod poll;
pub(crate) mod priority;
pub(crate) mod restart;
pub(crate) mod rusage;
pub(crate) mod sched;
pub(crate) mod signal;
pub(crate) mod signalfd;
pub(crate) mod sigwait;
pub(crate) mod sockaddr_io;
pub(crate) mod socket;
pub(crate) mod socket_io;
pub(crate) mod socket_opt;
pub(crate) mod strace;
pub(crate) mod sysinfo;
pub(crate) mod time;
pub(crate) mod timer;
pub(crate) mod timerfd;
pub(crate) mod trace_marker;

use crate::abi::nr;
use crate::abi::outcome::{ret, Outcome};
use crate::cpu::Cpu;
use crate::os::cached_files::{self, ProcessMemory};
use crate::thread::Thread;
use devices::cast::low_i32;
use devices::trace::{self, catalog, TraceArg, TraceValue};
use mmu::Errno;
use tracing::debug;

/// Runs system call `nr` for thread `t`, whose registers are `cpu`. In a trace it is a
/// slice named after the call (exit and exit_group, which do not return, are not; nor is
/// faultline_trace, whose begin and end markers must open and close the guest's own
/// slice rather than nest in the call's).
pub(crate) fn dispatch(t: &mut Thread, cpu: &mut Cpu, nr: u64, a: [u64; 6]) -> Outcome {
    let traced = trace::enabled() && !matches!(nr, nr::exit | nr::exit_group | nr::faultline_trace);
    if traced {
        trace::begin(
            nr::name(nr).unwrap_or("syscall"),
            &[
                TraceArg::new(catalog::ARG0, TraceValue::Uint(a[0])),
                TraceArg::new(catalog::ARG1, TraceValue::Uint(a[1])),
                TraceArg::new(catalog::ARG2, TraceValue::Uint(a[2])),
            ],
        );
    }
    let outcome = route(t, cpu, nr, a);
    if traced {
        match outcome {
            Outcome::Return(r) => trace::end(&[TraceArg::new(catalog::RET, TraceValue::Int(r))]),
            _ => trace::end(&[]),
        }
    }
    if t.proc.opts.strace {
        strace::trace(&t.proc.mm, t.tid, nr, &a, &outcome, cpu.x[10]);
    }
    if let Outcome::Return(r) = outcome {
        log_refusal(t.tid, nr, r);
    }
    outcome
}

/// Reports a call that failed as unimplemented (ENOSYS) or for an argument faultline
/// refused (EINVAL): the two failures that may be faultline's rather than the guest's.
fn log_refusal(tid: u32, n: u64, r: i64) {
    let errno = match r {
        _ if r == Errno::ENOSYS.neg() => "ENOSYS",
        _ if r == Errno::EINVAL.neg() => "EINVAL",
        _ => return,
    };
    debug!(
        target: "faultline::syscall",
        tid,
        call = nr::name(n).unwrap_or("unknown"),
        nr = n,
        errno,
        "system call failed"
    );
}

/// File system calls on an fd in a0 that need the host file current: syncs, and preadv2
/// (whose RWF_* flags read the host file directly; other reads go through the page
/// cache).
const FILE_SYNCS: &[u64] = &[nr::preadv2, nr::fsync, nr::fdatasync, nr::sync_file_range];
/// Calls that change the host file of the fd in a0 directly.
const FILE_WRITES: &[u64] = &[nr::ftruncate, nr::fallocate];
/// Writes, which go through the page cache unless they cannot (O_DIRECT…).
const BUFFERED_WRITES: &[u64] = &[
    nr::write,
    nr::pwrite64,
    nr::writev,
    nr::pwritev,
    nr::pwritev2,
];

/// The guest fds of call `n` whose host files it reads directly (bypassing the page
/// cache) and whose host file it writes.
fn host_file_fds(t: &Thread, n: u64, a: [u64; 6]) -> (Option<u64>, Option<u64>) {
    match n {
        _ if FILE_SYNCS.contains(&n) => (Some(a[0]), None),
        _ if FILE_WRITES.contains(&n) => (None, Some(a[0])),
        nr::read | nr::pread64 | nr::readv | nr::preadv
            if cached_files::is_direct(&t.proc.files, &t.proc.mm, a[0]) =>
        {
            (Some(a[0]), None)
        }
        _ if BUFFERED_WRITES.contains(&n) => {
            let direct = cached_files::write_bypasses_cache(&t.proc.files, &t.proc.mm, n, a);
            (None, direct.then_some(a[0]))
        }
        // sendfile(out, in, …), copy_file_range(in, off, out, …), splice(in, off, out, …).
        nr::sendfile => (Some(a[1]), Some(a[0])),
        nr::copy_file_range | nr::splice => (Some(a[0]), Some(a[2])),
        _ => (None, None),
    }
}

/// Runs a file system call, keeping the page cache coherent with it: dirty pages of
/// files it reads or writes on the host go there first (of every file for sync and
/// syncfs), and the cached pages it overwrote are reloaded.
fn file_call(t: &Thread, n: u64, a: [u64; 6]) -> Option<i64> {
    let (proc, mm) = (&t.proc, &*t.proc.mm);
    if n == nr::sync || n == nr::syncfs {
        // sync(2) cannot fail; syncfs reports a failed write-back.
        if let (Err(e), nr::syncfs) = (cached_files::sync_all(mm), n) {
            return Some(e.neg());
        }
    }
    let (read, written) = host_file_fds(t, n, a);
    if let Some(fd) = read {
        cached_files::before_file_call(&proc.files, mm, fd);
    }
    let cached = match n {
        nr::truncate => cached_files::before_path_truncate(&proc.files, mm, a[0]),
        _ => written.and_then(|fd| cached_files::before_file_call(&proc.files, mm, fd)),
    };
    let resizing = cached
        .as_ref()
        .filter(|_| n == nr::truncate || FILE_WRITES.contains(&n));
    let memory = ProcessMemory {
        mm,
        files: &proc.files,
    };
    if let Some(r) = (n == nr::openat)
        .then(|| fs::proc_self::openat(t, &memory, a))
        .flatten()
    {
        return Some(r);
    }
    let r = {
        let _resize = resizing.map(|f| f.lock_resize());
        proc.files.handle(&memory, n, a)?
    };
    let truncating_open = n == nr::openat && low_i32(a[2]) & libc::O_TRUNC != 0;
    if written.is_some() || n == nr::truncate || truncating_open {
        // The call changed a host file behind the cache: kept sizes are stale.
        proc.files.host_changes.record();
    }
    if truncating_open && r >= 0 {
        cached_files::after_truncating_open(&proc.files, mm, r as u64);
    }
    if let Some(file) = cached.filter(|_| r >= 0) {
        let range = cached_files::written_range(&proc.files, n, a, r as u64);
        cached_files::after_file_write(mm, &file, range);
    }
    Some(r)
}

fn route(t: &mut Thread, cpu: &mut Cpu, n: u64, a: [u64; 6]) -> Outcome {
    if let Some(r) = signalfd::read(t, n, a) {
        return ret(r);
    }
    if let Some(v) = blocking_io::wait_ready(t, n, a) {
        return Outcome::Return(v);
    }
    if let Some(v) = file_call(t, n, a) {
        return Outcome::Return(v);
    }
    if let Some(o) = mm::handle(t, n, a) {
        return o;
    }
    if let Some(o) = clone::handle(t, cpu, n, a) {
        return o;
    }
    if let Some(o) = exec::handle(t, cpu, n, a) {
        return o;
    }
    if let Some(o) = children::handle(t, n, a) {
        return o;
    }
    if let Some(o) = time::handle(t, n, a) {
        return o;
    }
    if let Some(o) = signal::handle(t, cpu, n, a) {
        return o;
    }
    if n == nr::eventfd2 {
        return eventfd::eventfd2(t, a);
    }
    if n == nr::signalfd4 {
        return ret(signalfd::signalfd4(t, a));
    }
    if let Some(o) = socket::handle(t, n, a) {
        return o;
    }
    if let Some(o) = epoll::handle(t, n, a) {
        return o;
    }
    if let Some(o) = poll::handle(t, n, a) {
        return o;
    }
    if let Some(o) = timerfd::handle(t, n, a) {
        return o;
    }
    if let Some(o) = timer::handle(t, n, a) {
        return o;
    }
    if let Some(o) = kill::handle(t, n, a) {
        return o;
    }
    if let Some(o) = sigwait::handle(t, n, a) {
        return o;
    }
    if n == nr::restart_syscall {
        return restart::restart_syscall(t);
    }
    if let Some(o) = priority::handle(t, n, a) {
        return o;
    }
    if let Some(o) = sched::handle(t, n, a) {
        return o;
    }
    if let Some(o) = sysinfo::handle(t, n, a) {
        return o;
    }
    if let Some(o) = trace_marker::handle(t, n, a) {
        return o;
    }
    t.proc.warn_unsupported(n);
    Outcome::Return(Errno::ENOSYS.neg())
}
