//! The state the native benchmarks time chunks in (benches/ext_tables.rs, benches/pg.rs).

use std::ffi::CString;
use std::time::{Duration, Instant};

use lua_persist::ext_table::{self, ExtStore};
use lua_persist::ffi::*;
use lua_persist::lua;

/// A state with the standard libraries, closed on drop.
pub struct State(lua::OwnedState);

impl State {
    /// A state with `_home` over `store` (or without external tables).
    pub fn new(store: Option<Box<dyn ExtStore>>) -> State {
        let owned = lua::OwnedState::with_libs(usize::MAX).expect("a state");
        if let Some(store) = store {
            // SAFETY: a fresh state with the base library.
            unsafe { ext_table::install(owned.as_ptr(), store, false) }.expect("external tables");
        }
        State(owned)
    }

    /// Runs `code`, then commits its external-table writes as a chunk's end does; returns
    /// how long both took.
    pub fn time(&self, code: &str) -> Duration {
        let code = CString::new(code).unwrap();
        let start = Instant::now();
        // SAFETY: a valid state; the stack is reset after the call.
        unsafe {
            let L = self.0.as_ptr();
            assert_eq!(luaL_loadstring(L, code.as_ptr()), LUA_OK);
            let status = lua_pcall(L, 0, 0, 0);
            assert_eq!(
                status,
                LUA_OK,
                "{}",
                String::from_utf8_lossy(lua::tostring(L, -1).unwrap_or(b"?"))
            );
            ext_table::commit(L).expect("the commit");
        }
        start.elapsed()
    }
}
