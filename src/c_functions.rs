//! The C function registry of a state: stable names for C functions (the standard library's,
//! the file handle methods, and what the host registers), so that they can be stored by
//! name (tag 0x0B) and restored as the loading state's own; and cu's fixed table of 66
//! names (tag 0x06).

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::{c_int, c_void, CStr};

use crate::ffi::*;
use crate::format::{FunctionSerializationError, SerializationError};
use crate::lua;

/// Registry key (the address of this static) of a state's C function registry.
static CFUNCTIONS_KEY: u8 = 0;

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
        if lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&CFUNCTIONS_KEY)) == LUA_TTABLE {
            lua_pop(L, 1);
            return Ok(());
        }
        lua_pop(L, 1);
        lua::protected(L, &mut |L| build_registry(L)).map_err(|e| SerializationError::Lua(e.0))
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
        lua_rawsetp(L, LUA_REGISTRYINDEX, lua::registry_key(&CFUNCTIONS_KEY));
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
            lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&CFUNCTIONS_KEY));
            let registry = lua_gettop(L);
            lua_pushcfunction(L, f);
            lua::pushstring(L, name.as_bytes());
            add_to_registry(L, registry, true);
            lua_pop(L, 1);
        })
        .map_err(|e| SerializationError::Lua(e.0))
    }
}

/// Whether the registry's function for `name` is the value at `idx` itself.
///
/// # Safety
/// `L` valid with room for 3 stack slots; the registry must exist.
pub(crate) unsafe fn registered_object_is(L: *mut lua_State, name: &str, idx: c_int) -> bool {
    // SAFETY: forwarded caller contract. The name is found by walking the registry rather
    // than pushed as a string, because pushing could allocate and raise here (the encoder
    // runs unprotected). Only C closures, which are rare, take this path.
    unsafe {
        let idx = lua_absindex(L, idx);
        lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&CFUNCTIONS_KEY));
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

/// The C function registered under `name`, if the registry has one (found by walking it,
/// as [`registered_object_is`], so that nothing is allocated).
///
/// # Safety
/// `L` valid with room for 3 stack slots.
pub(crate) unsafe fn registered_c_function(L: *mut lua_State, name: &str) -> lua_CFunction {
    // SAFETY: forwarded caller contract; raw reads, balanced pops.
    unsafe {
        if lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&CFUNCTIONS_KEY)) != LUA_TTABLE {
            lua_pop(L, 1);
            return None;
        }
        let registry = lua_gettop(L);
        let mut found = None;
        lua_pushnil(L);
        while lua_next(L, registry) != 0 {
            if lua_type(L, -2) == LUA_TSTRING && lua::tostring(L, -2) == Some(name.as_bytes()) {
                found = lua_tocfunction(L, -1);
                lua_pop(L, 2);
                break;
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        found
    }
}

/// The registry name of a C function, if it has one.
///
/// # Safety
/// `L` valid with room for 2 stack slots; the registry must exist.
pub(crate) unsafe fn c_function_name(L: *mut lua_State, f: lua_CFunction) -> Option<String> {
    let f = f?;
    // SAFETY: forwarded caller contract; raw reads do not allocate.
    unsafe {
        if lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&CFUNCTIONS_KEY)) != LUA_TTABLE {
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
        if lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&CFUNCTIONS_KEY)) != LUA_TTABLE {
            lua_pop(L, 1);
            build_registry(L);
            lua_rawgetp(L, LUA_REGISTRYINDEX, lua::registry_key(&CFUNCTIONS_KEY));
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
pub(crate) unsafe fn deserialize_cu_function_ref(
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
