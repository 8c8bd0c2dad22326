//! What a state keeps of its external tables in memory (`ext_table`): the pending writes
//! ([`WriteBuffer`]: what it wrote outside atomic blocks and has not stored yet, committed
//! together at the next output point, README "What is durable when") and a read cache
//! ([`ReadCache`]: values read from the store, valid while the store's version says nobody
//! else wrote). Natively only: in the wasm module each write goes to the host store at once
//! and each read asks it, as before (the module has no room left in its size budget yet);
//! there both are empty stand-ins.

use crate::fallible::AllocError;
use crate::store::Write;

/// Pending writes are committed when there are this many...
#[cfg(not(target_arch = "wasm32"))]
pub const PENDING_LIMIT_WRITES: usize = 100_000;
/// ... or when their keys and values have this many bytes.
#[cfg(not(target_arch = "wasm32"))]
pub const PENDING_LIMIT_BYTES: usize = 16 << 20;

/// Values by table and key, looked up with a borrowed key (no copy per read: both maps are
/// on the path of every external-table read).
#[cfg(not(target_arch = "wasm32"))]
struct ByKey<V> {
    tables: std::collections::BTreeMap<u32, std::collections::BTreeMap<Vec<u8>, V>>,
    len: usize,
}

#[cfg(not(target_arch = "wasm32"))]
impl<V> Default for ByKey<V> {
    fn default() -> Self {
        ByKey {
            tables: Default::default(),
            len: 0,
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl<V> ByKey<V> {
    fn get(&self, id: u32, key: &[u8]) -> Option<&V> {
        self.tables.get(&id)?.get(key)
    }

    fn insert(&mut self, id: u32, key: &[u8], value: V) -> Result<(), AllocError> {
        let table = self.tables.entry(id).or_default();
        if let Some(slot) = table.get_mut(key) {
            *slot = value;
        } else {
            table.insert(crate::fallible::try_copy(key)?, value);
            self.len += 1;
        }
        Ok(())
    }

    fn iter(&self) -> impl Iterator<Item = (u32, &[u8], &V)> {
        self.tables
            .iter()
            .flat_map(|(id, keys)| keys.iter().map(move |(k, v)| (*id, k.as_slice(), v)))
    }

    fn clear(&mut self) {
        self.tables.clear();
        self.len = 0;
    }
}

/// A copy of a stored value (none: missing or deleted).
#[cfg(not(target_arch = "wasm32"))]
fn copy_value(value: Option<&[u8]>) -> Result<Option<Vec<u8>>, AllocError> {
    value.map(crate::fallible::try_copy).transpose()
}

/// The pending writes: by table and key, when each was last written (a commit keeps that
/// order, so that new tables come before the keys that reach them) and the value (none:
/// deleted).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Default)]
pub struct WriteBuffer {
    writes: ByKey<(u64, Option<Vec<u8>>)>,
    next_seq: u64,
    bytes: usize,
}

#[cfg(not(target_arch = "wasm32"))]
impl WriteBuffer {
    pub fn enabled(&self) -> bool {
        true
    }

    pub fn insert(&mut self, w: &Write) -> Result<(), AllocError> {
        let value = copy_value(w.value)?;
        self.bytes += w.key.len() + w.value.map_or(0, <[u8]>::len);
        self.next_seq += 1;
        self.writes.insert(w.id, w.key, (self.next_seq, value))
    }

    /// Past [`PENDING_LIMIT_WRITES`] or [`PENDING_LIMIT_BYTES`].
    pub fn full(&self) -> bool {
        self.writes.len >= PENDING_LIMIT_WRITES || self.bytes >= PENDING_LIMIT_BYTES
    }

    pub fn is_empty(&self) -> bool {
        self.writes.len == 0
    }

    pub fn len(&self) -> usize {
        self.writes.len
    }

    /// The pending value of (`id`, `key`): `Some(None)` when it was deleted, `None` when it
    /// is not pending.
    pub fn get(&self, id: u32, key: &[u8]) -> Result<Option<Option<Vec<u8>>>, AllocError> {
        self.writes
            .get(id, key)
            .map(|(_, value)| copy_value(value.as_deref()))
            .transpose()
    }

    /// The writes in the order they were made.
    pub fn batch(&self) -> Result<Vec<Write<'_>>, AllocError> {
        let mut ordered = crate::fallible::try_with_capacity(self.writes.len)?;
        for (id, key, (seq, value)) in self.writes.iter() {
            let value = value.as_deref();
            ordered.push((*seq, Write { id, key, value }));
        }
        ordered.sort_unstable_by_key(|(seq, _)| *seq);
        let mut batch = crate::fallible::try_with_capacity(ordered.len())?;
        batch.extend(ordered.into_iter().map(|(_, w)| w));
        Ok(batch)
    }

    pub fn clear(&mut self) {
        self.writes.clear();
        self.bytes = 0;
    }
}

/// Values read from the store, by table and key (none: the key is missing), and the store
/// version they were read at ([`crate::store::ExtStore::version`]).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Default)]
pub struct ReadCache {
    values: ByKey<Option<Vec<u8>>>,
    version: Option<u64>,
}

#[cfg(not(target_arch = "wasm32"))]
impl ReadCache {
    /// The cached value of (`id`, `key`) if the store is still at `version` (else the cache
    /// empties and starts at it): `Some(None)` for a key known missing.
    pub fn get(
        &mut self,
        version: u64,
        id: u32,
        key: &[u8],
    ) -> Result<Option<Option<Vec<u8>>>, AllocError> {
        if self.version != Some(version) {
            self.values.clear();
            self.version = Some(version);
            return Ok(None);
        }
        self.values
            .get(id, key)
            .map(|value| copy_value(value.as_deref()))
            .transpose()
    }

    /// Remembers what the store holds for (`id`, `key`) at the cache's version.
    pub fn insert(&mut self, id: u32, key: &[u8], value: Option<&[u8]>) -> Result<(), AllocError> {
        self.values.insert(id, key, copy_value(value)?)
    }

    /// Forgets everything (after this state wrote to the store).
    pub fn clear(&mut self) {
        self.values.clear();
        self.version = None;
    }
}

/// The wasm module's: never holds anything.
#[cfg(target_arch = "wasm32")]
#[derive(Default)]
pub struct ReadCache {}

#[cfg(target_arch = "wasm32")]
impl ReadCache {
    pub fn clear(&mut self) {}
}

/// The wasm module's: never holds anything.
#[cfg(target_arch = "wasm32")]
#[derive(Default)]
pub struct WriteBuffer {}

#[cfg(target_arch = "wasm32")]
impl WriteBuffer {
    pub fn enabled(&self) -> bool {
        false
    }
    pub fn insert(&mut self, _: &Write) -> Result<(), AllocError> {
        Ok(())
    }
    pub fn full(&self) -> bool {
        false
    }
    pub fn is_empty(&self) -> bool {
        true
    }
    pub fn len(&self) -> usize {
        0
    }
    pub fn get(&self, _: u32, _: &[u8]) -> Result<Option<Option<Vec<u8>>>, AllocError> {
        Ok(None)
    }
    pub fn batch(&self) -> Result<Vec<Write<'_>>, AllocError> {
        Ok(Vec::new())
    }
    pub fn clear(&mut self) {}
}
