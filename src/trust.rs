//! The bytecode trust policy of a state (refuse, trust, or authenticate) and the signed
//! envelope (tag 0x0C): HMAC-SHA-256 over where a value is stored and its bytes (FORMAT.md,
//! 0x0C). Loading bytecode is the host's decision: Lua does not verify it.

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ffi::*;
use crate::format::{FunctionSerializationError, Output, SerializationError, SerializationType};
use crate::lua;

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

/// Registry key (the address of this static) of a state's policy.
static POLICY_KEY: u8 = 0;

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
            lua_rawsetp(L, LUA_REGISTRYINDEX, lua::registry_key(&POLICY_KEY));
        })
        .map_err(|e| SerializationError::Lua(e.0))?;
        if let Some(account) = crate::budget::account(L) {
            account.trusts_bytecode = matches!(policy, BytecodePolicy::Trust);
        }
        Ok(())
    }
}

/// The bytecode policy of the state `L` (Trust when none was set).
///
/// # Safety
/// `L` must be a valid state with room for 2 stack slots.
pub unsafe fn bytecode_policy(L: *mut lua_State) -> BytecodePolicy {
    // SAFETY: forwarded caller contract; raw reads do not allocate. No other reference to
    // the account is alive here.
    unsafe {
        // States of lua::new_state keep whether they trust in their account; the registry
        // stays the record (and the only one for states with another allocator).
        if crate::budget::account(L).is_some_and(|account| account.trusts_bytecode) {
            return BytecodePolicy::Trust;
        }
        let policy = match lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&POLICY_KEY)) {
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
    let mut m = keyed(key);
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

/// HMAC-SHA-256 under `key`, before any bytes.
fn keyed(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

/// A whole-payload envelope's parts: (MAC, inner value), unverified; `None` when
/// `envelope` is not an envelope of exactly its declared length.
pub fn envelope_parts(envelope: &[u8]) -> Option<(&[u8], &[u8])> {
    if envelope.first() != Some(&(SerializationType::Signed as u8)) {
        return None;
    }
    let len = u32::from_le_bytes(envelope.get(1..5)?.try_into().ok()?) as usize;
    let inner = envelope.get(SIGNED_HEADER_LEN..)?;
    (inner.len() == len).then(|| (&envelope[5..SIGNED_HEADER_LEN], inner))
}

pub(crate) const MAC_LEN: usize = 32;

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
    let (expected, inner) = envelope_parts(envelope)?;
    let mut m = keyed(key);
    m.update(inner);
    m.verify_slice(expected).ok()?;
    sign_payload(key, place, inner).ok()
}

/// Whether `envelope` (a whole payload starting with tag 0x0C) is signed with `key` for
/// `place`, checked on the bytes alone (constant-time).
pub fn signature_verifies(key: &[u8], place: SignedPlace, envelope: &[u8]) -> bool {
    envelope_parts(envelope)
        .is_some_and(|(expected, inner)| verify_mac(key, place, inner, expected))
}

/// Whether `expected` is the MAC of `inner` at `place` (constant-time).
pub(crate) fn verify_mac(key: &[u8], place: SignedPlace, inner: &[u8], expected: &[u8]) -> bool {
    let mut m = mac(key, place);
    m.update(inner);
    m.verify_slice(expected).is_ok()
}

/// Whether `policy` lets a function payload (or the globals table) load, inside a
/// verified envelope or not.
pub(crate) fn policy_allows(
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
