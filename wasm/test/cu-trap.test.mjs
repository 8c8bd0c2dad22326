// A WebAssembly trap ends a call at once: no Lua error handler, destructor or epilogue runs,
// yet the instance stays callable. Its Lua state may be mid-GC or mid-allocation, and Lua's
// C-call count and the shadow stack pointer are never unwound: before, every trap took one
// level of C calls for good (pcall nested 198 deep in a fresh instance, 6 after 192 traps),
// and after about 195 traps chunks failed with "C stack overflow". Now every export that
// runs Lua notices on entry that an earlier call never returned, and answers every later
// call with one error result saying so; the host must create a new instance.
//
// The trap here is real: crafted bytecode (LOADKX with the largest constant index, 2^25 - 1)
// reads 512 MiB past the constants, outside memory. Lua does not verify binary chunks, and
// `load` accepts them (mode "b").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wasmModule, text } from './helpers.mjs';
import { LuaModule, LuaStatus } from '../lua-persist.mjs';

const utf8 = new TextEncoder();

/** A chunk that traps: LOADK R0 K0 + RETURN1 of a dumped function become LOADKX + EXTRAARG. */
const TRAP = `local s = string.dump(function() local x = 'k' return x end)
local at = assert(s:find('\\3\\0\\0\\0', 1, true), 'no LOADK R0 K0')
assert(string.unpack('<I4', s, at + 4) == 72 | 2 << 16, 'no RETURN1 R0 after it')
return load(s:sub(1, at - 1) .. string.pack('<I4I4', 4, 82 | 0x1FFFFFF << 7) .. s:sub(at + 8), '=crafted', 'b')()`;

const TRAPPED = 'lua-persist: this instance trapped in an earlier call, which never returned ' +
  '(its Lua state may be mid-GC or mid-allocation and cannot be trusted): create a new instance';

/** A host written for cu: its own imports, a fresh view of memory after each call. */
function cuHost(hooks = {}) {
  let memory;
  const env = {
    js_time_now: () => Date.now(),
    js_ext_table_set: () => 0,
    js_ext_table_get: (...args) => hooks.get?.(...args) ?? -1,
    js_ext_table_size: () => 0,
  };
  const x = new WebAssembly.Instance(wasmModule, { env }).exports;
  memory = x.memory;
  assert.equal(x.init(), 0);
  const compute = (code) => {
    const bytes = utf8.encode(code);
    new Uint8Array(memory.buffer, x.get_buffer_ptr(), bytes.length).set(bytes);
    const rc = x.compute(x.get_buffer_ptr(), bytes.length);
    const buf = new Uint8Array(memory.buffer, x.get_buffer_ptr(), 65536);
    if (rc < 0) return { rc, error: text(buf.slice(0, -rc - 1)), terminator: buf[-rc - 1] };
    return { rc, value: [...buf.slice(4 + new DataView(buf.buffer, buf.byteOffset).getUint32(0, true), rc)] };
  };
  return { x, compute };
}

test('after a trap, every compute returns one error result: the instance trapped in an earlier call', () => {
  const host = cuHost();
  assert.deepEqual(host.compute('return 1 + 1').value, [0x02, 2, 0, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => host.compute(TRAP), WebAssembly.RuntimeError, 'the crafted chunk traps');
  const expected = { rc: -(utf8.encode(TRAPPED).length + 1), error: TRAPPED, terminator: 0 };
  for (let i = 0; i < 300; i++) {
    for (const code of ['return 1 + 1', `error('x')`, TRAP, '', 'local d = 0 local function f() d = d + 1 pcall(f) end pcall(f) return d']) {
      const r = host.compute(code);
      if (JSON.stringify(r) !== JSON.stringify(expected)) assert.fail(`call ${i}, ${code}: ${JSON.stringify(r)}`);
    }
  }
  // The other exports that run Lua do nothing; init says it failed.
  assert.equal(host.x.init(), -1);
  host.x.run_gc();
  host.x.attach_memory_table(9);
  host.x.clear_io_table();
  host.x.sync_external_table_counter(50);
  assert.equal(host.x.get_memory_table_id(), 1);
  assert.deepEqual(host.compute('return 1'), expected);
  // A fresh instance works.
  assert.deepEqual(cuHost().compute('return 6 * 7').value, [0x02, 42, 0, 0, 0, 0, 0, 0, 0]);
});

test('an exception from an import is no trap (its wrapper catches it); a trap with finalizers pending is', () => {
  let trapping = false;
  const host = cuHost({ get: () => { if (trapping) throw new WebAssembly.RuntimeError('unreachable'); } });
  trapping = true;
  // The import's catch_all wrapper turns a JavaScript exception into a store failure...
  assert.match(host.compute('return _home.x').error, /host store failed/);
  trapping = false;
  assert.deepEqual(host.compute('return 1').value, [0x02, 1, 0, 0, 0, 0, 0, 0, 0], '...so that is no trap');
  assert.throws(() => host.compute(`local t = setmetatable({}, {__gc = function() end}) ${TRAP}`), WebAssembly.RuntimeError);
  assert.equal(host.compute('return 1').error, TRAPPED);
});

test('an export that runs Lua, called from inside an import while a call runs, is refused', () => {
  let x;
  let inner;
  const host = cuHost({ get: () => {
    const bytes = utf8.encode('return 1');
    new Uint8Array(x.memory.buffer, x.get_buffer_ptr(), bytes.length).set(bytes);
    inner = x.compute(x.get_buffer_ptr(), bytes.length);
    return -1;
  } });
  x = host.x;
  // The outer call's state is mid-flight: running another chunk on it would corrupt it.
  const r = host.compute('return _home.x');
  assert.equal(inner, -(utf8.encode(TRAPPED).length + 1));
  assert.deepEqual(r.value, [0x00], 'the outer call completes');
  assert.equal(host.compute('return 1').error, TRAPPED, 'and the instance is not trusted any more');
});

test('our host: after a trap every call throws "trapped in an earlier call"; the lp_* exports answer TRAPPED', async () => {
  const lua = await LuaModule.instantiate(wasmModule);
  const S = lua.newState();
  assert.equal(lua.trapped, null);
  assert.throws(() => S.exec(TRAP), WebAssembly.RuntimeError);
  assert.ok(lua.trapped instanceof WebAssembly.RuntimeError);
  const unusable = (e) => e.message === 'lua-persist: this instance trapped in an earlier call ' +
    '(RuntimeError: memory access out of bounds) and cannot be used any more: instantiate the module again';
  assert.throws(() => S.exec('return 1'), unusable);
  assert.throws(() => lua.newState(), unusable);
  assert.throws(() => lua.main(['lua-persist', '-e', 'print(1)']), unusable);
  assert.throws(() => lua.putFile('a', 'b'), unusable);
  assert.throws(() => lua.takeOutput(1), unusable);
  // The module's own answers, for hosts that call the exports directly.
  const x = lua.exports;
  assert.equal(x.lp_exec(S.L, 0, 0, 0, 0), LuaStatus.TRAPPED);
  assert.equal(x.lp_main(), LuaStatus.TRAPPED);
  assert.equal(x.lp_state_new(), 0);
  assert.equal(x.lp_alloc(16), 0);
  assert.equal(x.lp_file_put(0, 0, 0, 0), -1);
  assert.equal(x.lp_output_len(1), 0);
  assert.equal(text(new Uint8Array(x.memory.buffer, x.lp_output_ptr(2), x.lp_output_len(2))), TRAPPED);
  x.lp_state_close(S.L);
  x.lp_output_clear(2);
  assert.equal(x.lp_output_len(2), utf8.encode(TRAPPED).length);
  // A new instance works.
  const again = (await LuaModule.instantiate(wasmModule)).newState();
  assert.equal(text(again.exec('print(6 * 7)').stdout), '42\n');
});

test('our host notices a trap of a call made through its exports directly', async () => {
  const lua = await LuaModule.instantiate(wasmModule);
  const x = lua.exports;
  assert.equal(x.init(), 0);
  const bytes = utf8.encode(TRAP);
  new Uint8Array(x.memory.buffer, x.get_buffer_ptr(), bytes.length).set(bytes);
  assert.throws(() => x.compute(x.get_buffer_ptr(), bytes.length), WebAssembly.RuntimeError);
  assert.equal(lua.trapped, null, 'the host did not see that call');
  assert.throws(() => lua.newState(), (e) => e.message.includes(TRAPPED));
  assert.ok(lua.trapped);
  assert.throws(() => lua.newState(), /trapped in an earlier call/);
});
