//! External-table references (tag `07`): how the serializer knows an external table's
//! proxy when it meets one, and turns a stored id back into a proxy, without knowing the
//! module that makes them (`ext_table`, which sits above the serializer). The proxies of a
//! state, their shared metatable and the resolver live in its registry under this file's
//! keys; `ext_table::install` fills them in.

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::c_int;

use crate::fallible::{try_push, AllocError};
use crate::ffi::*;
use crate::format::SerializationError;
use crate::lua;

/// Registry keys (the addresses of these statics).
static METATABLE_KEY: u8 = 0;
/// The string "__ext_table_id", kept alive here so that looking the field up never
/// allocates (it runs inside the encoder, where nothing may raise).
static ID_FIELD_KEY: u8 = 0;
/// Proxies by id, weak values: the same id gives the same proxy while it lives.
static PROXIES_KEY: u8 = 0;
static RESOLVER_KEY: u8 = 0;

/// Makes the table on top (popped) the proxy metatable of `L`, and creates the table of
/// proxies.
///
/// # Safety
/// `L` valid, in a protected context (it allocates), a table on top.
pub(crate) unsafe fn install_proxies(L: *mut lua_State) {
    // SAFETY: forwarded caller contract.
    unsafe {
        lua_rawsetp(L, LUA_REGISTRYINDEX, lua::registry_key(&METATABLE_KEY));
        lua_pushliteral(L, b"__ext_table_id");
        lua_rawsetp(L, LUA_REGISTRYINDEX, lua::registry_key(&ID_FIELD_KEY));
        lua_createtable(L, 0, 4);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, b"v");
        lua_setfield(L, -2, c"__mode".as_ptr());
        lua_setmetatable(L, -2);
        lua_rawsetp(L, LUA_REGISTRYINDEX, lua::registry_key(&PROXIES_KEY));
    }
}

/// Pushes the proxy of table `id`, the same object for the same id while it lives.
///
/// # Safety
/// `L` valid, in a protected context (it allocates).
pub unsafe fn push_proxy(L: *mut lua_State, id: u32) {
    // SAFETY: forwarded caller contract.
    unsafe {
        lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&PROXIES_KEY));
        if lua_rawgeti(L, -1, id as lua_Integer) == LUA_TTABLE {
            lua_remove(L, -2);
            return;
        }
        lua_pop(L, 1);
        lua_createtable(L, 0, 1);
        lua_pushinteger(L, id as lua_Integer);
        lua_setfield(L, -2, c"__ext_table_id".as_ptr());
        lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&METATABLE_KEY));
        lua_setmetatable(L, -2);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, id as lua_Integer);
        lua_remove(L, -2);
    }
}

/// The id of the proxy at `idx`, if it is one: our metatable, and a raw `__ext_table_id`
/// field (kept for cu's scripts, which read it) naming this very proxy. A script that
/// assigns the field (it is raw, so `__newindex` does not see it) breaks its proxy instead
/// of silently turning it into another table, as in cu.
///
/// # Safety
/// `L` valid with room for 2 stack slots.
pub(crate) unsafe fn proxy_id(L: *mut lua_State, idx: c_int) -> Option<u32> {
    // SAFETY: raw reads only.
    unsafe {
        let idx = lua_absindex(L, idx);
        if lua_type(L, idx) != LUA_TTABLE || lua_getmetatable(L, idx) == 0 {
            return None;
        }
        lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&METATABLE_KEY));
        let ours = lua_rawequal(L, -1, -2) != 0;
        lua_pop(L, 2);
        if !ours {
            return None;
        }
        lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&ID_FIELD_KEY));
        lua_rawget(L, idx);
        let id = lua::tointeger(L, -1).and_then(|id| u32::try_from(id).ok());
        lua_pop(L, 1);
        let id = id?;
        lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&PROXIES_KEY));
        lua_rawgeti(L, -1, id as lua_Integer);
        let genuine = lua_rawequal(L, -1, idx) != 0;
        lua_pop(L, 2);
        genuine.then_some(id)
    }
}

/// The ids of the proxies that are alive in `L` (run a full collection first to leave out
/// those nothing uses).
///
/// # Safety
/// `L` valid with room for 3 stack slots.
pub(crate) unsafe fn live_proxy_ids(L: *mut lua_State) -> Result<Vec<u32>, AllocError> {
    let mut ids = Vec::new();
    // SAFETY: raw reads of the proxy table; the stack is balanced on every path.
    unsafe {
        if lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&PROXIES_KEY)) != LUA_TTABLE {
            lua_pop(L, 1);
            return Ok(ids);
        }
        lua_pushnil(L);
        while lua_next(L, -2) != 0 {
            if let Some(id) = lua::tointeger(L, -2).and_then(|id| u32::try_from(id).ok()) {
                if let Err(e) = try_push(&mut ids, id) {
                    lua_pop(L, 3);
                    return Err(e);
                }
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    Ok(ids)
}

/// Sets the function that turns cu's external-table references (tag 0x07, u32 id) into
/// values: it is called with the id and returns the proxy. Without one, decoding a table
/// reference fails with `UnresolvedTableRef`.
///
/// # Safety
/// `L` must be a valid state.
pub unsafe fn set_table_ref_resolver(
    L: *mut lua_State,
    resolver: lua_CFunction,
) -> Result<(), SerializationError> {
    // SAFETY: forwarded caller contract.
    unsafe {
        lua::protected(L, &mut |L| {
            lua_pushcfunction(L, resolver);
            lua_rawsetp(L, LUA_REGISTRYINDEX, lua::registry_key(&RESOLVER_KEY));
        })
        .map_err(|e| SerializationError::Lua(e.0))
    }
}

/// Pushes the value of the reference `07` + `id`, as the state's resolver gives it.
///
/// # Safety
/// Inside the protected decode call.
pub(crate) unsafe fn resolve_table_ref(
    L: *mut lua_State,
    id: u32,
) -> Result<(), SerializationError> {
    // SAFETY: inside the protected call; the resolver's errors propagate as Lua errors.
    unsafe {
        if lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&RESOLVER_KEY)) != LUA_TFUNCTION {
            lua_pop(L, 1);
            return Err(SerializationError::UnresolvedTableRef { id });
        }
        lua_pushinteger(L, id as lua_Integer);
        lua_call(L, 1, 1);
    }
    Ok(())
}
