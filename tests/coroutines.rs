//! Suspended coroutines persist and resume where they stopped (FORMAT.md, tag 0x0E state
//! 02): in a fresh state, with their frames, open upvalues shared with persisted closures,
//! pcall/xpcall frames and to-be-closed variables; and bytes that lie about them fail with
//! a named error before any coroutine exists.

mod common;
use common::{round_trip, State};
use lua_persist::ffi::*;

#[test]
fn a_coroutine_resumes_where_it_yielded() {
    round_trip(
        "local co = coroutine.create(function(a) \
            local x = a * 2 \
            local y = coroutine.yield(x + 1) \
            local z = coroutine.yield(x + y) \
            return x + y + z \
         end) \
         assert(select(2, coroutine.resume(co, 10)) == 21) \
         return co",
        "assert(coroutine.status(v) == 'suspended') \
         local ok, r = coroutine.resume(v, 5) assert(ok and r == 25, r) \
         local ok2, r2 = coroutine.resume(v, 100) assert(ok2 and r2 == 125, r2) \
         assert(coroutine.status(v) == 'dead')",
    );
}

#[test]
fn deep_frames_pcall_xpcall_varargs_iterators_and_tail_calls_resume() {
    // Every kind of frame between the body and the yield: nested Lua calls, a vararg
    // function (its frame sits above its arguments), pcall and xpcall, a generic for whose
    // iterator yields (OP_TFORCALL), and `return coroutine.yield(...)` (OP_TAILCALL).
    round_trip(
        "local log = {} \
         local function leaf(tag) local got = coroutine.yield(tag) log[#log + 1] = tag .. '=' .. tostring(got) return got end \
         local function tail(tag) return coroutine.yield(tag) end \
         local function va(...) local n = select('#', ...) local got = leaf('va' .. n) return got, ... end \
         local function iter(s, i) if i < 2 then return i + 1, leaf('it' .. i) end end \
         local co = coroutine.create(function(a, b) \
           local r1 = leaf('plain') \
           local ok, r2 = pcall(function() return leaf('pcall') * 2 end) \
           local ok2, r3 = xpcall(function() local x = leaf('xpcall') error('boom ' .. x, 0) end, function(m) return 'handled ' .. m end) \
           local r4, e1, e2 = va('p', 'q') \
           local sum = 0 for i, v in iter, nil, 0 do sum = sum + v end \
           local r5 = tail('tail') \
           return table.concat({a, b, r1, tostring(ok), r2, tostring(ok2), r3, r4, e1, e2, sum, r5}, ',') \
         end) \
         local ok, first = coroutine.resume(co, 'A', 'B') assert(ok and first == 'plain', first) \
         return {co = co, log = log}",
        "local steps = {} \
         local co = v.co \
         local function step(x) local ok, r = coroutine.resume(co, x) assert(ok, r) steps[#steps + 1] = r return r end \
         assert(step(1) == 'pcall') \
         assert(step(21) == 'xpcall') \
         assert(step('X') == 'va2') \
         assert(step('V') == 'it0') \
         assert(step(10) == 'it1') \
         assert(step(20) == 'tail') \
         local last = step('T') \
         assert(last == 'A,B,1,true,42,false,handled boom X,V,p,q,30,T', last) \
         assert(coroutine.status(co) == 'dead') \
         assert(table.concat(v.log, ' ') == 'plain=1 pcall=21 xpcall=X va2=V it0=10 it1=20', table.concat(v.log, ' '))",
    );
}

#[test]
fn open_upvalues_stay_shared_with_persisted_closures() {
    // The closures are met before the coroutine, after it, and only through its stack.
    for order in [
        "{inc = inc, get = get, co = co}",
        "{co, inc, get}",
        "{inc, co, get}",
    ] {
        let make = format!(
            "local inc, get \
             local co = coroutine.create(function() \
               local count = 0 \
               inc = function() count = count + 1 return count end \
               get = function() return count end \
               while true do \
                 local cmd = coroutine.yield(count) \
                 if cmd == 'stop' then return count end \
                 count = count + 10 \
               end \
             end) \
             coroutine.resume(co) inc() \
             local t = {order} return t"
        );
        let (co, inc, get) = if order.starts_with("{inc =") {
            ("v.co", "v.inc", "v.get")
        } else if order.starts_with("{co") {
            ("v[1]", "v[2]", "v[3]")
        } else {
            ("v[2]", "v[1]", "v[3]")
        };
        round_trip(
            &make.replace("{order}", order),
            &format!(
                "assert({inc}() == 2) \
                 local ok, n = coroutine.resume({co}, 'go') assert(ok and n == 12, n) \
                 assert({get}() == 12 and {inc}() == 13) \
                 local ok2, last = coroutine.resume({co}, 'stop') assert(ok2 and last == 13, last) \
                 assert({inc}() == 14 and {get}() == 14)"
            ),
        );
    }
}

#[test]
fn to_be_closed_variables_still_close() {
    // When the body finishes, and when the coroutine is closed while suspended.
    let make = "local log = {} \
         local function closer(name) return setmetatable({}, {__close = function() log[#log + 1] = name end}) end \
         local co = coroutine.create(function() \
           local a <close> = closer('a') \
           local b <close> = closer('b') \
           coroutine.yield() \
           log[#log + 1] = 'body' \
         end) \
         coroutine.resume(co) \
         return {co = co, log = log}";
    round_trip(
        make,
        "assert(coroutine.resume(v.co)) \
         assert(table.concat(v.log, ' ') == 'body b a', table.concat(v.log, ' '))",
    );
    round_trip(
        make,
        "assert(coroutine.close(v.co)) \
         assert(table.concat(v.log, ' ') == 'b a', table.concat(v.log, ' '))",
    );
}

#[test]
fn errors_after_restore_unwind_through_restored_pcall_frames() {
    round_trip(
        "local co = coroutine.create(function() \
           local ok, e = pcall(function() local x = coroutine.yield('in') error({code = x}) end) \
           coroutine.yield(ok, e.code) \
           error('outside') \
         end) \
         coroutine.resume(co) \
         return co",
        "local ok, a, b = coroutine.resume(v, 7) assert(ok and a == false and b == 7, tostring(b)) \
         local ok2, e = coroutine.resume(v) assert(not ok2 and e:find('outside'), e) \
         assert(coroutine.status(v) == 'dead')",
    );
}

#[test]
fn a_restored_coroutine_persists_again_and_coroutines_nest() {
    let a = State::new();
    let bytes = a
        .serialize(
            "local inner = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end) \
             local outer = coroutine.create(function() \
               local me = coroutine.running() \
               local sum = 0 \
               while true do sum = sum + coroutine.yield(sum, me) end \
             end) \
             coroutine.resume(outer) coroutine.resume(outer, 5) \
             local gen = coroutine.create(function() local t = {} while #t < 4 do t[#t + 1] = coroutine.yield(#t) end return t end) \
             coroutine.resume(gen) coroutine.resume(gen, 'a') \
             return {outer = outer, gen = gen}",
        )
        .unwrap();
    let b = State::new();
    b.deserialize(&bytes, "v").unwrap();
    b.run(
        "local ok, sum, me = coroutine.resume(v.outer, 10) assert(ok and sum == 15 and me == v.outer) \
         assert(select(2, coroutine.resume(v.gen, 'b')) == 2)",
    );
    b.eval("return v");
    let again = {
        let mut out = Vec::new();
        // SAFETY: a valid state with a value on top.
        unsafe { lua_persist::serializer::serialize_value_to_vec(b.0, -1, &mut out).unwrap() };
        b.pop(1);
        out
    };
    let c = State::new();
    c.deserialize(&again, "v").unwrap();
    c.run(
        "local ok, sum, me = coroutine.resume(v.outer, 100) assert(ok and sum == 115 and me == v.outer) \
         assert(select(2, coroutine.resume(v.gen, 'c')) == 3) \
         local ok2, t = coroutine.resume(v.gen, 'd') assert(ok2 and table.concat(t) == 'abcd')",
    );
}

#[test]
fn what_cannot_be_described_is_refused_saying_why() {
    let s = State::new();
    let why = |code: &str| match s.serialize(code) {
        Err(lua_persist::serializer::SerializationError::CoroutineNotPersistable {
            why, ..
        }) => why,
        other => panic!("{code}: {other:?}"),
    };
    assert_eq!(
        why(
            "local t = setmetatable({}, {__index = function(_, k) return coroutine.yield(k) end}) \
             local co = coroutine.create(function() return t.x end) coroutine.resume(co) return co"
        ),
        "it yielded inside a metamethod"
    );
    assert_eq!(
        why("local co = coroutine.create(function() \
               local c <close> = setmetatable({}, {__close = function() coroutine.yield() end}) \
             end) coroutine.resume(co) return co"),
        "it yielded inside a __close metamethod"
    );
    // A C hook may yield (a Lua hook cannot: it is called across C).
    unsafe extern "C-unwind" fn yielding_hook(state: *mut lua_State, _: *mut lua_Debug) {
        // SAFETY: called by Lua as a line hook of a coroutine, which may yield from hooks.
        unsafe { lua_yield(state, 0) };
    }
    s.eval("local co = coroutine.create(function() local x = 1 return x end) return co");
    // SAFETY: a thread on top of a valid state.
    unsafe { lua_sethook(lua_tothread(s.0, -1), Some(yielding_hook), LUA_MASKLINE, 0) };
    s.set_global("hooked");
    assert_eq!(
        why("assert(coroutine.resume(hooked)) assert(coroutine.status(hooked) == 'suspended') return hooked"),
        "it yielded inside a hook"
    );
    // The main thread is refused as such.
    assert_eq!(why("return coroutine.running()"), "it is the main thread");
    // (A coroutine serializing itself: "it is running", tests/runner.rs.)
}

/// The ranges of Lua chunks (their u32 length and bytes) in a payload: Lua does not verify
/// bytecode, so flipping bytes inside a chunk tests Lua, not us (the policy "authenticate"
/// is what keeps changed chunks out; see below).
fn chunk_ranges(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut i = 4;
    while i + 4 <= bytes.len() {
        if &bytes[i..i + 4] == b"\x1bLua" {
            let len = u32::from_le_bytes(bytes[i - 4..i].try_into().unwrap()) as usize;
            ranges.push(i - 4..i + len);
            i += len;
        } else {
            i += 1;
        }
    }
    ranges
}

/// A count hook that stops whatever a changed coroutine runs into.
unsafe extern "C-unwind" fn budget_hook(state: *mut lua_State, _: *mut lua_Debug) {
    // SAFETY: called by Lua as a count hook; raising there is allowed.
    unsafe { luaL_error(state, c"instruction budget spent".as_ptr()) }
}

const HOSTILE_SOURCE: &str = "local shared \
     local function va(...) local x <close> = setmetatable({}, {__close = function() end}) \
       local got = coroutine.yield(...) return got end \
     local co = coroutine.create(function(a) \
       local n = a \
       shared = function() n = n + 1 return n end \
       local ok, r = pcall(va, 1, 2, 3) \
       return n + r \
     end) \
     coroutine.resume(co, 5) \
     return {co, shared}";

#[test]
fn every_prefix_and_byte_flip_of_coroutine_bytes_fails_cleanly() {
    let bytes = State::new().serialize(HOSTILE_SOURCE).unwrap();
    let chunks = chunk_ranges(&bytes);
    assert_eq!(
        chunks.len(),
        4,
        "the body, va, the __close function and shared"
    );
    let s = State::new();
    // SAFETY: a valid state; threads it makes take its hook.
    unsafe { lua_sethook(s.0, Some(budget_hook), LUA_MASKCOUNT, 100_000) };
    for len in 0..bytes.len() {
        assert!(
            s.deserialize(&bytes[..len], "v").is_err(),
            "prefix of {len} bytes decoded"
        );
    }
    let (mut decoded, mut refused) = (0, 0);
    for at in 0..bytes.len() {
        if chunks.iter().any(|r| r.contains(&at)) {
            continue;
        }
        for mask in [0x01u8, 0x80, 0xFF] {
            let mut changed = bytes.clone();
            changed[at] ^= mask;
            match s.deserialize(&changed, "v") {
                Err(_) => refused += 1,
                Ok(()) => {
                    decoded += 1;
                    // Whatever it became runs (within the budget) or fails, as Lua code does.
                    s.run(
                        "if type(v) == 'table' and type(v[1]) == 'thread' then \
                           pcall(coroutine.resume, v[1], 1) pcall(coroutine.resume, v[1], 2) \
                           pcall(coroutine.close, v[1]) \
                           if type(v[2]) == 'function' then pcall(v[2]) end \
                         end v = nil collectgarbage()",
                    );
                }
            }
        }
    }
    assert!(refused > decoded, "{refused} refused, {decoded} decoded");
    // The original still works in the same state.
    s.deserialize(&bytes, "v").unwrap();
    s.run("local ok, r = coroutine.resume(v[1], 10) assert(ok and r == 15, r) assert(v[2]() == 6)");
}

#[test]
fn under_authenticate_a_coroutine_is_code_and_must_be_signed() {
    use lua_persist::function_serializer::{set_bytecode_policy, BytecodePolicy};
    let policy = BytecodePolicy::Authenticate(b"key".to_vec());
    let a = State::new();
    let plain = a.serialize(HOSTILE_SOURCE).unwrap();
    // SAFETY: valid states.
    unsafe { set_bytecode_policy(a.0, &policy).unwrap() };
    let signed = a.serialize(HOSTILE_SOURCE).unwrap();
    let b = State::new();
    // SAFETY: a valid state.
    unsafe { set_bytecode_policy(b.0, &policy).unwrap() };
    let e = b.deserialize(&plain, "v").unwrap_err();
    assert!(e.to_string().contains("signed"), "{e}");
    // Every byte of a signed coroutine is covered, bytecode and frames alike.
    for at in 0..signed.len() {
        let mut changed = signed.clone();
        changed[at] ^= 0x01;
        assert!(
            b.deserialize(&changed, "v").is_err(),
            "flip at {at} decoded"
        );
    }
    b.deserialize(&signed, "v").unwrap();
    b.run("local ok, r = coroutine.resume(v[1], 10) assert(ok and r == 15, r)");
    // Refuse: no coroutine with frames at all.
    let c = State::new();
    // SAFETY: a valid state.
    unsafe { set_bytecode_policy(c.0, &BytecodePolicy::Refuse).unwrap() };
    assert!(c.deserialize(&plain, "v").is_err());
}
