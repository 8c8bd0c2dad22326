#!/usr/bin/env node
// Benchmarks of the foundation (README, "Benchmarks"): wasm module size, and each workload
// in bench/workloads natively and in the wasm module under Node, as wasm/native ratios
// measured in the same run. Times are the best of RUNS runs; the native time excludes the
// process start-up (an empty run is subtracted). Then the cost of the limits: each workload
// in the wasm module with limits set high enough never to trip, against none, as on/off
// ratios measured in the same run.
//   node bench/run.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { compileModule, LuaModule } from '../wasm/lua-persist.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const native = `${root}target/release/lua-persist`;
const wasmPath = process.env.LUA_PERSIST_WASM || `${root}target/wasm32-unknown-unknown/release/lua_persist.wasm`;
const runsIndex = process.argv.indexOf('--runs');
const RUNS = runsIndex > 0 ? Number(process.argv[runsIndex + 1]) : 5;

for (const [path, build] of [[native, 'cargo build --release --features cli --bin lua-persist'],
  [wasmPath, 'scripts/build-wasm']]) {
  if (!existsSync(path)) {
    console.error(`missing ${path}: run \`${build}\` first`);
    process.exit(1);
  }
}

const best = (f) => Math.min(...Array.from({ length: RUNS }, f));

function nativeMs(args) {
  return best(() => {
    const start = performance.now();
    const r = spawnSync(native, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = performance.now() - start;
    if (r.status !== 0) throw new Error(`native ${args.join(' ')} failed: ${r.stderr}`);
    return ms;
  });
}

const bytes = readFileSync(wasmPath);
const wasmModule = await compileModule(bytes);

async function wasmMs(script) {
  const source = readFileSync(script);
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const lua = await LuaModule.instantiate(wasmModule);
    lua.putFile(script, source);
    const r = lua.main(['lua-persist', script]);
    times.push(performance.now() - start);
    if (r.code !== 0) throw new Error(`wasm ${script} failed: ${new TextDecoder().decode(r.stderr)}`);
  }
  return Math.min(...times);
}

const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
const gz = gzipSync(bytes, { level: 9 }).length;
const BUDGET = 300_000;
const CU = 1_639_000; // cu's web/cu.wasm (the seed document reports 1639 KB)
console.log('wasm module size');
console.log(`  raw ${kb(bytes.length)}  gzip -9 ${kb(gz)}`);
console.log(`  raw / budget (300 KB) = ${(bytes.length / BUDGET).toFixed(2)}   raw / cu (1639 KB) = ${(bytes.length / CU).toFixed(2)}`);

console.log(`\nworkloads (best of ${RUNS}; ratio = wasm / native; goal <= 2.5)`);
const startup = nativeMs(['-e', '']);
console.log('  workload     native ms   wasm ms   ratio');
const dir = `${root}bench/workloads`;
let worst = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.lua')).sort()) {
  const script = `bench/workloads/${file}`;
  const n = Math.max(nativeMs([`${root}${script}`]) - startup, 0.001);
  const w = await wasmMs(script);
  worst = Math.max(worst, w / n);
  console.log(`  ${file.replace('.lua', '').padEnd(12)} ${n.toFixed(1).padStart(9)} ${w.toFixed(1).padStart(9)} ${(w / n).toFixed(2).padStart(7)}`);
}
console.log(`  worst ratio ${worst.toFixed(2)}`);

// Limits on / off: lp_main alone is timed (the instance is made before), runs alternate
// between the two so that both see the same machine. 4095M rather than 4G: the wasm32
// runner's sizes are 32-bit, and it refuses 4G.
const LIMITS = ['--max-memory', '4095M', '--max-instructions', '1000000000000000', '--max-time', '100000'];

async function mainMs(script, source, options) {
  const lua = await LuaModule.instantiate(wasmModule);
  lua.putFile(script, source);
  const start = performance.now();
  const r = lua.main(['lua-persist', ...options, script]);
  const ms = performance.now() - start;
  if (r.code !== 0) throw new Error(`wasm ${options.join(' ')} ${script} failed: ${new TextDecoder().decode(r.stderr)}`);
  return ms;
}

console.log(`\nlimits on / off in wasm (best of ${RUNS}; lua.main only; on: ${LIMITS.join(' ')})`);
console.log('  workload       off ms     on ms   ratio');
let worstLimits = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.lua')).sort()) {
  const script = `bench/workloads/${file}`;
  const source = readFileSync(script);
  let off = Infinity;
  let on = Infinity;
  for (let i = 0; i < RUNS; i++) {
    off = Math.min(off, await mainMs(script, source, []));
    on = Math.min(on, await mainMs(script, source, LIMITS));
  }
  worstLimits = Math.max(worstLimits, on / off);
  console.log(`  ${file.replace('.lua', '').padEnd(12)} ${off.toFixed(1).padStart(9)} ${on.toFixed(1).padStart(9)} ${(on / off).toFixed(2).padStart(7)}`);
}
console.log(`  worst ratio ${worstLimits.toFixed(2)}`);
