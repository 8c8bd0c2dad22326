// An external-table store for browsers, kept in IndexedDB.
//
// The module calls its store synchronously, and IndexedDB is asynchronous, so:
// `await IdbStore.open(name)` reads every record into memory; reads are served from memory;
// a write or delete changes memory at once and is queued for IndexedDB. Queued writes go out
// in batches, one readwrite transaction at a time (durability 'strict'), in the order they
// were made. The writes of one synchronous stretch of JavaScript (such as one `exec`) are
// never split between transactions, so they are committed all or none.
//
// Durability: a write is reported as done when a promise from `flushed()`, called after
// the write, resolves; it then survives a reload or a crash of the page or the browser.
// Because batches commit one after another, what survives a crash is always a prefix of
// the writes; a write not yet reported as done may be lost.
// A failed transaction (quota, the database deleted elsewhere, ...) is reported through
// `onerror` and rejects `flushed()`; from then on the store refuses writes (Lua sees an
// error) — later writes must not reach the disk without the lost ones. Open the store again
// to continue from what is on disk.
//
// Locking: one IdbStore at a time per database (per origin). Two stores on one database
// would each keep their own copy in memory and overwrite each other's writes, and one
// state's collection of unreachable tables could remove a table the other holds. So `open`
// first takes an exclusive Web Lock named `lua-persist:idb:NAME` (navigator.locks, without
// waiting) and fails with IdbStoreLockedError, before opening the database, while another
// tab, window, worker or IdbStore of this page holds it. close() releases it; a page that
// is closed, reloaded or crashes releases it with the page. Without the Web Locks API
// (browsers before 2022, or a page that is not a secure context: plain http other than
// localhost) `open` fails rather than run unlocked.
import { MemoryStore } from './lua-persist.mjs';

const ENTRIES = 'entries'; // key [table id, key bytes] -> value bytes
const META = 'meta'; // 'maxId' -> the largest table id ever used
const MAX_ID = 'maxId';
/** Ids 1 (`_home`) and 2 (`_io`) are taken in every store. */
const FIRST_FREE_ID = 3;

const LOCK_PREFIX = 'lua-persist:idb:';

/** The store is open elsewhere: in another tab, window or worker, or another IdbStore of this page. */
export class IdbStoreLockedError extends Error {
  constructor(database, inThisPage) {
    super(inThisPage
      ? `the store ${database} is open already in this page (close the other IdbStore first)`
      : `the store ${database} is open in another tab or window`);
    this.name = 'IdbStoreLockedError';
    /** The database's name. */
    this.database = database;
  }
}

/** The databases whose locks IdbStores of this page hold: for the message only. */
const heldHere = new Set();

/**
 * Takes the store's exclusive Web Lock if it is free, without waiting. Resolves to a
 * function that releases it and resolves when it is released; rejects with
 * IdbStoreLockedError when the lock is held elsewhere.
 */
function lock(locks, database) {
  return new Promise((resolve, reject) => {
    let released;
    const request = locks.request(LOCK_PREFIX + database, { mode: 'exclusive', ifAvailable: true }, (granted) => {
      if (!granted) {
        reject(new IdbStoreLockedError(database, heldHere.has(database)));
        return undefined;
      }
      heldHere.add(database);
      // Held until this promise resolves: in close(), or when open fails after the lock.
      return new Promise((release) => {
        let done = false;
        resolve(() => {
          if (!done) {
            done = true;
            heldHere.delete(database);
            release();
          }
          return released;
        });
      });
    });
    // Settles once the lock is released (or was never granted).
    released = request.then(() => {}, (error) => reject(error));
  });
}

/** The result of an IDBRequest (or IDBOpenDBRequest) as a promise. */
function requestDone(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export class IdbStore {
  static #opening = Symbol('IdbStore.open');
  #db;
  #memory = new MemoryStore();
  #maxId = FIRST_FREE_ID - 1;
  /** Operations not yet in a transaction, by record: the last one for a record wins. */
  #queue = new Map();
  #scheduled = false;
  #inFlight = false;
  /** Writes are numbered; flushed() waits until the committed number reaches its own. */
  #written = 0;
  #committed = 0;
  #waiters = [];
  #failure = null;
  #closed = false;
  #unlock;

  /**
   * Locks the store to this IdbStore, then opens (or creates) the database `name` and loads
   * it into memory.
   * @param {string} name
   * @param {{indexedDB?: IDBFactory, locks?: LockManager}} [options] the IndexedDB and the
   *   Web Locks to use (default: the page's)
   * @throws {IdbStoreLockedError} while another tab, window or IdbStore has the store open
   */
  static async open(name, { indexedDB = globalThis.indexedDB, locks = globalThis.navigator?.locks } = {}) {
    if (!indexedDB) throw new Error('lua-persist: IndexedDB is not available here');
    if (!locks) {
      throw new Error('lua-persist: IdbStore needs the Web Locks API (navigator.locks) to keep a store to one ' +
        'tab at a time, and it is not available here' +
        (globalThis.isSecureContext === false ? ' (it needs a secure context: https, or http on localhost)' : ''));
    }
    name = String(name);
    const unlock = await lock(locks, name);
    try {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore(ENTRIES);
        request.result.createObjectStore(META);
      };
      const db = await requestDone(request);
      try {
        return await new IdbStore(IdbStore.#opening, db, name, unlock).#load();
      } catch (e) {
        db.close();
        throw e;
      }
    } catch (e) {
      await unlock();
      throw e;
    }
  }

  /** Use IdbStore.open. */
  constructor(opening, db, name, unlock) {
    if (opening !== IdbStore.#opening) throw new TypeError('lua-persist: use `await IdbStore.open(name)`');
    this.#db = db;
    this.#unlock = unlock;
    this.name = name;
    /** Called once, with the error, when a transaction fails. */
    this.onerror = (error) => console.error(`lua-persist: IndexedDB store ${name} failed:`, error);
    // Another page deleting or upgrading the database: our writes could not be kept.
    db.onversionchange = () => {
      db.close();
      this.#fail(new Error(`lua-persist: IndexedDB database ${name} was deleted or upgraded by another page`));
    };
    db.onclose = () => this.#fail(new Error(`lua-persist: IndexedDB database ${name} was closed by the browser`));
  }

  async #load() {
    let tx;
    try {
      tx = this.#db.transaction([ENTRIES, META], 'readonly');
    } catch (e) {
      throw new Error(`lua-persist: ${this.name} is not a lua-persist IndexedDB store (${e.message})`);
    }
    const entries = tx.objectStore(ENTRIES);
    // One transaction: keys and values are one snapshot, in the same order.
    const [keys, values, maxId] = await Promise.all([
      requestDone(entries.getAllKeys()),
      requestDone(entries.getAll()),
      requestDone(tx.objectStore(META).get(MAX_ID)),
    ]);
    if (Number.isInteger(maxId)) this.#maxId = Math.max(this.#maxId, maxId);
    keys.forEach(([id, key], i) => {
      const value = values[i];
      if (!Number.isInteger(id) || !(key instanceof ArrayBuffer) || !(value instanceof Uint8Array)) {
        throw new Error(`lua-persist: ${this.name} holds a record that is not an external-table entry`);
      }
      this.#memory.set(id, new Uint8Array(key), value);
      this.#maxId = Math.max(this.#maxId, id);
    });
    return this;
  }

  set(id, key, value) {
    this.#checkWritable();
    this.#memory.set(id, key, value);
    this.#enqueue(id, key, this.#memory.get(id, key));
    this.reserveIds(id + 1);
  }

  /** Makes nextFreeId() at least `next`: kept as tables appear, as in MemoryStore and
   * FileStore (Lua asks on every new table), and stored, so an id stays taken when its
   * keys are deleted. */
  reserveIds(next) {
    if (next - 1 > this.#maxId) {
      this.#checkWritable();
      this.#maxId = next - 1;
      this.#queue.set(MAX_ID, { store: META, key: MAX_ID, value: this.#maxId });
      this.#written++; // a write of its own: flushed() and close() wait for it
      this.#commitSoon();
    }
  }

  get(id, key) {
    return this.#memory.get(id, key);
  }

  delete(id, key) {
    this.#checkWritable();
    if (this.#memory.get(id, key) === undefined) return; // nothing to delete, here or on disk
    this.#memory.delete(id, key);
    this.#enqueue(id, key, undefined);
  }

  /**
   * Applies writes ({id, key, value}; value undefined deletes) in order. They are queued
   * together, so they commit in one transaction: all or none.
   */
  writeBatch(writes) {
    this.#checkWritable();
    for (const { id, key, value } of writes) {
      if (value === undefined) this.delete(id, key);
      else this.set(id, key, value);
    }
  }

  size(id) {
    return this.#memory.size(id);
  }

  keys(id) {
    return this.#memory.keys(id);
  }

  /** The smallest id never used: 3 when empty. */
  nextFreeId() {
    return this.#maxId + 1;
  }

  /** How many writes are not committed yet. */
  get pendingWrites() {
    return this.#written - this.#committed;
  }

  /** The error that stopped the store, or null. */
  get failure() {
    return this.#failure;
  }

  /**
   * Resolves when every write made before the call is committed to IndexedDB (so it
   * survives a reload or a crash of the page); rejects if the store failed.
   */
  flushed() {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#committed >= this.#written) return Promise.resolve();
    this.#commitSoon();
    return new Promise((resolve, reject) => this.#waiters.push({ upTo: this.#written, resolve, reject }));
  }

  /**
   * Waits for the queued writes, then closes the database and releases the lock (also when
   * it rejects because the store failed); the store refuses writes after.
   */
  async close() {
    if (this.#closed) return;
    try {
      await this.flushed();
    } finally {
      this.#closed = true;
      this.#db.close();
      await this.#unlock();
    }
  }

  #checkWritable() {
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new Error(`lua-persist: IndexedDB store ${this.name} is closed`);
  }

  #enqueue(id, key, value) {
    const copy = key.slice();
    this.#queue.set(`${id}:${MemoryStore.keyString(copy)}`, { store: ENTRIES, key: [id, copy], value });
    this.#written++;
    this.#commitSoon();
  }

  #commitSoon() {
    if (this.#scheduled || this.#inFlight) return;
    this.#scheduled = true;
    // A microtask: the rest of this synchronous stretch joins the batch.
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#commit();
    });
  }

  /** Sends the queue as one transaction; the next starts when this one completes. */
  #commit() {
    if (this.#inFlight || this.#failure || this.#queue.size === 0) return;
    const batch = this.#queue;
    const upTo = this.#written;
    this.#queue = new Map();
    let tx;
    try {
      tx = this.#db.transaction([ENTRIES, META], 'readwrite', { durability: 'strict' });
      for (const op of batch.values()) {
        const store = tx.objectStore(op.store);
        if (op.value === undefined) store.delete(op.key);
        else store.put(op.value, op.key);
      }
    } catch (e) {
      try {
        tx?.abort(); // none of the batch may be committed
      } catch {
        // Already aborted by the failing request: e is the error to report.
      }
      this.#fail(this.#transactionError(e));
      return;
    }
    this.#inFlight = true;
    tx.oncomplete = () => {
      this.#inFlight = false;
      this.#committed = upTo;
      this.#waiters = this.#waiters.filter((w) => (w.upTo <= upTo ? (w.resolve(), false) : true));
      this.#commit();
    };
    tx.onabort = () => {
      this.#inFlight = false;
      this.#fail(this.#transactionError(tx.error));
    };
  }

  /** IndexedDB's errors can have an empty message (QuotaExceededError in Chromium). */
  #transactionError(cause) {
    const what = cause ? `${cause.name}${cause.message ? `: ${cause.message}` : ''}` : 'aborted';
    return new Error(`lua-persist: writing to IndexedDB store ${this.name} failed (${what})`, { cause });
  }

  #fail(error) {
    if (this.#failure || this.#closed) return;
    this.#failure = error;
    for (const w of this.#waiters) w.reject(error);
    this.#waiters = [];
    this.onerror(error);
  }
}
