//! FORMAT.md is the wire format's specification; this file holds it to the implementation.
//! It reads the vector blocks of FORMAT.md (`golden`, `golden-signed`, `golden-cu`,
//! `golden-decode`, `golden-error`, `cu-c-functions`) and checks each line, checks that every
//! tag has a section, that our scalars are byte-for-byte what cu writes, the closure layout
//! against `string.dump`, and the limits; the regression tests at the end hold bugs this
//! file once found.
#![allow(non_snake_case)]

mod common;

use std::ffi::{c_int, CString};

use common::{variant_name, State};
use lua_persist::ffi::*;
use lua_persist::function_serializer::{
    register_c_function, set_bytecode_policy, BytecodePolicy, CU_C_FUNCTION_NAMES,
};
use lua_persist::lua;
use lua_persist::serializer::{
    deserialize_value_with, serialize_value, serialize_value_with, DeserializeOptions,
    SerializationError, SerializationType, SerializeOptions,
};
use lua_persist::table_refs::set_table_ref_resolver;

const SPEC: &str = include_str!("../FORMAT.md");

// ------------------------------------------------------------------ parsing FORMAT.md

/// The lines of the fenced block with this info string (exactly one must exist), with
/// their line numbers in FORMAT.md; blank lines and `#` comments are skipped.
fn block(info: &str) -> Vec<(usize, &'static str)> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<(usize, &'static str)>> = None;
    for (i, line) in SPEC.lines().enumerate() {
        match &mut current {
            None if line.trim_end() == format!("```{info}") => current = Some(Vec::new()),
            None => {}
            Some(lines) if line.trim_end() == "```" => {
                blocks.push(std::mem::take(lines));
                current = None;
            }
            Some(lines) => {
                let t = line.trim();
                if !t.is_empty() && !t.starts_with('#') {
                    lines.push((i + 1, t));
                }
            }
        }
    }
    assert!(current.is_none(), "block {info} is not closed");
    assert_eq!(
        blocks.len(),
        1,
        "FORMAT.md must have exactly one ```{info} block"
    );
    let lines = blocks.pop().unwrap();
    assert!(!lines.is_empty(), "block {info} is empty");
    lines
}

#[derive(Debug, Clone)]
enum Token {
    Bytes(Vec<u8>),
    /// `{u32+bytes: EXPR}`: u32 LE length and bytes of a Lua string made at test time.
    Dump(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Policy {
    Trust,
    Refuse,
    Key(Vec<u8>),
}

/// One vector line: `bytes | text | optional policy`.
#[derive(Debug)]
struct Vector {
    line: usize,
    tokens: Vec<Token>,
    text: String,
    policy: Policy,
}

fn parse_policy(s: &str) -> Option<Policy> {
    match s.trim() {
        "trust" => Some(Policy::Trust),
        "refuse" => Some(Policy::Refuse),
        s => s
            .strip_prefix("key=")
            .map(|k| Policy::Key(k.as_bytes().to_vec())),
    }
}

fn parse_hex(token: &str, line: usize) -> Vec<u8> {
    if let Some((byte, count)) = token.split_once('*') {
        let byte = parse_hex(byte, line);
        assert_eq!(byte.len(), 1, "line {line}: `{token}`: one byte before `*`");
        let count: usize = count
            .parse()
            .unwrap_or_else(|_| panic!("line {line}: bad count in `{token}`"));
        return vec![byte[0]; count];
    }
    assert!(
        token.len().is_multiple_of(2),
        "line {line}: odd number of hex digits in `{token}`"
    );
    (0..token.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&token[i..i + 2], 16)
                .unwrap_or_else(|_| panic!("line {line}: bad hex `{token}`"))
        })
        .collect()
}

fn parse_vector(line: usize, text: &str) -> Vector {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let rest = loop {
        let Some(&c) = chars.get(i) else {
            panic!("line {line}: no `|` after the bytes")
        };
        match c {
            '|' => break chars[i + 1..].iter().collect::<String>(),
            c if c.is_whitespace() => i += 1,
            '"' => {
                let end = (i + 1..chars.len())
                    .find(|&j| chars[j] == '"')
                    .unwrap_or_else(|| panic!("line {line}: unclosed quote"));
                tokens.push(Token::Bytes(
                    chars[i + 1..end].iter().collect::<String>().into_bytes(),
                ));
                i = end + 1;
            }
            '{' => {
                let mut depth = 0;
                let mut end = i;
                for (j, &c) in chars.iter().enumerate().skip(i) {
                    depth += (c == '{') as i32 - (c == '}') as i32;
                    if depth == 0 {
                        end = j;
                        break;
                    }
                }
                assert!(end > i, "line {line}: unclosed brace");
                let inner: String = chars[i + 1..end].iter().collect();
                let expr = inner
                    .trim()
                    .strip_prefix("u32+bytes:")
                    .unwrap_or_else(|| panic!("line {line}: unknown {{…}} token"));
                tokens.push(Token::Dump(expr.trim().to_string()));
                i = end + 1;
            }
            _ => {
                let end = (i..chars.len())
                    .find(|&j| chars[j].is_whitespace() || chars[j] == '|')
                    .unwrap_or(chars.len());
                tokens.push(Token::Bytes(parse_hex(
                    &chars[i..end].iter().collect::<String>(),
                    line,
                )));
                i = end;
            }
        }
    };
    let (text, policy) = match rest
        .rsplit_once(" | ")
        .and_then(|(l, r)| Some((l, parse_policy(r)?)))
    {
        Some((l, p)) => (l.trim().to_string(), p),
        None => (rest.trim().to_string(), Policy::Trust),
    };
    Vector {
        line,
        tokens,
        text,
        policy,
    }
}

fn vectors(info: &str) -> Vec<Vector> {
    block(info)
        .into_iter()
        .map(|(line, text)| parse_vector(line, text))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

// ------------------------------------------------------------------ test states

unsafe extern "C-unwind" fn host_answer(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua.
    unsafe { lua_pushinteger(L, 42) };
    1
}

/// The table-ref resolver of the tests: `id -> {ext_id = id}`.
unsafe extern "C-unwind" fn resolver(L: *mut lua_State) -> c_int {
    // SAFETY: called by Lua with the id as argument 1.
    unsafe {
        let id = lua_tointeger(L, 1);
        lua_createtable(L, 0, 1);
        lua_pushinteger(L, id);
        lua_setfield(L, -2, c"ext_id".as_ptr());
    }
    1
}

/// `deep_equal(a, b)` in Lua, shared with wasm/test/format-golden.test.mjs.
const DEEP_EQUAL: &str = include_str!("deep_equal.lua");

/// A fresh state as FORMAT.md describes the test states: standard libraries, the host C
/// function `host.answer` (global `host_answer`), the policy, and optionally the resolver.
fn state(policy: &Policy, with_resolver: bool) -> State {
    let s = State::new();
    // SAFETY: a valid state.
    unsafe {
        register_c_function(s.0, "host.answer", Some(host_answer)).unwrap();
        lua_pushcfunction(s.0, Some(host_answer));
        lua_setglobal(s.0, c"host_answer".as_ptr());
        let policy = match policy {
            Policy::Trust => BytecodePolicy::Trust,
            Policy::Refuse => BytecodePolicy::Refuse,
            Policy::Key(k) => BytecodePolicy::Authenticate(k.clone()),
        };
        set_bytecode_policy(s.0, &policy).unwrap();
        if with_resolver {
            set_table_ref_resolver(s.0, Some(resolver)).unwrap();
        }
    }
    s.run(DEEP_EQUAL);
    s
}

/// Runs Lua code; Err carries the message.
fn try_run(s: &State, code: &str) -> Result<(), String> {
    let c = CString::new(code).map_err(|e| e.to_string())?;
    // SAFETY: a valid state; the stack is restored.
    unsafe {
        let top = lua_gettop(s.0);
        let mut status = luaL_loadstring(s.0, c.as_ptr());
        if status == LUA_OK {
            status = lua_pcall(s.0, 0, 0, 0);
        }
        let r = if status == LUA_OK {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(lua::tostring(s.0, -1).unwrap_or(b"?")).into_owned())
        };
        lua_settop(s.0, top);
        r
    }
}

/// The value of a Lua expression that gives a string.
fn lua_string(s: &State, expr: &str) -> Vec<u8> {
    s.eval(&format!("return {expr}"));
    // SAFETY: the result is on top.
    let bytes = unsafe { lua::tostring(s.0, -1) }
        .unwrap_or_else(|| panic!("`{expr}` is not a string"))
        .to_vec();
    s.pop(1);
    bytes
}

fn expand(s: &State, tokens: &[Token]) -> Vec<u8> {
    let mut out = Vec::new();
    for t in tokens {
        match t {
            Token::Bytes(b) => out.extend_from_slice(b),
            Token::Dump(expr) => {
                let b = lua_string(s, expr);
                out.extend_from_slice(&(b.len() as u32).to_le_bytes());
                out.extend_from_slice(&b);
            }
        }
    }
    out
}

fn serialize_opts(
    s: &State,
    code: &str,
    options: &SerializeOptions,
) -> Result<Vec<u8>, SerializationError> {
    s.eval(code);
    let mut out = Vec::new();
    // SAFETY: a valid state with the value on top.
    let r = unsafe { serialize_value_with(s.0, -1, &mut out, options) };
    s.pop(1);
    r.map(|()| out)
}

fn deserialize_opts(
    s: &State,
    bytes: &[u8],
    options: &DeserializeOptions,
) -> Result<(), SerializationError> {
    let top = s.top();
    // SAFETY: a valid state.
    let r = unsafe { deserialize_value_with(s.0, bytes, options) };
    assert_eq!(
        s.top(),
        top + r.is_ok() as i32,
        "deserialize_value_with must push one value on success, none on error"
    );
    if r.is_ok() {
        s.pop(1);
    }
    r
}

fn report(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} FORMAT.md vector(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ------------------------------------------------------------------ the vector blocks

/// `golden` / `golden-signed`: expression -> exactly these bytes, and bytes -> an equal value.
fn check_golden(info: &str, policy: Policy) {
    let mut failures = Vec::new();
    let vectors = vectors(info);
    for v in &vectors {
        assert_eq!(
            v.policy,
            Policy::Trust,
            "line {}: no policy column in `{info}`",
            v.line
        );
        // Bytecode tokens are string.dump in the test state, which is what the encoder writes
        // (stripped) for the same function.
        let expected = expand(&state(&policy, false), &v.tokens);
        match state(&policy, false).serialize(&format!("return {}", v.text)) {
            Ok(bytes) if bytes == expected => {}
            Ok(bytes) => failures.push(format!(
                "line {}: `{}` serializes to\n    {}\n  FORMAT.md says\n    {}",
                v.line,
                v.text,
                hex(&bytes),
                hex(&expected)
            )),
            Err(e) => failures.push(format!(
                "line {}: `{}` does not serialize: {e}",
                v.line, v.text
            )),
        }
        let b = state(&policy, false);
        match b.deserialize(&expected, "v") {
            Ok(()) => {
                let check = format!(
                    "local e = ({}) local ok, why = deep_equal(v, e) assert(ok, why)",
                    v.text
                );
                if let Err(e) = try_run(&b, &check) {
                    failures.push(format!(
                        "line {}: decoded value is not `{}`: {e}",
                        v.line, v.text
                    ));
                }
            }
            Err(e) => failures.push(format!(
                "line {}: bytes of `{}` do not decode: {e}",
                v.line, v.text
            )),
        }
    }
    report(failures);
}

#[test]
fn golden_vectors_encode_and_decode_exactly() {
    check_golden("golden", Policy::Trust);
}

#[test]
fn golden_signed_vectors_encode_and_decode_exactly() {
    check_golden("golden-signed", Policy::Key(b"secret".to_vec()));
}

/// `golden-signed-place`: envelopes signed for a place verify there and nowhere else.
#[test]
fn golden_signed_place_vectors_bind_values_to_their_place() {
    use lua_persist::format_walker::{envelope_inner, verify_signed};
    use lua_persist::function_serializer::{sign_payload, SignedPlace};
    let limits = DeserializeOptions::default();
    let lines = block("golden-signed-place");
    let places: Vec<(u32, Vec<u8>)> = lines
        .iter()
        .map(|(n, text)| {
            let (id, rest) = text.split_once(' ').unwrap_or_else(|| panic!("line {n}"));
            let key = rest
                .split('"')
                .nth(1)
                .unwrap_or_else(|| panic!("line {n}: key"));
            (id.parse().unwrap(), key.as_bytes().to_vec())
        })
        .collect();
    for ((n, text), (id, key)) in lines.iter().zip(&places) {
        let envelope: Vec<u8> = text
            .split(" | ")
            .nth(1)
            .unwrap_or_else(|| panic!("line {n}"))
            .split_whitespace()
            .flat_map(|t| parse_hex(t, *n))
            .collect();
        let place = SignedPlace::Entry { table_id: *id, key };
        let inner = envelope_inner(&envelope).unwrap();
        assert_eq!(
            sign_payload(b"secret", place, inner).unwrap(),
            envelope,
            "line {n}"
        );
        assert!(
            verify_signed(&envelope, b"secret", place, &limits).is_ok(),
            "line {n}"
        );
        assert!(
            verify_signed(&envelope, b"other", place, &limits).is_err(),
            "line {n}"
        );
        let detached = SignedPlace::Detached;
        assert!(
            verify_signed(&envelope, b"secret", detached, &limits).is_err(),
            "line {n}"
        );
        let on_its_own = sign_payload(b"secret", detached, inner).unwrap();
        assert!(
            verify_signed(&on_its_own, b"secret", place, &limits).is_err(),
            "line {n}"
        );
        for (other_id, other_key) in &places {
            if (other_id, other_key) != (id, key) {
                let there = SignedPlace::Entry {
                    table_id: *other_id,
                    key: other_key,
                };
                assert!(
                    verify_signed(&envelope, b"secret", there, &limits).is_err(),
                    "line {n}: verifies at table {other_id} key {other_key:?} too"
                );
            }
        }
    }
}

/// `golden-cu` / `golden-decode`: decoding succeeds and the check holds.
fn check_decodes(info: &str) {
    let mut failures = Vec::new();
    for v in vectors(info) {
        let s = state(&v.policy, true);
        let bytes = expand(&s, &v.tokens);
        match s.deserialize(&bytes, "v") {
            Ok(()) => {
                let check = format!("assert(({}) == true, 'check is false')", v.text);
                if let Err(e) = try_run(&s, &check) {
                    failures.push(format!(
                        "line {}: {}: `{}`: {e}",
                        v.line,
                        hex(&bytes),
                        v.text
                    ));
                }
            }
            Err(e) => failures.push(format!(
                "line {}: {} does not decode: {e:?}",
                v.line,
                hex(&bytes)
            )),
        }
    }
    report(failures);
}

#[test]
fn cu_vectors_decode() {
    check_decodes("golden-cu");
}

#[test]
fn accepted_input_decodes() {
    check_decodes("golden-decode");
}

#[test]
fn rejected_input_fails_with_the_named_error() {
    let mut failures = Vec::new();
    for v in vectors("golden-error") {
        let s = state(&v.policy, false);
        let bytes = expand(&s, &v.tokens);
        match s.deserialize(&bytes, "v") {
            Ok(()) => failures.push(format!(
                "line {}: {} decodes; FORMAT.md says {}",
                v.line,
                hex(&bytes),
                v.text
            )),
            Err(e) if variant_name(&e) == v.text => {}
            Err(e) => failures.push(format!(
                "line {}: {} fails with {e:?}; FORMAT.md says {}",
                v.line,
                hex(&bytes),
                v.text
            )),
        }
    }
    report(failures);
}

#[test]
fn cu_c_function_table_matches_the_implementation() {
    let lines = block("cu-c-functions");
    assert_eq!(lines.len(), CU_C_FUNCTION_NAMES.len());
    let s = state(&Policy::Trust, false);
    let mut failures = Vec::new();
    for (i, (line, text)) in lines.into_iter().enumerate() {
        let t: Vec<&str> = text.split_whitespace().collect();
        let bytes = parse_hex(&t[..3].concat(), line);
        assert_eq!(
            bytes,
            [0x06, i as u8, (i >> 8) as u8],
            "line {line}: entries in index order"
        );
        let (name, result) = (t[3], t[4]);
        assert_eq!(name, CU_C_FUNCTION_NAMES[i], "line {line}");
        s.deserialize(&bytes, "v")
            .unwrap_or_else(|e| panic!("line {line}: {e}"));
        let check = match result {
            "function" => format!("assert(type(v) == 'function' and v == {name})"),
            "nil" => "assert(v == nil)".to_string(),
            other => panic!("line {line}: result `{other}` is neither function nor nil"),
        };
        if let Err(e) = try_run(&s, &check) {
            failures.push(format!(
                "line {line}: 06 {i:02X} 00 ({name}) is not {result}: {e}"
            ));
        }
    }
    report(failures);
}

// ------------------------------------------------------------------ tags and sections

#[test]
fn every_tag_has_a_section_and_no_section_lacks_a_tag() {
    let mut sections = std::collections::BTreeMap::new();
    for line in SPEC.lines() {
        if let Some(rest) = line.strip_prefix("## 0x") {
            let (tag, name) = rest
                .split_once(' ')
                .unwrap_or_else(|| panic!("heading `{line}`: `## 0xNN Name`"));
            let tag = u8::from_str_radix(tag, 16).unwrap_or_else(|_| panic!("heading `{line}`"));
            assert!(
                sections.insert(tag, name.trim().to_string()).is_none(),
                "two sections for tag 0x{tag:02X}"
            );
        }
    }
    let known: Vec<u8> = (0..=255u8)
        .filter(|&t| SerializationType::from_tag(t).is_some())
        .collect();
    assert_eq!(
        sections.keys().copied().collect::<Vec<_>>(),
        known,
        "one `## 0xNN Name` section per tag"
    );
    for (tag, name) in &sections {
        let kind = SerializationType::from_tag(*tag).unwrap();
        assert_eq!(kind as u8, *tag);
        assert_eq!(
            &format!("{kind:?}"),
            name,
            "section 0x{tag:02X} must be named after the enum variant"
        );
    }
    let next_free = (0..=255u8)
        .find(|&t| SerializationType::from_tag(t).is_none())
        .unwrap();
    assert!(
        SPEC.contains(&format!("the next free one is 0x{next_free:02X}")),
        "FORMAT.md names the next free tag"
    );
}

#[test]
fn unknown_tags_are_unknown_tag_errors() {
    let s = State::new();
    for tag in 0x0Fu8..=0xFF {
        assert!(SerializationType::from_tag(tag).is_none());
        assert_eq!(
            s.deserialize(&[tag], "v"),
            Err(SerializationError::UnknownTag { tag, offset: 0 })
        );
        let nested = [0x08, 1, 0, 0, 0, 0, 0, 0, 0, tag];
        assert_eq!(
            s.deserialize(&nested, "v"),
            Err(SerializationError::UnknownTag { tag, offset: 9 })
        );
    }
}

#[test]
fn every_error_variant_is_documented() {
    for name in [
        "BufferTooSmall",
        "UnsupportedType",
        "DepthLimitExceeded",
        "SizeLimitExceeded",
        "EntryLimitExceeded",
        "StringTooLong",
        "Truncated",
        "UnknownTag",
        "TrailingBytes",
        "InvalidReference",
        "InvalidKey",
        "UnresolvedTableRef",
        "Lua",
        "Function",
        "UnsupportedFunctionType",
        "BytecodeTooLarge",
        "InvalidBytecode",
        "CFunctionNotSerializable",
        "UnknownCFunction",
        "InvalidCFunctionIndex",
        "FunctionsRefused",
        "UnsignedBytecode",
        "SignatureMismatch",
        "UpvalueCountMismatch",
        "UnknownUpvalueKind",
        "InvalidSharedUpvalue",
    ] {
        assert!(
            SPEC.contains(&format!("| `{name}")),
            "FORMAT.md's error table lacks {name}"
        );
    }
}

// ------------------------------------------------------------------ cu's scalar layout

/// What cu's `serialize_value` writes for a scalar (docs/cu-interface.md, "Data written by cu"): `n = lua_tonumber`,
/// `i = lua_tointegerx` (0 if not convertible), integer iff `(f64)i == n`.
fn cu_encode_top(s: &State) -> Vec<u8> {
    // SAFETY: a valid state with a value on top.
    unsafe {
        let L = s.0;
        match lua_type(L, -1) {
            LUA_TNIL => vec![0x00],
            LUA_TBOOLEAN => vec![0x01, lua_toboolean(L, -1) as u8],
            LUA_TNUMBER => {
                let n = lua_tonumber(L, -1);
                let mut isnum = 0;
                let i = lua_tointegerx(L, -1, &mut isnum);
                let i = if isnum != 0 { i } else { 0 };
                if i as f64 == n {
                    [&[0x02][..], &i.to_le_bytes()].concat()
                } else {
                    [&[0x03][..], &n.to_le_bytes()].concat()
                }
            }
            LUA_TSTRING => {
                let b = lua::tostring(L, -1).unwrap();
                [&[0x04][..], &(b.len() as u32).to_le_bytes(), b].concat()
            }
            t => panic!("not a scalar: type {t}"),
        }
    }
}

/// cu's decoder for tags 0x00–0x04 (`deserialize_value`): Some((tag, payload)) when cu
/// accepts the bytes as one value.
fn cu_decode(bytes: &[u8]) -> Option<(u8, &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    let payload_len = match tag {
        0x00 => 0,
        0x01 => 1,
        0x02 | 0x03 => 8,
        0x04 => 4 + u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize,
        _ => return None,
    };
    (rest.len() == payload_len).then_some((tag, rest))
}

#[test]
fn our_scalars_are_what_cu_writes() {
    let s = State::new();
    let values = [
        "nil",
        "true",
        "false",
        "0",
        "1",
        "-1",
        "42",
        "1 << 31",
        "math.maxinteger",
        "math.mininteger",
        "0.5",
        "-2.25",
        "0.1",
        "1e300",
        "5e-324",
        "-1e-300",
        "1/0",
        "-1/0",
        "0/0",
        "2^63",
        "-(2^64)",
        "''",
        "'abc'",
        "'\\0\\255'",
        "string.rep('ab', 40000)",
        // integral floats: cu writes an integer; we keep the float (FORMAT.md, "Differences from cu")
        "2.0",
        "-0.0",
        "2^53",
        "-(2^63)",
        "3.0",
    ];
    for code in values {
        let ours = s.serialize(&format!("return {code}")).unwrap();
        s.eval(&format!("return {code}"));
        let cu = cu_encode_top(&s);
        // SAFETY: the value is on top.
        let integral_float =
            unsafe { lua_type(s.0, -1) == LUA_TNUMBER && lua_isinteger(s.0, -1) == 0 }
                && cu[0] == 0x02;
        // SAFETY: eval left the value on top.
        let n = unsafe { lua_tonumber(s.0, -1) };
        s.pop(1);
        if integral_float {
            assert_eq!(
                ours,
                [&[0x03][..], &n.to_le_bytes()].concat(),
                "{code}: an integral float stays 03 + f64"
            );
        } else {
            assert_eq!(hex(&ours), hex(&cu), "{code}: our bytes differ from cu's");
        }
        let (tag, _) =
            cu_decode(&ours).unwrap_or_else(|| panic!("{code}: cu cannot decode {}", hex(&ours)));
        assert_eq!(tag, ours[0]);
    }
}

// ------------------------------------------------------------------ closures (bytecode-dependent)

/// `0A` + u32 length + chunk.
fn closure_head(chunk: &[u8]) -> Vec<u8> {
    [&[0x0A][..], &(chunk.len() as u32).to_le_bytes(), chunk].concat()
}

fn le32(n: u32) -> [u8; 4] {
    n.to_le_bytes()
}

#[test]
fn closures_are_lua_dump_plus_upvalues() {
    let s = State::new();
    let dump = |f: &str| lua_string(&s, &format!("string.dump({f}, true)"));

    // No upvalues.
    s.run("f = function(a, b) return a + b end");
    assert_eq!(
        s.serialize("return f").unwrap(),
        [closure_head(&dump("f")), vec![0x00]].concat()
    );

    // Not stripped: exactly string.dump(f) without strip.
    let full = lua_string(&s, "string.dump(f)");
    let options = SerializeOptions {
        strip_debug: false,
        ..Default::default()
    };
    assert_eq!(
        serialize_opts(&s, "return f", &options).unwrap(),
        [closure_head(&full), vec![0x00]].concat()
    );
    assert_ne!(full, dump("f"));

    // The _ENV upvalue holding the globals table.
    s.run("f = function() return print end");
    assert_eq!(
        s.serialize("return f").unwrap(),
        [closure_head(&dump("f")), vec![0x01, 0x00, 0x0D]].concat()
    );

    // A custom _ENV table is written as a table.
    s.run("f = load('return x', 'c', 't', {x = 5})");
    let env = [
        &[0x08][..],
        &le32(0),
        &le32(1),
        &[0x04],
        &le32(1),
        b"x",
        &[0x02],
        &5i64.to_le_bytes(),
        &[0x00],
    ]
    .concat();
    assert_eq!(
        s.serialize("return f").unwrap(),
        [closure_head(&dump("f")), vec![0x01, 0x00], env].concat()
    );

    // A recursive local function: the closure's index (0) is given before its upvalues.
    s.run("local function fact(n) if n <= 1 then return 1 end return n * fact(n - 1) end f = fact");
    assert_eq!(
        s.serialize("return f").unwrap(),
        [
            closure_head(&dump("f")),
            vec![0x01, 0x00, 0x09],
            le32(0).to_vec()
        ]
        .concat()
    );

    // The same closure twice: the second is a reference to object 1.
    s.run("local g = function() end f = {g, g} g1 = g");
    assert_eq!(
        s.serialize("return f").unwrap(),
        [
            vec![0x08],
            le32(2).to_vec(),
            le32(0).to_vec(),
            closure_head(&dump("g1")),
            vec![0x00, 0x09],
            le32(1).to_vec(),
            vec![0x00]
        ]
        .concat()
    );

    // Two closures sharing an upvalue: `00` + value the first time, `01` + index 0 after.
    s.run("local c = 0 local inc = function() c = c + 1 end local get = function() return c end f = {inc, get}");
    assert_eq!(
        s.serialize("return f").unwrap(),
        [
            vec![0x08],
            le32(2).to_vec(),
            le32(0).to_vec(),
            closure_head(&dump("f[1]")),
            vec![0x01, 0x00, 0x02],
            0i64.to_le_bytes().to_vec(),
            closure_head(&dump("f[2]")),
            vec![0x01, 0x01],
            le32(0).to_vec(),
            vec![0x00],
        ]
        .concat()
    );

    // Object indices run across tables and closures in pre-order: {g, t}: outer 0, g 1,
    // t (g's upvalue) 2; the second element refers to 2.
    s.run("local t = {} local g = function() return t end f = {g, t}");
    assert_eq!(
        s.serialize("return f").unwrap(),
        [
            vec![0x08],
            le32(2).to_vec(),
            le32(0).to_vec(),
            closure_head(&dump("f[1]")),
            vec![0x01, 0x00, 0x08],
            le32(0).to_vec(),
            le32(0).to_vec(),
            vec![0x00, 0x09],
            le32(2).to_vec(),
            vec![0x00],
        ]
        .concat()
    );
}

#[test]
fn signed_payloads_cover_closures_and_detect_tampering() {
    let key = Policy::Key(b"secret".to_vec());
    let a = state(&key, false);
    let bytes = a
        .serialize("local n = 41 return function() n = n + 1 return n end")
        .unwrap();
    assert_eq!(bytes[0], 0x0C);
    assert_eq!(
        u32::from_le_bytes(bytes[1..5].try_into().unwrap()) as usize,
        bytes.len() - 37
    );
    assert_eq!(bytes[37], 0x0A);
    let b = state(&key, false);
    b.deserialize(&bytes, "v").unwrap();
    b.run("assert(v() == 42)");
    // Any changed inner byte breaks the signature.
    for i in [37, 40, bytes.len() / 2, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[i] ^= 0x01;
        assert_eq!(
            variant_name(&b.deserialize(&bad, "v").unwrap_err()),
            "SignatureMismatch",
            "byte {i}"
        );
    }
    // Without the envelope, the same closure is unsigned bytecode.
    assert_eq!(
        variant_name(&b.deserialize(&bytes[37..], "v").unwrap_err()),
        "UnsignedBytecode"
    );
    // Another key does not verify.
    let c = state(&Policy::Key(b"other".to_vec()), false);
    assert_eq!(
        variant_name(&c.deserialize(&bytes, "v").unwrap_err()),
        "SignatureMismatch"
    );
}

// ------------------------------------------------------------------ limits

#[test]
fn limit_defaults_are_the_documented_ones() {
    let s = SerializeOptions::default();
    assert!(s.strip_debug);
    assert_eq!(
        (s.max_depth, s.max_size, s.max_entries),
        (100, 1 << 30, 10_000_000)
    );
    let d = DeserializeOptions::default();
    assert_eq!(
        (d.max_depth, d.max_size, d.max_entries),
        (100, 1 << 30, 10_000_000)
    );
}

/// `levels` tables nested in their array parts: `08 01000000 00000000 … 08 0 0 00 00 …`.
fn nested_tables(levels: usize) -> Vec<u8> {
    let mut b = Vec::new();
    for _ in 0..levels - 1 {
        b.extend([0x08, 1, 0, 0, 0, 0, 0, 0, 0]);
    }
    b.extend([0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0x00]);
    b.extend(std::iter::repeat_n(0x00, levels - 1));
    b
}

#[test]
fn depth_limit_counts_tables_and_closures() {
    let s = State::new();
    let nest = |n: usize| format!("local t = {{}} for i = 2, {n} do t = {{t}} end return t");
    let default = SerializeOptions::default();
    assert_eq!(
        serialize_opts(&s, &nest(100), &default).unwrap(),
        nested_tables(100)
    );
    assert_eq!(
        variant_name(&serialize_opts(&s, &nest(101), &default).unwrap_err()),
        "DepthLimitExceeded"
    );
    let d = DeserializeOptions::default();
    assert_eq!(deserialize_opts(&s, &nested_tables(100), &d), Ok(()));
    assert_eq!(
        deserialize_opts(&s, &nested_tables(101), &d),
        Err(SerializationError::DepthLimitExceeded {
            limit: 100,
            path: String::new()
        })
    );

    // A closure is a level, and its upvalues are inside it: closure + table = 2 levels.
    let code = "local t = {} return function() return t end";
    let two = serialize_opts(&s, code, &default).unwrap();
    let one_level = SerializeOptions {
        max_depth: 1,
        ..Default::default()
    };
    assert_eq!(
        match serialize_opts(&s, code, &one_level).unwrap_err() {
            SerializationError::Function {
                source: lua_persist::function_serializer::FunctionSerializationError::UpvalueSerializationFailed { cause, .. },
                ..
            } => variant_name(&cause),
            other => variant_name(&other),
        },
        "DepthLimitExceeded"
    );
    assert!(serialize_opts(
        &s,
        code,
        &SerializeOptions {
            max_depth: 2,
            ..Default::default()
        }
    )
    .is_ok());
    let d1 = DeserializeOptions {
        max_depth: 1,
        ..Default::default()
    };
    assert_eq!(
        variant_name(&deserialize_opts(&s, &two, &d1).unwrap_err()),
        "DepthLimitExceeded"
    );
    assert_eq!(
        deserialize_opts(
            &s,
            &two,
            &DeserializeOptions {
                max_depth: 2,
                ..Default::default()
            }
        ),
        Ok(())
    );
}

#[test]
fn entry_limit_counts_array_values_and_hash_pairs_over_the_payload() {
    let s = State::new();
    let three = SerializeOptions {
        max_entries: 3,
        ..Default::default()
    };
    let d3 = DeserializeOptions {
        max_entries: 3,
        ..Default::default()
    };
    for ok in ["{1, 2, 3}", "{1, x = 2, y = 3}", "{{1}, 2}"] {
        let bytes = serialize_opts(&s, &format!("return {ok}"), &three)
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(deserialize_opts(&s, &bytes, &d3), Ok(()), "{ok}");
    }
    for too_many in ["{1, 2, 3, 4}", "{1, 2, 3, x = 4}", "{{1}, {2}}"] {
        let err = serialize_opts(&s, &format!("return {too_many}"), &three).unwrap_err();
        assert_eq!(
            err,
            SerializationError::EntryLimitExceeded { limit: 3 },
            "{too_many}"
        );
        let bytes = s.serialize(&format!("return {too_many}")).unwrap();
        assert_eq!(
            deserialize_opts(&s, &bytes, &d3),
            Err(SerializationError::EntryLimitExceeded { limit: 3 }),
            "{too_many}"
        );
    }
}

#[test]
fn size_limit_counts_payload_bytes() {
    let s = State::new();
    let eight = SerializeOptions {
        max_size: 8,
        ..Default::default()
    };
    assert_eq!(serialize_opts(&s, "return 'abc'", &eight).unwrap().len(), 8);
    assert_eq!(
        serialize_opts(&s, "return 'abcd'", &eight),
        Err(SerializationError::SizeLimitExceeded { limit: 8 })
    );
    let d8 = DeserializeOptions {
        max_size: 8,
        ..Default::default()
    };
    assert_eq!(
        deserialize_opts(&s, b"\x04\x03\x00\x00\x00abc", &d8),
        Ok(())
    );
    assert_eq!(
        deserialize_opts(&s, b"\x04\x04\x00\x00\x00abcd", &d8),
        Err(SerializationError::SizeLimitExceeded { limit: 8 })
    );
    // A fixed buffer that is too small.
    s.eval("return 'abc'");
    let mut buf = [0u8; 7];
    // SAFETY: a valid state with the value on top.
    let r = unsafe { serialize_value(s.0, -1, &mut buf) };
    s.pop(1);
    assert_eq!(r, Err(SerializationError::BufferTooSmall { capacity: 7 }));
}

// ------------------------------------------------------------------ regressions

/// Set in the child processes that run the `*_child` helpers (their failures abort).
const CHILD: &str = "FORMAT_GOLDEN_CHILD";

/// Runs one ignored `*_child` test of this binary in a child process and fails if it fails,
/// so that an abort fails the test instead of the whole run.
fn run_child(name: &str) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", name, "--test-threads", "1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: {:?}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// FORMAT.md: upvalue indices follow the order of the `00` kind bytes (the encoder's order).
/// A decoder that numbered an upvalue after decoding its value would, when that value holds
/// a closure with upvalues of its own, join later `01 k` to the wrong variable.
#[test]
fn upvalue_index_order_with_nested_closures() {
    let bytes = State::new()
        .serialize(
            "local x = 10 local function B() return x end local y = B
             local function A() return y end local function C() return y end return {A, C}",
        )
        .unwrap();
    let s = State::new();
    s.deserialize(&bytes, "v").unwrap();
    // A and C share y (= B); after the bug C's y is B's x (10).
    s.run("assert(v[1]() == v[2](), 'C joined the wrong upvalue')");
}

/// A closure inside an upvalue's value that shares that very upvalue: the encoder writes
/// `01 k` for an index the decoder has not given out yet.
#[test]
fn shared_upvalue_inside_its_own_value() {
    let bytes = State::new()
        .serialize(
            "local obj obj = {get = function() return obj end} return function() return obj end",
        )
        .unwrap();
    let s = State::new();
    s.deserialize(&bytes, "v").expect("round trip");
    s.run("assert(v().get() == v())");
}

/// An envelope whose inner value runs past its declared length: `inner_start + len - pos`
/// underflows in read_signed (debug builds: a panic, which aborts the process since Lua-called
/// Rust functions abort on panic; release: a bogus TrailingBytes length). Run in a child.
#[test]
fn signed_inner_value_longer_than_its_length() {
    run_child("signed_inner_value_longer_than_its_length_child");
}

#[test]
#[ignore = "run by signed_inner_value_longer_than_its_length in a child process"]
fn signed_inner_value_longer_than_its_length_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let mut bytes = vec![0x0C, 1, 0, 0, 0];
    bytes.extend([0u8; 32]);
    bytes.extend([0x04, 1, 0, 0, 0, b'A']);
    let r = State::new().deserialize(&bytes, "v");
    assert!(
        matches!(r, Err(SerializationError::Truncated { .. })),
        "{r:?}"
    );
}

/// `FILE*.__gc` and `FILE*.__close` are one C function; the registry keeps whichever name
/// `lua_next` meets first, and that order follows the state's randomized string hash seed.
/// So the name written differs between states, and every state knows only one of the two
/// names: the other fails with UnknownCFunction.
#[test]
fn file_gc_and_close_have_one_stable_name() {
    let s = State::new();
    for name in ["FILE*.__gc", "FILE*.__close"] {
        let bytes = [&[0x0B, name.len() as u8, 0][..], name.as_bytes()].concat();
        s.deserialize(&bytes, "v")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        s.run("assert(v == getmetatable(io.stdout).__gc)");
    }
}

/// Nested 0x0C envelopes do not count towards max_depth, so a few MB of them overflow the
/// native stack (the process aborts). Run in a child process.
#[test]
fn nested_signed_envelopes_are_rejected() {
    run_child("nested_signed_envelopes_child");
}

#[test]
#[ignore = "run by nested_signed_envelopes_are_rejected in a child process"]
fn nested_signed_envelopes_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let n = 200_000usize;
    let mut bytes = Vec::with_capacity(37 * n + 1);
    for i in 0..n {
        bytes.push(0x0C);
        bytes.extend((((n - 1 - i) * 37 + 1) as u32).to_le_bytes());
        bytes.extend([0u8; 32]);
    }
    bytes.push(0x00);
    let r = State::new().deserialize(&bytes, "v");
    // An envelope is only allowed as the whole payload: the second one is misplaced.
    assert!(
        matches!(
            r,
            Err(SerializationError::MisplacedSignature { offset: 37 })
        ),
        "{r:?}"
    );
}

/// A global alias of a library function made before the registry is built (the common
/// `unpack = table.unpack`) takes the function's name, because `_G` is scanned first: other
/// states do not know the name `unpack`.
#[test]
fn global_alias_does_not_rename_a_library_function() {
    let a = State::new();
    a.run("unpack = table.unpack");
    let bytes = a.serialize("return table.unpack").unwrap();
    assert_eq!(
        bytes,
        [&[0x0B, 12, 0][..], b"table.unpack"].concat(),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
}

/// `max_size` limits the bytes a serialization writes, but the encoder compares it with the
/// whole output's length, so bytes already in the Vec count.
#[test]
fn max_size_counts_only_this_payload() {
    let s = State::new();
    s.eval("return 'a'");
    let mut out = vec![0u8; 100];
    // SAFETY: a valid state with the value on top.
    let r = unsafe {
        serialize_value_with(
            s.0,
            -1,
            &mut out,
            &SerializeOptions {
                max_size: 10,
                ..Default::default()
            },
        )
    };
    s.pop(1);
    assert_eq!(r, Ok(()));
    assert_eq!(out.len(), 106);
}
