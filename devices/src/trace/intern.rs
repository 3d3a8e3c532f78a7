//! Interning: each name is written once per sequence, in the `interned_data` of the first
//! packet that uses it, and referred to by a small id afterwards, so a trace with millions
//! of events repeats no string.

use super::proto::{DebugAnnotationName, EventCategory, EventName, InternedData, InternedString};
use std::collections::BTreeMap;

/// The ids given so far to the strings of one kind (event names, annotation names or
/// categories) on one sequence.
#[derive(Debug, Default)]
struct Table {
    /// Looked up only, never iterated: ids follow first use, not the map's order.
    ids: BTreeMap<String, u64>,
}

impl Table {
    /// The id of `name`, and `true` when it was given just now: the name must then be
    /// defined in the packet that uses it. Ids start at 1 (0 means "none" to Perfetto).
    fn intern(&mut self, name: &str) -> (u64, bool) {
        if let Some(&id) = self.ids.get(name) {
            return (id, false);
        }
        let id = self.ids.len() as u64 + 1;
        self.ids.insert(name.to_owned(), id);
        (id, true)
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
    pub(crate) fn event_name(&mut self, name: &str, defs: &mut InternedData) -> u64 {
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
    pub(crate) fn annotation_name(&mut self, name: &str, defs: &mut InternedData) -> u64 {
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
    pub(crate) fn string_value(&mut self, value: &str, defs: &mut InternedData) -> u64 {
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
    pub(crate) fn category(&mut self, name: &str, defs: &mut InternedData) -> u64 {
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
