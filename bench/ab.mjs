#!/usr/bin/env node
// Two or more builds of our module against each other, in one process (README, Benchmarks):
// for each workload of bench/workloads, every module runs it once untimed (so that V8 has
// optimized it), then the modules take turns, their order rotating, for --runs rounds. Prints
// each module's shortest and median time and its shortest time relative to the first
// module's. On a noisy machine this tells builds apart better than separate races: each
// round's modules share the machine's state of the moment.
//   node bench/ab.mjs [--runs N] [--only NAME,NAME] A.wasm B.wasm [C.wasm ...]
// e.g. with B built by `LUA_PERSIST_WASM_FAST_VM=ldo.c CARGO_TARGET_DIR=/tmp/b scripts/build-wasm`.
import { readFileSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileModule, LuaModule } from '../wasm/lua-persist.mjs';
import { median, numberOption } from './timing.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = numberOption('--runs', 7);
const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1].split(',') : undefined;
const paths = args.filter((a, i) => a.endsWith('.wasm') && args[i - 1] !== '--only');
if (paths.length < 2) {
  console.error('usage: node bench/ab.mjs [--runs N] [--only NAME,NAME] A.wasm B.wasm [...]');
  process.exit(2);
}
const modules = [];
for (const path of paths) modules.push({ name: basename(path), module: await compileModule(readFileSync(path)) });

// The workload's chunk, timed around its call by os.clock (the wall clock in the module).
const timed = (source) => `local f = assert(load([==[${source}]==], '=workload'))
  local start = os.clock() f() io.write('\\nelapsed ', string.format('%.6f', os.clock() - start))`;

async function run(module, source) {
  const lua = await LuaModule.instantiate(module);
  const r = lua.newState().exec(timed(source));
  const m = /elapsed ([0-9.]+)$/.exec(new TextDecoder().decode(r.stdout));
  if (r.status !== 0 || !m) throw new Error(new TextDecoder().decode(r.stderr));
  return Number(m[1]) * 1000;
}

const dir = `${root}bench/workloads`;
const workloads = readdirSync(dir).filter((f) => f.endsWith('.lua')).map((f) => f.slice(0, -4))
  .filter((name) => !only || only.includes(name)).sort();
console.log(`shortest and median ms of ${RUNS} rounds; (x) = shortest / ${modules[0].name}'s`);
for (const name of workloads) {
  const source = readFileSync(`${dir}/${name}.lua`, 'latin1');
  const times = modules.map(() => []);
  for (const { module } of modules) await run(module, source);
  for (let round = 0; round < RUNS; round++) {
    for (let k = 0; k < modules.length; k++) {
      const i = (k + round) % modules.length;
      times[i].push(await run(modules[i].module, source));
    }
  }
  const base = Math.min(...times[0]);
  const cells = modules.map(({ name: m }, i) =>
    `${m} ${Math.min(...times[i]).toFixed(0)}/${median(times[i]).toFixed(0)} (${(Math.min(...times[i]) / base).toFixed(2)})`);
  console.log(`  ${name.padEnd(11)} ${cells.join('  ')}`);
}
