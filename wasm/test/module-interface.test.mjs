// The module's interface is exactly what wasm/exports.txt lists, and it imports only cu's four
// `env` functions (docs/cu-interface.md, "Imports").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { wasmModule, repoRoot } from './helpers.mjs';

test('the export list matches wasm/exports.txt', () => {
  const expected = readFileSync(`${repoRoot}wasm/exports.txt`, 'utf8').trim().split('\n');
  const actual = WebAssembly.Module.exports(wasmModule).map((e) => `${e.kind} ${e.name}`).sort();
  assert.deepEqual(actual, expected);
});

test("the module imports cu's external-table functions and clock, nothing else", () => {
  const imports = WebAssembly.Module.imports(wasmModule).map((i) => `${i.module}.${i.name}:${i.kind}`).sort();
  assert.deepEqual(imports, ['env.js_ext_table_get:function', 'env.js_ext_table_set:function',
    'env.js_ext_table_size:function', 'env.js_time_now:function']);
});

test('size_t is 4 bytes on wasm32, as string.pack\'s T shows', async () => {
  const { newLua, text } = await import('./helpers.mjs');
  const S = (await newLua()).newState();
  assert.equal(text(S.exec(`print(string.packsize('T'), string.packsize('j'))`).stdout), '4\t8\n');
});

test('bad input to the exports is an error result, not a trap', async () => {
  const { newLua, text } = await import('./helpers.mjs');
  const lua = await newLua();
  const x = lua.exports;
  assert.equal(x.lp_exec(0, 0, 0, 0, 0), 2);
  assert.equal(text(lua.takeOutput(2)), 'lua-persist: lp_exec: no state (null)\n');
  x.lp_state_close(0);
  x.lp_set_memory_limit(0, 10);
  assert.equal(x.lp_memory_used(0), 0);
  assert.equal(x.lp_alloc(0xffffffff), 0, 'an impossible allocation returns 0');
  assert.equal(x.lp_output_len(7), 0);
  assert.equal(x.lp_output_ptr(7), 0);
  const S = lua.newState();
  assert.equal(S.exec('print(1)', '').status, 0, 'an empty chunk name is accepted');
  assert.equal(text(S.exec('return', 'a\0b').stderr), '', 'a chunk name with NUL falls back to "=?"');
});

test('os.time is the real time (cu wraps it), os.clock advances', async () => {
  const { newLua, text } = await import('./helpers.mjs');
  const S = (await newLua()).newState();
  const now = Math.floor(Date.now() / 1000);
  const [t, advanced] = text(S.exec(`local c = os.clock() local x = 0 for i = 1, 3e6 do x = x + i end print(os.time(), os.clock() > c)`).stdout).trim().split('\t');
  assert.ok(Math.abs(Number(t) - now) <= 2, `os.time() = ${t}, now ${now}`);
  assert.equal(advanced, 'true');
});
