// The same store checks (store-checks.mjs) on MemoryStore and FileStore, directly and under
// the module; browser.test.mjs runs them on IdbStore. Then what only FileStore has: many
// tables, the lock, the journal.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, LuaModule } from '../lua-persist.mjs';
import { wasmModule } from './helpers.mjs';
import { FileStore } from '../file-store.mjs';
import { storeChecks } from './store-checks.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'lua-persist-conformance-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let made = 0;

const kinds = {
  MemoryStore: { fresh: () => new MemoryStore() },
  FileStore: {
    fresh: () => new FileStore(join(tmp, `store${made++}`)),
    reopen: (store) => {
      store.close();
      return new FileStore(store.dir);
    },
    close: (store) => store.close(),
    ordered: true, // keys() in byte order
  },
};

for (const [name, kind] of Object.entries(kinds)) {
  for (const [what, check] of storeChecks) {
    test(`${name}: ${what}`, () => check(kind, { ordered: kind.ordered, LuaModule, wasmModule }));
  }
}
