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

/** A durable store for Node: one directory per table that has keys, one fsynced file per
 * key; locked to one process at a time. Deleting a table's last key removes its directory;
 * the next free id, which never goes down, is kept in `DIR/next-free-id`. */
export interface FileStore extends ExtStore {}
export class FileStore {
  /** Opens (creating it if missing) and locks the store in `dir`.
   * @throws FileStoreLockedError while another live process has it open; an Error when
   *   `DIR/next-free-id` is damaged. */
  constructor(dir: string);
  readonly dir: string;
  /** Releases the lock (the process's exit does too); the store refuses writes after. */
  close(): void;
  /** The ids of the tables that have keys, ascending. (A table directory it finds without
   * keys, left by a crash or an earlier version, is removed.) */
  tableIds(): number[];
  /** Makes nextFreeId() at least `next`, recorded durably in `DIR/next-free-id`. */
  reserveIds(next: number): void;
}
