#!/usr/bin/env node
// The race (README, "Benchmarks"): every workload in bench/workloads natively (the
// lua-persist binary), in our module (LuaState.exec) and in wasmoon (Lua 5.4 through
// Emscripten; an npm devDependency of wasm/ used only here). Each time is in-process: in
// the wasm engines os.clock (the wall clock there) around the workload's chunk after
// loading it; natively the process's wall time less an empty process's (best so far); runs
// alternate between the engines (their order rotating) after one untimed pass that lets V8
// optimize, and each wasm time is divided by the native time of the same run. Prints the median ratio over the runs and its spread,
// start-up times, and both modules' sizes raw and gzip.
//   cargo build --release --features cli --bin lua-persist && scripts/build-wasm
//   node bench/race.mjs [--runs N] [--only NAME,NAME]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileModule, LuaModule } from '../wasm/lua-persist.mjs';
import { bestOf, median, numberOption } from './timing.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const nativeBin = `${root}target/release/lua-persist`;
const wasmPath = process.env.LUA_PERSIST_WASM || `${root}target/wasm32-unknown-unknown/release/lua_persist.wasm`;
const wasmoonDir = `${root}wasm/node_modules/wasmoon/dist`;
const option = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = numberOption('--runs', 5);
const only = option('--only')?.split(',');

for (const [path, how] of [[nativeBin, 'cargo build --release --features cli --bin lua-persist'],
  [wasmPath, 'scripts/build-wasm'], [`${wasmoonDir}/index.js`, 'npm ci --prefix wasm']]) {
  if (!existsSync(path)) {
    console.error(`missing ${path}: run \`${how}\` first`);
    process.exit(1);
  }
}
const { LuaFactory } = await import(pathToFileURL(`${wasmoonDir}/index.js`).href);

const ourBytes = readFileSync(wasmPath);
const ourModule = await compileModule(ourBytes);
const factory = new LuaFactory();

// The chunk each wasm engine runs: the workload's source, timed around its call.
const timed = (source, tail) => `local f = assert(load([==[${source}]==], '=workload'))
  local start = os.clock() f() ${tail}`;

let emptyRun = Infinity;
function nativeStartup() {
  const start = performance.now();
  spawnSync(nativeBin, ['--store', ':memory:', '-e', '']);
  emptyRun = Math.min(emptyRun, performance.now() - start);
  return emptyRun;
}

const engines = {
  // Wall time of the process less that of an empty one (measured in the same run), as
  // the wasm engines' os.clock is the wall clock: native os.clock is CPU time, which a
  // loaded machine would not slow down as it slows down the others.
  native(_name, file) {
    const start = performance.now();
    const r = spawnSync(nativeBin, ['--store', ':memory:', file], { encoding: 'utf8' });
    const ms = performance.now() - start;
    if (r.status !== 0) throw new Error(`native ${file}: ${r.stderr}`);
    return Math.max(ms - nativeStartup(), 0.001);
  },
  async ours(_name, file) {
    const lua = await LuaModule.instantiate(ourModule);
    const r = lua.newState().exec(timed(readFileSync(file, 'latin1'), "io.write('\\nelapsed ', string.format('%.6f', os.clock() - start))"));
    const out = new TextDecoder().decode(r.stdout);
    const m = /elapsed ([0-9.]+)$/.exec(out);
    if (r.status !== 0 || !m) throw new Error(`ours ${file}: ${new TextDecoder().decode(r.stderr)}`);
    return Number(m[1]) * 1000;
  },
  async wasmoon(name, file) {
    if (name === 'serialize') return NaN; // no `persist` there
    const lua = await factory.createEngine();
    try {
      lua.global.set('print', () => {});
      return (await lua.doString(timed(readFileSync(file, 'latin1'), 'return os.clock() - start'))) * 1000;
    } finally {
      lua.global.close();
    }
  },
};

async function startup() {
  const best = (f) => bestOf(RUNS, f);
  return {
    native: await best(() => spawnSync(nativeBin, ['--store', ':memory:', '-e', ''])),
    ours: await best(async () => (await LuaModule.instantiate(ourModule)).newState().exec('')),
    wasmoon: await best(async () => (await factory.createEngine()).global.close()),
  };
}

const dir = `${root}bench/workloads`;
const workloads = readdirSync(dir).filter((f) => f.endsWith('.lua')).map((f) => f.slice(0, -4))
  .filter((name) => !only || only.includes(name)).sort();
const order = ['native', 'ours', 'wasmoon'];
const times = Object.fromEntries(workloads.map((w) => [w, { native: [], ours: [], wasmoon: [] }]));
// One untimed pass first: V8 optimizes a wasm function only after it has run a while, and a
// call already running keeps its code, so each engine's first run of a long chunk would be
// baseline (Liftoff) code throughout (README, Benchmarks, "Liftoff and TurboFan").
for (const name of workloads) {
  for (const engine of ['ours', 'wasmoon']) await engines[engine](name, `${dir}/${name}.lua`);
}
for (let run = 0; run < RUNS; run++) {
  for (const name of workloads) {
    for (let k = 0; k < order.length; k++) {
      const engine = order[(k + run) % order.length];
      times[name][engine].push(await engines[engine](name, `${dir}/${name}.lua`));
    }
  }
}

const fmt = (x, d = 2) => (Number.isNaN(x) ? 'n/a' : x.toFixed(d));
const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
const wasmoonBytes = readFileSync(`${wasmoonDir}/glue.wasm`);
console.log('module sizes');
console.log(`  ours     raw ${kb(ourBytes.length)}  gzip -9 ${kb(gzipSync(ourBytes, { level: 9 }).length)}  (budget 300 KB)`);
console.log(`  wasmoon  raw ${kb(wasmoonBytes.length)}  gzip -9 ${kb(gzipSync(wasmoonBytes, { level: 9 }).length)}  (glue.wasm, without its JS)`);

console.log(`\nworkloads: in-process time / native time of the same run (median of ${RUNS} runs, [min..max])`);
console.log('  workload     native ms        ours               wasmoon            ours ahead');
let allAhead = true;
let worst = 0;
for (const name of workloads) {
  const t = times[name];
  const ratios = (engine) => t[engine].map((x, i) => x / t.native[i]);
  const [o, w] = [ratios('ours'), ratios('wasmoon')];
  const spread = (rs) => (rs.some(Number.isNaN) ? '' : `[${fmt(Math.min(...rs))}..${fmt(Math.max(...rs))}]`);
  const ahead = Number.isNaN(median(w)) ? '-' : median(o) < median(w) ? 'yes' : 'no';
  if (ahead === 'no') allAhead = false;
  worst = Math.max(worst, median(o));
  console.log(`  ${name.padEnd(12)} ${fmt(median(t.native), 1).padStart(9)}   ${fmt(median(o)).padStart(5)} ${spread(o).padEnd(12)} ${fmt(median(w)).padStart(5)} ${spread(w).padEnd(12)} ${ahead}`);
}
console.log(`  ours: worst ratio ${fmt(worst)} (goal <= 2.00); ahead of wasmoon on every workload: ${allAhead ? 'yes' : 'no'}`);

const s = await startup();
console.log(`\nstart-up (best of ${RUNS}): native process ${fmt(s.native, 1)} ms, ours (instantiate + state) ${fmt(s.ours, 1)} ms, wasmoon (createEngine) ${fmt(s.wasmoon, 1)} ms`);
