//! Serialization of functions (cu: `function_serializer.zig`): Lua functions as bytecode
//! (`lua_dump` with a writer callback, never the global `string.dump`), their upvalues
//! (shared upvalues stay shared; the globals table re-binds to the loading state's), C
//! functions by a stable name from a registry of the live state, and the bytecode trust
//! policy (refuse, trust, or authenticate with HMAC-SHA-256).
//!
//! Formats: see `FORMAT.md` (tags 0x05, 0x06, 0x0A, 0x0B, 0x0C).

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::{c_char, c_int, c_void, CStr};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ffi::*;
use crate::lua;
use crate::serializer::{Decoder, Encoder, Output, SerializationError, SerializationType};

/// Why a function could not be serialized or restored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FunctionSerializationError {
    #[error("not a function (a {type_name} value)")]
    UnsupportedFunctionType { type_name: String },
    #[error("bytecode of {len} bytes is larger than the format's 4 GiB limit")]
    BytecodeTooLarge { len: usize },
    #[error("invalid bytecode: {reason}")]
    InvalidBytecode { reason: String },
    #[error("C function {description} is not serializable: {reason}")]
    CFunctionNotSerializable { description: String, reason: String },
    #[error("upvalue {index} ({name}) of the function cannot be serialized: {cause}")]
    UpvalueSerializationFailed {
        index: u8,
        name: String,
        cause: Box<SerializationError>,
    },
    #[error("no C function named \"{name}\" in this state's registry")]
    UnknownCFunction { name: String },
    #[error("cu's C function index {index} is out of range (0..66)")]
    InvalidCFunctionIndex { index: u16 },
    #[error("function payload refused: this state's bytecode policy is \"refuse\" (values only)")]
    FunctionsRefused,
    #[error("the globals table refused: this state's bytecode policy allows it only in trusted payloads")]
    GlobalsRefused,
    #[error("unsigned function payload refused: this state's bytecode policy is \"authenticate\"")]
    UnsignedBytecode,
    #[error("signature mismatch: the payload was altered or signed with another key")]
    SignatureMismatch,
    #[error("the closure's payload declares {declared} upvalues; its bytecode has {actual}")]
    UpvalueCountMismatch { declared: u8, actual: u8 },
    #[error("upvalue kind 0x{kind:02x} is unknown (0x00 value, 0x01 shared)")]
    UnknownUpvalueKind { kind: u8 },
    #[error("shared upvalue #{index} does not exist ({known} precede it)")]
    InvalidSharedUpvalue { index: u32, known: usize },
}

// ----------------------------------------------------------------- bytecode policy

/// What `deserialize_value` does with function payloads in a state.
#[derive(Clone, PartialEq, Eq)]
pub enum BytecodePolicy {
    /// Values only: any function payload (bytecode or C function reference) is an error.
    Refuse,
    /// Load bytecode as given, like cu and `luaL_loadbufferx`. The default.
    Trust,
    /// Sign what this state serializes (HMAC-SHA-256 with this key) and load only bytecode
    /// inside a payload whose signature verifies.
    Authenticate(Vec<u8>),
}

impl core::fmt::Debug for BytecodePolicy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            BytecodePolicy::Refuse => f.write_str("Refuse"),
            BytecodePolicy::Trust => f.write_str("Trust"),
            BytecodePolicy::Authenticate(_) => f.write_str("Authenticate(<key>)"),
        }
    }
}

/// Registry keys: the addresses of these statics are unique light userdata.
static POLICY_KEY: u8 = 0;
static CFUNCTIONS_KEY: u8 = 0;

fn registry_key(key: &'static u8) -> *const c_void {
    key as *const u8 as *const c_void
}

/// Sets the bytecode policy of the state `L` (all its threads).
///
/// # Safety
/// `L` must be a valid state.
pub unsafe fn set_bytecode_policy(
    L: *mut lua_State,
    policy: &BytecodePolicy,
) -> Result<(), SerializationError> {
    // SAFETY: forwarded caller contract; allocations run protected.
    unsafe {
        lua::protected(L, &mut |L| {
            match policy {
                BytecodePolicy::Trust => lua_pushnil(L),
                BytecodePolicy::Refuse => lua::pushstring(L, b"refuse"),
                BytecodePolicy::Authenticate(key) => lua::pushstring(L, key),
            }
            // A string: "refuse"; a userdata would do too, but the key must be bytes. To
            // tell "refuse" from a key that happens to read "refuse", keys are stored in a
            // one-element table.
            if let BytecodePolicy::Authenticate(_) = policy {
                lua_createtable(L, 1, 0);
                lua_insert(L, -2);
                lua_rawseti(L, -2, 1);
            }
            lua_rawsetp(L, LUA_REGISTRYINDEX, registry_key(&POLICY_KEY));
        })
        .map_err(SerializationError::Lua)
    }
}

/// The bytecode policy of the state `L` (Trust when none was set).
///
/// # Safety
/// `L` must be a valid state with room for 2 stack slots.
pub unsafe fn bytecode_policy(L: *mut lua_State) -> BytecodePolicy {
    // SAFETY: forwarded caller contract; raw reads do not allocate.
    unsafe {
        let policy = match lua_rawgetp(L, LUA_REGISTRYINDEX, registry_key(&POLICY_KEY)) {
            LUA_TSTRING => BytecodePolicy::Refuse,
            LUA_TTABLE => {
                lua_rawgeti(L, -1, 1);
                let key = lua::tostring(L, -1).unwrap_or_default().to_vec();
                lua_pop(L, 1);
                BytecodePolicy::Authenticate(key)
            }
            _ => BytecodePolicy::Trust,
        };
        lua_pop(L, 1);
        policy
    }
}

/// The key that serialized payloads are signed with, if the policy is "authenticate".
///
/// # Safety
/// `L` must be a valid state with room for 2 stack slots.
pub(crate) unsafe fn signing_key(L: *mut lua_State) -> Option<Vec<u8>> {
    // SAFETY: forwarded caller contract.
    match unsafe { bytecode_policy(L) } {
        BytecodePolicy::Authenticate(key) => Some(key),
        _ => None,
    }
}

/// Where a signed value lives. The MAC covers the place, so a value copied to another
/// key or table (or a detached value put into a table) no longer verifies. A rollback to an
/// older value signed for the same place is not detected (FORMAT.md, 0x0C).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedPlace<'a> {
    /// A value on its own: `persist.serialize`, [`crate::serializer::serialize_value`].
    Detached,
    /// The value of `key` in external table `table_id`.
    Entry { table_id: u32, key: &'a [u8] },
}

/// The MAC of a value at `place`: HMAC-SHA-256 over the place's bytes, then the value's
/// (FORMAT.md, 0x0C).
fn mac(key: &[u8], place: SignedPlace) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    match place {
        SignedPlace::Detached => m.update(&[0x00]),
        SignedPlace::Entry { table_id, key } => {
            m.update(&[0x01]);
            m.update(&table_id.to_le_bytes());
            // Keys are at most 4 GiB: the store's and the dump's length fields are u32.
            m.update(&(key.len() as u64).to_le_bytes());
            m.update(key);
        }
    }
    m
}

const MAC_LEN: usize = 32;

/// The bytes a signed envelope adds before its inner value: tag, length, MAC.
pub const SIGNED_HEADER_LEN: usize = 1 + 4 + MAC_LEN;

/// Writes `0C`, the inner length, the MAC of the inner bytes at `place`, then what `body`
/// writes.
pub(crate) fn write_signed(
    out: &mut dyn Output,
    key: &[u8],
    place: SignedPlace,
    body: impl FnOnce(&mut dyn Output) -> Result<(), SerializationError>,
) -> Result<(), SerializationError> {
    out.put(&[SerializationType::Signed as u8])?;
    let len_at = out.len();
    out.put(&[0; 4])?;
    let mac_at = out.len();
    out.put(&[0; MAC_LEN])?;
    let inner_start = out.len();
    body(out)?;
    let inner = out.written(inner_start);
    let len = u32::try_from(inner.len()).map_err(|_| SerializationError::SizeLimitExceeded {
        limit: u32::MAX as usize,
    })?;
    let mut m = mac(key, place);
    m.update(inner);
    let tag = m.finalize().into_bytes();
    out.patch_u32(len_at, len);
    out.patch(mac_at, &tag);
    Ok(())
}

/// `inner` (a whole serialized value) inside a signed envelope (tag 0x0C) for `place`, as
/// the policy "authenticate" writes it.
/// Fails only for a value over 4 GiB (`SizeLimitExceeded`).
pub fn sign_payload(
    key: &[u8],
    place: SignedPlace,
    inner: &[u8],
) -> Result<Vec<u8>, SerializationError> {
    let mut out = Vec::with_capacity(SIGNED_HEADER_LEN + inner.len());
    write_signed(&mut out, key, place, |o| o.put(inner))?;
    Ok(out)
}

/// `envelope` signed again for `place`, when it carries a valid signature of the first
/// store format, whose MAC covered the inner bytes alone (no place); `None` otherwise. For
/// upgrading a store once: after that, a value moved elsewhere no longer verifies.
pub fn resign_legacy(key: &[u8], place: SignedPlace, envelope: &[u8]) -> Option<Vec<u8>> {
    let len = u32::from_le_bytes(envelope.get(1..5)?.try_into().ok()?) as usize;
    let expected = envelope.get(5..SIGNED_HEADER_LEN)?;
    let inner = envelope.get(SIGNED_HEADER_LEN..).filter(|inner| inner.len() == len)?;
    if envelope[0] != SerializationType::Signed as u8 {
        return None;
    }
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    m.update(inner);
    m.verify_slice(expected).ok()?;
    sign_payload(key, place, inner).ok()
}

/// Whether `envelope` (a whole payload starting with tag 0x0C) is signed with `key` for
/// `place`, checked on the bytes alone (constant-time).
pub fn signature_verifies(key: &[u8], place: SignedPlace, envelope: &[u8]) -> bool {
    let Some(len) = envelope.get(1..5) else {
        return false;
    };
    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
    match (envelope.get(5..SIGNED_HEADER_LEN), envelope.get(SIGNED_HEADER_LEN..)) {
        (Some(expected), Some(inner)) if inner.len() == len => {
            let mut m = mac(key, place);
            m.update(inner);
            m.verify_slice(expected).is_ok()
        }
        _ => false,
    }
}

/// Reads a signed value (after its tag): verifies the signature when the policy is
/// "authenticate", then decodes the inner value with bytecode allowed.
///
/// # Safety
/// Inside the protected decode call.
pub(crate) unsafe fn read_signed(dec: &mut Decoder) -> Result<(), SerializationError> {
    // Only as the whole payload: inside unsigned bytes, the object and upvalue numbering of
    // what surrounds it could redirect the signed value's references.
    if dec.pos != 1 {
        return Err(SerializationError::MisplacedSignature {
            offset: dec.pos - 1,
        });
    }
    let len = dec.take_u32()? as usize;
    let expected = dec.take(MAC_LEN)?;
    let inner_start = dec.pos;
    let inner = dec.take(len)?;
    if let BytecodePolicy::Authenticate(key) = &dec.policy {
        let mut m = mac(key, dec.place);
        m.update(inner);
        m.verify_slice(expected)
            .map_err(|_| FunctionSerializationError::SignatureMismatch)?;
    }
    // The inner value is decoded from exactly its `len` bytes.
    let inner_end = inner_start + len;
    let (outer_input, outer_verified) = (dec.input, dec.verified);
    dec.input = &outer_input[..inner_end];
    dec.pos = inner_start;
    dec.verified = true;
    // SAFETY: forwarded caller contract.
    let result = unsafe { dec.value() };
    let consumed = dec.pos;
    dec.input = outer_input;
    dec.verified = outer_verified;
    dec.pos = inner_end;
    result?;
    if consumed != inner_end {
        // SAFETY: the decoded value is on top.
        unsafe { lua_pop(dec.L, 1) };
        return Err(SerializationError::TrailingBytes {
            offset: consumed,
            len: inner_end - consumed,
        });
    }
    Ok(())
}

/// Whether the policy lets a function payload load here.
/// Whether the policy lets the globals table (0x0D) appear here: as functions, only in
/// trusted payloads, since a restored `{__newindex = _G}` could write into the globals.
pub(crate) fn allow_globals(dec: &Decoder) -> Result<(), FunctionSerializationError> {
    policy_allows(&dec.policy, dec.verified).map_err(|_| FunctionSerializationError::GlobalsRefused)
}

fn allow_function(dec: &Decoder) -> Result<(), FunctionSerializationError> {
    policy_allows(&dec.policy, dec.verified)
}

fn policy_allows(
    policy: &BytecodePolicy,
    verified: bool,
) -> Result<(), FunctionSerializationError> {
    match policy {
        BytecodePolicy::Refuse => Err(FunctionSerializationError::FunctionsRefused),
        // Every function payload must be signed under "authenticate": a C function
        // reference can be as dangerous as bytecode (os.execute as a metamethod).
        BytecodePolicy::Authenticate(_) if !verified => {
            Err(FunctionSerializationError::UnsignedBytecode)
        }
        _ => Ok(()),
    }
}

/// The common case of a stored function, decoded without a protected call: a payload that
/// is one closure (0x0A) whose upvalues are all nil, booleans, numbers or the globals table.
/// Loading runs protected by itself, and setting such upvalues allocates nothing. Returns
/// None when the payload has another shape (the general decoder handles it).
///
/// # Safety
/// `L` valid with room for 2 stack slots.
pub(crate) unsafe fn decode_simple_closure(
    L: *mut lua_State,
    bytes: &[u8],
    policy: &BytecodePolicy,
) -> Option<Result<(), SerializationError>> {
    let (&tag, rest) = bytes.split_first()?;
    if tag != SerializationType::Closure as u8 {
        return None;
    }
    let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    let bytecode = rest.get(4..4usize.checked_add(len)?)?;
    let mut upvalues = &rest[4 + len..];
    let (&nups, tail) = upvalues.split_first()?;
    upvalues = tail;
    // Each upvalue: kind 00, then a tag and its fixed-size payload.
    let mut cursor = upvalues;
    for _ in 0..nups {
        let [0x00, tag, ..] = *cursor else {
            return None;
        };
        let size = match tag {
            0x00 | 0x0D => 0,
            0x01 => 1,
            0x02 | 0x03 => 8,
            _ => return None,
        };
        cursor = cursor.get(2 + size..)?;
    }
    if !cursor.is_empty() {
        return None;
    }
    if let Err(e) = policy_allows(policy, false) {
        return Some(Err(e.into()));
    }
    // SAFETY: forwarded caller contract; nothing below allocates after the load.
    unsafe {
        if let Err(e) = deserialize_lua_bytecode(L, bytecode) {
            return Some(Err(e.into()));
        }
        let f = lua_gettop(L);
        let actual = get_upvalue_count(L, f);
        if actual != nups {
            lua_pop(L, 1);
            return Some(Err(FunctionSerializationError::UpvalueCountMismatch {
                declared: nups,
                actual,
            }
            .into()));
        }
        let mut cursor = upvalues;
        for i in 1..=nups as c_int {
            let payload = &cursor[2..];
            match cursor[1] {
                0x00 => lua_pushnil(L),
                0x0D => {
                    lua_pushglobaltable(L);
                }
                0x01 => lua_pushboolean(L, (payload[0] != 0) as c_int),
                0x02 => lua_pushinteger(
                    L,
                    i64::from_le_bytes(payload[..8].try_into().unwrap_or_default()),
                ),
                _ => lua_pushnumber(
                    L,
                    f64::from_le_bytes(payload[..8].try_into().unwrap_or_default()),
                ),
            }
            lua_setupvalue(L, f, i);
            let size = match cursor[1] {
                0x00 | 0x0D => 0,
                0x01 => 1,
                _ => 8,
            };
            cursor = &cursor[2 + size..];
        }
    }
    Some(Ok(()))
}

// ------------------------------------------------------------------------ functions

/// Whether the function at `idx` is a C function. This is what `lua_getinfo(">S").what ==
/// "C"` (cu's test) tells, at a fraction of its cost.
///
/// # Safety
/// `L` valid, `idx` a valid index.
pub unsafe fn is_c_function(L: *mut lua_State, idx: c_int) -> bool {
    // SAFETY: forwarded caller contract.
    unsafe { lua_iscfunction(L, idx) != 0 }
}

/// The number of upvalues of the function at `idx`.
///
/// # Safety
/// `L` valid, `idx` a function, room for 1 stack slot.
pub unsafe fn get_upvalue_count(L: *mut lua_State, idx: c_int) -> u8 {
    // Probing with lua_getupvalue is what lua_getinfo(">u") tells, without parsing options
    // and filling a lua_Debug; functions have at most 255 upvalues.
    // SAFETY: forwarded caller contract; each value found is popped.
    unsafe {
        let mut n = 0u8;
        while n < u8::MAX && !lua_getupvalue(L, idx, n as c_int + 1).is_null() {
            lua_pop(L, 1);
            n += 1;
        }
        n
    }
}

/// Serializes the function at `idx` as a whole value (tag and payload) into `out`.
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
            return Err(FunctionSerializationError::UnsupportedFunctionType { type_name }.into());
        }
        crate::serializer::serialize_value_to_vec(L, idx, out)
    }
}

/// Encodes the function at `idx`: a C function by name (0x0B), a Lua function as a
/// closure (0x0A), or a reference to one met before (0x09).
///
/// # Safety
/// `idx` must be a valid index of a function in the encoder's state.
pub unsafe fn serialize_function(enc: &mut Encoder, idx: c_int) -> Result<(), SerializationError> {
    // SAFETY: forwarded caller contract.
    unsafe {
        if is_c_function(enc.L, idx) {
            return serialize_c_function_ref(enc, idx);
        }
        if enc.reference_or_register(idx)? {
            return Ok(());
        }
        enc.nested(|enc| {
            serialize_lua_bytecode(enc, idx)?;
            serialize_upvalues(enc, idx)
        })
    }
}

/// What `dump_writer` returns (and `lua_dump` passes on) when the vector cannot grow.
const DUMP_OUT_OF_MEMORY: c_int = 1;

/// `lua_dump`'s writer: appends to the `Vec<u8>` it is given.
unsafe extern "C-unwind" fn dump_writer(
    _L: *mut lua_State,
    p: *const c_void,
    size: usize,
    ud: *mut c_void,
) -> c_int {
    // SAFETY: serialize_lua_bytecode passes a live Vec<u8>; Lua passes `size` readable
    // bytes. A panic (capacity overflow) must not unwind into C.
    crate::lua::abort_on_panic(|| unsafe {
        let out = &mut *(ud as *mut Vec<u8>);
        if size != 0 {
            // A failed allocation stops the dump (status DUMP_OUT_OF_MEMORY), not the module.
            if out.try_reserve(size).is_err() {
                return DUMP_OUT_OF_MEMORY;
            }
            out.extend_from_slice(core::slice::from_raw_parts(p as *const u8, size));
        }
        0
    })
}

/// Dumps the Lua function at `idx` into `out`; returns lua_dump's status.
///
/// # Safety
/// `idx` must be a valid index of a Lua function, with room for one stack slot.
unsafe fn dump_into(L: *mut lua_State, idx: c_int, out: &mut Vec<u8>, strip: c_int) -> c_int {
    // SAFETY: forwarded caller contract; lua_dump reads the function from the top and does
    // not allocate; the writer gets the live vector.
    unsafe {
        lua_pushvalue(L, idx);
        let status = lua_dump(L, Some(dump_writer), out as *mut Vec<u8> as *mut c_void, strip);
        lua_pop(L, 1);
        status
    }
}

/// Writes tag 0x0A and the bytecode of the Lua function at `idx` (`lua_dump`, stripped
/// unless the options keep debug information), as `u32 length` + bytes.
///
/// # Safety
/// `idx` must be a valid index of a Lua function.
pub unsafe fn serialize_lua_bytecode(
    enc: &mut Encoder,
    idx: c_int,
) -> Result<(), SerializationError> {
    let L = enc.L;
    enc.put_tag(SerializationType::Closure)?;
    let len_at = enc.out.len();
    enc.put_u32(0)?;
    let strip = enc.options.strip_debug as c_int;
    // Straight into the output when it is a vector (lua_dump makes many small writes);
    // otherwise into a vector first.
    let status = match enc.out.as_vec() {
        // SAFETY: idx is a Lua function (caller contract).
        Some(vec) => unsafe { dump_into(L, idx, vec, strip) },
        None => {
            let mut bytes = Vec::new();
            // SAFETY: as above.
            let status = unsafe { dump_into(L, idx, &mut bytes, strip) };
            enc.out.put(&bytes)?;
            status
        }
    };
    if status == DUMP_OUT_OF_MEMORY {
        return Err(SerializationError::OutOfMemory);
    }
    if status != 0 {
        return Err(FunctionSerializationError::InvalidBytecode {
            reason: format!("lua_dump failed ({status})"),
        }
        .into());
    }
    let len = enc.out.len() - len_at - 4;
    let len =
        u32::try_from(len).map_err(|_| FunctionSerializationError::BytecodeTooLarge { len })?;
    enc.out.patch_u32(len_at, len);
    enc.put(&[]) // the size limit
}

/// Writes the upvalue count and each upvalue of the Lua function at `idx`: `00` + value the
/// first time an upvalue is met, `01` + u32 index when it is shared with one met before.
///
/// # Safety
/// `idx` must be a valid index of a Lua function.
pub unsafe fn serialize_upvalues(enc: &mut Encoder, idx: c_int) -> Result<(), SerializationError> {
    let L = enc.L;
    // SAFETY: idx is a function; every pushed upvalue is popped.
    unsafe {
        let nups = get_upvalue_count(L, idx);
        enc.put(&[nups])?;
        for i in 1..=nups as c_int {
            let id = lua_upvalueid(L, idx, i) as usize;
            if let Some(k) = enc.upvalues.get(id) {
                enc.put(&[0x01])?;
                enc.put_u32(k)?;
                continue;
            }
            enc.upvalues.insert(id)?;
            enc.put(&[0x00])?;
            let name = lua_getupvalue(L, idx, i);
            let name = if name.is_null() {
                String::from("?")
            } else {
                CStr::from_ptr(name).to_string_lossy().into_owned()
            };
            let r = enc.value(-1);
            lua_pop(L, 1);
            r.map_err(|cause| match cause {
                // Limits and a full buffer are the caller's to act on, as they are anywhere.
                SerializationError::BufferTooSmall { .. }
                | SerializationError::SizeLimitExceeded { .. }
                | SerializationError::EntryLimitExceeded { .. } => cause,
                SerializationError::DepthLimitExceeded { .. } => {
                    cause.inside(&format!("<upvalue {name}>"))
                }
                _ => FunctionSerializationError::UpvalueSerializationFailed {
                    index: i as u8,
                    name,
                    cause: Box::new(cause),
                }
                .into(),
            })?;
        }
    }
    Ok(())
}

/// Writes a C function as tag 0x0B + u16 name length + its registry name.
///
/// # Safety
/// `idx` must be a valid index of a C function.
pub unsafe fn serialize_c_function_ref(
    enc: &mut Encoder,
    idx: c_int,
) -> Result<(), SerializationError> {
    let L = enc.L;
    // SAFETY: idx is a C function; the registry is built in a protected call (its errors
    // come back as values); the lookups do not allocate.
    unsafe {
        ensure_c_function_registry(L)?;
        let f = lua_tocfunction(L, idx);
        let nups = get_upvalue_count(L, idx);
        let Some(name) = c_function_name(L, f) else {
            let description = match f {
                Some(f) => format!("at {:p}", f as *const c_void),
                None => String::from("(unknown)"),
            };
            return Err(FunctionSerializationError::CFunctionNotSerializable {
                description,
                reason: String::from("it is not in this state's C function registry (register it with register_c_function)"),
            }
            .into());
        };
        // A C closure (upvalues) is storable only as the very object its name resolves to,
        // such as math.random; another closure of the same C function is not.
        if nups > 0 && !registered_object_is(L, &name, idx) {
            return Err(FunctionSerializationError::CFunctionNotSerializable {
                description: name,
                reason: format!(
                    "it is a C closure with {nups} upvalues that its name does not resolve to"
                ),
            }
            .into());
        }
        let len = u16::try_from(name.len()).map_err(|_| {
            FunctionSerializationError::CFunctionNotSerializable {
                description: name.clone(),
                reason: String::from("its name is longer than 65535 bytes"),
            }
        })?;
        enc.put_tag(SerializationType::CFunction)?;
        enc.put(&len.to_le_bytes())?;
        enc.put(name.as_bytes())
    }
}

/// Decodes a function of any of the function tags and pushes it.
///
/// # Safety
/// Inside the protected decode call.
pub unsafe fn deserialize_function(
    dec: &mut Decoder,
    kind: SerializationType,
) -> Result<(), SerializationError> {
    // SAFETY: forwarded caller contract.
    unsafe {
        match kind {
            SerializationType::FunctionBytecode => {
                allow_function(dec)?;
                let len = dec.take_u32()? as usize;
                let bytecode = dec.take(len)?;
                deserialize_lua_bytecode(dec.L, bytecode)?;
                Ok(())
            }
            SerializationType::Closure => {
                allow_function(dec)?;
                let len = dec.take_u32()? as usize;
                let bytecode = dec.take(len)?;
                deserialize_lua_bytecode(dec.L, bytecode)?;
                let object = dec.register_object();
                let r = dec.nested(|dec| deserialize_upvalues(dec, object));
                if r.is_err() {
                    lua_pop(dec.L, 1);
                }
                r
            }
            SerializationType::CFunction => {
                allow_function(dec)?;
                let len = dec.take_u16()? as usize;
                let name = dec.take(len)?;
                deserialize_c_function_ref(dec.L, name)?;
                Ok(())
            }
            SerializationType::FunctionRef => {
                allow_function(dec)?;
                let index = dec.take_u16()?;
                deserialize_cu_function_ref(dec.L, index)?;
                Ok(())
            }
            _ => unreachable!("deserialize_function is called for function tags only"),
        }
    }
}

/// Checks a Lua 5.4 binary chunk's header against this build (version, format, sizes of
/// Instruction, lua_Integer and lua_Number, and the test values) before Lua loads it.
pub fn validate_bytecode(bytecode: &[u8]) -> Result<(), FunctionSerializationError> {
    let invalid = |reason: &str| {
        Err(FunctionSerializationError::InvalidBytecode {
            reason: reason.to_string(),
        })
    };
    let Some(header) = bytecode.get(..31) else {
        return invalid("shorter than the 31-byte Lua 5.4 header");
    };
    if &header[..4] != b"\x1bLua" {
        return invalid("not a Lua binary chunk (no \\x1bLua signature)");
    }
    if header[4] != 0x54 {
        return invalid(&format!("Lua version 0x{:02x}, not 5.4", header[4]));
    }
    if header[5] != 0 {
        return invalid("not the official format");
    }
    if &header[6..12] != b"\x19\x93\r\n\x1a\n" {
        return invalid("corrupted header (line-ending conversion?)");
    }
    if header[12..15] != [4, 8, 8] {
        return invalid("Instruction, lua_Integer or lua_Number has another size");
    }
    if header[15..23] != 0x5678i64.to_le_bytes() || header[23..31] != 370.5f64.to_le_bytes() {
        return invalid("another integer or float format (byte order)");
    }
    // The closure's upvalue slots (byte 31) must match the function's own upvalue count:
    // Lua only asserts it, and reading an upvalue past the slots would read past the closure.
    // The walk also rejects counts that the chunk's bytes do not back.
    let slots = bytecode.get(31).copied();
    match (slots, main_function_upvalues(bytecode)) {
        (Some(slots), Some(count)) if slots as usize == count => Ok(()),
        (Some(slots), Some(count)) => invalid(&format!(
            "the chunk gives its closure {slots} upvalue slots, but the function has {count}"
        )),
        _ => invalid("truncated or malformed function (a count exceeds the bytes that follow it)"),
    }
}

/// Walks a chunk's function tree as `lundump.c` reads it and returns the main function's
/// upvalue count. Every count in a chunk is followed by at least one byte per element, so a
/// chunk that walks to its end claims no more than its size: Lua's loader, which allocates
/// each vector before reading it, then allocates at most a small multiple of the input.
fn main_function_upvalues(bytecode: &[u8]) -> Option<usize> {
    let mut reader = ChunkReader {
        bytes: bytecode,
        pos: 32,
    };
    let upvalues = reader.function(0)?;
    (reader.pos == bytecode.len()).then_some(upvalues)
}

struct ChunkReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl ChunkReader<'_> {
    /// Lua's unsigned varint: 7 bits a byte, most significant first; the last has 0x80.
    fn varint(&mut self) -> Option<usize> {
        let mut x: usize = 0;
        loop {
            let b = *self.bytes.get(self.pos)?;
            self.pos += 1;
            x = x.checked_mul(128)? | (b & 0x7f) as usize;
            if b & 0x80 != 0 {
                return Some(x);
            }
        }
    }

    fn skip(&mut self, n: usize) -> Option<()> {
        let end = self.pos.checked_add(n)?;
        (end <= self.bytes.len()).then(|| self.pos = end)
    }

    /// A string: its size + 1 (0 for none), then its bytes.
    fn string(&mut self) -> Option<()> {
        let size = self.varint()?;
        self.skip(size.saturating_sub(1))
    }

    /// A count, then `count` elements of at least one byte each, read by `element`.
    fn elements(&mut self, mut element: impl FnMut(&mut Self) -> Option<()>) -> Option<usize> {
        let n = self.varint()?;
        if n > self.bytes.len() - self.pos {
            return None; // more elements than bytes left
        }
        for _ in 0..n {
            element(self)?;
        }
        Some(n)
    }

    /// A count, then `count` elements of `size` bytes each.
    fn fixed_elements(&mut self, size: usize) -> Option<usize> {
        let n = self.varint()?;
        self.skip(n.checked_mul(size)?)?;
        Some(n)
    }

    /// One function (dumpFunction in ldump.c); returns its upvalue count.
    fn function(&mut self, depth: usize) -> Option<usize> {
        if depth > 200 {
            return None; // deeper than Lua's parser nests functions
        }
        self.string()?; // source
        self.varint()?; // linedefined
        self.varint()?; // lastlinedefined
        self.skip(3)?; // numparams, is_vararg, maxstacksize
        let code = self.varint()?;
        self.skip(code.checked_mul(4)?)?;
        self.elements(|r| {
            let tag = *r.bytes.get(r.pos)?;
            r.pos += 1;
            match tag {
                0 | 1 | 17 => Some(()), // nil, false, true
                3 | 19 => r.skip(8),    // integer, float
                4 | 20 => r.string(),   // short, long string
                _ => None,
            }
        })?;
        let upvalues = self.fixed_elements(3)?; // instack, idx, kind
        self.elements(|r| r.function(depth + 1).map(|_| ()))?; // nested functions
        self.fixed_elements(1)?; // lineinfo
        self.elements(|r| r.varint().and_then(|_| r.varint()).map(|_| ()))?; // abslineinfo
        self.elements(|r| {
            r.string()?;
            r.varint()?;
            r.varint().map(|_| ())
        })?; // local variables
        self.elements(|r| r.string())?; // upvalue names
        Some(upvalues)
    }
}

/// Validates and loads Lua bytecode (mode "b") and pushes the function. As `lua_load`
/// does, its first upvalue is set to the globals table (cu's 0x05 payloads rely on that).
///
/// # Safety
/// `L` valid with room for 1 stack slot. The bytecode is executed when the function is
/// called: Lua does not verify it, so it must come from a trusted source.
pub unsafe fn deserialize_lua_bytecode(
    L: *mut lua_State,
    bytecode: &[u8],
) -> Result<(), FunctionSerializationError> {
    validate_bytecode(bytecode)?;
    // SAFETY: forwarded caller contract; luaL_loadbufferx reports errors as a status. The
    // walk in validate_bytecode bounds what the loader allocates by the chunk's size.
    unsafe {
        let status = luaL_loadbufferx(
            L,
            bytecode.as_ptr() as *const c_char,
            bytecode.len(),
            c"=deserialized".as_ptr(),
            c"b".as_ptr(),
        );
        if status != LUA_OK {
            let reason = String::from_utf8_lossy(lua::tostring(L, -1).unwrap_or(b"?")).into_owned();
            lua_pop(L, 1);
            return Err(FunctionSerializationError::InvalidBytecode { reason });
        }
    }
    Ok(())
}

/// Restores the upvalues of the closure on top of the stack (object index `object`).
///
/// # Safety
/// Inside the protected decode call, with the closure on top.
pub unsafe fn deserialize_upvalues(
    dec: &mut Decoder,
    object: u32,
) -> Result<(), SerializationError> {
    let L = dec.L;
    // SAFETY: the closure is on top; every push is consumed or popped.
    unsafe {
        let declared = dec.take_u8()?;
        let f = lua_gettop(L);
        // Safe to count: validate_bytecode made the closure's slots match its function.
        let actual = get_upvalue_count(L, f);
        if declared != actual {
            return Err(
                FunctionSerializationError::UpvalueCountMismatch { declared, actual }.into(),
            );
        }
        for i in 1..=declared as c_int {
            match dec.take_u8()? {
                0x00 => {
                    // Numbered before its value is decoded, as the encoder numbers it: the
                    // value may hold closures that share this very upvalue.
                    dec.upvalues.push((object, i));
                    dec.value()?;
                    lua_setupvalue(L, f, i);
                }
                0x01 => {
                    let offset = dec.pos;
                    let k = dec.take_u32()?;
                    let Some(&(owner, n)) = dec.upvalues.get(k as usize) else {
                        return Err(FunctionSerializationError::InvalidSharedUpvalue {
                            index: k,
                            known: dec.upvalues.len(),
                        }
                        .into());
                    };
                    dec.push_object(owner, offset)?;
                    lua_upvaluejoin(L, f, i, -1, n);
                    lua_pop(L, 1);
                }
                kind => return Err(FunctionSerializationError::UnknownUpvalueKind { kind }.into()),
            }
        }
    }
    Ok(())
}

// ------------------------------------------------------------- C function registry

/// The standard libraries whose C functions the registry names, in this order, as
/// `lib.name`; the base library (`_G`, plain names) comes after them and the file methods. (C strings, because
/// building the registry runs where a Lua error may jump over the frame: no Rust-owned
/// memory may be alive there.)
const STANDARD_LIBRARIES: &[&CStr] = &[
    c"coroutine",
    c"debug",
    c"io",
    c"math",
    c"os",
    c"package",
    c"string",
    c"table",
    c"utf8",
];

/// Makes sure the state's C function registry exists: a table in the Lua registry that maps
/// each C function (light userdata of its address) to its name and each name to the
/// function. Built from the libraries as loaded (`package.loaded`), so later changes to
/// globals rename nothing. The standard libraries have no function under two names.
///
/// # Safety
/// `L` must be a valid state.
pub unsafe fn ensure_c_function_registry(L: *mut lua_State) -> Result<(), SerializationError> {
    // SAFETY: forwarded caller contract; the build runs protected.
    unsafe {
        if lua_rawgetp(L, LUA_REGISTRYINDEX, registry_key(&CFUNCTIONS_KEY)) == LUA_TTABLE {
            lua_pop(L, 1);
            return Ok(());
        }
        lua_pop(L, 1);
        lua::protected(L, &mut |L| build_registry(L)).map_err(SerializationError::Lua)
    }
}

/// # Safety
/// Inside a protected call.
unsafe fn build_registry(L: *mut lua_State) {
    // SAFETY: inside a protected call; the stack is balanced.
    unsafe {
        // It may run deep inside a decode, whose frame has used its own slots: room for
        // what it pushes (registry, loaded, library, metatable, key, value, name parts),
        // found by LUA_USE_APICHECK.
        luaL_checkstack(L, 12, c"building the C function registry".as_ptr());
        lua_createtable(L, 0, 512);
        let registry = lua_gettop(L);
        lua_getfield(L, LUA_REGISTRYINDEX, c"_LOADED".as_ptr());
        let loaded = lua_gettop(L);
        for lib in STANDARD_LIBRARIES {
            if lua_getfield(L, loaded, lib.as_ptr()) == LUA_TTABLE {
                register_library(L, registry, lib);
            }
            lua_pop(L, 1);
        }
        // File handle methods and metamethods: "FILE*" is the io library's metatable.
        if lua_getfield(L, LUA_REGISTRYINDEX, c"FILE*".as_ptr()) == LUA_TTABLE {
            register_library(L, registry, c"FILE*");
            if lua_getfield(L, -1, c"__index".as_ptr()) == LUA_TTABLE {
                register_library(L, registry, c"FILE*.__index");
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        // The base library last: a global alias made before the registry was built (say
        // `unpack = table.unpack`) must not rename a library function.
        if lua_getfield(L, loaded, c"_G".as_ptr()) == LUA_TTABLE {
            register_library(L, registry, c"_G");
        }
        lua_pop(L, 2);
        lua_rawsetp(L, LUA_REGISTRYINDEX, registry_key(&CFUNCTIONS_KEY));
    }
}

/// Registers the C functions of the table on top as `prefix.name`.
///
/// # Safety
/// Inside a protected call, with the library table on top and the registry at `registry`.
unsafe fn register_library(L: *mut lua_State, registry: c_int, prefix: &CStr) {
    // SAFETY: forwarded caller contract; the stack is balanced (key kept for lua_next).
    unsafe {
        let lib = lua_gettop(L);
        lua_pushnil(L);
        while lua_next(L, lib) != 0 {
            if lua_type(L, -2) == LUA_TSTRING && lua_tocfunction(L, -1).is_some() {
                if prefix != c"_G" {
                    lua_pushfstring(L, c"%s.".as_ptr(), prefix.as_ptr());
                    lua_pushvalue(L, -3);
                    lua_concat(L, 2);
                } else {
                    lua_pushvalue(L, -2);
                }
                add_to_registry(L, registry, false); // pops the name and the function
            } else {
                lua_pop(L, 1);
            }
        }
    }
}

/// Adds the function below the name on top (both popped) to the registry at `registry`:
/// the name always resolves to the function. The function's own name (what the encoder
/// writes) is the first one registered; within one library, where one function may have
/// two names (`FILE*.__gc` and `FILE*.__close`), the bytewise smaller, so that the choice
/// does not follow the table's iteration order. With `replace`, the name becomes the
/// function's own name.
///
/// # Safety
/// Inside a protected call; stack: ..., function, name.
unsafe fn add_to_registry(L: *mut lua_State, registry: c_int, replace: bool) {
    // SAFETY: forwarded caller contract.
    unsafe {
        let Some(f) = lua_tocfunction(L, -2) else {
            lua_pop(L, 2);
            return;
        };
        let key = f as *const c_void;
        // name -> function
        lua_pushvalue(L, -1);
        lua_pushvalue(L, -3);
        lua_rawset(L, registry);
        // function -> name
        let take = replace || {
            let known = lua_rawgetp(L, registry, key) != LUA_TNIL;
            let smaller = known
                && same_library_and_smaller(
                    lua::tostring(L, -2).unwrap_or_default(),
                    lua::tostring(L, -1).unwrap_or_default(),
                );
            lua_pop(L, 1);
            !known || smaller
        };
        if take {
            lua_pushvalue(L, -1);
            lua_rawsetp(L, registry, key);
        }
        lua_pop(L, 2);
    }
}

/// Whether `new` should replace `old` as a function's own name: both name the function in
/// the same library (the same prefix up to the last dot), and `new` sorts first.
fn same_library_and_smaller(new: &[u8], old: &[u8]) -> bool {
    fn library(name: &[u8]) -> &[u8] {
        name.iter()
            .rposition(|&b| b == b'.')
            .map_or(&[][..], |i| &name[..i])
    }
    library(new) == library(old) && new < old
}

/// Registers a host C function under a stable `name`, so that values holding it can be
/// serialized and restored in any state that registers the same name.
///
/// # Safety
/// `L` must be a valid state.
pub unsafe fn register_c_function(
    L: *mut lua_State,
    name: &str,
    f: lua_CFunction,
) -> Result<(), SerializationError> {
    // SAFETY: forwarded caller contract.
    unsafe {
        ensure_c_function_registry(L)?;
        lua::protected(L, &mut |L| {
            lua_rawgetp(L, LUA_REGISTRYINDEX, registry_key(&CFUNCTIONS_KEY));
            let registry = lua_gettop(L);
            lua_pushcfunction(L, f);
            lua::pushstring(L, name.as_bytes());
            add_to_registry(L, registry, true);
            lua_pop(L, 1);
        })
        .map_err(SerializationError::Lua)
    }
}

/// Whether the registry's function for `name` is the value at `idx` itself.
///
/// # Safety
/// `L` valid with room for 3 stack slots; the registry must exist.
unsafe fn registered_object_is(L: *mut lua_State, name: &str, idx: c_int) -> bool {
    // SAFETY: forwarded caller contract. The name is found by walking the registry rather
    // than pushed as a string, because pushing could allocate and raise here (the encoder
    // runs unprotected). Only C closures, which are rare, take this path.
    unsafe {
        let idx = lua_absindex(L, idx);
        lua_rawgetp(L, LUA_REGISTRYINDEX, registry_key(&CFUNCTIONS_KEY));
        let registry = lua_gettop(L);
        let mut same = false;
        lua_pushnil(L);
        while lua_next(L, registry) != 0 {
            if lua_type(L, -2) == LUA_TSTRING && lua::tostring(L, -2) == Some(name.as_bytes()) {
                same = lua_rawequal(L, -1, idx) != 0;
                lua_pop(L, 2);
                break;
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        same
    }
}

/// The registry name of a C function, if it has one.
///
/// # Safety
/// `L` valid with room for 2 stack slots; the registry must exist.
unsafe fn c_function_name(L: *mut lua_State, f: lua_CFunction) -> Option<String> {
    let f = f?;
    // SAFETY: forwarded caller contract; raw reads do not allocate.
    unsafe {
        if lua_rawgetp(L, LUA_REGISTRYINDEX, registry_key(&CFUNCTIONS_KEY)) != LUA_TTABLE {
            lua_pop(L, 1);
            return None;
        }
        lua_rawgetp(L, -1, f as *const c_void);
        let name = lua::tostring(L, -1).map(|b| String::from_utf8_lossy(b).into_owned());
        lua_pop(L, 2);
        name
    }
}

/// Pushes the C function registered under `name`.
///
/// # Safety
/// Inside a protected call (or where an allocation failure may raise).
pub unsafe fn deserialize_c_function_ref(
    L: *mut lua_State,
    name: &[u8],
) -> Result<(), FunctionSerializationError> {
    // SAFETY: forwarded caller contract.
    unsafe {
        if lua_rawgetp(L, LUA_REGISTRYINDEX, registry_key(&CFUNCTIONS_KEY)) != LUA_TTABLE {
            lua_pop(L, 1);
            build_registry(L);
            lua_rawgetp(L, LUA_REGISTRYINDEX, registry_key(&CFUNCTIONS_KEY));
        }
        lua::pushstring(L, name);
        let found = lua_rawget(L, -2) == LUA_TFUNCTION;
        lua_remove(L, -2);
        if !found {
            lua_pop(L, 1);
            return Err(FunctionSerializationError::UnknownCFunction {
                name: String::from_utf8_lossy(name).into_owned(),
            });
        }
    }
    Ok(())
}

/// cu's C function table (function_serializer.zig:24-98), by index.
pub const CU_C_FUNCTION_NAMES: [&str; 66] = [
    "print",
    "type",
    "tonumber",
    "tostring",
    "pairs",
    "ipairs",
    "next",
    "pcall",
    "xpcall",
    "error",
    "assert",
    "select",
    "rawget",
    "rawset",
    "rawequal",
    "getmetatable",
    "setmetatable",
    "math.abs",
    "math.acos",
    "math.asin",
    "math.atan",
    "math.atan2",
    "math.ceil",
    "math.cos",
    "math.cosh",
    "math.deg",
    "math.exp",
    "math.floor",
    "math.fmod",
    "math.frexp",
    "math.huge",
    "math.ldexp",
    "math.log",
    "math.log10",
    "math.max",
    "math.min",
    "math.modf",
    "math.pi",
    "math.pow",
    "math.rad",
    "math.random",
    "math.randomseed",
    "math.sin",
    "math.sinh",
    "math.sqrt",
    "math.tan",
    "math.tanh",
    "string.byte",
    "string.char",
    "string.dump",
    "string.find",
    "string.format",
    "string.gmatch",
    "string.gsub",
    "string.len",
    "string.lower",
    "string.match",
    "string.rep",
    "string.reverse",
    "string.sub",
    "string.upper",
    "table.concat",
    "table.insert",
    "table.maxn",
    "table.remove",
    "table.sort",
];

/// What cu's "unsupported C function" marker (`06 FF FF`) decodes to.
unsafe extern "C-unwind" fn unsupported_c_function(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua; luaL_error does not return.
    unsafe {
        luaL_error(
            L,
            c"attempt to call a C function that cu could not serialize (stored as its 'unsupported' marker 06 FF FF)".as_ptr(),
        )
    }
}

/// Decodes cu's `06` + u16: an index in cu's 66-name table, resolved by name in this
/// state (names that are not functions in Lua 5.4, like `math.pi` or `math.pow`, give nil,
/// as in cu), or `0xFFFF`, which becomes a function that raises a clear error when called.
///
/// # Safety
/// Inside the protected decode call.
unsafe fn deserialize_cu_function_ref(
    L: *mut lua_State,
    index: u16,
) -> Result<(), FunctionSerializationError> {
    // SAFETY: forwarded caller contract.
    unsafe {
        if index == 0xFFFF {
            lua_pushcfunction(L, Some(unsupported_c_function));
            return Ok(());
        }
        let Some(name) = CU_C_FUNCTION_NAMES.get(index as usize) else {
            return Err(FunctionSerializationError::InvalidCFunctionIndex { index });
        };
        if deserialize_c_function_ref(L, name.as_bytes()).is_err() {
            lua_pushnil(L);
        }
    }
    Ok(())
}
