//! The native runner with its durable store: values persist across runs, the prompt works,
//! bytecode it did not write is not loaded silently, and the store survives SIGKILL,
//! concurrent writers and bad files.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// A store file and a key file in a fresh directory.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        Setup { dir: tempfile::tempdir().unwrap() }
    }
    fn store(&self) -> PathBuf {
        self.dir.path().join("store.db")
    }
    fn key(&self) -> PathBuf {
        self.dir.path().join("key")
    }
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lua-persist"));
        c.current_dir(self.dir.path())
            .env_remove("LUA_PERSIST_STORE")
            .env("LUA_PERSIST_KEY", self.key())
            .arg("--store")
            .arg(self.store())
            .args(args);
        c
    }
    fn run(&self, args: &[&str]) -> Output {
        self.command(args).stdin(Stdio::null()).output().unwrap()
    }
    /// The store file opens and passes SQLite's integrity check.
    fn assert_store_intact(&self) {
        let conn = rusqlite::Connection::open(self.store()).unwrap();
        let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(integrity, "ok");
    }
    /// Runs `code` and returns its standard output; fails the test on any error.
    fn lua(&self, code: &str) -> String {
        let o = self.run(&["-e", code]);
        assert!(o.status.success(), "{code}: {}", text(&o.stderr));
        text(&o.stdout)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

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
        c.current_dir(dir.path()).env("LUA_PERSIST_KEY", &key).args(["-e", code]);
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
    assert_eq!(run(Some(Path::new(":memory:")), "print(_home.where)"), "nil\n");
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
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let out = text(&o.stdout);
    assert!(out.starts_with("Lua 5.4"), "-i shows the version: {out}");
    assert!(out.contains("\n21\n40\nline\t1\nline\t2\n1\tnil\tthree\n"), "{out}");
    let err = text(&o.stderr);
    assert!(err.contains("lua-persist: stdin:1: boom"), "{err}");
    assert!(err.contains("stdin:1: unexpected symbol near <eof>"), "an unfinished chunk at the end: {err}");
    assert_eq!(s.lua("print(_home.seen)"), "20\n");
}

#[test]
fn without_a_script_standard_input_runs_when_it_is_not_a_terminal() {
    let s = Setup::new();
    let mut child = s.command(&[]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"print(1 + 1)").unwrap();
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
        let o = s.run(&["--store", ":memory:", "-e", "io.write(persist.serialize(function() return 'evil' end))"]);
        o.stdout
    };
    let mut store = lua_persist::store::SqliteStore::open(s.store()).unwrap();
    lua_persist::store::ExtStore::set(&mut store, 1, b"g", &unsigned).unwrap();
    drop(store);
    let o = s.run(&["-e", "print(_home.g)"]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("unsigned function payload refused"), "{}", text(&o.stderr));
    assert_eq!(s.lua("print(_home.f())"), "42\n", "what the runner signed still loads");
}

#[test]
fn bad_store_files_get_a_clear_error_and_stay_unchanged() {
    let s = Setup::new();
    std::fs::write(s.store(), b"my thesis, not a database").unwrap();
    let o = s.run(&["-e", "_home.x = 1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("not a lua-persist store"), "{}", text(&o.stderr));
    assert_eq!(std::fs::read(s.store()).unwrap(), b"my thesis, not a database");
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
    assert!(text(&o.stderr).contains("--import-trusted"), "{}", text(&o.stderr));
    let count_keys = "local n = 0 for _ in pairs(_home) do n = n + 1 end print(n)";
    assert_eq!(text(&other(&["--store", th, "-e", count_keys]).stdout), "0\n", "nothing imported");
    let o = other(&["--store", th, "--import-trusted", dump.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&other(&["--store", th, "-e", "print(_home.f())"]).stdout), "1\n");
}

/// Starts a runner that writes `_home[i] = i` for i = 1, 2, ... and prints i after each
/// write returned: a printed number is an acknowledged write.
fn spawn_writer(s: &Setup, prefix: &str) -> Child {
    let code = format!(
        "for i = 1, math.huge do _home['{prefix}' .. i] = i io.write(i, '\\n') io.stdout:flush() end"
    );
    s.command(&["-e", &code]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
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
    let killed = Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    for line in lines.map_while(Result::ok) {
        acknowledged = line.parse().unwrap(); // acknowledged before the kill arrived
    }
    let status = child.wait().unwrap();
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(9));
    let check = format!(
        "local missing = 0 for i = 1, {acknowledged} do if _home['k' .. i] ~= i then missing = missing + 1 end end print(missing)"
    );
    assert_eq!(s.lua(&check), "0\n", "all {acknowledged} acknowledged writes are there");
    s.assert_store_intact();
}

#[test]
fn two_runners_writing_at_once_do_not_corrupt_the_store() {
    let s = Setup::new();
    s.lua("_home.start = true"); // the store exists before both open it
    let code = |p: &str| {
        format!("for i = 1, 400 do _home['{p}' .. i] = {{i = i, who = '{p}'}} end print('done')")
    };
    let a = s.command(&["-e", &code("a")]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let b = s.command(&["-e", &code("b")]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for (o, p) in [(&a, "a"), (&b, "b")] {
        // Each waits for the other's writes; one that waited too long says so clearly.
        assert!(
            o.status.success() || text(&o.stderr).contains("locked by another process"),
            "writer {p}: {}",
            text(&o.stderr)
        );
    }
    assert!(a.status.success() && b.status.success(), "the default wait is long enough here");
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
    assert_eq!(s.lua("print(_home.empty.filled, _home.other.filled)"), "nil\ttrue\n");
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
                seen.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let wait_for = |what: &str, count: usize| {
        let start = Instant::now();
        while seen.lock().unwrap().matches(what).count() < count {
            assert!(start.elapsed() < Duration::from_secs(20), "waiting for {what:?} in {:?}", seen.lock().unwrap());
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
