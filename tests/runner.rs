//! The native `lua-persist` runner prints as the standard `lua` does and turns bad input
//! into clear errors with exit code 1.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// The runner without a store file: these tests are about Lua, `tests/persistent_runner.rs`
/// about the store.
fn runner(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lua-persist"))
        .env("LUA_PERSIST_STORE", ":memory:")
        .args(args)
        .output()
        .expect("runner starts")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn runs_chunks_and_scripts_with_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("s.lua");
    std::fs::write(
        &script,
        "#!/usr/bin/env lua\nprint(arg[0] == ..., select('#', ...), ...)\nprint(arg[-1], arg[1])",
    )
    .unwrap();
    let path = script.to_str().unwrap();
    let o = runner(&["-e", "x = 41", "-e", "x = x + 1", path, "a", "b"]);
    assert_eq!(stderr(&o), "");
    assert_eq!(stdout(&o), format!("false\t2\ta\tb\nx = x + 1\ta\n"));
    assert!(o.status.success());
    let o = runner(&["-e", "print(x or 'nil')"]);
    assert_eq!(stdout(&o), "nil\n");
}

#[test]
fn shebang_line_keeps_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("s.lua");
    std::fs::write(&script, "#!shebang\n\nerror('line three')").unwrap();
    let o = runner(&[script.to_str().unwrap()]);
    assert!(stderr(&o).contains("s.lua:3: line three"), "{}", stderr(&o));
}

#[test]
fn errors_go_to_stderr_with_traceback_and_exit_code_1() {
    let o = runner(&[
        "-e",
        "print('before')",
        "-e",
        "error('boom')",
        "-e",
        "print('never')",
    ]);
    assert_eq!(stdout(&o), "before\n");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with("lua-persist: (command line):1: boom\nstack traceback:\n"),
        "{err}"
    );
    let o = runner(&[
        "-e",
        "error(setmetatable({}, {__tostring = function() return 'custom' end}))",
    ]);
    assert_eq!(stderr(&o), "lua-persist: custom\n");
    let o = runner(&["-e", "error({})"]);
    assert!(
        stderr(&o).starts_with("lua-persist: (error object is a table value)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn missing_script_is_a_clear_error() {
    let o = runner(&["no/such/script.lua"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "lua-persist: cannot open no/such/script.lua: No such file or directory\n"
    );
}

#[test]
fn bad_options_print_usage() {
    let o = runner(&["-x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("lua-persist: unrecognized option '-x'\nusage: lua-persist"),
        "{}",
        stderr(&o)
    );
    let o = runner(&["-e"]);
    assert!(stderr(&o).starts_with("lua-persist: '-e' needs argument\n"));
}

#[test]
fn chunk_with_nul_byte_is_a_syntax_error() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("nul.lua");
    std::fs::write(&script, b"print(1)\0print(2)").unwrap();
    let o = runner(&[script.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).ends_with("nul.lua:1: unexpected symbol\n"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn huge_chunk_runs() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("big.lua");
    let mut source = String::from("local n = 0\n");
    for _ in 0..200_000 {
        source.push_str("n = n + 1\n");
    }
    source.push_str("print(n)\n");
    std::fs::write(&script, source).unwrap();
    let o = runner(&[script.to_str().unwrap()]);
    assert_eq!(stdout(&o), "200000\n", "{}", stderr(&o));
}

#[test]
fn script_from_stdin_and_os_exit_status() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lua-persist"))
        .env("LUA_PERSIST_STORE", ":memory:")
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"io.write('from stdin\\n') os.exit(7)")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(stdout(&o), "from stdin\n");
    assert_eq!(o.status.code(), Some(7));
}

#[test]
fn version_flag() {
    let o = runner(&["-v", "-e", "print(_VERSION)"]);
    assert_eq!(
        stdout(&o),
        "Lua 5.4.9  Copyright (C) 1994-2026 Lua.org, PUC-Rio\nLua 5.4\n"
    );
}

#[test]
fn size_t_is_the_platforms_width() {
    // string.pack's `T` is size_t; the wasm32 build's is 4 bytes (wasm/test/module-interface.test.mjs).
    let o = runner(&["-e", "print(string.packsize('T'))"]);
    assert_eq!(stdout(&o), format!("{}\n", std::mem::size_of::<usize>()));
}

#[test]
fn a_running_coroutine_cannot_persist_and_says_why() {
    let o = runner(&[
        "-e",
        "print(select(2, coroutine.wrap(function() return pcall(persist.serialize, coroutine.running()) end)())) \
         local outer outer = coroutine.create(function() \
           return coroutine.wrap(function() return select(2, pcall(persist.serialize, outer)) end)() end) \
         print(select(2, coroutine.resume(outer)))",
    ]);
    assert_eq!(stderr(&o), "");
    assert_eq!(
        stdout(&o),
        "cannot persist the coroutine: it is running\n\
         cannot persist the coroutine: it is running (it resumed another)\n"
    );
}
