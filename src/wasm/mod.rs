//! The WebAssembly module (cu: `main.zig`, `output.zig`, `libc-stubs.zig`).
//!
//! Everything here exists only on wasm32; the pure-Rust parts of its libc that every target
//! compiles are in `crate::portable_libc`.

// The module's own parts (feature `wasm-module`, which scripts/build-wasm turns on): its
// exports, the host store behind cu's imports, the guard of its exports, and its allocator.
// Without the feature a crate that builds its own module gets Lua and the libc only: no
// export, no import, and the standard library's allocator.
#[cfg(all(target_arch = "wasm32", feature = "wasm-module"))]
pub mod cu_abi;
#[cfg(all(target_arch = "wasm32", feature = "wasm-module"))]
pub mod exports;
#[cfg(all(target_arch = "wasm32", feature = "wasm-module"))]
pub(crate) mod guard;
#[cfg(all(target_arch = "wasm32", feature = "wasm-module"))]
pub(crate) mod heap;
#[cfg(all(target_arch = "wasm32", feature = "wasm-module"))]
pub(crate) mod host_store;
#[cfg(all(target_arch = "wasm32", feature = "wasm-module"))]
pub mod host_values;
#[cfg(target_arch = "wasm32")]
pub(crate) mod libc;
#[cfg(all(target_arch = "wasm32", feature = "wasm-module"))]
pub(crate) mod module_cell;
