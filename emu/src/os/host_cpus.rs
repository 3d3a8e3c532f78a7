//! The host CPUs faultline may run on, and pinning a thread to one of them: a virtual
//! run keeps all its threads on one host CPU, and `compare` gives each of its runs side
//! by side a CPU of its own.

/// The host CPUs the calling thread may run on, in order (none where the affinity
/// cannot be read).
pub(crate) fn usable() -> Vec<usize> {
    // SAFETY: an all-zero cpu_set_t is a valid, empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `set` is a cpu_set_t of `size` bytes that sched_getaffinity fills.
    if unsafe { libc::sched_getaffinity(0, size, &mut set) } != 0 {
        return Vec::new();
    }
    let setsize = usize::try_from(libc::CPU_SETSIZE).unwrap_or(0);
    // SAFETY: CPU_ISSET reads bit `cpu` of `set`, below CPU_SETSIZE.
    (0..setsize)
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect()
}

/// Lets the calling thread (and the threads it starts later) run on host CPU `cpu`
/// only; false where that cannot be done. It allocates nothing and takes no lock, so a
/// child may call it between fork and exec.
pub(crate) fn pin_calling_thread(cpu: usize) -> bool {
    if cpu >= usize::try_from(libc::CPU_SETSIZE).unwrap_or(0) {
        return false;
    }
    // SAFETY: an all-zero cpu_set_t is a valid, empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` is below CPU_SETSIZE (checked above).
    unsafe { libc::CPU_SET(cpu, &mut set) };
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `set` is a valid cpu_set_t of `size` bytes; 0 is the calling thread.
    unsafe { libc::sched_setaffinity(0, size, &set) == 0 }
}
