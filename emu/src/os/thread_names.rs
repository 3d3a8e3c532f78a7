//! The name (`comm`) of every live thread, so that something outside a thread (a timed
//! injection) can find it by name.

use parking_lot::Mutex;
use std::collections::BTreeMap;

/// Live threads' names by thread id.
#[derive(Debug, Default)]
pub(crate) struct ThreadNames {
    names: Mutex<BTreeMap<u32, String>>,
}

impl ThreadNames {
    /// Thread `tid` is called `name` from now on (a new thread, or prctl PR_SET_NAME).
    pub(crate) fn set(&self, tid: u32, name: &str) {
        self.names.lock().insert(tid, name.to_string());
    }

    /// Thread `tid` ended.
    pub(crate) fn remove(&self, tid: u32) {
        self.names.lock().remove(&tid);
    }

    /// The name of live thread `tid`, or of the live thread with the lowest id if it
    /// has ended (a process's name, as /proc/PID/status shows it).
    pub(crate) fn of(&self, tid: u32) -> Option<String> {
        let names = self.names.lock();
        names.get(&tid).or(names.values().next()).cloned()
    }

    /// The live thread called `name`, the one with the lowest id if several are.
    pub(crate) fn find(&self, name: &str) -> Option<u32> {
        self.names
            .lock()
            .iter()
            .find_map(|(&tid, n)| (n == name).then_some(tid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_lowest_live_thread_of_a_name() {
        let names = ThreadNames::default();
        names.set(12, "worker");
        names.set(11, "worker");
        names.set(10, "main");
        assert_eq!(names.find("worker"), Some(11));
        names.remove(11);
        assert_eq!(names.find("worker"), Some(12));
        names.set(12, "renamed");
        assert_eq!(names.find("worker"), None);
        assert_eq!(names.find("renamed"), Some(12));
    }
}
