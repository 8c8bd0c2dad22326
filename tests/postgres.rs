//! External tables on PostgreSQL (`PgStore`), against a real server: the throwaway cluster
//! that `scripts/with-postgres` starts (the README's test command runs every test under it)
//! and names in `$LUA_PERSIST_TEST_PG`. Each test works in a database of its own.
#![cfg(feature = "postgres")]

mod common_runner;
#[path = "common/conformance.rs"]
mod conformance;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common_runner::{text, Setup};
use lua_persist::store::{ExtStore, PgOpenError, PgStore, PG_FORMAT_VERSION};

/// Tests share the server; the one that restarts it has it alone.
static SERVER: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// A share of the server for a test (many at a time).
fn shared() -> std::sync::RwLockReadGuard<'static, ()> {
    SERVER.read().unwrap_or_else(|e| e.into_inner())
}

/// The server's URL (its `postgres` database).
fn server() -> String {
    std::env::var("LUA_PERSIST_TEST_PG").unwrap_or_else(|_| {
        panic!(
            "LUA_PERSIST_TEST_PG is not set: run the tests under a throwaway cluster, \
             `scripts/with-postgres cargo test --features cli` (scripts/test does)"
        )
    })
}

/// The URL of `database` on the test server.
fn url_of(database: &str) -> String {
    let server = server();
    let base = server.rsplit_once('/').unwrap().0;
    format!("{base}/{database}")
}

/// A new, empty database named `name` (dropped first if a run before left it).
fn fresh_database(name: &str) -> String {
    let mut admin = postgres::Client::connect(&server(), postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    url_of(name)
}

fn sql(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

/// Lua: `wait(file)` until the test makes `file`; at most 60 s, so that a runner whose test
/// failed does not spin on after it.
const WAIT: &str = "local function wait(f) local t = os.time() \
    while not io.open(f) do assert(os.time() - t < 60, 'the test never went on') end end";

#[test]
fn pg_store_conforms_and_keeps_everything_after_reopening() {
    let _server = shared();
    let url = fresh_database("lp_conformance");
    conformance::conformance(&mut PgStore::open(&url).unwrap());
    let mut again = PgStore::open(&url).unwrap();
    assert_eq!(
        again.get(1, b"a").unwrap().as_deref(),
        Some(&b"\x01ONE"[..])
    );
    assert_eq!(again.get(7, b"x").unwrap().as_deref(), Some(&b"\x00"[..]));
    assert!(again.next_free_id().unwrap() > 205);
}

#[test]
fn id_blocks_of_two_clients_never_overlap() {
    let _server = shared();
    let url = fresh_database("lp_blocks");
    let mut a = PgStore::open(&url).unwrap();
    let mut b = PgStore::open(&url).unwrap();
    let mut blocks = Vec::new();
    for _ in 0..20 {
        blocks.push(a.reserve_id_block().unwrap().unwrap());
        blocks.push(b.reserve_id_block().unwrap().unwrap());
    }
    // An import's raise (reserve_ids) never moves the sequence back under the others.
    a.reserve_ids(10_000).unwrap();
    blocks.push(b.reserve_id_block().unwrap().unwrap());
    blocks.sort_by_key(|r| r.start);
    for pair in blocks.windows(2) {
        assert!(
            pair[0].end <= pair[1].start,
            "{:?} and {:?} overlap",
            pair[0],
            pair[1]
        );
    }
    assert!(blocks.last().unwrap().start >= 10_000);
}

#[test]
fn what_is_not_a_store_is_refused_and_left_unchanged() {
    let _server = shared();
    // No server there: a port that was free a moment ago.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nobody = format!("postgres://lua_persist:x@127.0.0.1:{port}/postgres");
    assert!(matches!(
        PgStore::open(&nobody),
        Err(PgOpenError::Unreachable { .. })
    ));

    // A wrong password: refused, and the message does not show the password.
    let server = server();
    let wrong = server.replacen("lua_persist:", "lua_persist:wrong", 1);
    let e = PgStore::open(&wrong).unwrap_err();
    assert!(matches!(e, PgOpenError::Authentication { .. }), "{e}");
    assert!(!e.to_string().contains("wrong"), "{e}");
    assert!(
        e.to_string().contains("password authentication failed"),
        "{e}"
    );

    assert!(matches!(
        PgStore::open(&url_of("lp_no_such_database")),
        Err(PgOpenError::NoDatabase { database, .. }) if database == "lp_no_such_database"
    ));
    assert!(matches!(
        PgStore::open("postgres://[bad"),
        Err(PgOpenError::BadUrl { .. })
    ));

    // A database of another program: refused, and no schema of ours appears in it.
    let other = fresh_database("lp_other_program");
    sql(&other)
        .batch_execute("CREATE TABLE accounts (id int)")
        .unwrap();
    let e = PgStore::open(&other).unwrap_err();
    assert!(matches!(e, PgOpenError::NotAStore { .. }), "{e}");
    assert!(e.to_string().contains("public.accounts"), "{e}");
    let schemas = sql(&other)
        .query(
            "SELECT 1 FROM pg_namespace WHERE nspname = 'lua_persist'",
            &[],
        )
        .unwrap();
    assert!(schemas.is_empty(), "nothing written");

    // A schema named like ours that is not ours.
    let squatter = fresh_database("lp_squatter");
    sql(&squatter)
        .batch_execute("CREATE SCHEMA lua_persist")
        .unwrap();
    assert!(matches!(
        PgStore::open(&squatter),
        Err(PgOpenError::NotAStore { .. })
    ));

    // A store of a newer format: refused, unchanged.
    let newer = fresh_database("lp_newer");
    drop(PgStore::open(&newer).unwrap());
    sql(&newer)
        .batch_execute("UPDATE lua_persist.meta SET value = '99' WHERE name = 'format_version'")
        .unwrap();
    let e = PgStore::open(&newer).unwrap_err();
    assert!(
        matches!(&e, PgOpenError::UnsupportedVersion { found, .. } if found == "99"),
        "{e}"
    );
    assert!(e
        .to_string()
        .contains(&format!("reads version {PG_FORMAT_VERSION}")));

    // The runner says the same and exits 1, writing nothing.
    let s = Setup::new();
    let o = s.run_on(&other, &["-e", "_home.x = 1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("not a lua-persist store"),
        "{}",
        text(&o.stderr)
    );
    let o = s.run_on(&wrong, &["-e", "print(1)"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("refused the user or password"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn four_processes_by_500_atomic_increments_end_at_exactly_2000() {
    let _server = shared();
    let url = fresh_database("lp_increments");
    let s = Setup::new();
    assert_eq!(s.atomic_increments_on(&url, 4, 500), "2000\n");
}

#[test]
fn a_read_sees_what_another_client_committed_and_a_block_reads_one_snapshot() {
    let _server = shared();
    let url = fresh_database("lp_cache");
    let s = Setup::new();
    s.lua_on(&url, "_home.x = 1");
    let flag = s.dir.path().join("go");
    // Reads x (so it is cached), says so, waits for the flag, reads it again; then an
    // atomic block reads x twice around a second wait.
    let code = format!(
        "{WAIT} for i = 1, 3 do local _ = _home.x end print(_home.x) io.stdout:flush() \
         wait('{0}') print(_home.x) io.stdout:flush() \
         ext.atomic(function() local a = _home.x print('in block', a) io.stdout:flush() \
           wait('{0}2') print('in block', _home.x == a) end)",
        flag.display()
    );
    let mut reader = s
        .command_on(&url, &["-e", &code])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(reader.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "1");
    s.lua_on(&url, "_home.x = 2");
    std::fs::write(&flag, "").unwrap();
    // The other client's commit is announced (NOTIFY); the reader sees it at a read after
    // the announcement arrives: give it a moment to travel, as the flag file has none.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let seen = lines.next().unwrap().unwrap();
    assert_eq!(seen, "2");
    assert_eq!(lines.next().unwrap().unwrap(), "in block\t2");
    // A writer outside the block waits for it (the block holds the write lock).
    let mut writer = s.command_on(&url, &["-e", "_home.x = 3"]).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        writer.try_wait().unwrap().is_none(),
        "the writer waits for the block"
    );
    std::fs::write(s.dir.path().join("go2"), "").unwrap();
    assert_eq!(lines.next().unwrap().unwrap(), "in block\ttrue");
    assert!(reader.wait().unwrap().success());
    assert!(writer.wait().unwrap().success());
    assert_eq!(s.lua_on(&url, "print(_home.x)"), "3\n");
}

#[test]
fn a_server_restart_in_a_write_loop_loses_no_acknowledged_write() {
    let _server = SERVER.write().unwrap_or_else(|e| e.into_inner());
    let url = fresh_database("lp_restart");
    let restart = std::env::var("LUA_PERSIST_TEST_PG_RESTART")
        .expect("LUA_PERSIST_TEST_PG_RESTART (set by scripts/with-postgres)");
    let s = Setup::new();
    // Each write is acknowledged by the print after its commit; a failure (the server is
    // away) is counted, and the loop goes on after 10 ms, reconnecting at the next store
    // operation, until 600 writes are acknowledged. One line on stderr at the end (a pipe
    // nobody reads until then must not fill).
    let code = "local acked, i, failures, last = 0, 0, 0, nil \
        while acked < 600 do i = i + 1 assert(i < 100000, 'the server never came back') \
          local ok, e = pcall(function() _home['k' .. i] = i ext.commit() end) \
          if ok then print(i) acked = acked + 1 \
          else failures = failures + 1 last = tostring(e) \
            local t = os.clock() while os.clock() - t < 0.01 do end end \
          io.stdout:flush() end \
        io.stderr:write(failures, ' failures; the last: ', tostring(last), '\\n')";
    let mut writer = s
        .command_on(&url, &["-e", code])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(writer.stdout.take().unwrap()).lines();
    let mut acked = Vec::new();
    while acked.len() < 100 {
        acked.push(lines.next().unwrap().unwrap().parse::<u32>().unwrap());
    }
    let status = Command::new(&restart).status().unwrap();
    assert!(status.success(), "the restart script failed");
    for line in lines {
        acked.push(line.unwrap().parse::<u32>().unwrap());
    }
    let o = writer.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let report = text(&o.stderr);
    assert!(
        !report.starts_with("0 failures"),
        "the restart was noticed: {report}"
    );
    assert!(
        report.contains("connection to the server was lost")
            || report.contains("cannot reach")
            || report.contains("shutting down")
            || report.contains("starting up"),
        "{report}"
    );
    assert_eq!(acked.len(), 600, "writes went on after the restart");
    // Every acknowledged write is there.
    let check = "local n = 0 for i in io.lines('acked') do if _home['k' .. i] == tonumber(i) then n = n + 1 end end print(n)";
    let list: String = acked.iter().map(|i| format!("{i}\n")).collect();
    std::fs::write(s.dir.path().join("acked"), list).unwrap();
    assert_eq!(s.lua_on(&url, check), format!("{}\n", acked.len()));
}

#[test]
fn a_collection_with_other_clients_keeps_what_they_hold() {
    let _server = shared();
    let url = fresh_database("lp_collect");
    let s = Setup::new();
    s.lua_on(
        &url,
        "for i = 1, 20 do _home.t = {i = i} end _home.keep = {1}",
    );
    let o = s.run_on(&url, &["--collect"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("removed 19 tables"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(s.lua_on(&url, "print(_home.t.i, _home.keep[1])"), "20\t1\n");
    // A table another live client holds only in memory survives a collection.
    let flag = s.dir.path().join("go");
    let code = format!(
        "{WAIT} local held = ext.table() held.x = 7 ext.commit() print('made') io.stdout:flush() \
         wait('{}') print(held.x)",
        flag.display()
    );
    let mut holder = s
        .command_on(&url, &["-e", &code])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(holder.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "made");
    for _ in 0..2 {
        let o = s.run_on(&url, &["--collect"]);
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    std::fs::write(&flag, "").unwrap();
    assert_eq!(lines.next().unwrap().unwrap(), "7");
    assert!(holder.wait().unwrap().success());
}

#[test]
fn a_dump_moves_sqlite_to_postgres_to_node_and_back_byte_identical() {
    let _server = shared();
    let url = fresh_database("lp_dump");
    let s = Setup::new();
    let d = s.dir.path();
    let sqlite = d.join("a.db");
    let sqlite = sqlite.to_str().unwrap();
    let make = "_home.n = 42 _home.f = 1.5 _home.s = 'bytes\\0\\255' \
        _home.t = {1, 2, {deep = true}} _home.shared = _home.t[3] ext.table().x = 'loose'";
    s.lua_on(sqlite, make);
    let o = s.run_on(sqlite, &["--export", "1.dump"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = s.run_on(&url, &["--import", "1.dump", "--export", "2.dump"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        s.lua_on(
            &url,
            "print(_home.n, _home.f, #_home.s, _home.t[3].deep, _home.shared == _home.t[3])"
        ),
        "42\t1.5\t7\ttrue\ttrue\n"
    );
    // Node's runner over its FileStore (the wasm module, built by scripts/build-wasm).
    let root = env!("CARGO_MANIFEST_DIR");
    let node = |args: &[&str]| {
        let o = Command::new("node")
            .arg(Path::new(root).join("wasm/run.mjs"))
            .args(["--store", "node-store"])
            .args(args)
            .current_dir(d)
            .output()
            .expect("node (scripts/test installs it)");
        assert!(o.status.success(), "node {args:?}: {}", text(&o.stderr));
        o
    };
    node(&["--import", "2.dump"]);
    node(&["--export", "3.dump"]);
    let back = d.join("b.db");
    let o = s.run_on(&back, &["--import", "3.dump", "--export", "4.dump"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let dumps: Vec<Vec<u8>> = (1..=4)
        .map(|i| std::fs::read(d.join(format!("{i}.dump"))).unwrap())
        .collect();
    for (i, dump) in dumps.iter().enumerate().skip(1) {
        assert!(dump == &dumps[0], "dump {} differs from the first", i + 1);
    }
}

#[test]
fn another_clients_commit_changes_the_version() {
    let _server = shared();
    let url = fresh_database("lp_version");
    let mut a = PgStore::open(&url).unwrap();
    let mut b = PgStore::open(&url).unwrap();
    let before = a.version().unwrap();
    assert_eq!(a.version().unwrap(), before, "nobody wrote");
    b.set(1, b"x", b"\x01").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while a.version().unwrap() == before {
        assert!(
            std::time::Instant::now() < deadline,
            "no notification arrived in 5 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn functions_are_signed_for_their_place_and_the_store_can_come_from_the_environment() {
    let _server = shared();
    let url = fresh_database("lp_signed");
    let s = Setup::new();
    let d = s.dir.path();
    s.lua_on(
        &url,
        "local n = 40 _home.f = function() n = n + 1 return n end _home.g = _home.f",
    );
    // $LUA_PERSIST_STORE names the store when --store does not.
    let o = Command::new(env!("CARGO_BIN_EXE_lua-persist"))
        .current_dir(d)
        .env("LUA_PERSIST_STORE", &url)
        .env("LUA_PERSIST_KEY", d.join("key"))
        .args(["-e", "local f = _home.f print(f(), f())"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "41\t42\n");
    // A signed value moved to another key (by someone with access to the database) is
    // refused there: the signature names its place.
    sql(&url)
        .batch_execute(
            "INSERT INTO lua_persist.entries SELECT table_id, 'moved', value FROM lua_persist.entries WHERE key = 'f'",
        )
        .unwrap();
    let o = s.run_on(&url, &["-e", "print(_home.moved)"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(text(&o.stderr).contains("signature"), "{}", text(&o.stderr));
    // Another user's key does not load them either.
    let o = s
        .command_on(&url, &["-e", "print(_home.f())"])
        .env("LUA_PERSIST_KEY", d.join("other-key"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_block_that_never_ends_makes_other_writers_fail_after_the_lock_timeout_not_hang() {
    let _server = shared();
    let url = fresh_database("lp_lock_timeout");
    let mut holder = PgStore::open(&url).unwrap();
    let mut waiter = PgStore::open_with(&url, std::time::Duration::from_millis(300)).unwrap();
    holder.begin_exclusive().unwrap(); // a script stuck inside ext.atomic
    let e = waiter.set(1, b"x", b"\x01").unwrap_err();
    assert!(e.0.contains("lock timeout"), "{e}");
    holder.end_exclusive(true).unwrap();
    waiter.set(1, b"x", b"\x01").unwrap();
    assert_eq!(waiter.get(1, b"x").unwrap().as_deref(), Some(&b"\x01"[..]));
}
