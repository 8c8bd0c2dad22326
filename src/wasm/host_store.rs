//! The external-table store of the wasm module: the host, through cu's imports
//! `js_ext_table_set`, `js_ext_table_get` and `js_ext_table_size` (cu: `ext_table.zig`'s
//! externs). A host written for cu provides exactly these, so the module imports no more;
//! what cu lacks travels through them:
//!
//! | operation | call | a cu host |
//! |---|---|---|
//! | get | `get(id, key, out, 16384)`: the length; if larger than the window, the host writes nothing and the call is repeated with a buffer of that length | returns -1 for long values: read as missing |
//! | delete | `set(id, key, value_len = 0)` (a stored value is never empty) | stores an empty value, which reads as nil |
//! | keys | `get(id, key_len = 0, ...)` (keys are never empty): each key as u32 LE length + bytes | -1: no keys |
//! | next free id | `size(0)` (0 is never a table id) | 0: the module starts after `_io` |
//! | failure | `get` or `size` returns less than -1 (a Lua error, not "missing") | never: -1 or more |
//! | atomic block begins | `get(0, "begin")`; a host that keeps the block's writes apart, to drop them if it fails, answers a value | -1: the module undoes a failed block itself |
//! | block ends | `get(0, "end")` stores the block's writes durably (an outer block's end only), `get(0, "undo")` drops them | -1 |
//! | output point | `get(0, "commit")`, when the state wrote since its last one: everything written so far, durably, before the output leaves | -1: it wrote through |

use super::module_cell::ModuleCell;
use crate::ext_table::{ExtStore, StoreError};
use crate::fallible::{try_copy, try_push, try_zeroed};
use crate::ffi::host_imports::*;
use crate::store::Write;

/// cu's window for `js_ext_table_get` (io_buffer_size / 4): a cu host answers -1 for a
/// longer value, so the module offers no less.
const GET_WINDOW: usize = 16 * 1024;

/// Where `get` answers land, shared by every state: one window, not an allocation (and
/// a clearing) of 16 KiB per read.
static WINDOW: ModuleCell<[u8; GET_WINDOW]> = ModuleCell::new([0; GET_WINDOW]);

/// The host's store.
pub(crate) struct HostStore {
    /// The host answered the open block's `begin`: it drops the block's writes itself.
    host_undoes: bool,
    /// This state wrote since its last `commit` went through: an output point with nothing
    /// written asks the host nothing (the runner's module has one at every `print`).
    wrote_since_commit: bool,
}

impl HostStore {
    pub(crate) const fn new() -> Self {
        HostStore {
            host_undoes: false,
            wrote_since_commit: false,
        }
    }

    /// `get`, with the large-value protocol; None when the host has nothing.
    fn read(&mut self, id: u32, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let window = WINDOW.as_ptr().cast::<u8>();
        // SAFETY: the key and the window are valid for their lengths during the call; the
        // host writes only there and calls nothing of the module meanwhile.
        let n = unsafe { js_ext_table_get(id, key.as_ptr(), key.len(), window, GET_WINDOW) };
        let Ok(n) = usize::try_from(n) else {
            check(n)?;
            return Ok(None);
        };
        if n == 0 {
            return Ok(None); // cu: any result <= 0 is nil
        }
        if n <= GET_WINDOW {
            // SAFETY: the host wrote n bytes there; copied out before the next call.
            return Ok(Some(try_copy(unsafe {
                core::slice::from_raw_parts(window, n)
            })?));
        }
        // The host announces the length: a length the memory cannot hold is an error.
        let mut big = try_zeroed(n)?;
        // SAFETY: as above.
        let m =
            unsafe { js_ext_table_get(id, key.as_ptr(), key.len(), big.as_mut_ptr(), big.len()) };
        if usize::try_from(m) != Ok(n) {
            return Err(StoreError(format!(
                "the host's value changed size while it was read ({n} then {m} bytes)"
            )));
        }
        Ok(Some(big))
    }

    fn write(&mut self, id: u32, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.wrote_since_commit = true;
        // SAFETY: the key and the value are valid for their lengths during the call.
        let rc =
            unsafe { js_ext_table_set(id, key.as_ptr(), key.len(), value.as_ptr(), value.len()) };
        if rc == 0 {
            Ok(())
        } else {
            Err(StoreError(format!(
                "the host store refused the write (code {rc})"
            )))
        }
    }

    /// A `get(0, what)` of the protocol's rows for blocks and output points: whether the
    /// host answered.
    fn signal(&mut self, what: &[u8]) -> Result<bool, StoreError> {
        Ok(self.read(0, what)?.is_some())
    }
}

impl ExtStore for HostStore {
    fn begin_exclusive(&mut self) -> Result<(), StoreError> {
        self.host_undoes = self.signal(b"begin")?;
        Ok(())
    }

    fn end_exclusive(&mut self, commit: bool) -> Result<(), StoreError> {
        // (A host that did not answer `begin` does not answer this either.)
        self.signal(if commit { b"end" } else { b"undo" }).map(drop)
    }

    fn ends_undo(&self) -> bool {
        self.host_undoes
    }

    fn make_durable(&mut self) -> Result<(), StoreError> {
        if !self.wrote_since_commit {
            return Ok(());
        }
        self.signal(b"commit")?;
        self.wrote_since_commit = false;
        Ok(())
    }

    fn set(&mut self, id: u32, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.write(id, key, value)
    }

    /// External tables' batches write keys of new tables first and the key that makes them
    /// reachable last, so undoing a failure is deleting what was written: no reads before
    /// each write (the trait's general undo reads every previous value through the host).
    fn write_batch(&mut self, writes: &[Write]) -> Result<(), StoreError> {
        for (done, w) in writes.iter().enumerate() {
            let result = match w.value {
                Some(value) => self.write(w.id, w.key, value),
                None => self.write(w.id, w.key, &[]),
            };
            if let Err(e) = result {
                for undo in &writes[..done] {
                    let _ = self.write(undo.id, undo.key, &[]);
                }
                return Err(e);
            }
        }
        Ok(())
    }

    fn get(&mut self, id: u32, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if key.is_empty() {
            return Ok(None); // the empty key is the key listing, never a value
        }
        self.read(id, key)
    }

    fn delete(&mut self, id: u32, key: &[u8]) -> Result<(), StoreError> {
        self.write(id, key, &[])
    }

    fn size(&mut self, id: u32) -> Result<usize, StoreError> {
        // SAFETY: a plain call.
        let n = unsafe { js_ext_table_size(id) };
        check(n)?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn keys(&mut self, id: u32) -> Result<Vec<Vec<u8>>, StoreError> {
        let Some(listing) = self.read(id, &[])? else {
            return Ok(Vec::new());
        };
        let mut keys = Vec::new();
        let mut rest = listing.as_slice();
        while !rest.is_empty() {
            let bad = || StoreError("the host's key listing is malformed".into());
            let len = u32::from_le_bytes(
                rest.get(..4)
                    .ok_or_else(bad)?
                    .try_into()
                    .map_err(|_| bad())?,
            ) as usize;
            let key = rest.get(4..4 + len).ok_or_else(bad)?;
            try_push(&mut keys, try_copy(key)?)?;
            rest = &rest[4 + len..];
        }
        Ok(keys)
    }

    fn next_free_id(&mut self) -> Result<u32, StoreError> {
        // SAFETY: a plain call.
        let n = unsafe { js_ext_table_size(0) };
        check(n)?;
        Ok(u32::try_from(n).unwrap_or(0).max(1))
    }
}

/// A negative answer of `get` or `size`: -1 is "missing" (cu's hosts); below -1 the host
/// reports that its store failed (a JavaScript store that threw: the exception must not
/// unwind through Lua's frames, and reading on as "missing" would lose data silently).
#[inline(never)]
fn check(n: i32) -> Result<(), StoreError> {
    if n < -1 {
        return Err(StoreError("the host store failed".into()));
    }
    Ok(())
}
