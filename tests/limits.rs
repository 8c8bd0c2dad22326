//! The limits of a state (src/limits.rs): each trips, cannot be swallowed, counts work done
//! in C, leaves the state usable; usage is readable by host and script.

#![allow(non_snake_case)]

mod common;

use std::time::Duration;

use lua_persist::ffi::*;
use lua_persist::limits::{self, LimitExceeded, Limits, LimitsError};
use lua_persist::lua::{self, OwnedState};

fn new_state(limits: Limits) -> OwnedState {
    let state = OwnedState::with_libs(usize::MAX).unwrap();
    // SAFETY: a fresh state of ours.
    unsafe {
        lua::protected(state.as_ptr(), &mut |L| limits::open_limits(L)).unwrap();
        limits::set_limits(state.as_ptr(), &limits).unwrap();
    }
    state
}

/// Runs `code` as one chunk under the limits: Ok(its result as text) or Err(the message).
fn run(state: &OwnedState, code: &str) -> Result<String, String> {
    // SAFETY: the chunk is on top of a valid state, outside any call.
    common::run_chunk(state.as_ptr(), code, |L| unsafe {
        limits::pcall(L, 0, 1, 0)
    })
}

fn exceeded(state: &OwnedState) -> Option<LimitExceeded> {
    state.exceeded()
}

fn usage(state: &OwnedState) -> limits::Usage {
    state.usage()
}

const INSTRUCTIONS: Limits = Limits {
    memory: None,
    instructions: Some(2_000_000),
    time: None,
};

const TIME: Limits = Limits {
    memory: None,
    instructions: None,
    time: Some(Duration::from_millis(200)),
};

fn memory(bytes: usize) -> Limits {
    Limits {
        memory: Some(bytes),
        ..Limits::NONE
    }
}

fn assert_trips(limits: Limits, code: &str, message: &str) {
    let state = new_state(limits);
    run(&state, "kept = 'still here'").unwrap();
    let error = run(&state, code).expect_err(code);
    assert!(error.contains(message), "{code}: {error}");
    assert!(exceeded(&state).is_some(), "{code}");
    // The state answers the next chunk, globals intact, and the limit is forgotten.
    assert_eq!(run(&state, "return kept").unwrap(), "still here");
    assert_eq!(exceeded(&state), None);
}

#[test]
fn each_limit_trips_with_a_message_naming_it() {
    assert_trips(
        INSTRUCTIONS,
        "while true do end",
        "instruction limit exceeded",
    );
    assert_trips(TIME, "while true do end", "time limit exceeded");
    assert_trips(
        memory(16 << 20),
        "local t = {} for i = 1, 1e9 do t[i] = {} end",
        "memory limit exceeded",
    );
    assert_trips(
        INSTRUCTIONS,
        "local function f() return f() end return f()",
        "instruction limit exceeded",
    );
}

#[test]
fn the_error_carries_the_limit() {
    let state = new_state(INSTRUCTIONS);
    run(&state, "while true do end").unwrap_err();
    assert_eq!(
        exceeded(&state),
        Some(LimitExceeded::Instructions { limit: 2_000_000 })
    );
    let state = new_state(memory(8 << 20));
    run(&state, "local s = {} for i = 1, 1e8 do s[i] = i end").unwrap_err();
    assert_eq!(
        exceeded(&state),
        Some(LimitExceeded::Memory { limit: 8 << 20 })
    );
    let state = new_state(TIME);
    run(&state, "while true do end").unwrap_err();
    assert_eq!(
        exceeded(&state),
        Some(LimitExceeded::Time {
            limit: Duration::from_millis(200)
        })
    );
}

/// Scripts that try to go on past a limit: each must end with the limit's error.
const ESCAPES: &[&str] = &[
    "while true do pcall(function() while true do end end) end",
    "while true do xpcall(function() while true do end end, function(m) return m end) end",
    "local ok, e = xpcall(function() while true do end end, function(m) while true do end end) return e",
    "while true do pcall(coroutine.wrap(function() while true do end end)) end",
    "local co = coroutine.create(function() while true do end end) \
     while true do coroutine.resume(co) co = coroutine.create(function() while true do end end) end",
    "do local x <close> = setmetatable({}, {__close = function() while true do end end}) \
     while true do end end",
    "setmetatable({}, {__gc = function() while true do end end}) collectgarbage() \
     while true do end",
    "while true do pcall(error) pcall(string.rep, 'x', -1) end",
];

#[test]
fn pcall_and_handlers_cannot_swallow_an_instruction_or_time_limit() {
    for code in ESCAPES {
        for (limits, message) in [
            (INSTRUCTIONS, "instruction limit exceeded"),
            (TIME, "time limit exceeded"),
        ] {
            let state = new_state(limits);
            let error = run(&state, code).expect_err(code);
            assert!(error.contains(message), "{code}: {error}");
            assert_eq!(run(&state, "return 1 + 1").unwrap(), "2", "{code}");
        }
    }
}

#[test]
fn a_memory_limit_cannot_be_swallowed_either() {
    let state = new_state(memory(16 << 20));
    let error = run(
        &state,
        "local ok = pcall(string.rep, 'x', 64 << 20) \
         while true do local t = {} for i = 1, 1000 do t[i] = i end end",
    )
    .unwrap_err();
    assert!(error.contains("memory limit exceeded"), "{error}");
    assert_eq!(run(&state, "return 'next'").unwrap(), "next");
}

#[test]
fn garbage_near_the_memory_limit_is_collected_not_a_limit() {
    // Lua refuses, collects and retries: an allocation that fits after the collection
    // does not exceed the limit.
    let state = new_state(memory(8 << 20));
    let result = run(
        &state,
        "for i = 1, 200 do local s = string.rep('x', 1 << 20) .. i end return 'done'",
    );
    assert_eq!(result.unwrap(), "done");
    assert_eq!(exceeded(&state), None);
}

#[test]
fn work_done_in_c_functions_counts() {
    let bomb = "return string.find(('a'):rep(30000), ('a*'):rep(30) .. 'b')";
    assert_trips(TIME, bomb, "time limit exceeded");
    assert_trips(INSTRUCTIONS, bomb, "instruction limit exceeded");
    // gsub and gmatch match too.
    assert_trips(
        TIME,
        "return (('a'):rep(30000)):gsub(('a*'):rep(30) .. 'b', '')",
        "time limit exceeded",
    );
    assert_trips(
        TIME,
        "for m in (('a'):rep(30000)):gmatch(('a*'):rep(30) .. 'b') do end",
        "time limit exceeded",
    );
    // A loop in C over metamethods that are C functions runs no instruction.
    assert_trips(
        TIME,
        "local t = setmetatable({}, {__len = function() return 1 << 62 end, \
         __index = rawequal, __newindex = rawequal}) table.insert(t, 1, 0)",
        "time limit exceeded",
    );
    assert_trips(
        INSTRUCTIONS,
        "local t = setmetatable({}, {__index = table.concat}) return table.concat(t, '', 1, 1 << 62)",
        "instruction limit exceeded",
    );
    // Huge strings stop at the memory limit: string.rep, table.concat, string.format.
    for code in [
        "return #string.rep('x', 1 << 30)",
        "local t = {} for i = 1, 1e6 do t[i] = ('x'):rep(100) end return #table.concat(t)",
        "local s = 'x' while true do s = string.format('%s%s', s, s) end",
    ] {
        assert_trips(memory(32 << 20), code, "memory limit exceeded");
    }
}

#[test]
fn an_empty_string_repeated_is_empty_at_once() {
    // Lua's own string.rep would loop 2^62 times over nothing.
    let state = new_state(Limits::NONE);
    assert_eq!(run(&state, "return #string.rep('', 1 << 62)").unwrap(), "0");
    assert_eq!(
        run(&state, "return ('ab'):rep(3, ',')").unwrap(),
        "ab,ab,ab"
    );
    assert!(run(&state, "return string.rep()")
        .unwrap_err()
        .contains("bad argument #1 to 'rep'"));
}

#[test]
fn a_memory_limit_holds_within_ten_percent() {
    for limit in [4usize << 20, 32 << 20] {
        let state = new_state(memory(limit));
        run(
            &state,
            "local t = {} for i = 1, 1e9 do t[i] = tostring(i) end",
        )
        .unwrap_err();
        let used = usage(&state);
        assert!(used.peak_memory <= limit, "{used:?}");
        assert!(used.peak_memory as f64 >= 0.9 * limit as f64, "{used:?}");
    }
}

#[test]
fn usage_counts_work_memory_and_time() {
    let state = new_state(Limits::NONE);
    run(&state, "local x = 0 for i = 1, 1e6 do x = x + i end").unwrap();
    let used = usage(&state);
    // Four instructions per iteration (ADD, FORLOOP, and the loop's own), give or take.
    assert!(
        (1_000_000..=5_000_000).contains(&used.instructions),
        "{used:?}"
    );
    assert!(
        used.memory > 0 && used.peak_memory >= used.memory,
        "{used:?}"
    );
    run(&state, "return 1").unwrap();
    assert!(usage(&state).instructions < 100, "{:?}", usage(&state));
    // An instruction limit is exact to the unit: the same chunk fits or not.
    let state = new_state(Limits {
        instructions: Some(1000),
        ..Limits::NONE
    });
    run(&state, "local x = 0 for i = 1, 100 do x = x + i end").unwrap();
    run(&state, "local x = 0 for i = 1, 1000 do x = x + i end").unwrap_err();
}

#[test]
fn scripts_read_their_own_usage_and_limits() {
    let state = new_state(Limits {
        memory: Some(64 << 20),
        instructions: Some(1 << 30),
        time: Some(Duration::from_secs(5)),
    });
    let report = run(
        &state,
        "for i = 1, 1000 do end local u, l = limits.usage(), limits.get() \
         return string.format('%s %s %s %s %s %s %s', u.instructions > 1000, u.memory > 0, \
         u.peak_memory >= u.memory, u.elapsed >= 0, l.memory, l.instructions, l.time)",
    )
    .unwrap();
    assert_eq!(report, "true true true true 67108864 1073741824 5.0");
    let unlimited = new_state(Limits::NONE);
    assert_eq!(run(&unlimited, "return next(limits.get())").unwrap(), "nil");
}

#[test]
fn limits_change_between_chunks() {
    let state = new_state(INSTRUCTIONS);
    run(&state, "while true do end").unwrap_err();
    state.set_limits(&TIME).unwrap();
    assert!(run(&state, "while true do end")
        .unwrap_err()
        .contains("time limit exceeded"));
    state.set_limits(&Limits::NONE).unwrap();
    assert_eq!(
        run(&state, "for i = 1, 1e7 do end return 'free'").unwrap(),
        "free"
    );
    assert_eq!(state.limits(), Limits::NONE);
}

#[test]
fn debug_hooks_work_under_limits_and_cannot_escape_them() {
    let state = new_state(INSTRUCTIONS);
    assert_eq!(
        run(
            &state,
            "local n = 0 debug.sethook(function() n = n + 1 end, '', 1) \
             for i = 1, 10 do end debug.sethook() return tostring(n > 10)"
        )
        .unwrap(),
        "true"
    );
    // A hook of the script's own that loops, or that turns hooks off, stops all the same.
    for code in [
        "debug.sethook(function() while true do end end, 'l')\nlocal x = 1",
        "debug.sethook() while true do debug.sethook() end",
        "debug.sethook(function() end, 'c', 1) while true do end",
    ] {
        let error = run(&state, code).unwrap_err();
        assert!(
            error.contains("instruction limit exceeded"),
            "{code}: {error}"
        );
    }
}

#[test]
fn a_state_made_elsewhere_has_no_limits() {
    // SAFETY: luaL_newstate's state, closed at the end.
    unsafe {
        let L = luaL_newstate();
        assert_eq!(
            limits::set_limits(L, &INSTRUCTIONS),
            Err(LimitsError::ForeignState)
        );
        assert_eq!(limits::usage(L), None);
        luaL_openlibs(L);
        assert_eq!(
            luaL_dostring(
                L,
                c"for i = 1, 1e5 do end return #string.rep('', 10)".as_ptr()
            ),
            LUA_OK
        );
        lua_close(L);
    }
}
