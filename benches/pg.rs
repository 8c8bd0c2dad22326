//! PostgreSQL against SQLite (README, "Benchmarks"), on the server `$LUA_PERSIST_TEST_PG`
//! names (a database `lp_bench` is made there afresh):
//!   scripts/with-postgres cargo run --release --features postgres --example pg-bench [-- --runs N]
//! `_home` set, get and `ext.atomic` increment rates for one client, then with 1, 4 and 16
//! clients at once (each a thread with its own state and connection). SQLite runs the same
//! work on a file in the same run, as the reference (durability: SQLite's FULL; the
//! server's default synchronous_commit, on).
#![allow(non_snake_case)]

use std::time::{Duration, Instant};

use lua_persist::ext_table::ExtStore;
use lua_persist::store::{Durability, PgStore, SqliteStore};

#[path = "common/state.rs"]
mod state;
use state::State;

/// Which store: how to open another client of it.
#[derive(Clone)]
enum Kind {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Kind {
    fn open(&self) -> Box<dyn ExtStore> {
        match self {
            Kind::Sqlite(path) => Box::new(
                SqliteStore::open_with(path, Durability::Full, Duration::from_secs(60))
                    .expect("the SQLite store opens"),
            ),
            Kind::Postgres(url) => {
                Box::new(PgStore::open(url).expect("the PostgreSQL store opens"))
            }
        }
    }
}

/// `clients` threads, each with its own state, running `code(i)` once, all started
/// together; operations per second over all of them (`ops` each).
fn concurrent(
    kind: &Kind,
    clients: usize,
    ops: usize,
    code: impl Fn(usize) -> String + Sync,
) -> f64 {
    let ready = std::sync::Barrier::new(clients + 1);
    let mut start = Instant::now();
    std::thread::scope(|s| {
        for i in 0..clients {
            let (ready, code) = (&ready, &code);
            s.spawn(move || {
                let state = State::new(Some(kind.open()));
                let code = code(i);
                ready.wait();
                state.time(&code);
            });
        }
        ready.wait();
        start = Instant::now();
    });
    (clients * ops) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(3);
    let server = std::env::var("LUA_PERSIST_TEST_PG")
        .expect("LUA_PERSIST_TEST_PG names the server: run under scripts/with-postgres");
    let mut admin = postgres::Client::connect(&server, postgres::NoTls).expect("the server");
    admin
        .batch_execute("DROP DATABASE IF EXISTS lp_bench WITH (FORCE)")
        .unwrap();
    admin.batch_execute("CREATE DATABASE lp_bench").unwrap();
    let url = format!("{}/lp_bench", server.rsplit_once('/').unwrap().0);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let kinds = [
        ("SQLite", Kind::Sqlite(dir.path().join("bench.db"))),
        ("PostgreSQL", Kind::Postgres(url)),
    ];

    const N: usize = 5000;
    const BLOCKS: usize = 500;
    println!("one client, best of {runs} runs");
    println!(
        "  {:<11} {:>14} {:>14} {:>16}",
        "store", "set ops/s", "get ops/s", "atomic incr/s"
    );
    let mut single = Vec::new();
    for (name, kind) in &kinds {
        let state = State::new(Some(kind.open()));
        state.time("for i = 1, 1000 do _home['k' .. i] = i end _home.n = 0");
        let best = |code: &str| {
            (0..runs)
                .map(|_| state.time(code))
                .min()
                .unwrap()
                .as_secs_f64()
        };
        let set = N as f64
            / best(&format!(
                "for i = 1, {N} do _home['k' .. (i % 1000 + 1)] = i end"
            ));
        let get = N as f64
            / best(&format!(
                "local s = 0 for i = 1, {N} do s = s + _home['k' .. (i % 1000 + 1)] end"
            ));
        let atomic = BLOCKS as f64
            / best(&format!(
                "for i = 1, {BLOCKS} do ext.atomic(function() _home.n = _home.n + 1 end) end"
            ));
        println!("  {name:<11} {set:>14.0} {get:>14.0} {atomic:>16.0}");
        single.push((set, get, atomic));
    }
    let (s, p) = (single[0], single[1]);
    println!(
        "  PostgreSQL / SQLite: set {:.2}, get {:.2}, atomic {:.2}",
        p.0 / s.0,
        p.1 / s.1,
        p.2 / s.2
    );

    println!("\nclients at once (each its own state and connection): totals per second");
    println!(
        "  {:<11} {:>8} {:>20} {:>22}",
        "store", "clients", "atomic incr/s (one n)", "sets/s (own keys, commit per 100)"
    );
    for (name, kind) in &kinds {
        State::new(Some(kind.open())).time("_home.shared = 0");
        for clients in [1, 4, 16] {
            let per = 200;
            let atomic = concurrent(kind, clients, per, |_| {
                format!("for i = 1, {per} do ext.atomic(function() _home.shared = _home.shared + 1 end) end")
            });
            let sets = 2000;
            let set = concurrent(kind, clients, sets, |c| {
                format!(
                    "for i = 1, {sets} do _home['c{c}_' .. (i % 100)] = i if i % 100 == 0 then ext.commit() end end"
                )
            });
            println!("  {name:<11} {clients:>8} {atomic:>20.0} {set:>22.0}");
        }
    }
}
