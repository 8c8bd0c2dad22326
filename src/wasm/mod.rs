//! The WebAssembly module (cu: `main.zig`, `output.zig`, `libc-stubs.zig`).
//!
//! Everything here exists only on wasm32; the pure-Rust parts of its libc that every target
//! compiles are in `crate::portable_libc`.

#[cfg(target_arch = "wasm32")]
pub mod cu_abi;
#[cfg(target_arch = "wasm32")]
pub mod exports;
#[cfg(target_arch = "wasm32")]
pub(crate) mod guard;
#[cfg(target_arch = "wasm32")]
pub(crate) mod heap;
#[cfg(target_arch = "wasm32")]
pub(crate) mod host_store;
#[cfg(target_arch = "wasm32")]
pub(crate) mod libc;
