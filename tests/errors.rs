//! Lua errors natively, through the same helpers the wasm module uses: statuses, messages,
//! a host-set memory limit, and a state that stays usable after any error.
#![allow(non_snake_case)]

use std::cell::RefCell;

use lua_persist::ffi::*;
use lua_persist::lua;
use lua_persist::runner::{exec_chunk, Host};

#[derive(Default)]
struct Capture {
    errors: RefCell<Vec<u8>>,
}

impl Host for Capture {
    fn read_script(&self, _: &[u8]) -> Result<Vec<u8>, String> {
        Err("not used".into())
    }
    fn write_output(&self, _: &[u8]) {}
    fn write_error(&self, text: &[u8]) {
        self.errors.borrow_mut().extend_from_slice(text);
    }
}

/// A state, closed on drop.
struct State(lua::OwnedState);

impl State {
    fn new(limit: usize) -> State {
        let owned = lua::OwnedState::new(limit).expect("a state");
        let L = owned.as_ptr();
        // SAFETY: a fresh state; opening the libraries in a protected call.
        unsafe {
            lua_pushcfunction(L, Some(open));
            assert_eq!(lua_pcall(L, 0, 0, 0), LUA_OK);
        }
        State(owned)
    }

    /// Runs a chunk; returns the status, the error text, and `result` as a string.
    fn exec(&self, chunk: &str) -> (i32, String, Option<String>) {
        let host = Capture::default();
        // SAFETY: a valid state; exec_chunk balances the stack.
        let status = unsafe { exec_chunk(self.0.as_ptr(), &host, chunk.as_bytes(), c"=test") };
        // SAFETY: reading a global into a string and popping it.
        let result = unsafe {
            lua_getglobal(self.0.as_ptr(), c"result".as_ptr());
            let r =
                lua::tostring(self.0.as_ptr(), -1).map(|b| String::from_utf8_lossy(b).into_owned());
            lua_pop(self.0.as_ptr(), 1);
            r
        };
        let errors = String::from_utf8_lossy(&host.errors.borrow()).into_owned();
        (status, errors, result)
    }
}

unsafe extern "C-unwind" fn open(L: *mut lua_State) -> i32 {
    // SAFETY: called by lua_pcall.
    unsafe { luaL_openlibs(L) };
    0
}

#[test]
fn statuses_and_messages() {
    let s = State::new(usize::MAX);
    let (status, err, _) = s.exec("error('boom')");
    assert_eq!(status, LUA_ERRRUN);
    assert!(
        err.starts_with("lua-persist: test:1: boom\nstack traceback:\n"),
        "{err}"
    );
    let (status, err, _) = s.exec("return 1 +");
    assert_eq!(status, LUA_ERRSYNTAX);
    assert_eq!(err, "lua-persist: test:1: unexpected symbol near <eof>\n");
    let (status, _, result) = s.exec("result = select(2, pcall(function() local f; f() end))");
    assert_eq!(status, LUA_OK);
    assert_eq!(
        result.as_deref(),
        Some("test:1: attempt to call a nil value (local 'f')")
    );
    let (_, _, result) =
        s.exec("local function f() return 1 + f() end result = select(2, pcall(f))");
    assert!(result.unwrap().contains("stack overflow"));
}

#[test]
fn memory_limit_raises_not_enough_memory_and_state_survives() {
    let s = State::new(usize::MAX);
    // SAFETY: the state came from lua::new_state.
    let used = unsafe { lua::memory_used(s.0.as_ptr()) };
    // SAFETY: as above.
    unsafe { lua::set_memory_limit(s.0.as_ptr(), used + (1 << 20)) };
    let (status, err, _) = s.exec("local t = {} for i = 1, 1e7 do t[i] = i end");
    assert_eq!(status, LUA_ERRMEM);
    assert!(err.contains("not enough memory"), "{err}");
    let (status, _, result) = s.exec("result = select(2, pcall(string.rep, 'x', 4 << 20))");
    assert_eq!(status, LUA_OK);
    assert_eq!(result.as_deref(), Some("not enough memory"));
    let (status, _, result) = s.exec("collectgarbage() result = #{1, 2, 3}");
    assert_eq!((status, result.as_deref()), (LUA_OK, Some("3")));
}

#[test]
fn thousands_of_errors_leave_the_state_usable_and_memory_flat() {
    let s = State::new(usize::MAX);
    for _ in 0..200 {
        s.exec("error('x')");
    }
    s.exec("collectgarbage()");
    // SAFETY: the state came from lua::new_state.
    let before = unsafe { lua::memory_used(s.0.as_ptr()) };
    for i in 0..10_000 {
        let chunk = [
            "error('x')",
            "local t = nil; t.x = 1",
            "return 1 +",
            "error({})",
        ][i % 4];
        assert_ne!(s.exec(chunk).0, LUA_OK);
    }
    s.exec("collectgarbage()");
    // SAFETY: as above.
    let after = unsafe { lua::memory_used(s.0.as_ptr()) };
    assert!(
        after <= before + 4096,
        "memory grew from {before} to {after}"
    );
    assert_eq!(s.exec("result = 1 + 1").2.as_deref(), Some("2"));
}
