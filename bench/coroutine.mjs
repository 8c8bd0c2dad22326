#!/usr/bin/env node
// Suspended coroutines (README, "Benchmarks"): persist + restore per second of a coroutine
// suspended 10 frames deep with 50 stack values (bench/coroutine.lua), natively (the
// lua-persist binary) and in the module (wasm/run.mjs), runs alternating between them; each
// against its reference measured in the same process: the same values and functions
// without the coroutine.
//   cargo build --release --features cli --bin lua-persist && scripts/build-wasm
//   node bench/coroutine.mjs [--runs N] [--rounds N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, numberOption } from './timing.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = numberOption('--runs', 5);
const ROUNDS = numberOption('--rounds', 2000);
const script = join(root, 'bench/coroutine.lua');
const dir = mkdtempSync(join(tmpdir(), 'lua-persist-bench-'));

const engines = {
  native: () => [join(root, 'target/release/lua-persist'), ['--store', ':memory:', script, String(ROUNDS)]],
  wasm: () => [process.execPath, [join(root, 'wasm/run.mjs'), '--store', join(dir, 'store'), script, String(ROUNDS)]],
};

function run(engine) {
  const [cmd, args] = engines[engine]();
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const m = /^coroutine (\d+) reference (\d+)$/m.exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`${engine}: ${r.stderr || r.stdout}`);
  return { coroutine: Number(m[1]), reference: Number(m[2]) };
}

const results = { native: [], wasm: [] };
try {
  for (let i = 0; i < RUNS; i++) for (const engine of ['native', 'wasm']) results[engine].push(run(engine));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const pad = (s, n) => String(s).padStart(n);
console.log(`persist + restore per second, a coroutine 10 frames deep with 50 stack values`);
console.log(`(median of ${RUNS} runs, ${ROUNDS} round trips each; reference: the same values and`);
console.log(` ten closures in a table, round-tripped in the same process)`);
console.log(`  engine      coroutine/s   reference/s   coroutine/reference   spread`);
for (const engine of ['native', 'wasm']) {
  const co = results[engine].map((r) => r.coroutine);
  const ratio = median(results[engine].map((r) => r.coroutine / r.reference));
  const spread = `${Math.min(...co)}..${Math.max(...co)}`;
  console.log(`  ${engine.padEnd(8)} ${pad(median(co), 13)} ${pad(median(results[engine].map((r) => r.reference)), 13)} ${pad(ratio.toFixed(2), 21)}   ${spread}`);
}
const wasmToNative = median(results.wasm.map((r, i) => results.native[i].coroutine / r.coroutine));
console.log(`  wasm time / native time (coroutine): ${wasmToNative.toFixed(2)}`);
