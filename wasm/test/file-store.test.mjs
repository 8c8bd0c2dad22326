// FileStore: a write that returned survives the process being killed (SIGKILL) mid-loop,
// and the store opens cleanly afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileStore } from '../file-store.mjs';

const storeModule = fileURLToPath(new URL('../file-store.mjs', import.meta.url));

test('acknowledged writes survive SIGKILL', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'lua-persist-store-')), 'store');
  // A writer that reports each key after set() returned.
  const writer = spawn(process.execPath, ['--input-type=module', '-e', `
    import { FileStore } from ${JSON.stringify(storeModule)};
    const store = new FileStore(${JSON.stringify(dir)});
    for (let i = 0; ; i++) {
      store.set(3, new TextEncoder().encode('k' + i), new Uint8Array([4, 1, 0, 0, 0, i % 256]));
      process.stdout.write(i + '\\n');
    }`]);
  let acknowledged = -1;
  await new Promise((resolve) => {
    writer.stdout.on('data', (chunk) => {
      const lines = chunk.toString().trim().split('\n');
      acknowledged = Number(lines[lines.length - 1]);
      if (acknowledged >= 200) {
        writer.kill('SIGKILL');
        resolve();
      }
    });
  });
  await new Promise((resolve) => writer.on('exit', resolve));
  const store = new FileStore(dir);
  for (let i = 0; i <= acknowledged; i++) {
    const v = store.get(3, new TextEncoder().encode('k' + i));
    assert.deepEqual(v && [...v], [4, 1, 0, 0, 0, i % 256], `key k${i} (acknowledged up to ${acknowledged})`);
  }
  assert.ok(store.size(3) >= acknowledged + 1);
  assert.equal(store.nextFreeId(), 4);
});
