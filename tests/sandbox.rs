//! Sandbox mode (src/sandbox.rs): what it refuses, with which message, and what stays.

#![allow(non_snake_case)]

mod common;

use lua_persist::ffi::*;
use lua_persist::lua::{self, OwnedState};
use lua_persist::sandbox;

fn sandboxed() -> OwnedState {
    let state = OwnedState::with_libs(usize::MAX).unwrap();
    // SAFETY: a fresh state with its libraries.
    unsafe { sandbox::apply(state.as_ptr()) }.unwrap();
    state
}

fn run(state: &OwnedState, code: &str) -> Result<String, String> {
    // SAFETY: the chunk is on top of a valid state.
    common::run_chunk(state.as_ptr(), code, |L| unsafe { lua_pcall(L, 0, 1, 0) })
}

#[test]
fn each_removed_function_refuses_with_its_name() {
    let state = sandboxed();
    for (library, name) in sandbox::REFUSED {
        let (library, name) = (library.to_str().unwrap(), name.to_str().unwrap());
        let full = if library == "_G" {
            name.to_string()
        } else {
            format!("{library}.{name}")
        };
        let error = run(&state, &format!("return {full}('x', 'y')")).unwrap_err();
        assert!(
            error.contains(&format!("{full} is not available in sandbox mode")),
            "{full}: {error}"
        );
    }
}

#[test]
fn files_and_programs_are_out_of_reach() {
    let state = sandboxed();
    for (code, message) in [
        (
            "return io.input('/etc/passwd')",
            "io.input is not available",
        ),
        ("return io.output('/tmp/x')", "io.output is not available"),
        (
            "return require('os_is_fine_but_not_this')",
            "module 'os_is_fine_but_not_this' not found",
        ),
        (
            "return debug.getinfo(1)",
            "attempt to call a nil value (field 'getinfo')",
        ),
        (
            "return debug.sethook()",
            "attempt to call a nil value (field 'sethook')",
        ),
    ] {
        let error = run(&state, code).unwrap_err();
        assert!(error.contains(message), "{code}: {error}");
    }
    // What stays: default files, the clock, text chunks, preloaded modules, tracebacks.
    assert_eq!(run(&state, "return io.type(io.output())").unwrap(), "file");
    assert_eq!(
        run(&state, "return math.type(os.time())").unwrap(),
        "integer"
    );
    assert_eq!(run(&state, "return load('return 6 * 7')()").unwrap(), "42");
    assert_eq!(
        run(
            &state,
            "package.preload.m = function() return 'm' end return require('m')"
        )
        .unwrap(),
        "m"
    );
    assert!(run(&state, "return debug.traceback('here')")
        .unwrap()
        .starts_with("here\nstack traceback:"));
    assert_eq!(
        run(&state, "return require('string') == string and 'same'").unwrap(),
        "same"
    );
}

#[test]
fn binary_chunks_are_refused_even_mutated() {
    let state = sandboxed();
    let error = run(
        &state,
        "return assert(load(string.dump(function() return 1 end)))",
    )
    .unwrap_err();
    assert!(
        error.contains("attempt to load a binary chunk (mode is 't')"),
        "{error}"
    );
    // load returns nil and the message for a refused chunk; here it is raised by assert.
    let mutated = "local b = string.dump(function(a) return a + 1 end) \
        local m = b:sub(1, 40) .. string.char(255, 255, 255, 127) .. b:sub(45) \
        return assert(load(m, 'mutated', 'b'))";
    let error = run(&state, mutated).unwrap_err();
    assert!(error.contains("attempt to load a binary chunk"), "{error}");
    // Through a reader function too, and with an explicit environment.
    let reader = "local b = string.dump(function() end) local done \
        return assert(load(function() if not done then done = true return b end end, 'r', 'bt', {}))";
    assert!(run(&state, reader).unwrap_err().contains("binary chunk"));
    assert_eq!(
        run(
            &state,
            "local env = {x = 5} return load('return x', 't', 'bt', env)()"
        )
        .unwrap(),
        "5"
    );
}

#[test]
fn the_host_lets_scripts_read_files_in_some_directories() {
    let root = tempfile::tempdir().unwrap();
    let readable = root.path().join("readable");
    let secret = root.path().join("secret");
    std::fs::create_dir_all(&readable).unwrap();
    std::fs::create_dir_all(&secret).unwrap();
    std::fs::write(readable.join("data.txt"), "one\ntwo\n").unwrap();
    std::fs::write(readable.join("code.lua"), "return 40 + 2").unwrap();
    std::fs::write(secret.join("key.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(secret.join("key.txt"), readable.join("link.txt")).unwrap();
    // A binary chunk in the readable directory: loadfile reads text only.
    let state = OwnedState::with_libs(usize::MAX).unwrap();
    let dumped = run(&state, "return string.dump(function() return 1 end)").unwrap();
    std::fs::write(readable.join("binary.luac"), dumped.as_bytes()).unwrap_or(());
    let state = OwnedState::with_libs(usize::MAX).unwrap();
    let options = sandbox::SandboxOptions {
        readable_dirs: vec![readable.clone()],
    };
    // SAFETY: a fresh state with its libraries.
    unsafe { sandbox::apply_with(state.as_ptr(), &options) }.unwrap();
    let r = readable.to_str().unwrap();
    let s = secret.to_str().unwrap();
    assert_eq!(
        run(&state, &format!("return io.open('{r}/data.txt'):read('a')")).unwrap(),
        "one\ntwo\n"
    );
    assert_eq!(
        run(
            &state,
            &format!("local n = 0 for l in io.lines('{r}/data.txt') do n = n + 1 end return n")
        )
        .unwrap(),
        "2"
    );
    assert_eq!(
        run(
            &state,
            &format!("return assert(loadfile('{r}/code.lua'))()")
        )
        .unwrap(),
        "42"
    );
    for (code, message) in [
        (
            format!("return io.open('{s}/key.txt')"),
            "is not in a readable directory",
        ),
        (
            format!("return io.open('{r}/link.txt')"),
            "is not in a readable directory",
        ),
        (
            format!("return io.open('{r}/../secret/key.txt')"),
            "is not in a readable directory",
        ),
        (
            format!("return io.lines('{s}/key.txt')"),
            "is not in a readable directory",
        ),
        (
            format!("return io.open('{r}/new.txt', 'w')"),
            "files open only to read",
        ),
        (
            format!("return io.open('{r}/data.txt', 'a+')"),
            "files open only to read",
        ),
        (
            format!("return assert(loadfile('{r}/binary.luac'))"),
            "attempt to load a binary chunk",
        ),
        (
            format!("return dofile('{r}/code.lua')"),
            "dofile is not available in sandbox mode",
        ),
    ] {
        let error = run(&state, &code).unwrap_err();
        assert!(error.contains(message), "{code}: {error}");
    }
    // A missing file inside is Lua's own answer; the directory must exist.
    assert_eq!(
        run(
            &state,
            &format!("return select(2, io.open('{r}/none.txt'))")
        )
        .unwrap(),
        format!("{r}/none.txt: No such file or directory")
    );
    let state = OwnedState::with_libs(usize::MAX).unwrap();
    let missing = sandbox::SandboxOptions {
        readable_dirs: vec![root.path().join("nowhere")],
    };
    // SAFETY: a fresh state with its libraries.
    let error = unsafe { sandbox::apply_with(state.as_ptr(), &missing) }.unwrap_err();
    assert!(
        matches!(error, sandbox::SandboxError::ReadableDir { .. }),
        "{error}"
    );
}

#[test]
fn deserialize_makes_no_functions_from_a_scripts_bytes_under_trust() {
    let state = OwnedState::with_libs(usize::MAX).unwrap();
    // SAFETY: a fresh state; persist opens before the sandbox.
    unsafe {
        lua::protected(state.as_ptr(), &mut |L| {
            lua_persist::runner::open_persist(L)
        })
        .unwrap();
        sandbox::apply(state.as_ptr()).unwrap();
    }
    let error = run(
        &state,
        "return persist.deserialize(persist.serialize(function() return 1 end))",
    )
    .unwrap_err();
    assert!(
        error.contains("functions are not made from a script's bytes in sandbox mode"),
        "{error}"
    );
    assert_eq!(
        run(
            &state,
            "return persist.deserialize(persist.serialize({a = 'data'})).a"
        )
        .unwrap(),
        "data"
    );
    // The policy is back to "trust" afterwards (the host's values load as before).
    // SAFETY: a valid state.
    let policy = unsafe { lua_persist::trust::bytecode_policy(state.as_ptr()) };
    assert_eq!(policy, lua_persist::trust::BytecodePolicy::Trust);
    // Under "authenticate", what this state signed loads; crafted bytes do not.
    let state = OwnedState::with_libs(usize::MAX).unwrap();
    // SAFETY: a fresh state; persist opens and the policy is set before the sandbox.
    unsafe {
        lua::protected(state.as_ptr(), &mut |L| {
            lua_persist::runner::open_persist(L)
        })
        .unwrap();
        lua_persist::trust::set_bytecode_policy(
            state.as_ptr(),
            &lua_persist::trust::BytecodePolicy::Authenticate(vec![7; 32]),
        )
        .unwrap();
        sandbox::apply(state.as_ptr()).unwrap();
    }
    assert_eq!(
        run(
            &state,
            "return persist.deserialize(persist.serialize(function() return 5 end))()"
        )
        .unwrap(),
        "5"
    );
}
