//! Serializer benchmarks (README, "Benchmarks"): `cargo run --release --example serializer-bench`.
//! Each line compares with a reference measured in the same run; times are the best of
//! several rounds, so other load on the machine matters less.
#![allow(non_snake_case)]

use std::ffi::CString;
use std::time::{Duration, Instant};

use lua_persist::ffi::*;
use lua_persist::lua;
use lua_persist::serializer::{deserialize_value, serialize_value_to_vec};

/// A state with the standard libraries, closed on drop.
struct State(lua::OwnedState);

impl State {
    fn new() -> State {
        let owned = lua::OwnedState::with_libs(usize::MAX).expect("a state");
        State(owned)
    }
    /// Evaluates `code` and leaves its result on the stack.
    fn eval(&self, code: &str) {
        let code = CString::new(code).unwrap();
        // SAFETY: a valid state.
        unsafe {
            assert_eq!(luaL_loadstring(self.0.as_ptr(), code.as_ptr()), LUA_OK);
            assert_eq!(
                lua_pcall(self.0.as_ptr(), 0, 1, 0),
                LUA_OK,
                "{}",
                String::from_utf8_lossy(lua::tostring(self.0.as_ptr(), -1).unwrap_or(b"?"))
            );
        }
    }
}

/// Best time per iteration over `rounds` rounds of `iters` iterations.
fn best(rounds: usize, iters: usize, mut f: impl FnMut()) -> Duration {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            start.elapsed() / iters as u32
        })
        .min()
        .unwrap()
}

/// Time per iteration of `a` and of `b`, and the ratio b / a: `rounds` pairs of rounds, the
/// two sides alternating round by round, each round after a full collection (a side that
/// ran after the other would pay for collecting its garbage). The ratio is the median of
/// the pairs' ratios, the times the medians of each side's rounds: load on the machine
/// comes in bursts, which a pair of neighbouring rounds mostly shares.
fn paired_medians(
    L: *mut lua_State,
    rounds: usize,
    iters: usize,
    mut a: impl FnMut(),
    mut b: impl FnMut(),
) -> (Duration, Duration, f64) {
    let round = |f: &mut dyn FnMut()| {
        // SAFETY: a valid state; a full collection raises no error.
        unsafe { lua_gc(L, LUA_GCCOLLECT) };
        let start = Instant::now();
        for _ in 0..iters {
            f();
        }
        start.elapsed() / iters as u32
    };
    let (mut times_a, mut times_b, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (ta, tb) = (round(&mut a), round(&mut b));
        ratios.push(tb.as_secs_f64() / ta.as_secs_f64());
        times_a.push(ta);
        times_b.push(tb);
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    ratios.sort_by(f64::total_cmp);
    (
        median(&mut times_a),
        median(&mut times_b),
        ratios[ratios.len() / 2],
    )
}

unsafe extern "C-unwind" fn writer(
    _: *mut lua_State,
    p: *const core::ffi::c_void,
    n: usize,
    ud: *mut core::ffi::c_void,
) -> i32 {
    // SAFETY: ud is a Vec<u8>; Lua passes n readable bytes.
    unsafe {
        (*(ud as *mut Vec<u8>)).extend_from_slice(core::slice::from_raw_parts(p as *const u8, n))
    };
    0
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let s = State::new();
    let L = s.0.as_ptr();
    let rounds = 7;

    // 1. An upvalue-free function: persist + restore against raw lua_dump + luaL_loadbufferx.
    s.eval("return function(a, b, c) local t = {} for i = 1, a do t[i] = (b or 0) * i + (c or 0) end return t, #t end");
    let raw = || {
        let mut bytes: Vec<u8> = Vec::new();
        // SAFETY: the function is on top; the loaded copy is popped.
        unsafe {
            lua_dump(L, Some(writer), &mut bytes as *mut Vec<u8> as *mut _, 1);
            assert_eq!(
                luaL_loadbufferx(
                    L,
                    bytes.as_ptr().cast(),
                    bytes.len(),
                    c"=f".as_ptr(),
                    c"b".as_ptr()
                ),
                LUA_OK
            );
            lua_pop(L, 1);
        }
    };
    let ours = || {
        let mut bytes = Vec::new();
        // SAFETY: the function is on top; the restored copy is popped.
        unsafe {
            serialize_value_to_vec(L, -1, &mut bytes).unwrap();
            deserialize_value(L, &bytes).unwrap();
            lua_pop(L, 1);
        }
    };
    let (raw, ours, ratio) = paired_medians(L, 41, 5_000, raw, ours);
    println!("function without upvalues, persist + restore: {:.2} us; raw lua_dump + luaL_loadbufferx: {:.2} us; ratio {:.2} (goal <= 1.10)",
        micros(ours), micros(raw), ratio);
    // SAFETY: pop the function.
    unsafe { lua_pop(L, 1) };
    // Part 1 alone, for a profiler (valgrind --tool=callgrind ... -- --function-only).
    if std::env::args().any(|a| a == "--function-only") {
        return;
    }

    // 2..4: throughput, and restore against the closest Lua-side way to make the same value:
    // string.dump + load for the closure (without its upvalues), a copy of the string's
    // bytes, a deep copy of the table.
    let cases = [
        (
            "closure with 10 upvalues",
            "local a, b, c, d, e, f, g, h, i, j = 1, 2.5, 'three', {4}, true, 6, 7, 8, 9, 10 return function() return a, b, c, d, e, f, g, h, i, j end",
            "return function(v) return load(string.dump(v)) end",
            "string.dump + load",
            20_000,
        ),
        (
            "1 MB string",
            "return string.rep('abcdefgh', 131072)",
            "return function(v) return v:sub(2) end",
            "string.sub copy",
            200,
        ),
        (
            "100k-entry table",
            "local t = {} for i = 1, 50000 do t[i] = i * 0.5 end for i = 1, 50000 do t['k' .. i] = i end return t",
            "return function(v) local t = {} for k, x in pairs(v) do t[k] = x end return t end",
            "a Lua copy loop",
            5,
        ),
    ];
    for (name, code, reference, reference_name, iters) in cases {
        s.eval(reference);
        // SAFETY: the reference function is on top.
        unsafe { lua_setglobal(L, c"reference".as_ptr()) };
        s.eval(code);
        let mut bytes = Vec::new();
        // SAFETY: the value is on top.
        unsafe { serialize_value_to_vec(L, -1, &mut bytes).unwrap() };
        let size = bytes.len() as f64 / 1e6;
        let ser = best(rounds, iters, || {
            let mut out = Vec::with_capacity(bytes.len());
            // SAFETY: the value is on top.
            unsafe { serialize_value_to_vec(L, -1, &mut out).unwrap() };
        });
        let de = best(rounds, iters, || {
            // SAFETY: a valid state; the restored value is popped.
            unsafe {
                deserialize_value(L, &bytes).unwrap();
                lua_pop(L, 1);
            }
        });
        let lua_side = best(rounds, iters, || {
            // SAFETY: calls reference(value) and pops the result.
            unsafe {
                lua_getglobal(L, c"reference".as_ptr());
                lua_pushvalue(L, -2);
                assert_eq!(lua_pcall(L, 1, 1, 0), LUA_OK);
                lua_pop(L, 1);
            }
        });
        println!(
            "{name} ({} bytes): serialize {:.1} MB/s ({:.0} per s), deserialize {:.1} MB/s ({:.0} per s); deserialize / {reference_name} = {:.2}",
            bytes.len(),
            size / ser.as_secs_f64(),
            1.0 / ser.as_secs_f64(),
            size / de.as_secs_f64(),
            1.0 / de.as_secs_f64(),
            de.as_secs_f64() / lua_side.as_secs_f64()
        );
        // SAFETY: pop the value.
        unsafe { lua_pop(L, 1) };
    }
}
