// lua-persist as a library in another crate's wasm module (tests/downstream-wasm, built by
// tests/downstream-wasm/build): without the feature wasm-module the module imports nothing,
// exports only the crate's own function, and runs Lua, its errors included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const wasmPath = process.env.LUA_PERSIST_DOWNSTREAM_WASM ||
  resolve(repoRoot, process.env.CARGO_TARGET_DIR || 'target',
    'downstream-wasm/wasm32-unknown-unknown/release/downstream_wasm.wasm');
if (!existsSync(wasmPath)) {
  throw new Error(`${wasmPath} is missing: build it with tests/downstream-wasm/build ` +
    '(the README test command does).');
}
const module = new WebAssembly.Module(readFileSync(wasmPath));

test('the module imports nothing', () => {
  assert.deepEqual(WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`), []);
});

test("the module exports the crate's function and memory, and what Rust adds", () => {
  const exports = WebAssembly.Module.exports(module).map((e) => `${e.kind} ${e.name}`).sort();
  assert.deepEqual(exports, [
    'function downstream_run', // the crate's own
    // rustc exports these two from every wasm32-unknown-unknown cdylib.
    'global __data_end',
    'global __heap_base',
    // The addresses of the tables through which lua-persist's C calls its Rust half: the
    // libc's (wasm/libc/runtime.h) and the limits' checkpoints' (src/lua_user/lua_user.h):
    // rustc exports every #[no_mangle] item of every crate from a cdylib
    // (rust-lang/rust#73958), and C can reach Rust only by a symbol's name.
    'global __lp_limits',
    'global __lp_runtime',
    'memory memory',
  ]);
});

// An empty imports object: nothing to provide. (Made at the first call, so that a module
// that does import something fails the import test above first.)
let exports;
const run = (chunk) => {
  exports ??= new WebAssembly.Instance(module, {}).exports;
  return exports.downstream_run(chunk);
};

test('a chunk returns 6 * 7', () => {
  assert.equal(run(0), 42);
});

test('errors raised in the chunk are caught by its pcall (setjmp/longjmp)', () => {
  assert.equal(run(1), 7);
});

test('an error the chunk does not catch fails luaL_dostring, and Lua runs on', () => {
  assert.equal(run(2), -1);
  assert.equal(run(0), 42);
});

test('numbers go through the libc as natively (strtod, printf)', () => {
  assert.equal(run(3), 1024);
});

test('without a host clock os.time() is the epoch and os.clock() stays 0', () => {
  assert.equal(run(4), 1);
});

test('memory grows as Lua needs it', () => {
  run(0);
  const before = exports.memory.buffer.byteLength;
  assert.equal(run(5), 16);
  const after = exports.memory.buffer.byteLength;
  assert.ok(after >= before + (16 << 20), `memory grew from ${before} to ${after} bytes`);
});

test('print goes to the captured stdout, which the crate reads', () => {
  assert.equal(run(6), 6);
  assert.equal(run(99), -3, 'an unknown chunk');
});
