// TypeScript declarations for wasm/browser.mjs: the npm package's entry outside Node.
export * from './lua-persist.mjs';
export { IdbStore, IdbStoreLockedError } from './idb-store.mjs';

/** Compiles the lua-persist module: by default fetched from beside the package's entry;
 * else from the URL given (a bundler's URL of `lua-persist/lua_persist.wasm`), or from the
 * bytes themselves. */
export function loadModule(source?: string | URL | Uint8Array | ArrayBuffer): Promise<WebAssembly.Module>;
