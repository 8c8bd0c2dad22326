// The official Lua test suite (Lua 5.4.8's "testes", fetched by scripts/setup.sh's
// need_lua_test_suite into $LUA_TEST_SUITE), file by file in user mode, on the native
// runner and on `node wasm/run.mjs` (the runner's module, with the host's files): every
// file passes on both, and prints the same lines (digits masked: seeds, dates, timings).
// README, "The Lua test suite", lists the results.
//
// User mode is what all.lua sets for `_U=true`: _soft, _port and _nomsg on (no long or
// memory-hungry tests, nothing that needs a shell, C libraries or a terminal), no T (the
// internal tests of a Lua built with ltests.c). heavy.lua is not part of the suite's run
// (all.lua never loads it): it allocates until memory runs out, by design.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runnerWasmPath } from './helpers.mjs';

const suite = process.env.LUA_TEST_SUITE || join(repoRoot, 'target/lua-tests/5.4.8');
const nativeBin = join(repoRoot, 'target/release/lua-persist');
const runScript = join(repoRoot, 'wasm/run.mjs');
for (const [path, how] of [[join(suite, 'all.lua'), 'scripts/test fetches it (scripts/setup.sh, need_lua_test_suite)'],
  [nativeBin, 'cargo build --release --features cli --bin lua-persist'], [runnerWasmPath, 'scripts/build-wasm']]) {
  if (!existsSync(path)) throw new Error(`${path} is missing: ${how}`);
}

const USER_MODE = '_U=true _soft=true _port=true _nomsg=true';
/** The files all.lua runs, and the two modules they require; not heavy.lua. */
const FILES = readdirSync(suite).filter((f) => f.endsWith('.lua') && f !== 'heavy.lua').sort();
const tmp = mkdtempSync(join(tmpdir(), 'lua-persist-suite-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** Runs FILE of the suite in its folder (require finds its modules through ./?.lua). */
function run(side, file) {
  const [program, args] = side === 'native'
    ? [nativeBin, ['--store', ':memory:']]
    : [process.execPath, [runScript, '--store', mkdtempSync(join(tmp, 'store-'))]];
  const r = spawnSync(program, [...args, '-e', USER_MODE, file], {
    cwd: suite, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000,
    env: { ...process.env, LUA_PERSIST_WASM: runnerWasmPath, TZ: 'UTC', LC_ALL: 'C' },
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** What a run printed, with numbers masked (random seeds, dates, times, memory counts). */
const lines = (out) => out.replace(/\d+(\.\d+)?(e[-+]?\d+)?/g, '#').split('\n');

test('the suite is all there', () => {
  for (const f of ['all.lua', 'files.lua', 'gc.lua', 'locals.lua', 'bitwise.lua', 'cstack.lua', 'tracegc.lua', 'bwcoercion.lua']) {
    assert.ok(FILES.includes(f), `${f} is missing from ${suite}`);
  }
  assert.equal(FILES.length, 32);
});

for (const file of [...FILES, 'all.lua'].filter((f, i, a) => a.indexOf(f) === i)) {
  test(`${file}: passes natively and on node wasm/run.mjs, with the same output`, () => {
    const native = run('native', file);
    assert.equal(native.code, 0, `native run of ${file} failed:\n${native.stderr}`);
    const wasm = run('wasm', file);
    assert.equal(wasm.code, 0, `node wasm/run.mjs ${file} failed (signal ${wasm.signal}):\n${wasm.stderr}`);
    assert.deepEqual(lines(wasm.stdout), lines(native.stdout));
    // tracegc.lua writes a dot to stderr at each collection cycle: how many cycles a file
    // takes depends on its objects' sizes, which differ on 32 bits.
    const noCycleDots = (out) => lines(out.replace(/^\.+$|\.+(?=\n|$)/gm, ''));
    assert.deepEqual(noCycleDots(wasm.stderr), noCycleDots(native.stderr));
    if (file === 'files.lua') assert.match(wasm.stdout, /^testing i\/o$/m, 'files.lua skipped its file tests');
    if (file === 'all.lua') assert.match(wasm.stdout, /^final OK !!!$/m);
  });
}
