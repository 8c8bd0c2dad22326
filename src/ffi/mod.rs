//! Raw FFI to the vendored Lua 5.4 (`lua-src/`): the bindgen output for `lua.h`,
//! `lauxlib.h` and `lualib.h` (checked in as `bindings.rs`, the same text for every target),
//! plus what bindgen cannot express: Lua's function-like macros as `#[inline] unsafe fn`
//! with the C names, the two functions that never return, and the target-dependent
//! `luaL_Buffer`.
//!
//! Every function here may raise a Lua error (a `longjmp`, on wasm a wasm exception) unless
//! the Lua manual says otherwise. Such an error jumps over every Rust frame up to the nearest
//! protected call without running destructors: call these only from frames that own nothing
//! with a destructor, or inside `lua_pcall`/`lua_cpcall`-style protection.

#![allow(
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    clippy::all
)]

use core::ffi::{c_char, c_int, c_void};
use core::ptr;

include!("bindings.rs");

/// C's `FILE` (used by [`luaL_Stream`]): the C library's own natively, so a host extending
/// the io library can use `libc`'s stdio on it.
#[cfg(not(target_arch = "wasm32"))]
pub use libc::FILE;

/// C's `FILE` of the wasm libc (`wasm/libc/stdio.c`), opaque to Rust.
#[cfg(target_arch = "wasm32")]
#[repr(C)]
pub struct FILE {
    _opaque: [u8; 0],
}

/// `LUA_EXTRASPACE`: the raw memory in front of each thread that is the user's
/// (`lua_getextraspace`): one pointer, as in Lua's default. (Our build's extra space has two
/// ints more, between that and the thread: the limits' fuel, `src/lua_user/lua_user.h`.)
pub const LUA_EXTRASPACE: usize = core::mem::size_of::<*mut c_void>();

/// The bytes of the extra space that are the limits' fuel.
const LIMITS_FUEL_SPACE: usize = 2 * core::mem::size_of::<c_int>();
/// `LUAL_NUMSIZES`: what `luaL_checkversion` checks.
pub const LUAL_NUMSIZES: usize =
    core::mem::size_of::<lua_Integer>() * 16 + core::mem::size_of::<lua_Number>();
/// `LUAL_BUFFERSIZE`, which depends on the pointer width.
pub const LUAL_BUFFERSIZE: usize =
    16 * core::mem::size_of::<*mut c_void>() * core::mem::size_of::<lua_Number>();

/// `luaL_Buffer` (lauxlib.h). Its inline storage is `LUAL_BUFFERSIZE` bytes, so its size
/// differs between 32- and 64-bit targets; that is why it is not in `bindings.rs`.
#[repr(C)]
pub struct luaL_Buffer {
    pub b: *mut c_char,
    pub size: usize,
    pub n: usize,
    pub L: *mut lua_State,
    pub init: luaL_Buffer_init,
}

/// The inline storage of a [`luaL_Buffer`], aligned as lauxlib's `LUAI_MAXALIGN` union.
#[repr(C)]
pub union luaL_Buffer_init {
    pub n: lua_Number,
    pub u: f64,
    pub s: *mut c_void,
    pub i: lua_Integer,
    pub l: core::ffi::c_long,
    pub b: [c_char; LUAL_BUFFERSIZE],
}

extern "C-unwind" {
    /// Raises the value on top of the stack as an error. Never returns. (Linked to a void
    /// wrapper in `src/ffi/noreturn.c`, so the declaration matches on wasm32 too.)
    #[link_name = "lp_lua_error"]
    pub fn lua_error(L: *mut lua_State) -> !;
    /// Raises a formatted error message (`lua_pushfstring` formats) with the position
    /// (`luaL_where(L, 1)`). Never returns. (A void wrapper, as `lua_error`.)
    #[link_name = "lp_luaL_error"]
    pub fn luaL_error(L: *mut lua_State, fmt: *const c_char, ...) -> !;
}

// ----------------------------------------------------------------- lua.h macros

/// `lua_upvalueindex(i)`: the pseudo-index of the i-th upvalue of the running C function.
#[inline]
pub const fn lua_upvalueindex(i: c_int) -> c_int {
    LUA_REGISTRYINDEX - i
}

/// `lua_call(L, n, r)`.
///
/// # Safety
/// `L` must be a valid state with the function and `nargs` arguments on the stack.
/// Errors propagate (longjmp) to the enclosing protected call.
#[inline]
pub unsafe fn lua_call(L: *mut lua_State, nargs: c_int, nresults: c_int) {
    // SAFETY: forwarded caller contract.
    unsafe { lua_callk(L, nargs, nresults, 0, None) }
}

/// `lua_pcall(L, n, r, f)`.
///
/// # Safety
/// `L` must be a valid state with the function and `nargs` arguments on the stack;
/// `msgh` is 0 or a valid stack index of a message handler.
#[inline]
pub unsafe fn lua_pcall(L: *mut lua_State, nargs: c_int, nresults: c_int, msgh: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { lua_pcallk(L, nargs, nresults, msgh, 0, None) }
}

/// `lua_yield(L, n)`.
///
/// # Safety
/// Must be called as the return expression of a C function running in a coroutine.
#[inline]
pub unsafe fn lua_yield(L: *mut lua_State, nresults: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { lua_yieldk(L, nresults, 0, None) }
}

/// `lua_getextraspace(L)`: the `LUA_EXTRASPACE` bytes just before the state.
///
/// # Safety
/// `L` must be a valid state.
#[inline]
pub unsafe fn lua_getextraspace(L: *mut lua_State) -> *mut c_void {
    // SAFETY: lua_State is allocated after its extra space: the user's part, then the fuel.
    unsafe { (L as *mut u8).sub(LUA_EXTRASPACE + LIMITS_FUEL_SPACE) as *mut c_void }
}

/// `lua_tonumber(L, i)`.
///
/// # Safety
/// `L` must be a valid state and `idx` an acceptable index.
#[inline]
pub unsafe fn lua_tonumber(L: *mut lua_State, idx: c_int) -> lua_Number {
    // SAFETY: forwarded caller contract.
    unsafe { lua_tonumberx(L, idx, ptr::null_mut()) }
}

/// `lua_tointeger(L, i)`.
///
/// # Safety
/// `L` must be a valid state and `idx` an acceptable index.
#[inline]
pub unsafe fn lua_tointeger(L: *mut lua_State, idx: c_int) -> lua_Integer {
    // SAFETY: forwarded caller contract.
    unsafe { lua_tointegerx(L, idx, ptr::null_mut()) }
}

/// `lua_pop(L, n)`.
///
/// # Safety
/// `L` must be a valid state with at least `n` values on the stack.
#[inline]
pub unsafe fn lua_pop(L: *mut lua_State, n: c_int) {
    // SAFETY: forwarded caller contract.
    unsafe { lua_settop(L, -n - 1) }
}

/// `lua_newtable(L)`.
///
/// # Safety
/// `L` must be a valid state with stack room for one value. Raises on out of memory.
#[inline]
pub unsafe fn lua_newtable(L: *mut lua_State) {
    // SAFETY: forwarded caller contract.
    unsafe { lua_createtable(L, 0, 0) }
}

/// `lua_register(L, name, f)`: sets global `name` to the C function `f`.
///
/// # Safety
/// `L` must be a valid state; `name` a NUL-terminated string.
#[inline]
pub unsafe fn lua_register(L: *mut lua_State, name: *const c_char, f: lua_CFunction) {
    // SAFETY: forwarded caller contract.
    unsafe {
        lua_pushcfunction(L, f);
        lua_setglobal(L, name);
    }
}

/// `lua_pushcfunction(L, f)`.
///
/// # Safety
/// `L` must be a valid state with stack room for one value.
#[inline]
pub unsafe fn lua_pushcfunction(L: *mut lua_State, f: lua_CFunction) {
    // SAFETY: forwarded caller contract.
    unsafe { lua_pushcclosure(L, f, 0) }
}

macro_rules! type_predicates {
    ($($(#[$doc:meta])* $name:ident => $test:expr;)*) => {$(
        $(#[$doc])*
        ///
        /// # Safety
        /// `L` must be a valid state and `idx` an acceptable index.
        #[inline]
        pub unsafe fn $name(L: *mut lua_State, idx: c_int) -> c_int {
            let test: fn(c_int) -> bool = $test;
            // SAFETY: forwarded caller contract.
            test(unsafe { lua_type(L, idx) }) as c_int
        }
    )*};
}

type_predicates! {
    /// `lua_isfunction(L, n)`.
    lua_isfunction => |t| t == LUA_TFUNCTION;
    /// `lua_istable(L, n)`.
    lua_istable => |t| t == LUA_TTABLE;
    /// `lua_islightuserdata(L, n)`.
    lua_islightuserdata => |t| t == LUA_TLIGHTUSERDATA;
    /// `lua_isnil(L, n)`.
    lua_isnil => |t| t == LUA_TNIL;
    /// `lua_isboolean(L, n)`.
    lua_isboolean => |t| t == LUA_TBOOLEAN;
    /// `lua_isthread(L, n)`.
    lua_isthread => |t| t == LUA_TTHREAD;
    /// `lua_isnone(L, n)`.
    lua_isnone => |t| t == LUA_TNONE;
    /// `lua_isnoneornil(L, n)`.
    lua_isnoneornil => |t| t <= 0;
}

/// `lua_pushliteral(L, s)`: in Rust, any byte string.
///
/// # Safety
/// `L` must be a valid state with stack room for one value.
#[inline]
pub unsafe fn lua_pushliteral(L: *mut lua_State, s: &[u8]) -> *const c_char {
    // SAFETY: the pointer and length describe `s`.
    unsafe { lua_pushlstring(L, s.as_ptr() as *const c_char, s.len()) }
}

/// `lua_pushglobaltable(L)`.
///
/// # Safety
/// `L` must be a valid state with stack room for one value.
#[inline]
pub unsafe fn lua_pushglobaltable(L: *mut lua_State) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS as lua_Integer) }
}

/// `lua_tostring(L, i)`.
///
/// # Safety
/// `L` must be a valid state and `idx` an acceptable index. Converts numbers in place;
/// raises on out of memory.
#[inline]
pub unsafe fn lua_tostring(L: *mut lua_State, idx: c_int) -> *const c_char {
    // SAFETY: forwarded caller contract.
    unsafe { lua_tolstring(L, idx, ptr::null_mut()) }
}

/// `lua_insert(L, idx)`: moves the top value into `idx`, shifting up.
///
/// # Safety
/// `L` must be a valid state and `idx` a valid, non-pseudo index.
#[inline]
pub unsafe fn lua_insert(L: *mut lua_State, idx: c_int) {
    // SAFETY: forwarded caller contract.
    unsafe { lua_rotate(L, idx, 1) }
}

/// `lua_remove(L, idx)`.
///
/// # Safety
/// `L` must be a valid state and `idx` a valid, non-pseudo index.
#[inline]
pub unsafe fn lua_remove(L: *mut lua_State, idx: c_int) {
    // SAFETY: forwarded caller contract.
    unsafe {
        lua_rotate(L, idx, -1);
        lua_pop(L, 1);
    }
}

/// `lua_replace(L, idx)`: pops the top value into `idx`.
///
/// # Safety
/// `L` must be a valid state with a value on top; `idx` a valid index.
#[inline]
pub unsafe fn lua_replace(L: *mut lua_State, idx: c_int) {
    // SAFETY: forwarded caller contract.
    unsafe {
        lua_copy(L, -1, idx);
        lua_pop(L, 1);
    }
}

/// `lua_newuserdata(L, s)`: a full userdata with one user value.
///
/// # Safety
/// `L` must be a valid state with stack room for one value. Raises on out of memory.
#[inline]
pub unsafe fn lua_newuserdata(L: *mut lua_State, size: usize) -> *mut c_void {
    // SAFETY: forwarded caller contract.
    unsafe { lua_newuserdatauv(L, size, 1) }
}

/// `lua_getuservalue(L, idx)`.
///
/// # Safety
/// `L` must be a valid state and `idx` an acceptable index.
#[inline]
pub unsafe fn lua_getuservalue(L: *mut lua_State, idx: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { lua_getiuservalue(L, idx, 1) }
}

/// `lua_setuservalue(L, idx)`.
///
/// # Safety
/// `L` must be a valid state with a value on top; `idx` a full userdata.
#[inline]
pub unsafe fn lua_setuservalue(L: *mut lua_State, idx: c_int) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { lua_setiuservalue(L, idx, 1) }
}

// ------------------------------------------------------------- lauxlib.h macros

/// `luaL_checkversion(L)`.
///
/// # Safety
/// `L` must be a valid state. Raises when the core and this library disagree.
#[inline]
pub unsafe fn luaL_checkversion(L: *mut lua_State) {
    // SAFETY: forwarded caller contract.
    unsafe { luaL_checkversion_(L, LUA_VERSION_NUM as lua_Number, LUAL_NUMSIZES) }
}

/// `luaL_loadfile(L, f)`.
///
/// # Safety
/// `L` must be a valid state; `filename` NULL (stdin) or a NUL-terminated path.
#[inline]
pub unsafe fn luaL_loadfile(L: *mut lua_State, filename: *const c_char) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { luaL_loadfilex(L, filename, ptr::null()) }
}

/// `luaL_newlibtable(L, l)`: a table sized for the registration array `l`.
///
/// # Safety
/// `L` must be a valid state with stack room for one value.
#[inline]
pub unsafe fn luaL_newlibtable(L: *mut lua_State, l: &[luaL_Reg]) {
    let entries = l.iter().take_while(|r| !r.name.is_null()).count();
    // SAFETY: forwarded caller contract.
    unsafe { lua_createtable(L, 0, entries as c_int) }
}

/// `luaL_newlib(L, l)`: a new table with the functions of `l` (terminated by a NULL name).
///
/// # Safety
/// `L` must be a valid state; `l` must end with an entry whose name is NULL.
#[inline]
pub unsafe fn luaL_newlib(L: *mut lua_State, l: &[luaL_Reg]) {
    // SAFETY: forwarded caller contract.
    unsafe {
        luaL_checkversion(L);
        luaL_newlibtable(L, l);
        luaL_setfuncs(L, l.as_ptr(), 0);
    }
}

/// `luaL_argcheck(L, cond, arg, extramsg)`.
///
/// # Safety
/// Must run inside a C function called by Lua; raises when `cond` is false.
#[inline]
pub unsafe fn luaL_argcheck(L: *mut lua_State, cond: bool, arg: c_int, extramsg: *const c_char) {
    if !cond {
        // SAFETY: forwarded caller contract.
        unsafe { luaL_argerror(L, arg, extramsg) };
    }
}

/// `luaL_argexpected(L, cond, arg, tname)`.
///
/// # Safety
/// Must run inside a C function called by Lua; raises when `cond` is false.
#[inline]
pub unsafe fn luaL_argexpected(L: *mut lua_State, cond: bool, arg: c_int, tname: *const c_char) {
    if !cond {
        // SAFETY: forwarded caller contract.
        unsafe { luaL_typeerror(L, arg, tname) };
    }
}

/// `luaL_checkstring(L, n)`.
///
/// # Safety
/// Must run inside a C function called by Lua; raises when argument `arg` is not a string.
#[inline]
pub unsafe fn luaL_checkstring(L: *mut lua_State, arg: c_int) -> *const c_char {
    // SAFETY: forwarded caller contract.
    unsafe { luaL_checklstring(L, arg, ptr::null_mut()) }
}

/// `luaL_optstring(L, n, d)`.
///
/// # Safety
/// Must run inside a C function called by Lua.
#[inline]
pub unsafe fn luaL_optstring(L: *mut lua_State, arg: c_int, d: *const c_char) -> *const c_char {
    // SAFETY: forwarded caller contract.
    unsafe { luaL_optlstring(L, arg, d, ptr::null_mut()) }
}

/// `luaL_typename(L, i)`.
///
/// # Safety
/// `L` must be a valid state and `idx` an acceptable index.
#[inline]
pub unsafe fn luaL_typename(L: *mut lua_State, idx: c_int) -> *const c_char {
    // SAFETY: forwarded caller contract.
    unsafe { lua_typename(L, lua_type(L, idx)) }
}

/// `luaL_dofile(L, fn)`: loads and runs a file; non-zero on error (message on the stack).
///
/// # Safety
/// `L` must be a valid state; `filename` NULL or a NUL-terminated path.
#[inline]
pub unsafe fn luaL_dofile(L: *mut lua_State, filename: *const c_char) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        let status = luaL_loadfile(L, filename);
        if status != LUA_OK {
            return status;
        }
        lua_pcall(L, 0, LUA_MULTRET, 0)
    }
}

/// `luaL_dostring(L, s)`: loads and runs a string; non-zero on error (message on the stack).
///
/// # Safety
/// `L` must be a valid state; `s` a NUL-terminated string.
#[inline]
pub unsafe fn luaL_dostring(L: *mut lua_State, s: *const c_char) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe {
        let status = luaL_loadstring(L, s);
        if status != LUA_OK {
            return status;
        }
        lua_pcall(L, 0, LUA_MULTRET, 0)
    }
}

/// `luaL_getmetatable(L, n)`: pushes the registry's metatable `tname`.
///
/// # Safety
/// `L` must be a valid state; `tname` a NUL-terminated string.
#[inline]
pub unsafe fn luaL_getmetatable(L: *mut lua_State, tname: *const c_char) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { lua_getfield(L, LUA_REGISTRYINDEX, tname) }
}

/// `luaL_loadbuffer(L, s, sz, n)`: mode "bt", like the C macro.
///
/// # Safety
/// `L` must be a valid state; `buff` points at `sz` bytes; `name` NUL-terminated.
#[inline]
pub unsafe fn luaL_loadbuffer(
    L: *mut lua_State,
    buff: *const c_char,
    sz: usize,
    name: *const c_char,
) -> c_int {
    // SAFETY: forwarded caller contract.
    unsafe { luaL_loadbufferx(L, buff, sz, name, ptr::null()) }
}

/// `luaL_pushfail(L)`.
///
/// # Safety
/// `L` must be a valid state with stack room for one value.
#[inline]
pub unsafe fn luaL_pushfail(L: *mut lua_State) {
    // SAFETY: forwarded caller contract.
    unsafe { lua_pushnil(L) }
}

/// `luaL_addchar(B, c)`.
///
/// # Safety
/// `B` must be an initialized buffer whose state's stack is as the buffer left it.
#[inline]
pub unsafe fn luaL_addchar(B: *mut luaL_Buffer, c: c_char) {
    // SAFETY: forwarded caller contract; prepbuffsize guarantees one free byte.
    unsafe {
        if (*B).n >= (*B).size {
            luaL_prepbuffsize(B, 1);
        }
        *(*B).b.add((*B).n) = c;
        (*B).n += 1;
    }
}

/// `luaL_addsize(B, s)`.
///
/// # Safety
/// `s` bytes must have been written into space obtained from `luaL_prepbuffsize`.
#[inline]
pub unsafe fn luaL_addsize(B: *mut luaL_Buffer, s: usize) {
    // SAFETY: forwarded caller contract.
    unsafe { (*B).n += s }
}

/// `luaL_buffsub(B, s)`.
///
/// # Safety
/// The buffer must hold at least `s` bytes.
#[inline]
pub unsafe fn luaL_buffsub(B: *mut luaL_Buffer, s: usize) {
    // SAFETY: forwarded caller contract.
    unsafe { (*B).n -= s }
}

/// `luaL_buffaddr(B)`.
///
/// # Safety
/// `B` must be an initialized buffer.
#[inline]
pub unsafe fn luaL_buffaddr(B: *mut luaL_Buffer) -> *mut c_char {
    // SAFETY: forwarded caller contract.
    unsafe { (*B).b }
}

/// `luaL_bufflen(B)`.
///
/// # Safety
/// `B` must be an initialized buffer.
#[inline]
pub unsafe fn luaL_bufflen(B: *mut luaL_Buffer) -> usize {
    // SAFETY: forwarded caller contract.
    unsafe { (*B).n }
}

/// `luaL_prepbuffer(B)`.
///
/// # Safety
/// As `luaL_prepbuffsize`.
#[inline]
pub unsafe fn luaL_prepbuffer(B: *mut luaL_Buffer) -> *mut c_char {
    // SAFETY: forwarded caller contract.
    unsafe { luaL_prepbuffsize(B, LUAL_BUFFERSIZE) }
}

// ------------------------------------------------ the C library beside Lua

/// C's stdio, which Lua prints through (`print`, `io.write`). On wasm32 these are the
/// wasm libc's own definitions in `wasm/libc/stdio.c`.
mod c_stdio {
    use super::FILE;
    use core::ffi::{c_int, c_void};
    extern "C" {
        #[cfg_attr(target_os = "macos", link_name = "__stdoutp")]
        pub static stdout: *mut FILE;
        #[cfg_attr(target_os = "macos", link_name = "__stderrp")]
        pub static stderr: *mut FILE;
        pub fn fopen(path: *const core::ffi::c_char, mode: *const core::ffi::c_char) -> *mut FILE;
        pub fn fread(ptr: *mut c_void, size: usize, n: usize, f: *mut FILE) -> usize;
        pub fn fclose(f: *mut FILE) -> c_int;
        pub fn fwrite(ptr: *const c_void, size: usize, n: usize, f: *mut FILE) -> usize;
        pub fn fflush(f: *mut FILE) -> c_int;
    }
}

/// Writes bytes to C's `stdout`, in order with Lua's own output.
pub fn c_stdout_write(bytes: &[u8]) {
    // SAFETY: stdout is the C library's open stream; the slice is valid for its length.
    unsafe {
        c_stdio::fwrite(
            bytes.as_ptr() as *const c_void,
            1,
            bytes.len(),
            c_stdio::stdout,
        )
    };
}

/// Writes bytes to C's `stderr`.
pub fn c_stderr_write(bytes: &[u8]) {
    // SAFETY: stderr is the C library's open stream; the slice is valid for its length.
    unsafe {
        c_stdio::fwrite(
            bytes.as_ptr() as *const c_void,
            1,
            bytes.len(),
            c_stdio::stderr,
        )
    };
}

/// Reads a whole file through C's stdio (on wasm32, the files the host provided).
pub fn c_read_file(path: &core::ffi::CStr) -> Option<Vec<u8>> {
    // SAFETY: path and mode are NUL-terminated; the file is closed on every path.
    unsafe {
        let f = c_stdio::fopen(path.as_ptr(), c"rb".as_ptr());
        if f.is_null() {
            return None;
        }
        let mut data = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = c_stdio::fread(chunk.as_mut_ptr() as *mut c_void, 1, chunk.len(), f);
            data.extend_from_slice(&chunk[..n]);
            if n < chunk.len() {
                break;
            }
        }
        c_stdio::fclose(f);
        Some(data)
    }
}

/// Flushes C's `stdout` (before the process exits without running C's atexit handlers).
pub fn c_stdout_flush() {
    // SAFETY: stdout is the C library's open stream.
    unsafe { c_stdio::fflush(c_stdio::stdout) };
}

/// The C half of the wasm libc (`wasm/libc/*.c`), as the module's exports use it.
#[cfg(target_arch = "wasm32")]
pub mod wasm_libc {
    use core::ffi::{c_char, c_int, c_void};
    extern "C" {
        /// Runs `body(ud)`; returns 0 when it returns, or 1 when it called C's `exit`, with
        /// the status in `*status`. Whatever `body` was doing is abandoned (exit.c).
        pub fn __lp_catch_exit(
            body: unsafe extern "C" fn(*mut c_void),
            ud: *mut c_void,
            status: *mut c_int,
        ) -> c_int;
        /// The captured output of stream 1 (stdout) or 2 (stderr) (stdio.c).
        pub fn __lp_output_data(stream: c_int, len: *mut usize) -> *const u8;
        /// Empties a captured output stream and frees its memory (stdio.c).
        pub fn __lp_output_clear(stream: c_int);
        /// Makes bytes readable as a file; the name "-" is stdin. 0, or -1 without memory.
        pub fn __lp_file_put(
            name: *const c_char,
            name_len: usize,
            data: *const u8,
            len: usize,
        ) -> c_int;
    }
}

/// The host's external-table store, as cu's module imports it (module `env`). Only cu's own
/// three are imported, so a host written for cu links; deleting and listing keys travel
/// through them by the protocol of docs/cu-interface.md ("The store protocol"),
/// implemented in `src/wasm/host_store.rs`. Each is called through a
/// wrapper in `wasm/libc/imports.S` that turns an exception the host throws into the
/// import's failure result (set: 1; get and size: -2), so it never unwinds through Lua.
#[cfg(all(target_arch = "wasm32", feature = "wasm-module"))]
pub mod host_imports {
    extern "C" {
        #[link_name = "lp_host_ext_table_set"]
        pub fn js_ext_table_set(
            id: u32,
            key: *const u8,
            key_len: usize,
            value: *const u8,
            value_len: usize,
        ) -> i32;
        #[link_name = "lp_host_ext_table_get"]
        pub fn js_ext_table_get(
            id: u32,
            key: *const u8,
            key_len: usize,
            out: *mut u8,
            max_len: usize,
        ) -> i32;
        #[link_name = "lp_host_ext_table_size"]
        pub fn js_ext_table_size(id: u32) -> i32;
        /// cu's `env.js_time_now`: the host's clock, milliseconds since the epoch (0 when
        /// the host throws; wrapper in `wasm/libc/imports.S`).
        pub fn lp_host_time_now() -> f64;
    }
}

/// The C side of the limits (`src/lua_user/checkpoints.c`).
pub mod limits_glue {
    use super::lua_State;
    extern "C" {
        /// The fuel `L` has used since it was last charged.
        pub fn lp_limits_pending(L: *mut lua_State) -> i64;
        /// Removes the limits' hook from `L` (a main thread) and makes its next tick a
        /// checkpoint.
        pub fn lp_limits_rearm(L: *mut lua_State);
    }
}

/// Runs the body of a function that C calls (a C function, the allocator, a writer, a
/// checkpoint): a Rust panic there aborts the process instead of unwinding into C's frames.
/// Lua errors (`lua_error`, a longjmp) pass through unchanged.
#[inline]
pub fn abort_on_panic<R>(body: impl FnOnce() -> R) -> R {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(_) => std::process::abort(),
    }
}

/// The frames of a suspended coroutine (`src/lua_user/coroutine_frames.c`, which documents
/// each function; the Rust half is `src/suspended_coroutines.rs`, which names the codes).
pub mod coroutine_frames {
    use super::{lua_CFunction, lua_State};
    use core::ffi::{c_int, c_long, c_void};

    extern "C" {
        pub fn lp_co_slots(co: *mut lua_State) -> c_int;
        pub fn lp_co_next_open_upvalue(
            co: *mut lua_State,
            prev: *mut c_void,
            slot: *mut c_int,
        ) -> *mut c_void;
        pub fn lp_co_push_slot(L: *mut lua_State, co: *mut lua_State, slot: c_int);
        pub fn lp_co_write(
            co: *mut lua_State,
            pcall: lua_CFunction,
            xpcall: lua_CFunction,
            out: *mut u8,
            cap: usize,
            failed: *mut c_int,
        ) -> c_long;
        pub fn lp_co_shape(
            bytes: *const u8,
            len: usize,
            slots: u32,
            used: *mut usize,
            failed: *mut c_int,
            detail: *mut c_int,
        ) -> c_int;
        pub fn lp_co_load(
            L: *mut lua_State,
            co: *mut lua_State,
            bytes: *const u8,
            len: usize,
            pcall: lua_CFunction,
            xpcall: lua_CFunction,
            failed: *mut c_int,
            detail: *mut c_int,
        ) -> c_int;
        pub fn lp_co_open_upvalue(
            L: *mut lua_State,
            co: *mut lua_State,
            slot: c_int,
            owner: c_int,
            n: c_int,
            tail: *mut *mut c_void,
        ) -> c_int;
        pub fn lp_co_join_open_upvalue(
            L: *mut lua_State,
            f: c_int,
            n: c_int,
            co: *mut lua_State,
            slot: c_int,
        ) -> c_int;
    }
}
