//! The task that performs the run's timed injections (`--inject`), in time order, each
//! when the run's clock reaches it: a task of the clock like the memory manager's daemons,
//! so that under the virtual clock it fires at the same virtual instant in every run.

use super::injections::{Action, Injection, PageOutTarget, ThreadRef};
use super::process::Process;
use crate::abi::siginfo::{code, SigInfo};
use devices::trace::{self, catalog, Owner, TraceArg, TraceValue};
use devices::{Parker, TaskKind};
use mmu::madv;
use mmu::vma::{Backing, Vma};
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The injector's name: its task, its host thread and its trace track.
const NAME: &str = "inject";

/// Starts the task that performs `injections` on `proc` at their times; nothing for an
/// empty list. It records to the calling thread's trace recorder, if any, and ends after
/// the last one (or with the process: later injections never happen).
pub(crate) fn start(proc: &Arc<Process>, mut injections: Vec<Injection>) -> std::io::Result<()> {
    if injections.is_empty() {
        return Ok(());
    }
    // Stable: injections at the same time happen in command-line order.
    injections.sort_by_key(|i| i.at_ns);
    let clock = proc.mm.clock().clone();
    let weak = Arc::downgrade(proc);
    let recorder = trace::current();
    let builder = std::thread::Builder::new().name(NAME.into());
    devices::spawn_task(
        proc.mm.clock(),
        builder,
        NAME,
        TaskKind::Daemon,
        move || {
            if let Some(r) = recorder {
                r.attach(Owner::Daemon(NAME));
            }
            // Nothing unparks it: each wait ends at its injection's time.
            let timer = Parker::new();
            for injection in injections {
                while clock.now_ns() < injection.at_ns {
                    clock.park_until(&timer, injection.at_ns);
                }
                let Some(proc) = weak.upgrade() else {
                    return;
                };
                perform(&proc, &injection);
            }
        },
    )
    .map(drop)
}

/// Performs one injection; if it could (its thread or file exists), counts it and marks
/// it on the trace, else says why on stderr and the run goes on.
fn perform(proc: &Process, injection: &Injection) {
    let mm = &proc.mm;
    let done = match &injection.action {
        Action::Stall(ns) => {
            mm.stall_storage(*ns);
            Ok(())
        }
        Action::Latency(model) => {
            mm.set_storage_latency(model);
            Ok(())
        }
        Action::DropCaches => {
            let dropped = mm.drop_clean_caches();
            tracing::debug!(target: "faultline::inject", dropped, "drop-caches");
            Ok(())
        }
        Action::PageOut(target) => page_out(proc, target),
        Action::MemLimit(bytes) => {
            // Checked before the run: the space has a limit to move.
            mm.set_mem_limit(*bytes);
            Ok(())
        }
        Action::Signal { signo, thread } => signal(proc, *signo, thread),
    };
    match done {
        Ok(()) => {
            let now_ns = proc.mm.clock().now_ns();
            tracing::debug!(target: "faultline::inject", now_ns, action = %injection.text, "fired");
            proc.injections_fired.fetch_add(1, Ordering::Relaxed);
            if trace::enabled() {
                // Interned as a guest's marker names are: a record takes `&'static str`.
                let action = trace::guest_name(&injection.text);
                trace::instant(
                    catalog::INJECT,
                    &[TraceArg::new(catalog::ACTION, TraceValue::Str(action))],
                );
            }
        }
        Err(why) => eprintln!("faultline: --inject {}: {why}", injection.text),
    }
}

/// MADV_PAGEOUT of every mapping `target` selects, one madvise per VMA as
/// process_madvise makes them.
fn page_out(proc: &Process, target: &PageOutTarget) -> Result<(), String> {
    let selects: Box<dyn Fn(&Vma) -> bool> = match target {
        PageOutTarget::Anon => Box::new(|v| matches!(v.backing, Backing::Private)),
        PageOutTarget::File(path) => {
            let meta = std::fs::metadata(path)
                .map_err(|e| format!("cannot look at {}: {e}", path.display()))?;
            let key = (meta.dev(), meta.ino());
            Box::new(move |v| matches!(&v.backing, Backing::File(f) if f.key() == key))
        }
    };
    for v in proc.mm.vmas().iter().filter(|v| selects(v)) {
        // A VMA unmapped since the snapshot is simply not there any more.
        let _ = proc.mm.madvise(v.start, v.len(), madv::PAGEOUT);
    }
    Ok(())
}

/// Sends `signo` to `thread` as tgkill(2) from the guest's own process would.
fn signal(proc: &Process, signo: i32, thread: &ThreadRef) -> Result<(), String> {
    let tid = match thread {
        ThreadRef::Tid(tid) => Some(*tid),
        ThreadRef::Name(name) => proc.names.find(name),
    };
    let info = SigInfo::sent_by_self(signo, code::SI_TKILL, proc.pid);
    match tid.map(|tid| proc.signal_thread(tid, info)) {
        Some(Ok(_)) => Ok(()),
        _ => Err(format!("no live {thread}")),
    }
}
