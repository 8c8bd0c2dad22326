// The npm package's entry in Node (its "exports" condition `node`): the host of
// lua-persist.mjs, the Node-only stores and dumps (FileStore, store-dump.mjs), and
// loadModule, which compiles the module shipped beside this file (npm/README.md).
import { readFile } from 'node:fs/promises';
import { compileModule } from './lua-persist.mjs';

export * from './lua-persist.mjs';
export { FileStore, FileStoreLockedError, JOURNAL_CHECKPOINT } from './file-store.mjs';
export * from './store-dump.mjs';

/** Compiles the lua-persist module: by default the `lua_persist.wasm` of this package;
 * else from a path or file URL, or from the bytes themselves. */
export async function loadModule(source = new URL('./lua_persist.wasm', import.meta.url)) {
  const bytes = source instanceof Uint8Array || source instanceof ArrayBuffer ? source : await readFile(source);
  return compileModule(bytes);
}
