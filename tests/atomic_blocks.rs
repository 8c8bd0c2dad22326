//! Atomic blocks over external tables (`ext.atomic`): processes sharing an SQLite store
//! lose no increment, a failed block stores nothing, nested blocks join; and the same over
//! the memory store and over a store that cannot undo by itself.

#![allow(non_snake_case)]

mod common;
mod common_runner;

use common_runner::{text, Setup};
use lua_persist::ext_table::{self, ExtStore, MemoryStore, StoreError};
use lua_persist::ffi::*;
use lua_persist::lua::OwnedState;

fn increments_from(processes: usize, per_process: usize) -> String {
    let s = Setup::new();
    s.atomic_increments_on(s.store(), processes, per_process)
}

#[test]
fn processes_lose_no_atomic_increment() {
    assert_eq!(increments_from(2, 500), "1000\n");
    assert_eq!(increments_from(4, 500), "2000\n");
}

#[test]
fn a_failed_block_stores_nothing_and_nested_blocks_join() {
    let s = Setup::new();
    s.lua("_home.a = 1 _home.list = {1, 2}");
    let o = s.run(&[
        "-e",
        "ext.atomic(function() _home.a = 2 _home.b = {x = 1} _home.list[3] = 3 _home.list = nil error('no') end)",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("no"), "{}", text(&o.stderr));
    assert_eq!(
        s.lua("print(_home.a, _home.b, #_home.list, _home.list[3])"),
        "1\tnil\t2\tnil\n"
    );
    // A block's results come back; an inner block joins the outer one, so the outer's
    // failure takes the inner's writes with it.
    assert_eq!(
        s.lua(
            "print(ext.atomic(function(x) return ext.atomic(function() _home.c = x return x * 2 end), 'two' end, 21)) \
             print(pcall(ext.atomic, function() ext.atomic(function() _home.d = 1 end) error('outer') end)) \
             print(_home.c, _home.d)"
        ),
        "42\ttwo\nfalse\t(command line):1: outer\n21\tnil\n"
    );
    // A block in one process is seen whole by another afterwards.
    assert_eq!(s.lua("print(_home.c)"), "21\n");
    assert!(text(
        &s.run(&["-e", "ext.atomic(function() ext.collect() end)"])
            .stderr
    )
    .contains("ext.collect cannot run in ext.atomic"));
    assert!(text(&s.run(&["-e", "ext.atomic(42)"]).stderr)
        .contains("bad argument #1 to 'atomic' (function expected, got number)"));
}

/// A store that cannot undo by itself: `ext_table` writes back what the block replaced.
struct NoUndo(MemoryStore);

impl ExtStore for NoUndo {
    fn set(&mut self, id: u32, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.0.set(id, key, value)
    }
    fn get(&mut self, id: u32, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.get(id, key)
    }
    fn delete(&mut self, id: u32, key: &[u8]) -> Result<(), StoreError> {
        self.0.delete(id, key)
    }
    fn size(&mut self, id: u32) -> Result<usize, StoreError> {
        self.0.size(id)
    }
    fn keys(&mut self, id: u32) -> Result<Vec<Vec<u8>>, StoreError> {
        self.0.keys(id)
    }
    fn next_free_id(&mut self) -> Result<u32, StoreError> {
        self.0.next_free_id()
    }
}

fn run(state: &OwnedState, code: &str) -> Result<String, String> {
    // SAFETY: the chunk is on top of a valid state.
    common::run_chunk(state.as_ptr(), code, |L| unsafe { lua_pcall(L, 0, 1, 0) })
}

#[test]
fn failed_blocks_undo_on_every_kind_of_store() {
    let stores: [Box<dyn ExtStore>; 2] = [
        Box::new(MemoryStore::new()),
        Box::new(NoUndo(MemoryStore::new())),
    ];
    for store in stores {
        let state = OwnedState::with_libs(usize::MAX).unwrap();
        // SAFETY: a fresh state with its libraries.
        unsafe { ext_table::install(state.as_ptr(), store, false) }.unwrap();
        run(&state, "_home.a = 1 _home.t = {k = 'v'}").unwrap();
        let error = run(
            &state,
            "return ext.atomic(function() _home.a = 2 _home.a = 3 _home.t.k = nil _home.t.j = 1 \
             _home.new = {1} error('undo me') end)",
        )
        .unwrap_err();
        assert!(error.contains("undo me"), "{error}");
        assert_eq!(
            run(
                &state,
                "return string.format('%s %s %s %s', _home.a, _home.t.k, _home.t.j, _home.new)"
            )
            .unwrap(),
            "1 v nil nil"
        );
        assert_eq!(
            run(
                &state,
                "ext.atomic(function() _home.a = 5 end) return _home.a"
            )
            .unwrap(),
            "5"
        );
    }
}
