//! The native runner with its durable store: values persist across runs, the prompt works,
//! bytecode it did not write is not loaded silently, and the store survives SIGKILL,
//! concurrent writers and bad files.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

mod common_runner;

use common_runner::{text, Setup};

#[test]
fn the_counter_example_counts_and_its_closure_remembers() {
    let s = Setup::new();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/counter.lua");
    let example = example.to_str().unwrap();
    let first = s.run(&[example]);
    assert_eq!(
        text(&first.stdout),
        "run number 1\nhello, visitor 1! guests so far: visitor 1\n",
        "{}",
        text(&first.stderr)
    );
    let second = s.run(&[example]);
    assert_eq!(
        text(&second.stdout),
        "run number 2\nhello, visitor 2! guests so far: visitor 1, visitor 2\n"
    );
}

#[test]
fn values_tables_closures_and_c_functions_persist() {
    let s = Setup::new();
    s.lua(
        r#"
        local shared = {name = "shared"}
        local t = {shared, shared, n = 1.5, s = "\0bytes\255", b = false, [10] = -0.0}
        t.self = t
        _home.t = t
        local count = 0
        local function counter() count = count + 1 return count end
        counter() counter()
        _home.counter = counter
        _home.pair = {counter, counter}
        _home.fmt = string.format
        _home.big = ("x"):rep(200000)
        local ext = ext.table()
        ext.hello = "world"
        _home.ext = ext
        "#,
    );
    let out = s.lua(
        r#"
        local t = _home.t
        print(t[1] == t[2], t[1].name, t.n, math.type(t.n), t.s == "\0bytes\255", t.b)
        print(t.self == t, t.self.self.n, 1 / t[10])
        local counter = _home.counter
        print(counter(), counter())
        -- Each entry of a converted table is a value of its own (README), so the two
        -- entries are two copies of the closure as it was stored.
        local pair = _home.pair
        print(pair[1] == pair[2], pair[1](), pair[2]())
        print(_home.fmt("%05.1f", 3.14159), #_home.big, _home.ext.hello)
        "#,
    );
    assert_eq!(
        out,
        "true\tshared\t1.5\tfloat\ttrue\tfalse\ntrue\t1.5\t-inf\n3\t4\nfalse\t3\t3\n003.1\t200000\tworld\n"
    );
}

#[test]
fn the_store_location_defaults_to_the_environment_then_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    let run = |env_store: Option<&Path>, code: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lua-persist"));
        c.current_dir(dir.path())
            .env("LUA_PERSIST_KEY", &key)
            .args(["-e", code]);
        match env_store {
            Some(p) => c.env("LUA_PERSIST_STORE", p),
            None => c.env_remove("LUA_PERSIST_STORE"),
        };
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        text(&o.stdout)
    };
    run(None, "_home.where = 'default'");
    assert!(dir.path().join(".lua-persist.db").is_file());
    let elsewhere = dir.path().join("elsewhere.db");
    run(Some(&elsewhere), "_home.where = 'env'");
    assert_eq!(run(None, "print(_home.where)"), "default\n");
    assert_eq!(run(Some(&elsewhere), "print(_home.where)"), "env\n");
    assert_eq!(
        run(Some(Path::new(":memory:")), "print(_home.where)"),
        "nil\n"
    );
}

#[test]
fn the_prompt_prints_results_continues_lines_and_survives_errors() {
    let s = Setup::new();
    let mut child = s
        .command(&["-i"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = "x = 20\nx + 1\n=x * 2\nfor i = 1, 2 do\nprint('line', i)\nend\n\
                 error('boom')\nreturn 1, nil, 'three'\n_home.seen = x\nlocal t = {\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let out = text(&o.stdout);
    assert!(out.starts_with("Lua 5.4"), "-i shows the version: {out}");
    assert!(
        out.contains("\n21\n40\nline\t1\nline\t2\n1\tnil\tthree\n"),
        "{out}"
    );
    let err = text(&o.stderr);
    assert!(err.contains("lua-persist: stdin:1: boom"), "{err}");
    assert!(
        err.contains("stdin:1: unexpected symbol near <eof>"),
        "an unfinished chunk at the end: {err}"
    );
    assert_eq!(s.lua("print(_home.seen)"), "20\n");
}

#[test]
fn without_a_script_standard_input_runs_when_it_is_not_a_terminal() {
    let s = Setup::new();
    let mut child = s
        .command(&[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"print(1 + 1)")
        .unwrap();
    assert_eq!(text(&child.wait_with_output().unwrap().stdout), "2\n");
}

#[test]
fn functions_the_runner_did_not_sign_are_refused_and_data_still_loads() {
    let s = Setup::new();
    s.lua("local n = 41 _home.f = function() n = n + 1 return n end _home.data = {1, 2}");
    // Another user's key: the closure does not load, plain data does.
    let foreign = s
        .command(&["-e", "print(#_home.data) print(_home.f)"])
        .env("LUA_PERSIST_KEY", s.dir.path().join("other-key"))
        .output()
        .unwrap();
    assert_eq!(text(&foreign.stdout), "2\n");
    assert!(
        text(&foreign.stderr).contains("key \"f\" holds bad data: signature mismatch"),
        "{}",
        text(&foreign.stderr)
    );
    // Unsigned bytecode put into the store by something else.
    let unsigned = {
        let o = s.run(&[
            "--store",
            ":memory:",
            "-e",
            "io.write(persist.serialize(function() return 'evil' end))",
        ]);
        o.stdout
    };
    let mut store = lua_persist::store::SqliteStore::open(s.store()).unwrap();
    lua_persist::store::ExtStore::set(&mut store, 1, b"g", &unsigned).unwrap();
    drop(store);
    let o = s.run(&["-e", "print(_home.g)"]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("unsigned function payload refused"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(
        s.lua("print(_home.f())"),
        "42\n",
        "what the runner signed still loads"
    );
}

#[test]
fn bad_store_files_get_a_clear_error_and_stay_unchanged() {
    let s = Setup::new();
    std::fs::write(s.store(), b"my thesis, not a database").unwrap();
    let o = s.run(&["-e", "_home.x = 1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("not a lua-persist store"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(
        std::fs::read(s.store()).unwrap(),
        b"my thesis, not a database"
    );
}

#[test]
fn export_and_import_move_a_store_and_guard_its_functions() {
    let s = Setup::new();
    s.lua("local n = 0 _home.f = function() n = n + 1 return n end _home.t = {a = {b = 'deep'}}");
    let dump = s.dir.path().join("moved.dump");
    let o = s.run(&["--export", dump.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));

    // Same user, new store: everything loads.
    let target = s.dir.path().join("target.db");
    let t = target.to_str().unwrap();
    let o = s.run(&["--store", t, "--import", dump.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = s.run(&["--store", t, "-e", "print(_home.f(), _home.t.a.b)"]);
    assert_eq!(text(&o.stdout), "1\tdeep\n", "{}", text(&o.stderr));
    // Importing twice: the store is no longer empty.
    let o = s.run(&["--store", t, "--import", dump.to_str().unwrap()]);
    assert!(text(&o.stderr).contains("not empty"), "{}", text(&o.stderr));

    // Another user's key: refused unless trusted; then it loads.
    let other = |args: &[&str]| {
        s.command(args)
            .env("LUA_PERSIST_KEY", s.dir.path().join("other-key"))
            .output()
            .unwrap()
    };
    let theirs = s.dir.path().join("theirs.db");
    let th = theirs.to_str().unwrap();
    let o = other(&["--store", th, "--import", dump.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("--import-trusted"),
        "{}",
        text(&o.stderr)
    );
    let count_keys = "local n = 0 for _ in pairs(_home) do n = n + 1 end print(n)";
    assert_eq!(
        text(&other(&["--store", th, "-e", count_keys]).stdout),
        "0\n",
        "nothing imported"
    );
    let o = other(&["--store", th, "--import-trusted", dump.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        text(&other(&["--store", th, "-e", "print(_home.f())"]).stdout),
        "1\n"
    );
}

/// Starts a runner that writes `_home[i] = i` for i = 1, 2, ... and prints i after each
/// write returned: a printed number is an acknowledged write.
fn spawn_writer(s: &Setup, prefix: &str) -> Child {
    let code = format!(
        "for i = 1, math.huge do _home['{prefix}' .. i] = i io.write(i, '\\n') io.stdout:flush() end"
    );
    s.command(&["-e", &code])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn sigkill_during_a_write_loop_loses_no_acknowledged_write() {
    let s = Setup::new();
    let mut child = spawn_writer(&s, "k");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acknowledged = 0;
    while acknowledged < 300 {
        acknowledged = lines.next().unwrap().unwrap().parse().unwrap();
    }
    // SAFETY-free: kill(2) through the command line, SIGKILL as the issue asks.
    let killed = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for line in lines.map_while(Result::ok) {
        acknowledged = line.parse().unwrap(); // acknowledged before the kill arrived
    }
    let status = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );
    let check = format!(
        "local missing = 0 for i = 1, {acknowledged} do if _home['k' .. i] ~= i then missing = missing + 1 end end print(missing)"
    );
    assert_eq!(
        s.lua(&check),
        "0\n",
        "all {acknowledged} acknowledged writes are there"
    );
    s.assert_store_intact();
}

#[test]
fn two_runners_writing_at_once_do_not_corrupt_the_store() {
    let s = Setup::new();
    s.lua("_home.start = true"); // the store exists before both open it
    let code = |p: &str| {
        format!("for i = 1, 400 do _home['{p}' .. i] = {{i = i, who = '{p}'}} end print('done')")
    };
    let a = s
        .command(&["-e", &code("a")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let b = s
        .command(&["-e", &code("b")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for (o, p) in [(&a, "a"), (&b, "b")] {
        // Each waits for the other's writes; one that waited too long says so clearly.
        assert!(
            o.status.success() || text(&o.stderr).contains("locked by another process"),
            "writer {p}: {}",
            text(&o.stderr)
        );
    }
    assert!(
        a.status.success() && b.status.success(),
        "the default wait is long enough here"
    );
    let out = s.lua(
        "local n = 0 for k, v in pairs(_home) do if type(v) == 'table' and v.who .. v.i == k then n = n + 1 end end print(n)",
    );
    assert_eq!(out, "800\n");
    s.assert_store_intact();
}

#[test]
fn an_empty_external_table_keeps_its_id_across_runs() {
    let s = Setup::new();
    // ext.table() writes nothing; its id must still never be given out again.
    s.lua("_home.empty = ext.table()");
    s.lua("_home.other = {filled = true}");
    assert_eq!(
        s.lua("print(_home.empty.filled, _home.other.filled)"),
        "nil\ttrue\n"
    );
}

/// Runs the runner under a pseudo-terminal (util-linux `script`), typing a line after each
/// prompt appears: the prompt, line editing and history as a user sees them.
#[test]
fn on_a_terminal_the_prompt_edits_lines_and_recalls_history() {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};
    let s = Setup::new();
    let runner = env!("CARGO_BIN_EXE_lua-persist");
    let command = format!(
        "{runner} --store {}",
        s.store().to_str().unwrap() // a temporary path without spaces or quotes
    );
    let mut child = Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .env("LUA_PERSIST_KEY", s.key())
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs");
    let seen = Arc::new(Mutex::new(String::new()));
    let mut out = child.stdout.take().unwrap();
    let reader = {
        let seen = Arc::clone(&seen);
        std::thread::spawn(move || {
            let mut buf = [0; 4096];
            while let Ok(n @ 1..) = std::io::Read::read(&mut out, &mut buf) {
                seen.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let wait_for = |what: &str, count: usize| {
        let start = Instant::now();
        while seen.lock().unwrap().matches(what).count() < count {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "waiting for {what:?} in {:?}",
                seen.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let mut stdin = child.stdin.take().unwrap();
    let mut type_line = |keys: &str| {
        stdin.write_all(keys.as_bytes()).unwrap();
        stdin.flush().unwrap();
    };
    wait_for("> ", 1);
    type_line("_home.n = 6 * 7\r");
    wait_for("> ", 2);
    // Typed with a mistake, fixed with backspace: "_home.nn" -> "_home.n".
    type_line("_home.nn\x7f\r");
    wait_for("42", 1);
    wait_for("> ", 3);
    // Up arrow recalls the last line; Enter runs it again.
    type_line("\x1b[A\r");
    wait_for("42", 2);
    wait_for("> ", 4);
    type_line("\x04"); // Ctrl-D ends the session
    let status = child.wait().unwrap();
    reader.join().unwrap();
    assert!(status.success(), "{:?}", seen.lock().unwrap());
    assert_eq!(s.lua("print(_home.n)"), "42\n");
}

/// Issue 9, item 2: a fresh store gave new tables ids 1 and 2, which are `_home` and `_io`.
#[test]
fn new_tables_never_get_the_ids_of_home_and_io() {
    let check = "_home.users = {} _home.users.alice = 1 \
                 print(rawequal(_home.users, _home), _home.alice, ext.table() == _home, ext.table() == _io)";
    let fresh = Setup::new();
    assert_eq!(fresh.lua(check), "false\tnil\tfalse\tfalse\n");
    // A store written before ids 1 and 2 were reserved still says the next free id is 1.
    let old = Setup::new();
    old.lua("_home.x = 1");
    let conn = rusqlite::Connection::open(old.store()).unwrap();
    conn.execute(
        "UPDATE counters SET value = 1 WHERE name = 'next_free_id'",
        [],
    )
    .unwrap();
    drop(conn);
    assert_eq!(old.lua(check), "false\tnil\tfalse\tfalse\n");
    assert_eq!(old.lua("print(_home.x, _home.users.alice)"), "1\t1\n");
}

/// Issue 9, item 6: a script could replace or edit `_home`'s metatable, so that writes
/// silently stopped reaching the store.
#[test]
fn proxy_metatables_are_protected() {
    let s = Setup::new();
    let out = s.lua(
        "print(getmetatable(_home), getmetatable(_io), getmetatable(ext.table())) \
         print(pcall(setmetatable, _home, {})) \
         local t = ext.table() print(pcall(setmetatable, t, nil)) \
         _home.still = 'stored'",
    );
    assert_eq!(
        out,
        "external table\texternal table\texternal table\n\
         false\tcannot change a protected metatable\n\
         false\tcannot change a protected metatable\n"
    );
    assert_eq!(s.lua("print(_home.still)"), "stored\n");
}

/// Issue 9, item 8: one row of the wrong SQLite type made `pairs` and `--export` fail for
/// every key of its table. Now each bad row is left out (and reported) on its own.
#[test]
fn a_damaged_row_spoils_only_itself() {
    let s = Setup::new();
    s.lua("_home.a = 1 _home.b = 'two' _home.c = {x = 3}");
    let conn = rusqlite::Connection::open(s.store()).unwrap();
    for row in [
        "INSERT INTO entries VALUES (1, 'text key', x'0201000000000000')",
        "INSERT INTO entries VALUES (1, x'6276', 'text value')",
        "INSERT INTO entries VALUES (1, x'6e', 42)",
        "INSERT INTO entries VALUES ('one', x'6b', x'00')",
        "INSERT INTO entries VALUES (-4, x'6b', x'00')",
        "INSERT INTO entries VALUES (1, x'', x'00')",
    ] {
        conn.execute(row, []).unwrap();
    }
    drop(conn);
    let listed = s.lua(
        "local keys = {} for k, v in pairs(_home) do keys[#keys + 1] = k .. '=' .. tostring(type(v) == 'table' and v.x or v) end \
         table.sort(keys) print(table.concat(keys, ' '))",
    );
    assert_eq!(listed, "a=1 b=two c=3\n");
    let bad = s.run(&["-e", "print(_home.bv)"]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr)
            .contains("the value of table 1 key \"bv\" is stored as text, not as bytes"),
        "{}",
        text(&bad.stderr)
    );
    let export = s.run(&["--export", "dump.lpst"]);
    assert!(export.status.success(), "{}", text(&export.stderr));
    let stderr = text(&export.stderr);
    for expected in [
        "skipped table 1 key \"text key\": the key is stored as text, not as bytes",
        "skipped table 1 key \"bv\": the value is stored as text, not as bytes",
        "skipped table 1 key \"n\": the value is stored as integer, not as bytes",
        "skipped table ? key \"k\": the table id is stored as text, not as an integer",
        "skipped table -4 key \"k\": the table id -4 is not from 1 to 4294967295",
        "skipped table 1 key \"\": the key is empty",
        "exported 4 values",
    ] {
        assert!(stderr.contains(expected), "{expected:?} not in {stderr}");
    }
}

/// Issue 9, item 3: the stored bytes of `_home.wipe` copied over `_home.greet` made
/// `_home.greet()` run the other function. The signature now binds a value to its place.
#[test]
fn a_signed_value_moved_to_another_place_does_not_verify() {
    let s = Setup::new();
    s.lua(
        "_home.greet = function() return 'hello' end _home.wipe = function() return 'wiped' end \
         _home.t = {f = function() return 'in t' end}",
    );
    let conn = rusqlite::Connection::open(s.store()).unwrap();
    let copy = |from_table: &str, from_key: &[u8], to_table: &str, to_key: &[u8]| {
        conn.execute(
            &format!(
                "UPDATE entries SET value = (SELECT value FROM entries WHERE table_id = {from_table} AND key = ?1) \
                 WHERE table_id = {to_table} AND key = ?2"
            ),
            rusqlite::params![from_key, to_key],
        )
        .unwrap()
    };
    assert_eq!(copy("1", b"wipe", "1", b"greet"), 1);
    let o = s.run(&["-e", "print(_home.greet())"]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("key \"greet\" holds bad data: signature mismatch"),
        "{}",
        text(&o.stderr)
    );
    // Into another table, same key name: refused as well.
    let t_id: i64 = conn
        .query_row(
            "SELECT table_id FROM entries WHERE key = x'66' AND table_id != 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute("INSERT INTO entries VALUES (1, x'66', x'00')", [])
        .unwrap();
    assert_eq!(copy(&t_id.to_string(), b"f", "1", b"f"), 1);
    let o = s.run(&["-e", "print(_home.f)"]);
    assert!(
        text(&o.stderr).contains("signature mismatch"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(
        s.lua("print(_home.wipe(), _home.t.f())"),
        "wiped\tin t\n",
        "values in place still load"
    );
}

/// Issue 9, item 1: checking a dump decoded it in a live state, so a `__gc` metamethod in
/// the dump ran `os.execute` while the import was refused. Dumps are now checked on their
/// bytes; nothing in them runs.
#[test]
fn importing_a_dump_runs_nothing_from_it() {
    use lua_persist::store::dump::{Dump, DumpEntry};
    let s = Setup::new();
    let pwned = s.dir.path().join("PWNED");
    let code = format!(
        "io.write(persist.serialize(setmetatable({{}}, {{__gc = function() os.execute('id > {}') end}}))) \
         io.stdout:flush() os.exit(0) -- without closing the state: the finalizer must not run here",
        pwned.display()
    );
    let o = s.run(&["--store", ":memory:", "-e", &code]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let dump = Dump {
        next_free_id: 3,
        entries: vec![DumpEntry {
            table_id: 1,
            key: b"x".to_vec(),
            value: o.stdout,
        }],
    };
    let file = s.dir.path().join("evil.dump");
    dump.write_file(&file).unwrap();
    let o = s.run(&["--import", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr)
            .contains("table 1 key \"x\" holds functions that this store's key did not sign"),
        "{}",
        text(&o.stderr)
    );
    assert!(!pwned.exists(), "the dump's finalizer ran");
    let count_keys = "local n = 0 for _ in pairs(_home) do n = n + 1 end print(n)";
    assert_eq!(s.lua(count_keys), "0\n", "nothing imported");
    assert!(!pwned.exists(), "the dump's finalizer ran");
}

/// A dump whose values name tables past its next free id: the import keeps those ids
/// from new tables, so a new table never aliases a stored reference.
#[test]
fn an_import_keeps_referenced_ids_from_new_tables() {
    use lua_persist::store::dump::{Dump, DumpEntry};
    let s = Setup::new();
    let dump = Dump {
        next_free_id: 3,
        entries: vec![
            DumpEntry {
                table_id: 1,
                key: b"far".to_vec(),
                value: b"\x07\x90\x01\x00\x00".to_vec(),
            },
            DumpEntry {
                table_id: 400,
                key: b"x".to_vec(),
                value: b"\x02\x07\0\0\0\0\0\0\0".to_vec(),
            },
        ],
    };
    let file = s.dir.path().join("far.dump");
    dump.write_file(&file).unwrap();
    let o = s.run(&["--import", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        s.lua("local t = {} for i = 1, 500 do t[i] = {} end _home.many = t print(_home.far.x)"),
        "7\n"
    );
    assert_eq!(s.lua("print(_home.far.x, _home.many[1].x)"), "7\tnil\n");
}

/// A store of the first format signed values without their place. Opening it with this
/// build upgrades it and signs this key's values again for where they are, once, so its
/// functions keep loading; a value that was moved before the upgrade is not rescued.
#[test]
fn a_format_1_store_keeps_its_functions() {
    use hmac::{Hmac, Mac};
    let s = Setup::new();
    s.lua("_home.f = function() return 'kept' end _home.t = {g = function() return 'deep' end} _home.n = 5");
    // Make it a format-1 store whose envelopes carry the old MAC (over the inner bytes only).
    let key = std::fs::read(s.key()).unwrap();
    let conn = rusqlite::Connection::open(s.store()).unwrap();
    let rows: Vec<(i64, Vec<u8>, Vec<u8>)> = conn
        .prepare("SELECT table_id, key, value FROM entries")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut signed = 0;
    for (id, k, mut value) in rows {
        if value[0] != 0x0C {
            continue;
        }
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key).unwrap();
        mac.update(&value[37..]);
        value[5..37].copy_from_slice(&mac.finalize().into_bytes());
        conn.execute(
            "UPDATE entries SET value = ?1 WHERE table_id = ?2 AND key = ?3",
            rusqlite::params![value, id, k],
        )
        .unwrap();
        signed += 1;
    }
    assert_eq!(signed, 2);
    conn.execute_batch(
        "DROP TABLE clients; DROP TABLE condemned; \
         DELETE FROM counters WHERE name = 'collect_epoch'; PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(conn);
    let o = s.run(&["-e", "print(_home.f(), _home.t.g(), _home.n)"]);
    assert_eq!(text(&o.stdout), "kept\tdeep\t5\n", "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("upgraded; 2 signed values now name their place"));
    // Once: the next run says nothing, and values moved now are refused.
    let o = s.run(&["-e", "print(_home.f())"]);
    assert_eq!(
        (text(&o.stdout), text(&o.stderr)),
        ("kept\n".into(), String::new())
    );
}
