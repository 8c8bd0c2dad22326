//! The cost of the limits (README, "Running untrusted code"): each workload of
//! bench/workloads run in-process with no limit set and with all three set (high enough not
//! to be reached), alternately in the same run; prints the ratio limits-on / limits-off of
//! the best times.
//!
//!   cargo run --release --example limits-bench [-- --runs N]

#![allow(non_snake_case)]

use std::ffi::CString;
use std::time::{Duration, Instant};

use lua_persist::ffi::*;
use lua_persist::limits::{self, Limits};
use lua_persist::lua::{self, OwnedState};

/// High enough that no workload reaches them: what is measured is the counting.
const GENEROUS: Limits = Limits {
    memory: Some(4 << 30),
    instructions: Some(1 << 50),
    time: Some(Duration::from_secs(3600)),
};

fn run_once(source: &[u8], name: &str, with_limits: bool) -> Duration {
    let state = OwnedState::with_libs(usize::MAX).expect("a state");
    let L = state.as_ptr();
    let chunkname = CString::new(format!("@{name}")).expect("no NUL in a file name");
    // SAFETY: a fresh state with its libraries; the stack is balanced.
    unsafe {
        let limits = if with_limits { GENEROUS } else { Limits::NONE };
        limits::set_limits(L, &limits).expect("limits on a state of ours");
        // The workloads print a checksum: not measured.
        lua_pushcfunction(L, Some(quiet_print));
        lua_setglobal(L, c"print".as_ptr());
        assert_eq!(lua::loadbuffer(L, source, &chunkname, None), LUA_OK);
        let start = Instant::now();
        let status = limits::pcall(L, 0, 0, 0);
        let elapsed = start.elapsed();
        if status != LUA_OK {
            panic!(
                "{name} failed: {}",
                String::from_utf8_lossy(lua::tostring(L, -1).unwrap_or(b"?"))
            );
        }
        elapsed
    }
}

unsafe extern "C-unwind" fn quiet_print(_L: *mut lua_State) -> core::ffi::c_int {
    0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/workloads");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("bench/workloads")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "lua"))
        .collect();
    names.sort();
    println!("limits on / off, best of {runs} runs each, alternating (ratio 1.00 = no cost):");
    let mut product = 1.0;
    for path in &names {
        let name = path.file_stem().unwrap_or_default().to_string_lossy();
        let source = std::fs::read(path).expect("a workload");
        let (mut off, mut on) = (Duration::MAX, Duration::MAX);
        for _ in 0..runs {
            off = off.min(run_once(&source, &name, false));
            on = on.min(run_once(&source, &name, true));
        }
        let ratio = on.as_secs_f64() / off.as_secs_f64();
        product *= ratio;
        println!(
            "  {name:<10} off {:>8.1} ms   on {:>8.1} ms   ratio {ratio:.3}",
            off.as_secs_f64() * 1e3,
            on.as_secs_f64() * 1e3
        );
    }
    println!(
        "  geometric mean ratio {:.3}",
        product.powf(1.0 / names.len() as f64)
    );
}
