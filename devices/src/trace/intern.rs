//! Interning: each name is written once per sequence, in the `interned_data` of the first
//! packet that uses it, and referred to by a small id afterwards, so a trace with millions
//! of events repeats no string.

use super::proto::{DebugAnnotationName, EventCategory, EventName, InternedData, InternedString};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// The ids given so far to the strings of one kind (event names, annotation names or
/// categories) on one sequence.
///
/// Names are `&'static str`, so a name's address and length identify it: most look-ups
/// are one hash of two words instead of string comparisons (the same text at two
/// addresses, two literals in different crates, still gets one id through the text).
#[derive(Debug, Default)]
struct Table {
    /// Looked up only, never iterated: ids follow first use, not the map's order.
    ids: BTreeMap<&'static str, u64>,
    /// Ids by the address and length of the name; looked up only, never iterated.
    by_address: HashMap<(usize, usize), u64, BuildHasherDefault<AddressHasher>>,
}

/// A hasher for addresses: one multiply per word (the standard hasher's SipHash costs
/// more than the rest of a look-up, and addresses need no protection from collisions
/// chosen by an attacker).
#[derive(Debug, Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }

    fn write_u64(&mut self, word: u64) {
        // The multiplier of FxHash: odd, with bits spread over the word.
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Table {
    /// The id of `name`, and `true` when it was given just now: the name must then be
    /// defined in the packet that uses it. Ids start at 1 (0 means "none" to Perfetto).
    fn intern(&mut self, name: &'static str) -> (u64, bool) {
        let address = (name.as_ptr() as usize, name.len());
        if let Some(&id) = self.by_address.get(&address) {
            return (id, false);
        }
        let next = self.ids.len() as u64 + 1;
        let id = *self.ids.entry(name).or_insert(next);
        self.by_address.insert(address, id);
        (id, id == next)
    }
}

/// A sequence's incremental state: the interned event names, debug-annotation names and
/// categories. Each lookup that gives a new id also adds its definition to the
/// [`InternedData`] of the packet being built.
#[derive(Debug, Default)]
pub(crate) struct InternState {
    /// `EventName` ids.
    event_names: Table,
    /// `DebugAnnotationName` ids.
    annotation_names: Table,
    /// `EventCategory` ids.
    categories: Table,
    /// Ids of debug-annotation string values (`debug_annotation_string_values`).
    string_values: Table,
}

impl InternState {
    /// The id of an event name, defined in `defs` if new.
    pub(crate) fn event_name(&mut self, name: &'static str, defs: &mut InternedData) -> u64 {
        let (iid, new) = self.event_names.intern(name);
        if new {
            defs.event_names.push(EventName {
                iid: Some(iid),
                name: Some(name.to_owned()),
            });
        }
        iid
    }

    /// The id of a debug-annotation name, defined in `defs` if new.
    pub(crate) fn annotation_name(&mut self, name: &'static str, defs: &mut InternedData) -> u64 {
        let (iid, new) = self.annotation_names.intern(name);
        if new {
            defs.debug_annotation_names.push(DebugAnnotationName {
                iid: Some(iid),
                name: Some(name.to_owned()),
            });
        }
        iid
    }

    /// The id of a debug-annotation string value, defined in `defs` if new.
    pub(crate) fn string_value(&mut self, value: &'static str, defs: &mut InternedData) -> u64 {
        let (iid, new) = self.string_values.intern(value);
        if new {
            defs.debug_annotation_string_values.push(InternedString {
                iid: Some(iid),
                str: Some(value.as_bytes().to_vec()),
            });
        }
        iid
    }

    /// The id of a category, defined in `defs` if new.
    pub(crate) fn category(&mut self, name: &'static str, defs: &mut InternedData) -> u64 {
        let (iid, new) = self.categories.intern(name);
        if new {
            defs.event_categories.push(EventCategory {
                iid: Some(iid),
                name: Some(name.to_owned()),
            });
        }
        iid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_defined_once_and_ids_follow_first_use() {
        let mut state = InternState::default();
        let mut defs = InternedData::default();
        assert_eq!(state.event_name("fault", &mut defs), 1);
        assert_eq!(state.event_name("futex", &mut defs), 2);
        assert_eq!(state.event_name("fault", &mut defs), 1);
        // Each kind has its own ids.
        assert_eq!(state.annotation_name("fault", &mut defs), 1);
        assert_eq!(state.category("mm", &mut defs), 1);
        let names: Vec<_> = defs.event_names.iter().map(|n| n.name.as_deref()).collect();
        assert_eq!(names, [Some("fault"), Some("futex")]);
        assert_eq!(defs.debug_annotation_names.len(), 1);
        assert_eq!(defs.event_categories.len(), 1);
    }
}
