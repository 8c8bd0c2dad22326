//! `_home` benchmarks of the native host (README, "Benchmarks"):
//! `cargo run --release --example ext-table-bench [-- --runs N]`.
//! Set and get operations per second through `_home` over each store, against a plain Lua
//! table in the same run; a 20,000-key set loop with its commit; 1,000,000 keys written;
//! atomic increments from two threads (two states, two connections) on one SQLite file.
//! Times are the best of several runs (the machine is noisy).
#![allow(non_snake_case)]

use std::time::{Duration, Instant};

use lua_persist::ext_table::{ExtStore, MemoryStore};
use lua_persist::store::{Durability, SqliteStore};

#[path = "common/state.rs"]
mod state;
use state::State;

const KEYS: usize = 1000;

/// Sets; over `_home` the timed code includes the commit of the pending writes.
fn set_code(table: &str, n: usize) -> String {
    let commit = if table == "_home" { "ext.commit()" } else { "" };
    format!("local t = {table} for i = 1, {n} do t['k' .. (i % {KEYS})] = i end {commit}")
}

/// `n` distinct keys, and over `_home` their commit.
fn distinct_set_code(table: &str, n: usize) -> String {
    let commit = if table == "_home" { "ext.commit()" } else { "" };
    format!("local t = {table} for i = 1, {n} do t['s' .. i] = i end {commit}")
}

fn get_code(table: &str, n: usize) -> String {
    format!(
        "local t = {table} local s = 0 for i = 1, {n} do s = s + (t['k' .. (i % {KEYS})] or 0) end"
    )
}

/// Operations per second of `code(table, n)`, best of `runs`.
fn ops_per_second(
    state: &State,
    table: &str,
    n: usize,
    runs: usize,
    code: fn(&str, usize) -> String,
) -> f64 {
    let code = code(table, n);
    let best = (0..runs).map(|_| state.time(&code)).min().unwrap();
    n as f64 / best.as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let plain = State::new(None);
    // The plain table lives in a global so that `get` reads filled keys.
    plain.time(&set_code("{} _G.plain = t", KEYS));
    let open = |name: &str, durability| -> Box<dyn ExtStore> {
        let store =
            SqliteStore::open_with(dir.path().join(name), durability, Duration::from_secs(10));
        Box::new(store.expect("the store opens"))
    };
    // (name, store, operations per run).
    let stores: Vec<(&str, Box<dyn ExtStore>, usize)> = vec![
        ("memory store", Box::new(MemoryStore::new()), 100_000),
        (
            "SQLite, Durability::Full (default)",
            open("full.db", Durability::Full),
            5_000,
        ),
        (
            "SQLite, Durability::Process",
            open("process.db", Durability::Process),
            5_000,
        ),
    ];
    println!("_home operations per second (best of {runs} runs), against a plain Lua table in the same run");
    println!(
        "  {:<36} {:>6} {:>13} {:>13} {:>8}",
        "store", "op", "_home ops/s", "plain ops/s", "plain/_home"
    );
    for (name, store, n) in stores {
        let state = State::new(Some(store));
        state.time(&set_code("_home", KEYS)); // every key exists before timing
        for (op, code, n) in [
            ("set", set_code as fn(&str, usize) -> String, n),
            ("get", get_code, n),
            ("20k set", distinct_set_code, 20_000),
        ] {
            let home = ops_per_second(&state, "_home", n, runs, code);
            let table = if op == "get" { "_G.plain" } else { "{}" };
            let reference = ops_per_second(&plain, table, n, runs, code);
            println!(
                "  {name:<36} {op:>7} {home:>13.0} {reference:>13.0} {:>8.1}",
                reference / home
            );
        }
    }
    // A million keys into a fresh store, with the final commit (pending writes are also
    // committed every 100,000).
    let state = State::new(Some(open("million.db", Durability::Full)));
    let took = state.time("for i = 1, 1000000 do _home['m' .. i] = i end ext.commit()");
    println!(
        "\n1,000,000 keys written to SQLite (Durability::Full) with their commit: {:.1} s",
        took.as_secs_f64()
    );
    // Atomic increments from two states on two threads, each with its own connection.
    let path = dir.path().join("atomic.db");
    State::new(Some(open("atomic.db", Durability::Full))).time("_home.n = 0");
    const PER_THREAD: usize = 500;
    let start = Instant::now();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                let store = SqliteStore::open_with(&path, Durability::Full, Duration::from_secs(10))
                    .expect("the store opens");
                let state = State::new(Some(Box::new(store)));
                state.time(&format!(
                    "for i = 1, {PER_THREAD} do ext.atomic(function() _home.n = _home.n + 1 end) end"
                ));
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a thread");
    }
    let elapsed = start.elapsed();
    let check = State::new(Some(open("atomic.db", Durability::Full)));
    check.time("assert(_home.n == 1000, 'lost an increment')");
    println!(
        "atomic increments, 2 threads x {PER_THREAD} on one SQLite file (Durability::Full): {:.0} per s",
        (2 * PER_THREAD) as f64 / elapsed.as_secs_f64()
    );
}
