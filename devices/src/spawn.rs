//! Starting a task: a host thread that enters the run's clock before it does anything.

use crate::clock::SharedClock;
use crate::task::TaskKind;
use std::io;
use std::thread::{Builder, JoinHandle};

/// Spawns `body` on a new host thread made by `builder` as a task of `clock`: the task is
/// registered now, by the caller, so task numbers follow the order of creation, and the
/// new thread enters the clock before `body` runs and leaves it after.
pub fn spawn_task<F>(
    clock: &SharedClock,
    builder: Builder,
    name: &str,
    kind: TaskKind,
    body: F,
) -> io::Result<JoinHandle<()>>
where
    F: FnOnce() + Send + 'static,
{
    let ticket = clock.register_task(name, kind);
    let id = ticket.id;
    let for_thread = clock.clone();
    builder
        .spawn(move || {
            for_thread.enter_task(ticket);
            body();
            for_thread.exit_task();
        })
        .inspect_err(|_| clock.cancel_task(id))
}
