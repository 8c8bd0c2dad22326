#!/usr/bin/env node
// External-table benchmarks of the wasm module (README, "Benchmarks"): `_home` set and get
// operations per second over MemoryStore and FileStore against a plain Lua table in the
// same state, atomic increments per second, many keys into a FileStore, and the time to
// instantiate the module and `init` it (cu's interface) against compiling it.
//   node bench/ext-tables.mjs [--runs N] [--million]
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { LuaModule, MemoryStore, storeImports } from '../wasm/lua-persist.mjs';
import { FileStore } from '../wasm/file-store.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const wasmPath = process.env.LUA_PERSIST_WASM || `${root}target/wasm32-unknown-unknown/release/lua_persist.wasm`;
const runsIndex = process.argv.indexOf('--runs');
const RUNS = runsIndex > 0 ? Number(process.argv[runsIndex + 1]) : 5;
const bytes = readFileSync(wasmPath);
const module = await WebAssembly.compile(bytes);

const best = (f) => Math.min(...Array.from({ length: RUNS }, f));

// 1. _home through the host's HostWrites over MemoryStore and FileStore (one journal record
// and fsync per chunk or block), against a plain table in the same state; every timed chunk
// includes its end, where the writes are stored.
const N = 20000;
const tmp = mkdtempSync(join(tmpdir(), 'lua-persist-bench-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let made = 0;
const stores = [
  ['MemoryStore', () => new MemoryStore()],
  ['FileStore', () => new FileStore(join(tmp, `store${made++}`))],
];
async function stateOver(store) {
  return (await LuaModule.instantiate(module, { store })).newState();
}
function timeChunk(S, chunk, setup = '') {
  return best(() => {
    if (setup) S.exec(setup);
    const start = performance.now();
    const r = S.exec(chunk);
    if (r.status !== 0) throw new Error(new TextDecoder().decode(r.stderr));
    return performance.now() - start;
  });
}
const rows = [
  ['set', `for i = 1, ${N} do _home['k' .. (i % 1000)] = i end`, `local t = {} for i = 1, ${N} do t['k' .. (i % 1000)] = i end`],
  ['get', `local s = 0 for i = 1, ${N} do s = s + (_home['k' .. (i % 1000)] or 0) end`, `local t = {} for i = 1, 1000 do t['k' .. i] = i end local s = 0 for i = 1, ${N} do s = s + (t['k' .. (i % 1000)] or 0) end`],
  // 20,000 keys never written before (a new table each run), with their commit.
  ['20k set', `_home.fresh = {} local t = _home.fresh for i = 1, ${N} do t['n' .. i] = i end`, `local t = {} for i = 1, ${N} do t['n' .. i] = i end`],
];
console.log(`_home operations (best of ${RUNS}; ${N} per run), against a plain Lua table in the same state`);
console.log('  store          op        _home ops/s   plain ops/s   plain/_home');
for (const [storeName, fresh] of stores) {
  const S = await stateOver(fresh());
  for (const [name, ext, plain] of rows) {
    const e = timeChunk(S, ext);
    const p = timeChunk(S, plain);
    const opsE = N / (e / 1000);
    const opsP = N / (p / 1000);
    console.log(`  ${storeName.padEnd(14)} ${name.padEnd(8)} ${opsE.toFixed(0).padStart(12)} ${opsP.toFixed(0).padStart(13)} ${(opsP / opsE).toFixed(1).padStart(13)}`);
  }
}

// Atomic blocks: each block's end stores its writes (FileStore: one journal fsync). One
// process: a FileStore is locked to one.
const BLOCKS = 2000;
console.log(`\next.atomic increments (best of ${RUNS}; ${BLOCKS} blocks per run), one process`);
for (const [storeName, fresh] of stores) {
  const S = await stateOver(fresh());
  const ms = timeChunk(S, `for i = 1, ${BLOCKS} do ext.atomic(function() _home.n = (_home.n or 0) + 1 end) end`);
  console.log(`  ${storeName.padEnd(14)} ${(BLOCKS / (ms / 1000)).toFixed(0).padStart(8)} increments/s`);
}

// Many keys into a fresh FileStore, in chunks of 100,000 (one journal record each).
const bulk = process.argv.includes('--million') ? 1_000_000 : 100_000;
{
  const S = await stateOver(new FileStore(join(tmp, 'bulk')));
  const start = performance.now();
  for (let at = 0; at < bulk; at += 100_000) {
    const r = S.exec(`for i = ${at + 1}, ${at + 100_000} do _home['k' .. i] = i end`);
    if (r.status !== 0) throw new Error(new TextDecoder().decode(r.stderr));
  }
  console.log(`\n${bulk} keys written to a fresh FileStore: ${((performance.now() - start) / 1000).toFixed(1)} s` +
    (bulk < 1_000_000 ? ' (--million for a million)' : ''));
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
