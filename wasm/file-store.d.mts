// TypeScript declarations for wasm/file-store.mjs.
import type { ExtStore } from './lua-persist.mjs';

/** A durable store for Node: one directory per table, one fsynced file per key. */
export interface FileStore extends ExtStore {}
export class FileStore {
  constructor(dir: string);
  readonly dir: string;
  /** The ids of the tables that have keys, ascending. */
  tableIds(): number[];
  /** Makes nextFreeId() at least `next`. */
  reserveIds(next: number): void;
}
