//! With `--features buildtime-bindgen`, build.rs regenerates the bindings into OUT_DIR;
//! this test fails when the checked-in src/ffi/bindings.rs differs from them.
//! To update: `cargo test --features buildtime-bindgen --test bindings_fresh` prints the
//! path of the fresh file; copy it over src/ffi/bindings.rs.
#![cfg(feature = "buildtime-bindgen")]

#[test]
fn checked_in_bindings_match_bindgen_output() {
    let fresh_path = concat!(env!("OUT_DIR"), "/bindings.rs");
    let fresh = std::fs::read_to_string(fresh_path).expect("build.rs wrote the bindings");
    let checked_in = include_str!("../src/ffi/bindings.rs");
    assert!(
        fresh == checked_in,
        "src/ffi/bindings.rs is stale: copy {fresh_path} over it"
    );
}
