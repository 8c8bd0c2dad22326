//! The uninterrupted run as the oracle of suspended coroutines: generated programs whose
//! coroutine yields at random points (inside nested calls, pcall and xpcall, loops, a
//! yielding iterator, vararg functions, tail calls, scopes with to-be-closed variables,
//! closures over its locals) run twice — once in one state, once persisted to bytes and
//! restored in a fresh state at every yield — and both traces must be equal.
//!
//! The programs and their traces are written to `target/tmp/coroutine-oracle.txt`, where
//! `wasm/test/coroutine-oracle.test.mjs` runs them again in the wasm module (through a store
//! and a fresh module instance at every yield) and compares with the native traces.

mod common;
use std::cell::RefCell;
use std::fmt::Write as _;

use common::State;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[derive(Debug, Clone)]
enum Step {
    Add(u8),
    Emit,
    Yield,
    /// A closure over the coroutine's local `ticks` (an open upvalue) changes it.
    Tick,
    /// A table with a metatable on the coroutine's stack.
    Bag,
    Call(Vec<Step>),
    Pcall(Vec<Step>, bool),
    Xpcall(Vec<Step>, bool),
    Loop(u8, Vec<Step>),
    YieldingIterator(u8, Vec<Step>),
    Close(Vec<Step>),
    Vararg(Vec<Step>),
    Tail(Vec<Step>),
}

fn render(steps: &[Step], out: &mut String) {
    for step in steps {
        match step {
            Step::Add(k) => write!(out, "acc = acc + {k} ").unwrap(),
            Step::Emit => out.push_str("emit(acc) "),
            Step::Yield => out.push_str("acc = acc + coroutine.yield('y' .. acc) "),
            Step::Tick => out.push_str("emit('t' .. tick() .. '/' .. ticks) "),
            Step::Bag => out.push_str("bag[#bag + 1] = acc emit(#bag .. bag.x) "),
            Step::Call(body) => {
                out.push_str("acc = (function(a) ");
                render(body, out);
                out.push_str("return acc + a end)(1) ");
            }
            Step::Pcall(body, fail) => {
                out.push_str("do local ok, e = pcall(function() ");
                render(body, out);
                write!(
                    out,
                    "if {fail} then error('boom' .. acc, 0) end return acc end) \
                     emit(tostring(ok) .. ':' .. tostring(e)) end "
                )
                .unwrap();
            }
            Step::Xpcall(body, fail) => {
                out.push_str("do local ok, e = xpcall(function() ");
                render(body, out);
                write!(
                    out,
                    "if {fail} then error('bang' .. acc, 0) end return acc end, \
                     function(m) return 'handled ' .. m end) \
                     emit(tostring(ok) .. ':' .. tostring(e)) end "
                )
                .unwrap();
            }
            Step::Loop(n, body) => {
                write!(out, "for i = 1, {n} do acc = acc + i ").unwrap();
                render(body, out);
                out.push_str("end ");
            }
            Step::YieldingIterator(n, body) => {
                write!(
                    out,
                    "for v in (function() local i = 0 return function() i = i + 1 \
                     if i <= {n} then acc = acc + coroutine.yield('it' .. i) return i end \
                     end end)() do acc = acc + v "
                )
                .unwrap();
                render(body, out);
                out.push_str("end ");
            }
            Step::Close(body) => {
                out.push_str(
                    "do local c <close> = setmetatable({}, {__close = function(_, e) \
                     emit('closed ' .. acc .. ' ' .. tostring(e)) end}) ",
                );
                render(body, out);
                out.push_str("end ");
            }
            Step::Vararg(body) => {
                out.push_str("acc = (function(...) local n = select('#', ...) ");
                render(body, out);
                out.push_str("return acc + n + select(2, ...) end)(acc, 2, nil) ");
            }
            Step::Tail(body) => {
                out.push_str("acc = (function() return (function() ");
                render(body, out);
                out.push_str("return acc end)() end)() ");
            }
        }
    }
}

/// The program: a chunk that returns the coroutine, not yet started.
fn program(steps: &[Step]) -> String {
    let mut body = String::new();
    render(steps, &mut body);
    format!(
        "return coroutine.create(function(acc) \
           local ticks = 0 \
           local function tick() ticks = ticks + 1 return ticks end \
           local bag = setmetatable({{}}, {{__index = function(_, k) return 'missing ' .. k end}}) \
           {body}\
           return 'end ' .. acc .. ' ' .. ticks .. ' ' .. #bag .. ' ' .. bag.x \
         end)"
    )
}

/// Defines `emit` and the trace it appends to; run in every state.
const PRELUDE: &str = "trace = {} function emit(x) trace[#trace + 1] = tostring(x) end";

/// One resume of the global `co` with `i`; the step's trace lines, and whether `co` ended.
const STEP: &str = "local ok, r = coroutine.resume(co, STEP_NUMBER) \
     emit((ok and 'ok ' or 'error ') .. tostring(r)) \
     emit(coroutine.status(co)) \
     local lines = table.concat(trace, '\\n') trace = {} \
     return lines";

const MAX_STEPS: u32 = 2_000;

fn step(s: &State, i: u32) -> (String, bool) {
    s.eval(&format!("STEP_NUMBER = {i} {STEP}"));
    // SAFETY: the chunk's result, a string, is on top.
    let lines = unsafe { lua_persist::lua::tostring(s.0, -1) }
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .expect("the step's lines");
    s.pop(1);
    let ended = !lines.ends_with("suspended");
    (lines, ended)
}

fn start(program: &str) -> State {
    let s = State::new();
    s.run(PRELUDE);
    s.eval(&format!("return assert(load({program:?}))()"));
    s.set_global("co");
    s
}

/// Every step in one state.
fn uninterrupted(program: &str) -> Vec<String> {
    run(program, false)
}

/// Every step in a fresh state, the coroutine carried over as bytes.
fn interrupted(program: &str) -> Vec<String> {
    run(program, true)
}

fn run(program: &str, restore_at_every_yield: bool) -> Vec<String> {
    let mut s = start(program);
    let mut trace = Vec::new();
    for i in 1..=MAX_STEPS {
        let (lines, ended) = step(&s, i);
        trace.push(lines);
        if ended {
            return trace;
        }
        if restore_at_every_yield {
            let bytes = s
                .serialize("return co")
                .unwrap_or_else(|e| panic!("step {i}: {e}\n{program}"));
            s = State::new();
            s.run(PRELUDE);
            s.deserialize(&bytes, "co")
                .unwrap_or_else(|e| panic!("step {i}: {e}\n{program}"));
        }
    }
    panic!("the program did not end in {MAX_STEPS} steps:\n{program}");
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let leaf = prop_oneof![
        (1u8..10).prop_map(Step::Add),
        Just(Step::Emit),
        Just(Step::Yield),
        Just(Step::Yield),
        Just(Step::Tick),
        Just(Step::Bag),
    ];
    let step = leaf.prop_recursive(3, 32, 4, |inner| {
        let body = prop::collection::vec(inner, 0..4);
        prop_oneof![
            body.clone().prop_map(Step::Call),
            (body.clone(), any::<bool>()).prop_map(|(b, f)| Step::Pcall(b, f)),
            (body.clone(), any::<bool>()).prop_map(|(b, f)| Step::Xpcall(b, f)),
            (1u8..4, body.clone()).prop_map(|(n, b)| Step::Loop(n, b)),
            (1u8..3, body.clone()).prop_map(|(n, b)| Step::YieldingIterator(n, b)),
            body.clone().prop_map(Step::Close),
            body.clone().prop_map(Step::Vararg),
            body.prop_map(Step::Tail),
        ]
    });
    prop::collection::vec(step, 1..8)
}

fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32).unwrap(),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn every_yield_persisted_and_restored_gives_the_uninterrupted_trace() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128);
    let corpus = RefCell::new(Vec::new());
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&steps(), |steps| {
            let program = program(&steps);
            let expected = uninterrupted(&program);
            let got = interrupted(&program);
            prop_assert_eq!(&got, &expected, "{}", program);
            corpus.borrow_mut().push((program, expected));
            Ok(())
        })
        .unwrap();

    let corpus = corpus.into_inner();
    // The generator reaches what it is for: yields inside each kind of frame.
    let yields: usize = corpus.iter().map(|(_, trace)| trace.len() - 1).sum();
    assert!(
        yields > corpus.len(),
        "only {yields} yields in {} programs",
        corpus.len()
    );
    // The driver's chunks go with the programs, so that the wasm test runs the same ones.
    let mut json = format!(
        "{{\"prelude\": {}, \"step\": {},\n\"programs\": [\n",
        json_string(PRELUDE),
        json_string(STEP)
    );
    for (n, (program, trace)) in corpus.iter().enumerate() {
        let lines: Vec<String> = trace.iter().map(|t| json_string(t)).collect();
        writeln!(
            json,
            "{{\"program\": {}, \"trace\": [{}]}}{}",
            json_string(program),
            lines.join(", "),
            if n + 1 < corpus.len() { "," } else { "" }
        )
        .unwrap();
    }
    json.push_str("]}\n");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("coroutine-oracle.json");
    std::fs::write(&path, json).expect("the corpus for the wasm test");
}

#[test]
fn the_step_driver_sees_errors_and_the_end() {
    // The driver itself: a coroutine that ends and one that fails give those lines.
    let ended = uninterrupted("return coroutine.create(function(acc) emit('hi') return acc end)");
    assert_eq!(ended, vec!["hi\nok 1\ndead".to_string()]);
    let failed = interrupted(
        "return coroutine.create(function(acc) acc = acc + coroutine.yield('y') error('no ' .. acc, 0) end)",
    );
    assert_eq!(
        failed,
        vec![
            "ok y\nsuspended".to_string(),
            "error no 3\ndead".to_string()
        ]
    );
}
