//! Sandbox mode: the standard library without what reaches outside the state. A script
//! cannot run programs, touch files, read the environment, end the process, load C code or
//! binary chunks, or use the debug library (other than `debug.traceback`). Each removed
//! function is replaced by one that raises "NAME is not available in sandbox mode", so
//! that a script learns why. `persist.deserialize` makes no functions from a script's bytes
//! under the policy "trust". The host may let scripts read the files of some directories
//! ([`SandboxOptions::readable_dirs`]). README, "Running untrusted code", says what stays
//! open.

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::{c_int, CStr};
use std::path::{Path, PathBuf};

use crate::ffi::*;
use crate::lua::{self, LuaError};
use crate::trust::{bytecode_policy, set_bytecode_policy, BytecodePolicy};

/// What a sandboxed script may still reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SandboxOptions {
    /// Directories whose files scripts may read, with `io.open(name)` (modes `r` and `rb`),
    /// `io.lines(name)` and `loadfile(name)` (text only): a file is inside one when its path,
    /// symbolic links resolved, is. Nothing else of the file system opens.
    pub readable_dirs: Vec<PathBuf>,
}

/// Why sandbox mode could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("{0}")]
    Lua(#[from] LuaError),
    #[error("the readable directory {}: {reason}", dir.to_string_lossy())]
    ReadableDir { dir: PathBuf, reason: String },
}

/// The functions that [`SandboxOptions::readable_dirs`] opens again, for files inside.
const READABLE_WITHIN: &[(&CStr, &CStr)] =
    &[(c"io", c"open"), (c"io", c"lines"), (c"_G", c"loadfile")];

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

/// Puts the state's standard libraries (opened before) in sandbox mode, with no file
/// readable. Runs protected.
///
/// # Safety
/// `L` must be a valid state, outside any Lua call.
pub unsafe fn apply(L: *mut lua_State) -> Result<(), SandboxError> {
    // SAFETY: forwarded caller contract.
    unsafe { apply_with(L, &SandboxOptions::default()) }
}

/// [`apply`], with what `options` lets scripts reach.
///
/// # Safety
/// `L` must be a valid state, outside any Lua call.
pub unsafe fn apply_with(L: *mut lua_State, options: &SandboxOptions) -> Result<(), SandboxError> {
    let mut dirs = Vec::new();
    for dir in &options.readable_dirs {
        let resolved = resolve_dir(dir)?;
        let text = resolved.to_str().ok_or_else(|| SandboxError::ReadableDir {
            dir: dir.clone(),
            reason: "not UTF-8".into(),
        })?;
        dirs.push(text.as_bytes().to_vec());
    }
    // SAFETY: forwarded caller contract; the body runs protected, and `dirs` outlives it.
    unsafe { lua::protected(L, &mut |L| apply_body(L, &dirs)) }?;
    Ok(())
}

/// A readable directory, its symbolic links resolved.
#[cfg(not(target_arch = "wasm32"))]
fn resolve_dir(dir: &Path) -> Result<PathBuf, SandboxError> {
    std::fs::canonicalize(dir).map_err(|e| SandboxError::ReadableDir {
        dir: dir.to_path_buf(),
        reason: e.to_string(),
    })
}

/// The wasm module has no file system: its files are what the host put (`lp_file_put`).
#[cfg(target_arch = "wasm32")]
fn resolve_dir(dir: &Path) -> Result<PathBuf, SandboxError> {
    Err(SandboxError::ReadableDir {
        dir: dir.to_path_buf(),
        reason: "there is no file system in wasm32".into(),
    })
}

/// # Safety
/// Inside a protected call.
unsafe fn apply_body(L: *mut lua_State, readable_dirs: &[Vec<u8>]) {
    // SAFETY: inside a protected call; the stack is balanced.
    unsafe {
        luaL_checkstack(L, 8, c"sandbox".as_ptr());
        lua_getfield(L, LUA_REGISTRYINDEX, c"_LOADED".as_ptr());
        let loaded = lua_gettop(L);
        for (library, name) in REFUSED {
            let readable =
                !readable_dirs.is_empty() && READABLE_WITHIN.contains(&(*library, *name));
            // (wasm32: no readable directories, see resolve_dir)
            #[cfg(not(target_arch = "wasm32"))]
            if readable {
                lua_createtable(L, readable_dirs.len() as c_int, 0);
                for (i, dir) in readable_dirs.iter().enumerate() {
                    lua::pushstring(L, dir);
                    lua_rawseti(L, -2, i as i64 + 1);
                }
                replace_with(L, loaded, library, name, read_within, 1);
                continue;
            }
            let _ = readable;
            replace(L, loaded, library, name, refuse);
        }
        for (library, name) in REFUSED_WITH_FILE_NAME {
            replace(L, loaded, library, name, refuse_file_name);
        }
        replace(L, loaded, c"_G", c"load", load_text_only);
        replace(
            L,
            loaded,
            c"persist",
            c"deserialize",
            deserialize_in_sandbox,
        );
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
    // SAFETY: forwarded caller contract.
    unsafe { replace_with(L, loaded, library, name, with, 0) }
}

#[cfg_attr(target_arch = "wasm32", allow(dead_code))] // natively: readable directories
/// [`replace`], with `extra` more upvalues: the values on top of the stack (popped).
///
/// # Safety
/// As [`replace`], with `extra` values on top.
unsafe fn replace_with(
    L: *mut lua_State,
    loaded: c_int,
    library: &CStr,
    name: &CStr,
    with: unsafe extern "C-unwind" fn(*mut lua_State) -> c_int,
    extra: c_int,
) {
    // SAFETY: forwarded caller contract; the stack is balanced.
    unsafe {
        if lua_getfield(L, loaded, library.as_ptr()) != LUA_TTABLE {
            lua_pop(L, 1 + extra);
            return;
        }
        let table = lua_gettop(L);
        if library == c"_G" {
            lua_pushstring(L, name.as_ptr());
        } else {
            lua_pushfstring(L, c"%s.%s".as_ptr(), library.as_ptr(), name.as_ptr());
        }
        lua_getfield(L, table, name.as_ptr());
        for _ in 0..extra {
            lua_rotate(L, table - extra, -1); // the extra values after name and original
        }
        lua_pushcclosure(L, Some(with), 2 + extra);
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

#[cfg(not(target_arch = "wasm32"))]
/// `io.open`, `io.lines` and `loadfile` for files inside the readable directories
/// (upvalue 3, a list of resolved paths): `io.open` only to read, `loadfile` text only.
unsafe extern "C-unwind" fn read_within(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua as a closure made by `replace_with`; the Rust values below are
    // dropped before anything that may raise.
    lua::abort_on_panic(|| unsafe {
        let name = lua::tostring(L, lua_upvalueindex(1)).unwrap_or_default();
        if lua_type(L, 1) == LUA_TSTRING {
            let within = {
                let file = lua::tostring(L, 1).unwrap_or_default();
                let mut dirs = Vec::new();
                let mut i = 1;
                while lua_rawgeti(L, lua_upvalueindex(3), i) == LUA_TSTRING {
                    dirs.push(lua::tostring(L, -1).unwrap_or_default());
                    lua_pop(L, 1); // the list (an upvalue) keeps the string
                    i += 1;
                }
                lua_pop(L, 1);
                path_within(file, &dirs)
            };
            if !within {
                lua_pushvalue(L, lua_upvalueindex(1));
                lua_pushstring(L, c": '".as_ptr());
                lua_pushvalue(L, 1);
                lua_pushstring(
                    L,
                    c"' is not in a readable directory (sandbox mode)".as_ptr(),
                );
                lua_concat(L, 4);
                lua_error(L);
            }
        }
        if name == b"io.open" {
            let mode = lua::tostring(L, 2).unwrap_or(b"r");
            if lua_type(L, 2) > LUA_TNIL && mode != b"r" && mode != b"rb" {
                lua_pushstring(
                    L,
                    c"io.open: files open only to read in sandbox mode".as_ptr(),
                );
                lua_error(L);
            }
        } else if name == b"loadfile" {
            if lua_gettop(L) < 2 {
                lua_settop(L, 2);
            }
            lua_pushstring(L, c"t".as_ptr());
            lua_replace(L, 2);
        }
        call_original(L)
    })
}

#[cfg(not(target_arch = "wasm32"))]
/// Whether the file `name` (a path, maybe relative or missing) is inside one of `dirs`
/// (resolved paths), once its symbolic links are resolved; a missing file is where its
/// directory is.
fn path_within(name: &[u8], dirs: &[&[u8]]) -> bool {
    let Ok(name) = std::str::from_utf8(name) else {
        return false;
    };
    let path = Path::new(name);
    let resolved = std::fs::canonicalize(path).or_else(|_| {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let file = path.file_name().ok_or(std::io::ErrorKind::NotFound)?;
        std::fs::canonicalize(parent).map(|p| p.join(file))
    });
    let Ok(resolved) = resolved else {
        return false;
    };
    dirs.iter()
        .any(|dir| std::str::from_utf8(dir).is_ok_and(|dir| resolved.starts_with(Path::new(dir))))
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

/// `persist.deserialize` of bytes a script holds: under the policy "trust" (which loads any
/// bytecode given, for stores the host trusts), the bytes make values only, no functions:
/// crafted bytecode could corrupt memory as a binary chunk through `load` could. Under
/// "authenticate" only functions this key signed load, and under "refuse" none: as given.
unsafe extern "C-unwind" fn deserialize_in_sandbox(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua as a closure made by `replace`; the policy (a Rust value) is
    // dropped before any call that may raise.
    lua::abort_on_panic(|| unsafe {
        let trusting = matches!(bytecode_policy(L), BytecodePolicy::Trust);
        if !trusting {
            return call_original(L);
        }
        let nargs = lua_gettop(L);
        luaL_checkstack(L, 1, core::ptr::null());
        if set_bytecode_policy(L, &BytecodePolicy::Refuse).is_err() {
            lua_pushstring(L, c"not enough memory".as_ptr());
            lua_error(L);
        }
        lua_pushvalue(L, lua_upvalueindex(2));
        lua_insert(L, 1);
        let status = lua_pcall(L, nargs, LUA_MULTRET, 0);
        // Back to "trust" for the store's own values; if even that fails the state stays
        // at "refuse", which loads less, never more.
        let _ = set_bytecode_policy(L, &BytecodePolicy::Trust);
        if status != LUA_OK {
            // The policy "refuse" is this wrapper's, not the state's: say so.
            let refused =
                lua::tostring(L, -1).is_some_and(|m| m.starts_with(b"function payload refused"));
            if refused {
                lua_pushstring(
                    L,
                    c"persist.deserialize: functions are not made from a script's bytes in sandbox mode (the state's bytecode policy is \"trust\")".as_ptr(),
                );
            }
            lua_error(L);
        }
        lua_gettop(L)
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
