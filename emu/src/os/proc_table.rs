//! The machine's processes as Linux relates them: ids, parents and children, process
//! groups and sessions, zombies and their exit status, and the parent a vfork suspends.
//!
//! Process and thread ids come from one counter, in creation order: under the virtual
//! clock the initial process is 1000 and every later process or thread takes the next
//! number; under the host clock the initial process has faultline's own host pid and
//! the counter continues from there. These ids name guest processes only: a guest
//! cannot signal a host process, so an id that a host process also has is harmless.

use devices::Parker;
use mmu::Errno;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExitHow {
    /// exit or exit_group with this status (its low 8 bits count).
    Code(i32),
    /// Killed by this signal. faultline writes no core files, so no status says that a
    /// core was dumped (as on Linux with RLIMIT_CORE 0).
    Signal(i32),
}

/// No child to wait for.
pub(crate) const ECHILD: Errno = Errno(libc::ECHILD);

/// waitid's `si_code` for a child that exited.
pub(crate) const CLD_EXITED: i32 = 1;
/// waitid's `si_code` for a child killed by a signal.
pub(crate) const CLD_KILLED: i32 = 2;

impl ExitHow {
    /// The status word wait4 stores, as Linux encodes it: the exit code in bits 8..16,
    /// or the signal number in the low 7 bits.
    pub(crate) fn wait_status(self) -> i32 {
        match self {
            ExitHow::Code(c) => (c & 0xff) << 8,
            ExitHow::Signal(s) => s & 0x7f,
        }
    }

    /// waitid's and SIGCHLD's (`si_code`, `si_status`).
    pub(crate) fn child_code(self) -> (i32, i32) {
        match self {
            ExitHow::Code(c) => (CLD_EXITED, c & 0xff),
            ExitHow::Signal(s) => (CLD_KILLED, s),
        }
    }

    /// faultline's own exit status when the initial process ends so: the code, or 128
    /// plus the signal, as a shell reports it.
    pub(crate) fn host_status(self) -> i32 {
        match self {
            ExitHow::Code(c) => c & 0xff,
            ExitHow::Signal(s) => 128 + s,
        }
    }
}

/// One process's place in the table, until its parent reaps it.
struct Entry<I> {
    ppid: u32,
    pgid: u32,
    sid: u32,
    /// The running image (None once it ended).
    image: Option<Arc<I>>,
    /// How it ended: a zombie until reaped.
    exit: Option<ExitHow>,
    /// Its threads waiting in wait4 or waitid for a child to change state.
    child_waiters: Vec<Arc<Parker>>,
    /// The parent's thread suspended by the vfork that made this process, until it
    /// execs or exits.
    vfork_parent: Option<Arc<Parker>>,
}

/// What the statistics show of a process: its id, its parent's and its threads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProcSummary {
    /// Its process id.
    pub pid: u32,
    /// Its parent's when it was made (the initial process's: the run's parent).
    pub ppid: u32,
    /// Every thread that ran in it, in the order they started.
    pub harts: Vec<u32>,
}

/// Named counters, as `--stats` writes them.
pub(crate) type Counters = BTreeMap<String, u64>;

/// Adds every counter of `from` to `into`.
pub(crate) fn add_counters(into: &mut Counters, from: &Counters) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

/// Which children a wait accepts (wait4's pid argument, waitid's idtype and id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChildSet {
    /// Any child.
    Any,
    /// The child with this pid.
    Pid(u32),
    /// Children in this process group.
    Group(u32),
}

/// A child a wait found changed: its pid and how it ended.
pub(crate) type Reaped = (u32, ExitHow);

/// The processes of one run, whose running images are `I`s (the emulator's
/// [`Process`](super::process::Process)).
pub(crate) struct ProcTable<I> {
    /// Live and zombie processes by pid.
    procs: Mutex<BTreeMap<u32, Entry<I>>>,
    /// Every process made in the run, for the statistics.
    summaries: Mutex<BTreeMap<u32, ProcSummary>>,
    /// The counters of harts whose image is gone, by thread id (summed over images).
    retired: Mutex<BTreeMap<u32, Counters>>,
    next_id: AtomicU32,
    initial: u32,
}

impl<I> ProcTable<I> {
    /// The table of a run whose initial process is `pid`, child of `ppid` (outside the
    /// run); the initial process leads its own process group and session.
    pub(crate) fn new(pid: u32, ppid: u32) -> Arc<ProcTable<I>> {
        let entry = Entry {
            ppid,
            pgid: pid,
            sid: pid,
            image: None,
            exit: None,
            child_waiters: Vec::new(),
            vfork_parent: None,
        };
        let summary = ProcSummary {
            pid,
            ppid,
            harts: Vec::new(),
        };
        Arc::new(ProcTable {
            procs: Mutex::new(BTreeMap::from([(pid, entry)])),
            summaries: Mutex::new(BTreeMap::from([(pid, summary)])),
            retired: Mutex::default(),
            // The initial process's id is taken by its first thread.
            next_id: AtomicU32::new(pid),
            initial: pid,
        })
    }

    /// The initial process's id: orphans' new parent, whose end ends the run.
    pub(crate) fn initial(&self) -> u32 {
        self.initial
    }

    /// Allocates the next process or thread id.
    pub(crate) fn alloc_id(&self) -> u32 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Records process `pid`'s running image (at start and at each execve).
    pub(crate) fn set_image(&self, pid: u32, image: Arc<I>) {
        let old = self
            .procs
            .lock()
            .get_mut(&pid)
            .and_then(|e| e.image.replace(image));
        // Dropped unlocked: an image's end may look at the table.
        drop(old);
    }

    /// Adds process `pid`, a child of `ppid` in its group and session, running `image`.
    pub(crate) fn add_child(&self, pid: u32, ppid: u32, image: Arc<I>) {
        let mut procs = self.procs.lock();
        let (pgid, sid) = procs.get(&ppid).map_or((ppid, ppid), |p| (p.pgid, p.sid));
        procs.insert(
            pid,
            Entry {
                ppid,
                pgid,
                sid,
                image: Some(image),
                exit: None,
                child_waiters: Vec::new(),
                vfork_parent: None,
            },
        );
        self.summaries.lock().insert(
            pid,
            ProcSummary {
                pid,
                ppid,
                harts: Vec::new(),
            },
        );
    }

    /// Records that thread `tid` runs in process `pid`.
    pub(crate) fn add_hart(&self, pid: u32, tid: u32) {
        if let Some(s) = self.summaries.lock().get_mut(&pid) {
            if !s.harts.contains(&tid) {
                s.harts.push(tid);
            }
        }
    }

    /// Keeps the counters of an image that is gone, by thread id, for the statistics.
    pub(crate) fn retire(&self, per_hart: BTreeMap<u32, Counters>) {
        let mut retired = self.retired.lock();
        for (tid, counters) in per_hart {
            add_counters(retired.entry(tid).or_default(), &counters);
        }
    }

    /// The counters of every hart whose image is gone, by thread id.
    pub(crate) fn retired(&self) -> BTreeMap<u32, Counters> {
        self.retired.lock().clone()
    }

    /// Every process of the run, in pid order.
    pub(crate) fn summaries(&self) -> Vec<ProcSummary> {
        self.summaries.lock().values().cloned().collect()
    }

    /// The running image of live process `pid`.
    pub(crate) fn image(&self, pid: u32) -> Option<Arc<I>> {
        self.procs.lock().get(&pid).and_then(|e| e.image.clone())
    }

    /// Whether `pid` is in the table (live or a zombie), as kill(pid, 0) asks.
    pub(crate) fn exists(&self, pid: u32) -> bool {
        self.procs.lock().contains_key(&pid)
    }

    /// The running images of the live processes in group `pgid`, in pid order.
    pub(crate) fn group(&self, pgid: u32) -> Vec<Arc<I>> {
        self.procs
            .lock()
            .values()
            .filter(|e| e.pgid == pgid)
            .filter_map(|e| e.image.clone())
            .collect()
    }

    /// Every live process's running image, in pid order.
    pub(crate) fn all(&self) -> Vec<Arc<I>> {
        self.procs
            .lock()
            .values()
            .filter_map(|e| e.image.clone())
            .collect()
    }

    /// `pid`'s parent.
    pub(crate) fn ppid(&self, pid: u32) -> u32 {
        self.procs.lock().get(&pid).map_or(0, |e| e.ppid)
    }

    /// getpgid(pid): ESRCH if there is no such process.
    pub(crate) fn pgid(&self, pid: u32) -> Result<u32, Errno> {
        self.procs
            .lock()
            .get(&pid)
            .map(|e| e.pgid)
            .ok_or(Errno::ESRCH)
    }

    /// getsid(pid): ESRCH if there is no such process.
    pub(crate) fn sid(&self, pid: u32) -> Result<u32, Errno> {
        self.procs
            .lock()
            .get(&pid)
            .map(|e| e.sid)
            .ok_or(Errno::ESRCH)
    }

    /// setpgid(pid, pgid) called by process `caller`, with Linux's rules: `pid` is the
    /// caller or one of its children (ESRCH), in its session (EPERM); a session leader
    /// cannot move (EPERM); the group joined must exist in the caller's session unless
    /// it is the process's own new group (EPERM).
    pub(crate) fn setpgid(&self, caller: u32, pid: u32, pgid: u32) -> Result<(), Errno> {
        let mut procs = self.procs.lock();
        let pid = if pid == 0 { caller } else { pid };
        let pgid = if pgid == 0 { pid } else { pgid };
        let caller_sid = procs.get(&caller).ok_or(Errno::ESRCH)?.sid;
        let target = procs.get(&pid).ok_or(Errno::ESRCH)?;
        if pid != caller && target.ppid != caller {
            return Err(Errno::ESRCH);
        }
        if target.sid != caller_sid || target.sid == pid {
            return Err(Errno::EPERM);
        }
        if pgid != pid
            && !procs
                .values()
                .any(|e| e.pgid == pgid && e.sid == caller_sid)
        {
            return Err(Errno::EPERM);
        }
        if let Some(e) = procs.get_mut(&pid) {
            e.pgid = pgid;
        }
        Ok(())
    }

    /// setsid() by process `pid`: EPERM if it already leads a process group.
    pub(crate) fn setsid(&self, pid: u32) -> Result<u32, Errno> {
        let mut procs = self.procs.lock();
        if procs.values().any(|e| e.pgid == pid) {
            return Err(Errno::EPERM);
        }
        let e = procs.get_mut(&pid).ok_or(Errno::ESRCH)?;
        e.pgid = pid;
        e.sid = pid;
        Ok(pid)
    }

    /// Records that the thread whose parker is `parker` will wait for vfork child
    /// `child` to exec or exit; before the child starts, so it cannot be missed.
    pub(crate) fn expect_vfork(&self, child: u32, parker: &Arc<Parker>) {
        if let Some(e) = self.procs.lock().get_mut(&child) {
            e.vfork_parent = Some(parker.clone());
        }
    }

    /// Waits until vfork child `child` execs or exits: `park` waits once on the parker
    /// given to [`expect_vfork`](Self::expect_vfork), through the run's clock.
    pub(crate) fn wait_vfork(&self, child: u32, park: impl Fn()) {
        loop {
            let waiting = self
                .procs
                .lock()
                .get(&child)
                .is_some_and(|e| e.vfork_parent.is_some());
            if !waiting {
                return;
            }
            park();
        }
    }

    /// Lets the parent a vfork suspended go on: `pid` exec'd or is ending.
    pub(crate) fn release_vfork(&self, pid: u32) {
        let parker = self
            .procs
            .lock()
            .get_mut(&pid)
            .and_then(|e| e.vfork_parent.take());
        if let Some(p) = parker {
            p.unpark();
        }
    }

    /// Process `pid` ended `how`: it becomes a zombie, its children become the initial
    /// process's, its parent's image is told by `tell` (which returns whether the
    /// zombie is reaped at once), and the parent's threads waiting for a child are
    /// woken. All of it under the table's lock, as Linux's `exit_notify` does it under
    /// `tasklist_lock`: a parent sees the zombie and its SIGCHLD together.
    pub(crate) fn exited(&self, pid: u32, how: ExitHow, tell: &dyn Fn(&I) -> bool) {
        let mut procs = self.procs.lock();
        let Some(e) = procs.get_mut(&pid) else {
            return;
        };
        e.exit = Some(how);
        let gone = e.image.take();
        let ppid = e.ppid;
        let vfork = e.vfork_parent.take();
        let mut orphan_zombies = false;
        for child in procs.values_mut().filter(|c| c.ppid == pid) {
            child.ppid = self.initial;
            orphan_zombies |= child.exit.is_some();
        }
        if orphan_zombies {
            wake(procs.get_mut(&self.initial));
        }
        let image = procs.get(&ppid).and_then(|p| p.image.clone());
        if image.as_deref().is_some_and(tell) {
            procs.remove(&pid);
        }
        wake(procs.get_mut(&ppid));
        drop(procs);
        // Dropped unlocked: an image's end may look at the table.
        drop(gone);
        if let Some(p) = vfork {
            p.unpark();
        }
    }

    /// Looks for a zombie among `parent`'s children in `which`: ECHILD if there is no
    /// such child at all, None if none has ended yet. A found zombie is removed if
    /// `reap`.
    pub(crate) fn find_zombie(
        &self,
        parent: u32,
        which: ChildSet,
        reap: bool,
    ) -> Result<Option<Reaped>, Errno> {
        let mut procs = self.procs.lock();
        let matches = |pid: u32, e: &Entry<I>| {
            e.ppid == parent
                && match which {
                    ChildSet::Any => true,
                    ChildSet::Pid(p) => p == pid,
                    ChildSet::Group(g) => e.pgid == g,
                }
        };
        let mut any = false;
        let mut found = None;
        for (pid, e) in procs.iter() {
            if matches(*pid, e) {
                any = true;
                if let Some(how) = e.exit {
                    found = Some((*pid, how));
                    break;
                }
            }
        }
        if !any {
            return Err(ECHILD);
        }
        if let (Some((pid, _)), true) = (found, reap) {
            procs.remove(&pid);
        }
        Ok(found)
    }

    /// Registers (`on`) or removes a thread of `pid` waiting for its children.
    pub(crate) fn watch_children(&self, pid: u32, parker: &Arc<Parker>, on: bool) {
        if let Some(e) = self.procs.lock().get_mut(&pid) {
            e.child_waiters.retain(|p| !Arc::ptr_eq(p, parker));
            if on {
                e.child_waiters.push(parker.clone());
            }
        }
    }
}

/// Wakes the threads of `entry` waiting for a child.
fn wake<I>(entry: Option<&mut Entry<I>>) {
    if let Some(e) = entry {
        for p in &e.child_waiters {
            p.unpark();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_are_linux_s() {
        assert_eq!(ExitHow::Code(3).wait_status(), 0x300);
        assert_eq!(ExitHow::Code(256 + 7).wait_status(), 0x700);
        assert_eq!(ExitHow::Signal(9).wait_status(), 9);
        assert_eq!(ExitHow::Signal(15).child_code(), (CLD_KILLED, 15));
        assert_eq!(ExitHow::Code(2).child_code(), (CLD_EXITED, 2));
        assert_eq!(ExitHow::Signal(11).host_status(), 139);
    }

    #[test]
    fn zombies_are_found_by_their_parent_and_orphans_go_to_the_initial_process() {
        let t = ProcTable::<()>::new(1000, 1);
        assert_eq!(t.alloc_id(), 1000);
        let (a, b) = (t.alloc_id(), t.alloc_id());
        t.procs.lock().insert(a, child_entry(1000));
        t.procs.lock().insert(b, child_entry(a));
        assert_eq!(t.find_zombie(1000, ChildSet::Any, true), Ok(None));
        assert_eq!(t.find_zombie(a, ChildSet::Pid(a), true), Err(ECHILD));
        t.exited(a, ExitHow::Code(4), &|_| true);
        assert_eq!(t.ppid(b), 1000);
        assert_eq!(
            t.find_zombie(1000, ChildSet::Group(1000), false),
            Ok(Some((a, ExitHow::Code(4))))
        );
        assert_eq!(
            t.find_zombie(1000, ChildSet::Pid(a), true),
            Ok(Some((a, ExitHow::Code(4))))
        );
        assert!(!t.exists(a));
        assert_eq!(t.find_zombie(1000, ChildSet::Pid(a), true), Err(ECHILD));
    }

    #[test]
    fn groups_and_sessions_follow_linux_s_rules() {
        let t = ProcTable::<()>::new(1000, 1);
        t.procs.lock().insert(1001, child_entry(1000));
        assert_eq!(t.pgid(1001), Ok(1000));
        assert_eq!(
            t.setpgid(1000, 1000, 0),
            Err(Errno::EPERM),
            "session leader"
        );
        assert_eq!(t.setpgid(1000, 1001, 0), Ok(()));
        assert_eq!(t.pgid(1001), Ok(1001));
        assert_eq!(t.setpgid(1000, 1002, 0), Err(Errno::ESRCH));
        assert_eq!(t.setpgid(1000, 1001, 77), Err(Errno::EPERM));
        assert_eq!(t.setsid(1001), Err(Errno::EPERM), "a group leader");
        t.procs.lock().insert(1002, child_entry(1000));
        assert_eq!(t.setsid(1002), Ok(1002));
        assert_eq!(t.sid(1002), Ok(1002));
    }

    fn child_entry(ppid: u32) -> Entry<()> {
        Entry {
            ppid,
            pgid: 1000,
            sid: 1000,
            image: None,
            exit: None,
            child_waiters: Vec::new(),
            vfork_parent: None,
        }
    }
}
