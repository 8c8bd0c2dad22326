// TypeScript declarations for wasm/idb-store.mjs.
import type { ExtStore } from './lua-persist.mjs';

/**
 * A store for browsers in IndexedDB: loaded into memory by `open`, read from memory, each
 * write queued into IndexedDB transactions that commit in order.
 */
export interface IdbStore extends ExtStore {}
export class IdbStore {
  /** Opens (or creates) the database and loads every record into memory. */
  static open(name: string, options?: { indexedDB?: IDBFactory }): Promise<IdbStore>;
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
  /** Waits for the queued writes, then closes the database. */
  close(): Promise<void>;
}
