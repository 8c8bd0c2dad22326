//! Serialization of functions (cu: `function_serializer.zig`): Lua functions as bytecode
//! (`lua_dump` with a writer callback, never the global `string.dump`), their upvalues
//! (shared upvalues stay shared; the globals table re-binds to the loading state's), and C
//! functions by their name in the state's registry. What cu's file also held lives in files
//! of its own, re-exported here under cu's names: the C function registry
//! (`c_functions.rs`), the bytecode trust policy and signed envelopes (`trust.rs`), and the
//! bytecode checks (`bytecode.rs`).
//!
//! Formats: see `FORMAT.md` (tags 0x05, 0x06, 0x0A, 0x0B, 0x0C).

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::{c_char, c_int, c_void, CStr};

use crate::codec::{Decoder, Encoder, Nesting, ReadBytes};
use crate::ffi::*;
use crate::format::{SerializationError, SerializationType};
use crate::lua;

pub use crate::bytecode::validate_bytecode;
use crate::c_functions::{c_function_name, deserialize_cu_function_ref, registered_object_is};
pub use crate::c_functions::{
    deserialize_c_function_ref, ensure_c_function_registry, register_c_function,
    CU_C_FUNCTION_NAMES,
};
pub use crate::format::FunctionSerializationError;
pub use crate::trust::{
    bytecode_policy, resign_legacy, set_bytecode_policy, sign_payload, signature_verifies,
    BytecodePolicy, SignedPlace, SIGNED_HEADER_LEN,
};
use crate::trust::{policy_allows, verify_mac, MAC_LEN};

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
        if !verify_mac(key, dec.place, inner, expected) {
            return Err(FunctionSerializationError::SignatureMismatch.into());
        }
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

/// Whether the policy lets a suspended coroutine load here: its frames are positions in
/// code, as dangerous as bytecode when someone else chose them.
pub(crate) fn allow_suspended_coroutine(dec: &Decoder) -> Result<(), FunctionSerializationError> {
    allow_function(dec)
}

fn allow_function(dec: &Decoder) -> Result<(), FunctionSerializationError> {
    policy_allows(&dec.policy, dec.verified)
}

/// Whether `bytes` is the common case of a stored function: one closure (0x0A) whose
/// upvalues are all nil, booleans, numbers or the globals table. The general decoder reads
/// such a payload without a protected call: loading the chunk runs protected by itself,
/// and pushing and setting such upvalues allocates nothing Lua could fail on.
pub(crate) fn is_simple_closure(bytes: &[u8]) -> bool {
    let Some((&tag, rest)) = bytes.split_first() else {
        return false;
    };
    if tag != SerializationType::Closure as u8 {
        return false;
    }
    let Some(len) = rest
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    else {
        return false;
    };
    let Some((&nups, mut cursor)) = (len as usize)
        .checked_add(4)
        .and_then(|end| rest.get(end..))
        .and_then(<[u8]>::split_first)
    else {
        return false;
    };
    for _ in 0..nups {
        // Kind 00 (a value met first), then a scalar's tag and payload.
        let [0x00, tag, ref after @ ..] = *cursor else {
            return false;
        };
        match SerializationType::from_tag(tag).and_then(SerializationType::scalar_payload_len) {
            Some(n) if after.len() >= n => cursor = &after[n..],
            _ => return false,
        }
    }
    cursor.is_empty()
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
        let status = lua_dump(
            L,
            Some(dump_writer),
            out as *mut Vec<u8> as *mut c_void,
            strip,
        );
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

/// Reads a shared upvalue's `u32 k` (the `01 k` form) and pushes the object that owns
/// upvalue `k`: a closure (returned with its upvalue number) or a suspended coroutine
/// (returned with minus the stack slot of its open upvalue).
///
/// # Safety
/// Inside the protected decode call, with room for 1 stack slot.
pub(crate) unsafe fn push_shared_upvalue_owner(
    dec: &mut Decoder,
) -> Result<(u32, c_int), SerializationError> {
    let offset = dec.pos;
    let k = dec.take_u32()?;
    let Some((owner, n)) = dec.upvalues.get(k as usize) else {
        return Err(FunctionSerializationError::InvalidSharedUpvalue {
            index: k,
            known: dec.upvalues.len(),
        }
        .into());
    };
    // SAFETY: forwarded caller contract.
    unsafe { dec.push_object(owner, offset)? };
    Ok((k, n))
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
                    dec.upvalues.push((object, i))?;
                    dec.value()?;
                    lua_setupvalue(L, f, i);
                }
                0x01 => {
                    let (k, n) = push_shared_upvalue_owner(dec)?;
                    // A negative number: the upvalue is a suspended coroutine's open one, at
                    // that slot of its stack (src/suspended_coroutines.rs).
                    let r = if n < 0 {
                        crate::suspended_coroutines::join_open_upvalue(L, f, i, -n, k)
                    } else {
                        lua_upvaluejoin(L, f, i, -1, n);
                        Ok(())
                    };
                    lua_pop(L, 1);
                    r?;
                }
                kind => return Err(FunctionSerializationError::UnknownUpvalueKind { kind }.into()),
            }
        }
    }
    Ok(())
}
