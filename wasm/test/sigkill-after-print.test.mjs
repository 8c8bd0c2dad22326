// The Node runner on cu's module and SIGKILL (README, "What is durable when"). The module's
// writes are held by the host (HostWrites) until an output point, and cu's module's output
// leaves only when the run ends, after the last chunk's writes are stored (the runner's own
// module streams output after output points: runner-files.test.mjs kills it after each). So a process killed at any
// moment has shown nothing that its store does not hold, and each chunk's writes are
// stored all or none (FileStore journals each batch).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, wasmPath } from './helpers.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'lua-persist-sigkill-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const runScript = join(repoRoot, 'wasm/run.mjs');
const env = { ...process.env, LUA_PERSIST_WASM: wasmPath };

function check(store, chunk) {
  const r = spawnSync(process.execPath, [runScript, '--store', store, '-e', chunk], { env, encoding: 'utf8' });
  assert.equal(r.stderr, '');
  return r.stdout;
}

test('a run that printed after its writes: every write is there', () => {
  const store = join(tmp, 'printed');
  const r = spawnSync(process.execPath, [runScript, '--store', store, '-e',
    "for i = 1, 300 do _home['k' .. i] = i end _home.t = {1, 2, {3}} print('written')"], { env, encoding: 'utf8' });
  assert.equal(r.stdout, 'written\n');
  assert.equal(check(store, "local n = 0 for i = 1, 300 do if _home['k' .. i] == i then n = n + 1 end end print(n, _home.t[3][1])"),
    '300\t3\n');
});

test('SIGKILL after a print, in the same chunk: nothing was shown, and nothing of the chunk is stored', async () => {
  const store = join(tmp, 'looping');
  check(store, '_home.before = 1');
  const writer = spawn(process.execPath, [runScript, '--store', store, '-e',
    "for i = 1, 300 do _home['k' .. i] = i end print('written') while true do end"], { env });
  let shown = '';
  writer.stdout.on('data', (d) => { shown += d; });
  const ended = new Promise((resolve) => writer.on('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, 1500)); // well into the loop
  writer.kill('SIGKILL');
  await ended;
  assert.equal(shown, '');
  assert.equal(check(store, "print(_home.before, _home.k1, _home.k300)"), '1\tnil\tnil\n');
});

test('SIGKILL at any moment of a run of many chunks: each chunk is stored whole or not at all', async () => {
  const chunks = [];
  for (let run = 1; run <= 40; run++) chunks.push('-e', `for i = 1, 100 do _home['k' .. i] = ${run} end`);
  for (const delay of [150, 300, 450, 600, 900]) {
    const store = join(tmp, `chunks-${delay}`);
    const writer = spawn(process.execPath, [runScript, '--store', store, ...chunks], { env });
    const ended = new Promise((resolve) => writer.on('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, delay));
    writer.kill('SIGKILL');
    await ended;
    // One value for all 100 keys (the last chunk stored), or none stored yet.
    const seen = check(store, "local s = {} for i = 1, 100 do s[tostring(_home['k' .. i])] = true end local v = {} for k in pairs(s) do v[#v + 1] = k end print(#v, v[1])");
    assert.match(seen, /^1\t(nil|[0-9]+)\n$/, `killed after ${delay} ms: ${seen}`);
  }
});
