// Limits and sandbox mode in the wasm module (docs/cu-interface.md, "Limits"): memory,
// instruction and time limits trip through LuaState.exec, through cu's `compute` and
// through `node wasm/run.mjs`; pcall, xpcall, coroutines and __close cannot swallow them;
// the state runs the next chunk with its globals intact; usage is visible to the host
// (usage()) and to the script (limits.usage(), limits.get()); sandbox mode refuses files,
// processes, the environment and binary chunks.
// No test here asserts a duration: time limits are checked by their messages only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wasmModule, newLua, text, repoRoot } from './helpers.mjs';
import { LuaStatus } from '../lua-persist.mjs';

const MiB = 1024 * 1024;
const utf8 = new TextEncoder();

// Chunks that run until a limit stops them.
const SPIN = 'while true do end';
/** A runaway that tries to catch its own end with pcall, forever. */
const PCALL_SPIN = 'local n = 0 while true do pcall(function() while true do end end) n = n + 1 end';
/** Backtracking without end in a single call of string.find. */
const PATTERN_BOMB = "return string.find(('a'):rep(30000), ('a*'):rep(30) .. 'b')";
/** A table that grows in small steps: memory rises smoothly up to the limit. */
const GROW = "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(100) .. i end";

const MESSAGE = {
  memory: 'memory limit exceeded',
  instructions: 'instruction limit exceeded',
  time: 'time limit exceeded',
};

/** Runs a chunk in a state; returns { status, out, err } as text. */
function exec(S, code) {
  const r = S.exec(code);
  return { status: r.status, out: text(r.stdout), err: text(r.stderr) };
}

/** cu's compute on an instance: the chunk copied to the buffer, the result decoded. */
function compute(x, code) {
  const bytes = utf8.encode(code);
  new Uint8Array(x.memory.buffer, x.get_buffer_ptr(), bytes.length).set(bytes);
  const rc = x.compute(x.get_buffer_ptr(), bytes.length);
  const buf = new Uint8Array(x.memory.buffer, x.get_buffer_ptr(), x.get_buffer_size());
  if (rc < 0) return { error: text(buf.slice(0, -rc - 1)) };
  const outLen = new DataView(buf.buffer, buf.byteOffset).getUint32(0, true);
  return { output: text(buf.slice(4, 4 + outLen)), value: [...buf.slice(4 + outLen, rc)] };
}

/** compute's value as an integer (tag 02), for short checks. */
const integer = (r) => {
  assert.equal(r.value?.[0], 0x02, JSON.stringify(r));
  return Number(new DataView(Uint8Array.from(r.value).buffer).getBigInt64(1, true));
};

const runScript = join(repoRoot, 'wasm/run.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'lua-persist-limits-'));

/** `node wasm/run.mjs ARGS...` with a store of its own. */
function run(args) {
  const r = spawnSync(process.execPath, [runScript, ...args], {
    encoding: 'utf8', env: { ...process.env, LUA_PERSIST_WASM_STORE: join(tmp, 'store') },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// ------------------------------------------------------------------ LuaState.exec

test('each limit trips through LuaState.exec, and the state answers the next chunk with its globals', async () => {
  const S = (await newLua()).newState();
  assert.equal(exec(S, 'kept = {answer = 42}').status, LuaStatus.OK);
  const cases = [
    ['instructions', { instructions: 1e6 }, SPIN],
    ['time', { timeMs: 200 }, SPIN],
    ['memory', { memory: 32 * MiB }, GROW],
  ];
  for (const [kind, limits, code] of cases) {
    S.setLimits(limits);
    const r = exec(S, code);
    assert.equal(r.status, LuaStatus.ERRRUN, kind);
    assert.ok(r.err.includes(MESSAGE[kind]), `${kind}: ${r.err}`);
    assert.equal(S.usage().exceeded, kind);
    const next = exec(S, 'print(kept.answer, 6 * 7)');
    assert.deepEqual(next, { status: LuaStatus.OK, out: '42\t42\n', err: '' }, `after ${kind}`);
    assert.equal(S.usage().exceeded, null, `a good chunk after ${kind}`);
  }
});

test('pcall in a loop cannot escape the instruction limit nor the time limit', async () => {
  const S = (await newLua()).newState();
  exec(S, 'kept = "still here"');
  for (const [kind, limits] of [['instructions', { instructions: 1e6 }], ['time', { timeMs: 200 }]]) {
    S.setLimits(limits);
    const r = exec(S, PCALL_SPIN);
    assert.equal(r.status, LuaStatus.ERRRUN);
    assert.ok(r.err.includes(MESSAGE[kind]), `${kind}: ${r.err}`);
    assert.equal(S.usage().exceeded, kind);
    assert.equal(exec(S, 'print(kept)').out, 'still here\n');
  }
});

test('xpcall, coroutine.wrap, __close and __gc cannot swallow the instruction limit either', async () => {
  const S = (await newLua()).newState();
  S.setLimits({ instructions: 1e6 });
  const escapes = {
    xpcall: 'while true do xpcall(function() while true do end end, function(m) return m end) end',
    'coroutine.wrap': 'while true do pcall(coroutine.wrap(function() while true do end end)) end',
    'a coroutine resumed': 'while true do coroutine.resume(coroutine.create(function() while true do end end)) end',
    __close: `while true do
      pcall(function()
        local guard <close> = setmetatable({}, {__close = function() while true do end end})
        while true do end
      end)
    end`,
    __gc: `setmetatable({}, {__gc = function() while true do end end})
      while true do pcall(function() while true do end end) end`,
    'error with a table': 'while true do pcall(error, {}) pcall(function() while true do end end) end',
  };
  for (const [name, code] of Object.entries(escapes)) {
    const r = exec(S, code);
    assert.equal(r.status, LuaStatus.ERRRUN, name);
    assert.ok(r.err.includes(MESSAGE.instructions), `${name}: ${r.err}`);
    assert.equal(S.usage().exceeded, 'instructions', name);
    assert.equal(exec(S, 'print(1 + 1)').out, '2\n', `after ${name}`);
  }
});

test('the pattern bomb stops under a time limit, and under an instruction limit', async () => {
  const S = (await newLua()).newState();
  S.setLimits({ timeMs: 200 });
  let r = exec(S, PATTERN_BOMB);
  assert.equal(r.status, LuaStatus.ERRRUN);
  assert.match(r.err, /time limit exceeded/);
  assert.match(r.err, /string\.find/, 'raised inside string.find');
  assert.equal(S.usage().exceeded, 'time');
  S.setLimits({ instructions: 1e6 });
  r = exec(S, PATTERN_BOMB);
  assert.match(r.err, /instruction limit exceeded/);
  assert.equal(exec(S, "print(string.find('aab', 'a*b'))").out, '1\t3\n');
});

test('a 32 MiB memory limit holds within 10%: the peak stays at or below it, and reaches 90% of it', async () => {
  const lua = await newLua(); // memory may grow: only the limit stops the table
  const S = lua.newState();
  const limit = 32 * MiB;
  S.setLimits({ memory: limit });
  const r = exec(S, GROW);
  assert.equal(r.status, LuaStatus.ERRRUN);
  assert.ok(r.err.includes(MESSAGE.memory), r.err);
  const used = S.usage();
  assert.equal(used.exceeded, 'memory');
  assert.ok(used.peakMemory <= limit, `peak ${used.peakMemory} > limit ${limit}`);
  assert.ok(used.peakMemory >= 0.9 * limit, `peak ${used.peakMemory} < 90% of ${limit}`);
  assert.ok(lua.memoryBytes > limit, 'the module did grow its memory past the limit: the limit stopped Lua');
  // The table is garbage now: the same state can fill its limit again.
  assert.equal(exec(S, 'collectgarbage() print(collectgarbage("count") * 1024 < 1048576)').out, 'true\n');
  assert.ok(exec(S, GROW).err.includes(MESSAGE.memory));
  assert.equal(exec(S, 'print("ok")').out, 'ok\n');
});

test('usage(): instructions, memory, peak and elapsed time of the last chunk, and which limit it exceeded', async () => {
  const S = (await newLua()).newState();
  exec(S, 'local x = 0 for i = 1, 100000 do x = x + i end');
  let used = S.usage();
  assert.deepEqual(Object.keys(used), ['instructions', 'memory', 'peakMemory', 'elapsedMs', 'exceeded']);
  assert.ok(used.instructions >= 100000, `instructions ${used.instructions}`);
  assert.ok(used.memory > 0 && used.peakMemory >= used.memory, JSON.stringify(used));
  assert.ok(used.elapsedMs >= 0 && Number.isFinite(used.elapsedMs));
  assert.equal(used.exceeded, null);

  exec(S, 'local s = {} for i = 1, 10000 do s[i] = i end');
  const bigger = S.usage().peakMemory;
  exec(S, 'local x = 1');
  used = S.usage();
  assert.ok(used.instructions > 0 && used.instructions < 1000, `a tiny chunk: ${used.instructions} instructions`);
  assert.ok(used.peakMemory < bigger, 'the peak starts again with each chunk');

  S.setLimits({ instructions: 50000 });
  exec(S, SPIN);
  used = S.usage();
  assert.equal(used.exceeded, 'instructions');
  assert.ok(used.instructions >= 50000, `instructions ${used.instructions}`);
  exec(S, 'x = 1');
  assert.equal(S.usage().exceeded, null);
});

test('a script reads its limits with limits.get() and its usage with limits.usage()', async () => {
  const S = (await newLua()).newState();
  assert.equal(exec(S, 'print(next(limits.get()))').out, 'nil\n', 'no limits: an empty table');
  S.setLimits({ memory: 64 * MiB, instructions: 1e7, timeMs: 2500 });
  assert.equal(exec(S, 'local l = limits.get() print(l.memory, l.instructions, l.time)').out,
    '67108864\t10000000\t2.5\n');
  S.setLimits({ instructions: 1e7 });
  assert.equal(exec(S, 'local l = limits.get() print(l.memory, l.instructions, l.time)').out,
    'nil\t10000000\tnil\n', 'setLimits replaces all three; the unset ones are absent');
  S.setLimits({ memory: null, instructions: undefined, timeMs: Infinity });
  assert.equal(exec(S, 'print(next(limits.get()))').out, 'nil\n', 'null, undefined and Infinity are no limit');

  const r = exec(S, `local x = 0 for i = 1, 100000 do x = x + i end
    local u = limits.usage()
    print(math.type(u.instructions), u.instructions >= 100000, math.type(u.memory), u.memory > 0,
      u.peak_memory >= u.memory, math.type(u.elapsed), u.elapsed >= 0)`);
  assert.equal(r.out, 'integer\ttrue\tinteger\ttrue\ttrue\tfloat\ttrue\n', r.err);
});

test('setLimits refuses values that are not positive numbers; a closed state refuses both methods', async () => {
  const S = (await newLua()).newState();
  for (const bad of [-1, NaN, 0, '5', 5n, {}]) {
    for (const name of ['memory', 'instructions', 'timeMs']) {
      assert.throws(() => S.setLimits({ [name]: bad }), TypeError, `${name}: ${String(bad)}`);
    }
  }
  S.setLimits({ instructions: 1000 });
  assert.throws(() => S.setLimits({ memory: -5, instructions: 1e9 }), TypeError);
  assert.ok(exec(S, SPIN).err.includes(MESSAGE.instructions), 'a refused setLimits changed nothing');
  S.close();
  assert.throws(() => S.setLimits({}), /state is closed/);
  assert.throws(() => S.usage(), /state is closed/);
});

test('the exports: lp_set_limits and lp_state_sandbox answer 1 for no state; lp_usage writes nothing for it', async () => {
  const lua = await newLua();
  const x = lua.exports;
  assert.equal(x.lp_set_limits(0, 1e6, 1e6, 1e3), 1);
  assert.equal(x.lp_state_sandbox(0), 1);
  const ptr = x.lp_alloc(40);
  new Uint8Array(x.memory.buffer, ptr, 40).fill(0xab);
  x.lp_usage(0, ptr);
  assert.ok(new Uint8Array(x.memory.buffer, ptr, 40).every((b) => b === 0xab));
  // The layout: five little-endian f64.
  const S = lua.newState();
  S.setLimits({ instructions: 1000 });
  S.exec(SPIN);
  x.lp_usage(S.L, ptr);
  const view = new DataView(x.memory.buffer, ptr, 40);
  const fields = [0, 1, 2, 3, 4].map((i) => view.getFloat64(8 * i, true));
  assert.ok(fields[0] >= 1000 && fields[1] > 0 && fields[2] >= fields[1] && fields[3] >= 0, String(fields));
  assert.equal(fields[4], 2, 'exceeded: 2 is the instruction limit');
  x.lp_free(ptr, 40);
});

// ------------------------------------------------------------------ compute

test('each limit trips through compute: an error result, and the next compute works with the globals', async () => {
  const lua = await newLua();
  const x = lua.exports;
  assert.deepEqual(lua.usage(), { instructions: 0, memory: 0, peakMemory: 0, elapsedMs: 0, exceeded: null },
    'before init: zeros, and no init');
  assert.equal(x.lp_compute_state(), 0);
  lua.setLimits({ instructions: 1e6 }); // calls init
  assert.notEqual(x.lp_compute_state(), 0);
  assert.equal(integer(compute(x, 'kept = 41 return kept')), 41);
  const cases = [
    ['instructions', { instructions: 1e6 }, PCALL_SPIN],
    ['time', { timeMs: 200 }, PCALL_SPIN],
    ['time', { timeMs: 200 }, PATTERN_BOMB],
    ['memory', { memory: 32 * MiB }, GROW],
  ];
  for (const [kind, limits, code] of cases) {
    lua.setLimits(limits);
    const r = compute(x, code);
    assert.ok(r.error?.includes(MESSAGE[kind]), `${kind}: ${JSON.stringify(r)}`);
    assert.equal(lua.usage().exceeded, kind);
    assert.equal(integer(compute(x, 'return kept + 1')), 42, `after ${kind}`);
    assert.equal(lua.usage().exceeded, null);
  }
  assert.equal(integer(compute(x, 'local l = limits.get() return l.memory')), 32 * MiB, 'compute sees its limits');
  assert.equal(integer(compute(x, 'local x = 0 for i = 1, 1000 do x = x + i end return limits.usage().instructions > 1000 and 1 or 0')), 1);
});

test('compute in a cu host (no memory growth): the memory limit holds inside the fixed heap', () => {
  const env = {
    js_time_now: () => Date.now(), js_ext_table_set: () => 0, js_ext_table_get: () => -1, js_ext_table_size: () => 0,
  };
  const x = new WebAssembly.Instance(wasmModule, { env }).exports;
  assert.equal(x.init(), 0);
  const pages = x.memory.buffer.byteLength;
  assert.equal(x.lp_set_limits(x.lp_compute_state(), 200 * 1024, 0, 0), 0);
  const fill = 'local t = {} for i = 1, 1e6 do t[i] = tostring(i) end';
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(compute(x, fill), { error: MESSAGE.memory }, 'the limit, not "not enough memory"');
    assert.equal(integer(compute(x, 'return 7')), 7);
  }
  assert.equal(x.memory.buffer.byteLength, pages, 'no growth');
  assert.equal(x.lp_set_limits(x.lp_compute_state(), 0, 0, 0), 0, 'no limit again');
  assert.deepEqual(compute(x, fill), { error: 'not enough memory' }, 'the fixed heap ends it without a limit');
});

test("the time limit reads cu's clock import, js_time_now", () => {
  let now = 1.7e12;
  const env = {
    js_time_now: () => (now += 60_000), // a minute passes with every reading
    js_ext_table_set: () => 0, js_ext_table_get: () => -1, js_ext_table_size: () => 0,
  };
  const x = new WebAssembly.Instance(wasmModule, { env }).exports;
  assert.equal(x.init(), 0);
  assert.equal(x.lp_set_limits(x.lp_compute_state(), 0, 0, 3_600_000), 0); // an hour
  assert.equal(integer(compute(x, 'return 1')), 1, 'a short chunk reads the clock only a few times');
  assert.deepEqual(compute(x, SPIN), { error: 'input:1: time limit exceeded' });
});

test('lp_usage called from inside an import describes the running chunk', () => {
  let x;
  let ptr;
  const seen = [];
  const env = {
    js_time_now: () => Date.now(), js_ext_table_set: () => 0, js_ext_table_size: () => 0,
    js_ext_table_get: (id) => {
      if (id === 0) return -1; // the module's output point at the chunk's end
      x.lp_usage(x.lp_compute_state(), ptr); // a block allocated before the call
      const view = new DataView(x.memory.buffer, ptr, 40);
      seen.push([0, 1, 2, 3, 4].map((i) => view.getFloat64(8 * i, true)));
      return -1;
    },
  };
  x = new WebAssembly.Instance(wasmModule, { env }).exports;
  assert.equal(x.init(), 0);
  ptr = x.lp_alloc(40);
  const r = compute(x, 'local x = 0 for i = 1, 100000 do x = x + i end local a = _home.a local b = _home.b return 5');
  assert.equal(integer(r), 5, 'the instance was not disturbed');
  assert.equal(seen.length, 2);
  assert.ok(seen[0][0] >= 100000 && seen[1][0] > seen[0][0], `instructions so far: ${seen.map((u) => u[0])}`);
  assert.ok(seen[0][1] > 0 && seen[0][4] === 0);
  assert.equal(integer(compute(x, 'return 6')), 6);
  x.lp_free(ptr, 40);
});

// ------------------------------------------------------------------ node wasm/run.mjs

test('node wasm/run.mjs: each limit ends the run with exit code 1 and the message on stderr', () => {
  const script = join(tmp, 'bomb.lua');
  writeFileSync(script, `print('started', ...)\n${PATTERN_BOMB}\n`);
  const cases = [
    ['instructions', ['--max-instructions', '1000000', '-e', PCALL_SPIN]],
    ['time', ['--max-time', '0.2', '-e', PCALL_SPIN]],
    ['time', ['--max-time', '0.2', script, 'arg1']],
    ['memory', ['--max-memory', '32M', '-e', GROW]],
  ];
  for (const [kind, args] of cases) {
    const r = run(args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.startsWith('lua-persist: '), r.stderr);
    assert.ok(r.stderr.includes(MESSAGE[kind]), `${kind}: ${r.stderr}`);
  }
  assert.equal(run(['--max-time', '0.2', script, 'arg1']).stdout, 'started\targ1\n', 'the script after the options ran');
  const all = run(['--max-memory', '64M', '--max-instructions', '10000000', '--max-time', '2.5', '-e',
    'local l = limits.get() print(l.memory, l.instructions, l.time)']);
  assert.deepEqual(all, { code: 0, stdout: '67108864\t10000000\t2.5\n', stderr: '' });
  const bad = run(['--max-time', 'x', '-e', 'print(1)']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^lua-persist: '--max-time' needs a positive number of seconds, not 'x'\nusage: /);
});

// ------------------------------------------------------------------ sandbox mode

const REFUSED = ['os.execute', 'io.popen', 'os.remove', 'os.rename', 'os.exit', 'os.getenv', 'package.loadlib',
  'dofile', 'loadfile', 'os.tmpname', 'os.setlocale', 'io.open', 'io.lines', 'io.tmpfile', 'package.searchpath'];

/** Lua that calls each refused function under pcall and prints what it got. */
const CALL_REFUSED = `for _, name in ipairs{${REFUSED.map((n) => `'${n}'`).join(', ')}} do
  print(name, pcall(load('return ' .. name)(), 'a', 'b'))
end`;
const REFUSALS = REFUSED.map((name) => `${name}\tfalse\t${name} is not available in sandbox mode\n`).join('');

/** A binary chunk that traps outside sandbox mode (cu-trap.test.mjs): LOADK becomes LOADKX
 * with the largest constant index, far outside memory. */
const CRAFTED = `local s = string.dump(function() local x = 'k' return x end)
local at = assert(s:find('\\3\\0\\0\\0', 1, true), 'no LOADK R0 K0')
return s:sub(1, at - 1) .. string.pack('<I4I4', 4, 82 | 0x1FFFFFF << 7) .. s:sub(at + 8)`;

const CHECK_SANDBOX = `${CALL_REFUSED}
print('io.input', pcall(io.input, 'file.txt'))
print('io.output', pcall(io.output, 'file.txt'))
print('debug', debug.getinfo, debug.sethook, debug.getlocal, type(debug.traceback('here')))
print('traceback', (debug.traceback('here'):gsub('\\n.*', '')))
print('binary', load(string.dump(function() end)))
print('binary b', load(string.dump(function() return 1 end), 'x', 'b'))
local crafted = (function() ${CRAFTED} end)()
print('crafted', load(crafted, '=crafted', 'b'))
print('reader', load(function() local s = crafted crafted = nil return s end))
package.preload.greeting = function() return 'hi' end
print('preload', require('greeting'))
print('text', load('return 6 * 7')())
local l = limits.get()
print('limits', l.memory, l.instructions, l.time)
`;
const SANDBOX_OUTPUT = `${REFUSALS}io.input\tfalse\tio.input is not available in sandbox mode
io.output\tfalse\tio.output is not available in sandbox mode
debug\tnil\tnil\tnil\tstring
traceback\there
binary\tnil\tattempt to load a binary chunk (mode is 't')
binary b\tnil\tattempt to load a binary chunk (mode is 't')
crafted\tnil\tattempt to load a binary chunk (mode is 't')
reader\tnil\tattempt to load a binary chunk (mode is 't')
preload\thi\t:preload:
text\t42
limits\t268435456\t1000000000\t10.0
`;

test('sandbox mode through newState({sandbox: true}): no files, processes, environment or binary chunks', async () => {
  const lua = await newLua();
  const S = lua.newState({ sandbox: true });
  const r = exec(S, CHECK_SANDBOX);
  assert.equal(r.err, '');
  assert.equal(r.out, SANDBOX_OUTPUT);
  const required = exec(S, "require('nosuch')");
  assert.equal(required.status, LuaStatus.ERRRUN);
  assert.match(required.err, /module 'nosuch' not found:\n\s*no field package.preload\['nosuch'\]\n(stack|$)/,
    'require looks in package.preload only');
  assert.equal(lua.trapped, null);
  // persist.deserialize makes values, not functions, from a script's bytes (the module's
  // policy is "trust"); what the external tables hold loads as before.
  const persisted = exec(S, "print(pcall(persist.deserialize, persist.serialize(function() end))) " +
    "print(persist.deserialize(persist.serialize({a = 'v'})).a) _home.f = function() return 3 end print(_home.f())");
  assert.equal(persisted.out, "false\tpersist.deserialize: functions are not made from a script's bytes in sandbox mode " +
    '(the state\'s bytecode policy is "trust")\nv\n3\n');
  // The sandbox's defaults can be replaced.
  S.setLimits({ instructions: 1e6 });
  assert.ok(exec(S, PCALL_SPIN).err.includes(MESSAGE.instructions));
  assert.equal(exec(S, 'print(limits.get().memory)').out, 'nil\n');
  // A state without sandbox mode keeps everything.
  const plain = exec(lua.newState(), 'print(debug.getinfo ~= nil, io.open ~= nil, os.getenv ~= nil, next(limits.get()))');
  assert.equal(plain.out, 'true\ttrue\ttrue\tnil\n');
});

test('sandbox mode through node wasm/run.mjs --sandbox', () => {
  const r = run(['--sandbox', '-e', CHECK_SANDBOX]);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, SANDBOX_OUTPUT);
  for (const [name, call] of [['os.execute', "os.execute('ls')"], ['os.exit', 'os.exit(3)'], ['dofile', "dofile('x.lua')"]]) {
    const refused = run(['--sandbox', '-e', call]);
    assert.equal(refused.code, 1, call);
    assert.ok(refused.stderr.startsWith(`lua-persist: ${name} is not available in sandbox mode\n`), refused.stderr);
  }
  const limited = run(['--sandbox', '--max-instructions', '1000000', '-e', PCALL_SPIN]);
  assert.equal(limited.code, 1);
  assert.ok(limited.stderr.includes(MESSAGE.instructions), limited.stderr);
});
