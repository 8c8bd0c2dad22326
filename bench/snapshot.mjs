#!/usr/bin/env node
// Whole-instance snapshots (README, "Benchmarks"): size and time of LuaModule.snapshot()
// and LuaModule.restore() for an instance holding about 10 MB of Lua data, against
// copying the same memory (the least any snapshot costs) in the same run.
//   node bench/snapshot.mjs [--runs N]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LuaModule, compileModule } from '../wasm/lua-persist.mjs';
import { bestOf, numberOption } from './timing.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const wasmPath = process.env.LUA_PERSIST_WASM || `${root}target/wasm32-unknown-unknown/release/lua_persist.wasm`;
const RUNS = numberOption('--runs', 5);
const module = await compileModule(readFileSync(wasmPath));

const lua = await LuaModule.instantiate(module);
const S = lua.newState();
// About 10 MB: strings, numbers and tables, as a program's data would be.
const r = S.exec(`data = {} for i = 1, 32000 do data[i] = {id = i, name = 'item ' .. i, score = i * 0.5, tags = {'a' .. i % 7, 'b' .. i % 11}} end
  text = {} for i = 1, 1500 do text[i] = string.rep(string.char(65 + i % 26), 1000) end
  co = coroutine.create(function() local n = 0 while true do n = n + 1 coroutine.yield(n) end end) coroutine.resume(co)`);
if (r.status !== 0) throw new Error(new TextDecoder().decode(r.stderr));
const held = S.memoryUsed;

const best = (f) => bestOf(RUNS, f);
let snapshot;
const snapMs = await best(async () => { snapshot = await lua.snapshot(); });
const restoreMs = await best(async () => { await LuaModule.restore(module, snapshot); });
const copyMs = await best(async () => { new Uint8Array(lua.exports.memory.buffer).slice(); });
const { states: [again] } = await LuaModule.restore(module, snapshot);
const check = again.exec('local _, n = coroutine.resume(co) assert(n == 2 and #data == 32000) print("ok")');
if (new TextDecoder().decode(check.stdout) !== 'ok\n') throw new Error('the restored instance is wrong');

const mb = (n) => (n / 1e6).toFixed(1);
console.log(`Lua data held: ${mb(held)} MB; module memory: ${mb(lua.memoryBytes)} MB (best of ${RUNS})`);
console.log(`snapshot: ${mb(snapshot.length)} MB compressed (${(snapshot.length / lua.memoryBytes * 100).toFixed(1)} % of memory), ${snapMs.toFixed(0)} ms`);
console.log(`restore:  ${restoreMs.toFixed(0)} ms (a fresh instance, checked and decompressed)`);
console.log(`copying the memory alone: ${copyMs.toFixed(1)} ms; snapshot / copy ${(snapMs / copyMs).toFixed(0)}x, restore / copy ${(restoreMs / copyMs).toFixed(0)}x`);
