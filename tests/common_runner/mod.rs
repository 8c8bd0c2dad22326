//! The native runner in a fresh directory with its own store file and key, shared by the
//! tests that run `lua-persist` as a user would.
#![allow(dead_code)] // each test file uses some of it

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// A store file and a key file in a fresh directory.
pub struct Setup {
    pub dir: tempfile::TempDir,
}

impl Setup {
    pub fn new() -> Setup {
        Setup {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store.db")
    }
    pub fn key(&self) -> PathBuf {
        self.dir.path().join("key")
    }
    /// `lua-persist --store STORE ARGS` in the directory, with the key and no
    /// `$LUA_PERSIST_STORE`.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_on(self.store(), args)
    }
    /// The same with the store at `location` (another file, a `postgres://` URL).
    pub fn command_on(&self, location: impl AsRef<OsStr>, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lua-persist"));
        c.current_dir(self.dir.path())
            .env_remove("LUA_PERSIST_STORE")
            .env("LUA_PERSIST_KEY", self.key())
            .arg("--store")
            .arg(location)
            .args(args);
        c
    }
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_on(self.store(), args)
    }
    pub fn run_on(&self, location: impl AsRef<OsStr>, args: &[&str]) -> Output {
        self.command_on(location, args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
    /// Runs `code` and returns its standard output; fails the test on any error.
    pub fn lua(&self, code: &str) -> String {
        self.lua_on(self.store(), code)
    }
    pub fn lua_on(&self, location: impl AsRef<OsStr>, code: &str) -> String {
        let o = self.run_on(location, &["-e", code]);
        assert!(o.status.success(), "{code}: {}", text(&o.stderr));
        text(&o.stdout)
    }
    /// `processes` runners at once on the store at `location`, each making `per_process`
    /// atomic increments of `_home.n` (set to 0 first); what `_home.n` is then, printed.
    pub fn atomic_increments_on(
        &self,
        location: impl AsRef<OsStr>,
        processes: usize,
        per_process: usize,
    ) -> String {
        let location = location.as_ref();
        self.lua_on(location, "_home.n = 0");
        let code = format!(
            "for i = 1, {per_process} do ext.atomic(function() _home.n = _home.n + 1 end) end"
        );
        let children: Vec<_> = (0..processes)
            .map(|_| {
                self.command_on(location, &["-e", &code])
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let o = child.wait_with_output().unwrap();
            assert!(o.status.success(), "{}", text(&o.stderr));
        }
        self.lua_on(location, "print(_home.n)")
    }
    /// `--collect`; returns its report (stderr).
    pub fn collect(&self) -> String {
        let o = self.run(&["--collect"]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        text(&o.stderr)
    }
    /// (tables, entries) in the store file.
    pub fn size(&self) -> (i64, i64) {
        let conn = rusqlite::Connection::open(self.store()).unwrap();
        conn.query_row(
            "SELECT count(DISTINCT table_id), count(*) FROM entries",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }
    /// The store file opens and passes SQLite's integrity check.
    pub fn assert_store_intact(&self) {
        let conn = rusqlite::Connection::open(self.store()).unwrap();
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
