//! The collector of unreachable external tables. A table whose last reference is
//! overwritten or deleted keeps its entries in the store; the collector removes every table
//! that nothing reaches: not the roots (`_home`, `_io`), not a table a state holds in memory
//! (its proxies, passed in as `held`), not an id a state has reserved for new tables, and not
//! anything reachable from those through the `07` references inside stored values (found by
//! walking the values' bytes; nothing is decoded).
//!
//! This file has the graph work that every store shares, and the collection of a store with
//! one user ([`collect_single_user`]). A store shared by processes adds the protocol that
//! keeps other processes' tables (`SqliteStore`, README "Reclaiming space").

use std::collections::{BTreeMap, BTreeSet};

use super::{ExtStore, StoreError, Write, FIRST_NEW_TABLE_ID};
use crate::format_walker::walk;
use crate::serializer::DeserializeOptions;

/// What one collection did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collection {
    /// Tables with entries that are reachable (kept).
    pub live_tables: usize,
    /// Tables removed, with all their entries.
    pub removed_tables: usize,
    pub removed_entries: usize,
    /// Unreachable tables kept for now because another live process may still hold them;
    /// a later collection removes them once every such process has moved on or ended.
    pub deferred_tables: usize,
    /// Values that are not well-formed (damaged): their references, if any, are unknown.
    /// The tables they are in are kept as usual; what only they might reach is not.
    pub unreadable_values: usize,
}

/// The references between tables: for each table that has entries, the ids its values name.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    pub(crate) edges: BTreeMap<u32, BTreeSet<u32>>,
    pub(crate) entries: BTreeMap<u32, usize>,
    pub(crate) unreadable_values: usize,
}

impl Graph {
    /// Adds one stored value of table `id`.
    pub(crate) fn add_value(&mut self, id: u32, value: &[u8]) {
        *self.entries.entry(id).or_default() += 1;
        let refs = self.edges.entry(id).or_default();
        match walk(value, &DeserializeOptions::default()) {
            Ok(walked) => refs.extend(walked.table_refs),
            Err(_) => self.unreadable_values += 1,
        }
    }

    /// Every id reachable from `roots` (the roots included).
    pub(crate) fn mark(&self, roots: impl IntoIterator<Item = u32>) -> BTreeSet<u32> {
        let mut marked = BTreeSet::new();
        let mut pending: Vec<u32> = roots.into_iter().collect();
        while let Some(id) = pending.pop() {
            if marked.insert(id) {
                if let Some(refs) = self.edges.get(&id) {
                    pending.extend(refs.iter().copied().filter(|r| !marked.contains(r)));
                }
            }
        }
        marked
    }

    /// The tables with entries that `marked` does not hold.
    pub(crate) fn unmarked<'a>(&'a self, marked: &'a BTreeSet<u32>) -> impl Iterator<Item = u32> + 'a {
        self.entries.keys().copied().filter(|id| !marked.contains(id))
    }
}

/// The ids that are always roots: every id below [`FIRST_NEW_TABLE_ID`] (`_home`, `_io`).
pub(crate) fn fixed_roots() -> impl Iterator<Item = u32> {
    1..FIRST_NEW_TABLE_ID
}

/// Collects a store that one state uses (no other process can hold its tables): marks from
/// the roots and `held`, then deletes every unmarked table's entries in one batch.
pub fn collect_single_user<S: ExtStore + ?Sized>(
    store: &mut S,
    held: &[u32],
) -> Result<Collection, StoreError> {
    let mut graph = Graph::default();
    for id in store.table_ids()? {
        for key in store.keys(id)? {
            if let Some(value) = store.get(id, &key)? {
                graph.add_value(id, &value);
            }
        }
    }
    let marked = graph.mark(fixed_roots().chain(held.iter().copied()));
    let mut keys = Vec::new();
    let mut removed_tables = 0;
    for id in graph.unmarked(&marked) {
        removed_tables += 1;
        for key in store.keys(id)? {
            keys.push((id, key));
        }
    }
    let batch: Vec<Write> = keys
        .iter()
        .map(|(id, key)| Write { id: *id, key, value: None })
        .collect();
    store.write_batch(&batch)?;
    Ok(Collection {
        live_tables: graph.entries.len() - removed_tables,
        removed_tables,
        removed_entries: batch.len(),
        deferred_tables: 0,
        unreadable_values: graph.unreadable_values,
    })
}
