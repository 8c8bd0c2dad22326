// TypeScript declarations for wasm/idb-store.mjs.
import type { ExtStore, StoreWrite } from './lua-persist.mjs';

/** Thrown by `IdbStore.open` while the store is open elsewhere: in another tab, window or
 * worker of the origin, or in another IdbStore of this page. */
export class IdbStoreLockedError extends Error {
  private constructor();
  readonly name: 'IdbStoreLockedError';
  /** The database's name. */
  readonly database: string;
}

/**
 * A store for browsers in IndexedDB: loaded into memory by `open`, read from memory, each
 * write queued into IndexedDB transactions that commit in order. One IdbStore at a time per
 * database: `open` takes the exclusive Web Lock `lua-persist:idb:NAME`, which `close()` (or
 * the end of the page) releases.
 */
export interface IdbStore extends ExtStore {}
export class IdbStore {
  /** Locks the store, then opens (or creates) the database and loads every record into memory.
   * `locks` defaults to `navigator.locks`; without it `open` fails rather than run unlocked.
   * @throws IdbStoreLockedError while another tab, window or IdbStore has the store open;
   * the database is then not opened. */
  static open(name: string, options?: { indexedDB?: IDBFactory; locks?: LockManager }): Promise<IdbStore>;
  private constructor();
  readonly name: string;
  /** Called once, with the error, when a transaction fails; the store then refuses writes. */
  onerror: (error: Error) => void;
  /** How many writes are not committed yet. */
  readonly pendingWrites: number;
  /** The error that stopped the store, or null. */
  readonly failure: Error | null;
  /** Resolves when every write made before the call is committed; rejects if the store failed. */
  flushed(): Promise<void>;
  /** Applies `writes` in order (`value` undefined deletes); they are queued together, so they
   * commit in one transaction, all or none. */
  writeBatch(writes: StoreWrite[]): void;
  /** Waits for the queued writes, then closes the database and releases the lock (also when
   * the store failed); the store refuses writes after. */
  close(): Promise<void>;
}
