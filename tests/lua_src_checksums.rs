//! lua-src/ must stay byte-identical to upstream Lua 5.4.9 (lua-src/VERSION says where it
//! comes from). Every file listed in lua-src/SHA256SUMS must match, and no C file may be
//! added or left out of the list.

use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn lua_sources_match_their_recorded_checksums() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lua-src");
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).expect("lua-src/SHA256SUMS");
    let mut listed = BTreeSet::new();
    for line in sums.lines() {
        let (expected, name) = line.split_once("  ").expect("`<sha256>  <file>` lines");
        let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("lua-src/{name}: {e}"));
        let actual = format!("{:x}", Sha256::digest(&bytes));
        assert_eq!(actual, expected, "lua-src/{name} differs from upstream Lua");
        listed.insert(name.to_string());
    }
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".c") || n.ends_with(".h"))
        .collect();
    assert_eq!(
        present, listed,
        "lua-src/ has C files that SHA256SUMS does not list, or lacks listed ones"
    );
    assert!(listed.len() >= 59, "the full Lua 5.4 core and libraries");
}
