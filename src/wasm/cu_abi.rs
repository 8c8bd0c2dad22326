//! cu's module interface (cu: `main.zig`, `output.zig`, `result.zig`, `error.zig`): the
//! exports a host written for cu calls, with cu's behaviour where it is sound and fixes
//! where it is not (CU_ABI.md section 6): Lua errors come back as `-(len+1)` with the
//! message instead of trapping, numbers keep their subtype, output is Lua's own `tostring`,
//! and results that do not fit are an error result rather than cut.
//!
//! One global state per instance, as in cu. The chunk is read from `code_ptr`: cu's hosts
//! pass `get_buffer_ptr()` (cu always reads its buffer), and a larger chunk can be passed in
//! memory from `lp_alloc`.

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::cell::UnsafeCell;
use core::ffi::c_int;

use crate::ext_table;
use crate::ffi::*;
use crate::lua;
use crate::serializer::serialize_value_to_vec;

/// cu's io_buffer: 64 KiB, 16-byte aligned.
const BUFFER_SIZE: usize = 64 * 1024;
/// cu's print capture limit (io_buffer size - 1024).
const OUTPUT_LIMIT: usize = BUFFER_SIZE - 1024;

#[repr(C, align(16))]
struct Buffer([u8; BUFFER_SIZE]);

/// The module's single-threaded globals (the buffer apart, so that its zeros are not part
/// of the module's data).
struct Globals {
    state: *mut lua_State,
    output: Vec<u8>,
    output_overflowed: bool,
    memory_alias: bool,
    memory_table_id: u32,
    io_table_id: u32,
}

struct Cell(UnsafeCell<Globals>);
// SAFETY: wasm32-unknown-unknown without the atomics feature has exactly one thread.
unsafe impl Sync for Cell {}

struct BufferCell(UnsafeCell<Buffer>);
// SAFETY: as Cell.
unsafe impl Sync for BufferCell {}

static BUFFER: BufferCell = BufferCell(UnsafeCell::new(Buffer([0; BUFFER_SIZE])));

/// # Safety
/// As `globals`.
unsafe fn buffer() -> &'static mut [u8; BUFFER_SIZE] {
    // SAFETY: forwarded caller contract.
    unsafe { &mut (*BUFFER.0.get()).0 }
}

static GLOBALS: Cell = Cell(UnsafeCell::new(Globals {
    state: core::ptr::null_mut(),
    output: Vec::new(),
    output_overflowed: false,
    memory_alias: true,
    memory_table_id: 0,
    io_table_id: 0,
}));

/// # Safety
/// No other reference to the globals may be alive (the module is single-threaded, and
/// callers keep the reference short, never across a Lua call that could re-enter).
unsafe fn globals() -> &'static mut Globals {
    // SAFETY: forwarded caller contract.
    unsafe { &mut *GLOBALS.0.get() }
}

/// `init() -> i32`: creates the state (0), or does nothing when it exists (0); -1 when it
/// cannot be created.
#[no_mangle]
pub extern "C" fn init() -> c_int {
    // SAFETY: single thread; the reference is not held across Lua calls.
    if !unsafe { globals() }.state.is_null() {
        return 0;
    }
    let L = lua::new_state(usize::MAX);
    if L.is_null() {
        return -1;
    }
    // SAFETY: single thread, short accesses.
    let alias = unsafe { globals() }.memory_alias;
    // SAFETY: a fresh state; everything that allocates runs protected.
    let opened = unsafe {
        lua::protected(L, &mut |L| {
            luaL_openlibs(L);
            crate::runner::open_persist(L);
            lua_pushcfunction(L, Some(cu_print));
            lua_setglobal(L, c"print".as_ptr());
            // No os.exit: C's exit has no caller to return to under compute, so it trapped
            // the module (as in cu); calling it is now an ordinary Lua error.
            lua_getglobal(L, c"os".as_ptr());
            lua_pushnil(L);
            lua_setfield(L, -2, c"exit".as_ptr());
            lua_pop(L, 1);
        })
        .and_then(|()| ext_table::install(L, Box::new(super::host_store::HostStore), alias))
    };
    if opened.is_err() {
        // SAFETY: the state came from new_state and is not used again.
        unsafe { lua::close(L) };
        return -1;
    }
    // SAFETY: single thread, short access.
    let g = unsafe { globals() };
    g.state = L;
    g.memory_table_id = ext_table::HOME_TABLE_ID;
    g.io_table_id = ext_table::IO_TABLE_ID;
    0
}

/// cu's `print`: arguments as Lua's `tostring` gives them, joined by tabs, ended by a
/// newline, into the output of the current `compute` (at most 64,512 bytes).
unsafe extern "C-unwind" fn cu_print(L: *mut lua_State) -> c_int {
    lua::abort_on_panic(|| {
        // SAFETY: called by Lua. luaL_tolstring may raise (a __tostring error); the output
        // lives in a static, not in this frame.
        unsafe {
            let n = lua_gettop(L);
            for i in 1..=n {
                let mut len = 0;
                let p = luaL_tolstring(L, i, &mut len);
                let text = core::slice::from_raw_parts(p as *const u8, len);
                if i > 1 {
                    append_output(b"\t");
                }
                append_output(text);
                lua_pop(L, 1);
            }
            append_output(b"\n");
        }
        0
    })
}

fn append_output(bytes: &[u8]) {
    // SAFETY: single thread; a short access.
    let g = unsafe { globals() };
    let room = OUTPUT_LIMIT - g.output.len();
    if bytes.len() > room {
        g.output.extend_from_slice(&bytes[..room]);
        g.output_overflowed = true;
    } else if !g.output_overflowed {
        g.output.extend_from_slice(bytes);
    }
}

/// `get_buffer_ptr() -> ptr`: the 64 KiB buffer for code and results.
#[no_mangle]
pub extern "C" fn get_buffer_ptr() -> *mut u8 {
    // SAFETY: a pointer into the static; no reference is kept.
    unsafe { buffer() }.as_mut_ptr()
}

/// `get_buffer_size() -> i32`: 65536.
#[no_mangle]
pub extern "C" fn get_buffer_size() -> c_int {
    BUFFER_SIZE as c_int
}

/// Writes `message` at the start of the buffer and returns `-(len + 1)`.
fn error_result(message: &[u8]) -> c_int {
    // SAFETY: single thread; a short access.
    let buf = unsafe { buffer() };
    let len = message.len().min(BUFFER_SIZE - 1);
    buf[..len].copy_from_slice(&message[..len]);
    -(len as c_int) - 1
}

/// `compute(code_ptr, code_len) -> i32`: runs the chunk; on success the buffer holds
/// `[u32 out_len][output][value]` and the result is its length; on an error the message is
/// at the buffer's start and the result is `-(len + 1)`.
///
/// # Safety
/// `code_ptr` must point at `code_len` readable bytes (the buffer or memory from lp_alloc).
#[no_mangle]
pub unsafe extern "C" fn compute(code_ptr: *const u8, code_len: usize) -> c_int {
    // SAFETY: single thread; short accesses.
    let L = unsafe { globals() }.state;
    if L.is_null() {
        return error_result(b"Lua state not initialized");
    }
    if code_len == 0 {
        return 0;
    }
    // The chunk must lie in memory (reading past it traps), and a chunk at the buffer in
    // the buffer (else it runs what follows; cu returned -1 past 64 KiB, larger chunks go
    // in memory from lp_alloc).
    let outside = (code_ptr as usize as u64 + code_len as u64)
        > (core::arch::wasm32::memory_size(0) as u64) << 16
        || (core::ptr::eq(code_ptr, get_buffer_ptr()) && code_len > BUFFER_SIZE);
    if outside {
        return error_result(b"the chunk is outside memory or the buffer");
    }
    // The chunk is copied out: the buffer is about to hold the result.
    // SAFETY: forwarded caller contract.
    let code = unsafe { core::slice::from_raw_parts(code_ptr, code_len) }.to_vec();
    {
        // SAFETY: single thread; a short access.
        let g = unsafe { globals() };
        g.output.clear();
        g.output_overflowed = false;
    }
    // SAFETY: a valid state; load and call are protected; the stack is emptied after.
    unsafe {
        lua_settop(L, 0);
        lua_pushcfunction(L, Some(to_message)); // slot 1: the message handler
        let mut status = lua::loadbuffer(L, &code, c"=input", None);
        drop(code);
        if status == LUA_OK {
            status = lua_pcall(L, 0, LUA_MULTRET, 1);
        }
        lua_remove(L, 1);
        // What the chunk wrote with io.write or to stderr is discarded, as in cu: a host
        // written for cu never drains those buffers, so they would grow without end.
        super::exports::lp_output_clear(1);
        super::exports::lp_output_clear(2);
        let result = if status == LUA_OK {
            encode_result(L)
        } else {
            Err(error_message(L))
        };
        lua_settop(L, 0);
        match result {
            Ok(len) => len,
            Err(message) => error_result(&message),
        }
    }
}

/// The message handler of `compute`: the error as text (`tostring`, `__tostring` too).
unsafe extern "C-unwind" fn to_message(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua with the error object; an error here is Lua's "error in error
    // handling", a string.
    unsafe { luaL_tolstring(L, 1, core::ptr::null_mut()) };
    1
}

/// The error message on top of the stack (a string: see `to_message`).
///
/// # Safety
/// `L` valid with the message on top.
unsafe fn error_message(L: *mut lua_State) -> Vec<u8> {
    // SAFETY: forwarded caller contract; no conversion happens for a string.
    match unsafe { lua::tostring(L, -1) } {
        Some(text) if !text.is_empty() => text.to_vec(),
        _ => b"Unknown error".to_vec(),
    }
}

/// Writes `[u32 out_len][output][value]` into the buffer; the value is the last result,
/// serialized (FORMAT.md), or nil. A result that does not fit is an error, not cut.
///
/// # Safety
/// `L` valid with the chunk's results on the stack.
unsafe fn encode_result(L: *mut lua_State) -> Result<c_int, Vec<u8>> {
    let mut value = Vec::new();
    // SAFETY: serialization does not raise and leaves the stack as it is.
    unsafe {
        if lua_gettop(L) == 0 {
            value.push(0x00);
        } else if let Err(e) = serialize_value_to_vec(L, -1, &mut value) {
            return Err(format!("cannot return the result: {e}").into_bytes());
        }
    }
    // SAFETY: single thread; a short access.
    let g = unsafe { globals() };
    let mut output = core::mem::take(&mut g.output);
    if g.output_overflowed {
        output.extend_from_slice(b"...");
    }
    let total = 4 + output.len() + value.len();
    if total > BUFFER_SIZE {
        return Err(format!(
            "the result ({} bytes of output and {} of value) does not fit in the 65536-byte buffer",
            output.len(),
            value.len()
        )
        .into_bytes());
    }
    // SAFETY: single thread; a short access.
    let buf = unsafe { buffer() };
    buf[..4].copy_from_slice(&(output.len() as u32).to_le_bytes());
    buf[4..4 + output.len()].copy_from_slice(&output);
    buf[4 + output.len()..total].copy_from_slice(&value);
    Ok(total as c_int)
}

/// `get_memory_stats(ptr)`: three u32 LE: the buffer size, the bytes Lua holds, and the
/// memory's pages (cu wrote 0 and 32).
///
/// # Safety
/// `out` must point at 12 writable bytes.
#[no_mangle]
pub unsafe extern "C" fn get_memory_stats(out: *mut u8) {
    // SAFETY: single thread; short accesses; out is writable, by the contract.
    unsafe {
        let L = globals().state;
        let used = if L.is_null() { 0 } else { lua::memory_used(L) };
        let pages = core::arch::wasm32::memory_size(0);
        let stats = [BUFFER_SIZE as u32, used as u32, pages as u32];
        for (i, v) in stats.iter().enumerate() {
            core::ptr::copy_nonoverlapping(v.to_le_bytes().as_ptr(), out.add(4 * i), 4);
        }
    }
}

/// `run_gc()`: a full garbage collection (cu: a no-op).
#[no_mangle]
pub extern "C" fn run_gc() {
    // SAFETY: single thread; lua_gc with LUA_GCCOLLECT runs finalizers protected.
    unsafe {
        let L = globals().state;
        if !L.is_null() {
            lua_gc(L, LUA_GCCOLLECT);
        }
    }
}

/// `attach_memory_table(id)`: makes `_home` (and `Memory`, with the alias on) the external
/// table `id`.
#[no_mangle]
pub extern "C" fn attach_memory_table(id: u32) {
    // SAFETY: single thread; short accesses; the Lua work runs protected.
    unsafe {
        let g = globals();
        let (L, alias) = (g.state, g.memory_alias);
        if L.is_null() || id == 0 {
            return;
        }
        let attached = lua::protected(L, &mut |L| {
            ext_table::push_proxy(L, id);
            if alias {
                lua_pushvalue(L, -1);
                lua_setglobal(L, c"Memory".as_ptr());
            }
            lua_setglobal(L, c"_home".as_ptr());
        });
        if attached.is_ok() {
            globals().memory_table_id = id;
            ext_table::sync_table_counter(L, id.saturating_add(1));
        }
    }
}

/// `get_memory_table_id() -> i32`.
#[no_mangle]
pub extern "C" fn get_memory_table_id() -> u32 {
    // SAFETY: single thread; a short access.
    unsafe { globals() }.memory_table_id
}

/// `get_io_table_id() -> i32`.
#[no_mangle]
pub extern "C" fn get_io_table_id() -> u32 {
    // SAFETY: single thread; a short access.
    unsafe { globals() }.io_table_id
}

/// `clear_io_table()`: `_io.input`, `_io.output` and `_io.meta` become nil, which deletes
/// them (cu stored nil markers). Does nothing if `_io` is not a table (cu trapped).
#[no_mangle]
pub extern "C" fn clear_io_table() {
    // SAFETY: single thread; the Lua work runs protected.
    unsafe {
        let L = globals().state;
        if L.is_null() {
            return;
        }
        let _ = lua::protected(L, &mut |L| {
            if lua_getglobal(L, c"_io".as_ptr()) == LUA_TTABLE {
                for field in [c"input", c"output", c"meta"] {
                    lua_pushnil(L);
                    lua_setfield(L, -2, field.as_ptr());
                }
            }
            lua_pop(L, 1);
        });
    }
}

/// `sync_external_table_counter(next)`: new external tables get ids from at least `next`.
#[no_mangle]
pub extern "C" fn sync_external_table_counter(next: u32) {
    // SAFETY: single thread; a short access.
    unsafe {
        let L = globals().state;
        if !L.is_null() {
            ext_table::sync_table_counter(L, next);
        }
    }
}

/// `set_memory_alias_enabled(flag)`: whether `init` and `attach_memory_table` also set
/// `Memory`.
#[no_mangle]
pub extern "C" fn set_memory_alias_enabled(flag: c_int) {
    // SAFETY: single thread; a short access.
    unsafe { globals() }.memory_alias = flag != 0;
}
