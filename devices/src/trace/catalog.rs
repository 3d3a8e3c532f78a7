//! The names faultline's traces use: every event, argument and counter track a recorder
//! writes and `faultline report` reads, in one place. Slices are on the recording
//! thread's own track unless said otherwise; "begin" and "end" list the arguments each
//! side carries (an end's arguments join its slice's).

/// A guest page fault (hart track). Begin: [`ADDR`], [`ACCESS`]. End: [`OUTCOME`],
/// [`PATH`], [`ATTEMPTS`].
pub const FAULT: &str = "fault";
/// One attempt of a fault, nested in [`FAULT`], recorded only when something happened
/// inside it (a wait, a lock taken, I/O submitted): a quick attempt leaves no slice, and
/// the fault's [`PATH`] and [`ATTEMPTS`] still count it. Begin: [`LOCK`] (`vma` or
/// `mmap`), [`TRIED`], [`VMA`] (the VMA's start). End: [`RESULT`].
pub const FAULT_ATTEMPT: &str = "fault attempt";
/// A retry after an I/O wait found its page gone from the page cache again (instant).
pub const RETRY_IO_MISS: &str = "retry_io_miss";

/// Waiting to take `mmap_lock` for read. Begin: [`WRITER`], [`READERS`], [`AHEAD`],
/// [`WRITERS_AHEAD`]. The hold slice that follows it carries the flow from the release
/// that let it in.
pub const MMAP_LOCK_READ_WAIT: &str = "mmap_lock read wait";
/// Waiting to take `mmap_lock` for write; as [`MMAP_LOCK_READ_WAIT`].
pub const MMAP_LOCK_WRITE_WAIT: &str = "mmap_lock write wait";
/// Holding `mmap_lock` for read.
pub const MMAP_LOCK_READ: &str = "mmap_lock read";
/// Holding `mmap_lock` for write.
pub const MMAP_LOCK_WRITE: &str = "mmap_lock write";
/// A release of a lock that let a waiter in (instant): [`WAITER`]; the flow to the
/// waiter's wait starts here.
pub const LOCK_HANDOFF: &str = "lock handoff";
/// A waiter woken by a release found the lock taken again and waits on (instant): the
/// flow from that release's [`LOCK_HANDOFF`] ends here.
pub const LOCK_RETRY: &str = "lock retry";
/// An mm operation waiting for a VMA's readers before write-locking it. Begin: [`VMA`]
/// (the VMA's start), [`READER_COUNT`]. The readers are the threads whose `vma`
/// attempts on it are open.
pub const VMA_WRITE_WAIT: &str = "vma write wait";
/// The last reader of a VMA a writer waits for left it (instant on that reader's track):
/// the flow to the writer's [`VMA_WRITE_LOCKED`] starts here.
pub const VMA_DRAINED: &str = "vma drained";
/// A writer that waited for a VMA's readers has it (instant, right after its
/// [`VMA_WRITE_WAIT`]): the flow from [`VMA_DRAINED`] ends here.
pub const VMA_WRITE_LOCKED: &str = "vma write locked";
/// A fault waiting for a folio: its read (I/O) or another holder's lock. Begin:
/// [`WHAT`] (`io` or `locked`), [`LOCK`], [`HELD`] (whether the fault lock was kept).
pub const FOLIO_WAIT: &str = "folio wait";
/// A futex wait. Begin: [`UADDR`]. End: [`RESULT`].
pub const FUTEX_WAIT: &str = "futex wait";
/// Under the virtual clock, a hart that offered its CPU (at a quantum's end or a system
/// call) and waited to run again while other tasks ran: preempted, or sharing its CPU.
pub const RUNNABLE: &str = "runnable";
/// A TLB shootdown this thread initiated. Begin: [`TARGETS`].
pub const SHOOTDOWN: &str = "tlb shootdown";
/// A reclaim batch (kswapd's track, or a hart's for direct reclaim). End: [`SCANNED`],
/// [`RECLAIMED`].
pub const RECLAIM: &str = "reclaim";
/// A write-back run (the flusher's track, or a hart's when it writes back itself). End:
/// [`PAGES`].
pub const WRITEBACK: &str = "writeback";
// A system call is a slice named after it (`mmap`, `futex`...). Begin: [`ARG0`],
// [`ARG1`], [`ARG2`]. End: [`RET`].

/// A request handed to a device (instant on the submitter's track): [`REQUEST`],
/// [`CLASS`], [`PRIO`], [`QUEUE_POS`], [`BYTES`]. The flow to its [`IO_COMPLETE`] (on
/// the device's lane, which names the device) starts here.
pub const IO_SUBMIT: &str = "io submit";
/// A request on a device lane, from submit to completion; the slice is named after its
/// [`OP`] (`read` or `write`). Begin: [`REQUEST`], [`CLASS`], [`PRIO`], [`QUEUE_POS`],
/// [`SUBMITTER`]. End: [`REQUEST`] (its begin and end come from different threads, so
/// a reader may see the end first), [`QUEUE_NS`], [`SERVICE_NS`], [`RESULT`].
pub const IO_READ: &str = "read";
/// See [`IO_READ`].
pub const IO_WRITE: &str = "write";
/// A request's completion (instant on its lane, just before the slice ends): the flow
/// from its [`IO_SUBMIT`] ends here.
pub const IO_COMPLETE: &str = "io complete";

/// A timed injection of `faultline run --inject` fired (instant on the `inject` track):
/// [`ACTION`].
pub const INJECT: &str = "inject";

// A guest marker is a slice or instant with the name the guest gave, or a counter track
// of that name.

/// The trace's last event (on the process track): [`DROPPED`], [`STALL_NS`].
pub const TRACE_END: &str = "trace.end";

/// Counter track: threads queued on `mmap_lock`.
pub const COUNTER_MMAP_LOCK_QUEUE: &str = "mmap_lock queue";
// Counter tracks `DEVICE queue depth: CLASS` (`disk queue depth: idle`): a device's
// requests queued or in service per I/O class.
/// Counter track: pages resident in the address space (anonymous and file).
pub const COUNTER_RESIDENT: &str = "resident pages";
/// Counter track: free frames in the frame pool.
pub const COUNTER_FREE_FRAMES: &str = "free frames";

/// Argument: a guest address.
pub const ADDR: &str = "addr";
/// Argument: `read`, `write` or `exec`.
pub const ACCESS: &str = "access";
/// Argument: how a fault ended: `minor`, `major`, `sigsegv`, `sigbus`, `killed`, `oom`.
pub const OUTCOME: &str = "outcome";
/// Argument: the locks a fault's attempts took, in order: `vma`, `mmap` or `vma+mmap`.
pub const PATH: &str = "path";
/// Argument: how many attempts a fault made (left out when it made one).
pub const ATTEMPTS: &str = "attempts";
/// Argument: the lock an attempt or wait was under: `vma` or `mmap`.
pub const LOCK: &str = "lock";
/// Argument: whether an attempt was a TRIED pass.
pub const TRIED: &str = "tried";
/// Argument: a VMA's start address.
pub const VMA: &str = "vma";
/// Argument: how an attempt ended: `done`, `retry`, `abort` (no VMA lock: go the
/// `mmap_lock` way), `error`; of a futex wait: `woken`, `timeout`, `again`, `interrupted`.
pub const RESULT: &str = "result";
/// Argument: the thread holding a lock for write (0: none).
pub const WRITER: &str = "writer";
/// Argument: the threads holding a lock for read.
pub const READERS: &str = "readers";
/// Argument: how many readers a writer waited for.
pub const READER_COUNT: &str = "reader_count";
/// Argument: the waiters queued ahead.
pub const AHEAD: &str = "ahead";
/// Argument: how many of the waiters ahead want to write.
pub const WRITERS_AHEAD: &str = "writers_ahead";
/// Argument: the thread a handoff let in.
pub const WAITER: &str = "waiter";
/// Argument: what a folio wait waits for: `io` or `locked`.
pub const WHAT: &str = "what";
/// Argument: whether the fault lock was held through a wait.
pub const HELD: &str = "held";
/// Argument: a futex's address.
pub const UADDR: &str = "uaddr";
/// Argument: how many harts a shootdown waited for.
pub const TARGETS: &str = "targets";
/// Argument: pages looked at.
pub const SCANNED: &str = "scanned";
/// Argument: pages freed.
pub const RECLAIMED: &str = "reclaimed";
/// Argument: pages written.
pub const PAGES: &str = "pages";
/// Arguments: a system call's first three arguments.
pub const ARG0: &str = "a0";
/// See [`ARG0`].
pub const ARG1: &str = "a1";
/// See [`ARG0`].
pub const ARG2: &str = "a2";
/// Argument: a system call's result (negative: -errno).
pub const RET: &str = "ret";
/// Argument: a device's name.
pub const DEVICE: &str = "device";
/// Argument: a request's number on its device.
pub const REQUEST: &str = "request";
/// Argument: `read` or `write`.
pub const OP: &str = "op";
/// Argument: a request's I/O priority class: `rt`, `be`, `idle`.
pub const CLASS: &str = "class";
/// Argument: a request's priority level within its class (0 highest).
pub const PRIO: &str = "prio";
/// Argument: requests queued ahead of a request when it was submitted.
pub const QUEUE_POS: &str = "queue_pos";
/// Argument: a request's size.
pub const BYTES: &str = "bytes";
/// Argument: the thread that submitted a request.
pub const SUBMITTER: &str = "submitter";
/// Argument: nanoseconds a request waited in the queue.
pub const QUEUE_NS: &str = "queue_ns";
/// Argument: nanoseconds a request was in service.
pub const SERVICE_NS: &str = "service_ns";
/// Argument: what an injection did, as `--inject` spelled it (`stall=50ms`).
pub const ACTION: &str = "action";
/// Argument: on an end the sink added when the trace finished with the slice open.
pub const UNFINISHED: &str = "unfinished";
/// Argument: records dropped.
pub const DROPPED: &str = "dropped";
/// Argument: nanoseconds threads waited for the trace writer.
pub const STALL_NS: &str = "stall_ns";
