//! README, "Use from Rust": the example there is the code between the README markers of this
//! file, verbatim (`the_readme_shows_this_example` compares), and `the_example_runs` runs it.
#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use std::path::Path;

// README-BEGIN
use lua_persist::ffi::*;
use lua_persist::function_serializer::{set_bytecode_policy, BytecodePolicy};
use lua_persist::limits::{self, LimitExceeded, Limits};
use lua_persist::lua;
use lua_persist::serializer::{deserialize_value, serialize_value_to_vec};
use lua_persist::store::{ExtStore, SqliteStore};
use std::time::Duration;

/// Makes a counter closure in one state, keeps it in an SQLite file, and calls it in
/// another state (as another process would), with its upvalue restored.
fn embed(db: &Path) -> Result<(), Box<dyn std::error::Error>> {
    const KEY: &[u8] = b"a secret only this host knows";
    // A state over Rust's allocator with a 64 MiB cap, the standard libraries, and the
    // bytecode policy set first: only payloads signed with KEY may hold code.
    let owned = lua::OwnedState::with_libs(64 << 20).ok_or("no memory for a state")?;
    let L = owned.as_ptr();
    // SAFETY: L is a live state, used on this thread only (in every block below too).
    unsafe { set_bytecode_policy(L, &BytecodePolicy::Authenticate(KEY.to_vec()))? };

    // What raises must run protected: lua_createtable and lua_setfield may need memory,
    // and an error would jump over this frame. lua::protected runs the body as a C
    // function (on a stack of its own: it sees none of the caller's values) and turns an
    // error into Err(LuaError).
    // SAFETY: as above; the body holds nothing with a destructor.
    unsafe {
        lua::protected(L, &mut |L| {
            lua_createtable(L, 0, 1);
            lua_pushinteger(L, 10);
            lua_setfield(L, -2, c"start".as_ptr());
            lua_setglobal(L, c"config".as_ptr());
        })?;
    }

    // A chunk from someone else runs under limits: limits::pcall is lua_pcall that ends
    // the chunk when it exceeds one ("instruction limit exceeded", as a Lua error).
    owned.set_limits(&Limits {
        memory: Some(16 << 20),
        instructions: Some(1_000_000),
        time: Some(Duration::from_secs(1)),
    })?;
    let chunk = c"local n = config.start return function() n = n + 1 return n end";
    // SAFETY: as above; the stack has room for the chunk and its result.
    unsafe {
        assert_eq!(luaL_loadstring(L, chunk.as_ptr()), LUA_OK);
        assert_eq!(limits::pcall(L, 0, 1, 0), LUA_OK);
    }

    // Persist the closure (signed, as the policy says) and keep it in an SQLite store:
    // table 1 is `_home`, the runners' table; any table id and key will do.
    let mut bytes = Vec::new();
    // SAFETY: as above; -1 is the closure.
    unsafe { serialize_value_to_vec(L, -1, &mut bytes)? };
    let mut store = SqliteStore::open(db)?;
    store.set(1, b"counter", &bytes)?;
    drop(store);

    // Later, elsewhere: a fresh state with the same policy restores and calls it.
    let later = lua::OwnedState::with_libs(64 << 20).ok_or("no memory for a state")?;
    let L = later.as_ptr();
    // SAFETY: as above, for the new state.
    unsafe { set_bytecode_policy(L, &BytecodePolicy::Authenticate(KEY.to_vec()))? };
    let bytes = SqliteStore::open(db)?
        .get(1, b"counter")?
        .ok_or("not stored")?;
    // SAFETY: as above; the restored closure is on top, each call pops what it pushed.
    unsafe {
        deserialize_value(L, &bytes)?;
        for expected in 11..=13 {
            lua_pushvalue(L, -1);
            assert_eq!(limits::pcall(L, 0, 1, 0), LUA_OK);
            assert_eq!(lua_tointeger(L, -1), expected);
            lua_pop(L, 1);
        }
    }

    // A runaway chunk stops at its limit; the state stays usable.
    later.set_limits(&Limits {
        instructions: Some(100_000),
        ..Limits::NONE
    })?;
    // SAFETY: as above.
    unsafe {
        assert_eq!(luaL_loadstring(L, c"while true do end".as_ptr()), LUA_OK);
        assert_eq!(limits::pcall(L, 0, 0, 0), LUA_ERRRUN);
        lua_pop(L, 1); // the error message
    }
    assert!(matches!(
        later.exceeded(),
        Some(LimitExceeded::Instructions { limit: 100_000 })
    ));
    Ok(())
}
// README-END

#[test]
fn the_example_runs() {
    let dir = tempfile::tempdir().unwrap();
    embed(&dir.path().join("values.db")).unwrap();
}

#[test]
fn the_readme_shows_this_example() {
    let this = include_str!("use_from_rust.rs");
    let begin = "// README-BEGIN\n";
    let example =
        &this[this.find(begin).unwrap() + begin.len()..this.find("// README-END").unwrap()];
    let readme = include_str!("../README.md");
    let block = format!("```rust\n{example}```\n");
    assert!(
        readme.contains(&block),
        "README.md's \"Use from Rust\" example differs from tests/use_from_rust.rs; paste this block:\n{block}"
    );
}
