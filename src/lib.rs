//! lua-persist: raw FFI to a vendored Lua 5.4 for native targets and
//! wasm32-unknown-unknown, and the persistence of Lua values. See README.md.
//!
//! ```
//! # #![allow(non_snake_case)]
//! use lua_persist::{ffi::*, lua};
//!
//! let L = lua::new_state(64 << 20); // a 64 MiB limit
//! assert!(!L.is_null());
//! unsafe {
//!     luaL_openlibs(L);
//!     assert_eq!(luaL_dostring(L, c"return ('x'):rep(3)".as_ptr()), LUA_OK);
//!     assert_eq!(lua::tostring(L, -1), Some(&b"xxx"[..]));
//!     lua::close(L);
//! }
//! ```

pub mod budget;
pub mod bytecode;
pub mod c_functions;
pub mod codec;
mod ext_cache;
pub mod ext_table;
pub mod fallible;
pub mod ffi;
pub mod format;
pub mod format_walker;
pub mod function_serializer;
pub mod limits;
pub mod lua;
mod portable_libc;
pub mod runner;
pub mod sandbox;
pub mod serializer;
pub mod store;
pub(crate) mod suspended_coroutines;
pub mod table_refs;
pub mod trust;
pub mod wasm;
