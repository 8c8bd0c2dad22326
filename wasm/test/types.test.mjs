// The TypeScript declarations (wasm/*.d.mts) compile against their use (types/check.mts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('the TypeScript declarations type-check with tsc --strict', () => {
  const wasmDir = fileURLToPath(new URL('..', import.meta.url));
  const tsc = `${wasmDir}node_modules/typescript/bin/tsc`;
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--target', 'es2022',
    '--lib', 'es2022,dom', '--types', 'node', `${wasmDir}test/types/check.mts`], { encoding: 'utf8', cwd: wasmDir });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
