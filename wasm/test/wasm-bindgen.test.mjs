// lua-persist inside a wasm-bindgen app (examples/wasm-bindgen, built by its `build` script
// with the wasm-bindgen CLI for Node): Rust functions exported to JavaScript run a Lua chunk
// and persist a closure; wasm-bindgen processes the module's exception-handling instructions
// (Lua's errors) and its glue runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const glue = resolve(repoRoot, process.env.CARGO_TARGET_DIR || 'target',
  'wasm-bindgen-example/pkg/lua_persist_wasm_bindgen_example.js');
if (!existsSync(glue)) {
  throw new Error(`${glue} is missing: build it with examples/wasm-bindgen/build (the README test command does).`);
}
const app = createRequire(import.meta.url)(glue);

test('a Rust function exported with wasm-bindgen runs a Lua chunk and returns its result', () => {
  assert.equal(app.run_lua('return 6 * 7'), 42);
  assert.equal(app.run_lua("return ('%5.2f'):format(math.pi) .. _VERSION"), ' 3.14Lua 5.4');
  assert.equal(app.run_lua('return nil'), null);
  assert.equal(app.run_lua('return {}'), 'table');
});

test("a Lua error comes back as a JavaScript Error with Lua's message, and the app goes on", () => {
  assert.throws(() => app.run_lua('local t = nil return t.x'), /run_lua:1: attempt to index a nil value \(local 't'\)/);
  assert.throws(() => app.run_lua('x = = 1'), /run_lua:1: unexpected symbol near '='/);
  assert.throws(() => app.run_lua('error({})'), /error object is not a string/);
  // A deep pcall/error chain: every Lua error is a wasm exception the glue must let through.
  assert.equal(app.run_lua('local n = 0 for i = 1, 1000 do if not pcall(error, i) then n = n + 1 end end return n'), 1000);
  assert.equal(app.run_lua('return 1 + 1'), 2);
});

test('a closure persisted by one call and restored by the next keeps its upvalue', () => {
  let counter = app.new_counter(10);
  assert.ok(counter instanceof Uint8Array && counter.length > 0);
  const values = [];
  for (let i = 0; i < 3; i++) {
    const step = app.count(counter);
    values.push(step.value);
    counter = step.counter;
  }
  assert.deepEqual(values, [11, 12, 13]);
  // Bytes that are not a persisted value: an Error naming the problem, not a crash.
  const bad = counter.slice(0, 5);
  assert.throws(() => app.count(bad), /truncated|unexpected end|too short/i);
  assert.throws(() => app.count(new Uint8Array([0xEE])), /unknown/i);
  assert.equal(app.count(counter).value, 14, 'the app goes on after bad input');
});
