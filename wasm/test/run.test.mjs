// `node wasm/run.mjs` behaves as the native `lua-persist` runner: same output, same
// messages, same exit codes, and bad input is a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './helpers.mjs';

const runScript = join(repoRoot, 'wasm/run.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'lua-persist-run-'));

const storeDir = join(tmp, 'store');

function run(args, input) {
  const r = spawnSync(process.execPath, [runScript, ...args], {
    input, encoding: 'utf8', env: { ...process.env, LUA_PERSIST_WASM_STORE: storeDir },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('chunks, scripts and arguments', () => {
  const script = join(tmp, 's.lua');
  writeFileSync(script, "#!/usr/bin/env lua\nprint(select('#', ...), ...)\nprint(arg[-1], arg[1])");
  const r = run(['-e', 'x = 1', script, 'a', 'b']);
  assert.deepEqual(r, { code: 0, stdout: '2\ta\tb\nx = 1\ta\n', stderr: '' });
});

test('an error goes to stderr with a traceback and exit code 1', () => {
  const r = run(['-e', "print('before')", '-e', "error('boom')"]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, 'before\n');
  assert.match(r.stderr, /^lua-persist: \(command line\):1: boom\nstack traceback:\n/);
});

test('a missing script is a clear error', () => {
  const r = run(['no/such/script.lua']);
  assert.deepEqual(r, { code: 1, stdout: '', stderr: 'lua-persist: cannot open no/such/script.lua: No such file or directory\n' });
});

test('bad options print the usage', () => {
  const r = run(['-x']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^lua-persist: unrecognized option '-x'\nusage: lua-persist/);
});

test('a chunk with a NUL byte is a syntax error', () => {
  const script = join(tmp, 'nul.lua');
  writeFileSync(script, 'print(1)\0print(2)');
  const r = run([script]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `lua-persist: ${script}:1: unexpected symbol\n`);
});

test('a huge chunk runs', () => {
  const script = join(tmp, 'big.lua');
  writeFileSync(script, 'local n = 0\n' + 'n = n + 1\n'.repeat(200000) + 'print(n)\n');
  assert.deepEqual(run([script]), { code: 0, stdout: '200000\n', stderr: '' });
});

test('script from stdin, and the os.exit status', () => {
  const r = run(['-'], "io.write('from stdin\\n') os.exit(7)");
  assert.deepEqual(r, { code: 7, stdout: 'from stdin\n', stderr: '' });
});

test('os.exit that closes the state', () => {
  assert.deepEqual(run(['-e', "local x <close> = setmetatable({}, {__close = function() print('closed') end}) os.exit(5, true)"]),
    { code: 5, stdout: 'closed\n', stderr: '' });
});

test('-v prints the version', () => {
  assert.equal(run(['-v', '-e', 'print(_VERSION)']).stdout, 'Lua 5.4.9  Copyright (C) 1994-2026 Lua.org, PUC-Rio\nLua 5.4\n');
});

test('--store keeps _home across runs: a counter prints 1, then 2', () => {
  const dir = join(tmp, 'counter-store');
  const counter = join(tmp, 'counter.lua');
  writeFileSync(counter, "_home.count = (_home.count or 0) + 1 print(_home.count)");
  assert.deepEqual(run(['--store', dir, counter]), { code: 0, stdout: '1\n', stderr: '' });
  assert.deepEqual(run(['--store', dir, counter]), { code: 0, stdout: '2\n', stderr: '' });
  // A closure with its upvalue, stored in one run and called in the next.
  run(['--store', dir, '-e', 'local base = 40 _home.add = function(x) return base + x end']);
  assert.equal(run(['--store', dir, '-e', 'print(_home.add(2))']).stdout, '42\n');
});

test('--store without a directory is a clear error', () => {
  assert.deepEqual(run(['--store']), { code: 1, stdout: '', stderr: "lua-persist: '--store' needs argument\n" });
});
