// TypeScript declarations for wasm/file-store.mjs.
import type { ExtStore, StoreWrite } from './lua-persist.mjs';

/** The journal is checkpointed (key files fsynced, journal emptied) past this many bytes. */
export const JOURNAL_CHECKPOINT: number;

/** Thrown when the store is open in another live process (or another FileStore of this one). */
export class FileStoreLockedError extends Error {
  readonly name: 'FileStoreLockedError';
  /** The store's directory. */
  readonly dir: string;
  /** The process that has it open. */
  readonly pid: number;
}

/** A durable store for Node: one directory per table that has keys, one file per key, each
 * batch of writes journaled (`DIR/journal`) and fsynced before it returns, all or none;
 * locked to one process at a time. Deleting a table's last key removes its directory; the
 * next free id, which never goes down, is kept in `DIR/next-free-id`. */
export interface FileStore extends ExtStore {}
export class FileStore {
  /** Opens (creating it if missing) and locks the store in `dir`.
   * @throws FileStoreLockedError while another live process has it open; an Error when
   *   `DIR/next-free-id` or `DIR/journal` is damaged. */
  constructor(dir: string);
  readonly dir: string;
  /** Checkpoints and releases the lock (the process's exit releases it too, and the next
   * open applies the journal); the store refuses writes after. */
  close(): void;
  /** Applies `writes` in order (`value` undefined deletes), all or none, durably: one journal
   * record and one fsync. */
  writeBatch(writes: StoreWrite[]): void;
  /** The ids of the tables that have keys, ascending. (A table directory it finds without
   * keys, left by a crash or an earlier version, is removed.) */
  tableIds(): number[];
  /** Makes nextFreeId() at least `next`, recorded durably in `DIR/next-free-id`. */
  reserveIds(next: number): void;
}
