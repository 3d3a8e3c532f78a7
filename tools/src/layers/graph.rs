//! Import cycles: the strongly connected components of the file graph.

use super::refs::Edges;
use super::tree::FileId;
use std::collections::BTreeSet;

/// The sets of files (two or more) that import each other in a ring, each sorted, found
/// with Tarjan's algorithm over `edges`.
pub(crate) fn cycles(files: usize, edges: &Edges) -> Vec<BTreeSet<FileId>> {
    let mut state = Tarjan {
        edges,
        index: vec![None; files],
        low: vec![0; files],
        stack: Vec::new(),
        on_stack: vec![false; files],
        next: 0,
        components: Vec::new(),
    };
    for file in 0..files {
        if state.index[file].is_none() {
            state.visit(file);
        }
    }
    let mut components = state.components;
    components.retain(|c| c.len() > 1);
    components.sort();
    components
}

struct Tarjan<'a> {
    edges: &'a Edges,
    index: Vec<Option<usize>>,
    low: Vec<usize>,
    stack: Vec<FileId>,
    on_stack: Vec<bool>,
    next: usize,
    components: Vec<BTreeSet<FileId>>,
}

impl Tarjan<'_> {
    fn visit(&mut self, file: FileId) {
        self.index[file] = Some(self.next);
        self.low[file] = self.next;
        self.next += 1;
        self.stack.push(file);
        self.on_stack[file] = true;
        let targets: Vec<FileId> = self
            .edges
            .get(&file)
            .map(|to| to.keys().copied().collect())
            .unwrap_or_default();
        for to in targets {
            match self.index[to] {
                None => {
                    self.visit(to);
                    self.low[file] = self.low[file].min(self.low[to]);
                }
                Some(index) if self.on_stack[to] => self.low[file] = self.low[file].min(index),
                Some(_) => {}
            }
        }
        if Some(self.low[file]) == self.index[file] {
            let mut component = BTreeSet::new();
            while let Some(member) = self.stack.pop() {
                self.on_stack[member] = false;
                component.insert(member);
                if member == file {
                    break;
                }
            }
            self.components.push(component);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edges(pairs: &[(FileId, FileId)]) -> Edges {
        let mut edges = Edges::new();
        for &(from, to) in pairs {
            edges
                .entry(from)
                .or_default()
                .entry(to)
                .or_default()
                .insert(1);
        }
        edges
    }

    #[test]
    fn rings_are_found_and_chains_are_not() {
        let found = cycles(6, &edges(&[(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 4)]));
        assert_eq!(
            found,
            vec![BTreeSet::from([0, 1, 2]), BTreeSet::from([4, 5])]
        );
        assert!(cycles(3, &edges(&[(0, 1), (1, 2), (0, 2)])).is_empty());
    }
}
