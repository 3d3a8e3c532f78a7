//! The names a guest gives its trace markers, made `&'static str` as records need.
//!
//! A guest's names come from its memory at run time, so each distinct one is leaked once
//! and found again by lookup: the same name is always the same `&'static str`. A guest
//! could make up names without end, so the table holds at most [`MAX_GUEST_NAMES`];
//! markers with later names are all recorded as [`OVERFLOW_NAME`], which bounds what is
//! leaked (with names of at most [`MAX_GUEST_NAME_LEN`] bytes, under 100 KiB).

use parking_lot::Mutex;
use std::collections::BTreeMap;

/// The most distinct names the run's table keeps.
pub const MAX_GUEST_NAMES: usize = 1024;

/// The longest name a guest may give, in bytes.
pub const MAX_GUEST_NAME_LEN: usize = 64;

/// What a marker is called once the table is full and its name is not in it.
pub const OVERFLOW_NAME: &str = "guest marker (name table full)";

/// A bounded table of interned names.
#[derive(Debug)]
pub struct GuestNames {
    /// Looked up only, never iterated.
    names: BTreeMap<String, &'static str>,
    /// How many names it keeps before [`OVERFLOW_NAME`] stands in.
    capacity: usize,
}

impl GuestNames {
    /// An empty table that keeps at most `capacity` names.
    pub const fn new(capacity: usize) -> GuestNames {
        GuestNames {
            names: BTreeMap::new(),
            capacity,
        }
    }

    /// `name` as a `&'static str`: the same one for the same name, or [`OVERFLOW_NAME`]
    /// for a new name when the table is full.
    pub fn intern(&mut self, name: &str) -> &'static str {
        if let Some(&interned) = self.names.get(name) {
            return interned;
        }
        if self.names.len() >= self.capacity {
            return OVERFLOW_NAME;
        }
        let interned: &'static str = Box::leak(name.to_owned().into_boxed_str());
        self.names.insert(name.to_owned(), interned);
        interned
    }
}

/// The run's table: one per faultline process, as the leaked names last as long.
static NAMES: Mutex<GuestNames> = Mutex::new(GuestNames::new(MAX_GUEST_NAMES));

/// `name` from the run's table (see [`GuestNames::intern`]).
pub fn guest_name(name: &str) -> &'static str {
    NAMES.lock().intern(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_name_is_the_same_static_str() {
        let mut t = GuestNames::new(4);
        let a = t.intern("mprotect");
        let b = t.intern(&String::from("mprotect"));
        assert_eq!(a, "mprotect");
        assert!(std::ptr::eq(a, b), "one allocation per name");
        assert_ne!(t.intern("other"), a);
    }

    #[test]
    fn a_full_table_names_new_markers_the_overflow_name_and_keeps_the_old() {
        let mut t = GuestNames::new(2);
        let a = t.intern("a");
        t.intern("b");
        assert_eq!(t.intern("c"), OVERFLOW_NAME);
        assert_eq!(t.intern("d"), OVERFLOW_NAME);
        assert!(std::ptr::eq(t.intern("a"), a));
        assert_eq!(t.intern("b"), "b");
    }

    #[test]
    fn the_run_table_interns_too() {
        assert!(std::ptr::eq(guest_name("region"), guest_name("region")));
    }
}
