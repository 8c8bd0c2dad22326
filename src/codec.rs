//! One encoding or decoding in progress (FORMAT.md): the encoder's output and the
//! identities it has met, the decoder's input, position and the objects it has made, and
//! their primitive reads and writes. What a value of each tag becomes is added by
//! `serializer` (tables, scalars, dispatch) and `function_serializer` (functions): both use
//! these types, and neither needs the other's module to do so.

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::{c_int, c_void};

use crate::ffi::*;
pub(crate) use crate::format::ReadBytes;
use crate::format::{
    DeserializeOptions, Output, SerializationError, SerializationType, SerializeOptions,
};
use crate::trust::{BytecodePolicy, SignedPlace};

/// The check before going one nesting level deeper (encoding or decoding): within the
/// depth limit, and with room on the Lua stack for the level's values.
/// The stack slots one nesting level uses at most (a table, a key, a value, a metatable,
/// the registry lookups around them).
pub(crate) const LEVEL_SLOTS: c_int = 8;

pub(crate) fn enter_level(
    L: *mut lua_State,
    depth: usize,
    limit: usize,
) -> Result<(), SerializationError> {
    // The outermost level's room is made by the entry points (serialize_value_with,
    // deserialize_value_at), which check for LEVEL_SLOTS before they start.
    // SAFETY: a valid state; lua_checkstack does not raise.
    if depth >= limit || (depth > 0 && unsafe { lua_checkstack(L, LEVEL_SLOTS) } == 0) {
        return Err(SerializationError::DepthLimitExceeded {
            limit: limit.min(depth),
            path: String::new(),
        });
    }
    Ok(())
}

/// Where tables go instead of inline: the external tables of `ext_table.rs` store each
/// table under an id and write a reference (`07` + id). Called for every table value but
/// the globals table and external tables' proxies (those are written by the encoder).
pub trait TableSink {
    /// Encodes the table at the absolute index `idx` into `enc`.
    ///
    /// # Safety
    /// `idx` must be a table in the encoder's state; must not raise a Lua error.
    unsafe fn table(&mut self, enc: &mut Encoder, idx: c_int) -> Result<(), SerializationError>;
}

/// Object identities (addresses, never 0) to indices. Most payloads hold a handful of
/// objects, so an inline list searched in order comes first (no allocation); past it, an
/// open-addressing table (a small one of our own: the keys are addresses, already spread,
/// and std's HashMap would add several KB to the wasm module).
#[derive(Default)]
pub(crate) struct IdentityMap {
    small: [(usize, u32); 8],
    small_len: usize,
    /// (key, index) slots, key 0 = empty; the length is 0 or a power of two.
    slots: Vec<(usize, u32)>,
    large_len: usize,
}

impl IdentityMap {
    pub(crate) fn get(&self, key: usize) -> Option<u32> {
        if self.slots.is_empty() {
            return self.small[..self.small_len]
                .iter()
                .find(|(k, _)| *k == key)
                .map(|&(_, v)| v);
        }
        let mask = self.slots.len() - 1;
        let mut i = Self::hash(key) & mask;
        loop {
            match self.slots[i] {
                (0, _) => return None,
                (k, v) if k == key => return Some(v),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Gives `key` the next index and returns it.
    pub(crate) fn insert(&mut self, key: usize) -> Result<u32, SerializationError> {
        let index = self.len() as u32;
        self.insert_with(key, index)?;
        Ok(index)
    }

    /// Maps `key` (not yet in the map) to `index`.
    pub(crate) fn insert_with(&mut self, key: usize, index: u32) -> Result<(), SerializationError> {
        if self.slots.is_empty() && self.small_len < self.small.len() {
            self.small[self.small_len] = (key, index);
            self.small_len += 1;
            return Ok(());
        }
        if (self.large_len + 1) * 2 > self.slots.len() {
            self.grow()?;
        }
        self.place(key, index);
        self.large_len += 1;
        Ok(())
    }

    fn grow(&mut self) -> Result<(), SerializationError> {
        let capacity = (self.slots.len() * 2).max(32);
        let mut slots = Vec::new();
        slots
            .try_reserve_exact(capacity)
            .map_err(|_| SerializationError::OutOfMemory)?;
        slots.resize(capacity, (0, 0));
        let old = core::mem::replace(&mut self.slots, slots);
        let small_len = core::mem::take(&mut self.small_len);
        let small = self.small;
        for &(k, v) in old.iter().chain(&small[..small_len]) {
            if k != 0 {
                self.place(k, v);
            }
        }
        self.large_len += small_len;
        Ok(())
    }

    fn place(&mut self, key: usize, index: u32) {
        let mask = self.slots.len() - 1;
        let mut i = Self::hash(key) & mask;
        while self.slots[i].0 != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = (key, index);
    }

    fn hash(key: usize) -> usize {
        ((key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16) as usize
    }

    pub(crate) fn len(&self) -> usize {
        self.small_len + self.large_len
    }
}

/// One serialization: the output and the identities seen so far, so that a table,
/// function or upvalue met twice is encoded once and referenced after.
pub struct Encoder<'a> {
    pub(crate) L: *mut lua_State,
    pub(crate) out: &'a mut dyn Output,
    pub(crate) options: &'a SerializeOptions,
    /// Where this payload starts in `out` (which may hold bytes from before).
    pub(crate) start: usize,
    pub(crate) depth: usize,
    pub(crate) entries: usize,
    /// Tables and functions by `lua_topointer`, with their object index.
    pub(crate) objects: IdentityMap,
    /// Upvalues by `lua_upvalueid`, with their upvalue index.
    pub(crate) upvalues: IdentityMap,
    pub(crate) globals: Option<*const c_void>,
    /// Tables go here instead of inline, when set.
    pub(crate) tables: Option<&'a mut dyn TableSink>,
    /// Whether the payload holds something only a trusted payload may load: a function
    /// or the globals table (what the policies "refuse" and "authenticate" refuse unsigned).
    pub holds_code: bool,
}

/// One deserialization: the input, the objects decoded so far (kept in a Lua table on the
/// stack, so references and cycles resolve), and the upvalues that later closures join.
pub struct Decoder<'a> {
    pub(crate) L: *mut lua_State,
    pub(crate) input: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) options: &'a DeserializeOptions,
    pub(crate) depth: usize,
    pub(crate) entries: usize,
    /// Stack index of the first of `STACK_OBJECTS` slots holding the first decoded objects
    /// (tables and functions); the table of the others follows them.
    pub(crate) objects_base: c_int,
    pub(crate) objects: u32,
    /// For each upvalue index: (object index of the closure that owns it, upvalue number),
    /// or for a suspended coroutine's open upvalue (coroutine's object index, minus its slot).
    pub(crate) upvalues: UpvalueList,
    pub(crate) policy: BytecodePolicy,
    /// Inside a payload whose signature was verified.
    pub(crate) verified: bool,
    /// Where the payload was stored: a signature must be for this place.
    pub(crate) place: SignedPlace<'a>,
    pub(crate) error: Option<SerializationError>,
}

/// The decoder's upvalue indices: (object index of the closure that owns it, upvalue
/// number). Most payloads have a few, so the first ones are kept inline (no allocation).
#[derive(Default)]
pub(crate) struct UpvalueList {
    inline: [(u32, c_int); 8],
    inline_len: usize,
    more: Vec<(u32, c_int)>,
}

impl UpvalueList {
    pub(crate) fn push(&mut self, upvalue: (u32, c_int)) -> Result<(), SerializationError> {
        if self.inline_len < self.inline.len() {
            self.inline[self.inline_len] = upvalue;
            self.inline_len += 1;
            Ok(())
        } else {
            Ok(crate::fallible::try_push(&mut self.more, upvalue)?)
        }
    }

    pub(crate) fn get(&self, index: usize) -> Option<(u32, c_int)> {
        match index.checked_sub(self.inline.len()) {
            None => self.inline[..self.inline_len].get(index).copied(),
            Some(spilled) => self.more.get(spilled).copied(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.inline_len + self.more.len()
    }
}

/// `objects_base` of a decode that keeps no objects: its payload has no reference (tag 09)
/// to look them up (stack index 0 is never a slot).
pub(crate) const NO_OBJECT_SLOTS: c_int = 0;

/// How many decoded objects live in stack slots before a table is needed: most payloads
/// hold a few, and a table per decode would cost an allocation.
pub(crate) const STACK_OBJECTS: u32 = 8;

/// Going one nesting level deeper (a table or a closure), the same way when encoding and
/// decoding: within the depth limit, with stack room, and back up afterwards.
pub(crate) trait Nesting: Sized {
    fn level(&mut self) -> (*mut lua_State, &mut usize, usize);

    fn nested<T>(
        &mut self,
        body: impl FnOnce(&mut Self) -> Result<T, SerializationError>,
    ) -> Result<T, SerializationError> {
        let (L, depth, limit) = self.level();
        enter_level(L, *depth, limit)?;
        *depth += 1;
        let result = body(self);
        *self.level().1 -= 1;
        result
    }
}

impl Nesting for Encoder<'_> {
    fn level(&mut self) -> (*mut lua_State, &mut usize, usize) {
        (self.L, &mut self.depth, self.options.max_depth)
    }
}

impl Nesting for Decoder<'_> {
    fn level(&mut self) -> (*mut lua_State, &mut usize, usize) {
        (self.L, &mut self.depth, self.options.max_depth)
    }
}

impl<'a> Encoder<'a> {
    pub(crate) fn new(
        L: *mut lua_State,
        out: &'a mut dyn Output,
        options: &'a SerializeOptions,
    ) -> Self {
        let start = out.len();
        Encoder {
            L,
            out,
            options,
            start,
            depth: 0,
            entries: 0,
            objects: IdentityMap::default(),
            upvalues: IdentityMap::default(),
            globals: None,
            tables: None,
            holds_code: false,
        }
    }

    /// An encoder whose tables go to `sink`.
    pub fn with_table_sink(
        L: *mut lua_State,
        out: &'a mut dyn Output,
        options: &'a SerializeOptions,
        sink: &'a mut dyn TableSink,
    ) -> Self {
        let mut enc = Encoder::new(L, out, options);
        enc.tables = Some(sink);
        enc
    }

    /// Encodes the value at `idx`.
    ///
    /// # Safety
    /// `idx` must be a valid index of the encoder's state.
    pub unsafe fn encode(&mut self, idx: c_int) -> Result<(), SerializationError> {
        // SAFETY: forwarded caller contract; the outermost level's room is made here (see
        // enter_level), since an encoder may start deep inside another one's table.
        unsafe {
            if lua_checkstack(self.L, LEVEL_SLOTS) == 0 {
                return Err(SerializationError::DepthLimitExceeded {
                    limit: self.depth,
                    path: String::new(),
                });
            }
            self.value(idx)
        }
    }

    /// The address of the state's globals table, looked up on first need.
    pub(crate) fn globals(&mut self) -> *const c_void {
        *self.globals.get_or_insert_with(|| {
            // SAFETY: a valid state with room for one slot (checked by serialize_value_with
            // and nested()); the globals table stays alive in the registry.
            unsafe {
                lua_pushglobaltable(self.L);
                let p = lua_topointer(self.L, -1);
                lua_pop(self.L, 1);
                p
            }
        })
    }

    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<(), SerializationError> {
        self.out.put(bytes)?;
        if self.out.len() - self.start > self.options.max_size {
            return Err(SerializationError::SizeLimitExceeded {
                limit: self.options.max_size,
            });
        }
        Ok(())
    }

    pub(crate) fn put_u32(&mut self, v: u32) -> Result<(), SerializationError> {
        self.put(&v.to_le_bytes())
    }

    /// A reference to the external table `id` (tag `07`).
    pub(crate) fn put_table_ref(&mut self, id: u32) -> Result<(), SerializationError> {
        self.put_tagged(SerializationType::TableRef, &id.to_le_bytes())
    }

    pub(crate) fn put_tag(&mut self, tag: SerializationType) -> Result<(), SerializationError> {
        self.put_tagged(tag, &[])
    }

    /// A tag and the first bytes of its payload (at most 8) in one write: most values are a
    /// tag and a number or a length, and each write goes through `dyn Output`.
    pub(crate) fn put_tagged(
        &mut self,
        tag: SerializationType,
        payload: &[u8],
    ) -> Result<(), SerializationError> {
        self.holds_code |= matches!(
            tag,
            SerializationType::Closure | SerializationType::CFunction | SerializationType::Globals
        );
        let mut bytes = [0u8; 9];
        let n = payload.len().min(8);
        bytes[0] = tag as u8;
        bytes[1..=n].copy_from_slice(&payload[..n]);
        self.put(&bytes[..=n])?;
        if n < payload.len() {
            self.put(&payload[n..])?;
        }
        Ok(())
    }

    /// Writes a reference if the object at `idx` was met before; otherwise gives it the next
    /// object index and returns false, so the caller encodes it in full.
    ///
    /// # Safety
    /// `idx` must be a valid index.
    pub(crate) unsafe fn reference_or_register(
        &mut self,
        idx: c_int,
    ) -> Result<bool, SerializationError> {
        // SAFETY: forwarded caller contract.
        let p = unsafe { lua_topointer(self.L, idx) } as usize;
        if let Some(index) = self.objects.get(p) {
            self.put_tag(SerializationType::Reference)?;
            self.put_u32(index)?;
            return Ok(true);
        }
        self.objects.insert(p)?;
        Ok(false)
    }
}

impl<'a> ReadBytes<'a> for Decoder<'a> {
    #[inline]
    fn cursor(&mut self) -> (&'a [u8], &mut usize) {
        (self.input, &mut self.pos)
    }
}

impl<'a> Decoder<'a> {
    /// Gives the object on top of the stack the next object index.
    ///
    /// # Safety
    /// Inside the protected decode call, with the object on top.
    pub(crate) unsafe fn register_object(&mut self) -> u32 {
        let index = self.objects;
        self.objects += 1;
        let L = self.L;
        if self.objects_base == NO_OBJECT_SLOTS {
            return index; // a payload that never refers back to an object
        }
        // SAFETY: the slots and the table were set up by decode_protected; the table's
        // growth may raise only on out of memory, which the protected call catches.
        unsafe {
            if index < STACK_OBJECTS {
                lua_copy(L, -1, self.objects_base + index as c_int);
            } else {
                let table = self.objects_base + STACK_OBJECTS as c_int;
                if lua_type(L, table) != LUA_TTABLE {
                    lua_createtable(L, 64, 0);
                    lua_replace(L, table);
                }
                lua_pushvalue(L, -1);
                lua_rawseti(L, table, (index - STACK_OBJECTS) as lua_Integer + 1);
            }
        }
        index
    }

    /// Pushes the object with the given index.
    ///
    /// # Safety
    /// Inside the protected decode call.
    pub(crate) unsafe fn push_object(
        &mut self,
        index: u32,
        offset: usize,
    ) -> Result<(), SerializationError> {
        if index >= self.objects {
            return Err(SerializationError::InvalidReference {
                index,
                known: self.objects,
                offset,
            });
        }
        // SAFETY: register_object stored the object in its slot or in the table.
        unsafe {
            if index < STACK_OBJECTS {
                lua_pushvalue(self.L, self.objects_base + index as c_int);
            } else {
                let table = self.objects_base + STACK_OBJECTS as c_int;
                lua_rawgeti(self.L, table, (index - STACK_OBJECTS) as lua_Integer + 1);
            }
        }
        Ok(())
    }
}
