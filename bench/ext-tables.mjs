#!/usr/bin/env node
// External-table benchmarks of the wasm module (README, "Benchmarks"): `_home` set and get
// operations per second against a plain Lua table in the same state, and the time to
// instantiate the module and `init` it (cu's interface) against compiling it.
//   node bench/ext-tables.mjs [--runs N]
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { LuaModule, MemoryStore, storeImports } from '../wasm/lua-persist.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const wasmPath = process.env.LUA_PERSIST_WASM || `${root}target/wasm32-unknown-unknown/release/lua_persist.wasm`;
const runsIndex = process.argv.indexOf('--runs');
const RUNS = runsIndex > 0 ? Number(process.argv[runsIndex + 1]) : 5;
const bytes = readFileSync(wasmPath);
const module = await WebAssembly.compile(bytes);

const best = (f) => Math.min(...Array.from({ length: RUNS }, f));

// 1. set/get through _home (MemoryStore in JS) against a plain table, ops per second.
const N = 20000;
const lua = await LuaModule.instantiate(module, { store: new MemoryStore() });
const S = lua.newState();
function timeChunk(chunk) {
  return best(() => {
    const start = performance.now();
    const r = S.exec(chunk);
    if (r.status !== 0) throw new Error(new TextDecoder().decode(r.stderr));
    return performance.now() - start;
  });
}
const rows = [
  ['set', `for i = 1, ${N} do _home['k' .. (i % 1000)] = i end`, `local t = {} for i = 1, ${N} do t['k' .. (i % 1000)] = i end`],
  ['get', `local s = 0 for i = 1, ${N} do s = s + (_home['k' .. (i % 1000)] or 0) end`, `local t = {} for i = 1, 1000 do t['k' .. i] = i end local s = 0 for i = 1, ${N} do s = s + (t['k' .. (i % 1000)] or 0) end`],
];
console.log(`_home operations (best of ${RUNS}; ${N} per run)`);
console.log('  op     _home ops/s   plain table ops/s   ratio (plain / _home)');
for (const [name, ext, plain] of rows) {
  const e = timeChunk(ext);
  const p = timeChunk(plain);
  const opsE = N / (e / 1000);
  const opsP = N / (p / 1000);
  console.log(`  ${name.padEnd(5)} ${opsE.toFixed(0).padStart(12)} ${opsP.toFixed(0).padStart(19)} ${(opsP / opsE).toFixed(1).padStart(10)}`);
}

// 2. Instantiate + init (cu's hosts do both on every page load); compile shown for scale.
const compileMs = best(() => {
  const start = performance.now();
  new WebAssembly.Module(bytes);
  return performance.now() - start;
});
const times = [];
for (let i = 0; i < RUNS; i++) {
  let memory;
  const env = { ...storeImports(new MemoryStore(), () => memory), js_time_now: () => Date.now() };
  const start = performance.now();
  const instance = await WebAssembly.instantiate(module, { env });
  memory = instance.exports.memory;
  if (instance.exports.init() !== 0) throw new Error('init failed');
  times.push(performance.now() - start);
}
console.log(`\ninstantiate + init: ${Math.min(...times).toFixed(2)} ms (goal <= 10 ms; a popular Emscripten Lua 5.4 build needs about 20 ms); new WebAssembly.Module (V8 compiles functions lazily, on first call): ${compileMs.toFixed(2)} ms`);
