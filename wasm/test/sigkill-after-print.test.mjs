// The Node runner: a process killed after a print loses none of the external-table writes
// made before that print (README, "What is durable when"). The module writes each
// assignment through to the FileStore, which syncs it before it returns; and the runner's
// output leaves only when the run ends, so here the kill comes once the last write before
// the print is on disk, while the script loops after it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, wasmPath } from './helpers.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'lua-persist-sigkill-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const runScript = join(repoRoot, 'wasm/run.mjs');
const env = { ...process.env, LUA_PERSIST_WASM: wasmPath };

test('SIGKILL right after a print: every write before it is there', async () => {
  const store = join(tmp, 'store');
  const writer = spawn(process.execPath, [runScript, '--store', store, '-e',
    "for i = 1, 300 do _home['k' .. i] = i end _home.t = {1, 2, {3}} print('written') while true do end"], { env });
  let exited = false;
  const ended = new Promise((resolve) => writer.on('exit', () => { exited = true; resolve(); }));
  // _home.t's key (hex "74" in table 1's directory) is the last write before the print.
  while (!existsSync(join(store, '1', '74'))) {
    assert.ok(!exited, 'the writer ended before its last write');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  writer.kill('SIGKILL');
  await ended;
  const check = spawnSync(process.execPath, [runScript, '--store', store, '-e',
    "local n = 0 for i = 1, 300 do if _home['k' .. i] == i then n = n + 1 end end print(n, _home.t[3][1])"],
  { env, encoding: 'utf8' });
  assert.equal(check.stderr, '');
  assert.equal(check.stdout, '300\t3\n');
});
