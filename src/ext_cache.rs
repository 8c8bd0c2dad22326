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

/// A pending write by its table and key: when it was last written (a commit keeps that
/// order, so that new tables come before the keys that reach them) and the value (none:
/// deleted).
#[cfg(not(target_arch = "wasm32"))]
type Pending = std::collections::BTreeMap<(u32, Vec<u8>), (u64, Option<Vec<u8>>)>;

/// The pending writes.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Default)]
pub struct WriteBuffer {
    writes: Pending,
    next_seq: u64,
    bytes: usize,
}

#[cfg(not(target_arch = "wasm32"))]
impl WriteBuffer {
    pub fn enabled(&self) -> bool {
        true
    }

    pub fn insert(&mut self, w: &Write) -> Result<(), AllocError> {
        use crate::fallible::try_copy;
        let value = match w.value {
            Some(v) => Some(try_copy(v)?),
            None => None,
        };
        self.bytes += w.key.len() + w.value.map_or(0, <[u8]>::len);
        self.next_seq += 1;
        self.writes
            .insert((w.id, try_copy(w.key)?), (self.next_seq, value));
        Ok(())
    }

    /// Past [`PENDING_LIMIT_WRITES`] or [`PENDING_LIMIT_BYTES`].
    pub fn full(&self) -> bool {
        self.writes.len() >= PENDING_LIMIT_WRITES || self.bytes >= PENDING_LIMIT_BYTES
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.writes.len()
    }

    /// The pending value of (`id`, `key`): `Some(None)` when it was deleted, `None` when it
    /// is not pending.
    pub fn get(&self, id: u32, key: &[u8]) -> Result<Option<Option<Vec<u8>>>, AllocError> {
        use crate::fallible::try_copy;
        match self.writes.get(&(id, key.to_vec())) {
            None => Ok(None),
            Some((_, None)) => Ok(Some(None)),
            Some((_, Some(value))) => Ok(Some(Some(try_copy(value)?))),
        }
    }

    /// The writes in the order they were made.
    pub fn batch(&self) -> Result<Vec<Write<'_>>, AllocError> {
        let mut ordered = crate::fallible::try_with_capacity(self.writes.len())?;
        for ((id, key), (seq, value)) in &self.writes {
            ordered.push((
                *seq,
                Write {
                    id: *id,
                    key,
                    value: value.as_deref(),
                },
            ));
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
    values: std::collections::BTreeMap<(u32, Vec<u8>), Option<Vec<u8>>>,
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
        use crate::fallible::try_copy;
        if self.version != Some(version) {
            self.values.clear();
            self.version = Some(version);
            return Ok(None);
        }
        match self.values.get(&(id, key.to_vec())) {
            None => Ok(None),
            Some(None) => Ok(Some(None)),
            Some(Some(value)) => Ok(Some(Some(try_copy(value)?))),
        }
    }

    /// Remembers what the store holds for (`id`, `key`) at the cache's version.
    pub fn insert(&mut self, id: u32, key: &[u8], value: Option<&[u8]>) -> Result<(), AllocError> {
        use crate::fallible::try_copy;
        let value = match value {
            Some(v) => Some(try_copy(v)?),
            None => None,
        };
        self.values.insert((id, try_copy(key)?), value);
        Ok(())
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
