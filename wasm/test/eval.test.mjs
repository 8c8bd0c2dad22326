// LuaState.eval: a chunk's results as JavaScript values, and its errors as LuaError (lp_eval,
// src/wasm/host_values.rs, decodeHostValues in wasm/lua-persist.mjs); chunk names as given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LuaError, LuaOpaqueValue, LuaStatus } from '../lua-persist.mjs';
import { newLua, text } from './helpers.mjs';

const newState = async () => {
  const lua = await newLua();
  return { lua, S: lua.newState() };
};

test('scalars: nil, booleans, integers (bigints past 2^53), floats, UTF-8 strings, other bytes', async () => {
  const { S } = await newState();
  assert.deepEqual(S.eval('return 1 + 1'), [2]);
  assert.deepEqual(S.eval('return'), []);
  assert.deepEqual(S.eval('return nil, false, true, nil'), [null, false, true, null]);
  assert.deepEqual(S.eval('return math.maxinteger, math.mininteger, 2^53, -7, 0.5, -0.0, 1/0'),
    [9223372036854775807n, -9223372036854775808n, 9007199254740992, -7, 0.5, -0, Infinity]);
  assert.ok(Number.isNaN(S.eval('return 0/0')[0]));
  assert.deepEqual(S.eval('return "hé", "", "a\\0b"'), ['hé', '', 'a\0b']);
  assert.deepEqual(S.eval('return "\\255\\0\\1"'), [new Uint8Array([255, 0, 1])], 'not UTF-8: the bytes');
});

test('tables: arrays for keys 1..n, objects for string and number keys, Maps for the rest', async () => {
  const { S } = await newState();
  assert.deepEqual(S.eval('return {10, 20, 30}, {}'), [[10, 20, 30], []]);
  assert.deepEqual(S.eval('local t = {} t[3] = "c" t[1] = "a" t[2] = "b" return t'), [['a', 'b', 'c']], 'in any order');
  assert.deepEqual(S.eval('return {1, nil, 3}'), [{ 1: 1, 3: 3 }], 'a hole: an object');
  assert.deepEqual(S.eval('return {name = "Ann", n = 2, [1.5] = "x", list = {1, {deep = true}}}'),
    [{ name: 'Ann', n: 2, '1.5': 'x', list: [1, { deep: true }] }]);
  const [both] = S.eval('return {[1] = "int", ["1"] = "string"}');
  assert.ok(both instanceof Map, 'keys 1 and "1" cannot both be property names');
  assert.equal(both.get(1), 'int');
  assert.equal(both.get('1'), 'string');
  const [map] = S.eval('local k = {} return {[true] = "yes", [k] = "table key", x = 1}');
  assert.ok(map instanceof Map);
  assert.equal(map.get(true), 'yes');
  assert.equal(map.get('x'), 1);
  assert.deepEqual([...map.entries()].find(([k]) => Array.isArray(k))?.[1], 'table key');
  // Metatables are not consulted: the raw contents.
  assert.deepEqual(S.eval('return setmetatable({a = 1}, {__index = function() return 2 end, __pairs = error})'), [{ a: 1 }]);
});

test('shared and cyclic tables come back shared and cyclic', async () => {
  const { S } = await newState();
  const [pair, cycle] = S.eval('local s = {v = 1} local t = {} t.self = t t.list = {t} return {s, s, s}, t');
  assert.equal(pair[0], pair[1]);
  assert.equal(pair[1], pair[2]);
  assert.equal(cycle.self, cycle);
  assert.equal(cycle.list[0], cycle);
  const [a, b] = S.eval('local t = {1} return t, t');
  assert.equal(a, b, 'the same table as two results');
});

test('what JavaScript cannot hold is a LuaOpaqueValue naming its type; deep nesting stops at 200', async () => {
  const { S } = await newState();
  const values = S.eval('return print, function() end, coroutine.create(print), io.stdout, {f = print}');
  assert.deepEqual(values.slice(0, 4).map((v) => v instanceof LuaOpaqueValue && v.type),
    ['function', 'function', 'thread', 'userdata']);
  assert.equal(String(values[0]), '[Lua function]');
  assert.equal(values[4].f.type, 'function');
  const [deep] = S.eval('local t = {} local top = t for i = 1, 300 do t.next = {} t = t.next end return top');
  let depth = 0;
  let t = deep;
  while (!(t instanceof LuaOpaqueValue)) { t = t.next; depth++; }
  assert.equal(depth, 200);
  assert.equal(t.type, 'table');
});

test('errors throw a LuaError with the message, the traceback and the value as raised', async () => {
  const { lua, S } = await newState();
  const caught = (code, name) => {
    try {
      S.eval(code, name);
    } catch (e) {
      assert.ok(e instanceof LuaError);
      return e;
    }
    assert.fail(`no error from ${code}`);
  };
  const boom = caught('local function f() error("boom") end f()', 'setup');
  assert.equal(boom.message, 'setup:1: boom');
  assert.equal(boom.value, 'setup:1: boom');
  assert.equal(boom.status, LuaStatus.ERRRUN);
  assert.match(boom.traceback, /^stack traceback:\n.*\n\tsetup:1: in (local|upvalue|function) 'f'/s);
  const coded = caught('error({code = 42, why = "no"})');
  assert.deepEqual(coded.value, { code: 42, why: 'no' });
  assert.equal(coded.message, '(error object is a table value)');
  assert.equal(caught('error(setmetatable({}, {__tostring = function() return "shown" end}))').message, 'shown');
  assert.equal(caught('error(7)').value, 7);
  assert.equal(caught('error()').value, null);
  const syntax = caught('x = = 1', 'input');
  assert.equal(syntax.status, LuaStatus.ERRSYNTAX);
  assert.equal(syntax.message, "input:1: unexpected symbol near '='");
  assert.equal(syntax.traceback, null);
  assert.equal(caught('error("at file")', '@scripts/init.lua').message, 'scripts/init.lua:1: at file');
  // Nothing of it is printed, and the state goes on.
  assert.equal(text(lua.takeOutput(2)), '');
  assert.deepEqual(S.eval('return "still here"'), ['still here']);
});

test('chunk names are used as given by eval and exec', async () => {
  const { S } = await newState();
  assert.throws(() => S.eval('error("x")'), { message: 'eval:1: x' });
  assert.match(text(S.exec('error("y")', 'plain name').stderr), /^lua-persist: plain name:1: y\n/);
  assert.match(text(S.exec('error("z")', '=already').stderr), /^lua-persist: already:1: z\n/);
});

test('a limit ends the chunk with a LuaError; print output stays in the module; _home is stored', async () => {
  const { lua, S } = await newState();
  S.setLimits({ instructions: 100_000 });
  assert.throws(() => S.eval('while true do end', 'loop'),
    (e) => e instanceof LuaError && e.status === LuaStatus.ERRRUN && /loop:1: instruction limit exceeded/.test(e.message));
  assert.equal(S.usage().exceeded, 'instructions');
  assert.deepEqual(S.eval('print("printed") _home.kept = {1, 2} return _home.kept[2]'), [2]);
  assert.equal(text(lua.takeOutput(1)), 'printed\n');
  assert.deepEqual(lua.newState().eval('return _home.kept[1]'), [1], 'stored for the next state');
});

test('os.exit in eval throws a LuaError with status EXITED + code, and closes the state', async () => {
  const { S } = await newState();
  assert.throws(() => S.eval('os.exit(3, true)'),
    (e) => e instanceof LuaError && e.status === LuaStatus.EXITED + 3);
  assert.throws(() => S.eval('return 1'), /state is closed/);
});
