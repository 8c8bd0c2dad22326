//! The WebAssembly module (cu: `main.zig`, `output.zig`, `libc-stubs.zig`).
//!
//! `printf`, `strtod` and `time` are pure Rust and compiled on every target, so their
//! tests run natively against the C library; the rest exists only on wasm32.

// Natively only their tests use them.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod printf;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod strtod;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod time;

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
