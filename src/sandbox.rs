//! Sandbox mode: the standard library without what reaches outside the state. A script
//! cannot run programs, touch files, read the environment, end the process, load C code or
//! binary chunks, or use the debug library (other than `debug.traceback`). Each removed
//! function is replaced by one that raises "NAME is not available in sandbox mode", so
//! that a script learns why. README, "Running untrusted code", says what stays open.

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::{c_int, CStr};

use crate::ffi::*;
use crate::lua::{self, LuaError};

/// Functions a sandboxed script cannot call, by library (as in `package.loaded`) and name.
pub const REFUSED: &[(&CStr, &CStr)] = &[
    (c"_G", c"dofile"),
    (c"_G", c"loadfile"),
    (c"io", c"open"),
    (c"io", c"lines"),
    (c"io", c"popen"),
    (c"io", c"tmpfile"),
    (c"os", c"execute"),
    (c"os", c"exit"),
    (c"os", c"getenv"),
    (c"os", c"remove"),
    (c"os", c"rename"),
    (c"os", c"tmpname"),
    (c"os", c"setlocale"),
    (c"package", c"loadlib"),
    (c"package", c"searchpath"),
];

/// Functions that open a file when given a file name, and are kept for their other uses
/// (`io.output():write(...)`, `io.input(io.stdin)`).
const REFUSED_WITH_FILE_NAME: &[(&CStr, &CStr)] = &[(c"io", c"input"), (c"io", c"output")];

/// Puts the state's standard libraries (opened before) in sandbox mode. Runs protected.
///
/// # Safety
/// `L` must be a valid state, outside any Lua call.
pub unsafe fn apply(L: *mut lua_State) -> Result<(), LuaError> {
    // SAFETY: forwarded caller contract; the body runs protected.
    unsafe { lua::protected(L, &mut |L| apply_body(L)) }
}

/// # Safety
/// Inside a protected call.
unsafe fn apply_body(L: *mut lua_State) {
    // SAFETY: inside a protected call; the stack is balanced.
    unsafe {
        luaL_checkstack(L, 8, c"sandbox".as_ptr());
        lua_getfield(L, LUA_REGISTRYINDEX, c"_LOADED".as_ptr());
        let loaded = lua_gettop(L);
        for (library, name) in REFUSED {
            replace(L, loaded, library, name, refuse);
        }
        for (library, name) in REFUSED_WITH_FILE_NAME {
            replace(L, loaded, library, name, refuse_file_name);
        }
        replace(L, loaded, c"_G", c"load", load_text_only);
        // require finds only what package.preload has: no Lua or C files.
        if lua_getfield(L, loaded, c"package".as_ptr()) == LUA_TTABLE {
            if lua_getfield(L, -1, c"searchers".as_ptr()) == LUA_TTABLE {
                for index in 2..=4 {
                    lua_pushnil(L);
                    lua_rawseti(L, -2, index);
                }
            }
            lua_pop(L, 1);
            for field in [c"path", c"cpath"] {
                lua::pushstring(L, b"");
                lua_setfield(L, -2, field.as_ptr());
            }
        }
        lua_pop(L, 1);
        // debug: only traceback.
        if lua_getfield(L, loaded, c"debug".as_ptr()) == LUA_TTABLE {
            lua_createtable(L, 0, 1);
            lua_getfield(L, -2, c"traceback".as_ptr());
            lua_setfield(L, -2, c"traceback".as_ptr());
            lua_pushvalue(L, -1);
            lua_setfield(L, loaded, c"debug".as_ptr());
            lua_setglobal(L, c"debug".as_ptr());
        }
        lua_pop(L, 2);
    }
}

/// Replaces `library.name` (in `package.loaded`, and the global of the same name for the
/// base library) with `with`, a C closure of two upvalues: the name, and the original.
///
/// # Safety
/// Inside a protected call, with `package.loaded` at `loaded`.
unsafe fn replace(
    L: *mut lua_State,
    loaded: c_int,
    library: &CStr,
    name: &CStr,
    with: unsafe extern "C-unwind" fn(*mut lua_State) -> c_int,
) {
    // SAFETY: forwarded caller contract; the stack is balanced.
    unsafe {
        if lua_getfield(L, loaded, library.as_ptr()) != LUA_TTABLE {
            lua_pop(L, 1);
            return;
        }
        if library == c"_G" {
            lua_pushstring(L, name.as_ptr());
        } else {
            lua_pushfstring(L, c"%s.%s".as_ptr(), library.as_ptr(), name.as_ptr());
        }
        lua_getfield(L, -2, name.as_ptr());
        lua_pushcclosure(L, Some(with), 2);
        lua_setfield(L, -2, name.as_ptr());
        lua_pop(L, 1);
    }
}

/// Raises "NAME is not available in sandbox mode" (NAME is upvalue 1).
///
/// # Safety
/// A Lua C function whose upvalue 1 is a string.
unsafe fn raise_refused(L: *mut lua_State) -> ! {
    // SAFETY: forwarded caller contract.
    unsafe {
        lua_pushvalue(L, lua_upvalueindex(1));
        lua_pushstring(L, c" is not available in sandbox mode".as_ptr());
        lua_concat(L, 2);
        lua_error(L)
    }
}

unsafe extern "C-unwind" fn refuse(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua as a closure made by `replace`.
    lua::abort_on_panic(|| unsafe { raise_refused(L) })
}

/// `io.input(name)`/`io.output(name)` refused; with a file or nothing, the original's.
unsafe extern "C-unwind" fn refuse_file_name(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua as a closure made by `replace`.
    lua::abort_on_panic(|| unsafe {
        if lua_type(L, 1) == LUA_TSTRING {
            raise_refused(L);
        }
        call_original(L)
    })
}

/// `load` reads text only: a binary chunk (which Lua does not verify, so that a crafted one
/// can corrupt memory) is refused with Lua's own message, "attempt to load a binary chunk
/// (mode is 't')".
unsafe extern "C-unwind" fn load_text_only(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua as a closure made by `replace`; load's mode is argument 3.
    lua::abort_on_panic(|| unsafe {
        if lua_gettop(L) < 3 {
            lua_settop(L, 3);
        }
        lua_pushstring(L, c"t".as_ptr());
        lua_replace(L, 3);
        call_original(L)
    })
}

/// Calls upvalue 2 (the original function) with all the arguments; returns its results.
///
/// # Safety
/// A Lua C function made by `replace`.
unsafe fn call_original(L: *mut lua_State) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        let nargs = lua_gettop(L);
        luaL_checkstack(L, 1, core::ptr::null());
        lua_pushvalue(L, lua_upvalueindex(2));
        lua_insert(L, 1);
        lua_call(L, nargs, LUA_MULTRET);
        lua_gettop(L)
    }
}
