//! Thin helpers over the Lua C API (cu: `lua.zig`), with the same short names, plus state
//! creation over Rust's allocator with a host-set memory limit.
//!
//! These are as unsafe as the C API: each may raise a Lua error (a longjmp) where the
//! function it wraps may, so call them from frames that own nothing with a destructor.

#![allow(non_snake_case)] // `L` is the Lua state, as in the C API and its manual.

use core::ffi::{c_char, c_int, c_void};
use core::ptr;

use crate::budget::{self, Account};
use crate::ffi::*;

pub use crate::ffi::lua_State as State;

/// A Lua error caught by [`protected`]: its message (as `tostring` gives it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LuaError(pub String);

pub use crate::ffi::abort_on_panic;

/// Creates a state whose memory comes from Rust's global allocator, limited to `limit`
/// bytes (`usize::MAX` for none). Returns null if even the state cannot be allocated.
/// The standard libraries are not opened. Close it with [`close`].
pub fn new_state(limit: usize) -> *mut State {
    let account = Box::into_raw(Box::new(Account::new(limit)));
    // SAFETY: allocate is a valid lua_Alloc and account lives until close().
    let state = unsafe { lua_newstate(Some(budget::allocate), account as *mut c_void) };
    if state.is_null() {
        // SAFETY: the box was not handed to any state.
        drop(unsafe { Box::from_raw(account) });
    }
    state
}

/// A state from [`new_state`] that closes itself when dropped: what a host that owns a
/// state (a test, a benchmark, a tool) holds instead of a raw pointer.
#[derive(Debug)]
pub struct OwnedState(ptr::NonNull<State>);

impl OwnedState {
    /// [`new_state`] without the standard libraries; `None` when even the state does not
    /// fit.
    pub fn new(limit: usize) -> Option<OwnedState> {
        Some(OwnedState(ptr::NonNull::new(new_state(limit))?))
    }

    /// [`new_state`] with the standard libraries open (`luaL_openlibs`, in a protected
    /// call); `None` when there is not memory enough for that within `limit`.
    pub fn with_libs(limit: usize) -> Option<OwnedState> {
        let state = OwnedState::new(limit)?;
        // SAFETY: a fresh state; the libraries open in a protected call.
        unsafe { protected(state.as_ptr(), &mut |L| luaL_openlibs(L)) }.ok()?;
        Some(state)
    }

    /// The state, for the C API. It stays valid while `self` lives.
    pub fn as_ptr(&self) -> *mut State {
        self.0.as_ptr()
    }
}

impl Drop for OwnedState {
    fn drop(&mut self) {
        // SAFETY: the state came from new_state, is the main thread, and is not used after.
        unsafe { close(self.0.as_ptr()) }
    }
}

/// # Safety
/// `L` must come from [`new_state`].
unsafe fn account(L: *mut State) -> *mut Account {
    let mut ud = ptr::null_mut();
    // SAFETY: valid state; new_state registered an Account as ud.
    unsafe { lua_getallocf(L, &mut ud) };
    ud as *mut Account
}

/// Bytes Lua currently holds.
///
/// # Safety
/// `L` must come from [`new_state`] and not be closed.
pub unsafe fn memory_used(L: *mut State) -> usize {
    // SAFETY: forwarded caller contract.
    unsafe { (*account(L)).used }
}

/// Sets the allocator's cap in bytes; allocations past it fail, so Lua raises
/// "not enough memory". A cap below the current use only stops growth. (The host's own
/// ceiling, e.g. the wasm module's fixed heap; the memory limit of [`crate::limits`] is
/// a limit scripts see exceeded.)
///
/// # Safety
/// `L` must come from [`new_state`] and not be closed.
pub unsafe fn set_memory_limit(L: *mut State, limit: usize) {
    // SAFETY: forwarded caller contract.
    unsafe { (*account(L)).cap = limit };
}

/// Closes a state from [`new_state`] and frees its bookkeeping.
///
/// # Safety
/// `L` must come from [`new_state`], be the main thread, and not be used afterwards.
pub unsafe fn close(L: *mut State) {
    // SAFETY: forwarded caller contract; the account outlives lua_close's frees.
    unsafe {
        let account = account(L);
        lua_close(L);
        drop(Box::from_raw(account));
    }
}

/// A state together with its allocator bookkeeping, which outlives the state. It lets a
/// host clean up after C's `exit` jumped out of a state (the wasm build's `os.exit`), where
/// Lua may or may not have closed the state already (`os.exit(code, true)` does).
#[derive(Clone, Copy, Debug)]
pub struct AbandonedState {
    state: *mut State,
    account: *mut Account,
}

/// # Safety
/// `L` must come from [`new_state`] and not be closed.
pub unsafe fn abandonable(L: *mut State) -> AbandonedState {
    AbandonedState {
        state: L,
        // SAFETY: forwarded caller contract.
        account: unsafe { account(L) },
    }
}

/// Frees the bookkeeping of a state that a jump left. If Lua closed the state (all its
/// memory has been returned), that is all; otherwise the state is left as a process exit
/// leaves it: no `__close` or `__gc` runs, and its memory stays allocated. Returns whether
/// the state had been closed.
///
/// # Safety
/// `s` must come from [`abandonable`], a jump must have left its state, and neither `s`
/// nor the state may be used afterwards.
pub unsafe fn forget_abandoned(s: AbandonedState) -> bool {
    // SAFETY: the account outlives the state; nothing calls the allocator of an abandoned
    // state again, so the account can go.
    unsafe {
        let closed = (*s.account).used == 0;
        drop(Box::from_raw(s.account));
        let _ = s.state;
        closed
    }
}

/// Runs `body` inside `lua_pcall`, so that a Lua error it raises (out of memory, or any
/// error of the API calls it makes) comes back as `Err(message)` instead of jumping over
/// the caller. `body` must hold no value with a destructor while it calls Lua: an error
/// jumps over its frame. The stack is restored to its height before the call.
///
/// # Safety
/// `L` must be a valid state with room for 2 stack slots.
pub unsafe fn protected(L: *mut State, body: &mut dyn FnMut(*mut State)) -> Result<(), LuaError> {
    // SAFETY: forwarded caller contract.
    unsafe { protected_results(L, 0, body) }
}

/// [`protected`], keeping the last `nresults` values that `body` pushed on success.
///
/// # Safety
/// `L` must be a valid state with room for 2 + `nresults` stack slots; `body` must push at
/// least `nresults` values.
pub unsafe fn protected_results(
    L: *mut State,
    nresults: c_int,
    body: &mut dyn FnMut(*mut State),
) -> Result<(), LuaError> {
    unsafe extern "C-unwind" fn trampoline(L: *mut State) -> c_int {
        // SAFETY: the body has the same contract; a panic must not unwind into C.
        crate::lua::abort_on_panic(|| unsafe { trampoline_body(L) })
    }

    unsafe fn trampoline_body(L: *mut State) -> c_int {
        // SAFETY: `protected_results` pushed a pointer to a live `&mut dyn FnMut`.
        let body = unsafe { &mut *(lua_touserdata(L, 1) as *mut &mut dyn FnMut(*mut State)) };
        body(L);
        // SAFETY: a valid state; everything above the light userdata is a result.
        unsafe { lua_gettop(L) - 1 }
    }
    let mut body = body;
    // SAFETY: forwarded caller contract; the pointer outlives the call.
    unsafe {
        let top = lua_gettop(L);
        lua_pushcfunction(L, Some(trampoline));
        lua_pushlightuserdata(
            L,
            &mut body as *mut &mut dyn FnMut(*mut State) as *mut c_void,
        );
        if lua_pcall(L, 1, nresults, 0) == LUA_OK {
            return Ok(());
        }
        let message =
            String::from_utf8_lossy(tostring(L, -1).unwrap_or(b"(error object is not a string)"))
                .into_owned();
        lua_settop(L, top);
        Err(LuaError(message))
    }
}

/// Raises `message` as a Lua error from a C function. The message is moved into Lua before
/// the jump, so nothing of Rust's is left behind.
///
/// # Safety
/// Must be called from a C function that Lua called (an error handler must exist).
pub unsafe fn raise(L: *mut State, message: String) -> ! {
    // SAFETY: forwarded caller contract; the push runs protected, so out of memory there
    // does not jump over this frame while `message` is alive.
    unsafe {
        let pushed = protected_results(L, 1, &mut |L| pushstring(L, message.as_bytes()));
        drop(message);
        if pushed.is_err() {
            lua_pushnil(L); // not even the message fits in memory
        }
        lua_error(L)
    }
}

// ------------------------------------------------------------------- cu's helpers

/// Pushes any bytes as a Lua string (NULs included).
///
/// # Safety
/// `L` valid, with stack room. Raises on out of memory.
pub unsafe fn pushstring(L: *mut State, s: &[u8]) {
    // SAFETY: pointer and length describe `s`.
    unsafe { lua_pushlstring(L, s.as_ptr() as *const c_char, s.len()) };
}

/// The bytes of a string (or number, converted in place), or None.
///
/// # Safety
/// `L` valid; `idx` acceptable. The slice lives as long as the value stays on the stack.
pub unsafe fn tostring<'a>(L: *mut State, idx: c_int) -> Option<&'a [u8]> {
    let mut len = 0usize;
    // SAFETY: forwarded caller contract; Lua keeps the string alive while it is on the stack.
    unsafe {
        let p = lua_tolstring(L, idx, &mut len);
        (!p.is_null()).then(|| core::slice::from_raw_parts(p as *const u8, len))
    }
}

/// # Safety
/// `L` valid; `idx` acceptable.
pub unsafe fn tonumber(L: *mut State, idx: c_int) -> Option<f64> {
    let mut ok = 0;
    // SAFETY: forwarded caller contract.
    let n = unsafe { lua_tonumberx(L, idx, &mut ok) };
    (ok != 0).then_some(n)
}

/// # Safety
/// `L` valid; `idx` acceptable.
pub unsafe fn tointeger(L: *mut State, idx: c_int) -> Option<i64> {
    let mut ok = 0;
    // SAFETY: forwarded caller contract.
    let n = unsafe { lua_tointegerx(L, idx, &mut ok) };
    (ok != 0).then_some(n)
}

/// # Safety
/// `L` valid; `idx` acceptable.
pub unsafe fn toboolean(L: *mut State, idx: c_int) -> bool {
    // SAFETY: forwarded caller contract.
    unsafe { lua_toboolean(L, idx) != 0 }
}

/// The name of a type tag, e.g. "table".
///
/// # Safety
/// `L` valid.
pub unsafe fn typename<'a>(L: *mut State, tag: c_int) -> &'a [u8] {
    // SAFETY: lua_typename returns a static C string.
    unsafe { core::ffi::CStr::from_ptr(lua_typename(L, tag)).to_bytes() }
}

/// Loads a chunk (mode "bt" like `luaL_loadbuffer`, or as given) without running it.
/// The chunk name must be NUL-terminated, e.g. `c"=stdin"`.
///
/// # Safety
/// `L` valid, with stack room. Pushes the function or the error message.
pub unsafe fn loadbuffer(
    L: *mut State,
    chunk: &[u8],
    name: &core::ffi::CStr,
    mode: Option<&core::ffi::CStr>,
) -> c_int {
    // SAFETY: pointer and length describe `chunk`.
    unsafe {
        luaL_loadbufferx(
            L,
            chunk.as_ptr() as *const c_char,
            chunk.len(),
            name.as_ptr(),
            mode.map_or(ptr::null(), |m| m.as_ptr()),
        )
    }
}

/// A registry key that no other code uses: the address of a static of the caller's (for
/// `lua_rawgetp`/`lua_rawsetp` on `LUA_REGISTRYINDEX`).
pub fn registry_key(key: &'static u8) -> *const core::ffi::c_void {
    key as *const u8 as *const core::ffi::c_void
}
