//! The collector of unreachable external tables. A table whose last reference is
//! overwritten or deleted keeps its entries in the store; the collector removes every table
//! that nothing reaches: not the roots (`_home`, `_io`), not a table a state holds in memory
//! (its proxies, passed in as `held`), not an id a state has reserved for new tables, and not
//! anything reachable from those through the `07` references inside stored values (found by
//! walking the values' bytes; nothing is decoded).
//!
//! This file has the graph work that every store shares, and the collection of a store with
//! one user ([`collect_single_user`]). A store shared by processes adds the protocol that
//! keeps other processes' tables (`SqliteStore`, `PgStore`, README "Reclaiming space"),
//! deciding with `judge`.

use super::{ExtStore, StoreError, Write, FIRST_NEW_TABLE_ID};
use crate::fallible::{try_push, try_with_capacity, AllocError};
use crate::format::DeserializeOptions;
use crate::format_walker::walk;

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

/// The references between tables, built from every stored value, **added in ascending
/// order of table id** (so the vectors are sorted as they grow). Plain vectors: the wasm
/// module carries this code too, and maps or sorting cost it kilobytes.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    /// (table id, an id one of its values names), one per reference, by table id.
    edges: Vec<(u32, u32)>,
    /// The ids of the tables with values, ascending, each once.
    tables: Vec<u32>,
    pub(crate) unreadable_values: usize,
}

/// A built graph: the tables that have entries and what each references.
pub(crate) struct Marked {
    /// Ids of the tables with entries, ascending, and whether each is reachable.
    tables: Vec<(u32, bool)>,
}

impl Graph {
    /// Adds one stored value of table `id`, which is not below any id added before.
    pub(crate) fn add_value(&mut self, id: u32, value: &[u8]) -> Result<(), AllocError> {
        debug_assert!(self.tables.last().is_none_or(|&last| last <= id));
        if self.tables.last() != Some(&id) {
            try_push(&mut self.tables, id)?;
        }
        match walk(value, &DeserializeOptions::default()) {
            Ok(walked) => {
                for r in walked.table_refs {
                    try_push(&mut self.edges, (id, r))?;
                }
            }
            Err(_) => self.unreadable_values += 1,
        }
        Ok(())
    }

    /// Marks every table reachable from `roots`.
    pub(crate) fn mark(
        self,
        mut pending: Vec<u32>,
        blocks: &[(u32, u32)],
    ) -> Result<Marked, AllocError> {
        let mut tables: Vec<(u32, bool)> = try_with_capacity(self.tables.len())?;
        tables.extend(self.tables.iter().map(|&id| (id, false)));
        // A block of reserved ids is a root for the tables it holds (a stored block may be
        // any range: only tables that exist are pushed).
        for &(start, end) in blocks {
            let first = self.tables.partition_point(|&id| id < start);
            let last = self.tables.partition_point(|&id| id < end);
            pending.try_reserve(last - first).map_err(|_| AllocError)?;
            pending.extend_from_slice(&self.tables[first..last]);
        }
        while let Some(id) = pending.pop() {
            // Only tables with entries matter: there is nothing to keep or follow elsewhere.
            let Ok(at) = tables.binary_search_by_key(&id, |t| t.0) else {
                continue;
            };
            if tables[at].1 {
                continue;
            }
            tables[at].1 = true;
            let first = self.edges.partition_point(|e| e.0 < id);
            for &(from, to) in &self.edges[first..] {
                if from != id {
                    break;
                }
                try_push(&mut pending, to)?;
            }
        }
        Ok(Marked { tables })
    }
}

impl Marked {
    /// The tables with entries that nothing reaches.
    pub(crate) fn unreachable(&self) -> impl Iterator<Item = u32> + '_ {
        self.tables.iter().filter(|t| !t.1).map(|t| t.0)
    }

    // Only the stores shared by processes keep a list of condemned tables to check against.
    #[cfg(all(
        any(feature = "sqlite", feature = "postgres"),
        not(target_arch = "wasm32")
    ))]
    pub(crate) fn is_reachable(&self, id: u32) -> bool {
        matches!(self.tables.binary_search_by_key(&id, |t| t.0), Ok(at) if self.tables[at].1)
    }

    #[cfg(all(
        any(feature = "sqlite", feature = "postgres"),
        not(target_arch = "wasm32")
    ))]
    pub(crate) fn has_entries(&self, id: u32) -> bool {
        self.tables.binary_search_by_key(&id, |t| t.0).is_ok()
    }

    /// How many tables have entries.
    pub(crate) fn tables(&self) -> usize {
        self.tables.len()
    }
}

/// What a collection of a store shared by processes decides (`SqliteStore`, `PgStore`;
/// README "Reclaiming space"). An unreachable table condemned at an epoch that every other
/// live client has published its held tables since (`others_seen`) is removed: a client can
/// only come to hold it through tables it already held, which its publication names.
/// Another unreachable table is condemned (kept) with this collection's `epoch`, or stays
/// condemned. A condemned table that is reachable again, or has no entries, is acquitted.
#[cfg(all(
    any(feature = "sqlite", feature = "postgres"),
    not(target_arch = "wasm32")
))]
pub(crate) struct Verdicts {
    pub(crate) remove: Vec<u32>,
    pub(crate) condemn: Vec<u32>,
    pub(crate) acquit: Vec<u32>,
    /// Tables with entries that stay, reachable.
    pub(crate) live_tables: usize,
}

#[cfg(all(
    any(feature = "sqlite", feature = "postgres"),
    not(target_arch = "wasm32")
))]
pub(crate) fn judge(
    marked: &Marked,
    condemned: &std::collections::BTreeMap<u32, i64>,
    epoch: i64,
    others_seen: i64,
) -> Verdicts {
    let (mut remove, mut condemn) = (Vec::new(), Vec::new());
    for id in marked.unreachable() {
        let since = condemned.get(&id).copied().unwrap_or(epoch);
        if others_seen >= since {
            remove.push(id);
        } else {
            condemn.push(id);
        }
    }
    let acquit = condemned
        .keys()
        .copied()
        .filter(|&id| marked.is_reachable(id) || !marked.has_entries(id))
        .collect();
    let live_tables = marked.tables() - remove.len() - condemn.len();
    Verdicts {
        remove,
        condemn,
        acquit,
        live_tables,
    }
}

/// Held ids as a shared store keeps each client's (`clients.held`): u32 little-endian each.
#[cfg(all(
    any(feature = "sqlite", feature = "postgres"),
    not(target_arch = "wasm32")
))]
pub(crate) fn encode_ids(ids: &[u32]) -> Vec<u8> {
    ids.iter().flat_map(|id| id.to_le_bytes()).collect()
}

#[cfg(all(
    any(feature = "sqlite", feature = "postgres"),
    not(target_arch = "wasm32")
))]
pub(crate) fn decode_ids(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The roots every collection has, every id below [`FIRST_NEW_TABLE_ID`] (`_home`,
/// `_io`), then `held`.
pub(crate) fn roots(held: &[u32]) -> Result<Vec<u32>, AllocError> {
    let mut roots = try_with_capacity(FIRST_NEW_TABLE_ID as usize + held.len())?;
    roots.extend(1..FIRST_NEW_TABLE_ID);
    roots.extend_from_slice(held);
    Ok(roots)
}

/// Collects a store that one state uses (no other process can hold its tables): marks from
/// the roots and `held`, then deletes every unmarked table's entries in one batch.
pub fn collect_single_user<S: ExtStore + ?Sized>(
    store: &mut S,
    held: &[u32],
) -> Result<Collection, StoreError> {
    let mut graph = Graph::default();
    let ids = store.table_ids()?;
    if ids.windows(2).any(|pair| pair[0] >= pair[1]) {
        // Graph needs them in order; removing tables on a wrong graph would lose data.
        return Err(StoreError(
            "cannot collect: the store's table_ids are not ascending".into(),
        ));
    }
    for id in ids {
        for key in store.keys(id)? {
            if let Some(value) = store.get(id, &key)? {
                graph.add_value(id, &value)?;
            }
        }
    }
    let unreadable_values = graph.unreadable_values;
    let marked = graph.mark(roots(held)?, &[])?;
    let mut keys = Vec::new();
    let mut removed_tables = 0;
    for id in marked.unreachable() {
        removed_tables += 1;
        for key in store.keys(id)? {
            try_push(&mut keys, (id, key))?;
        }
    }
    let batch: Vec<Write> = keys
        .iter()
        .map(|(id, key)| Write {
            id: *id,
            key,
            value: None,
        })
        .collect();
    store.write_batch(&batch)?;
    Ok(Collection {
        live_tables: marked.tables() - removed_tables,
        removed_tables,
        removed_entries: batch.len(),
        deferred_tables: 0,
        unreadable_values,
    })
}
