//! lua-persist: raw FFI to a vendored Lua 5.4 for native targets and
//! wasm32-unknown-unknown, and the persistence of Lua values. See README.md.

pub mod ffi;
pub mod lua;
pub mod runner;
pub mod wasm;
