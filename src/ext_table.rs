//! External tables (cu: `ext_table.zig`): Lua tables whose contents live in a host store,
//! as serialized values under byte-string keys, one key space per table id. A proxy is a
//! table `{__ext_table_id = id}` with a shared metatable; reading and writing its fields
//! goes to the store.
//!
//! What cu does and we keep: ids are u32 from a counter (1 = `_home`, 2 = `_io`), keys are
//! strings as they are and integral numbers in decimal (`t[1]` and `t["1"]` are one key),
//! and a plain table assigned into an external table becomes an external table itself.
//! What we fix: `pairs` works (`__pairs` over the store's keys), assigning nil deletes the
//! key, the same id gives the same proxy, shared subtables and cycles convert once, and a
//! store failure or an unstorable value raises a Lua error naming the key, with nothing
//! half-written.
//!
//! Keys: strings (any bytes, not empty) and numbers. An integral float is the integer
//! (`t[2.0]` is `t[2]`); another float is its shortest round-trip decimal (`"1.5"`); NaN,
//! booleans and other key types raise an error, where cu silently drops the assignment.

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::c_int;

use crate::fallible::{try_copy, try_push, try_with_capacity};
use crate::ffi::*;
use crate::lua;
use crate::serializer::{
    deserialize_value_at, DeserializeOptions, Encoder, IdentityMap, SerializationError,
    SerializeOptions, TableSink,
};
pub use crate::store::{Collection, ExtStore, MemoryStore, StoreError};
use crate::store::{Write, FIRST_NEW_TABLE_ID};
pub use crate::table_refs::push_proxy;
use crate::table_refs::{self, proxy_id};
use crate::trust::SignedPlace;

/// The id of `_home`, the persistent table scripts see.
pub const HOME_TABLE_ID: u32 = 1;
/// The id of `_io`, the table of input and output shared with the host.
pub const IO_TABLE_ID: u32 = 2;
// The stores keep these ids out of what they give to new tables.
const _: () = assert!(HOME_TABLE_ID < FIRST_NEW_TABLE_ID && IO_TABLE_ID < FIRST_NEW_TABLE_ID);

/// Why external tables could not be installed in a state.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The store could not tell its next free table id.
    #[error("the store cannot tell its next table id: {0}")]
    Store(#[from] StoreError),
    /// Lua failed while setting them up (out of memory).
    #[error("cannot install external tables: {0}")]
    Lua(String),
}

/// Why a collection of unreachable external tables failed; nothing was removed.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("cannot collect external tables: {0}")]
    Store(#[from] StoreError),
    #[error("cannot collect external tables: not enough memory")]
    OutOfMemory(#[from] crate::fallible::AllocError),
    #[error("cannot collect external tables: stack overflow")]
    StackOverflow,
    #[error("external tables are closed")]
    Closed,
    #[error("ext.collect cannot run in ext.atomic")]
    InAtomicBlock,
}

/// The per-state part: the store and the id counter. Lives in a userdata (upvalue 1 of
/// every external-table function), freed by its `__gc`.
struct ExtState {
    store: Box<dyn ExtStore>,
    next_id: u32,
    /// The end of the block of ids the store reserved for this state (0: the store does
    /// not reserve; see [`ExtStore::reserve_id_block`]).
    reserved_end: u32,
    /// Tables this state made since its last collection, and how many were live after it:
    /// the next collection runs when the first reaches the larger of the second and
    /// [`AUTO_COLLECT_MIN_TABLES`], so garbage stays below about half the store.
    made_since_collect: usize,
    live_after_collect: usize,
    /// Writes made outside atomic blocks and not yet in the store: committed together at
    /// the next output point (README, "What is durable when").
    pending: crate::ext_cache::WriteBuffer,
    /// Values read from the store, while its version stays (see [`ExtStore::version`]).
    cache: crate::ext_cache::ReadCache,
    /// Whether an atomic block (`ext.atomic`) is open.
    in_atomic: bool,
    /// `(next_id, reserved_end)` when the block began: a block that fails gives back the ids
    /// it made, and an id block it reserved (the reservation is undone with it).
    ids_before_block: (u32, u32),
    /// For a store that does not undo a failed block by itself ([`ExtStore::ends_undo`]):
    /// what each of the block's writes replaced, in order. Written back in reverse, each key
    /// ends with the value it had before its first write.
    undo: Option<Vec<Replaced>>,
}

impl Drop for ExtState {
    /// A state that closes stores what is pending (best effort: nobody is left to tell).
    fn drop(&mut self) {
        let _ = self.commit();
    }
}

/// A value an atomic block's write replaced: table, key, the value (or none).
type Replaced = (u32, Vec<u8>, Option<Vec<u8>>);

/// The registry field of the output point's function, which `src/lua_user/output_gate.c`
/// calls before a script's output leaves (print, io.write, a file's flush or close,
/// os.exit).
const OUTPUT_POINT_FIELD: &core::ffi::CStr = c"lua_persist.output_point";

/// The fewest new tables between two automatic collections.
pub const AUTO_COLLECT_MIN_TABLES: usize = 1000;

impl ExtState {
    /// The id for a new table (the caller advances `next_id` past it). With a store that
    /// reserves, from this state's block, so that processes sharing the store never make
    /// the same id; otherwise past what this state gave out and past what the store has
    /// (the host may have made tables meanwhile, e.g. `_io` input).
    fn fresh_id(&mut self) -> Result<u32, String> {
        if self.next_id < self.reserved_end {
            return Ok(self.next_id);
        }
        let failed = |e: StoreError| format!("cannot make a new external table: {e}");
        match self.store.reserve_id_block().map_err(failed)? {
            // Never 1 or 2 (`_home`, `_io`), whatever the store says.
            Some(block) => {
                self.next_id = block.start.max(FIRST_NEW_TABLE_ID);
                self.reserved_end = block.end;
            }
            None => {
                let stored = self.store.next_free_id().map_err(failed)?;
                self.next_id = self.next_id.max(stored); // next_id starts past _io
            }
        }
        Ok(self.next_id)
    }

    /// Whether this state has made enough new tables since its last collection for the
    /// next one to run.
    fn collection_due(&self) -> bool {
        self.made_since_collect >= self.live_after_collect.max(AUTO_COLLECT_MIN_TABLES)
    }

    /// Writes `batch` (all or nothing): outside an atomic block into the pending writes
    /// (committed when they grow past [`PENDING_LIMIT_BYTES`] or [`PENDING_LIMIT_WRITES`],
    /// and at the next output point); inside one to the store, remembering first what it
    /// replaces when the store does not undo.
    fn write(&mut self, batch: &[Write]) -> Result<(), StoreError> {
        if !self.in_atomic && self.pending.enabled() {
            for w in batch {
                self.pending.insert(w)?;
            }
            if self.pending.full() {
                self.commit()?;
            }
            return Ok(());
        }
        if let Some(undo) = &mut self.undo {
            for w in batch {
                let previous = self.store.get(w.id, w.key)?;
                try_push(undo, (w.id, try_copy(w.key)?, previous))?;
            }
        }
        self.cache.clear();
        self.store.write_batch(batch)
    }

    /// Stores the pending writes, together, all or nothing. When the store fails they are
    /// dropped, as a failed transaction's: the error says how many (see [`CommitError`]).
    fn commit(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.cache.clear();
        let stored = match self.pending.batch() {
            Ok(batch) => self.store.write_batch(&batch),
            Err(e) => Err(e.into()),
        };
        self.pending.clear();
        stored
    }

    /// The value of (`id`, `key`): a pending write's, else the store's (from the cache
    /// while nobody else has written).
    fn read(&mut self, id: u32, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(value) = self.pending.get(id, key)? {
            return Ok(value);
        }
        // (The wasm module asks its host store every time: see src/ext_cache.rs.)
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(version) = self.store.version()? {
            if let Some(value) = self.cache.get(version, id, key)? {
                return Ok(value);
            }
            let value = self.store.get(id, key)?;
            self.cache.insert(id, key, value.as_deref())?;
            return Ok(value);
        }
        self.store.get(id, key)
    }

    /// Opens an atomic block (after storing the pending writes: the block reads and writes
    /// the store).
    fn begin_atomic(&mut self) -> Result<(), StoreError> {
        self.commit()?;
        self.cache.clear(); // the block reads its own snapshot
        self.store.begin_exclusive()?;
        self.in_atomic = true;
        self.ids_before_block = (self.next_id, self.reserved_end);
        if !self.store.ends_undo() {
            self.undo = Some(Vec::new());
        }
        Ok(())
    }

    /// Closes the atomic block: commits its writes, or puts back what they replaced.
    fn end_atomic(&mut self, commit: bool) -> Result<(), StoreError> {
        self.in_atomic = false;
        if !commit {
            (self.next_id, self.reserved_end) = self.ids_before_block;
        }
        self.cache.clear(); // a rolled-back block's values are not the store's
        let undo = self.undo.take();
        let mut restored = Ok(());
        if let (false, Some(undo)) = (commit, undo) {
            let mut batch = try_with_capacity(undo.len())?;
            for (id, key, previous) in undo.iter().rev() {
                batch.push(Write {
                    id: *id,
                    key,
                    value: previous.as_deref(),
                });
            }
            restored = self.store.write_batch(&batch);
        }
        let ended = self.store.end_exclusive(commit);
        restored.and(ended)
    }

    /// After a failed assignment, takes back the ids it made (`before` is `(next_id,
    /// reserved_end)` from before it), unless a new block was reserved meanwhile: the ids
    /// between the two blocks belong to others.
    fn give_back_ids(&mut self, before: (u32, u32)) {
        if self.reserved_end == before.1 {
            self.next_id = before.0;
        }
    }
}

/// Registry key (the address of this static) of the state's Rust side.
static STATE_KEY: u8 = 0;

/// Installs external tables in `L` over `store`: the proxy metatable, `_home` (id 1),
/// `_io` (id 2), `Memory` (an alias of `_home` when `memory_alias`), `ext.table()`, and the
/// resolver that turns stored references (`07` + id) into proxies.
///
/// # Safety
/// `L` must be a valid state with the base library open.
pub unsafe fn install(
    L: *mut lua_State,
    store: Box<dyn ExtStore>,
    memory_alias: bool,
) -> Result<(), InstallError> {
    let mut store = store;
    let next_id = store.next_free_id()?.max(FIRST_NEW_TABLE_ID);
    let state = Box::into_raw(Box::new(ExtState {
        store,
        next_id,
        reserved_end: 0,
        made_since_collect: 0,
        live_after_collect: 0,
        pending: crate::ext_cache::WriteBuffer::default(),
        cache: crate::ext_cache::ReadCache::default(),
        in_atomic: false,
        ids_before_block: (0, 0),
        undo: None,
    }));
    // SAFETY: forwarded caller contract; everything that allocates runs protected; the
    // box is owned by the userdata as soon as that exists, and freed here if it never is.
    unsafe {
        let mut owned = Some(state);
        let result = lua::protected(L, &mut |L| {
            // The state userdata, owning the Rust side.
            let slot = lua_newuserdatauv(L, core::mem::size_of::<*mut ExtState>(), 0)
                as *mut *mut ExtState;
            *slot = owned.take().unwrap_or(core::ptr::null_mut());
            lua_createtable(L, 0, 1);
            lua_pushcfunction(L, Some(state_gc));
            lua_setfield(L, -2, c"__gc".as_ptr());
            lua_setmetatable(L, -2);
            lua_rawsetp(L, LUA_REGISTRYINDEX, lua::registry_key(&STATE_KEY));
            // The proxy metatable.
            lua_createtable(L, 0, 6);
            for (name, f) in [
                (
                    c"__index",
                    proxy_index as unsafe extern "C-unwind" fn(*mut lua_State) -> c_int,
                ),
                (c"__newindex", proxy_newindex),
                (c"__len", proxy_len),
                (c"__pairs", proxy_pairs),
            ] {
                lua_pushcfunction(L, Some(f));
                lua_setfield(L, -2, name.as_ptr());
            }
            lua_pushliteral(L, b"ext_table");
            lua_setfield(L, -2, c"__name".as_ptr());
            // Scripts get this string from getmetatable and cannot setmetatable a proxy, so
            // no library can make writes silently stop reaching the store.
            lua_pushliteral(L, b"external table");
            lua_setfield(L, -2, c"__metatable".as_ptr());
            table_refs::install_proxies(L); // takes the metatable
                                            // Globals.
            push_proxy(L, HOME_TABLE_ID);
            if memory_alias {
                lua_pushvalue(L, -1);
                lua_setglobal(L, c"Memory".as_ptr());
            }
            lua_setglobal(L, c"_home".as_ptr());
            push_proxy(L, IO_TABLE_ID);
            lua_setglobal(L, c"_io".as_ptr());
            lua_createtable(L, 0, 2);
            lua_pushcfunction(L, Some(ext_new_table));
            lua_setfield(L, -2, c"table".as_ptr());
            lua_pushcfunction(L, Some(ext_collect));
            lua_setfield(L, -2, c"collect".as_ptr());
            lua_pushcfunction(L, Some(ext_atomic));
            lua_setfield(L, -2, c"atomic".as_ptr());
            lua_pushcfunction(L, Some(ext_commit));
            lua_setfield(L, -2, c"commit".as_ptr());
            lua_pushcfunction(L, Some(ext_commit));
            lua_setfield(L, LUA_REGISTRYINDEX, OUTPUT_POINT_FIELD.as_ptr());
            lua_setglobal(L, c"ext".as_ptr());
        });
        if let Some(state) = owned {
            drop(Box::from_raw(state)); // the userdata was never made
        }
        result.map_err(|e| InstallError::Lua(e.0))?;
        table_refs::set_table_ref_resolver(L, Some(resolve_table_ref))
            .map_err(|e| InstallError::Lua(e.to_string()))
    }
}

unsafe extern "C-unwind" fn state_gc(L: *mut lua_State) -> c_int {
    lua::abort_on_panic(|| {
        // SAFETY: called by Lua on the state userdata, once.
        unsafe {
            let slot = lua_touserdata(L, 1) as *mut *mut ExtState;
            if !slot.is_null() && !(*slot).is_null() {
                drop(Box::from_raw(*slot));
                *slot = core::ptr::null_mut();
            }
        }
        0
    })
}

/// The Rust side of the state's external tables, or None if they are not installed (or
/// the state is closing).
///
/// # Safety
/// `L` valid with room for 1 stack slot.
unsafe fn ext_state<'a>(L: *mut lua_State) -> Option<&'a mut ExtState> {
    // SAFETY: the userdata at STATE_KEY holds a pointer owned by it.
    unsafe {
        lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&STATE_KEY));
        let slot = lua_touserdata(L, -1) as *mut *mut ExtState;
        lua_pop(L, 1);
        if slot.is_null() || (*slot).is_null() {
            None
        } else {
            Some(&mut **slot)
        }
    }
}

/// The store key of the Lua key at `idx` (see the module documentation), or why not.
///
/// # Safety
/// `L` valid.
unsafe fn store_key(L: *mut lua_State, idx: c_int) -> Result<Vec<u8>, String> {
    // SAFETY: reads only; numbers are formatted in Rust, not converted in place.
    unsafe {
        match lua_type(L, idx) {
            LUA_TSTRING => {
                let key = lua::tostring(L, idx).unwrap_or_default();
                if key.is_empty() {
                    return Err("an external table key cannot be the empty string".into());
                }
                try_copy(key).map_err(|e| e.to_string())
            }
            LUA_TNUMBER => {
                if let Some(i) = lua::tointeger(L, idx) {
                    return Ok(i.to_string().into_bytes()); // integral floats too: 2.0 -> "2"
                }
                let f = lua_tonumber(L, idx);
                if f.is_nan() {
                    return Err("an external table key cannot be NaN".into());
                }
                Ok(crate::portable_libc::printf::shortest(f).into_bytes())
            }
            t => Err(format!(
                "an external table key must be a string or a number, not a {}",
                String::from_utf8_lossy(lua::typename(L, t))
            )),
        }
    }
}

/// A key for messages: strings quoted, numbers as they are.
fn show_key(key: &[u8]) -> String {
    format!("\"{}\"", String::from_utf8_lossy(key))
}

/// `__index(t, k)`: the stored value, or nil.
unsafe extern "C-unwind" fn proxy_index(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua with (proxy, key); Rust values are dropped before any raise.
    lua::abort_on_panic(|| unsafe {
        let message = match index_value(L) {
            Ok(()) => return 1,
            Err(message) => message,
        };
        lua::raise(L, message)
    })
}

/// # Safety
/// Called from `__index`: stack (proxy, key).
unsafe fn index_value(L: *mut lua_State) -> Result<(), String> {
    // SAFETY: forwarded caller contract; the decode runs protected.
    unsafe {
        let Some(id) = proxy_id(L, 1) else {
            return Err("not an external table".into());
        };
        let key = match store_key(L, 2) {
            Ok(key) => key,
            Err(_) => {
                lua_pushnil(L); // such a key is never stored: reading it gives nil
                return Ok(());
            }
        };
        let Some(state) = ext_state(L) else {
            return Err("external tables are closed".into());
        };
        let bytes = state.read(id, &key).map_err(|e| {
            format!(
                "external table {id}: cannot read key {}: {e}",
                show_key(&key)
            )
        })?;
        match bytes {
            None => lua_pushnil(L),
            Some(bytes) => deserialize_value_at(
                L,
                &bytes,
                &DeserializeOptions::default(),
                SignedPlace::Entry {
                    table_id: id,
                    key: &key,
                },
            )
            .map_err(|e| {
                format!(
                    "external table {id}: key {} holds bad data: {e}",
                    show_key(&key)
                )
            })?,
        }
        Ok(())
    }
}

/// `__newindex(t, k, v)`: stores `v` (converting plain tables into external tables), or
/// deletes the key when `v` is nil.
unsafe extern "C-unwind" fn proxy_newindex(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua with (proxy, key, value); Rust values are dropped before a raise.
    lua::abort_on_panic(|| unsafe {
        // A collection runs when this state has made enough new tables since the last.
        let message = match store_value(L) {
            Ok(false) => return 0,
            Ok(true) => match collect(L) {
                Ok(_) => return 0,
                Err(e) => e.to_string(),
            },
            Err(message) => message,
        };
        lua::raise(L, message)
    })
}

/// Collects the store's unreachable tables now (see [`ExtStore::collect`]), keeping every
/// table this state still holds a proxy for. Runs Lua's full garbage collection first, so
/// that proxies nothing uses any more let their tables go.
///
/// # Safety
/// `L` valid with external tables installed; not inside a finalizer.
pub unsafe fn collect(L: *mut lua_State) -> Result<Collection, CollectError> {
    // SAFETY: forwarded caller contract; no Rust value lives across lua_gc (finalizers may
    // run), and reading the proxy table raw does not raise.
    unsafe {
        lua_gc(L, LUA_GCCOLLECT, 0);
        if lua_checkstack(L, 3) == 0 {
            return Err(CollectError::StackOverflow);
        }
        let held = table_refs::live_proxy_ids(L)?;
        let Some(state) = ext_state(L) else {
            return Err(CollectError::Closed);
        };
        if state.in_atomic {
            return Err(CollectError::InAtomicBlock);
        }
        state.commit()?;
        state.cache.clear();
        let done = state.store.collect(&held)?;
        state.made_since_collect = 0;
        state.live_after_collect = done.live_tables;
        Ok(done)
    }
}

/// `ext.collect()`: collects now; returns a table of what it did (`live`, `removed`,
/// `entries` removed, `deferred`, `unreadable` values).
unsafe extern "C-unwind" fn ext_collect(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua; Rust values are dropped before a raise.
    lua::abort_on_panic(|| unsafe {
        let done = match collect(L) {
            Ok(done) => done,
            Err(e) => lua::raise(L, e.to_string()),
        };
        lua_createtable(L, 0, 5);
        for (name, n) in [
            (c"live", done.live_tables),
            (c"removed", done.removed_tables),
            (c"entries", done.removed_entries),
            (c"deferred", done.deferred_tables),
            (c"unreadable", done.unreadable_values),
        ] {
            lua_pushinteger(L, n as lua_Integer);
            lua_setfield(L, -2, name.as_ptr());
        }
        1
    })
}

/// `ext.commit()`, and the output point (see [`OUTPUT_POINT_FIELD`]): stores the pending
/// writes now, durably, all or nothing; raises when the store fails (and the writes are
/// gone), so that no output leaves ahead of the writes before it.
unsafe extern "C-unwind" fn ext_commit(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua; Rust values are dropped before a raise.
    lua::abort_on_panic(|| unsafe {
        let failed = commit(L).err().map(|e| e.to_string());
        if let Some(message) = failed {
            lua::raise(L, message);
        }
        0
    })
}

/// Why the pending writes could not be stored: none of them is (they are dropped).
#[derive(Debug, thiserror::Error)]
#[error("external tables: writes not stored: {source}")]
pub struct CommitError {
    /// How many writes this state held; 0 when the store lost writes it held itself (the
    /// wasm module's host store).
    pub lost: usize,
    pub source: StoreError,
}

/// Stores the state's pending external-table writes (a host calls it when a chunk ends;
/// scripts at each output point). Nothing to do without external tables.
///
/// # Safety
/// `L` valid with room for 1 stack slot.
#[inline(never)]
pub unsafe fn commit(L: *mut lua_State) -> Result<(), CommitError> {
    // SAFETY: forwarded caller contract.
    match unsafe { ext_state(L) } {
        Some(state) => {
            let lost = state.pending.len();
            let mut stored = state.commit();
            if stored.is_ok() && !state.in_atomic {
                stored = state.store.make_durable();
            }
            stored.map_err(|source| CommitError { lost, source })
        }
        None => Ok(()),
    }
}

/// `ext.atomic(fn, ...)`: calls `fn(...)` as one atomic block and returns its results. The
/// external-table reads inside see one state of the store, which other processes do not
/// change meanwhile, and its writes are stored together when `fn` returns, durably, or not
/// at all when it raises (the error goes on). A block inside a block joins it.
unsafe extern "C-unwind" fn ext_atomic(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua; the ExtState reference is taken anew after the call (which
    // may use external tables), and Rust values are dropped before a raise.
    lua::abort_on_panic(|| unsafe {
        luaL_checktype(L, 1, LUA_TFUNCTION);
        let nargs = lua_gettop(L) - 1;
        let Some(state) = ext_state(L) else {
            lua::raise(L, "external tables are closed".into());
        };
        if state.in_atomic {
            lua_call(L, nargs, LUA_MULTRET); // joins the open block
            return lua_gettop(L);
        }
        if let Err(e) = state.begin_atomic() {
            lua::raise(L, atomic_failure("cannot begin the block", e));
        }
        let status = lua_pcall(L, nargs, LUA_MULTRET, 0);
        let ended = match ext_state(L) {
            Some(state) => state.end_atomic(status == LUA_OK),
            None => Err(StoreError("external tables are closed".into())),
        };
        if let Err(e) = ended {
            let what = if status == LUA_OK {
                "the block's writes were not stored"
            } else {
                "the block failed, and undoing it failed too"
            };
            lua::raise(L, atomic_failure(what, e));
        }
        if status != LUA_OK {
            lua_error(L); // the block's own error, nothing of it stored
        }
        lua_gettop(L)
    })
}

/// The message of an atomic block that could not begin or end.
fn atomic_failure(what: &str, e: StoreError) -> String {
    format!("ext.atomic: {what}: {e}")
}

/// One entry of a converted table, written with the assignment that converts it.
struct PendingWrite {
    table_id: u32,
    key: Vec<u8>,
    value: Vec<u8>,
    /// The value holds code, so the policy "authenticate" signs it.
    holds_code: bool,
}

/// Conversion of plain tables into external tables during one assignment: each table gets
/// one new id (so shared tables and cycles convert once), and every write waits in `writes`
/// until the whole value has been encoded.
struct Conversion<'a> {
    state: &'a mut ExtState,
    converted: IdentityMap,
    /// (table id, key, value, whether the value holds code).
    writes: Vec<PendingWrite>,
    options: SerializeOptions,
}

impl TableSink for Conversion<'_> {
    unsafe fn table(&mut self, enc: &mut Encoder, idx: c_int) -> Result<(), SerializationError> {
        let L = enc.L;
        // SAFETY: idx is a table; reads and balanced pushes only (nothing raises).
        unsafe {
            let address = lua_topointer(L, idx) as usize;
            if let Some(id) = self.converted.get(address) {
                return enc.put_table_ref(id);
            }
            let refused = |reason| SerializationError::TableSinkRefused { reason };
            let id = self.state.fresh_id().map_err(refused)?;
            self.state.next_id = id
                .checked_add(1)
                .ok_or_else(|| refused("external table ids are exhausted".into()))?;
            self.state.made_since_collect += 1;
            self.converted.insert_with(address, id)?;
            enc.put_table_ref(id)?;
            lua_pushnil(L);
            while lua_next(L, idx) != 0 {
                let key = match store_key(L, -2) {
                    Ok(key) => key,
                    Err(why) => {
                        lua_pop(L, 2);
                        return Err(SerializationError::TableSinkRefused { reason: why });
                    }
                };
                let mut bytes = Vec::new();
                let options = self.options.clone();
                let mut inner = Encoder::with_table_sink(L, &mut bytes, &options, self);
                let r = inner.encode(-1);
                let holds_code = inner.holds_code;
                lua_pop(L, 1);
                if let Err(e) = r {
                    lua_pop(L, 1);
                    return Err(e.inside(&format!("[{}]", show_key(&key))));
                }
                let write = PendingWrite {
                    table_id: id,
                    key,
                    value: bytes,
                    holds_code,
                };
                try_push(&mut self.writes, write)?;
            }
        }
        Ok(())
    }
}

/// Returns whether a collection is due now.
///
/// # Safety
/// Called from `__newindex`: stack (proxy, key, value).
unsafe fn store_value(L: *mut lua_State) -> Result<bool, String> {
    // SAFETY: forwarded caller contract; encoding does not raise, and the store is Rust.
    unsafe {
        let Some(id) = proxy_id(L, 1) else {
            return Err("not an external table".into());
        };
        let key = store_key(L, 2)?;
        let Some(state) = ext_state(L) else {
            return Err("external tables are closed".into());
        };
        if lua_isnil(L, 3) != 0 {
            // A delete makes no table: no collection is due because of it.
            let delete = [Write {
                id,
                key: &key,
                value: None,
            }];
            return state.write(&delete).map(|()| false).map_err(|e| {
                format!(
                    "external table {id}: cannot delete key {}: {e}",
                    show_key(&key)
                )
            });
        }
        let ids_before = (state.next_id, state.reserved_end);
        let mut conversion = Conversion {
            state,
            converted: IdentityMap::default(),
            writes: Vec::new(),
            options: SerializeOptions::default(),
        };
        let mut value = Vec::new();
        let options = conversion.options.clone();
        let mut encoder = Encoder::with_table_sink(L, &mut value, &options, &mut conversion);
        let encoded = encoder.encode(3);
        let holds_code = encoder.holds_code;
        let Conversion {
            state, mut writes, ..
        } = conversion;
        // Under the policy "authenticate", values with functions are signed so that they
        // load again; plain data stays unsigned and loads under any key. The policy is
        // looked up only when something holds code.
        // (Plain loops: iterator adaptors cost the wasm module a kilobyte here.)
        let mut any_code = holds_code;
        for w in &writes {
            any_code |= w.holds_code;
        }
        let signed = match encoded {
            Ok(()) if any_code => match crate::trust::signing_key(L) {
                Some(k) => sign_all(&k, &mut writes, (id, &key), &mut value, holds_code),
                None => Ok(()),
            },
            other => other,
        };
        if let Err(e) = signed {
            state.give_back_ids(ids_before); // nothing was written: the ids are free again
            return Err(format!(
                "cannot store key {} in external table {id}: {e}",
                show_key(&key)
            ));
        }
        // New tables first, the key that makes them reachable last; all or nothing.
        let Ok(mut batch) = try_with_capacity(writes.len() + 1) else {
            state.give_back_ids(ids_before);
            return Err("not enough memory".into());
        };
        for w in &writes {
            batch.push(Write {
                id: w.table_id,
                key: &w.key,
                value: Some(&w.value),
            });
        }
        batch.push(Write {
            id,
            key: &key,
            value: Some(&value),
        });
        if let Err(e) = state.write(&batch) {
            state.give_back_ids(ids_before);
            return Err(format!(
                "external table {id}: cannot store key {}: {e}",
                show_key(&key)
            ));
        }
        // Not inside an atomic block: a collection would commit on its own.
        Ok(state.collection_due() && !state.in_atomic)
    }
}

/// Signs the values that hold code, each for the place it is stored at: the converted
/// tables' entries, then the value itself at `place` (table id, key).
fn sign_all(
    key: &[u8],
    writes: &mut [PendingWrite],
    place: (u32, &[u8]),
    value: &mut Vec<u8>,
    value_holds_code: bool,
) -> Result<(), SerializationError> {
    use crate::trust::sign_payload;
    for w in writes.iter_mut() {
        if w.holds_code {
            let at = SignedPlace::Entry {
                table_id: w.table_id,
                key: &w.key,
            };
            w.value = sign_payload(key, at, &w.value)?;
        }
    }
    if value_holds_code {
        let at = SignedPlace::Entry {
            table_id: place.0,
            key: place.1,
        };
        *value = sign_payload(key, at, value)?;
    }
    Ok(())
}

/// `__len(t)`: the number of keys the store holds for the table (as cu: not a border).
unsafe extern "C-unwind" fn proxy_len(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua with the proxy; Rust values are dropped before a raise.
    lua::abort_on_panic(|| unsafe {
        let result = match (proxy_id(L, 1), ext_state(L)) {
            // The pending writes first: the store counts the keys.
            (Some(id), Some(state)) => state
                .commit()
                .and_then(|()| state.store.size(id))
                .map_err(|e| format!("external table {id}: {e}")),
            _ => Err("not an external table".to_string()),
        };
        match result {
            Ok(n) => {
                lua_pushinteger(L, n as lua_Integer);
                1
            }
            Err(message) => lua::raise(L, message),
        }
    })
}

/// `__pairs(t)`: iterates over a snapshot of the store's keys. Keys that are canonical
/// decimal integers come back as integers (cu stores `t[1]` as "1").
unsafe extern "C-unwind" fn proxy_pairs(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua with the proxy; Rust values are dropped before a raise.
    lua::abort_on_panic(|| unsafe {
        let keys = match (proxy_id(L, 1), ext_state(L)) {
            // The pending writes first: the store lists the keys.
            (Some(id), Some(state)) => state
                .commit()
                .and_then(|()| state.store.keys(id))
                .map_err(|e| format!("external table {id}: {e}")),
            _ => Err("not an external table".to_string()),
        };
        let keys = match keys {
            Ok(keys) => keys,
            Err(message) => lua::raise(L, message),
        };
        // Move the keys into a Lua table (protected: pushing may fail for lack of memory).
        let pushed = lua::protected_results(L, 1, &mut |L| {
            lua_createtable(L, keys.len() as c_int, 0);
            for (i, key) in keys.iter().enumerate() {
                push_lua_key(L, key);
                lua_rawseti(L, -2, i as lua_Integer + 1);
            }
        });
        drop(keys);
        if let Err(e) = pushed {
            lua::raise(L, e.0);
        }
        // iterator, proxy, control (the position), with the key list as upvalue.
        lua_pushinteger(L, 0);
        lua_pushcclosure(L, Some(pairs_next), 2);
        lua_pushvalue(L, 1);
        lua_pushnil(L);
        3
    })
}

/// Pushes a stored key as Lua sees it.
///
/// # Safety
/// `L` valid, in a protected context.
unsafe fn push_lua_key(L: *mut lua_State, key: &[u8]) {
    let integer = core::str::from_utf8(key)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|i| i.to_string().as_bytes() == key);
    // SAFETY: forwarded caller contract.
    unsafe {
        match integer {
            Some(i) => lua_pushinteger(L, i),
            None => lua::pushstring(L, key),
        }
    }
}

/// The `pairs` iterator: upvalue 1 is the key list, upvalue 2 the position.
unsafe extern "C-unwind" fn pairs_next(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua as (proxy, previous key); the value read goes through __index.
    lua::abort_on_panic(|| unsafe {
        let position = lua_tointeger(L, lua_upvalueindex(2)) + 1;
        if lua_rawgeti(L, lua_upvalueindex(1), position) == LUA_TNIL {
            return 1; // nil: done
        }
        lua_pushinteger(L, position);
        lua_replace(L, lua_upvalueindex(2));
        lua_pushvalue(L, -1);
        lua_gettable(L, 1); // the value, through __index
        2
    })
}

/// `ext.table()`: a new, empty external table.
unsafe extern "C-unwind" fn ext_new_table(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    lua::abort_on_panic(|| unsafe {
        let Some(state) = ext_state(L) else {
            lua::raise(L, "external tables are closed".into())
        };
        let id = match state.fresh_id() {
            Ok(id) => id,
            Err(message) => lua::raise(L, message),
        };
        match id.checked_add(1) {
            Some(next) => state.next_id = next,
            None => lua::raise(L, "external table ids are exhausted".into()),
        }
        state.made_since_collect += 1;
        push_proxy(L, id);
        1
    })
}

/// The table-reference resolver: `07` + id decodes to the proxy of that id.
unsafe extern "C-unwind" fn resolve_table_ref(L: *mut lua_State) -> c_int {
    // SAFETY: called by the decoder with the id; pushing the proxy may raise, which the
    // decoder's protected call catches.
    lua::abort_on_panic(|| unsafe {
        let id = lua_tointeger(L, 1);
        let Ok(id) = u32::try_from(id) else {
            lua::raise(L, format!("bad external table id {id}"))
        };
        if id == 0 {
            // 0 is never a table (cu pushed nothing for it); a proxy would reach the store's
            // next-free-id channel (`size(0)`).
            lua_pushnil(L);
            return 1;
        }
        if let Some(state) = ext_state(L) {
            state.next_id = state.next_id.max(id.saturating_add(1));
        }
        push_proxy(L, id);
        1
    })
}

/// The id the next new external table gets.
///
/// # Safety
/// `L` valid with external tables installed.
pub unsafe fn next_table_id(L: *mut lua_State) -> Option<u32> {
    // SAFETY: forwarded caller contract.
    unsafe { ext_state(L).map(|s| s.next_id) }
}

/// Raises the id counter to at least `next` (cu's `sync_external_table_counter`); it never
/// goes down.
///
/// # Safety
/// `L` valid with external tables installed.
pub unsafe fn sync_table_counter(L: *mut lua_State, next: u32) {
    // SAFETY: forwarded caller contract.
    if let Some(state) = unsafe { ext_state(L) } {
        state.next_id = state.next_id.max(next);
    }
}
