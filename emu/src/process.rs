//! A guest process: its address space, files, threads and the way it ends.

use crate::syscall::filemap::SharedFileMaps;
use crate::syscall::fs::Files;
use crate::syscall::futex::FutexTable;
use crate::syscall::signal::SignalState;
use mmu::{AddressSpace, HartSignal};
use parking_lot::Mutex;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// How the guest was started, as the system calls need to know it.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Print each system call with its arguments and result on stderr.
    pub strace: bool,
    /// Where to write the JSON statistics at exit.
    pub stats: Option<PathBuf>,
}

/// Emulator request bit raised on every hart when the process is going away.
pub const REQ_EXIT: u32 = 1;

/// What one hart reports when it stops.
#[derive(Clone, Copy, Debug, Default)]
pub struct HartReport {
    /// Instructions retired by the hart.
    pub instructions: u64,
}

/// The shared state of one guest process (all its threads).
pub struct Process {
    /// The address space the harts share.
    pub mm: Arc<AddressSpace>,
    /// The fd table, working directory and root.
    pub files: Files,
    /// Start-up options.
    pub opts: RunOptions,
    /// The process id the guest sees.
    pub pid: u32,
    /// Futex wait queues.
    pub futexes: FutexTable,
    /// Signal dispositions.
    pub signals: SignalState,
    /// MAP_SHARED file mappings, written back at msync, munmap and exit.
    pub shared_maps: SharedFileMaps,
    /// Live threads: tid → the handle that interrupts its hart.
    threads: Mutex<BTreeMap<u32, Arc<HartSignal>>>,
    /// Reports of harts that have stopped, and of running ones once they stop.
    reports: Mutex<BTreeMap<u32, HartReport>>,
    next_tid: AtomicU32,
    warned: Mutex<HashSet<u64>>,
    exiting: Mutex<bool>,
}

impl Process {
    /// A process with no threads yet.
    pub fn new(mm: Arc<AddressSpace>, files: Files, opts: RunOptions) -> Arc<Process> {
        let pid = std::process::id();
        Arc::new(Process {
            mm,
            files,
            opts,
            pid,
            futexes: FutexTable::default(),
            signals: SignalState::default(),
            shared_maps: SharedFileMaps::default(),
            threads: Mutex::new(BTreeMap::new()),
            reports: Mutex::new(BTreeMap::new()),
            next_tid: AtomicU32::new(pid),
            warned: Mutex::new(HashSet::new()),
            exiting: Mutex::new(false),
        })
    }

    /// Allocates a thread id (the first one is the pid).
    pub fn alloc_tid(&self) -> u32 {
        self.next_tid.fetch_add(1, Ordering::Relaxed)
    }

    /// Records a live thread.
    pub fn add_thread(&self, tid: u32, signal: Arc<HartSignal>) {
        self.threads.lock().insert(tid, signal);
    }

    /// Removes a thread that ended, keeping its report; returns how many remain.
    pub fn remove_thread(&self, tid: u32, report: HartReport) -> usize {
        self.reports.lock().insert(tid, report);
        let mut t = self.threads.lock();
        t.remove(&tid);
        t.len()
    }

    /// Records a hart's latest report without removing it (used at process exit).
    pub fn record_report(&self, tid: u32, report: HartReport) {
        self.reports.lock().insert(tid, report);
    }

    /// Prints one warning per unsupported system call number.
    pub fn warn_unsupported(&self, nr: u64) {
        if self.warned.lock().insert(nr) {
            let name = crate::syscall::nr::name(nr).unwrap_or("unknown");
            eprintln!("faultline: warning: unsupported system call {name} ({nr}) returns ENOSYS");
        }
    }

    /// Ends the whole process with `status` (exit_group or a fatal signal): writes the
    /// statistics and exits the emulator. Only the first caller proceeds; the others park
    /// forever while it exits.
    pub fn exit(&self, status: i32, last: Option<(u32, HartReport)>) -> ! {
        {
            let mut e = self.exiting.lock();
            if *e {
                drop(e);
                loop {
                    std::thread::park();
                }
            }
            *e = true;
        }
        if let Some((tid, r)) = last {
            self.record_report(tid, r);
        }
        for s in self.threads.lock().values() {
            s.raise(REQ_EXIT);
        }
        self.shared_maps.sync_all(&self.mm);
        if let Some(path) = &self.opts.stats {
            if let Err(e) = self.write_stats(path) {
                eprintln!("faultline: cannot write stats to {}: {e}", path.display());
            }
        }
        let _ = std::io::stdout().flush();
        std::process::exit(status)
    }

    fn write_stats(&self, path: &std::path::Path) -> std::io::Result<()> {
        let mm = self.mm.stats();
        let reports = self.reports.lock().clone();
        let mut harts = Vec::new();
        let mut total_insns = 0;
        for (tid, counters) in &mm.per_hart {
            let mut h = Map::new();
            h.insert("tid".into(), json!(tid));
            let insns = reports.get(tid).map_or(0, |r| r.instructions);
            total_insns += insns;
            h.insert("instructions".into(), json!(insns));
            for (k, v) in counters {
                h.insert(k.clone(), json!(v));
            }
            harts.push(Value::Object(h));
        }
        let mut total = Map::new();
        total.insert("instructions".into(), json!(total_insns));
        for (k, v) in &mm.total {
            total.insert(k.clone(), json!(v));
        }
        let doc = json!({ "harts": harts, "total": total });
        let text = serde_json::to_string_pretty(&doc)?;
        // Written beside and renamed, so a reader never sees a half-written file.
        let tmp = path.with_extension("tmp~");
        std::fs::write(&tmp, text + "\n")?;
        std::fs::rename(&tmp, path)
    }
}

impl Process {
    /// Prints one warning per unsupported clone flag combination.
    pub fn warn_unsupported_clone(&self, flags: u64) {
        // Keyed apart from syscall numbers by the high bit.
        if self.warned.lock().insert(flags | 1 << 63) {
            eprintln!(
                "faultline: warning: clone with flags {flags:#x} (a new process) is not supported yet; returns ENOSYS"
            );
        }
    }
}
