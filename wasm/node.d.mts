// TypeScript declarations for wasm/node.mjs: the npm package's entry in Node.
export * from './lua-persist.mjs';
export { FileStore, FileStoreLockedError, JOURNAL_CHECKPOINT } from './file-store.mjs';
export * from './store-dump.mjs';

/** Compiles the lua-persist module: by default the `lua_persist.wasm` of the package; else
 * from a path or file URL, or from the bytes themselves. */
export function loadModule(source?: string | URL | Uint8Array | ArrayBuffer): Promise<WebAssembly.Module>;
