//! Round trips of values, functions and closures through serialize_value and
//! deserialize_value, and the stack discipline of both.

mod common;
use common::{round_trip, State};

#[test]
fn scalars_keep_their_exact_value_and_subtype() {
    round_trip("return 2.0", "assert(math.type(v) == 'float' and v == 2)");
    round_trip("return -0.0", "assert(1 / v == -math.huge)");
    round_trip("return 0/0", "assert(v ~= v)");
    round_trip("return math.huge", "assert(v == math.huge)");
    round_trip("return -math.huge", "assert(v == -math.huge)");
    round_trip(
        "return math.mininteger",
        "assert(math.type(v) == 'integer' and v == math.mininteger)",
    );
    round_trip("return math.maxinteger", "assert(v == math.maxinteger)");
    round_trip("return 0.1", "assert(v == 0.1)");
    round_trip("return true", "assert(v == true)");
    round_trip("return false", "assert(v == false)");
    round_trip("return nil", "assert(v == nil)");
    round_trip(
        r#"return "a\0b\255""#,
        r#"assert(v == "a\0b\255" and #v == 4)"#,
    );
    round_trip("return ''", "assert(v == '')");
    round_trip(
        "return string.rep('x', 3 * 1024 * 1024)",
        "assert(#v == 3 * 1024 * 1024)",
    );
}

#[test]
fn tables_with_shared_references_cycles_and_metatables() {
    round_trip(
        "local shared = {1, 2} local t = {a = shared, b = shared, list = {10, 20, 30, nil, 50}} t.self = t return t",
        "assert(v.a == v.b and v.self == v and v.a[2] == 2) assert(v.list[3] == 30 and v.list[5] == 50 and v.list[4] == nil)",
    );
    round_trip(
        "local mt = {__index = function(t, k) return k .. '!' end} return setmetatable({x = 1}, mt)",
        "assert(v.x == 1 and v.y == 'y!')",
    );
    round_trip(
        "local k = {} return {[1.5] = 'f', [true] = 't', [false] = 'F', [k] = 'table key', key = k, [-1] = 'neg'}",
        "assert(v[1.5] == 'f' and v[true] == 't' and v[false] == 'F' and v[v.key] == 'table key' and v[-1] == 'neg')",
    );
}

#[test]
fn functions_and_closures() {
    round_trip(
        "return function(a, b) return a + b end",
        "assert(v(2, 3) == 5)",
    );
    round_trip(
        "local n = 41 return function() n = n + 1 return n end",
        "assert(v() == 42 and v() == 43)",
    );
    // A counter made by one factory: inc and get share their upvalue after restore.
    round_trip(
        "local function counter() local c = 0 return {inc = function() c = c + 1 end, get = function() return c end} end
         local k = counter() k.inc() return k",
        "v.inc() v.inc() assert(v.get() == 3)",
    );
    // Globals re-bind to the loading state's globals; a custom _ENV is kept.
    round_trip(
        "return function() return marker end",
        "marker = 'here' assert(v() == 'here')",
    );
    round_trip(
        "local env = {x = 5} return load('return x', 'c', 't', env)",
        "x = 'global' assert(v() == 5)",
    );
    // Recursive local functions.
    round_trip(
        "local function fact(n) if n <= 1 then return 1 end return n * fact(n - 1) end return fact",
        "assert(v(10) == 3628800)",
    );
    // Functions nested in tables (cu traps on these).
    round_trip(
        "return {obj = {f = function(a) return a + 1 end}, list = {function() return 'x' end}}",
        "assert(v.obj.f(1) == 2 and v.list[1]() == 'x')",
    );
    // The same function twice is one function after restore.
    round_trip(
        "local f = function() end return {f, f}",
        "assert(v[1] == v[2])",
    );
}

#[test]
fn c_functions_by_name() {
    round_trip(
        "return {fmt = string.format, p = print, ins = table.insert, co = coroutine.wrap, floor = math.floor}",
        "assert(v.fmt == string.format and v.p == print and v.ins == table.insert and v.co == coroutine.wrap and v.floor == math.floor)",
    );
    round_trip("return io.stdout.write", "assert(v == io.stdout.write)");
    round_trip(
        "return function(...) return string.format('%d-%s', ...) end",
        "assert(v(1, 'a') == '1-a')",
    );
}

#[test]
fn debug_info_is_stripped_by_default_and_kept_on_request() {
    use lua_persist::serializer::{serialize_value_with, SerializeOptions};
    let make = "return function()\n\n  error('boom')\nend";
    // Stripped: no line numbers in the error.
    round_trip(
        make,
        "local ok, e = pcall(v) assert(not ok and e == 'boom', e)",
    );
    // Kept: the error names the line of the original source.
    let a = State::new();
    a.eval(make);
    let mut bytes = Vec::new();
    let options = SerializeOptions {
        strip_debug: false,
        ..Default::default()
    };
    // SAFETY: the function is on top of a valid state.
    unsafe { serialize_value_with(a.0, -1, &mut bytes, &options).unwrap() };
    let b = State::new();
    b.deserialize(&bytes, "v").unwrap();
    b.run("local ok, e = pcall(v) assert(not ok and e:find(':3: boom$'), e)");
}

#[test]
fn the_stack_is_balanced_on_errors() {
    let s = State::new();
    let err = s
        .serialize(
            "local t = setmetatable({}, {__index = function() return coroutine.yield() end}) \
             local co = coroutine.create(function() return t.x end) coroutine.resume(co) \
             return {ok = 1, bad = {co}}",
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot persist the coroutine at .bad[1]: it yielded inside a metamethod"
    );
    let err = s.serialize("return io.stdout").unwrap_err();
    assert_eq!(err.to_string(), "cannot serialize a userdata value");
}

#[test]
fn coroutines_that_have_not_started_or_are_dead_persist() {
    let a = State::new();
    let b = State::new();
    // Not started: it runs from the start in the other state, with its upvalues; dead stays
    // dead; one coroutine twice (and in its own upvalue) stays one.
    let bytes = a
        .serialize(
            "local base = 40 \
             local fresh = coroutine.create(function(n) local x = coroutine.yield(base + n) return x * 2 end) \
             local dead = coroutine.create(function() end) coroutine.resume(dead) \
             local failed = coroutine.create(function() error('no') end) coroutine.resume(failed) \
             local me; me = coroutine.create(function() return me end) \
             return {fresh = fresh, dead = dead, failed = failed, me = me, again = me}",
        )
        .unwrap();
    b.deserialize(&bytes, "v").unwrap();
    b.run(
        "assert(coroutine.status(v.fresh) == 'suspended') \
         local ok, first = coroutine.resume(v.fresh, 2) assert(ok and first == 42, first) \
         local ok2, last = coroutine.resume(v.fresh, 21) assert(ok2 and last == 42) \
         assert(coroutine.status(v.fresh) == 'dead') \
         assert(coroutine.status(v.dead) == 'dead' and coroutine.status(v.failed) == 'dead') \
         local ok3, e = coroutine.resume(v.dead) assert(not ok3 and e == 'cannot resume dead coroutine') \
         assert(v.me == v.again) local ok4, itself = coroutine.resume(v.me) assert(ok4 and itself == v.me)",
    );
    // What cannot persist says why (a running coroutine: tests/runner.rs, through persist).
    let err = a.serialize("return coroutine.running()").unwrap_err();
    assert!(matches!(
        err,
        lua_persist::serializer::SerializationError::CoroutineNotPersistable { ref why, .. }
            if why == "it is the main thread"
    ));
}
