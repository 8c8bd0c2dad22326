//! Processes sharing one store see each other's committed writes at their next read, even
//! with a read cache, and an atomic block reads one snapshot.

mod common;
mod common_runner;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common_runner::{text, Setup};

#[test]
fn a_read_sees_what_another_process_committed_since_the_last_read() {
    let s = Setup::new();
    s.lua("_home.x = 1");
    let flag = s.dir.path().join("go");
    // Reads x (and so caches it), says so, waits, reads it again.
    let code = format!(
        "for i = 1, 3 do local _ = _home.x end print(_home.x) io.stdout:flush() \
         while not io.open('{}') do end print(_home.x)",
        flag.display()
    );
    let mut reader = s
        .command(&["-e", &code])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(reader.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "1");
    s.lua("_home.x = 2"); // committed when its chunk ends
    std::fs::write(&flag, "").unwrap();
    assert_eq!(lines.next().unwrap().unwrap(), "2");
    assert!(reader.wait().unwrap().success());
}

#[test]
fn an_atomic_block_reads_one_snapshot() {
    let s = Setup::new();
    s.lua("_home.x = 1");
    let flag = s.dir.path().join("go");
    let code = format!(
        "ext.atomic(function() local a = _home.x io.stderr:write('in\\n') \
         while not io.open('{}') do end print(a, _home.x) end)",
        flag.display()
    );
    let mut block = s
        .command(&["-e", &code])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(block.stderr.take().unwrap()).lines();
    assert_eq!(err.next().unwrap().unwrap(), "in");
    // Another process's write waits for the block (busy timeout 10 s) and lands after it.
    let writer = s
        .command(&["-e", "_home.x = 2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    std::fs::write(&flag, "").unwrap();
    let o = block.wait_with_output().unwrap();
    assert!(o.status.success());
    assert_eq!(text(&o.stdout), "1\t1\n");
    let w = writer.wait_with_output().unwrap();
    assert!(w.status.success(), "{}", text(&w.stderr));
    assert_eq!(s.lua("print(_home.x)"), "2\n");
}

#[test]
fn a_store_closed_in_a_process_leaves_the_others_of_that_process_correct() {
    use lua_persist::ext_table::{self, ExtStore};
    use lua_persist::store::SqliteStore;
    let s = Setup::new();
    s.lua("_home.x = 1");
    let open = || -> Box<dyn ExtStore> { Box::new(SqliteStore::open(s.store()).unwrap()) };
    let run = |state: &lua_persist::lua::OwnedState, code: &str| -> String {
        // SAFETY: the chunk is on top of a valid state.
        let call = |l| unsafe { lua_persist::ffi::lua_pcall(l, 0, 1, 0) };
        common::run_chunk(state.as_ptr(), code, call).unwrap()
    };
    let a = lua_persist::lua::OwnedState::with_libs(usize::MAX).unwrap();
    let b = lua_persist::lua::OwnedState::with_libs(usize::MAX).unwrap();
    // SAFETY: fresh states with their libraries.
    unsafe {
        ext_table::install(a.as_ptr(), open(), false).unwrap();
        ext_table::install(b.as_ptr(), open(), false).unwrap();
    }
    assert_eq!(run(&a, "return _home.x"), "1");
    assert_eq!(run(&b, "return _home.x"), "1");
    drop(a); // its store closes; b's connection and cache must stay sound
    for n in 2..6 {
        s.lua(&format!("_home.x = {n}"));
        assert_eq!(run(&b, "return _home.x"), n.to_string());
    }
}
