//! What is asked of the device, what can go wrong, and what the device reports when a
//! request is done.

use super::prio::IoPriority;

/// The direction of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IoKind {
    /// Data moves from the device to memory.
    Read,
    /// Data moves from memory to the device.
    Write,
}

/// One request as the device model sees it: where, how much, from whom, how urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoRequest {
    /// Read or write.
    pub kind: IoKind,
    /// Byte offset on the device.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// Thread id of the submitting task, for traces and per-task accounting.
    pub submitter: u32,
    /// The priority the request carries (see [`effective_io_priority`](super::effective_io_priority)).
    pub priority: IoPriority,
}

impl IoRequest {
    /// A read of `len` bytes at `offset`.
    pub fn read(offset: u64, len: u64, submitter: u32, priority: IoPriority) -> IoRequest {
        IoRequest {
            kind: IoKind::Read,
            offset,
            len,
            submitter,
            priority,
        }
    }

    /// A write of `len` bytes at `offset`.
    pub fn write(offset: u64, len: u64, submitter: u32, priority: IoPriority) -> IoRequest {
        IoRequest {
            kind: IoKind::Write,
            ..IoRequest::read(offset, len, submitter, priority)
        }
    }
}

/// A request's number on its device, in submission order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// Why a request failed. Every variant reaches the guest as `EIO`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IoError {
    /// Error injection failed this read.
    #[error("injected I/O error reading {len} bytes at offset {offset}")]
    Injected {
        /// Offset of the failed read.
        offset: u64,
        /// Length of the failed read.
        len: u64,
    },
    /// The host file behind the device could not be written.
    #[error("backing store: {0}")]
    Backing(String),
}

impl IoError {
    /// The errno the guest sees.
    pub fn errno(&self) -> i32 {
        const EIO: i32 = 5;
        EIO
    }
}

/// A request the device has finished, with its timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The request's number.
    pub id: RequestId,
    /// The request.
    pub request: IoRequest,
    /// The channel that served it (0..depth).
    pub channel: usize,
    /// When it was submitted.
    pub submitted_ns: u64,
    /// When the device began serving it.
    pub started_ns: u64,
    /// When it finished.
    pub completed_ns: u64,
    /// How long a random stall taken at its dispatch held it (part of the queue wait).
    pub stall_ns: u64,
    /// Success, or why it failed.
    pub result: Result<(), IoError>,
}

impl Completion {
    /// Submission to service start.
    pub fn queue_wait_ns(&self) -> u64 {
        self.started_ns - self.submitted_ns
    }

    /// Service start to completion.
    pub fn service_ns(&self) -> u64 {
        self.completed_ns - self.started_ns
    }

    /// Submission to completion.
    pub fn latency_ns(&self) -> u64 {
        self.completed_ns - self.submitted_ns
    }
}
