//! Hostile input: whatever the bytes, `deserialize_value` returns a value or a named error,
//! quickly, without crashing, leaking or allocating far beyond the input, and leaves the
//! stack balanced; and the encoder's limits and refusals. Each error case matches the exact
//! variant.
//!
//! This binary counts the bytes it allocates per thread (a counting global allocator; Lua's
//! memory comes from the global allocator too), so that tests can bound the peak memory of
//! one decode and check that thousands of failing decodes leak nothing.
#![allow(non_snake_case)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::c_int;
use std::time::{Duration, Instant};

use common::{variant_name, Rng, State};
use lua_persist::ffi::*;
use lua_persist::format_walker::walk;
use lua_persist::function_serializer::{
    register_c_function, set_bytecode_policy, BytecodePolicy, FunctionSerializationError as F,
};
use lua_persist::lua;
use lua_persist::serializer::{
    deserialize_value_with, serialize_value, serialize_value_with, DeserializeOptions,
    SerializationError as E, SerializeOptions,
};
use lua_persist::table_refs::set_table_ref_resolver;

// ------------------------------------------------------------- counting allocator

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn account(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| {
            if now > peak.get() {
                peak.set(now)
            }
        });
    });
}

// SAFETY: forwards to the system allocator; the bookkeeping neither allocates nor panics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded GlobalAlloc contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            account(layout.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded GlobalAlloc contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            account(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded GlobalAlloc contract.
        unsafe { System.dealloc(ptr, layout) };
        account(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded GlobalAlloc contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            account(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes this thread holds (allocated minus freed since it started).
fn live_bytes() -> isize {
    LIVE.with(|l| l.get())
}

/// Runs `body` and returns its result and the most bytes this thread held above the
/// level at the start.
fn peak_during<R>(body: impl FnOnce() -> R) -> (R, isize) {
    let start = live_bytes();
    PEAK.with(|p| p.set(start));
    let r = body();
    (r, PEAK.with(|p| p.get()) - start)
}

// ------------------------------------------------------------------------ helpers

/// Decodes `bytes`, checks the stack discipline and pops the value (if any).
fn decode(s: &State, bytes: &[u8]) -> Result<(), E> {
    decode_with(s, bytes, &DeserializeOptions::default())
}

fn decode_with(s: &State, bytes: &[u8], options: &DeserializeOptions) -> Result<(), E> {
    let top = s.top();
    // SAFETY: a valid state.
    let r = unsafe { deserialize_value_with(s.0, bytes, options) };
    match &r {
        Ok(()) => {
            assert_eq!(s.top(), top + 1, "success must push exactly one value");
            s.pop(1);
        }
        Err(_) => assert_eq!(s.top(), top, "an error must push nothing"),
    }
    r
}

/// The function error inside `r` (panics on anything else).
fn function_error(r: Result<(), E>) -> F {
    match r {
        Err(E::Function { source, .. }) => source,
        other => panic!("expected a function error, got {other:?}"),
    }
}

/// Bytes from hex with spaces, e.g. `"08 01000000 00000000"`.
fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len().is_multiple_of(2), "odd hex: {s}");
    digits
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn u32le(n: u32) -> [u8; 4] {
    n.to_le_bytes()
}

/// A string value: tag 04, u32 length, bytes.
fn string_value(b: &[u8]) -> Vec<u8> {
    cat(&[&[0x04], &u32le(b.len() as u32), b])
}

/// The bytes of the Lua string that `code` returns.
fn lua_string(s: &State, code: &str) -> Vec<u8> {
    s.eval(code);
    // SAFETY: eval left one value on top.
    let b = unsafe { lua::tostring(s.0, -1) }
        .unwrap_or_else(|| panic!("`{code}` gave no string"))
        .to_vec();
    s.pop(1);
    b
}

/// `string.dump(f, true)` of the function expression `f`.
fn dump(s: &State, f: &str) -> Vec<u8> {
    lua_string(s, &format!("return string.dump({f}, true)"))
}

/// A closure payload: `0A`, u32 length, the chunk, then `rest` (upvalue count and entries).
fn closure(chunk: &[u8], rest: &[u8]) -> Vec<u8> {
    cat(&[&[0x0A], &u32le(chunk.len() as u32), chunk, rest])
}

fn serialize(s: &State, code: &str) -> Vec<u8> {
    s.serialize(code)
        .unwrap_or_else(|e| panic!("`{code}`: {e}"))
}

fn set_policy(s: &State, policy: BytecodePolicy) {
    // SAFETY: a valid state.
    unsafe { set_bytecode_policy(s.0, &policy) }.unwrap();
}

fn authenticating(key: &[u8]) -> State {
    let s = State::new();
    set_policy(&s, BytecodePolicy::Authenticate(key.to_vec()));
    s
}

fn lua_gc_count_kb(s: &State) -> f64 {
    s.eval("collectgarbage() collectgarbage() return collectgarbage('count')");
    // SAFETY: eval left a number on top.
    let kb = unsafe { lua::tonumber(s.0, -1) }.unwrap();
    s.pop(1);
    kb
}

/// The state still runs code.
fn assert_usable(s: &State) {
    s.run(
        "local t = {} for i = 1, 100 do t[i] = i end assert(#t == 100 and select('#', 1, 2) == 2)",
    );
}

/// Valid payloads of many shapes, made in a Trust state: (name, bytes).
fn corpus(s: &State) -> Vec<(&'static str, Vec<u8>)> {
    let mut c = vec![
        ("nil", serialize(s, "return nil")),
        ("boolean", serialize(s, "return true")),
        ("integer", serialize(s, "return math.mininteger")),
        ("float", serialize(s, "return -0.0")),
        ("string", serialize(s, "return 'hello\\0world'")),
        ("empty table", serialize(s, "return {}")),
        (
            "table",
            serialize(
                s,
                "local t = {1, 2.5, 'three', {4}, x = {y = {z = true}}, [false] = 0, [0.5] = -1}
                 t.self = t t[t] = t setmetatable(t, {__index = t}) return t",
            ),
        ),
        (
            "many objects",
            serialize(
                s,
                "local t = {} for i = 1, 12 do t[i] = {i} end for i = 1, 12 do t[12 + i] = t[i] end return t",
            ),
        ),
        ("globals", serialize(s, "return {_G, g = _G}")),
        ("simple closure", serialize(s, "return function(a, b) return a + b end")),
        (
            "closure with scalar upvalues",
            serialize(s, "local n, f, b = 41, 0.5, true return function() return n, f, b, x end"),
        ),
        (
            "counter",
            serialize(
                s,
                "local c = 0 return {inc = function() c = c + 1 return c end, get = function() return c end}",
            ),
        ),
        (
            "recursive",
            serialize(s, "local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end return fib"),
        ),
        (
            "closure holding its table",
            serialize(s, "local t = {1} t.f = function() return t, string.format end return t"),
        ),
        (
            "c functions",
            serialize(s, "return {string.format, print, math.random, io.write, require}"),
        ),
    ];
    let chunk = dump(s, "function() return 1 end");
    c.push((
        "cu bytecode",
        cat(&[&[0x05], &u32le(chunk.len() as u32), &chunk]),
    ));
    c.push(("cu C function", hex("06 00 00")));
    c.push(("cu unsupported C function", hex("06 FF FF")));
    c
}

/// Valid signed payloads, made under Authenticate(`key`).
fn signed_corpus(key: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let s = authenticating(key);
    vec![
        ("signed integer", serialize(&s, "return 7")),
        ("signed closure", serialize(&s, "return function(a) return a * 2 end")),
        (
            "signed counter",
            serialize(
                &s,
                "local c = 0 return {inc = function() c = c + 1 return c end, get = function() return c end}",
            ),
        ),
        ("signed c function", serialize(&s, "return {print, n = 1}")),
    ]
}

// ------------------------------------------------------------------- truncation

/// Every strict prefix of a valid payload fails with `Truncated`: a prefix cannot be a
/// complete value, because the decoder reads the same bytes up to where the prefix ends
/// and the whole payload would then have trailing bytes.
#[test]
fn every_prefix_of_a_valid_payload_is_truncated() {
    let s = State::new();
    let mut cases = corpus(&s);
    cases.extend(signed_corpus(b"key"));
    let authenticating = authenticating(b"key");
    for (name, bytes) in &cases {
        // The whole payload decodes.
        decode(&s, bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        if name.starts_with("signed") {
            decode(&authenticating, bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        for len in 0..bytes.len() {
            for state in [&s, &authenticating] {
                let r = decode(state, &bytes[..len]);
                // Under Authenticate an unsigned function payload is refused as soon as its
                // tag is read.
                let refused_unsigned = std::ptr::eq(state, &authenticating)
                    && !name.starts_with("signed")
                    && matches!(
                        &r,
                        Err(E::Function {
                            source: F::UnsignedBytecode | F::GlobalsRefused,
                            ..
                        })
                    );
                assert!(
                    matches!(r, Err(E::Truncated { .. })) || refused_unsigned,
                    "{name}, prefix of {len} of {} bytes: {r:?}",
                    bytes.len()
                );
            }
        }
    }
    assert_usable(&s);
    assert_usable(&authenticating);
}

// ----------------------------------------------------------------- flipped bytes

/// Where the chunks in `payload` keep the upvalue count of their main closure: byte 31
/// after each `\x1bLua` signature (the byte after the 31-byte header).
fn chunk_upvalue_count_positions(payload: &[u8]) -> Vec<usize> {
    payload
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"\x1bLua")
        .map(|(i, _)| i + 31)
        .collect()
}

/// Every single-byte change of valid payloads decodes or fails with a named error (never a
/// crash). Decoded functions are not called: Lua does not verify bytecode. The garbage
/// collector runs over what was decoded, and the state keeps working.
///
/// The states have a memory limit: a changed byte in a chunk can make Lua's loader
/// allocate (and fill) gigabytes
/// (`a_corrupted_chunk_is_rejected_without_running_out_of_memory`), which fails fast here
/// as "not enough memory" instead. Lowering the upvalue count of a chunk's main closure
/// crashes (`a_chunk_declaring_fewer_closure_upvalues_is_rejected`): skipped here.
#[test]
fn every_single_byte_change_gives_a_value_or_a_named_error() {
    let limited = |s: State| {
        // SAFETY: a valid state from lua::new_state.
        unsafe { lua::set_memory_limit(s.0, lua::memory_used(s.0) + (64 << 20)) };
        s
    };
    let trust = limited(State::new());
    let mut cases = corpus(&trust);
    cases.extend(signed_corpus(b"key"));
    let authenticate = limited(authenticating(b"key"));
    let refuse = State::new();
    set_policy(&refuse, BytecodePolicy::Refuse);
    let refuse = limited(refuse);
    let mut decodes = 0u64;
    let mut oks = 0u64;
    for (name, bytes) in &cases {
        // Small payloads: every other value of every byte. Larger ones: each single-bit
        // flip, and the byte inverted.
        let every = bytes.len() <= 320;
        let values: Vec<u8> = if every {
            (0..=255).collect()
        } else {
            vec![0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF]
        };
        let upvalue_count_bytes = chunk_upvalue_count_positions(bytes);
        for pos in 0..bytes.len() {
            for &v in &values {
                let mut changed = bytes.clone();
                changed[pos] = if every { v } else { bytes[pos] ^ v };
                if changed[pos] == bytes[pos] {
                    continue;
                }
                // The known crash (see above).
                if upvalue_count_bytes.contains(&pos) && changed[pos] < bytes[pos] {
                    continue;
                }
                for state in [&trust, &authenticate, &refuse] {
                    decodes += 1;
                    match decode(state, &changed) {
                        Ok(()) => oks += 1,
                        Err(E::Lua(m)) => {
                            panic!("{name}, byte {pos} = {:02x}: Lua error {m}", changed[pos])
                        }
                        Err(_) => {}
                    }
                    if decodes.is_multiple_of(2000) {
                        state.run("collectgarbage()");
                    }
                }
            }
        }
        for state in [&trust, &authenticate, &refuse] {
            state.run("collectgarbage() collectgarbage()");
            assert_usable(state);
        }
    }
    assert!(decodes > 50_000 && oks > 0, "{decodes} decodes, {oks} ok");
}

/// The environment variable that makes a child test process decode one payload.
const CHILD_ENV: &str = "LUA_PERSIST_HOSTILE_CHILD";

/// Closure payloads whose chunk gives its main closure fewer upvalues (byte 31, the byte
/// after the header) than its function has. Lua's loader only `lua_assert`s that the two
/// agree, so the closure gets fewer upvalue slots than `lua_getupvalue` & co. index: the
/// decoder's upvalue count probe reads past the closure. (A `05` payload loads without a
/// probe; serializing the function it gives probes, and crashes then.)
fn lowered_upvalue_count_payloads() -> Vec<(String, Vec<u8>)> {
    let s = State::new();
    let mut v = Vec::new();
    for (f, upvalues) in [
        ("function() return x end", hex("01 00 0D")),
        (
            "(function() local a, b, c = 1, 2, 3 return function() return a, b, c, x end end)()",
            hex("04 00 00 00 00 00 00 00 0D"),
        ),
    ] {
        let chunk = dump(&s, f);
        let declared = chunk[31];
        for lower in 0..declared {
            let mut c = chunk.clone();
            c[31] = lower;
            let alone = closure(&c, &upvalues);
            let in_table = cat(&[&hex("08 01000000 00000000"), &alone, &[0x00]]);
            v.push((format!("`{f}` with {lower} of {declared} upvalues"), alone));
            v.push((
                format!("`{f}` with {lower} of {declared} upvalues, in a table"),
                in_table,
            ));
            // cu's form: loads without a probe, but the function must not decode either
            // (the child serializes what decodes, which probes the upvalues).
            v.push((
                format!("`{f}` with {lower} of {declared} upvalues, as cu's 05"),
                cat(&[&[0x05], &u32le(c.len() as u32), &c]),
            ));
        }
    }
    v
}

/// Each payload above, decoded in a child process (a crash must not take this process
/// down): every one must fail with a named error, and the child exit normally.
#[test]

fn a_chunk_declaring_fewer_closure_upvalues_is_rejected() {
    let exe = std::env::current_exe().unwrap();
    let mut failures = Vec::new();
    for (i, (name, _)) in lowered_upvalue_count_payloads().iter().enumerate() {
        let out = std::process::Command::new(&exe)
            .args([
                "--exact",
                "child_decodes_a_lowered_upvalue_count_payload",
                "--ignored",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(CHILD_ENV, i.to_string())
            .output()
            .unwrap();
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let reason = stderr.lines().find(|l| l.contains("decoded")).unwrap_or("");
            failures.push(format!("{name}: {} {reason}", out.status));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
#[ignore = "a child process of a_chunk_declaring_fewer_closure_upvalues_is_rejected (does nothing alone)"]
fn child_decodes_a_lowered_upvalue_count_payload() {
    let Some(i) = std::env::var(CHILD_ENV)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    else {
        return;
    };
    let (name, bytes) = &lowered_upvalue_count_payloads()[i];
    let s = State::new();
    let r = s.deserialize(bytes, "v");
    if r.is_ok() {
        // What a host may do with a restored value: store it again.
        let again = s.serialize("return v");
        eprintln!("{name} decoded; serializing it again gave {again:?}");
    }
    s.run("v = nil collectgarbage()");
    assert!(r.is_err(), "{name} decoded");
}

/// A count in a chunk that the chunk's bytes cannot hold: here the upvalue descriptors of
/// `function() return x end` claim 10 million entries (the varint `04 62 2D 80` in place
/// of `81`). Lua's loader allocates the vector and writes every entry before it finds
/// the chunk truncated: 160 MB for a 70-byte payload. With a single changed byte (the
/// same `81` made `05` in the chunk of a recursive function, whose following bytes
/// `01 00 00 80` continue the varint) the claim is 1.3 billion entries: 21 GB written
/// (about 25 s here) in a state without a memory limit, the default of `State::new()` and
/// of `lua::new_state(usize::MAX)`.
#[test]

fn a_corrupted_chunk_is_rejected_without_running_out_of_memory() {
    let s = State::new();
    let chunk = dump(&s, "function() return x end");
    // 1 upvalue (_ENV: instack 0, idx 0, kind 0), then 0 protos.
    let pattern = [0x81, 0x00, 0x00, 0x00, 0x80];
    let at: Vec<usize> = chunk
        .windows(pattern.len())
        .enumerate()
        .filter(|(_, w)| *w == pattern)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        at.len(),
        1,
        "the upvalue section of the chunk: {chunk:02x?}"
    );
    let lying = cat(&[&chunk[..at[0]], &hex("04 62 2D 80"), &chunk[at[0] + 1..]]);
    let payload = cat(&[&[0x05], &u32le(lying.len() as u32), &lying]);
    // SAFETY: a valid state from lua::new_state.
    unsafe { lua::set_memory_limit(s.0, lua::memory_used(s.0) + (1 << 30)) };
    let (r, peak) = peak_during(|| decode(&s, &payload));
    assert!(
        matches!(function_error(r.clone()), F::InvalidBytecode { .. }),
        "{r:?}"
    );
    assert!(
        peak < 16 << 20,
        "a {}-byte payload made the decoder hold {peak} bytes",
        payload.len()
    );
}

unsafe extern "C-unwind" fn first_32_bytes(
    _L: *mut lua_State,
    p: *const std::ffi::c_void,
    size: usize,
    ud: *mut std::ffi::c_void,
) -> c_int {
    // SAFETY: ud is the Vec below; Lua passes `size` readable bytes.
    unsafe {
        let out = &mut *(ud as *mut Vec<u8>);
        out.extend_from_slice(std::slice::from_raw_parts(p as *const u8, size));
        (out.len() >= 32) as c_int // stop once byte 31 is known
    }
}

/// Whether some chunk in `payload` gives its main closure fewer upvalue slots than its
/// function has upvalues (the crash of `a_chunk_declaring_fewer_closure_upvalues_...`):
/// each `\x1bLua` is loaded from there to the end in `scratch`; the closure's slot count
/// (`lua_getinfo` "u") is compared with the function's, which `lua_dump` writes as byte 31.
/// A chunk that fails to load here fails in the decoder too, which reads a prefix of it.
fn has_lowered_upvalue_count(scratch: &State, payload: &[u8]) -> bool {
    (0..payload.len().saturating_sub(3)).any(|i| {
        if &payload[i..i + 4] != b"\x1bLua" {
            return false;
        }
        let rest = &payload[i..];
        // SAFETY: a valid state; the loaded function is popped; the writer gets a live Vec.
        unsafe {
            let status = luaL_loadbufferx(
                scratch.0,
                rest.as_ptr() as *const _,
                rest.len(),
                c"=scratch".as_ptr(),
                c"b".as_ptr(),
            );
            if status != LUA_OK {
                lua_pop(scratch.0, 1);
                return false;
            }
            let mut ar: lua_Debug = std::mem::zeroed();
            lua_pushvalue(scratch.0, -1);
            lua_getinfo(scratch.0, c">u".as_ptr(), &mut ar);
            let mut dumped = Vec::new();
            lua_dump(
                scratch.0,
                Some(first_32_bytes),
                &mut dumped as *mut Vec<u8> as *mut _,
                1,
            );
            lua_pop(scratch.0, 1);
            dumped.len() >= 32 && ar.nups < dumped[31]
        }
    })
}

/// Random mutations of valid payloads (several bytes changed, bytes inserted, ranges
/// deleted or repeated, payloads spliced, u32 fields overwritten) decode or fail with a
/// named error, in states of all three policies with a memory limit. Mutants that hit the
/// known crash are counted and skipped. `HOSTILE_FUZZ_ITERATIONS` and `HOSTILE_FUZZ_SEED`
/// set the count and the seed (for a longer search).
#[test]
fn random_mutations_give_a_value_or_a_named_error() {
    let iterations: usize = std::env::var("HOSTILE_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seed: u64 = std::env::var("HOSTILE_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x9E37_79B9_7F4A_7C15);
    let limited = |s: State| {
        // SAFETY: a valid state from lua::new_state.
        unsafe { lua::set_memory_limit(s.0, lua::memory_used(s.0) + (64 << 20)) };
        s
    };
    let trust = limited(State::new());
    let mut cases = corpus(&trust);
    cases.extend(signed_corpus(b"key"));
    let authenticate = limited(authenticating(b"key"));
    let refuse = State::new();
    set_policy(&refuse, BytecodePolicy::Refuse);
    let refuse = limited(refuse);
    let scratch = limited(State::new());
    let mut rng = Rng(seed | 1);
    let (mut oks, mut skipped) = (0, 0);
    for n in 0..iterations {
        let mut m = cases[rng.below(cases.len())].1.clone();
        for _ in 0..1 + rng.below(3) {
            let len = m.len();
            match rng.below(7) {
                0 if len > 0 => {
                    let at = rng.below(len);
                    m[at] = rng.next() as u8;
                }
                1 => {
                    let at = rng.below(len + 1);
                    m.insert(at, rng.next() as u8);
                }
                2 if len > 0 => {
                    let at = rng.below(len);
                    let end = (at + 1 + rng.below(8)).min(len);
                    m.drain(at..end);
                }
                3 if len > 0 => {
                    let at = rng.below(len);
                    let end = (at + 1 + rng.below(16)).min(len);
                    let piece = m[at..end].to_vec();
                    let to = rng.below(len + 1);
                    m.splice(to..to, piece);
                }
                4 => {
                    let other = &cases[rng.below(cases.len())].1;
                    let from = rng.below(other.len());
                    let at = rng.below(len + 1);
                    m.splice(at..at, other[from..].iter().copied());
                }
                5 if len >= 4 => {
                    let at = rng.below(len - 3);
                    let v: u32 = match rng.below(4) {
                        0 => 0,
                        1 => u32::MAX,
                        2 => rng.below(300) as u32,
                        _ => rng.next() as u32,
                    };
                    m[at..at + 4].copy_from_slice(&v.to_le_bytes());
                }
                _ => m.truncate(rng.below(len + 1)),
            }
        }
        if has_lowered_upvalue_count(&scratch, &m) {
            skipped += 1;
            continue;
        }
        let walked = walk(&m, &DeserializeOptions::default());
        for state in [&trust, &authenticate, &refuse] {
            let decoded = decode(state, &m);
            match &decoded {
                Ok(()) => oks += 1,
                Err(E::Lua(e)) => panic!("mutant {n} {m:02x?}: Lua error {e}"),
                Err(_) => {}
            }
            // The pure-bytes walk accepts what the decoder accepts, and what it rejects
            // the decoder rejects for the same reason (under "trust", which checks no MAC).
            match (&walked, &decoded) {
                (Err(w), Ok(())) => panic!("mutant {n} {m:02x?}: decodes, but the walk says {w}"),
                // Only a state knows its C functions and external tables.
                (
                    _,
                    Err(E::Function {
                        source: F::UnknownCFunction { .. },
                        ..
                    }),
                )
                | (_, Err(E::UnresolvedTableRef { .. })) => {}
                (Err(w), Err(d)) if std::ptr::eq(state, &trust) => assert_eq!(
                    variant_name(w),
                    variant_name(d),
                    "mutant {n} {m:02x?}: the walk says {w}, the decoder {d}"
                ),
                _ => {}
            }
        }
        if n % 5000 == 0 {
            for state in [&trust, &authenticate, &refuse, &scratch] {
                state.run("collectgarbage()");
            }
        }
    }
    for state in [&trust, &authenticate, &refuse] {
        state.run("collectgarbage() collectgarbage()");
        assert_usable(state);
    }
    assert!(
        oks > 0 && skipped < iterations / 10,
        "{oks} ok, {skipped} skipped"
    );
}

// ------------------------------------------------------------------ lying lengths

/// Counts and lengths far beyond the input fail fast with `Truncated` and allocate
/// nothing in proportion to what they claim.
#[test]
fn lying_lengths_fail_fast_without_allocating() {
    let s = State::new();
    let chunk = dump(&s, "function() return 1 end");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("string length 0xFFFFFFFF", hex("04 FFFFFFFF 616263")),
        (
            "string length 0xFFFFFFFF, nothing after",
            hex("04 FFFFFFFF"),
        ),
        ("array length 0xFFFFFFFF", hex("08 FFFFFFFF 00000000 00")),
        ("hash count 0xFFFFFFFF", hex("08 00000000 FFFFFFFF 00 00")),
        ("both counts 0xFFFFFFFF", hex("08 FFFFFFFF FFFFFFFF")),
        (
            "array length 0x7FFFFFFF nested",
            hex("08 01000000 00000000 08 FFFFFF7F 00000000 00 00"),
        ),
        ("closure length 0xFFFFFFFF", hex("0A FFFFFFFF 1B4C7561 00")),
        ("cu bytecode length 0xFFFFFFFF", hex("05 FFFFFFFF 1B4C7561")),
        ("C function name length 0xFFFF", hex("0B FFFF 7072696E74")),
        (
            "signed length 0xFFFFFFFF",
            cat(&[&hex("0C FFFFFFFF"), &[0; 32], &[0]]),
        ),
        (
            "signed length 0xFFFFFFFF, short MAC",
            hex("0C FFFFFFFF 0000"),
        ),
        (
            "string length 0xFFFFFFFF inside a closure's upvalue",
            closure(
                &dump(
                    &s,
                    "(function() local u return function() return u end end)()",
                ),
                &hex("01 00 04 FFFFFFFF 00"),
            ),
        ),
        (
            "string length 0xFFFFFFFF as a table key",
            hex("08 00000000 01000000 04 FFFFFFFF 00 00"),
        ),
    ];
    for (name, bytes) in &cases {
        let started = Instant::now();
        let (r, peak) = peak_during(|| decode(&s, bytes));
        let took = started.elapsed();
        assert!(matches!(r, Err(E::Truncated { .. })), "{name}: {r:?}");
        assert!(took < Duration::from_millis(500), "{name}: took {took:?}");
        assert!(peak < 1 << 20, "{name}: {peak} bytes allocated");
    }
    // 255 upvalues declared for a function with none.
    let r = decode(&s, &closure(&chunk, &hex("FF 00 00")));
    assert!(matches!(
        function_error(r),
        F::UpvalueCountMismatch {
            declared: 255,
            actual: 0
        }
    ));
    assert_usable(&s);
}

/// A table's counts are checked against the bytes that remain, but nested tables each
/// check against the same remaining bytes: 99 nested tables, each claiming (nearly) all of
/// the remaining input as array entries, preallocate 99 times the input size in slots
/// before the decoder finds out that the input is short.
#[test]

fn nested_lying_counts_do_not_multiply_the_memory_used() {
    let s = State::new();
    let depth = 99;
    let total = 100_000usize;
    let mut bytes = Vec::with_capacity(total);
    for _ in 0..depth {
        // Each table claims every byte after its header as one array value.
        let remaining = total - bytes.len() - 9;
        bytes.extend_from_slice(&[0x08]);
        bytes.extend_from_slice(&u32le(remaining as u32));
        bytes.extend_from_slice(&u32le(0));
    }
    bytes.resize(total, 0x00); // nils
    let (r, peak) = peak_during(|| decode(&s, &bytes));
    assert!(matches!(r, Err(E::Truncated { .. })), "{r:?}");
    assert!(
        peak < 32 * total as isize,
        "a {total}-byte input made the decoder hold {peak} bytes at once"
    );
}

// ---------------------------------------------------------------------- nesting

/// `n` copies of `open`, then `middle`, then `n` copies of `close`.
fn nest(open: &[u8], middle: &[u8], close: &[u8], n: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(n * (open.len() + close.len()) + middle.len());
    for _ in 0..n {
        v.extend_from_slice(open);
    }
    v.extend_from_slice(middle);
    for _ in 0..n {
        v.extend_from_slice(close);
    }
    v
}

#[test]
fn deep_nesting_fails_with_depth_limit_exceeded() {
    let s = State::new();
    let up = dump(
        &s,
        "(function() local u return function() return u end end)()",
    );
    // Tables as array values, as hash values, as metatables; closures as upvalues.
    let tables = nest(&hex("08 01000000 00000000"), &[0x00], &[0x00], 10_000);
    let hash_values = nest(&hex("08 00000000 01000000 01 01"), &[0x00], &[0x00], 10_000);
    let metatables = nest(&hex("08 00000000 00000000"), &[0x00], &[], 10_000);
    let upvalues = nest(&closure(&up, &hex("01 00")), &[0x00], &[], 10_000);
    // Signed envelopes whose lengths are consistent (MACs unchecked under Trust).
    let mut envelopes = vec![0x00];
    for _ in 0..10_000 {
        let inner = envelopes;
        envelopes = cat(&[&[0x0C], &u32le(inner.len() as u32), &[0; 32], &inner]);
    }
    // Only openings, cut off: the depth check comes before running out of input.
    let unterminated = hex("08 01000000 00000000").repeat(10_000);
    for (name, bytes) in [
        ("tables", &tables),
        ("hash values", &hash_values),
        ("metatables", &metatables),
        ("closures in upvalues", &upvalues),
        ("unterminated tables", &unterminated),
    ] {
        let started = Instant::now();
        let r = decode(&s, bytes);
        assert!(
            matches!(r, Err(E::DepthLimitExceeded { limit: 100, .. })),
            "{name}: {r:?}"
        );
        let _ = &envelopes; // nested envelopes: see signed_envelopes_only_as_the_whole_payload
        assert!(started.elapsed() < Duration::from_secs(2), "{name}");
    }
    // The limit itself: 100 levels pass, 101 fail (FORMAT.md, Limits).
    let t100 = nest(&hex("08 01000000 00000000"), &[0x00], &[0x00], 99);
    let t100 = cat(&[&t100, &[]]);
    let level = |n: usize| {
        nest(
            &hex("08 01000000 00000000"),
            &hex("08 00000000 00000000 00"),
            &[0x00],
            n - 1,
        )
    };
    assert_eq!(t100.len(), t100.len());
    decode(&s, &level(100)).unwrap();
    assert!(matches!(
        decode(&s, &level(101)),
        Err(E::DepthLimitExceeded { limit: 100, .. })
    ));
    let options = DeserializeOptions {
        max_depth: 3,
        ..Default::default()
    };
    decode_with(&s, &level(3), &options).unwrap();
    assert!(matches!(
        decode_with(&s, &level(4), &options),
        Err(E::DepthLimitExceeded { limit: 3, .. })
    ));
    assert_usable(&s);
}

/// References are not nesting: 20,000 objects and a reference to each, and a reference
/// back to every ancestor from the bottom of a 90-deep chain.
#[test]
fn many_and_deep_references_resolve() {
    let s = State::new();
    let n = 20_000u32;
    let mut bytes = cat(&[&[0x08], &u32le(2 * n), &u32le(0)]);
    for _ in 0..n {
        bytes.extend_from_slice(&hex("08 00000000 00000000 00"));
    }
    for i in 1..=n {
        bytes.extend_from_slice(&[0x09]);
        bytes.extend_from_slice(&u32le(i));
    }
    bytes.push(0x00);
    s.deserialize(&bytes, "v").unwrap();
    s.run(&format!(
        "for i = 1, {n} do assert(type(v[i]) == 'table' and rawequal(v[i], v[{n} + i])) end
         for i = 2, {n} do assert(not rawequal(v[i], v[i - 1])) end"
    ));
    // A chain: each level is object d (d = 0..89); the deepest holds references to all.
    let depth = 90u32;
    let mut chain = Vec::new();
    for _ in 0..depth - 1 {
        chain.extend_from_slice(&hex("08 01000000 00000000"));
    }
    chain.extend_from_slice(&cat(&[&[0x08], &u32le(depth), &u32le(0)]));
    for d in 0..depth {
        chain.extend_from_slice(&[0x09]);
        chain.extend_from_slice(&u32le(d));
    }
    chain.push(0x00);
    chain.extend(std::iter::repeat_n(0x00, depth as usize - 1));
    s.deserialize(&chain, "c").unwrap();
    s.run(&format!(
        "local t, all = c, {{}}
         for d = 1, {depth} do all[d] = t t = t[1] end
         local bottom = all[{depth}]
         for d = 1, {depth} do assert(rawequal(bottom[d], all[d])) end"
    ));
    assert_usable(&s);
}

// ------------------------------------------------------------- decoding errors

#[test]
fn references_to_unknown_objects() {
    let s = State::new();
    for (bytes, want_index, want_known) in [
        (hex("09 00000000"), 0, 0),
        (hex("09 FFFFFFFF"), u32::MAX, 0),
        (hex("08 01000000 00000000 09 01000000 00"), 1, 1),
        // A reference to the table's own metatable before the metatable is read.
        (
            hex("08 01000000 00000000 09 01000000 08 00000000 00000000 00"),
            1,
            1,
        ),
        // Objects 0..8 in stack slots, later ones in a table: one past the end.
        (
            cat(&[
                &hex("08 0A000000 00000000"),
                &hex("08 00000000 00000000 00").repeat(9),
                &hex("09 0A000000 00"),
            ]),
            10,
            10,
        ),
    ] {
        let r = decode(&s, &bytes);
        assert!(
            matches!(r, Err(E::InvalidReference { index, known, .. }) if index == want_index && known == want_known),
            "{bytes:02x?}: {r:?}"
        );
    }
    // A closure's upvalue referring to an object not read yet.
    let up = dump(
        &s,
        "(function() local u return function() return u end end)()",
    );
    let r = decode(&s, &closure(&up, &hex("01 00 09 01000000")));
    assert!(
        matches!(
            r,
            Err(E::InvalidReference {
                index: 1,
                known: 1,
                ..
            })
        ),
        "{r:?}"
    );
    assert_usable(&s);
}

#[test]
fn unknown_tags() {
    let s = State::new();
    for tag in 0x0F..=0xFFu8 {
        // Padding after the tag, so that no count check fails first.
        for (bytes, offset) in [
            (vec![tag], 0),
            (vec![tag, 0, 0, 0, 0, 0, 0, 0, 0], 0),
            (cat(&[&hex("08 01000000 00000000"), &[tag]]), 9),
            (cat(&[&hex("08 00000000 01000000"), &[tag]]), 9),
            (cat(&[&hex("08 00000000 01000000 01 01"), &[tag]]), 11),
            (cat(&[&hex("08 00000000 00000000"), &[tag]]), 9),
            (cat(&[&hex("0C 05000000"), &[0; 32], &[tag]]), 37),
        ] {
            let bytes = cat(&[&bytes, &[0; 4]]);
            let r = decode(&s, &bytes);
            assert!(
                matches!(r, Err(E::UnknownTag { tag: t, offset: o }) if t == tag && o == offset),
                "{bytes:02x?}: {r:?}"
            );
        }
    }
    assert_usable(&s);
}

#[test]
fn trailing_bytes() {
    let s = State::new();
    let c = corpus(&s);
    for (name, bytes) in &c {
        for extra in [
            &[0x00][..],
            &[0x00, 0x00],
            &[0xFF],
            &hex("02 0100000000000000"),
        ] {
            let r = decode(&s, &cat(&[bytes, extra]));
            assert!(
                matches!(r, Err(E::TrailingBytes { offset, len }) if offset == bytes.len() && len == extra.len()),
                "{name} + {extra:02x?}: {r:?}"
            );
        }
    }
    // Inside a signed envelope: a value shorter than the envelope's length.
    let r = decode(&s, &cat(&[&hex("0C 02000000"), &[0; 32], &hex("00 00")]));
    assert!(
        matches!(r, Err(E::TrailingBytes { offset: 38, len: 1 })),
        "{r:?}"
    );
    assert_usable(&s);
}

#[test]
fn nil_and_nan_keys() {
    let s = State::new();
    let nans = [
        f64::NAN.to_bits(),
        (-f64::NAN).to_bits(),
        0x7FF0_0000_0000_0001, // signalling
        0xFFFF_FFFF_FFFF_FFFF,
    ];
    let mut cases = vec![(hex("08 00000000 01000000 00 02 0100000000000000 00"), "nil")];
    for bits in nans {
        cases.push((
            cat(&[
                &hex("08 00000000 01000000 03"),
                &bits.to_le_bytes(),
                &hex("01 01 00"),
            ]),
            "NaN",
        ));
    }
    // cu's index 30 (math.huge) is not a function in Lua 5.4: it decodes to nil.
    cases.push((hex("08 00000000 01000000 06 1E00 01 01 00"), "nil"));
    // A later pair, after a good one.
    cases.push((hex("08 00000000 02000000 01 01 01 01 00 01 00 00"), "nil"));
    for (bytes, what) in cases {
        let r = decode(&s, &bytes);
        assert!(
            matches!(r, Err(E::InvalidKey { what: w, .. }) if w == what),
            "{bytes:02x?}: {r:?}"
        );
    }
    // A NaN value is fine; so are the infinities as keys.
    decode(
        &s,
        &cat(&[
            &hex("08 01000000 00000000 03"),
            &f64::NAN.to_le_bytes(),
            &[0],
        ]),
    )
    .unwrap();
    s.deserialize(
        &cat(&[
            &hex("08 00000000 02000000 03"),
            &f64::INFINITY.to_le_bytes(),
            &hex("01 01 03"),
            &f64::NEG_INFINITY.to_le_bytes(),
            &hex("01 00 00"),
        ]),
        "v",
    )
    .unwrap();
    s.run("assert(v[math.huge] == true and v[-math.huge] == false)");
    assert_usable(&s);
}

#[test]
fn metatables_that_are_not_tables() {
    let s = State::new();
    let chunk = dump(&s, "function() end");
    for meta in [
        hex("01 01"),
        hex("01 00"),
        hex("02 0100000000000000"),
        hex("03 000000000000F03F"),
        string_value(b"__index"),
        hex("0B 0500 7072696E74"),
        hex("06 0000"),
        hex("06 FFFF"),
        closure(&chunk, &hex("00")),
    ] {
        let bytes = cat(&[&hex("08 00000000 00000000"), &meta]);
        let r = decode(&s, &bytes);
        assert!(
            matches!(r, Err(E::InvalidMetatable { offset: 9 })),
            "{bytes:02x?}: {r:?}"
        );
    }
    // nil (also cu's nil-valued index 30, math.huge) means none; the globals table is a table.
    decode(&s, &hex("08 00000000 00000000 06 1E00")).unwrap();
    decode(&s, &hex("08 00000000 00000000 0D")).unwrap();
    assert_usable(&s);
}

#[test]
fn bad_upvalue_kinds_counts_and_shared_indices() {
    let s = State::new();
    let none = dump(&s, "function() return 1 end");
    let one = dump(
        &s,
        "(function() local u return function() return u end end)()",
    );
    let two = dump(
        &s,
        "(function() local u, w return function() return u, w end end)()",
    );
    for kind in 0x02..=0xFFu8 {
        let r = decode(&s, &closure(&one, &[0x01, kind, 0x00]));
        assert!(matches!(function_error(r), F::UnknownUpvalueKind { kind: k } if k == kind));
    }
    for (chunk, declared, actual) in [
        (&none, 1u8, 0u8),
        (&none, 255, 0),
        (&one, 0, 1),
        (&one, 2, 1),
        (&two, 1, 2),
    ] {
        let mut rest = vec![declared];
        for _ in 0..declared {
            rest.extend_from_slice(&[0x00, 0x00]);
        }
        let r = decode(&s, &closure(chunk, &rest));
        assert!(
            matches!(function_error(r), F::UpvalueCountMismatch { declared: d, actual: a } if d == declared && a == actual),
            "declared {declared}, actual {actual}"
        );
    }
    // Shared upvalue indices: none given yet; one past the ones given; huge.
    for (bytes, index, known) in [
        (closure(&one, &hex("01 01 00000000")), 0u32, 0usize),
        (closure(&two, &hex("02 00 00 01 01000000")), 1, 1),
        (closure(&two, &hex("02 00 00 01 FFFFFFFF")), u32::MAX, 1),
        (
            cat(&[
                &hex("08 02000000 00000000"),
                &closure(&one, &hex("01 00 00")),
                &closure(&one, &hex("01 01 01000000")),
                &[0],
            ]),
            1,
            1,
        ),
    ] {
        let r = decode(&s, &bytes);
        assert!(
            matches!(function_error(r), F::InvalidSharedUpvalue { index: i, known: k } if i == index && k == known),
            "{bytes:02x?}"
        );
    }
    // A closure sharing an upvalue with itself (u and w one variable) is valid.
    s.deserialize(
        &closure(&two, &hex("02 00 02 0500000000000000 01 00000000")),
        "f",
    )
    .unwrap();
    s.run("local a, b = f() assert(a == 5 and b == 5) assert(debug.upvalueid(f, 1) == debug.upvalueid(f, 2))");
    // Truncated inside the upvalues.
    for rest in [
        hex(""),
        hex("01"),
        hex("01 00"),
        hex("01 01 000000"),
        hex("01 00 02 01"),
    ] {
        let r = decode(&s, &closure(&one, &rest));
        assert!(matches!(r, Err(E::Truncated { .. })), "{rest:02x?}: {r:?}");
    }
    assert_usable(&s);
}

#[test]
fn c_function_indices_and_names() {
    let s = State::new();
    for index in [66u16, 67, 100, 0x1000, 0xFFFE] {
        let r = decode(&s, &cat(&[&[0x06], &index.to_le_bytes()]));
        assert!(matches!(function_error(r), F::InvalidCFunctionIndex { index: i } if i == index));
    }
    // Every valid index decodes (to the function, or nil for names that are not functions
    // in Lua 5.4), and 0xFFFF to the marker that raises when called.
    for index in 0..66u16 {
        decode(&s, &cat(&[&[0x06], &index.to_le_bytes()])).unwrap();
    }
    s.deserialize(&hex("06 FFFF"), "marker").unwrap();
    s.run("local ok, e = pcall(marker) assert(not ok and e:find('06 FF FF', 1, true), e)");
    for name in [
        &b"foo"[..],
        b"",
        b"print\0",
        b"Print",
        b"string.format ",
        b"_G.print",
        b"string",
        b"FILE*",
        b"\xFF\xFE",
    ] {
        let bytes = cat(&[&[0x0B], &(name.len() as u16).to_le_bytes(), name]);
        let r = decode(&s, &bytes);
        assert!(
            matches!(function_error(r), F::UnknownCFunction { name: ref n } if n.as_bytes() == name || !n.is_ascii()),
            "{name:?}"
        );
    }
    assert_usable(&s);
}

#[test]
fn bytecode_with_a_bad_header() {
    let s = State::new();
    let good = dump(&s, "function() return 1 end");
    let mut chunks: Vec<Vec<u8>> = vec![
        vec![],
        b"return 1".to_vec(),
        good[..4].to_vec(),
        good[..30].to_vec(),
        good[..31].to_vec(),
        good[..good.len() - 1].to_vec(),
    ];
    // Each header byte changed (bytes 0..31: signature, version, format, LUAC_DATA, sizes,
    // LUAC_INT, LUAC_NUM).
    for pos in 0..31 {
        let mut c = good.clone();
        c[pos] ^= 0x01;
        chunks.push(c);
    }
    for chunk in &chunks {
        for bytes in [
            closure(chunk, &hex("00")),
            cat(&[&[0x05], &u32le(chunk.len() as u32), chunk]),
        ] {
            let r = decode(&s, &bytes);
            assert!(
                matches!(function_error(r), F::InvalidBytecode { .. }),
                "{bytes:02x?}"
            );
        }
    }
    assert_usable(&s);
}

unsafe extern "C-unwind" fn resolver(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua with the id as argument 1.
    unsafe {
        let id = lua_tointeger(L, 1);
        lua_createtable(L, 0, 1);
        lua_pushinteger(L, id);
        lua_setfield(L, -2, c"id".as_ptr());
    }
    1
}

unsafe extern "C-unwind" fn raising_resolver(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua; luaL_error does not return.
    unsafe {
        luaL_error(
            L,
            c"no external table %d".as_ptr(),
            lua_tointeger(L, 1) as c_int,
        )
    }
}

#[test]
fn external_table_references() {
    let s = State::new();
    for id in [0u32, 1, 0xFFFF_FFFF] {
        let r = decode(&s, &cat(&[&[0x07], &u32le(id)]));
        assert!(
            matches!(r, Err(E::UnresolvedTableRef { id: i }) if i == id),
            "{r:?}"
        );
    }
    let r = decode(&s, &hex("08 01000000 00000000 07 05000000 00"));
    assert!(matches!(r, Err(E::UnresolvedTableRef { id: 5 })), "{r:?}");
    // SAFETY: a valid state.
    unsafe { set_table_ref_resolver(s.0, Some(resolver)) }.unwrap();
    s.deserialize(&hex("08 01000000 00000000 07 05000000 07 06000000"), "v")
        .unwrap();
    s.run("assert(v[1].id == 5 and getmetatable(v).id == 6)");
    // SAFETY: a valid state.
    unsafe { set_table_ref_resolver(s.0, Some(raising_resolver)) }.unwrap();
    let r = decode(&s, &hex("08 01000000 00000000 07 05000000 00"));
    assert!(
        matches!(&r, Err(E::Lua(m)) if m.contains("no external table 5")),
        "{r:?}"
    );
    assert_usable(&s);
}

// --------------------------------------------------------------- trust policies

#[test]
fn authenticate_refuse_and_trust() {
    let key = b"secret key".to_vec();
    let signer = authenticating(&key);
    let signed_fn = serialize(&signer, "return function(a) return a * 2 end");
    let signed_table = serialize(&signer, "local c = 0 return {inc = function() c = c + 1 return c end, get = function() return c end, p = print}");
    let signed_data = serialize(&signer, "return {1, 2, x = 'y'}");
    assert_eq!(signed_fn[0], 0x0C);

    let trust = State::new();
    let plain_fn = serialize(&trust, "return function(a) return a * 2 end");
    let plain_table_fn = serialize(&trust, "return {f = function() end}");
    let plain_c = serialize(&trust, "return print");
    let plain_data = serialize(&trust, "return {1, 2, x = 'y'}");
    let cu_bytecode = {
        let chunk = dump(&trust, "function() return 1 end");
        cat(&[&[0x05], &u32le(chunk.len() as u32), &chunk])
    };

    // Authenticate with the same key: signed payloads load and work.
    let verifier = authenticating(&key);
    verifier.deserialize(&signed_fn, "f").unwrap();
    verifier.deserialize(&signed_table, "t").unwrap();
    verifier.deserialize(&signed_data, "d").unwrap();
    verifier.run("assert(f(21) == 42) t.inc() t.inc() assert(t.get() == 2 and t.p == print) assert(d.x == 'y')");
    // Unsigned data (no functions) is accepted; unsigned functions are not.
    decode(&verifier, &plain_data).unwrap();
    for bytes in [
        &plain_fn,
        &plain_table_fn,
        &plain_c,
        &cu_bytecode,
        &hex("06 0000"),
        &hex("06 FFFF"),
    ] {
        let r = decode(&verifier, bytes);
        assert!(
            matches!(function_error(r), F::UnsignedBytecode),
            "{bytes:02x?}"
        );
    }
    // Any changed byte of the MAC or of the signed value: SignatureMismatch.
    for bytes in [&signed_fn, &signed_table, &signed_data] {
        for pos in 5..bytes.len() {
            let mut bad = bytes.clone();
            bad[pos] ^= 0x20;
            let r = decode(&verifier, &bad);
            assert!(
                matches!(function_error(r), F::SignatureMismatch),
                "byte {pos}"
            );
        }
    }
    // Another key.
    let other = authenticating(b"another key");
    for bytes in [&signed_fn, &signed_table, &signed_data] {
        assert!(matches!(
            function_error(decode(&other, bytes)),
            F::SignatureMismatch
        ));
    }
    // Unsigned bytes wrapped in an envelope with a made-up MAC.
    let forged = cat(&[
        &[0x0C],
        &u32le(plain_fn.len() as u32),
        &[0xAB; 32],
        &plain_fn,
    ]);
    assert!(matches!(
        function_error(decode(&verifier, &forged)),
        F::SignatureMismatch
    ));

    // Refuse: every function payload, signed or not, nested or not.
    let refuse = State::new();
    set_policy(&refuse, BytecodePolicy::Refuse);
    for bytes in [
        &signed_fn,
        &signed_table,
        &plain_fn,
        &plain_table_fn,
        &plain_c,
        &cu_bytecode,
        &hex("06 0000"),
        &hex("06 FFFF"),
        &hex("08 00000000 00000000 0B 0500 7072696E74"),
    ] {
        let r = decode(&refuse, bytes);
        assert!(
            matches!(function_error(r), F::FunctionsRefused),
            "{bytes:02x?}"
        );
    }
    decode(&refuse, &plain_data).unwrap();
    decode(&refuse, &signed_data).unwrap();

    // Trust: signed payloads load without a check of their MAC.
    let mut bad = signed_fn.clone();
    bad[10] ^= 1;
    trust.deserialize(&bad, "f").unwrap();
    trust.run("assert(f(2) == 4)");
    for s in [&trust, &verifier, &other, &refuse] {
        assert_usable(s);
    }
}

/// A state keeps whether it trusts bytecode beside its allocator's account, as well as in
/// the registry: every change of policy on one state, in any order, is what the next
/// serialization and deserialization obey.
#[test]
fn a_state_obeys_each_change_of_its_policy() {
    let key = b"secret key".to_vec();
    let s = State::new();
    let plain_fn = serialize(&s, "return function(a) return a * 2 end");
    // SAFETY: a valid state.
    let policy = |s: &State| unsafe { lua_persist::function_serializer::bytecode_policy(s.0) };
    for round in 0..2 {
        set_policy(&s, BytecodePolicy::Refuse);
        assert_eq!(policy(&s), BytecodePolicy::Refuse, "round {round}");
        assert!(matches!(
            function_error(decode(&s, &plain_fn)),
            F::FunctionsRefused
        ));

        set_policy(&s, BytecodePolicy::Trust);
        assert_eq!(policy(&s), BytecodePolicy::Trust, "round {round}");
        decode(&s, &plain_fn).unwrap();
        assert_eq!(serialize(&s, "return function() end")[0], 0x0A);

        set_policy(&s, BytecodePolicy::Authenticate(key.clone()));
        assert_eq!(
            policy(&s),
            BytecodePolicy::Authenticate(key.clone()),
            "round {round}"
        );
        assert!(matches!(
            function_error(decode(&s, &plain_fn)),
            F::UnsignedBytecode
        ));
        // Serialized under "authenticate": signed, and loads here.
        let signed = serialize(&s, "return function(a) return a + 1 end");
        assert_eq!(signed[0], 0x0C);
        s.deserialize(&signed, "f").unwrap();
        s.run("assert(f(1) == 2)");

        set_policy(&s, BytecodePolicy::Trust);
        decode(&s, &plain_fn).unwrap();
    }
    assert_usable(&s);
}

/// Object indices run on through a signed envelope (FORMAT.md, 0x0C), so the MAC does not
/// fix what a reference inside it points to: wrapped in an unsigned table (data only, which
/// Authenticate accepts), a signed closure's upvalue `09 00000000` ("the table I am in")
/// points to the attacker's outer table instead, and the authenticated code runs on
/// attacker-chosen data.
#[test]

fn a_signed_payload_cannot_be_rewired_by_unsigned_context() {
    let key = b"k".to_vec();
    let signer = authenticating(&key);
    let signed = serialize(
        &signer,
        "local t = {secret = 'mine'} t.get = function() return t.secret end return t",
    );
    // The outer table (object 0) holds the envelope as t[1] (its table becomes object 1,
    // the closure object 2) and a pair secret = 'pwned'.
    let wrapped = cat(&[
        &hex("08 01000000 01000000"),
        &signed,
        &string_value(b"secret"),
        &string_value(b"pwned"),
        &[0x00],
    ]);
    let verifier = authenticating(&key);
    match verifier.deserialize(&wrapped, "v") {
        Err(_) => {} // refusing the splice is fine
        Ok(()) => verifier.run(
            "local got = v[1].get() assert(got == 'mine', 'the signed closure now reads ' .. tostring(got))",
        ),
    }
}

/// Upvalue indices run on through envelopes too: two payloads signed separately, each a
/// pair of closures sharing one variable, put side by side in an unsigned table. The second
/// pair's `01 00000000` ("my first upvalue") now joins the first pair's variable.
#[test]

fn signed_payloads_side_by_side_keep_their_own_variables() {
    let key = b"k".to_vec();
    let signer = authenticating(&key);
    let code = "local c = %d return {inc = function() c = c + 1 return c end, get = function() return c end}";
    let a = serialize(&signer, &code.replace("%d", "100"));
    let b = serialize(&signer, &code.replace("%d", "200"));
    let both = cat(&[&hex("08 02000000 00000000"), &a, &b, &[0x00]]);
    let verifier = authenticating(&key);
    match verifier.deserialize(&both, "v") {
        Err(_) => {}
        Ok(()) => verifier.run(
            "v[1].inc() v[2].inc()
             assert(v[1].get() == 101, 'first pair reads ' .. v[1].get())
             assert(v[2].get() == 201, 'second pair reads ' .. v[2].get())",
        ),
    }
}

// ----------------------------------------------------------------------- leaks

/// Thousands of failing decodes, failing late (after tables, closures and strings were
/// made, and through a Lua error raised by the resolver), leave neither Lua garbage that
/// survives a collection nor Rust allocations behind; the state keeps working.
#[test]
fn failing_decodes_leak_nothing() {
    let s = State::new();
    // SAFETY: a valid state.
    unsafe { set_table_ref_resolver(s.0, Some(raising_resolver)) }.unwrap();
    let table = serialize(&s, "local t = {} for i = 1, 50 do t[i] = {i, tostring(i) .. string.rep('x', 100)} end t.self = t return t");
    let counter = serialize(
        &s,
        "local c = 0 return {function() c = c + 1 end, function() return c end, print}",
    );
    let failing: Vec<Vec<u8>> = vec![
        // Valid prefix, then a bad tag / truncation / bad reference at the very end.
        cat(&[&table[..table.len() - 1], &[0xEE]]),
        table[..table.len() - 1].to_vec(),
        cat(&[&table[..table.len() - 1], &hex("09 FFFFFF00")]),
        cat(&[&counter, &[0x00]]),
        counter[..counter.len() - 3].to_vec(),
        // The resolver raises a Lua error deep inside.
        cat(&[&table[..table.len() - 1], &hex("07 01000000")]),
        // A signed envelope whose MAC is not checked but whose value is bad.
        cat(&[&hex("0C 05000000"), &[0; 32], &hex("08 01000000")]),
    ];

    let run = |rounds: usize| {
        for _ in 0..rounds {
            for bytes in &failing {
                assert!(decode(&s, bytes).is_err());
            }
        }
    };
    run(200); // warm up: the C function registry, interned strings, stack growth
    let lua_before = lua_gc_count_kb(&s);
    let heap_before = live_bytes();
    run(2000);
    let lua_after = lua_gc_count_kb(&s);
    let heap_after = live_bytes();
    assert!(
        lua_after <= lua_before + 4.0,
        "Lua memory grew from {lua_before} KiB to {lua_after} KiB"
    );
    assert!(
        heap_after - heap_before <= 16 << 10,
        "the heap grew by {} bytes",
        heap_after - heap_before
    );
    assert_usable(&s);
}

/// Out of memory while decoding is a `Lua` error, with the stack balanced; the state works
/// again once memory is available.
#[test]
fn running_out_of_memory_while_decoding() {
    let s = State::new();
    let big = serialize(
        &s,
        "local t = {} for i = 1, 2000 do t[i] = string.rep('y', 1000) .. i end return t",
    );
    s.run("collectgarbage() collectgarbage()");
    // SAFETY: a valid state from lua::new_state.
    unsafe { lua::set_memory_limit(s.0, lua::memory_used(s.0) + (256 << 10)) };
    let r = decode(&s, &big);
    assert!(
        matches!(&r, Err(E::Lua(m)) if m.contains("not enough memory")),
        "{r:?}"
    );
    // SAFETY: as above.
    unsafe { lua::set_memory_limit(s.0, usize::MAX) };
    s.deserialize(&big, "v").unwrap();
    s.run("assert(#v == 2000 and v[2000] == string.rep('y', 1000) .. 2000)");
}

/// Deserializing from Lua (`persist.deserialize`) raises an error naming the problem.
#[test]
fn persist_deserialize_raises_named_errors() {
    let s = State::new();
    // SAFETY: a valid state; luaL_requiref runs the opener in the state.
    unsafe {
        lua::protected(s.0, &mut |L| {
            luaL_requiref(
                L,
                c"persist".as_ptr(),
                Some(lua_persist::serializer::luaopen_persist),
                1,
            );
            lua_pop(L, 1);
        })
        .unwrap();
    }
    s.run(
        r#"
        local function fails(bytes, pattern)
          local ok, e = pcall(persist.deserialize, bytes)
          assert(not ok and tostring(e):find(pattern), tostring(e))
        end
        fails('', 'truncated')
        fails('\15', 'unknown type tag 0x0f')
        fails('\0\0', 'after the value')
        fails('\9\0\0\0\0', 'reference to object')
        fails('\8\1\0\0\0\0\0\0\0', 'truncated')
        fails(string.rep('\8\1\0\0\0\0\0\0\0', 200), 'nesting deeper')
        local t = persist.deserialize(persist.serialize({1, {2}, x = 'y'}))
        assert(t[2][1] == 2 and t.x == 'y')
        "#,
    );
}

// --------------------------------------------------------------- encoding limits

fn serialize_with(s: &State, code: &str, options: &SerializeOptions) -> Result<Vec<u8>, E> {
    s.eval(code);
    let top = s.top();
    let mut out = b"before".to_vec();
    // SAFETY: a value on top of a valid state.
    let r = unsafe { serialize_value_with(s.0, -1, &mut out, options) };
    assert_eq!(s.top(), top, "the stack changed");
    s.pop(1);
    match r {
        Ok(()) => Ok(out[6..].to_vec()),
        Err(e) => {
            assert_eq!(out, b"before", "a failed serialization left bytes behind");
            Err(e)
        }
    }
}

/// The error inside any `UpvalueSerializationFailed` wrappers.
fn innermost(e: &E) -> &E {
    match e {
        E::Function {
            source: F::UpvalueSerializationFailed { cause, .. },
            ..
        } => innermost(cause),
        e => e,
    }
}

#[test]
fn encoder_limits() {
    let s = State::new();
    let deep = "return {a = {b = {c = {d = {}}}}}";
    let options = SerializeOptions {
        max_depth: 3,
        ..Default::default()
    };
    let e = serialize_with(&s, deep, &options).unwrap_err();
    assert!(
        matches!(&e, E::DepthLimitExceeded { limit: 3, path } if path == ".a.b.c"),
        "{e:?}"
    );
    assert!(e.to_string().contains(".a.b.c"), "{e}");
    serialize_with(
        &s,
        deep,
        &SerializeOptions {
            max_depth: 5,
            ..Default::default()
        },
    )
    .unwrap();
    // Closures count as levels too; the path goes through the upvalue.
    let e = serialize_with(
        &s,
        "local inner = {x = {}} return {f = function() return inner end}",
        &SerializeOptions {
            max_depth: 3,
            ..Default::default()
        },
    )
    .unwrap_err();
    // (Today the depth error arrives wrapped in UpvalueSerializationFailed, whose message
    // names the upvalue; the innermost error is the depth error at `.x`.)
    assert!(
        matches!(innermost(&e), E::DepthLimitExceeded { limit: 3, path } if path.ends_with(".x")),
        "{e:?}"
    );
    let message = e.to_string();
    assert!(
        message.contains(".f") && message.contains(".x"),
        "{message}"
    );
    // A 10,000-deep structure with the default limit.
    let e = serialize_with(
        &s,
        "local t = {} for i = 1, 10000 do t = {t} end return t",
        &SerializeOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(e, E::DepthLimitExceeded { limit: 100, .. }),
        "{e:?}"
    );
    let e = serialize_with(
        &s,
        "local t = {} for i = 1, 10000 do t = setmetatable({}, t) end return t",
        &SerializeOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(e, E::DepthLimitExceeded { limit: 100, .. }),
        "{e:?}"
    );

    // Entries: array values plus pairs over the whole payload.
    let ten = "return {1, 2, 3, {4, 5}, a = 1, b = {c = 2}}"; // 4 + 2 + 2 + 1 = 9 entries
    let e = serialize_with(
        &s,
        ten,
        &SerializeOptions {
            max_entries: 8,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(matches!(e, E::EntryLimitExceeded { limit: 8 }), "{e:?}");
    serialize_with(
        &s,
        ten,
        &SerializeOptions {
            max_entries: 9,
            ..Default::default()
        },
    )
    .unwrap();

    // Size: the bytes written.
    let bytes = serialize_with(
        &s,
        "return string.rep('z', 1000)",
        &SerializeOptions::default(),
    )
    .unwrap();
    assert_eq!(bytes.len(), 1005);
    let e = serialize_with(
        &s,
        "return string.rep('z', 1000)",
        &SerializeOptions {
            max_size: 1004,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(matches!(e, E::SizeLimitExceeded { limit: 1004 }), "{e:?}");
    serialize_with(
        &s,
        "return string.rep('z', 1000)",
        &SerializeOptions {
            max_size: 1005,
            ..Default::default()
        },
    )
    .unwrap();
    let e = serialize_with(
        &s,
        "return function() return ('long'):rep(10) end",
        &SerializeOptions {
            max_size: 20,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(matches!(e, E::SizeLimitExceeded { limit: 20 }), "{e:?}");

    // The decoder's limits mirror them.
    let nine = serialize(&s, ten);
    let r = decode_with(
        &s,
        &nine,
        &DeserializeOptions {
            max_entries: 8,
            ..Default::default()
        },
    );
    assert!(
        matches!(r, Err(E::EntryLimitExceeded { limit: 8 })),
        "{r:?}"
    );
    decode_with(
        &s,
        &nine,
        &DeserializeOptions {
            max_entries: 9,
            ..Default::default()
        },
    )
    .unwrap();
    let r = decode_with(
        &s,
        &nine,
        &DeserializeOptions {
            max_size: nine.len() - 1,
            ..Default::default()
        },
    );
    assert!(matches!(r, Err(E::SizeLimitExceeded { .. })), "{r:?}");
    decode_with(
        &s,
        &nine,
        &DeserializeOptions {
            max_size: nine.len(),
            ..Default::default()
        },
    )
    .unwrap();
}

#[test]
fn unsupported_values_are_named_by_their_path() {
    let s = State::new();
    // A coroutine suspended inside a metamethod (one suspended at a plain yield persists).
    s.run(
        "ud = io.stdout \
         local t = setmetatable({}, {__index = function(_, k) return coroutine.yield(k) end}) \
         co = coroutine.create(function() return t.x end) coroutine.resume(co)",
    );
    for (code, type_name, path) in [
        ("return {a = {b = {1, 2, ud}}}", "userdata", ".a.b[3]"),
        ("return {a = {b = {1, 2, co}}}", "thread", ".a.b[3]"),
        ("return {list = {{}, {x = co}}}", "thread", ".list[2].x"),
        ("return {['a b'] = co}", "thread", "[\"a b\"]"),
        ("return {[2.5] = {co}}", "thread", "[2.5][1]"),
        (
            "return setmetatable({}, {__index = ud})",
            "userdata",
            "<metatable>.__index",
        ),
        ("return ud", "userdata", ""),
    ] {
        let e = serialize_with(&s, code, &SerializeOptions::default()).unwrap_err();
        assert!(
            matches!(&e, E::UnsupportedType { type_name: t, path: p } if t == type_name && p == path)
                || matches!(&e, E::CoroutineNotPersistable { path: p, .. } if type_name == "thread" && p == path),
            "{code}: {e:?}"
        );
    }
    // A light userdata, pushed from Rust.
    // SAFETY: a valid state.
    unsafe {
        lua_createtable(s.0, 0, 1);
        lua_pushlightuserdata(s.0, 8 as *mut _);
        lua_setfield(s.0, -2, c"p".as_ptr());
        let mut out = Vec::new();
        let e = serialize_value_with(s.0, -1, &mut out, &SerializeOptions::default()).unwrap_err();
        assert!(
            matches!(&e, E::UnsupportedType { path, .. } if path == ".p"),
            "{e:?}"
        );
        assert!(out.is_empty());
        lua_pop(s.0, 1);
    }
    // Inside an upvalue.
    let e = serialize_with(
        &s,
        "local h = ud return {f = function() return h end}",
        &SerializeOptions::default(),
    )
    .unwrap_err();
    match e {
        E::Function {
            source:
                F::UpvalueSerializationFailed {
                    index: 1,
                    name,
                    cause,
                },
            path,
        } => {
            assert_eq!((name.as_str(), path.as_str()), ("h", ".f"));
            assert!(
                matches!(*cause, E::UnsupportedType { ref type_name, .. } if type_name == "userdata")
            );
        }
        other => panic!("{other:?}"),
    }
}

unsafe extern "C-unwind" fn host_function(_L: *mut lua_State) -> c_int {
    0
}

#[test]
fn c_functions_that_cannot_be_serialized() {
    let s = State::new();
    // A C closure made by the library (string.gmatch's iterator; coroutine.wrap's function).
    for code in [
        "return ('a b'):gmatch('%a')",
        "return {x = {coroutine.wrap(function() end)}}",
    ] {
        let r = s.serialize(code);
        assert!(
            matches!(
                function_error(r.map(drop)),
                F::CFunctionNotSerializable { .. }
            ),
            "{code}"
        );
    }
    // A host C function nobody registered, then registered, then as another closure.
    // SAFETY: a valid state.
    unsafe {
        let mut out = Vec::new();
        lua_pushcfunction(s.0, Some(host_function));
        let r = serialize_value_with(s.0, -1, &mut out, &SerializeOptions::default());
        assert!(matches!(
            function_error(r),
            F::CFunctionNotSerializable { .. }
        ));
        assert!(out.is_empty());
        register_c_function(s.0, "host.function", Some(host_function)).unwrap();
        serialize_value_with(s.0, -1, &mut out, &SerializeOptions::default()).unwrap();
        assert_eq!(out, cat(&[&hex("0B 0D00"), b"host.function"]));
        lua_pop(s.0, 1);
        out.clear();
        lua_pushinteger(s.0, 1);
        lua_pushcclosure(s.0, Some(host_function), 1);
        let r = serialize_value_with(s.0, -1, &mut out, &SerializeOptions::default());
        assert!(matches!(
            function_error(r),
            F::CFunctionNotSerializable { .. }
        ));
        lua_pop(s.0, 1);
    }
    // A state where the name is not registered cannot decode it.
    let other = State::new();
    let r = decode(&other, &cat(&[&hex("0B 0D00"), b"host.function"]));
    assert!(matches!(function_error(r), F::UnknownCFunction { .. }));
}

/// A buffer too small for the payload: `BufferTooSmall` at every size short of the
/// payload, the stack unchanged, and the state fine; at the payload's size the bytes are
/// those `serialize_value_to_vec` writes. (Bytes written before the buffer ran out stay in
/// it; nothing says how many.)
#[test]
fn a_buffer_too_small_changes_nothing_else() {
    let s = State::new();
    // Closures without upvalues here: see the next test for a full buffer inside an upvalue.
    let code =
        "return {1, 'two', {3}, f = function(a) return a + 1 end, p = print, s = ('x'):rep(40)}";
    let expected = serialize(&s, code);
    s.eval(code);
    let top = s.top();
    let memory = lua_gc_count_kb(&s);
    for capacity in 0..expected.len() {
        let mut buf = vec![0xA5u8; capacity];
        // SAFETY: a value on top of a valid state.
        let r = unsafe { serialize_value(s.0, -1, &mut buf) };
        assert!(
            matches!(r, Err(E::BufferTooSmall { capacity: c }) if c == capacity),
            "{capacity}: {r:?}"
        );
        assert_eq!(s.top(), top);
    }
    assert!(lua_gc_count_kb(&s) <= memory + 1.0);
    let mut buf = vec![0u8; expected.len() + 10];
    // SAFETY: as above.
    let n = unsafe { serialize_value(s.0, -1, &mut buf) }.unwrap();
    assert_eq!(&buf[..n], &expected[..]);
    s.pop(1);
    assert_usable(&s);
    // Under Authenticate the envelope too must fit.
    let signer = authenticating(b"k");
    let expected = serialize(&signer, code);
    signer.eval(code);
    for capacity in [0, 1, 36, 37, 38, expected.len() - 1] {
        let mut buf = vec![0u8; capacity];
        // SAFETY: as above.
        let r = unsafe { serialize_value(signer.0, -1, &mut buf) };
        assert!(
            matches!(r, Err(E::BufferTooSmall { capacity: c }) if c == capacity),
            "{capacity}: {r:?}"
        );
    }
    let mut buf = vec![0u8; expected.len()];
    // SAFETY: as above.
    let n = unsafe { serialize_value(signer.0, -1, &mut buf) }.unwrap();
    assert_eq!(buf[..n], expected[..]);
    signer.pop(1);
}

/// The output running out inside an upvalue's value is still `BufferTooSmall` (or
/// `SizeLimitExceeded`), the variant a caller matches to retry with a larger buffer; today
/// it arrives wrapped as `Function { UpvalueSerializationFailed { cause: BufferTooSmall } }`.
#[test]

fn a_full_buffer_inside_an_upvalue_is_buffer_too_small() {
    let s = State::new();
    let code = "local big = ('x'):rep(100) return function() return big end";
    let expected = serialize(&s, code);
    s.eval(code);
    let mut buf = vec![0u8; expected.len() - 1];
    // SAFETY: a value on top of a valid state.
    let r = unsafe { serialize_value(s.0, -1, &mut buf) };
    assert!(matches!(r, Err(E::BufferTooSmall { .. })), "{r:?}");
    s.pop(1);
    let options = SerializeOptions {
        max_size: expected.len() - 1,
        ..Default::default()
    };
    let r = serialize_with(&s, code, &options);
    assert!(matches!(r, Err(E::SizeLimitExceeded { .. })), "{r:?}");
}

// ------------------------------------------- encoder and decoder limits agree

/// What the encoder accepts within limits L, the decoder accepts within the same limits L,
/// also under Authenticate, where the payload is wrapped in an envelope.
#[test]

fn signed_payloads_decode_within_the_limits_they_were_encoded_in() {
    let signer = authenticating(b"k");
    let verifier = authenticating(b"k");
    // 100 levels: the encoder's limit exactly.
    let bytes = serialize(
        &signer,
        "local t = {} for i = 1, 99 do t = {t} end return t",
    );
    let r = decode(&verifier, &bytes);
    assert!(r.is_ok(), "a 100-level signed table: {r:?}");
    // max_size counts the envelope on both sides: 1000 bytes of string do not fit in 1005
    // once signed, and fit in 1005 + 37.
    let code = "return string.rep('z', 1000)";
    let small = SerializeOptions {
        max_size: 1005,
        ..Default::default()
    };
    let r = serialize_with(&signer, code, &small);
    assert!(
        matches!(r, Err(E::SizeLimitExceeded { limit: 1005 })),
        "{r:?}"
    );
    let enough = SerializeOptions {
        max_size: 1005 + 37,
        ..Default::default()
    };
    let bytes = serialize_with(&signer, code, &enough).unwrap();
    let r = decode_with(
        &verifier,
        &bytes,
        &DeserializeOptions {
            max_size: 1005 + 37,
            ..Default::default()
        },
    );
    assert!(
        r.is_ok(),
        "{} bytes written under max_size 1042: {r:?}",
        bytes.len()
    );
}

/// The same, unsigned: the limits agree.
#[test]
fn unsigned_payloads_decode_within_the_limits_they_were_encoded_in() {
    let s = State::new();
    let bytes = serialize(&s, "local t = {} for i = 1, 99 do t = {t} end return t");
    decode(&s, &bytes).unwrap();
    let e = s
        .serialize("local t = {} for i = 1, 100 do t = {t} end return t")
        .unwrap_err();
    assert!(matches!(e, E::DepthLimitExceeded { limit: 100, .. }));
    let options = SerializeOptions {
        max_size: 1005,
        ..Default::default()
    };
    let bytes = serialize_with(&s, "return string.rep('z', 1000)", &options).unwrap();
    decode_with(
        &s,
        &bytes,
        &DeserializeOptions {
            max_size: 1005,
            ..Default::default()
        },
    )
    .unwrap();
}

/// A signed envelope is only accepted as the whole payload: nested in another one, or
/// inside unsigned bytes, it is `MisplacedSignature`.
#[test]
fn signed_envelopes_only_as_the_whole_payload() {
    let s = State::new();
    let mut bytes = vec![0x08, 1, 0, 0, 0, 0, 0, 0, 0, 0x0C, 1, 0, 0, 0];
    bytes.extend([0u8; 32]);
    bytes.extend([0x00, 0x00]);
    let r = decode(&s, &bytes);
    assert!(
        matches!(r, Err(E::MisplacedSignature { offset: 9 })),
        "{r:?}"
    );
}
