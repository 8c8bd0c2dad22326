// Lua errors on wasm behave as natively: caught by pcall, reported by the runner, and
// never a trap of the module. (cu traps on every one of them.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newLua, text } from './helpers.mjs';
import { LuaStatus } from '../lua-persist.mjs';

const lua = await newLua();
const L = lua.newState();

/** Runs a chunk that must succeed and returns what it printed. */
function run(chunk) {
  const r = L.exec(chunk);
  assert.equal(r.status, LuaStatus.OK, `chunk failed: ${text(r.stderr)}`);
  return text(r.stdout);
}

test('error, pcall and error objects', () => {
  assert.equal(run(`print(pcall(error, 'x'))`), 'false\tx\n');
  assert.equal(run(`print(pcall(error, {code = 7}))`).startsWith('false\ttable: '), true);
  assert.equal(run(`local ok, e = pcall(error, setmetatable({}, {__tostring = function() return 'E' end})) print(ok, tostring(e))`), 'false\tE\n');
  assert.equal(run(`print(pcall(function() local t = nil; return t.x end))`),
    `false\tinput:1: attempt to index a nil value (local 't')\n`);
  assert.equal(run(`print(select('#', pcall(error)))`), '2\n');
});

test('xpcall with a traceback handler', () => {
  const out = run(`print(xpcall(function() error('deep') end, debug.traceback))`);
  assert.match(out, /^false\tinput:1: deep\nstack traceback:\n/);
  assert.match(out, /in function 'error'/);
});

test('uncaught errors come back as a status with message and traceback', () => {
  const r = L.exec(`local function f() error('boom') end f()`, '=chunk');
  assert.equal(r.status, LuaStatus.ERRRUN);
  assert.equal(text(r.stderr).split('\n')[0], 'lua-persist: chunk:1: boom');
  assert.match(text(r.stderr), /stack traceback:\n\t\[C\]: in function 'error'\n\tchunk:1: in local 'f'/);
});

test('syntax errors', () => {
  const r = L.exec('return 1 +', '=syntax');
  assert.equal(r.status, LuaStatus.ERRSYNTAX);
  assert.equal(text(r.stderr), 'lua-persist: syntax:1: unexpected symbol near <eof>\n');
  assert.equal(run(`print(load('x = = 1', '=l'))`), 'nil\tl:1: unexpected symbol near \'=\'\n');
});

test('a chunk with a NUL byte is a syntax error, not a crash', () => {
  const r = L.exec('print(1)\0print(2)', '=nul');
  assert.equal(r.status, LuaStatus.ERRSYNTAX);
  // The NUL is token 0, which Lua's lexer does not name ("near ..."), natively too.
  assert.equal(text(r.stderr), 'lua-persist: nul:1: unexpected symbol\n');
});

test('errors in metamethods', () => {
  const mt = `local mt = {__index = function() error('idx') end, __add = function() error('add') end,
    __eq = function() error('eq') end, __lt = function() error('lt') end, __concat = function() error('cat') end,
    __call = function() error('call') end, __newindex = function() error('newidx') end}
    local a, b = setmetatable({}, mt), setmetatable({}, mt)`;
  const out = run(`${mt}
    for _, f in ipairs{function() return a.x end, function() return a + 1 end, function() return a == b end,
      function() return a < b end, function() return a .. 'x' end, function() return a() end,
      function() a.y = 1 end} do
      local ok, e = pcall(f) print(ok, (e:gsub('^.-:%d+: ', '')))
    end`);
  assert.equal(out, 'false\tidx\nfalse\tadd\nfalse\teq\nfalse\tlt\nfalse\tcat\nfalse\tcall\nfalse\tnewidx\n');
});

test('errors in coroutines', () => {
  assert.equal(run(`local co = coroutine.create(function() coroutine.yield(1) error('in co') end)
    print(coroutine.resume(co)) print(coroutine.resume(co)) print(coroutine.status(co))`),
  'true\t1\nfalse\tinput:1: in co\ndead\n');
  assert.equal(run(`print(pcall(coroutine.wrap(function() error('wrapped', 0) end)))`), 'false\twrapped\n');
  assert.equal(run(`local co = coroutine.wrap(function() local x <close> = setmetatable({}, {__close = function() print('closed') end}) coroutine.yield() end)
    co() print('yielded')`), 'yielded\n');
});

test('Lua stack overflow', () => {
  const out = run(`local function f() return 1 + f() end print(pcall(f))`);
  assert.match(out, /^false\t.*stack overflow/);
});

test('C stack overflow', () => {
  const out = run(`local t = setmetatable({}, {__index = function(t, k) return t[k] end}) print(pcall(function() return t.x end))`);
  assert.match(out, /^false\t.*(stack overflow|C stack overflow)/);
  const out2 = run(`local function nest(n) if n == 0 then return '' end return (string.gsub('x', 'x', function() return nest(n - 1) end)) end
    print(pcall(nest, 1e6))`);
  assert.match(out2, /^false\t.*stack overflow/);
});

test('errors in __gc and __close', () => {
  assert.equal(run(`setmetatable({}, {__gc = function() error('in gc') end}) collectgarbage() collectgarbage() print('alive')`), 'alive\n');
  assert.equal(run(`print(pcall(function() local x <close> = setmetatable({}, {__close = function() error('in close', 0) end}) end))`), 'false\tin close\n');
  assert.equal(run(`print(pcall(function() local x <close> = setmetatable({}, {__close = function(_, e) error(e .. '+close', 0) end}) error('body', 0) end))`), 'false\tbody+close\n');
});

test('out of memory is a Lua error under a host-set limit', () => {
  const S = lua.newState();
  S.setMemoryLimit(S.memoryUsed + 2 * 1024 * 1024);
  let r = S.exec(`local t = {} for i = 1, 1e7 do t[i] = i end`);
  assert.equal(r.status, LuaStatus.ERRMEM);
  assert.match(text(r.stderr), /not enough memory/);
  r = S.exec(`print(pcall(string.rep, 'x', 8 * 1024 * 1024))`);
  assert.equal(r.status, LuaStatus.OK);
  assert.equal(text(r.stdout), 'false\tnot enough memory\n');
  r = S.exec(`local t = {} for i = 1, 100 do t[i] = i end print(#t)`);
  assert.equal(text(r.stdout), '100\n', 'the state keeps working after running out of memory');
  S.close();
});

test('one instance survives 10,000 consecutive errors', () => {
  const kinds = [`error('x')`, `local t = nil; t.x = 1`, `return 1 +`, `error({})`, `string.rep()`];
  for (let i = 0; i < 10000; i++) {
    const r = L.exec(kinds[i % kinds.length]);
    assert.notEqual(r.status, LuaStatus.OK);
  }
  assert.equal(run(`print(1 + 1)`), '2\n');
});

test('100,000 small chunks run with no memory growth after warm-up', () => {
  const S = lua.newState();
  const chunk = `local t = {} for i = 1, 10 do t[i] = i * 2 end x = (x or 0) + #t`;
  for (let i = 0; i < 1000; i++) S.exec(chunk);
  S.exec('collectgarbage()');
  const wasmBytes = lua.memoryBytes;
  const luaBytes = S.memoryUsed;
  for (let i = 0; i < 100000; i++) {
    const r = S.exec(chunk);
    if (r.status !== 0) assert.fail(text(r.stderr));
  }
  S.exec('collectgarbage()');
  assert.equal(lua.memoryBytes, wasmBytes, 'wasm memory grew');
  assert.ok(S.memoryUsed <= luaBytes * 1.05 + 1024, `Lua memory grew from ${luaBytes} to ${S.memoryUsed}`);
  assert.equal(text(S.exec('print(x)').stdout), `${101000 * 10}\n`);
  S.close();
});

test('memory grows on demand and freed memory is reused', async () => {
  const fresh = await newLua();
  const S = fresh.newState();
  const start = fresh.memoryBytes;
  const build = `local t = {} for i = 1, 2e6 do t[i] = i end big = t`;
  assert.equal(S.exec(build).status, LuaStatus.OK);
  const grown = fresh.memoryBytes;
  assert.ok(grown > start + 16 * 1024 * 1024, `memory grew from ${start} to ${grown}`);
  for (let i = 0; i < 5; i++) {
    assert.equal(S.exec('big = nil collectgarbage()').status, LuaStatus.OK);
    assert.equal(S.exec(build).status, LuaStatus.OK);
  }
  assert.equal(fresh.memoryBytes, grown, 'rebuilding after a free reuses the memory');
  S.close();
});

test('os.exit in a long-lived state ends it and reports the code; the instance goes on', async () => {
  const fresh = await newLua();
  for (const [chunk, code] of [['os.exit(3)', 3], ['os.exit(true, true)', 0], ['os.exit(false)', 1], ['os.exit(258)', 2]]) {
    const S = fresh.newState();
    const r = S.exec(`print('bye') ${chunk} print('never')`);
    assert.equal(r.status, LuaStatus.EXITED + code, chunk);
    assert.equal(text(r.stdout), 'bye\n');
    assert.throws(() => S.exec('print(1)'), /state is closed/);
  }
  // As a process exit: os.exit(code) runs no __close/__gc; os.exit(code, true) does.
  const finalizers = `local x <close> = setmetatable({}, {__close = function() print('closed') end})
    setmetatable({}, {__gc = function() print('gc') end})`;
  assert.equal(text(fresh.newState().exec(`${finalizers} os.exit(0)`).stdout), '');
  assert.equal(text(fresh.newState().exec(`${finalizers} os.exit(0, true)`).stdout), 'closed\ngc\n');
  const S = fresh.newState();
  S.exec(`local t = {} for i = 1, 1e5 do t[i] = i end big = t`); // something to free
  const before = fresh.memoryBytes;
  for (let i = 0; i < 200; i++) {
    const T = fresh.newState();
    T.exec(`local t = {} for i = 1, 1e4 do t[i] = {} end os.exit(0, true)`);
  }
  assert.equal(fresh.memoryBytes, before, 'states closed by os.exit(code, true) are freed');
  assert.equal(text(S.exec('print(#big)').stdout), '100000\n');
});

test('errors raised from Rust (persist) and through luaL_error are Lua errors on wasm', () => {
  assert.equal(run(`print(pcall(persist.serialize, io.stdout))`), 'false\tcannot serialize a userdata value\n');
  assert.equal(run(`print(pcall(persist.deserialize, '\\15'))`), 'false\tunknown type tag 0x0f at offset 0\n');
  // cu's "unsupported C function" marker decodes to a function that raises with luaL_error.
  assert.match(run(`print(pcall(persist.deserialize('\\6\\255\\255')))`), /^false\t.*cu could not serialize/);
});
