//! The report of a virtual run that cannot go on: every task waits and no event is
//! pending (a deadlock), or virtual time passed `--max-time`.

use crate::task::{TaskId, WaitNote};
use std::fmt;

/// Why a virtual run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StallReason {
    /// Every task waits and nothing pending can wake one.
    Deadlock,
    /// Virtual time passed the run's limit.
    MaxTime,
}

/// One task, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskReport {
    /// The task.
    pub id: TaskId,
    /// Its name (the guest thread's, or the daemon's).
    pub name: String,
    /// The guest thread id, for harts.
    pub tid: Option<u32>,
    /// What it was doing: `running`, `runnable`, `waiting for a CPU`, `waiting`,
    /// `sleeping until …`.
    pub state: String,
    /// What it waits for, as the waiting code described it.
    pub wait: Option<WaitNote>,
}

/// The state of every task when the run stopped, and the wait-for cycle if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StallReport {
    /// Why the run stopped.
    pub reason: StallReason,
    /// Virtual time, in nanoseconds.
    pub now_ns: u64,
    /// Every task that has not ended, in task order.
    pub tasks: Vec<TaskReport>,
    /// Tasks that wait for each other in a ring, each waiting for the next and the last
    /// for the first; empty if the waits form no cycle.
    pub cycle: Vec<TaskId>,
}

impl StallReport {
    /// Builds the report, finding the first wait-for cycle in task order: an edge runs
    /// from a waiting task to each task whose guest thread holds what it waits for.
    pub fn new(reason: StallReason, now_ns: u64, tasks: Vec<TaskReport>) -> StallReport {
        let cycle = find_cycle(&tasks);
        StallReport {
            reason,
            now_ns,
            tasks,
            cycle,
        }
    }

    fn label(&self, id: TaskId) -> String {
        match self.tasks.iter().find(|t| t.id == id) {
            Some(TaskReport {
                name,
                tid: Some(tid),
                ..
            }) => format!("thread {tid} ({name})"),
            Some(t) => t.name.clone(),
            None => id.to_string(),
        }
    }
}

/// The tasks holding what `task` waits for.
fn holders<'a>(tasks: &'a [TaskReport], task: &'a TaskReport) -> impl Iterator<Item = usize> + 'a {
    let held_by = task.wait.iter().flat_map(|w| w.holders.iter().copied());
    held_by.filter_map(move |tid| tasks.iter().position(|t| t.tid == Some(tid)))
}

/// The first cycle a depth-first walk from each task in order finds.
fn find_cycle(tasks: &[TaskReport]) -> Vec<TaskId> {
    for start in 0..tasks.len() {
        let mut path = vec![start];
        let mut next_edge = vec![0usize];
        while let Some(&at) = path.last() {
            let depth = path.len() - 1;
            let edge = next_edge[depth];
            next_edge[depth] += 1;
            match holders(tasks, &tasks[at]).nth(edge) {
                None => {
                    path.pop();
                    next_edge.pop();
                }
                Some(to) if to == start => return path.iter().map(|&i| tasks[i].id).collect(),
                Some(to) if path.contains(&to) || to < start => {}
                Some(to) => {
                    path.push(to);
                    next_edge.push(0);
                }
            }
        }
    }
    Vec::new()
}

impl fmt::Display for StallReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.now_ns / 1_000_000_000;
        let frac = self.now_ns % 1_000_000_000;
        match self.reason {
            StallReason::Deadlock => writeln!(
                f,
                "faultline: deadlock at virtual time {secs}.{frac:09}s: every thread waits and no event is pending"
            )?,
            StallReason::MaxTime => writeln!(
                f,
                "faultline: virtual time limit reached at {secs}.{frac:09}s (--max-time)"
            )?,
        }
        for t in &self.tasks {
            write!(f, "  {}: {}", self.label(t.id), t.state)?;
            if let Some(w) = &t.wait {
                write!(f, " on {}", w.what)?;
                if !w.holders.is_empty() {
                    let held: Vec<String> =
                        w.holders.iter().map(|h| format!("thread {h}")).collect();
                    write!(f, ", held by {}", held.join(", "))?;
                }
            }
            writeln!(f)?;
        }
        if !self.cycle.is_empty() {
            let ring: Vec<String> = self.cycle.iter().map(|&id| self.label(id)).collect();
            writeln!(
                f,
                "  wait-for cycle: {} -> {}",
                ring.join(" -> "),
                self.label(self.cycle[0])
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hart(id: u32, tid: u32, waits_for: Vec<u32>) -> TaskReport {
        TaskReport {
            id: TaskId(id),
            name: format!("t{tid}"),
            tid: Some(tid),
            state: "waiting".into(),
            wait: Some(WaitNote {
                what: format!("lock {id}"),
                holders: waits_for,
            }),
        }
    }

    #[test]
    fn finds_a_two_thread_cycle_and_names_both() {
        let tasks = vec![
            TaskReport {
                id: TaskId(0),
                name: "kswapd".into(),
                tid: None,
                state: "sleeping".into(),
                wait: None,
            },
            hart(1, 100, vec![101]),
            hart(2, 101, vec![100]),
        ];
        let r = StallReport::new(StallReason::Deadlock, 1_500_000, tasks);
        assert_eq!(r.cycle, vec![TaskId(1), TaskId(2)]);
        let text = r.to_string();
        assert!(
            text.contains("deadlock at virtual time 0.001500000s"),
            "{text}"
        );
        assert!(text.contains("thread 100 (t100): waiting on lock 1, held by thread 101"));
        assert!(text.contains(
            "wait-for cycle: thread 100 (t100) -> thread 101 (t101) -> thread 100 (t100)"
        ));
    }

    #[test]
    fn no_cycle_without_one() {
        let tasks = vec![hart(0, 1, vec![2]), hart(1, 2, vec![3]), hart(2, 3, vec![])];
        assert!(StallReport::new(StallReason::MaxTime, 0, tasks)
            .cycle
            .is_empty());
        let tasks = vec![
            hart(0, 1, vec![2]),
            hart(1, 2, vec![3]),
            hart(2, 3, vec![2]),
        ];
        let cycle = StallReport::new(StallReason::Deadlock, 0, tasks).cycle;
        assert_eq!(cycle, vec![TaskId(1), TaskId(2)]);
    }
}
