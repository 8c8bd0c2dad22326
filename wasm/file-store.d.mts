// TypeScript declarations for wasm/file-store.mjs.
import type { ExtStore } from './lua-persist.mjs';

/** Thrown when the store is open in another live process (or another FileStore of this one). */
export class FileStoreLockedError extends Error {
  readonly name: 'FileStoreLockedError';
  /** The store's directory. */
  readonly dir: string;
  /** The process that has it open. */
  readonly pid: number;
}

/** A durable store for Node: one directory per table, one fsynced file per key; locked to
 * one process at a time. */
export interface FileStore extends ExtStore {}
export class FileStore {
  /** Opens (creating it if missing) and locks the store in `dir`.
   * @throws FileStoreLockedError while another live process has it open. */
  constructor(dir: string);
  readonly dir: string;
  /** Releases the lock (the process's exit does too); the store refuses writes after. */
  close(): void;
  /** The ids of the tables that have keys, ascending. */
  tableIds(): number[];
  /** Makes nextFreeId() at least `next`. */
  reserveIds(next: number): void;
}
