//! The native check of the downstream crate (scripts/test): every chunk gives its result.

fn main() {
    for (case, &(chunk, expected)) in downstream_wasm::CHUNKS.iter().enumerate() {
        let got = downstream_wasm::downstream_run(case as i32);
        assert_eq!(got, expected, "chunk {case}: {chunk:?}");
    }
    println!(
        "downstream-wasm (native): {} chunks ok",
        downstream_wasm::CHUNKS.len()
    );
}
