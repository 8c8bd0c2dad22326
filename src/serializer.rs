//! Serialization of Lua values to bytes and back (cu: `serializer.zig`). The byte format
//! is specified in `FORMAT.md`: cu's tags 0x00–0x07 keep their meaning, and new tags carry
//! what cu cannot express (tables inline with shared references and cycles, closures with
//! their upvalues, C functions by name, signed payloads).
//!
//! Stack discipline: every function here leaves the Lua stack as it found it, apart from
//! the one value `deserialize_value` pushes on success. Decoding allocates Lua objects, so
//! it runs inside a protected call: a Lua error (out of memory) becomes
//! [`SerializationError::Lua`]. The frames it may jump over hold only references.

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::{c_int, c_void};

pub(crate) use crate::codec::IdentityMap;
pub use crate::codec::{Decoder, Encoder, TableSink};
use crate::codec::{Nesting, ReadBytes, LEVEL_SLOTS, NO_OBJECT_SLOTS, STACK_OBJECTS};
use crate::ffi::*;
use crate::function_serializer as functions;
use crate::lua;

pub use crate::format::{
    DeserializeOptions, Output, SerializationError, SerializationType, SerializeOptions,
};

/// A fixed buffer; fails with `BufferTooSmall` when full.
struct SliceOutput<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Output for SliceOutput<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), SerializationError> {
        let end = self.len + bytes.len();
        let Some(dest) = self.buf.get_mut(self.len..end) else {
            return Err(SerializationError::BufferTooSmall {
                capacity: self.buf.len(),
            });
        };
        dest.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
    fn len(&self) -> usize {
        self.len
    }
    fn patch(&mut self, at: usize, bytes: &[u8]) {
        self.buf[at..at + bytes.len()].copy_from_slice(bytes);
    }
    fn written(&self, from: usize) -> &[u8] {
        &self.buf[from..self.len]
    }
    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
}

// ------------------------------------------------------------------------ encoding

impl<'a> Encoder<'a> {
    /// Encodes the value at `idx` (any acceptable index).
    ///
    /// # Safety
    /// `idx` must be a valid index of the encoder's state.
    pub(crate) unsafe fn value(&mut self, idx: c_int) -> Result<(), SerializationError> {
        let L = self.L;
        // SAFETY: idx is valid; each arm reads the value without changing the stack.
        unsafe {
            let idx = lua_absindex(L, idx);
            match lua_type(L, idx) {
                LUA_TNIL => self.put_tag(SerializationType::Nil),
                LUA_TBOOLEAN => self.put(&[
                    SerializationType::Boolean as u8,
                    lua_toboolean(L, idx) as u8,
                ]),
                LUA_TNUMBER => {
                    if lua_isinteger(L, idx) != 0 {
                        let n = lua_tointeger(L, idx);
                        self.put_tagged(SerializationType::Integer, &n.to_le_bytes())
                    } else {
                        let x = lua_tonumber(L, idx);
                        self.put_tagged(SerializationType::Float, &x.to_le_bytes())
                    }
                }
                LUA_TSTRING => {
                    let bytes = lua::tostring(L, idx).unwrap_or_default();
                    let Ok(len) = u32::try_from(bytes.len()) else {
                        return Err(SerializationError::StringTooLong {
                            len: bytes.len(),
                            path: String::new(),
                        });
                    };
                    self.put_tagged(SerializationType::String, &len.to_le_bytes())?;
                    self.put(bytes)
                }
                LUA_TTABLE => self.table(idx),
                LUA_TFUNCTION => functions::serialize_function(self, idx),
                LUA_TTHREAD => self.coroutine(idx),
                other => Err(SerializationError::UnsupportedType {
                    type_name: String::from_utf8_lossy(lua::typename(L, other)).into_owned(),
                    path: String::new(),
                }),
            }
        }
    }

    /// # Safety
    /// `idx` must be an absolute index of a table.
    unsafe fn table(&mut self, idx: c_int) -> Result<(), SerializationError> {
        let L = self.L;
        // SAFETY: idx is a table.
        if unsafe { lua_topointer(L, idx) } == self.globals() {
            return self.put_tag(SerializationType::Globals);
        }
        // An external table's proxy is written as cu writes it: a reference by id (`07`),
        // which a state with external tables reads back as the same proxy.
        // SAFETY: idx is a table; raw reads of two stack slots (checked by the caller).
        if let Some(id) = unsafe { crate::table_refs::proxy_id(L, idx) } {
            return self.put_table_ref(id);
        }
        if let Some(sink) = self.tables.take() {
            // SAFETY: idx is a table; the sink is put back on every path.
            let result = self.nested(|enc| unsafe { sink.table(enc, idx) });
            self.tables = Some(sink);
            return result;
        }
        // SAFETY: idx is valid.
        if unsafe { self.reference_or_register(idx)? } {
            return Ok(());
        }
        self.nested(|enc| {
            // SAFETY: idx is a table; every push is popped on every path below.
            unsafe {
                // The array part: 1..n while the values are not nil, written without keys.
                let mut array_len: i64 = 0;
                while lua_rawgeti(L, idx, array_len + 1) != LUA_TNIL {
                    lua_pop(L, 1);
                    array_len += 1;
                }
                lua_pop(L, 1);
                let array_len = u32::try_from(array_len).map_err(|_| {
                    SerializationError::EntryLimitExceeded {
                        limit: u32::MAX as usize,
                    }
                })?;
                enc.count_entries(array_len as usize)?;
                enc.put_tag(SerializationType::Table)?;
                enc.put_u32(array_len)?;
                let count_at = enc.out.len();
                enc.put_u32(0)?;
                for i in 1..=array_len {
                    lua_rawgeti(L, idx, i as i64);
                    let r = enc.value(-1);
                    lua_pop(L, 1);
                    r.map_err(|e| e.inside(&format!("[{i}]")))?;
                }
                // The hash part: every other key.
                let mut hash_count: u32 = 0;
                lua_pushnil(L);
                while lua_next(L, idx) != 0 {
                    let in_array = lua_isinteger(L, -2) != 0
                        && (1..=array_len as i64).contains(&lua_tointeger(L, -2));
                    if !in_array {
                        let r = enc
                            .count_entries(1)
                            .and_then(|_| enc.value(-2))
                            .and_then(|_| enc.value(-1));
                        if let Err(e) = r {
                            let segment = key_segment(L, -2);
                            lua_pop(L, 2);
                            return Err(e.inside(&segment));
                        }
                        hash_count += 1;
                    }
                    lua_pop(L, 1);
                }
                enc.out.patch_u32(count_at, hash_count);
                if lua_getmetatable(L, idx) != 0 {
                    let r = enc.value(-1);
                    lua_pop(L, 1);
                    r.map_err(|e| e.inside("<metatable>"))
                } else {
                    enc.put_tag(SerializationType::Nil)
                }
            }
        })
    }

    /// A coroutine (FORMAT.md, 0x0E): one that has not started, as its function; a dead one;
    /// a suspended one with its frames (src/suspended_coroutines.rs). A running coroutine
    /// (the main thread always runs) is refused, saying why.
    ///
    /// # Safety
    /// `idx` must be an absolute index of a thread.
    unsafe fn coroutine(&mut self, idx: c_int) -> Result<(), SerializationError> {
        let L = self.L;
        let refuse = |why: &str| {
            Err(SerializationError::CoroutineNotPersistable {
                why: why.into(),
                path: String::new(),
            })
        };
        // SAFETY: idx is a thread of this state's global state; reads of its status and
        // stack, and one value copied from it to L (balanced below).
        unsafe {
            // (The main thread is always running: it is L, or it resumed the coroutine that is
            // L.)
            let co = lua_tothread(L, idx);
            // The main thread is never suspended: after the host's call it holds the host's
            // values, and its C frame (the host) cannot be written down.
            lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD.into());
            let main = lua_tothread(L, -1);
            lua_pop(L, 1);
            if co == main {
                return refuse("it is the main thread");
            }
            if co == L {
                return refuse("it is running");
            }
            let status = lua_status(co);
            if status == LUA_YIELD {
                if self.reference_or_register(idx)? {
                    return Ok(());
                }
                self.put_tag(SerializationType::Coroutine)?;
                return self.whole(|enc| crate::suspended_coroutines::encode(enc, co));
            }
            let mut frame: lua_Debug = core::mem::zeroed();
            if status == LUA_OK && lua_getstack(co, 0, &mut frame) != 0 {
                return refuse("it is running (it resumed another)");
            }
            // Not started: exactly its function on its stack. Dead: an empty stack, or one
            // that ended with an error (its status says so).
            let not_started = status == LUA_OK && lua_gettop(co) > 0;
            if not_started && (lua_gettop(co) != 1 || lua_type(co, 1) != LUA_TFUNCTION) {
                return refuse("its stack holds more than its function");
            }
            if self.reference_or_register(idx)? {
                return Ok(());
            }
            self.put_tag(SerializationType::Coroutine)?;
            if !not_started {
                return self.put(&[0x01]);
            }
            // Not a nesting level of its own: its function is one, if a Lua function.
            self.put(&[0x00])?;
            lua_pushvalue(co, 1);
            lua_xmove(co, L, 1);
            let r = self.whole(|enc| enc.value(-1));
            lua_pop(L, 1);
            r
        }
    }

    /// Encodes a coroutine's contents whole, without the table sink: an external table
    /// would turn the tables on its stack into proxies, which have no metatable of their own
    /// (a pending to-be-closed variable could never close, an object would lose its methods).
    fn whole(
        &mut self,
        encode: impl FnOnce(&mut Self) -> Result<(), SerializationError>,
    ) -> Result<(), SerializationError> {
        let sink = self.tables.take();
        let r = encode(self);
        self.tables = sink;
        r
    }

    fn count_entries(&mut self, n: usize) -> Result<(), SerializationError> {
        self.entries += n;
        if self.entries > self.options.max_entries {
            return Err(SerializationError::EntryLimitExceeded {
                limit: self.options.max_entries,
            });
        }
        Ok(())
    }
}

/// How a key appears in an error's path: `.name`, `[3]`, `["a b"]`, `[<table>]`.
///
/// # Safety
/// `idx` must be a valid index.
unsafe fn key_segment(L: *mut lua_State, idx: c_int) -> String {
    // SAFETY: forwarded caller contract; no conversion of the key in place.
    unsafe {
        match lua_type(L, idx) {
            LUA_TSTRING => {
                let s =
                    String::from_utf8_lossy(lua::tostring(L, idx).unwrap_or_default()).into_owned();
                let is_name = !s.is_empty()
                    && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    && !s.as_bytes()[0].is_ascii_digit();
                if is_name {
                    format!(".{s}")
                } else {
                    format!("[\"{}\"]", s.replace('\\', "\\\\").replace('"', "\\\""))
                }
            }
            LUA_TNUMBER if lua_isinteger(L, idx) != 0 => format!("[{}]", lua_tointeger(L, idx)),
            LUA_TNUMBER => format!(
                "[{}]",
                crate::portable_libc::printf::shortest(lua_tonumber(L, idx))
            ),
            LUA_TBOOLEAN => format!("[{}]", lua_toboolean(L, idx) != 0),
            t => format!("[<{}>]", String::from_utf8_lossy(lua::typename(L, t))),
        }
    }
}

/// Serializes the value at `index` into `buf`; returns the number of bytes written.
/// Fails with `BufferTooSmall` when it does not fit. Leaves the stack unchanged. On an
/// error, the start of `buf` may have been overwritten.
///
/// # Safety
/// `L` must be a valid state and `index` a valid index in it.
pub unsafe fn serialize_value(
    L: *mut lua_State,
    index: c_int,
    buf: &mut [u8],
) -> Result<usize, SerializationError> {
    let mut out = SliceOutput { buf, len: 0 };
    // SAFETY: forwarded caller contract.
    unsafe { serialize_value_with(L, index, &mut out, &SerializeOptions::default())? };
    Ok(out.len)
}

/// Serializes the value at `index`, appending to `out`. Leaves the stack unchanged.
///
/// # Safety
/// `L` must be a valid state and `index` a valid index in it.
pub unsafe fn serialize_value_to_vec(
    L: *mut lua_State,
    index: c_int,
    out: &mut Vec<u8>,
) -> Result<(), SerializationError> {
    // Most payloads are a few hundred bytes: start there rather than grow from nothing.
    // (Only a hint: when even that fails, the writes report it.)
    let _ = out.try_reserve(512);
    // SAFETY: forwarded caller contract.
    unsafe { serialize_value_with(L, index, out, &SerializeOptions::default()) }
}

/// Serializes the function at `idx` as a whole value (tag and payload) into `out`; any other
/// value is `UnsupportedFunctionType`.
///
/// # Safety
/// `L` valid, `idx` a valid index.
pub unsafe fn serialize_function_to_vec(
    L: *mut lua_State,
    idx: c_int,
    out: &mut Vec<u8>,
) -> Result<(), SerializationError> {
    // SAFETY: forwarded caller contract.
    unsafe {
        if lua_type(L, idx) != LUA_TFUNCTION {
            let type_name =
                String::from_utf8_lossy(lua::typename(L, lua_type(L, idx))).into_owned();
            return Err(
                crate::format::FunctionSerializationError::UnsupportedFunctionType { type_name }
                    .into(),
            );
        }
        serialize_value_to_vec(L, idx, out)
    }
}

/// Serializes the value at `index` into any [`Output`] with explicit options. Under the
/// bytecode policy "authenticate", the payload is signed (tag 0x0C). On error, what was
/// appended to `out` is removed again.
///
/// # Safety
/// `L` must be a valid state and `index` a valid index in it.
pub unsafe fn serialize_value_with(
    L: *mut lua_State,
    index: c_int,
    out: &mut dyn Output,
    options: &SerializeOptions,
) -> Result<(), SerializationError> {
    let start = out.len();
    // SAFETY: forwarded caller contract; serialization never raises (it reads values and
    // calls lua_dump, which does not allocate) and leaves the stack as it found it.
    unsafe {
        let top = lua_gettop(L);
        let index = lua_absindex(L, index);
        if lua_checkstack(L, LEVEL_SLOTS) == 0 {
            return Err(SerializationError::DepthLimitExceeded {
                limit: 0,
                path: String::new(),
            });
        }
        let key = crate::trust::signing_key(L);
        let result = match &key {
            Some(key) => {
                // The envelope's header counts against max_size, as the decoder counts it.
                let inner_options = SerializeOptions {
                    max_size: options
                        .max_size
                        .saturating_sub(crate::trust::SIGNED_HEADER_LEN),
                    ..options.clone()
                };
                crate::trust::write_signed(out, key, crate::trust::SignedPlace::Detached, |inner| {
                    let mut enc = Encoder::new(L, inner, &inner_options);
                    enc.value(index)
                })
                .map_err(|e| match e {
                    SerializationError::SizeLimitExceeded { .. } => {
                        SerializationError::SizeLimitExceeded {
                            limit: options.max_size,
                        }
                    }
                    e => e,
                })
            }
            None => {
                let mut enc = Encoder::new(L, out, options);
                enc.value(index)
            }
        };
        debug_assert_eq!(lua_gettop(L), top);
        lua_settop(L, top);
        if result.is_err() {
            out.truncate(start); // nothing half-written stays behind
        }
        result
    }
}

// ------------------------------------------------------------------------ decoding

impl<'a> Decoder<'a> {
    /// Decodes one value and pushes it; on error, pushes nothing.
    ///
    /// # Safety
    /// Inside the protected decode call.
    pub(crate) unsafe fn value(&mut self) -> Result<(), SerializationError> {
        let L = self.L;
        let offset = self.pos;
        let tag = self.take_u8()?;
        let Some(kind) = SerializationType::from_tag(tag) else {
            return Err(SerializationError::UnknownTag { tag, offset });
        };
        // SAFETY: inside the protected call; each arm pushes exactly one value on success.
        unsafe {
            match kind {
                SerializationType::Nil => lua_pushnil(L),
                SerializationType::Boolean => {
                    let b = self.take_u8()?;
                    lua_pushboolean(L, (b != 0) as c_int); // cu: any non-zero byte is true
                }
                SerializationType::Integer => {
                    lua_pushinteger(L, i64::from_le_bytes(self.take_8()?))
                }
                SerializationType::Float => lua_pushnumber(L, f64::from_le_bytes(self.take_8()?)),
                SerializationType::String => {
                    let len = self.take_u32()? as usize;
                    let bytes = self.take(len)?;
                    lua::pushstring(L, bytes);
                }
                SerializationType::Table => self.table()?,
                SerializationType::Reference => {
                    let index = self.take_u32()?;
                    self.push_object(index, offset)?;
                }
                SerializationType::Globals => {
                    functions::allow_globals(self)?;
                    lua_pushglobaltable(L);
                }
                SerializationType::TableRef => {
                    let id = self.take_u32()?;
                    crate::table_refs::resolve_table_ref(self.L, id)?;
                }
                SerializationType::Signed => functions::read_signed(self)?,
                SerializationType::Coroutine => self.coroutine(offset)?,
                SerializationType::FunctionBytecode
                | SerializationType::FunctionRef
                | SerializationType::Closure
                | SerializationType::CFunction => functions::deserialize_function(self, kind)?,
            }
        }
        Ok(())
    }

    /// A coroutine (tag at `offset`): a new thread, with its function when it has not
    /// started, empty when it is dead.
    ///
    /// # Safety
    /// Inside the protected decode call.
    unsafe fn coroutine(&mut self, offset: usize) -> Result<(), SerializationError> {
        let L = self.L;
        let state = self.take_u8()?;
        if state > 0x02 {
            return Err(SerializationError::UnknownCoroutineState {
                state,
                offset: self.pos - 1,
            });
        }
        if state == 0x02 {
            // Frames are positions in code: loaded only where functions may be.
            functions::allow_suspended_coroutine(self)?;
        }
        // SAFETY: inside the protected call; the new thread stays on top on success and is
        // popped on error; the function moves from L to it. (Not a nesting level of its own:
        // its function is one, if a Lua function.)
        unsafe {
            let co = lua_newthread(L);
            let object = self.register_object();
            if state == 0x01 {
                return Ok(()); // dead: an empty stack
            }
            if state == 0x02 {
                let r = crate::suspended_coroutines::decode(self, co, object, offset);
                if r.is_err() {
                    lua_settop(L, lua_gettop(L) - 1);
                }
                return r;
            }
            if let Err(e) = self.value() {
                lua_pop(L, 1);
                return Err(e);
            }
            if lua_type(L, -1) != LUA_TFUNCTION {
                lua_pop(L, 2);
                return Err(SerializationError::CoroutineWithoutFunction { offset });
            }
            lua_xmove(L, co, 1);
            Ok(())
        }
    }

    /// # Safety
    /// Inside the protected decode call.
    unsafe fn table(&mut self) -> Result<(), SerializationError> {
        let L = self.L;
        let array_len = self.take_u32()?;
        let hash_count = self.take_u32()?;
        // Every entry takes at least one byte (two for a pair): reject lying counts before
        // allocating anything for them.
        let least = array_len as u64 + 2 * hash_count as u64;
        if least > self.remaining() as u64 {
            let needed = usize::try_from(least - self.remaining() as u64).unwrap_or(usize::MAX);
            return Err(SerializationError::Truncated {
                offset: self.pos,
                needed,
            });
        }
        // Both counts fit in the input, so in usize.
        self.entries = self
            .entries
            .saturating_add(array_len as usize + hash_count as usize);
        if self.entries > self.options.max_entries {
            return Err(SerializationError::EntryLimitExceeded {
                limit: self.options.max_entries,
            });
        }
        self.nested(|dec| {
            // SAFETY: inside the protected call; the new table stays on top on success and
            // is popped on error.
            unsafe {
                // The top-level table gets its full size (the counts are bounded by the input's
                // length); nested ones at most NESTED_PREALLOCATION entries, so that lying
                // counts at many levels cannot each reserve memory for the whole input.
                let cap = if dec.depth <= 1 {
                    1 << 24
                } else {
                    NESTED_PREALLOCATION
                };
                lua_createtable(L, array_len.min(cap) as c_int, hash_count.min(cap) as c_int);
                dec.register_object();
                let r = dec.table_entries(array_len, hash_count);
                if r.is_err() {
                    lua_pop(L, 1);
                }
                r
            }
        })
    }

    /// # Safety
    /// Inside the protected decode call, with the table being filled on top.
    unsafe fn table_entries(
        &mut self,
        array_len: u32,
        hash_count: u32,
    ) -> Result<(), SerializationError> {
        let L = self.L;
        // SAFETY: the table is on top; each step pushes and pops in balance.
        unsafe {
            for i in 1..=array_len {
                self.value()?;
                lua_rawseti(L, -2, i as lua_Integer);
            }
            for _ in 0..hash_count {
                let key_offset = self.pos;
                self.value()?;
                let bad_key = match lua_type(L, -1) {
                    LUA_TNIL => Some("nil"),
                    LUA_TNUMBER if lua_isinteger(L, -1) == 0 && lua_tonumber(L, -1).is_nan() => {
                        Some("NaN")
                    }
                    _ => None,
                };
                if let Some(what) = bad_key {
                    lua_pop(L, 1);
                    return Err(SerializationError::InvalidKey {
                        what,
                        offset: key_offset,
                    });
                }
                if let Err(e) = self.value() {
                    lua_pop(L, 1);
                    return Err(e);
                }
                lua_rawset(L, -3);
            }
            // The metatable: nil, a table, or a reference to one.
            let meta_offset = self.pos;
            self.value()?;
            match lua_type(L, -1) {
                LUA_TNIL => lua_pop(L, 1),
                LUA_TTABLE => {
                    lua_setmetatable(L, -2);
                }
                _ => {
                    lua_pop(L, 1);
                    return Err(SerializationError::InvalidMetatable {
                        offset: meta_offset,
                    });
                }
            }
        }
        Ok(())
    }
}

/// The most entries a nested table is created with; it grows past that as it is filled.
const NESTED_PREALLOCATION: u32 = 256;

/// The protected body of [`deserialize_value_with`]: stack 1 is the Decoder (light
/// userdata). Leaves the decoded value on top, or nothing when the decoder records an error.
unsafe extern "C-unwind" fn decode_protected(L: *mut lua_State) -> c_int {
    // SAFETY: the body has the same contract; a panic must not unwind into C.
    crate::lua::abort_on_panic(|| unsafe { decode_protected_body(L) })
}

unsafe fn decode_protected_body(L: *mut lua_State) -> c_int {
    // SAFETY: deserialize_value_with pushed a pointer to a live Decoder.
    let dec = unsafe { &mut *(lua_touserdata(L, 1) as *mut Decoder) };
    // SAFETY: a protected call on a valid state.
    unsafe {
        // Slots 2..: the first decoded objects, then (made when needed) a table of the rest.
        if lua_checkstack(L, STACK_OBJECTS as c_int + 8) == 0 {
            dec.error = Some(SerializationError::Lua("stack overflow".into()));
            return 0;
        }
        lua_settop(L, 2 + STACK_OBJECTS as c_int); // nils
        dec.objects_base = 2;
        let result = dec.value().and_then(|()| {
            if dec.pos != dec.input.len() {
                lua_pop(L, 1);
                Err(SerializationError::TrailingBytes {
                    offset: dec.pos,
                    len: dec.input.len() - dec.pos,
                })
            } else {
                Ok(())
            }
        });
        match result {
            Ok(()) => 1,
            Err(e) => {
                dec.error = Some(e);
                0
            }
        }
    }
}

/// Decodes one value from `bytes` and pushes it. On error nothing is pushed. Bytecode
/// follows the state's bytecode policy ([`crate::function_serializer::set_bytecode_policy`];
/// with none set, bytecode is trusted, as in cu and `luaL_loadbufferx`).
///
/// # Safety
/// `L` must be a valid state.
pub unsafe fn deserialize_value(L: *mut lua_State, bytes: &[u8]) -> Result<(), SerializationError> {
    // SAFETY: forwarded caller contract.
    unsafe { deserialize_value_with(L, bytes, &DeserializeOptions::default()) }
}

/// [`deserialize_value`] with explicit limits.
///
/// # Safety
/// `L` must be a valid state.
pub unsafe fn deserialize_value_with(
    L: *mut lua_State,
    bytes: &[u8],
    options: &DeserializeOptions,
) -> Result<(), SerializationError> {
    // SAFETY: forwarded caller contract.
    unsafe { deserialize_value_at(L, bytes, options, crate::trust::SignedPlace::Detached) }
}

/// [`deserialize_value_with`] for a value stored at `place`: under the policy
/// "authenticate", a signed value must have been signed for that place.
///
/// # Safety
/// `L` must be a valid state.
pub unsafe fn deserialize_value_at(
    L: *mut lua_State,
    bytes: &[u8],
    options: &DeserializeOptions,
    place: crate::trust::SignedPlace,
) -> Result<(), SerializationError> {
    if bytes.len() > options.max_size {
        return Err(SerializationError::SizeLimitExceeded {
            limit: options.max_size,
        });
    }
    // SAFETY: forwarded caller contract. The Decoder lives in this frame, outside the
    // protected call; decode_protected's frames hold only references to it.
    unsafe {
        if lua_checkstack(L, LEVEL_SLOTS) == 0 {
            return Err(SerializationError::Lua("stack overflow".into()));
        }
        let policy = crate::trust::bytecode_policy(L);
        // Under "authenticate", unsigned bytes that hold code are refused on the bytes
        // alone, before any object is made from them.
        if matches!(policy, crate::trust::BytecodePolicy::Authenticate(_))
            && bytes.first() != Some(&(SerializationType::Signed as u8))
        {
            let walked = crate::format_walker::walk(bytes, options)?;
            if walked.holds_code() {
                return Err(walked.unsigned_error());
            }
        }
        let simple = options.max_depth >= 1 && functions::is_simple_closure(bytes);
        let mut dec = Decoder {
            L,
            input: bytes,
            pos: 0,
            options,
            depth: 0,
            entries: 0,
            objects_base: 0,
            objects: 0,
            upvalues: Default::default(),
            policy,
            verified: false,
            place,
            error: None,
        };
        let top = lua_gettop(L);
        if simple {
            // The common case of a stored function, without the cost of a protected call
            // (see is_simple_closure): the same decoder, which pushes the value or nothing.
            // No object slots: nothing in such a payload refers back to an object.
            dec.objects_base = NO_OBJECT_SLOTS;
            return dec.value();
        }
        lua_pushcfunction(L, Some(decode_protected));
        lua_pushlightuserdata(L, &mut dec as *mut Decoder as *mut c_void);
        let status = lua_pcall(L, 1, 1, 0);
        if status != LUA_OK {
            let message =
                String::from_utf8_lossy(lua::tostring(L, -1).unwrap_or(b"?")).into_owned();
            lua_settop(L, top);
            return Err(SerializationError::Lua(message));
        }
        if let Some(e) = dec.error.take() {
            lua_settop(L, top);
            return Err(e);
        }
        Ok(())
    }
}

// ------------------------------------------------------------------- Lua library

/// `persist.serialize(value [, keep_debug_info])`: the value's bytes as a string.
unsafe extern "C-unwind" fn lua_serialize(L: *mut lua_State) -> c_int {
    // SAFETY: the body has the same contract; a panic must not unwind into C.
    crate::lua::abort_on_panic(|| unsafe { lua_serialize_body(L) })
}

unsafe fn lua_serialize_body(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua. Rust-owned memory (the output, the error) is alive only where
    // nothing raises: the push of the result runs protected.
    unsafe {
        luaL_checkany(L, 1);
        let options = SerializeOptions {
            strip_debug: lua_toboolean(L, 2) == 0,
            ..Default::default()
        };
        let outcome = {
            let mut bytes = Vec::new();
            match serialize_value_with(L, 1, &mut bytes, &options) {
                Ok(()) => lua::protected_results(L, 1, &mut |L| lua::pushstring(L, &bytes))
                    .map_err(|e| e.0),
                Err(e) => Err(e.to_string()),
            }
        };
        match outcome {
            Ok(()) => 1,
            Err(message) => lua::raise(L, message),
        }
    }
}

/// `persist.deserialize(bytes)`: the value, or an error naming what is wrong.
unsafe extern "C-unwind" fn lua_deserialize(L: *mut lua_State) -> c_int {
    // SAFETY: the body has the same contract; a panic must not unwind into C.
    crate::lua::abort_on_panic(|| unsafe { lua_deserialize_body(L) })
}

unsafe fn lua_deserialize_body(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua; the string stays on the stack while its bytes are read.
    unsafe {
        let mut len = 0;
        let p = luaL_checklstring(L, 1, &mut len);
        let bytes = core::slice::from_raw_parts(p as *const u8, len);
        let message = match deserialize_value(L, bytes) {
            Ok(()) => return 1,
            Err(e) => e.to_string(), // the error is dropped before the jump
        };
        lua::raise(L, message)
    }
}

/// Opens the `persist` library (`persist.serialize`, `persist.deserialize`) and leaves it
/// on the stack, as a `luaopen_` function; use with `luaL_requiref(L, "persist", ...)`.
///
/// # Safety
/// Called by Lua (e.g. through `luaL_requiref`).
pub unsafe extern "C-unwind" fn luaopen_persist(L: *mut lua_State) -> c_int {
    let functions = [
        luaL_Reg {
            name: c"serialize".as_ptr(),
            func: Some(lua_serialize),
        },
        luaL_Reg {
            name: c"deserialize".as_ptr(),
            func: Some(lua_deserialize),
        },
        luaL_Reg {
            name: core::ptr::null(),
            func: None,
        },
    ];
    // SAFETY: called by Lua; the array ends with a NULL name.
    unsafe { luaL_newlib(L, &functions) };
    1
}
