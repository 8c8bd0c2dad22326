//! cu's module interface (cu: `main.zig`, `output.zig`, `result.zig`, `error.zig`): the
//! exports a host written for cu calls, with cu's behaviour where it is sound and fixes
//! where it is not (docs/cu-interface.md, "Differences from cu"): Lua errors come back as
//! `-(len+1)` with the message instead of trapping, numbers keep their subtype, output is
//! Lua's own `tostring`, and results that do not fit are an error result rather than cut.
//!
//! One global state per instance, as in cu. The chunk is read from `code_ptr`: cu's hosts
//! pass `get_buffer_ptr()` (cu always reads its buffer), and a larger chunk can be passed in
//! memory from `lp_alloc`.
//!
//! Two rules keep a host written for cu working:
//! - An error result `-(len + 1)` has a 0 byte after its `len` bytes of message: cu's web
//!   client reads `-result` bytes, and so sees exactly the message and a terminator.
//! - Memory does not grow unless the host allows it (`lp_allow_memory_growth`, see
//!   `heap`): cu's web client keeps one view of `memory.buffer`. Lua's state then holds at
//!   most the heap less [`RESERVE`] bytes, so that the module's own buffers (output, stored
//!   values in transit) still find memory when Lua's is full; past it Lua raises "not
//!   enough memory", an ordinary error result.
//!
//! After a call that never returned (a trap), every export that runs Lua does nothing, and
//! `compute` answers with the error result `guard::TRAPPED_MESSAGE`.

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use super::module_cell::ModuleCell;
use core::ffi::c_int;

use super::guard::{guarded, TRAPPED_MESSAGE};
use super::heap;
use crate::ext_table;
use crate::ffi::*;
use crate::lua;
use crate::serializer::{serialize_value_with, Output, SerializationError, SerializeOptions};

/// cu's io_buffer: 64 KiB, 16-byte aligned.
const BUFFER_SIZE: usize = 64 * 1024;
/// cu's print capture limit (io_buffer size - 1024).
const OUTPUT_LIMIT: usize = BUFFER_SIZE - 1024;

/// What Lua's state leaves of the heap while memory cannot grow: the module's own memory
/// (the print output, up to 64 KiB, and stored values on their way to and from the host,
/// which Rust allocates and cannot fail gracefully). Lua holds at most the rest: 448 KiB
/// of the 640 KiB fixed heap.
pub const RESERVE: usize = 192 * 1024;

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

static BUFFER: ModuleCell<Buffer> = ModuleCell::new(Buffer([0; BUFFER_SIZE]));

/// # Safety
/// As `globals`.
unsafe fn buffer() -> &'static mut [u8; BUFFER_SIZE] {
    // SAFETY: forwarded caller contract.
    unsafe { &mut (*BUFFER.as_ptr()).0 }
}

static GLOBALS: ModuleCell<Globals> = ModuleCell::new(Globals {
    state: core::ptr::null_mut(),
    output: Vec::new(),
    output_overflowed: false,
    memory_alias: true,
    memory_table_id: 0,
    io_table_id: 0,
});

/// # Safety
/// No other reference to the globals may be alive (the module is single-threaded, and
/// callers keep the reference short, never across a Lua call that could re-enter).
unsafe fn globals() -> &'static mut Globals {
    // SAFETY: forwarded caller contract.
    unsafe { &mut *GLOBALS.as_ptr() }
}

/// `init() -> i32`: creates the state (0), or does nothing when it exists (0); -1 when it
/// cannot be created (or after a trap).
#[no_mangle]
pub extern "C" fn init() -> c_int {
    guarded(|| -1, init_state)
}

fn init_state() -> c_int {
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
            crate::limits::open_limits(L);
            lua_pushcfunction(L, Some(cu_print));
            lua_setglobal(L, c"print".as_ptr());
            // No os.exit: C's exit has no caller to return to under compute, so it trapped
            // the module (as in cu); calling it is now an ordinary Lua error.
            lua_getglobal(L, c"os".as_ptr());
            lua_pushnil(L);
            lua_setfield(L, -2, c"exit".as_ptr());
            lua_pop(L, 1);
        })
        .is_ok()
            && ext_table::install(L, Box::new(super::host_store::HostStore::new()), alias).is_ok()
    };
    if !opened {
        // SAFETY: the state came from new_state and is not used again.
        unsafe { lua::close(L) };
        return -1;
    }
    // SAFETY: single thread, short access.
    let g = unsafe { globals() };
    g.state = L;
    g.memory_table_id = ext_table::HOME_TABLE_ID;
    g.io_table_id = ext_table::IO_TABLE_ID;
    apply_memory_budget();
    0
}

/// Limits the state's memory to the heap less [`RESERVE`] while memory cannot grow, and
/// lifts the limit when it can.
pub(crate) fn apply_memory_budget() {
    // SAFETY: single thread; a short access.
    let L = unsafe { globals() }.state;
    if !L.is_null() {
        let limit = if heap::growth_allowed() {
            usize::MAX
        } else {
            heap::capacity() - RESERVE
        };
        // SAFETY: the state came from new_state and is open.
        unsafe { lua::set_memory_limit(L, limit) };
    }
}

/// cu's `print`: arguments as Lua's `tostring` gives them, joined by tabs, ended by a
/// newline, into the output of the current `compute` (at most 64,512 bytes).
unsafe extern "C-unwind" fn cu_print(L: *mut lua_State) -> c_int {
    lua::abort_on_panic(|| {
        // SAFETY: called by Lua. luaL_tolstring may raise (a __tostring error); the output
        // lives in a static, not in this frame.
        unsafe {
            let n = lua_gettop(L);
            let mut stored = true;
            for i in 1..=n {
                let mut len = 0;
                let p = luaL_tolstring(L, i, &mut len);
                let text = core::slice::from_raw_parts(p as *const u8, len);
                if i > 1 {
                    stored &= append_output(b"\t");
                }
                stored &= append_output(text);
                lua_pop(L, 1);
            }
            stored &= append_output(b"\n");
            if !stored {
                // Lua's own message: the string exists already, so pushing it allocates
                // nothing.
                lua_pushstring(L, c"not enough memory".as_ptr());
                lua_error(L);
            }
        }
        0
    })
}

/// Adds to the output of the current `compute`; false when memory is exhausted (the
/// output's buffer is allocated as it fills, and that must not fail with a trap).
fn append_output(bytes: &[u8]) -> bool {
    // SAFETY: single thread; a short access.
    let g = unsafe { globals() };
    let room = OUTPUT_LIMIT - g.output.len();
    let bytes = if bytes.len() > room {
        g.output_overflowed = true;
        &bytes[..room]
    } else if g.output_overflowed {
        return true;
    } else {
        bytes
    };
    if g.output.try_reserve(bytes.len()).is_err() {
        return false;
    }
    g.output.extend_from_slice(bytes);
    true
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

/// Writes `message` at the start of the buffer, and a 0 after it, and returns `-(len + 1)`:
/// cu's web client reads `-result` bytes, so it sees the message and the terminator.
fn error_result(message: &[u8]) -> c_int {
    // SAFETY: single thread; a short access.
    let buf = unsafe { buffer() };
    let len = message.len().min(BUFFER_SIZE - 1);
    buf[..len].copy_from_slice(&message[..len]);
    buf[len] = 0;
    -(len as c_int) - 1
}

/// `compute(code_ptr, code_len) -> i32`: runs the chunk; on success the buffer holds
/// `[u32 out_len][output][value]` and the result is its length; on an error the message is
/// at the buffer's start, followed by a 0 byte, and the result is `-(len + 1)`.
///
/// # Safety
/// `code_ptr` must point at `code_len` readable bytes (the buffer or memory from lp_alloc).
#[no_mangle]
pub unsafe extern "C" fn compute(code_ptr: *const u8, code_len: usize) -> c_int {
    guarded(
        || error_result(TRAPPED_MESSAGE),
        // SAFETY: forwarded caller contract.
        || unsafe { run_chunk(code_ptr, code_len) },
    )
}

/// # Safety
/// As `compute`.
unsafe fn run_chunk(code_ptr: *const u8, code_len: usize) -> c_int {
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
    // Loaded where it lies (no copy, which could exhaust the fixed heap): the buffer is
    // written only after the load, for the result.
    // SAFETY: forwarded caller contract; nothing writes the chunk's bytes during the load
    // (the load may run finalizers, whose print goes to the output, not the buffer).
    let code = unsafe { core::slice::from_raw_parts(code_ptr, code_len) };
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
        let mut status = lua::loadbuffer(L, code, c"=input", None);
        if status == LUA_OK {
            // Under the limits set with lp_set_limits(lp_compute_state(), ...).
            status = crate::limits::pcall(L, 0, LUA_MULTRET, 1);
        }
        lua_remove(L, 1);
        // What the chunk wrote with io.write or to stderr is discarded, as in cu: a host
        // written for cu never drains those buffers, so they would grow without end.
        super::exports::output_clear(1);
        super::exports::output_clear(2);
        // The end of the chunk is an output point: the host stores the external-table
        // writes before the result is written, or the result is that they were not stored.
        let result = match crate::ext_table::commit(L) {
            Err(e) => Err(e.to_string()),
            Ok(()) if status == LUA_OK => encode_result(L),
            Ok(()) => Ok(error_message_result(L)),
        };
        lua_settop(L, 0);
        let memory_exceeded = matches!(
            crate::limits::exceeded(L),
            Some(crate::limits::LimitExceeded::Memory { .. })
        );
        if status == LUA_ERRMEM || memory_exceeded {
            // Lua's emergency collection frees garbage but leaves its string table, stack
            // and call records at their peak size; in a fixed heap they split the free
            // memory, and the next chunks would find no large block. Full collections
            // shrink them (the call records by half each time), until nothing is freed.
            let mut before = lua::memory_used(L);
            for _ in 0..32 {
                lua_gc(L, LUA_GCCOLLECT);
                let now = lua::memory_used(L);
                if now >= before {
                    break;
                }
                before = now;
            }
        }
        // The output's memory is released, not kept: kept, it would split the fixed heap
        // for larger blocks.
        globals().output = Vec::new();
        match result {
            Ok(len) => len,
            Err(message) => error_result(message.as_bytes()),
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

/// The error result of the message on top of the stack (a string: see `to_message`),
/// copied from Lua's string straight into the buffer.
///
/// # Safety
/// `L` valid with the message on top.
unsafe fn error_message_result(L: *mut lua_State) -> c_int {
    // SAFETY: forwarded caller contract; no conversion happens for a string.
    match unsafe { lua::tostring(L, -1) } {
        Some(text) if !text.is_empty() => error_result(text),
        _ => error_result(b"Unknown error"),
    }
}

/// Writes `[u32 out_len][output][value]` into the buffer; the value is the last result,
/// serialized (FORMAT.md) straight into the buffer, or nil. A result that does not fit is
/// an error, not cut.
///
/// # Safety
/// `L` valid with the chunk's results on the stack.
unsafe fn encode_result(L: *mut lua_State) -> Result<c_int, String> {
    let (output_len, overflowed) = {
        // SAFETY: single thread; a short access (no Lua code runs while `g` is alive).
        let g = unsafe { globals() };
        (g.output.len(), g.output_overflowed)
    };
    let out_len = output_len + if overflowed { 3 } else { 0 };
    let value_at = 4 + out_len; // out_len <= OUTPUT_LIMIT + 3, well inside the buffer
    {
        // SAFETY: single thread; short accesses.
        let (g, buf) = unsafe { (globals(), buffer()) };
        buf[..4].copy_from_slice(&(out_len as u32).to_le_bytes());
        buf[4..4 + output_len].copy_from_slice(&g.output);
        if overflowed {
            buf[4 + output_len..value_at].copy_from_slice(b"...");
        }
    }
    let mut out = BufferOutput {
        // SAFETY: single thread; serialization runs no Lua code (it reads values and dumps
        // functions), so nothing else touches the buffer meanwhile.
        buf: &mut unsafe { buffer() }[value_at..],
        len: 0,
    };
    // SAFETY: serialization does not raise and leaves the stack as it is.
    unsafe {
        if lua_gettop(L) == 0 {
            out.put(&[0x00]).map_err(|e| e.to_string())?;
        } else if let Err(e) = serialize_value_with(L, -1, &mut out, &SerializeOptions::default()) {
            return Err(format!("cannot return the result: {e}"));
        }
    }
    let total = value_at + out.len;
    if total > BUFFER_SIZE {
        return Err(format!(
            "the result ({out_len} bytes of output and {} of value) does not fit in the \
             65536-byte buffer",
            out.len
        ));
    }
    Ok(total as c_int)
}

/// The rest of the buffer as a serializer's output: the value is written in place, and
/// past the end only counted (so the error can name the size without allocating it).
struct BufferOutput<'a> {
    buf: &'a mut [u8],
    /// Bytes written, counted past the end too; the first `min(len, buf.len())` are held.
    len: usize,
}

impl BufferOutput<'_> {
    fn held(&self) -> usize {
        self.len.min(self.buf.len())
    }
}

impl Output for BufferOutput<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), SerializationError> {
        let at = self.held();
        let fits = bytes.len().min(self.buf.len() - at);
        self.buf[at..at + fits].copy_from_slice(&bytes[..fits]);
        self.len += bytes.len();
        Ok(())
    }
    fn len(&self) -> usize {
        self.len
    }
    fn patch(&mut self, at: usize, bytes: &[u8]) {
        let held = self.held();
        if at < held {
            let n = bytes.len().min(held - at);
            self.buf[at..at + n].copy_from_slice(&bytes[..n]);
        }
    }
    /// Only what is held: past the end the value is an error anyway.
    fn written(&self, from: usize) -> &[u8] {
        &self.buf[from.min(self.held())..self.held()]
    }
    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
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

/// `lp_compute_state() -> L`: the state `compute` runs in (made by `init`, 0 before), for
/// `lp_set_limits` and `lp_usage`.
#[no_mangle]
pub extern "C" fn lp_compute_state() -> *mut lua_State {
    // SAFETY: single thread; a short access.
    unsafe { globals() }.state
}

/// `run_gc()`: a full garbage collection (cu: a no-op).
#[no_mangle]
pub extern "C" fn run_gc() {
    guarded(
        || (),
        // SAFETY: single thread; lua_gc with LUA_GCCOLLECT runs finalizers protected.
        || unsafe {
            let L = globals().state;
            if !L.is_null() {
                lua_gc(L, LUA_GCCOLLECT);
            }
        },
    )
}

/// `attach_memory_table(id)`: makes `_home` (and `Memory`, with the alias on) the external
/// table `id`.
#[no_mangle]
pub extern "C" fn attach_memory_table(id: u32) {
    guarded(|| (), || attach(id))
}

fn attach(id: u32) {
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
    guarded(|| (), clear_io)
}

fn clear_io() {
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
    guarded(
        || (),
        // SAFETY: single thread; a short access.
        || unsafe {
            let L = globals().state;
            if !L.is_null() {
                ext_table::sync_table_counter(L, next);
            }
        },
    )
}

/// `set_memory_alias_enabled(flag)`: whether `init` and `attach_memory_table` also set
/// `Memory`.
#[no_mangle]
pub extern "C" fn set_memory_alias_enabled(flag: c_int) {
    // SAFETY: single thread; a short access.
    unsafe { globals() }.memory_alias = flag != 0;
}
