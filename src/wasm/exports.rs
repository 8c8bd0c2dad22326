//! The wasm module's `lp_*` exports (cu's own are in `cu_abi`). The module imports only cu's
//! four `env` functions (the store, `src/wasm/host_store.rs`, and the clock); the host
//! passes bytes in through memory it allocates with `lp_alloc`, and drains output with
//! `lp_output_ptr`/`lp_output_len`. The list is checked in as `wasm/exports.txt`; the
//! interface is described in docs/cu-interface.md ("Exports").
//!
//! Two ways to run Lua:
//! - `lp_main`: a whole command line, as `lua-persist [-e CODE] [SCRIPT [ARGS...]]` does
//!   natively (used by `wasm/run.mjs`); scripts come from files the host put with `lp_file_put`.
//! - `lp_state_new` / `lp_exec` / `lp_state_close`: a long-lived state that runs chunk after
//!   chunk; a chunk's error is reported as its status and the state stays usable.
//!
//! After a call that never returned (a trap, see `guard`), the exports that run Lua or
//! allocate do nothing and answer with their failure result ([`TRAPPED`] for `lp_main` and
//! `lp_exec`), and stderr reads as the message.

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use core::ffi::{c_int, c_void};
use std::alloc::{alloc, dealloc, Layout};

use super::guard::{guarded, TRAPPED_MESSAGE};
use super::module_cell::ModuleCell;
use crate::ffi::wasm_libc::*;
use crate::ffi::*;
use crate::limits::{self, LimitExceeded, Limits};
use crate::lua;
use crate::runner::{self, Host};

/// What `lp_main` and `lp_exec` return after an earlier call never returned (a trap): the
/// instance cannot be used any more, and stderr reads as the message saying so.
pub const TRAPPED: c_int = -1;

/// Command-line arguments pushed by the host for the next `lp_main`.
static ARGS: ModuleCell<Vec<Vec<u8>>> = ModuleCell::new(Vec::new());

/// # Safety
/// No other reference to the arguments may be alive (the module is single-threaded).
unsafe fn pending_args() -> &'static mut Vec<Vec<u8>> {
    // SAFETY: forwarded caller contract.
    unsafe { &mut *ARGS.as_ptr() }
}

/// # Safety
/// `ptr` must point at `len` readable bytes (or len is 0).
unsafe fn host_bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        return &[];
    }
    // SAFETY: forwarded caller contract.
    unsafe { core::slice::from_raw_parts(ptr, len) }
}

/// Allocates `len` bytes (alignment 8) for the host to write into; 0 on failure.
#[no_mangle]
pub extern "C" fn lp_alloc(len: usize) -> *mut u8 {
    guarded(core::ptr::null_mut, || {
        match Layout::from_size_align(len.max(1), 8) {
            // SAFETY: the layout has a non-zero size.
            Ok(layout) => unsafe { alloc(layout) },
            Err(_) => core::ptr::null_mut(),
        }
    })
}

/// Frees a block from `lp_alloc` (`len` as allocated). Null is ignored.
///
/// # Safety
/// `ptr` must come from `lp_alloc(len)` and not be freed before.
#[no_mangle]
pub unsafe extern "C" fn lp_free(ptr: *mut u8, len: usize) {
    guarded(
        || (),
        || {
            if !ptr.is_null() {
                // SAFETY: forwarded caller contract; the same layout as lp_alloc.
                unsafe { dealloc(ptr, Layout::from_size_align_unchecked(len.max(1), 8)) };
            }
        },
    )
}

/// Where stdout's (1) or stderr's (2) captured output starts; null when empty. After a
/// trap, stdout is empty and stderr holds the message that the instance is unusable.
#[no_mangle]
pub extern "C" fn lp_output_ptr(stream: c_int) -> *const u8 {
    if super::guard::trapped() {
        return match stream {
            2 => TRAPPED_MESSAGE.as_ptr(),
            _ => core::ptr::null(),
        };
    }
    let mut len = 0;
    match stream {
        // SAFETY: a read of the C runtime's buffer bookkeeping.
        1 | 2 => unsafe { __lp_output_data(stream, &mut len) },
        // SAFETY: a read of the buffer; the host copies it before its next call.
        RESULTS_STREAM => unsafe { (*RESULTS.as_ptr()).as_ptr() },
        _ => core::ptr::null(),
    }
}

/// The number of captured bytes of stdout (1) or stderr (2) (after a trap: 0, and the
/// message's length).
#[no_mangle]
pub extern "C" fn lp_output_len(stream: c_int) -> usize {
    if super::guard::trapped() {
        return if stream == 2 {
            TRAPPED_MESSAGE.len()
        } else {
            0
        };
    }
    let mut len = 0;
    if let 1 | 2 = stream {
        // SAFETY: as lp_output_ptr.
        unsafe { __lp_output_data(stream, &mut len) };
    } else if stream == RESULTS_STREAM {
        // SAFETY: as lp_output_ptr.
        len = unsafe { (*RESULTS.as_ptr()).len() };
    }
    len
}

/// Empties a stream's buffer after the host has read it, releasing its memory.
#[no_mangle]
pub extern "C" fn lp_output_clear(stream: c_int) {
    guarded(|| (), || output_clear(stream))
}

/// `lp_output_clear` for calls from inside the module (an export must not enter another).
pub(crate) fn output_clear(stream: c_int) {
    if let 1 | 2 = stream {
        // SAFETY: frees the C runtime's buffer; the host no longer reads it.
        unsafe { __lp_output_clear(stream) };
    } else if stream == RESULTS_STREAM {
        // SAFETY: the host no longer reads the buffer; nothing else refers to it.
        unsafe { *RESULTS.as_ptr() = Vec::new() };
    }
}

/// The stream (for `lp_output_ptr`, `lp_output_len`, `lp_output_clear`) that holds what the
/// last `lp_eval` returned: src/wasm/host_values.rs describes the bytes.
pub const RESULTS_STREAM: c_int = 3;

/// The last `lp_eval`'s results or error (src/wasm/host_values.rs).
static RESULTS: ModuleCell<Vec<u8>> = ModuleCell::new(Vec::new());

/// Whether the module's memory may grow (1) or not (0, the default). Growing memory
/// replaces `memory.buffer` and detaches every view of the old one; cu's module never grows,
/// and cu's web client keeps one view, so without this call the module works within its
/// initial memory and Lua raises "not enough memory" past it. A host that makes a new view
/// after each call enables growth right after instantiation (`wasm/lua-persist.mjs` does).
#[no_mangle]
pub extern "C" fn lp_allow_memory_growth(enabled: c_int) {
    super::heap::allow_growth(enabled != 0);
    if !super::guard::trapped() {
        super::cu_abi::apply_memory_budget();
    }
}

/// Makes `data` readable as the file `name` (for `lp_main`'s script, `dofile`, `io.open`),
/// or, with the name `-`, as standard input. Returns 0, or -1 when memory is exhausted.
///
/// # Safety
/// Both ranges must be readable.
#[no_mangle]
pub unsafe extern "C" fn lp_file_put(
    name: *const u8,
    name_len: usize,
    data: *const u8,
    data_len: usize,
) -> c_int {
    guarded(
        || -1,
        // SAFETY: forwarded caller contract; the C side copies both ranges.
        || unsafe { __lp_file_put(name as *const core::ffi::c_char, name_len, data, data_len) },
    )
}

/// Appends one command-line argument for the next `lp_main` (the first is the program name).
///
/// # Safety
/// The range must be readable.
#[no_mangle]
pub unsafe extern "C" fn lp_arg_push(ptr: *const u8, len: usize) {
    guarded(
        || (),
        // SAFETY: forwarded caller contract; no other reference to the arguments is alive.
        || unsafe { pending_args().push(host_bytes(ptr, len).to_vec()) },
    )
}

/// The wasm side of the runner: scripts from `lp_file_put`, output to the buffers.
struct ModuleHost;

impl Host for ModuleHost {
    fn read_script(&self, name: &[u8]) -> Result<Vec<u8>, String> {
        read_host_file(name).ok_or_else(|| "No such file or directory".to_string())
    }
    fn write_output(&self, text: &[u8]) {
        crate::ffi::c_stdout_write(text);
    }
    fn write_error(&self, text: &[u8]) {
        crate::ffi::c_stderr_write(text);
    }
    unsafe fn open_extensions(&self, L: *mut lua_State) -> Result<(), String> {
        // SAFETY: forwarded trait contract.
        unsafe { crate::ext_table::install(L, Box::new(super::host_store::HostStore::new()), true) }
            .map_err(|e| e.to_string())
    }
}

/// Reads a file the host put, through C's stdio like Lua's own `io.open`.
fn read_host_file(name: &[u8]) -> Option<Vec<u8>> {
    let path = std::ffi::CString::new(name).ok()?;
    crate::ffi::c_read_file(&path)
}

/// Runs `body` so that C's `exit` (from `os.exit`) returns here instead of trapping: the
/// result is `Err(status)` then. `body` must be plain: an exit jumps over its frame (and
/// Lua's) without running destructors.
fn catching_exit(body: &mut dyn FnMut()) -> Result<(), c_int> {
    unsafe extern "C" fn call(ud: *mut c_void) {
        // SAFETY: catching_exit passes a live `&mut &mut dyn FnMut()`.
        let body = unsafe { &mut *(ud as *mut &mut dyn FnMut()) };
        body();
    }
    let mut status = 0;
    let mut body = body;
    // SAFETY: `call` receives the pointer to `body`, which outlives the call.
    let exited = unsafe {
        __lp_catch_exit(
            call,
            &mut body as *mut &mut dyn FnMut() as *mut c_void,
            &mut status,
        )
    };
    if exited != 0 {
        Err(status)
    } else {
        Ok(())
    }
}

/// Runs the command line pushed with `lp_arg_push` (then forgets it) and returns the exit
/// code: 0, 1 on an error, or the status given to `os.exit`. As when a process exits,
/// `os.exit(code)` runs no `__close` or `__gc` and leaves the state's memory allocated;
/// `os.exit(code, true)` closes the state first. After a trap: [`TRAPPED`].
#[no_mangle]
pub extern "C" fn lp_main() -> c_int {
    guarded(|| TRAPPED, main)
}

fn main() -> c_int {
    // SAFETY: no other reference to the arguments is alive.
    let args = core::mem::take(unsafe { pending_args() });
    let invocation = match runner::parse_args(&args) {
        Ok(invocation) => invocation,
        Err(e) => {
            ModuleHost
                .write_error(format!("{}: {e}\n{}", runner::PROGNAME, runner::usage()).as_bytes());
            return 1;
        }
    };
    let prepared = match runner::prepare(&invocation, &ModuleHost) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let running = core::cell::Cell::new(None);
    let mut code = 1;
    let outcome = catching_exit(&mut || {
        code = runner::execute(&invocation, &prepared, &ModuleHost, &running);
    });
    match outcome {
        Ok(()) => code,
        Err(status) => {
            if let Some(abandoned) = running.get() {
                // SAFETY: the exit jumped out of the state, which nothing uses any more.
                unsafe { lua::forget_abandoned(abandoned) };
            }
            status
        }
    }
}

/// Creates a long-lived state with the standard libraries, `persist`, and the external
/// tables over the host's store (`_home`, `_io`, `Memory`, `ext.table()`); 0 if memory is
/// exhausted or the store cannot tell its next table id (or after a trap).
#[no_mangle]
pub extern "C" fn lp_state_new() -> *mut lua_State {
    guarded(core::ptr::null_mut, state_new)
}

fn state_new() -> *mut lua_State {
    let L = lua::new_state(usize::MAX);
    if L.is_null() {
        return L;
    }
    // SAFETY: a fresh state; openlibs runs protected, so an allocation failure is a status.
    unsafe {
        lua_pushcfunction(L, Some(open_libraries));
        if lua_pcall(L, 0, 0, 0) != LUA_OK {
            lua::close(L);
            return core::ptr::null_mut();
        }
    }
    L
}

unsafe extern "C-unwind" fn open_libraries(L: *mut lua_State) -> c_int {
    // SAFETY: called by lua_pcall on a valid state.
    unsafe {
        luaL_openlibs(L);
        runner::open_persist(L);
        limits::open_limits(L);
        if let Err(message) = ModuleHost.open_extensions(L) {
            lua::raise(L, message);
        }
    }
    0
}

/// Closes a state from `lp_state_new`.
///
/// # Safety
/// `L` must come from `lp_state_new` and not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn lp_state_close(L: *mut lua_State) {
    guarded(
        || (),
        || {
            if !L.is_null() {
                // SAFETY: forwarded caller contract.
                unsafe { lua::close(L) };
            }
        },
    )
}

/// Limits the state's memory (bytes); past it Lua raises "not enough memory".
///
/// # Safety
/// `L` must come from `lp_state_new`.
#[no_mangle]
pub unsafe extern "C" fn lp_set_memory_limit(L: *mut lua_State, bytes: usize) {
    guarded(
        || (),
        || {
            if !L.is_null() {
                // SAFETY: forwarded caller contract.
                unsafe { lua::set_memory_limit(L, bytes) };
            }
        },
    )
}

/// Bytes the state holds now.
///
/// # Safety
/// `L` must come from `lp_state_new`.
#[no_mangle]
pub unsafe extern "C" fn lp_memory_used(L: *mut lua_State) -> usize {
    if L.is_null() {
        return 0;
    }
    // SAFETY: forwarded caller contract.
    unsafe { lua::memory_used(L) }
}

/// Limits for the chunks the state runs next (docs/cu-interface.md, "Limits"): `memory`
/// in bytes, `instructions` in units of work, `time_ms` in milliseconds; a value that is
/// not a positive finite number means no limit. Returns 0, or 1 when the state is not one
/// of this module's (or after a trap).
///
/// # Safety
/// `L` must come from `lp_state_new`, or be `compute`'s state (`lp_compute_state`).
#[no_mangle]
pub unsafe extern "C" fn lp_set_limits(
    L: *mut lua_State,
    memory: f64,
    instructions: f64,
    time_ms: f64,
) -> c_int {
    guarded(
        || 1,
        // SAFETY: forwarded caller contract.
        || unsafe { set_limits(L, memory, instructions, time_ms) },
    )
}

/// # Safety
/// As `lp_set_limits`.
pub(crate) unsafe fn set_limits(
    L: *mut lua_State,
    memory: f64,
    instructions: f64,
    time_ms: f64,
) -> c_int {
    if L.is_null() {
        return 1;
    }
    let given = |v: f64| (v.is_finite() && v > 0.0).then_some(v);
    let limits = Limits {
        memory: given(memory).map(|v| v.min(usize::MAX as f64) as usize),
        instructions: given(instructions).map(|v| v as u64),
        time: given(time_ms).map(limits::duration_from_ms),
    };
    // SAFETY: forwarded caller contract.
    match unsafe { limits::set_limits(L, &limits) } {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// What the state's current or last chunk used, as five f64 (little-endian) at `out`:
/// instructions, bytes held now, peak bytes, milliseconds, and the limit it exceeded (0
/// none, 1 memory, 2 instructions, 3 time).
///
/// # Safety
/// `L` as for `lp_set_limits`; `out` must point at 40 writable bytes.
#[no_mangle]
pub unsafe extern "C" fn lp_usage(L: *mut lua_State, out: *mut u8) {
    // SAFETY: forwarded caller contract.
    unsafe { write_usage(L, out) }
}

/// # Safety
/// As `lp_usage`.
pub(crate) unsafe fn write_usage(L: *mut lua_State, out: *mut u8) {
    if L.is_null() || out.is_null() {
        return;
    }
    // SAFETY: forwarded caller contract (reading the account runs no Lua).
    let (usage, exceeded) = unsafe { (limits::usage(L), limits::exceeded(L)) };
    let usage = usage.unwrap_or_default();
    let exceeded = match exceeded {
        None => 0.0,
        Some(LimitExceeded::Memory { .. }) => 1.0,
        Some(LimitExceeded::Instructions { .. }) => 2.0,
        Some(LimitExceeded::Time { .. }) => 3.0,
    };
    let values = [
        usage.instructions as f64,
        usage.memory as f64,
        usage.peak_memory as f64,
        usage.elapsed.as_secs_f64() * 1000.0,
        exceeded,
    ];
    for (i, v) in values.iter().enumerate() {
        // SAFETY: out has 40 writable bytes (caller).
        unsafe { core::ptr::copy_nonoverlapping(v.to_le_bytes().as_ptr(), out.add(8 * i), 8) };
    }
}

/// Puts a state from `lp_state_new` in sandbox mode (README, "Running untrusted code"): the
/// safe standard library, and the sandbox's default limits (change them with
/// `lp_set_limits`). Returns 0, or 1 when memory is exhausted (or after a trap).
///
/// # Safety
/// `L` must come from `lp_state_new`.
#[no_mangle]
pub unsafe extern "C" fn lp_state_sandbox(L: *mut lua_State) -> c_int {
    guarded(
        || 1,
        || {
            if L.is_null() {
                return 1;
            }
            // SAFETY: forwarded caller contract.
            let applied = unsafe {
                crate::sandbox::apply(L).is_ok()
                    && limits::set_limits(L, &Limits::SANDBOX_DEFAULT).is_ok()
            };
            (!applied) as c_int
        },
    )
}

/// What `lp_exec` returns after `os.exit(code)`: `EXITED + (code & 0xff)`, as a process's
/// exit status keeps the low 8 bits. The state is gone then: closed by `os.exit(code, true)`,
/// or, by `os.exit(code)`, abandoned as a process exit abandons it (no `__close` or `__gc`
/// runs, and its memory stays allocated in the instance).
pub const EXITED: c_int = 256;

/// Runs one chunk (source or binary) in the state; `name` is its chunk name as Lua takes it
/// (e.g. `=input`). Returns the Lua status: 0, or 2 (runtime), 3 (syntax), 4 (memory),
/// 5 (error in the handler). An error's message and traceback go to stderr's buffer; the
/// state stays usable and its stack is left empty. After `os.exit(code)`, returns
/// [`EXITED`]` + (code & 0xff)` and `L` must not be used again (see [`EXITED`]). After an
/// earlier call trapped: [`TRAPPED`].
///
/// # Safety
/// `L` must come from `lp_state_new`; both ranges must be readable.
#[no_mangle]
pub unsafe extern "C" fn lp_exec(
    L: *mut lua_State,
    chunk: *const u8,
    chunk_len: usize,
    name: *const u8,
    name_len: usize,
) -> c_int {
    // SAFETY: forwarded caller contract.
    guarded(
        || TRAPPED,
        || unsafe { exec(L, chunk, chunk_len, name, name_len) },
    )
}

/// # Safety
/// As `lp_exec`.
unsafe fn exec(
    L: *mut lua_State,
    chunk: *const u8,
    chunk_len: usize,
    name: *const u8,
    name_len: usize,
) -> c_int {
    // SAFETY: forwarded caller contract; exec_chunk balances the stack.
    unsafe {
        run_in_state(
            c"lp_exec",
            L,
            chunk,
            chunk_len,
            name,
            name_len,
            &mut |chunk, name| runner::exec_chunk(L, &ModuleHost, chunk, name),
        )
    }
}

/// What `lp_exec` and `lp_eval` share: their arguments as bytes and a chunk name, the null
/// state, and `os.exit` in the chunk (status [`EXITED`]` + code`, the state forgotten).
/// `run` runs the chunk and returns its status; it may hold only references, as an exit
/// jumps over its frame.
///
/// # Safety
/// As `lp_exec`; `export` names the export for the message about a null state.
unsafe fn run_in_state(
    export: &core::ffi::CStr,
    L: *mut lua_State,
    chunk: *const u8,
    chunk_len: usize,
    name: *const u8,
    name_len: usize,
    run: &mut dyn FnMut(&[u8], &core::ffi::CStr) -> c_int,
) -> c_int {
    if L.is_null() {
        let mut message = b"lua-persist: ".to_vec();
        message.extend_from_slice(export.to_bytes());
        message.extend_from_slice(b": no state (null)\n");
        crate::ffi::c_stderr_write(&message);
        return LUA_ERRRUN;
    }
    // SAFETY: forwarded caller contract.
    let (chunk, name) = unsafe { (host_bytes(chunk, chunk_len), host_bytes(name, name_len)) };
    let name = std::ffi::CString::new(name).unwrap_or_else(|_| c"=?".into());
    // SAFETY: L is a valid state from lp_state_new.
    let abandoned = unsafe { lua::abandonable(L) };
    let mut status = LUA_OK;
    match catching_exit(&mut || status = run(chunk, &name)) {
        Ok(()) => status,
        Err(code) => {
            // SAFETY: the exit jumped out of the state; the host must not use L again.
            unsafe { lua::forget_abandoned(abandoned) };
            EXITED + (code & 0xff)
        }
    }
}

/// Runs a chunk in a state from `lp_state_new`, as `lp_exec` does, but keeps its outcome for
/// the host to read as values from stream 3 (`RESULTS_STREAM`; layout in
/// src/wasm/host_values.rs): on success the chunk's results; on an error three values — the
/// error value as raised, its message, and the traceback from where it was raised (message
/// and traceback nil for a syntax error or writes that could not be stored, whose value is
/// the message). Nothing is printed for an error. Returns the status, as `lp_exec`; when not
/// even the copy of the values fits in memory, `LUA_ERRMEM` with no values.
///
/// # Safety
/// As `lp_exec`.
#[no_mangle]
pub unsafe extern "C" fn lp_eval(
    L: *mut lua_State,
    chunk: *const u8,
    chunk_len: usize,
    name: *const u8,
    name_len: usize,
) -> c_int {
    // SAFETY: forwarded caller contract.
    guarded(
        || TRAPPED,
        || unsafe { eval(L, chunk, chunk_len, name, name_len) },
    )
}

/// # Safety
/// As `lp_exec`.
unsafe fn eval(
    L: *mut lua_State,
    chunk: *const u8,
    chunk_len: usize,
    name: *const u8,
    name_len: usize,
) -> c_int {
    output_clear(RESULTS_STREAM);
    // SAFETY: forwarded caller contract; the stack is reset below, and copying the values
    // reads them only.
    unsafe {
        run_in_state(
            c"lp_eval",
            L,
            chunk,
            chunk_len,
            name,
            name_len,
            &mut |chunk, name| {
                let base = lua_gettop(L);
                let mut status = runner::eval_chunk(L, chunk, name);
                if status != LUA_OK && lua_checkstack(L, 2) != 0 {
                    runner::push_eval_error_notes(L);
                }
                let count = lua_gettop(L) - base;
                let copied =
                    super::host_values::HostValues::new(count as u32).and_then(|mut values| {
                        for i in 1..=count {
                            values.value(L, base + i, 0)?;
                        }
                        Ok(values.into_bytes())
                    });
                lua_settop(L, base);
                match copied {
                    Ok(bytes) => *RESULTS.as_ptr() = bytes,
                    Err(_) => status = LUA_ERRMEM,
                }
                status
            },
        )
    }
}
