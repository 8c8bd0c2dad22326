//! The native runner in a fresh directory with its own store file and key, shared by the
//! tests that run `lua-persist` as a user would.
#![allow(dead_code)] // each test file uses some of it

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
        let mut c = Command::new(env!("CARGO_BIN_EXE_lua-persist"));
        c.current_dir(self.dir.path())
            .env_remove("LUA_PERSIST_STORE")
            .env("LUA_PERSIST_KEY", self.key())
            .arg("--store")
            .arg(self.store())
            .args(args);
        c
    }
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).stdin(Stdio::null()).output().unwrap()
    }
    /// Runs `code` and returns its standard output; fails the test on any error.
    pub fn lua(&self, code: &str) -> String {
        let o = self.run(&["-e", code]);
        assert!(o.status.success(), "{code}: {}", text(&o.stderr));
        text(&o.stdout)
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
