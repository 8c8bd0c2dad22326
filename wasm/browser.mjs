// The npm package's entry in browsers and everywhere else that is not Node (its "exports"
// condition `browser`, and `default`): the host of lua-persist.mjs, IdbStore, and
// loadModule, which fetches the module. Nothing here imports Node's modules; FileStore and
// the store dumps (which need node:fs and node:crypto) are in the Node entry only.
import { compileModule } from './lua-persist.mjs';

export * from './lua-persist.mjs';
export { IdbStore, IdbStoreLockedError } from './idb-store.mjs';

/** Compiles the lua-persist module: by default fetched from beside this file (which a
 * bundler may not copy: give the URL it gives the `.wasm`, see npm/README.md), else from
 * the URL given, or from the bytes themselves. */
export async function loadModule(source = new URL('./lua_persist.wasm', import.meta.url)) {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return compileModule(source);
  const response = await fetch(source);
  if (!response.ok) throw new Error(`lua-persist: fetching the module from ${source} gave HTTP ${response.status}`);
  return compileModule(await response.arrayBuffer());
}
