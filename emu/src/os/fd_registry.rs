//! Descriptors that are more than their host file: each kind (timerfd, signalfd) keeps
//! its state here against the host file the guest's descriptor holds, which dup shares
//! and whose last close ends the registration (the entry then no longer upgrades).

use super::fdtable::HostFd;
use mmu::Errno;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

struct Entry<T> {
    file: Weak<HostFd>,
    state: T,
}

/// Registered descriptors of one kind, each with its state `T`, by a number unique in
/// the registry.
pub(crate) struct FdRegistry<T> {
    entries: Mutex<BTreeMap<u64, Entry<T>>>,
    next: Mutex<u64>,
}

impl<T> Default for FdRegistry<T> {
    fn default() -> Self {
        FdRegistry {
            entries: Mutex::default(),
            next: Mutex::new(0),
        }
    }
}

impl<T: Copy> FdRegistry<T> {
    /// Registers `file` with `state`; returns its number.
    pub(crate) fn add(&self, file: &Arc<HostFd>, state: T) -> u64 {
        let mut next = self.next.lock();
        let id = *next;
        *next += 1;
        let file = Arc::downgrade(file);
        self.entries.lock().insert(id, Entry { file, state });
        id
    }

    /// The number and state of `file`; EINVAL if it is not registered here.
    pub(crate) fn find(&self, file: &Arc<HostFd>) -> Result<(u64, T), Errno> {
        let me = Arc::downgrade(file);
        let entries = self.entries.lock();
        let found = entries.iter().find(|(_, e)| Weak::ptr_eq(&e.file, &me));
        found.map(|(&id, e)| (id, e.state)).ok_or(Errno::EINVAL)
    }

    /// Replaces the state of entry `id`.
    pub(crate) fn set(&self, id: u64, state: T) {
        if let Some(e) = self.entries.lock().get_mut(&id) {
            e.state = state;
        }
    }

    /// The host file of entry `id`, if the guest still holds it; a closed one is
    /// forgotten.
    pub(crate) fn file(&self, id: u64) -> Option<Arc<HostFd>> {
        let mut entries = self.entries.lock();
        let file = entries.get(&id).and_then(|e| e.file.upgrade());
        if file.is_none() {
            entries.remove(&id);
        }
        file
    }

    /// Every live entry's file and state, in number order.
    pub(crate) fn live(&self) -> Vec<(Arc<HostFd>, T)> {
        let mut entries = self.entries.lock();
        entries.retain(|_, e| e.file.strong_count() > 0);
        entries
            .values()
            .filter_map(|e| Some((e.file.upgrade()?, e.state)))
            .collect()
    }
}
