// Bytes written natively restore in the wasm build and the other way round, closures
// included (tests/portable/make.lua builds the graph, check.lua verifies it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newLua, repoRoot, text } from './helpers.mjs';

const native = join(repoRoot, 'target/release/lua-persist');
const tmp = mkdtempSync(join(tmpdir(), 'lua-persist-portable-'));
const script = (name) => readFileSync(join(repoRoot, 'tests/portable', name));

function runNative(args) {
  assert.ok(existsSync(native), `build ${native} first (cargo build --release --features cli --bin lua-persist)`);
  const env = { ...process.env, LUA_PERSIST_STORE: ':memory:' }; // no store file
  const r = spawnSync(native, args, { cwd: repoRoot, encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

async function runWasm(files, args) {
  const lua = await newLua();
  for (const [name, data] of Object.entries(files)) lua.putFile(name, data);
  const r = lua.main(['lua-persist', ...args]);
  assert.equal(r.code, 0, text(r.stderr));
  return text(r.stdout);
}

test('native bytes restore in wasm', async () => {
  const hex = runNative(['tests/portable/make.lua']);
  const out = await runWasm({ 'make.lua': script('make.lua'), 'check.lua': script('check.lua'), 'payload.hex': hex },
    ['check.lua', 'payload.hex']);
  assert.equal(out, 'ok\n');
});

test('wasm bytes restore natively', async () => {
  const hex = await runWasm({ 'make.lua': script('make.lua') }, ['make.lua']);
  const payload = join(tmp, 'payload.hex');
  writeFileSync(payload, hex);
  assert.equal(runNative(['tests/portable/check.lua', payload]), 'ok\n');
});

test('both targets write the same bytes for the same graph', async () => {
  // make.lua's tables have string keys, whose iteration order can differ between
  // states; compare a graph whose tables are arrays only.
  const arrays = "print((persist.serialize({1, 2.5, 'x', {true, false}, string.format}):gsub('.', function(c) return ('%02x'):format(c:byte()) end)))";
  const nativeHex = runNative(['-e', arrays]);
  const wasmHex = await runWasm({}, ['-e', arrays]);
  assert.equal(wasmHex, nativeHex);
});
