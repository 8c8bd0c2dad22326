//! Stores for external tables (`crate::ext_table`): the [`ExtStore`] trait, which has the
//! operations of cu's `js_ext_table_*` imports, an in-memory [`MemoryStore`], and natively
//! the durable [`SqliteStore`] (feature `sqlite`, on by default) and `PgStore` on a
//! PostgreSQL server (feature `postgres`).
//!
//! A host plugs in its own store by implementing [`ExtStore`] and passing it to
//! `ext_table::install`. Values are opaque bytes (serialized Lua values, FORMAT.md); keys
//! are non-empty byte strings; table ids are u32, 0 is never a table.

use std::collections::BTreeMap;

#[cfg(all(feature = "sqlite", not(target_arch = "wasm32")))]
mod sqlite;
#[cfg(all(feature = "sqlite", not(target_arch = "wasm32")))]
mod wal_counter;
#[cfg(all(feature = "sqlite", not(target_arch = "wasm32")))]
pub use sqlite::{Durability, SqliteOpenError, SqliteStore, STORE_FORMAT_VERSION};

#[cfg(all(feature = "postgres", not(target_arch = "wasm32")))]
mod postgres;
#[cfg(all(feature = "postgres", not(target_arch = "wasm32")))]
pub use postgres::{
    is_postgres_url, PgOpenError, PgStore, DEFAULT_LOCK_TIMEOUT, PG_FORMAT_VERSION,
};

pub mod collect;
#[cfg(not(target_arch = "wasm32"))]
pub mod dump;

pub use collect::Collection;

/// Table ids below this one are reserved for the tables every state has (1 is `_home`,
/// 2 is `_io`): a store's [`ExtStore::next_free_id`] and [`ExtStore::reserve_id_block`]
/// never give out an id below it, also when nothing has been written to those tables yet.
pub const FIRST_NEW_TABLE_ID: u32 = 3;

/// Why a store operation failed; the message becomes part of a Lua error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// A stored entry that is not of the store's shape (written by another program, or
/// damaged): [`ExtStore::keys`] and [`ExtStore::table_ids`] leave it out, reading it is an
/// error for that key alone, and dumps skip it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedEntry {
    /// The table id as stored, when it is an integer.
    pub table_id: Option<i64>,
    /// The key as stored (its text or bytes, lossy for anything else).
    pub key: Vec<u8>,
    /// What is wrong with it.
    pub why: String,
}

impl From<crate::fallible::AllocError> for StoreError {
    fn from(e: crate::fallible::AllocError) -> Self {
        StoreError(e.to_string())
    }
}

/// One write of a batch: `value` `None` deletes the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write<'a> {
    pub id: u32,
    pub key: &'a [u8],
    pub value: Option<&'a [u8]>,
}

/// The host store behind external tables: the operations of cu's `js_ext_table_*` imports.
pub trait ExtStore {
    fn set(&mut self, id: u32, key: &[u8], value: &[u8]) -> Result<(), StoreError>;
    fn get(&mut self, id: u32, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    fn delete(&mut self, id: u32, key: &[u8]) -> Result<(), StoreError>;
    /// The number of keys of table `id` (0 for an unknown table).
    fn size(&mut self, id: u32) -> Result<usize, StoreError>;
    /// The keys of table `id`, in the store's order.
    fn keys(&mut self, id: u32) -> Result<Vec<Vec<u8>>, StoreError>;
    /// The smallest id the store has never used (so a new state does not reuse one); at
    /// least [`FIRST_NEW_TABLE_ID`], also for an empty store. It never goes down, also when a table loses all its keys, because a
    /// stored reference (tag `07`) may still name that table.
    fn next_free_id(&mut self) -> Result<u32, StoreError>;

    /// The ids of the tables that have keys, ascending (for dumps and the collector). The
    /// default asks `size` for every id below `next_free_id`.
    fn table_ids(&mut self) -> Result<Vec<u32>, StoreError> {
        let mut ids = Vec::new();
        for id in 1..self.next_free_id()? {
            if self.size(id)? > 0 {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Makes `next_free_id` at least `next_free_id` (an import keeps the ids of the
    /// exporting store's deleted tables unused). The default succeeds only when it already is.
    fn reserve_ids(&mut self, next_free_id: u32) -> Result<(), StoreError> {
        if self.next_free_id()? >= next_free_id {
            Ok(())
        } else {
            Err(StoreError(format!(
                "this store cannot reserve table ids below {next_free_id}"
            )))
        }
    }

    /// Reserves a block of new table ids for the caller alone, `Some(first..end)`, for a
    /// store that several processes share: two processes then never make tables with the
    /// same id, and the reserved ids count as used (`next_free_id` is past them) even
    /// before anything is written to them. `None` (the default) is for a store with one
    /// user: new ids then come from `next_free_id`, checked before each new table.
    fn reserve_id_block(&mut self) -> Result<Option<core::ops::Range<u32>>, StoreError> {
        Ok(None)
    }

    /// Removes every table that nothing reaches (see [`collect`]): not `_home` or `_io`, not
    /// the ids in `held` (the tables the calling state holds in memory), not what another
    /// live process holds or has reserved, and not what any of those reach through stored
    /// references. The default is for a store that one state uses at a time.
    fn collect(&mut self, held: &[u32]) -> Result<Collection, StoreError> {
        collect::collect_single_user(self, held)
    }

    /// Tells the collections of other processes which tables this state holds in memory
    /// (its proxies), so that they keep them. A store that one state uses at a time has
    /// nobody to tell (the default).
    fn publish_held(&mut self, held: &[u32]) -> Result<(), StoreError> {
        let _ = held;
        Ok(())
    }

    /// A number that changes whenever another user of the store (another process, another
    /// connection) has changed it since it was last asked, so that what this state read
    /// before may be kept meanwhile; `None` (the default) when the store cannot tell, and
    /// then every read asks the store.
    fn version(&mut self) -> Result<Option<u64>, StoreError> {
        Ok(None)
    }

    /// An output point (README, "What is durable when"): what was written so far must be
    /// durable before the script's output leaves. A store whose writes are durable when
    /// they return has nothing to do (the default); one that holds writes back (the wasm
    /// module's host store) stores them now.
    fn make_durable(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Opens an atomic block (`ext.atomic`): until [`ExtStore::end_exclusive`], this
    /// store's reads see one state of it and no other process writes to it (a store shared
    /// by processes waits for their blocks and writes, as for any write). The default, for a
    /// store that one process uses, does nothing.
    fn begin_exclusive(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Closes the atomic block: `commit` keeps what was written in it, durably, all or
    /// nothing; otherwise, when [`ExtStore::ends_undo`], the store puts back what it was
    /// before the block. (Otherwise the caller undoes the block's writes itself.)
    fn end_exclusive(&mut self, commit: bool) -> Result<(), StoreError> {
        let _ = commit;
        Ok(())
    }

    /// Whether `end_exclusive(false)` undoes the block's writes (a transaction, a
    /// snapshot). The default is no: `ext_table` keeps the values the block replaced and
    /// writes them back.
    fn ends_undo(&self) -> bool {
        false
    }

    /// The entries that are not of the store's shape (see [`DamagedEntry`]). Stores whose
    /// entries cannot be damaged from outside have none (the default).
    fn damaged_entries(&mut self) -> Result<Vec<DamagedEntry>, StoreError> {
        Ok(Vec::new())
    }

    /// Applies `writes` in order, all or nothing: one assignment that converts plain tables
    /// into external tables is one batch. The default applies them one by one and, when one
    /// fails, puts back what the earlier ones replaced (best effort: the store is failing).
    /// A store with transactions should override this with one transaction.
    fn write_batch(&mut self, writes: &[Write]) -> Result<(), StoreError> {
        // Each applied write with the value it replaced.
        let mut undo: Vec<(&Write, Option<Vec<u8>>)> = Vec::new();
        for w in writes {
            let previous = if writes.len() > 1 {
                self.get(w.id, w.key)?
            } else {
                None
            };
            let result = match w.value {
                Some(value) => self.set(w.id, w.key, value),
                None => self.delete(w.id, w.key),
            };
            if let Err(e) = result {
                for (w, previous) in undo.into_iter().rev() {
                    let _ = match previous {
                        Some(value) => self.set(w.id, w.key, &value),
                        None => self.delete(w.id, w.key),
                    };
                }
                return Err(e);
            }
            undo.push((w, previous));
        }
        Ok(())
    }
}

/// Each table's keys and values, in byte order.
type Tables = BTreeMap<u32, BTreeMap<Vec<u8>, Vec<u8>>>;

/// An in-memory store: each table's keys in byte order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MemoryStore {
    tables: Tables,
    next_id: u32,
    /// The tables as they were when the atomic block began (put back if it fails).
    before_block: Option<Tables>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }
}

impl ExtStore for MemoryStore {
    fn set(&mut self, id: u32, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.tables
            .entry(id)
            .or_default()
            .insert(key.to_vec(), value.to_vec());
        self.next_id = self.next_id.max(id.saturating_add(1));
        Ok(())
    }
    fn get(&mut self, id: u32, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.tables.get(&id).and_then(|t| t.get(key)).cloned())
    }
    fn delete(&mut self, id: u32, key: &[u8]) -> Result<(), StoreError> {
        if let Some(table) = self.tables.get_mut(&id) {
            table.remove(key);
            if table.is_empty() {
                self.tables.remove(&id);
            }
        }
        Ok(())
    }
    fn size(&mut self, id: u32) -> Result<usize, StoreError> {
        Ok(self.tables.get(&id).map_or(0, BTreeMap::len))
    }
    fn keys(&mut self, id: u32) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(self
            .tables
            .get(&id)
            .map_or_else(Vec::new, |t| t.keys().cloned().collect()))
    }
    fn next_free_id(&mut self) -> Result<u32, StoreError> {
        Ok(self.next_id.max(FIRST_NEW_TABLE_ID))
    }
    fn table_ids(&mut self) -> Result<Vec<u32>, StoreError> {
        Ok(self.tables.keys().copied().collect())
    }
    fn reserve_ids(&mut self, next_free_id: u32) -> Result<(), StoreError> {
        self.next_id = self.next_id.max(next_free_id);
        Ok(())
    }
    fn write_batch(&mut self, writes: &[Write]) -> Result<(), StoreError> {
        // Nothing here fails: no undo needed.
        for w in writes {
            match w.value {
                Some(value) => self.set(w.id, w.key, value)?,
                None => self.delete(w.id, w.key)?,
            }
        }
        Ok(())
    }
    /// A snapshot of the tables, put back if the block fails. (Ids given out stay given.)
    fn begin_exclusive(&mut self) -> Result<(), StoreError> {
        self.before_block = Some(self.tables.clone());
        Ok(())
    }
    fn end_exclusive(&mut self, commit: bool) -> Result<(), StoreError> {
        let before = self.before_block.take();
        if !commit {
            if let Some(tables) = before {
                self.tables = tables;
            }
        }
        Ok(())
    }
    fn ends_undo(&self) -> bool {
        true
    }
}
