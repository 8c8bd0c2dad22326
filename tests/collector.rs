//! The collector of unreachable external tables (issue 9, item 4): overwritten tables do not
//! pile up, everything reachable still reads, and a collection never removes a table that
//! another live process holds, has reserved or is writing.
#![allow(non_snake_case)] // `L` is the Lua state, as in the C API.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use lua_persist::ext_table;
use lua_persist::ffi::*;
use lua_persist::lua;
use lua_persist::store::{ExtStore, MemoryStore};

mod common_runner;

use common_runner::{text, Setup};

#[test]
fn ten_thousand_overwrites_then_a_collection_leave_the_live_size() {
    let s = Setup::new();
    s.lua(
        "_home.keep = {name = 'kept', list = {1, 2, 3}} \
         _home.f = function() return _home.keep.name end \
         for i = 1, 10000 do _home.t = {x = i, inner = {i}} end",
    );
    let (tables, _) = s.size();
    assert!(
        tables < 2_500,
        "automatic collections keep garbage bounded: {tables} tables"
    );
    let report = s.collect();
    assert!(report.contains("; 5 live; 0 kept"), "{report}");
    // _home, keep, keep.list, t, t.inner: 2 + 2 + 3 + 2 + 1 + ... entries.
    assert_eq!(s.size(), (5, 3 + 2 + 3 + 2 + 1));
    assert_eq!(
        s.lua("print(_home.t.x, _home.t.inner[1], _home.keep.list[3], _home.f())"),
        "10000\t10000\t3\tkept\n"
    );
    // A second collection finds nothing more.
    assert!(s.collect().contains("removed 0 tables (0 values); 5 live"));
}

#[test]
fn references_inside_closures_and_signed_values_keep_their_tables() {
    let s = Setup::new();
    s.lua(
        "local config = {depth = {value = 42}} \
         _home.get = function() return config.depth.value end \
         local backing = ext.table() backing.n = 7 \
         _home.counter = function() backing.n = backing.n + 1 return backing.n end \
         _home.garbage = {1} _home.garbage = nil",
    );
    let report = s.collect();
    assert!(report.contains("removed 1 tables (1 values)"), "{report}");
    assert_eq!(s.lua("print(_home.get(), _home.counter())"), "42\t8\n");
}

/// The collection API on a store that one state uses: held proxies keep their tables.
#[test]
fn a_state_keeps_the_tables_it_holds() {
    let L = lua::new_state(usize::MAX);
    // SAFETY: a fresh state.
    unsafe {
        luaL_openlibs(L);
        ext_table::install(L, Box::new(MemoryStore::new()), false).unwrap();
        let code = c"local held = {x = 1} _home.a = held held = _home.a _home.a = nil \
                      _home.b = {y = 2} _home.b = {y = 3} \
                      local done = ext.collect() \
                      assert(done.removed == 1 and done.entries == 1, done.removed) \
                      assert(held.x == 1) _home.back = held \
                      held = nil collectgarbage() \
                      done = ext.collect() assert(done.removed == 0 and done.live == 3) \
                      _home.back = nil assert(ext.collect().removed == 1)";
        let status = luaL_dostring(L, code.as_ptr());
        if status != LUA_OK {
            panic!("{:?}", lua::tostring(L, -1).map(text));
        }
        lua::close(L);
    }
}

#[test]
fn the_single_user_collector_follows_references_and_deletes_the_rest() {
    let mut store = MemoryStore::new();
    // _home.a -> 3 -> 4; 5 is referenced only by garbage 6; 7 is held.
    store.set(1, b"a", b"\x07\x03\0\0\0").unwrap();
    store
        .set(3, b"next", b"\x08\x01\0\0\0\0\0\0\0\x07\x04\0\0\0\x00")
        .unwrap();
    store.set(4, b"v", b"\x02\x01\0\0\0\0\0\0\0").unwrap();
    store.set(6, b"r", b"\x07\x05\0\0\0").unwrap();
    store.set(5, b"v", b"\x00").unwrap();
    store.set(7, b"v", b"\x00").unwrap();
    store.set(8, b"bad", b"\x08\xff").unwrap();
    let done = store.collect(&[7]).unwrap();
    assert_eq!(
        (
            done.live_tables,
            done.removed_tables,
            done.removed_entries,
            done.unreadable_values
        ),
        (4, 3, 3, 1)
    );
    assert_eq!(store.table_ids().unwrap(), vec![1, 3, 4, 7]);
}

/// Starts a runner that runs `code` and reports each line it prints.
fn spawn(s: &Setup, code: &str) -> (Child, std::io::Lines<BufReader<std::process::ChildStdout>>) {
    let mut child = s
        .command(&["-e", code])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    (child, lines)
}

fn touch(dir: &Path, name: &str) {
    std::fs::write(dir.join(name), b"").unwrap();
}

/// A process holds a table that another process unlinks and collects: the table stays until
/// the holder lets it go, and the holder can link it back with everything in it.
#[test]
fn a_table_another_process_holds_is_kept() {
    let s = Setup::new();
    s.lua("_home.keep = {x = 'precious', deep = {y = 1}}");
    let (mut holder, mut lines) = spawn(
        &s,
        "local t = _home.keep print('holding') io.stdout:flush() \
         while not io.open('go') do end \
         _home.again = t print(t.x, t.deep.y)",
    );
    assert_eq!(lines.next().unwrap().unwrap(), "holding");
    s.lua("_home.keep = nil");
    let report = s.collect();
    assert!(
        report.contains("removed 0 tables") && report.contains("2 kept"),
        "{report}"
    );
    touch(s.dir.path(), "go");
    assert_eq!(lines.next().unwrap().unwrap(), "precious\t1");
    assert!(holder.wait().unwrap().success());
    assert!(s
        .collect()
        .contains("removed 0 tables (0 values); 3 live; 0 kept"));
    assert_eq!(
        s.lua("print(_home.again.x, _home.again.deep.y)"),
        "precious\t1\n"
    );

    // A holder that ends without linking it back lets it go.
    std::fs::remove_file(s.dir.path().join("go")).unwrap();
    let (mut holder, mut lines) = spawn(
        &s,
        "local t = _home.again print('holding') io.stdout:flush() while not io.open('go') do end",
    );
    assert_eq!(lines.next().unwrap().unwrap(), "holding");
    s.lua("_home.again = nil");
    assert!(s.collect().contains("2 kept"));
    touch(s.dir.path(), "go");
    assert!(holder.wait().unwrap().success());
    assert!(s.collect().contains("removed 2 tables (3 values); 0 live"));
}

/// A killed holder is noticed (its lock file is no longer locked).
#[test]
fn a_killed_process_holds_nothing() {
    let s = Setup::new();
    s.lua("_home.keep = {x = 1}");
    let (mut holder, mut lines) = spawn(
        &s,
        "local t = _home.keep print('holding') io.stdout:flush() while true do end",
    );
    assert_eq!(lines.next().unwrap().unwrap(), "holding");
    s.lua("_home.keep = nil");
    assert!(s.collect().contains("1 kept"));
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert!(s
        .collect()
        .contains("removed 1 tables (1 values); 0 live; 0 kept"));
}

/// Two processes writing tables (and garbage) while collections run, theirs and a third
/// process's: every table they linked is there, whole.
#[test]
fn two_processes_writing_during_collections_lose_nothing() {
    let s = Setup::new();
    s.lua("_home.start = true");
    let writer = |name: &str| {
        s.command(&[
            "-e",
            &format!(
                "for i = 1, 400 do \
                   _home['{name}' .. i] = {{v = i, sub = {{i, {{deep = i}}}}}} \
                   _home.scratch_{name} = {{i}} \
                 end"
            ),
        ])
        .spawn()
        .unwrap()
    };
    let (mut a, mut b) = (writer("a"), writer("b"));
    let mut collections = 0;
    while a.try_wait().unwrap().is_none() || b.try_wait().unwrap().is_none() {
        s.collect();
        collections += 1;
    }
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    assert!(collections > 0);
    let check = "local n = 0 for _, w in ipairs({'a', 'b'}) do for i = 1, 400 do \
                 local t = _home[w .. i] \
                 if t.v == i and t.sub[1] == i and t.sub[2].deep == i then n = n + 1 end end end print(n)";
    assert_eq!(s.lua(check), "800\n");
    s.collect();
    assert_eq!(s.lua(check), "800\n");
    // _home, 800 × 3 tables, two scratch tables.
    assert_eq!(s.size().0, 1 + 800 * 3 + 2);
}

/// Collector state in the file is bytes from someone else too: odd client rows (a block
/// over every id, a held list of odd length, no lock file) and junk condemned rows neither
/// crash a collection nor make it remove what is reachable.
#[test]
fn junk_in_the_collectors_tables_is_harmless() {
    let s = Setup::new();
    s.lua("_home.keep = {x = 1} _home.gone = {y = 2} _home.gone = nil");
    let conn = rusqlite::Connection::open(s.store()).unwrap();
    conn.execute_batch(
        "INSERT INTO clients (pid, block_start, block_end, seen_epoch, held) \
           VALUES (1, 0, 4294967295, 0, x'0102030405'); \
         INSERT INTO clients (pid, held) VALUES (2, x'07000000'); \
         INSERT INTO condemned VALUES (99999, -5), (1, 1000);",
    )
    .unwrap();
    drop(conn);
    let report = s.collect();
    // The junk clients have no locked file: they are gone, so what they claim holds nothing.
    assert!(
        report.contains("removed 1 tables (1 values); 2 live; 0 kept"),
        "{report}"
    );
    assert_eq!(s.lua("print(_home.keep.x, _home.gone)"), "1\tnil\n");
    let conn = rusqlite::Connection::open(s.store()).unwrap();
    let rows: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM clients) + (SELECT count(*) FROM condemned)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        rows, 0,
        "dead clients and stale condemned rows are cleaned up"
    );
}
