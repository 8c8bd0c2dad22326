// TypeScript declarations for wasm/file-store.mjs.
import type { ExtStore } from './lua-persist.mjs';

/** A durable store for Node: one directory per table, one fsynced file per key. */
export class FileStore implements ExtStore {
  constructor(dir: string);
  readonly dir: string;
  set(id: number, key: Uint8Array, value: Uint8Array): void;
  get(id: number, key: Uint8Array): Uint8Array | undefined;
  delete(id: number, key: Uint8Array): void;
  size(id: number): number;
  keys(id: number): Uint8Array[];
  nextFreeId(): number;
}
