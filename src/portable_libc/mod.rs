//! Parts of the C library written in Rust, for the wasm module's libc (`wasm/libc/`, which
//! reaches them through `src/wasm/libc.rs`) and for everything that must format or parse
//! numbers the same way on every target: `printf`'s float conversions (and the shortest
//! round-trip decimal that external-table keys use), `strtod`, and UTC calendar
//! arithmetic with `strftime`. They are compiled on every target, so natively their tests
//! compare them with the system's C library, and natively the key encoding uses them too.

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // natively: keys, and tests
pub(crate) mod printf;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // natively: tests
pub(crate) mod strtod;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // natively: tests
pub(crate) mod time;
