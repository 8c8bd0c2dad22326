//! Property tests of the serializer: random value graphs (tables with cycles, shared
//! subtables, metatables, closures with shared and recursive upvalues, C functions) are
//! built as Lua source in one state, serialized, restored in a fresh state and compared
//! there with a canonical rendering (`canon`, in Lua), which also calls the closures.
//! The encoder's determinism is checked by serializing the restored graph again.

mod common;

use std::fmt::Write as _;

use common::State;
use lua_persist::lua;
use proptest::prelude::*;
use proptest::sample::Index;

// --------------------------------------------------------------------- Lua helpers

/// Defines `canon(v)` and `idcheck(v)` in a state.
///
/// `canon` renders a graph as a string that two states produce alike exactly when the
/// graphs agree: tables and Lua functions are numbered in first-visit order (a second
/// visit renders `@n`, so shared subtables, cycles and a function met twice show), keys
/// are visited in a total order on their representations (type + `%d`/`%a`/bytes; a table
/// key by its `__id` field, which the generator gives every node of the general graphs),
/// floats are `%a` (NaN one token, `-0.0` keeps its sign), metatables are rendered raw
/// (`debug.getmetatable`). A Lua function is rendered by calling it once with 7 and
/// rendering its results; the counters' `inc` closures mutate their shared variable then,
/// so a sibling `get` rendered later shows whether the variable is still shared. A C
/// function is rendered by its smallest library name (not called).
///
/// `idcheck` walks the graph (entries, keys, metatables, upvalues other than the globals
/// table) and fails if two distinct tables carry the same `__id`, i.e. a table was
/// duplicated; it returns the number of distinct node tables reached.
const CANON: &str = r#"
local cnames = {}
for _, lib in ipairs{'_G', 'string', 'math', 'table', 'os', 'io', 'coroutine', 'utf8'} do
  local t = lib == '_G' and _G or _G[lib]
  for k, v in pairs(t) do
    if type(v) == 'function' then
      local name = lib == '_G' and k or lib .. '.' .. k
      if cnames[v] == nil or name < cnames[v] then cnames[v] = name end
    end
  end
end

local function keyrepr(k)
  local tk = type(k)
  if tk == 'number' then
    if math.type(k) == 'integer' then return 'i' .. string.format('%d', k) end
    return 'f' .. string.format('%a', k)
  elseif tk == 'string' then return 's' .. k
  elseif tk == 'boolean' then return 'b' .. tostring(k)
  elseif rawequal(k, _G) then return 'g'
  elseif tk == 'table' then
    local id = rawget(k, '__id')
    assert(id ~= nil, 'a table key without __id')
    return 't' .. string.format('%d', id)
  end
  error('unexpected key type ' .. tk)
end

function canon(root)
  local seen, count, out = {}, 0, {}
  local function put(s) out[#out + 1] = s end
  local function val(v)
    local tv = type(v)
    if rawequal(v, _G) then put('_G')
    elseif tv == 'nil' then put('nil')
    elseif tv == 'boolean' then put(tostring(v))
    elseif tv == 'number' then
      if math.type(v) == 'integer' then put('i' .. string.format('%d', v))
      elseif v ~= v then put('NaN')
      else put('f' .. string.format('%a', v)) end
    elseif tv == 'string' then put(string.format('%q', v))
    elseif tv == 'table' then
      if seen[v] then put('@' .. seen[v]) return end
      count = count + 1
      seen[v] = count
      put('T' .. count .. '{')
      local keys = {}
      for k in next, v do keys[#keys + 1] = k end
      table.sort(keys, function(a, b) return keyrepr(a) < keyrepr(b) end)
      for _, k in ipairs(keys) do
        val(k) put('=') val(rawget(v, k)) put(';')
      end
      put('}meta=')
      val(debug.getmetatable(v))
    elseif tv == 'function' then
      if debug.getinfo(v, 'S').what == 'C' then
        put('C:' .. (cnames[v] or '?'))
        return
      end
      if seen[v] then put('@' .. seen[v]) return end
      count = count + 1
      seen[v] = count
      local r = table.pack(v(7))
      put('F' .. count .. '(' .. r.n)
      for i = 1, r.n do put(',') val(r[i]) end
      put(')')
    else
      put('?' .. tv)
    end
  end
  val(root)
  return table.concat(out)
end

function idcheck(root)
  local seen, byid, n = {}, {}, 0
  local function walk(v)
    if seen[v] or v == _G then return end
    if type(v) == 'table' then
      seen[v] = true
      local id = rawget(v, '__id')
      if id ~= nil then
        assert(byid[id] == nil, 'two tables with __id ' .. tostring(id))
        byid[id] = v
        n = n + 1
      end
      for k, x in next, v do walk(k) walk(x) end
      walk(debug.getmetatable(v))
    elseif type(v) == 'function' and debug.getinfo(v, 'S').what == 'Lua' then
      seen[v] = true
      for i = 1, 255 do
        local name, x = debug.getupvalue(v, i)
        if name == nil then break end
        walk(x)
      end
    end
  end
  walk(root)
  return n
end
"#;

/// The helpers every generated chunk starts with: `D` makes a float from its bit pattern
/// (exact, NaN payloads included); the templates the closures come from.
const PRELUDE: &str = r#"
local function D(h)
  return (string.unpack('<d', (h:gsub('..', function(x) return string.char(tonumber(x, 16)) end))))
end
-- two closures sharing one variable
local function mk(c)
  return function() return c end, function(d) c = c + d return c end
end
local F = {}
for k = 1, 3 do F[k] = {mk(k * 100)} end
-- recursive: one closure, its own upvalue
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
-- recursive, a new closure each time, with a second upvalue
local function mkrec(m)
  local function r(n) if n <= 0 then return m end return r(n - 1) + 1 end
  return r
end
-- captures a value (a scalar or a node table)
local function cap(v) return function() return v end end
-- captures a C function and uses globals
local function mkfmt()
  local fmt = string.format
  return function(x) return fmt('%d|', x) .. math.type(x) end
end
-- captures another closure
local function wrap(g) return function(x) return g(x), 'w' end end
-- two closures sharing one variable that holds a table (until set(7) replaces it)
local function mkt(t)
  return function() return t end, function(x) t = x return t end
end
"#;

fn string_of_top(s: &State, code: &str) -> String {
    s.eval(code);
    // SAFETY: eval left one value on top of a valid state.
    let text = unsafe { lua::tostring(s.0, -1) }
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_else(|| panic!("`{code}` did not give a string"));
    s.pop(1);
    text
}

// ------------------------------------------------------------------ value graphs

#[derive(Debug, Clone)]
enum Scalar {
    Int(i64),
    Float(f64),
    Str(Vec<u8>),
    Bool(bool),
}

#[derive(Debug, Clone)]
enum Key {
    Scalar(Scalar),
    Node(Index),
    Globals,
}

#[derive(Debug, Clone)]
enum Func {
    /// `F[k][1]`: the getter of counter k (0..3).
    Get(u8),
    /// `F[k][2]`: the incrementer of counter k; shares its variable with `Get(k)`.
    Inc(u8),
    Fib,
    Rec(i64),
    CapNode(Index),
    CapScalar(Scalar),
    Fmt,
    /// `G[k][1]`, `G[k][2]`: getter and setter of a shared variable holding node k's table.
    TGet(Index),
    TSet(Index),
    /// A closure capturing a closure (one level).
    Wrap(Box<Func>),
    /// A library C function (rendered by name, never called).
    C(u8),
}

#[derive(Debug, Clone)]
enum Val {
    Scalar(Scalar),
    Node(Index),
    Func(Func),
    /// The globals table (written as tag 0x0D; restored as the other state's).
    Globals,
}

#[derive(Debug, Clone)]
struct NodeSpec {
    array: Vec<Val>,
    entries: Vec<(Key, Val)>,
    meta: Option<Meta>,
    self_ref: bool,
}

#[derive(Debug, Clone)]
enum Meta {
    Node(Index),
    Globals,
}

#[derive(Debug, Clone)]
struct Graph {
    nodes: Vec<NodeSpec>,
    /// Only array parts (no hash keys, no `__id`): the encoding is then fully determined.
    array_only: bool,
}

const C_FUNCTIONS: &[&str] = &[
    "string.format",
    "math.floor",
    "print",
    "table.insert",
    "string.rep",
    "os.time",
    "select",
    "coroutine.wrap",
    // C closures (upvalues): stored by name as the very object the name resolves to.
    "math.random",
    "require",
    "io.write",
];

fn int_strategy() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => -1000i64..1000,
        2 => any::<i64>(),
        1 => prop::sample::select(vec![
            i64::MIN, i64::MIN + 1, i64::MAX, i64::MAX - 1, 0, -1, 1 << 53, (1 << 53) + 1, -(1 << 31),
        ]),
    ]
}

fn float_strategy() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => any::<f64>(),
        2 => -1.0e6f64..1.0e6,
        2 => prop::sample::select(vec![
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7FF0_0000_0000_0001), // signalling NaN
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            f64::MIN_POSITIVE / 4.0, // subnormal
            -5e-324,                 // smallest subnormal
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
            0.1,
            9007199254740993.0,
            -9.223372036854776e18, // -2^63: integral, representable as an integer
            9.223372036854776e18,  // 2^63: integral, not an integer
            1.5,
        ]),
    ]
}

fn bytes_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => prop::collection::vec(any::<u8>(), 0..24),
        2 => prop::collection::vec(prop_oneof![Just(0u8), Just(b'\\'), Just(b'"'), Just(b'\n'), any::<u8>()], 0..48),
        1 => prop::collection::vec(any::<u8>(), 0..4096),
    ]
}

fn scalar_strategy() -> impl Strategy<Value = Scalar> {
    prop_oneof![
        3 => int_strategy().prop_map(Scalar::Int),
        3 => float_strategy().prop_map(Scalar::Float),
        3 => bytes_strategy().prop_map(Scalar::Str),
        1 => any::<bool>().prop_map(Scalar::Bool),
    ]
}

fn key_strategy() -> impl Strategy<Value = Key> {
    let names = prop::sample::select(vec!["a", "b", "x", "self", "", "key with spaces", "1"])
        .prop_map(|s| s.as_bytes().to_vec());
    let string_key = prop_oneof![names, prop::collection::vec(any::<u8>(), 0..12)]
        // No metafield names: a node may serve as a metatable (`__mode`, `__gc`, ...).
        .prop_filter("no __ names", |s| !s.starts_with(b"__"))
        .prop_map(|s| Key::Scalar(Scalar::Str(s)));
    prop_oneof![
        3 => int_strategy().prop_map(|i| Key::Scalar(Scalar::Int(i))),
        // Integral floats become integer keys (also -0.0 -> 0) in both states alike.
        2 => float_strategy()
            .prop_filter("NaN cannot be a key", |f| !f.is_nan())
            .prop_map(|f| Key::Scalar(Scalar::Float(f))),
        3 => string_key,
        1 => any::<bool>().prop_map(|b| Key::Scalar(Scalar::Bool(b))),
        2 => any::<Index>().prop_map(Key::Node),
        1 => Just(Key::Globals),
    ]
}

fn leaf_func_strategy() -> impl Strategy<Value = Func> {
    prop_oneof![
        2 => (0u8..3).prop_map(Func::Get),
        2 => (0u8..3).prop_map(Func::Inc),
        1 => Just(Func::Fib),
        1 => (-50i64..50).prop_map(Func::Rec),
        2 => any::<Index>().prop_map(Func::CapNode),
        2 => scalar_strategy().prop_map(Func::CapScalar),
        1 => Just(Func::Fmt),
        1 => any::<Index>().prop_map(Func::TGet),
        1 => any::<Index>().prop_map(Func::TSet),
    ]
}

fn func_strategy() -> impl Strategy<Value = Func> {
    prop_oneof![
        6 => leaf_func_strategy(),
        1 => leaf_func_strategy().prop_map(|f| Func::Wrap(Box::new(f))),
        1 => (0..C_FUNCTIONS.len() as u8).prop_map(Func::C),
    ]
}

fn val_strategy() -> impl Strategy<Value = Val> {
    prop_oneof![
        5 => scalar_strategy().prop_map(Val::Scalar),
        3 => any::<Index>().prop_map(Val::Node),
        2 => func_strategy().prop_map(Val::Func),
        1 => Just(Val::Globals),
    ]
}

fn node_strategy(array_only: bool) -> impl Strategy<Value = NodeSpec> {
    let entries = if array_only { 0..1usize } else { 0..8usize };
    (
        prop::collection::vec(val_strategy(), 0..6),
        prop::collection::vec((key_strategy(), val_strategy()), entries),
        prop::option::weighted(
            0.3,
            prop_oneof![9 => any::<Index>().prop_map(Meta::Node), 1 => Just(Meta::Globals)],
        ),
        prop::bool::weighted(if array_only { 0.0 } else { 0.2 }),
    )
        .prop_map(|(array, entries, meta, self_ref)| NodeSpec {
            array,
            entries,
            meta,
            self_ref,
        })
}

fn graph_strategy(array_only: bool) -> impl Strategy<Value = Graph> {
    prop::collection::vec(node_strategy(array_only), 1..12)
        .prop_map(move |nodes| Graph { nodes, array_only })
}

// ------------------------------------------------------------------- Lua source

fn lua_bytes(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 4 + 2);
    s.push('"');
    for &c in b {
        write!(s, "\\x{c:02x}").unwrap();
    }
    s.push('"');
    s
}

fn lua_scalar(v: &Scalar) -> String {
    match v {
        Scalar::Int(i64::MIN) => "math.mininteger".into(),
        Scalar::Int(i) => format!("{i}"),
        Scalar::Float(f) => {
            let hex: String = f.to_le_bytes().iter().map(|b| format!("{b:02x}")).collect();
            format!("D'{hex}'")
        }
        Scalar::Str(b) => lua_bytes(b),
        Scalar::Bool(b) => format!("{b}"),
    }
}

fn node_ref(i: &Index, n: usize) -> String {
    format!("N[{}]", i.index(n) + 1)
}

fn lua_func(f: &Func, n: usize) -> String {
    match f {
        Func::Get(k) => format!("F[{}][1]", k + 1),
        Func::Inc(k) => format!("F[{}][2]", k + 1),
        Func::Fib => "fib".into(),
        Func::Rec(m) => format!("mkrec({m})"),
        Func::CapNode(i) => format!("cap({})", node_ref(i, n)),
        Func::CapScalar(v) => format!("cap({})", lua_scalar(v)),
        Func::Fmt => "mkfmt()".into(),
        Func::TGet(i) => format!("G[{}][1]", i.index(n) + 1),
        Func::TSet(i) => format!("G[{}][2]", i.index(n) + 1),
        Func::Wrap(g) => format!("wrap({})", lua_func(g, n)),
        Func::C(i) => C_FUNCTIONS[*i as usize].into(),
    }
}

fn lua_val(v: &Val, n: usize) -> String {
    match v {
        Val::Scalar(s) => lua_scalar(s),
        Val::Node(i) => node_ref(i, n),
        Val::Func(f) => lua_func(f, n),
        Val::Globals => "_G".into(),
    }
}

fn lua_key(k: &Key, n: usize) -> String {
    match k {
        Key::Scalar(s) => lua_scalar(s),
        Key::Node(i) => node_ref(i, n),
        Key::Globals => "_G".into(),
    }
}

/// A chunk that builds the graph and returns node 1.
fn lua_source(g: &Graph) -> String {
    let n = g.nodes.len();
    let mut s = String::from(PRELUDE);
    if g.array_only {
        writeln!(s, "local N = {{}} for i = 1, {n} do N[i] = {{}} end").unwrap();
    } else {
        writeln!(
            s,
            "local N = {{}} for i = 1, {n} do N[i] = {{__id = i}} end"
        )
        .unwrap();
    }
    writeln!(
        s,
        "local G = {{}} for i = 1, {n} do G[i] = {{mkt(N[i])}} end"
    )
    .unwrap();
    for (i, node) in g.nodes.iter().enumerate() {
        let t = format!("N[{}]", i + 1);
        for (j, v) in node.array.iter().enumerate() {
            writeln!(s, "rawset({t}, {}, {})", j + 1, lua_val(v, n)).unwrap();
        }
        for (k, v) in &node.entries {
            writeln!(s, "rawset({t}, {}, {})", lua_key(k, n), lua_val(v, n)).unwrap();
        }
        if node.self_ref {
            writeln!(s, "rawset({t}, 'self', {t})").unwrap();
        }
    }
    // Metatables last, so that no metamethod runs while the graph is built.
    for (i, node) in g.nodes.iter().enumerate() {
        match &node.meta {
            Some(Meta::Node(m)) => {
                writeln!(s, "setmetatable(N[{}], {})", i + 1, node_ref(m, n)).unwrap()
            }
            Some(Meta::Globals) => writeln!(s, "setmetatable(N[{}], _G)", i + 1).unwrap(),
            None => {}
        }
    }
    s.push_str("return N[1]\n");
    s
}

// ------------------------------------------------------------------- the property

/// Builds the graph in state A, serializes it, restores it in B, serializes B's copy again
/// and restores that in C; then compares.
fn check_graph(g: &Graph) -> Result<(), TestCaseError> {
    let source = lua_source(g);
    let a = State::new();
    a.run(CANON);
    a.run(&format!("root = (function()\n{source}\nend)()"));
    let bytes1 = a
        .serialize("return root")
        .map_err(|e| TestCaseError::fail(format!("serialize: {e}\n{source}")))?;

    let b = State::new();
    b.run(CANON);
    b.deserialize(&bytes1, "root")
        .map_err(|e| TestCaseError::fail(format!("deserialize: {e}\n{source}")))?;
    // Before anything calls the closures (canon does, and counters change).
    let bytes2 = b
        .serialize("return root")
        .map_err(|e| TestCaseError::fail(format!("serialize again: {e}\n{source}")))?;

    // Determinism. The encoder walks tables in `lua_next` order, which depends on the
    // state (string hashes are seeded per state, table keys hash by address, and the
    // restored table was filled in another order), so only graphs whose tables have array
    // parts only must encode byte for byte alike. For every graph the length is the same:
    // each table and closure is written in full once and as a 5-byte reference at every
    // other occurrence, each upvalue once as `00` + value and as a 5-byte `01` + index
    // elsewhere, whichever occurrence comes first.
    prop_assert_eq!(
        bytes2.len(),
        bytes1.len(),
        "re-encoding changed the length\n{}",
        source
    );
    if g.array_only {
        prop_assert!(
            bytes2 == bytes1,
            "re-encoding an array-only graph changed its bytes\n{}",
            source
        );
    }

    let c = State::new();
    c.run(CANON);
    c.deserialize(&bytes2, "root")
        .map_err(|e| TestCaseError::fail(format!("deserialize again: {e}\n{source}")))?;

    // Identity: no table was duplicated or lost.
    let ids_a = string_of_top(&a, "return tostring(idcheck(root))");
    let ids_b = string_of_top(&b, "return tostring(idcheck(root))");
    let ids_c = string_of_top(&c, "return tostring(idcheck(root))");
    prop_assert_eq!(&ids_b, &ids_a, "{}", source);
    prop_assert_eq!(&ids_c, &ids_a, "{}", source);

    // Structure and behaviour (this calls every closure once, in the same order).
    let canon_a = string_of_top(&a, "return canon(root)");
    let canon_b = string_of_top(&b, "return canon(root)");
    let canon_c = string_of_top(&c, "return canon(root)");
    prop_assert!(
        canon_b == canon_a,
        "restored graph differs\nA: {}\nB: {}\n{}",
        canon_a,
        canon_b,
        source
    );
    prop_assert!(
        canon_c == canon_a,
        "twice restored graph differs\nA: {}\nC: {}\n{}",
        canon_a,
        canon_c,
        source
    );
    Ok(())
}

/// No regression files: this crate keeps its test inputs in the test sources. The
/// `PROPTEST_CASES` environment variable overrides the case count (for a longer search).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_graphs_round_trip(g in graph_strategy(false)) {
        check_graph(&g)?;
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn array_only_graphs_encode_deterministically(g in graph_strategy(true)) {
        check_graph(&g)?;
    }

    /// Any scalar, alone: exact bits for floats (sign of zero, NaN payloads; the format
    /// keeps them, FORMAT.md "All integers are little-endian"), integer/float subtype.
    #[test]
    fn scalars_round_trip_bit_exactly(v in scalar_strategy()) {
        let a = State::new();
        let bytes = a.serialize(&format!("{}\nreturn {}", PRELUDE, lua_scalar(&v))).unwrap();
        let b = State::new();
        b.deserialize(&bytes, "v").unwrap();
        let check = match &v {
            Scalar::Int(i) => format!("return math.type(v) == 'integer' and v == {}", lua_scalar(&Scalar::Int(*i))),
            Scalar::Float(f) => {
                let hex: String = f.to_le_bytes().iter().map(|b| format!("{b:02x}")).collect();
                format!("return math.type(v) == 'float' and string.pack('<d', v) == (('{hex}'):gsub('..', function(x) return string.char(tonumber(x, 16)) end))")
            }
            Scalar::Str(s) => format!("return v == {}", lua_bytes(s)),
            Scalar::Bool(x) => format!("return v == {x}"),
        };
        b.eval(&check);
        // SAFETY: eval left one value on top.
        let ok = unsafe { lua::toboolean(b.0, -1) };
        b.pop(1);
        prop_assert!(ok, "{:?} did not survive: {}", v, check);
    }
}

// ------------------------------------------------------------------ fixed cases

fn round_trip_canon(source: &str) -> (State, State) {
    let a = State::new();
    a.run(CANON);
    a.run(&format!("root = (function()\n{PRELUDE}\n{source}\nend)()"));
    let bytes = a.serialize("return root").expect("serializes");
    let b = State::new();
    b.run(CANON);
    b.deserialize(&bytes, "root").expect("deserializes");
    let ca = string_of_top(&a, "return canon(root)");
    let cb = string_of_top(&b, "return canon(root)");
    assert_eq!(ca, cb, "{source}");
    (a, b)
}

#[test]
fn identity_of_shared_tables_and_self_references() {
    let (_a, b) = round_trip_canon(
        "local shared = {__id = 2} local t = {__id = 1, x = shared, y = shared, [shared] = shared}
         t.self = t shared.back = t setmetatable(shared, t)
         return t",
    );
    b.run(
        "assert(rawequal(root.x, root.y)) assert(rawequal(root.self, root))
         assert(rawequal(root.x.back, root)) assert(rawequal(getmetatable(root.x), root))
         assert(rawequal(root[root.x], root.x))",
    );
}

#[test]
fn shared_upvalues_stay_shared_and_closures_keep_identity() {
    let (_a, b) = round_trip_canon(
        "local get, inc = F[1][1], F[1][2] return {get, inc, get, cap(get), wrap(inc)}",
    );
    b.run(
        "assert(rawequal(root[1], root[3]))
         assert(debug.upvalueid(root[1], 1) == debug.upvalueid(root[2], 1))
         local before = root[1]() root[2](5) assert(root[1]() == before + 5)
         root[5](1) assert(root[1]() == before + 6)
         assert(rawequal(root[4](), root[1]))",
    );
}

#[test]
fn the_canonical_form_tells_graphs_apart() {
    // The comparison is only as good as canon: make sure it sees what it must see.
    let s = State::new();
    s.run(CANON);
    let render = |code: &str| {
        string_of_top(
            &s,
            &format!("return canon((function() {PRELUDE} {code} end)())"),
        )
    };
    let shared = render("local t = {} return {t, t}");
    let copied = render("return {{}, {}}");
    assert_ne!(shared, copied);
    assert_ne!(render("return {0.0}"), render("return {-0.0}"));
    assert_ne!(render("return {1}"), render("return {1.0}"));
    assert_ne!(render("return {'a\\0'}"), render("return {'a'}"));
    // Not shared: two counters from two factory calls.
    let joined = render("return {F[1][2], F[1][1]}");
    let separate = render("local g1, i1 = mk(100) local g2, i2 = mk(100) return {i1, g2}");
    assert_ne!(joined, separate);
    assert_ne!(render("return setmetatable({}, {})"), render("return {}"));
}
