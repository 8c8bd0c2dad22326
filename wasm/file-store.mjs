// A durable external-table store for Node, kept in a directory:
//
//   DIR/lock            the pid of the process that has the store open (see Locking)
//   DIR/journal         batches of writes not yet checkpointed (see below); removed by
//                       close()
//   DIR/next-free-id    the next free table id recorded, in decimal and a newline (absent
//                       until a table directory is first removed or ids are reserved)
//   DIR/<id>/           one directory per table id that has keys, in decimal
//   DIR/<id>/<hex>      a key of up to 127 bytes: the name is the key in lowercase hex, the
//                       file holds the value
//   DIR/<id>/k-<sha>    a longer key (its hex would pass the 255-byte limit of a file name):
//                       "k-" and the key's SHA-256 in hex; the file holds the key's length
//                       (u32 LE), the key, then the value
//   *.tmp               a write or a lock in progress; ignored (next-free-id.tmp is
//                       replaced by the next write; write.tmp, left by earlier versions,
//                       is removed with its table's directory)
//
// Writes go through a journal, DIR/journal: writeBatch(writes) (and set or delete, a batch
// of one) appends the batch as one record (u32 LE length, the writes, the SHA-256 of the
// writes), fsyncs the journal, and only then changes the key files (written in place, no
// fsync of their own: a file a crash cuts short is written again from the journal). So a
// batch the store reports as done survives a crash of the process, all of it, and a batch
// cut short by a crash is none of it. When
// the journal passes JOURNAL_CHECKPOINT bytes, and on close(), the key files written since
// the last checkpoint and their directories are fsynced and the journal is emptied. Opening
// the store applies the journal's whole records again (a record cut short at the end, left
// by a crash during its append, is dropped; anything else that fails its check is damage
// and the store refuses to open) and then checkpoints. Reads are served from memory once
// read (the lock makes this process the only writer). keys() gives the keys in byte order.
//
// Reclaiming space: deleting a table's last key removes its directory (the parent's fsync
// at the next checkpoint makes both removals durable; until then the journal holds the
// delete). A table directory found with no keys (left by a crash between the two steps, or
// made empty by an earlier version of this store) is removed when size() or tableIds()
// comes across it: if that removal is lost, the empty directory is harmless and is found
// again.
//
// The next free id is at least 3 (1 is `_home`, 2 `_io`) and never goes down, because stored
// references may name a table that has lost its keys. When the store opens it is the largest
// of 3, the recorded next-free-id and the highest table directory + 1; then it is kept in
// memory. A directory is removed only after next-free-id records an id past every id used
// (written through next-free-id.tmp, fsynced, renamed, and DIR fsynced), and reserveIds()
// records its id the same way, so reopening never lowers it, also after a crash at any
// step.
//
// Locking: one process at a time. Opening the store creates DIR/lock (written whole, then
// linked into place) and fails with FileStoreLockedError while a live process holds it; a
// lock left by a process that is gone is taken over. close(), or the process's exit,
// releases it.
import { mkdirSync, readdirSync, readFileSync, writeFileSync, renameSync, rmSync, rmdirSync,
  unlinkSync, linkSync, openSync, opendirSync, readSync, writeSync, fstatSync, statSync, fsyncSync,
  fdatasyncSync, ftruncateSync, closeSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** Ids 1 (`_home`) and 2 (`_io`) are taken in every store. */
const FIRST_FREE_ID = 3;
/** The longest key stored under its hex: 254 characters. */
const SHORT_KEY_MAX = 127;
const LONG_KEY_PREFIX = 'k-';
const SHORT_NAME = /^(?:[0-9a-f]{2})+$/;
const LONG_NAME = /^k-[0-9a-f]{64}$/;
const TABLE_NAME = /^[1-9][0-9]{0,9}$/;
const LOCK = 'lock';
const NEXT_FREE_ID = 'next-free-id';
const NEXT_FREE_ID_TEMPORARY = 'next-free-id.tmp';
const RECORDED = /^[1-9][0-9]{0,9}\n$/;
const JOURNAL = 'journal';
/** The journal is checkpointed (key files fsynced, journal emptied) past this size. */
export const JOURNAL_CHECKPOINT = 8 << 20;
/** A journal write deleting its key has this value length. */
const DELETED = 0xffff_ffff;
/** Values read or written, kept for reads, up to this many (then forgotten at once). */
const READ_CACHE_ENTRIES = 100_000;
/** The largest next free id: past the largest table id, 2^32 - 1. */
const MAX_NEXT_FREE_ID = 0x1_0000_0000;

/** Another process (or another FileStore of this one) has the store open. */
export class FileStoreLockedError extends Error {
  constructor(dir, pid) {
    super(`the store ${dir} is in use by process ${pid}` +
      (pid === process.pid ? ' (this process: close the other FileStore first)' : ''));
    this.name = 'FileStoreLockedError';
    this.dir = dir;
    this.pid = pid;
  }
}

const isKeyName = (name) => SHORT_NAME.test(name) || LONG_NAME.test(name);

/** The file name of a key. */
function fileName(key) {
  if (key.length === 0) throw new Error('lua-persist: a store key is never empty');
  if (key.length <= SHORT_KEY_MAX) return Buffer.from(key).toString('hex');
  return LONG_KEY_PREFIX + createHash('sha256').update(key).digest('hex');
}

/** The table id a directory entry names, or undefined. */
function tableId(name) {
  if (!TABLE_NAME.test(name)) return undefined;
  const id = Number(name);
  return id <= 0xffff_ffff ? id : undefined;
}

/** Reads exactly `length` bytes at `position`, or fewer at the end of the file. */
function readAt(fd, length, position) {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}

/** The key recorded in the file of a long key (`size` bytes, named `name`), checked. */
function storedKey(file, name, size, header, read) {
  const n = header.length === 4 ? header.readUInt32LE(0) : 0;
  const key = n > SHORT_KEY_MAX && 4 + n <= size ? read(n) : undefined;
  if (key?.length !== n || fileName(key) !== name) {
    throw new Error(`lua-persist: ${file} is damaged: it does not hold the key its name is made from`);
  }
  return key;
}

// ------------------------------------------------------------------------------ the journal

/** Writes all of `bytes` at the end of the file `fd` (opened for appending). */
function writeAll(fd, bytes) {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** A journal record: u32 LE length, then per write u32 id, u32 key length, the key, u32 value
 * length (DELETED for a delete), the value; then the SHA-256 of what the length counts. */
function encodeBatch(writes) {
  let length = 0;
  for (const { id, key, value } of writes) {
    if (!(Number.isInteger(id) && id >= 1 && id <= 0xffff_ffff)) throw new Error(`lua-persist: ${id} is not a table id`);
    if (key.length === 0) throw new Error('lua-persist: a store key is never empty');
    length += 12 + key.length + (value?.length ?? 0);
  }
  const record = Buffer.alloc(4 + length + 32);
  record.writeUInt32LE(length, 0);
  let at = 4;
  for (const { id, key, value } of writes) {
    record.writeUInt32LE(id, at);
    record.writeUInt32LE(key.length, at + 4);
    record.set(key, at + 8);
    at += 8 + key.length;
    record.writeUInt32LE(value === undefined ? DELETED : value.length, at);
    at += 4;
    if (value !== undefined) {
      record.set(value, at);
      at += value.length;
    }
  }
  createHash('sha256').update(record.subarray(4, at)).digest().copy(record, at);
  return record;
}

/** The writes of a journal record's checked payload (at byte `offset` of `file`). */
function decodeBatch(payload, file, offset) {
  const writes = [];
  const damaged = () => new Error(`lua-persist: ${file} is damaged: the record at byte ${offset} is malformed`);
  let at = 0;
  while (at < payload.length) {
    if (at + 8 > payload.length) throw damaged();
    const id = payload.readUInt32LE(at);
    const keyLength = payload.readUInt32LE(at + 4);
    at += 8;
    if (id === 0 || keyLength === 0 || at + keyLength + 4 > payload.length) throw damaged();
    const key = new Uint8Array(payload.subarray(at, at + keyLength));
    at += keyLength;
    const valueLength = payload.readUInt32LE(at);
    at += 4;
    let value;
    if (valueLength !== DELETED) {
      if (valueLength === 0 || at + valueLength > payload.length) throw damaged();
      value = new Uint8Array(payload.subarray(at, at + valueLength));
      at += valueLength;
    }
    writes.push({ id, key, value });
  }
  return writes;
}

// ------------------------------------------------------------------------------ the lock

/** Lock files held by this process, released when it exits. */
const held = new Set();
let exitHookInstalled = false;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM'; // alive, but another user's
  }
}

/** The lock's pid (NaN when it holds no pid) and file identity, or null when it is gone. */
function readLock(file) {
  let fd;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw e;
  }
  try {
    const { dev, ino } = fstatSync(fd);
    const text = readAt(fd, 32, 0).toString('latin1');
    const pid = /^[1-9][0-9]*\n$/.test(text) ? Number(text) : NaN;
    return { pid, dev, ino };
  } finally {
    closeSync(fd);
  }
}

function lock(dir) {
  const file = join(dir, LOCK);
  const mine = join(dir, `lock.${process.pid}.tmp`);
  const aside = join(dir, `lock.${process.pid}.stale.tmp`);
  // Written whole before it is linked into place: a lock is never seen half-written.
  writeFileSync(mine, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 1000; attempt++) {
      try {
        linkSync(mine, file);
        held.add(file);
        if (!exitHookInstalled) {
          exitHookInstalled = true;
          process.on('exit', () => held.forEach(unlock));
        }
        return file;
      } catch (e) {
        if (e.code !== 'EEXIST') throw e;
      }
      const seen = readLock(file);
      if (seen === null) continue; // released meanwhile
      if (Number.isSafeInteger(seen.pid) && alive(seen.pid)) throw new FileStoreLockedError(dir, seen.pid);
      // Left by a dead process (or garbled by a crash): move it aside, and remove it only if
      // it is still the lock seen. Another process may have taken it over meanwhile.
      try {
        renameSync(file, aside);
      } catch (e) {
        if (e.code === 'ENOENT') continue;
        throw e;
      }
      const moved = statSync(aside);
      if (moved.ino !== seen.ino || moved.dev !== seen.dev) {
        try {
          linkSync(aside, file); // someone's new lock: put it back
        } catch (e) {
          if (e.code !== 'EEXIST') throw e;
        }
      }
      unlinkSync(aside);
    }
    throw new Error(`lua-persist: cannot take the lock ${file}`);
  } finally {
    rmSync(mine, { force: true });
  }
}

function unlock(file) {
  held.delete(file);
  try {
    if (readLock(file)?.pid === process.pid) unlinkSync(file);
  } catch {
    // Gone already, or the directory is: nothing to release.
  }
}

// ------------------------------------------------------------------------------ the store

export class FileStore {
  #maxId;
  /** The next free id that DIR/next-free-id holds (durably), 0 when it is absent. */
  #recorded;
  #lock;
  /** The journal, open for appending, and its length. */
  #journal;
  #journalLength = 0;
  /** Key files and table directories changed since the last checkpoint (paths). */
  #dirtyFiles = new Set();
  #dirtyDirs = new Set();
  /** Table ids whose directory this store made or saw while it writes (else it checks). */
  #existingDirs = new Set();
  /** `id:key as latin1` -> the value, or null for none: what was read or written. */
  #cache = new Map();

  /**
   * Opens the store in `dir` (created if missing) and locks it.
   * @param {string} dir
   * @throws {FileStoreLockedError} while another live process has it open
   */
  constructor(dir) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    this.#lock = lock(dir);
    try {
      this.#recorded = this.#readRecorded();
      // Scanned once; then kept as tables appear (Lua asks on every new table). A loop:
      // Math.max(...names) overflows the stack at about 120,000 tables.
      let max = Math.max(FIRST_FREE_ID, this.#recorded) - 1;
      for (const name of readdirSync(dir)) {
        const id = tableId(name);
        if (id > max) max = id;
      }
      this.#maxId = max;
      this.#replayJournal();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Checkpoints and releases the lock; the store refuses writes from then on. */
  close() {
    if (this.#lock === undefined) return;
    try {
      if (this.#journal !== undefined) {
        this.#checkpoint();
        rmSync(join(this.dir, JOURNAL), { force: true }); // empty: a closed store has none
      }
    } finally {
      if (this.#journal !== undefined) closeSync(this.#journal);
      this.#journal = undefined;
      unlock(this.#lock);
      this.#lock = undefined;
    }
  }

  /**
   * Applies the journal's records (each a batch that was reported done, or was about to
   * be), then checkpoints. Called with the lock held, before anything else.
   */
  #replayJournal() {
    const file = join(this.dir, JOURNAL);
    let data;
    try {
      data = readFileSync(file);
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
      data = Buffer.alloc(0);
    }
    let at = 0;
    while (at < data.length) {
      const length = at + 4 <= data.length ? data.readUInt32LE(at) : Infinity;
      const end = at + 4 + length + 32;
      if (end > data.length) break; // cut short by a crash during its append: never done
      const payload = data.subarray(at + 4, at + 4 + length);
      const sum = createHash('sha256').update(payload).digest();
      if (!sum.equals(data.subarray(end - 32, end))) {
        // The last record may hold garbage where its append was cut short; a record with
        // more after it was whole once, so its check failing is damage.
        if (end === data.length) break;
        throw new Error(`lua-persist: ${file} is damaged: the record at byte ${at} fails its check`);
      }
      this.#apply(decodeBatch(payload, file, at));
      at = end;
    }
    this.#journal = openSync(file, 'a');
    this.#journalLength = data.length;
    this.#checkpoint();
  }

  /**
   * Makes every key file written since the last checkpoint durable, then empties the
   * journal (which then no longer needs to be applied again).
   */
  #checkpoint() {
    for (const path of this.#dirtyFiles) {
      let fd;
      try {
        fd = openSync(path, 'r');
      } catch (e) {
        if (e.code === 'ENOENT') continue; // deleted later in the same stretch
        throw e;
      }
      try { fsyncSync(fd); } finally { closeSync(fd); }
    }
    for (const dir of this.#dirtyDirs) {
      try {
        this.#syncDir(dir);
      } catch (e) {
        if (e.code !== 'ENOENT') throw e; // a table directory removed meanwhile
      }
    }
    this.#dirtyFiles.clear();
    this.#dirtyDirs.clear();
    if (this.#journalLength > 0) {
      ftruncateSync(this.#journal, 0);
      fsyncSync(this.#journal);
      this.#journalLength = 0;
    }
  }

  /**
   * Stores `writes` ({id, key, value}; value undefined deletes the key), in order, all or
   * none, durably: one journal record and one fsync, then the key files.
   */
  writeBatch(writes) {
    this.#checkOpen();
    if (writes.length === 0) return;
    const record = encodeBatch(writes);
    writeAll(this.#journal, record);
    fdatasyncSync(this.#journal);
    this.#journalLength += record.length;
    this.#apply(writes);
    if (this.#journalLength > JOURNAL_CHECKPOINT) this.#checkpoint();
  }

  /** Changes the key files (no fsyncs: the journal holds the writes until a checkpoint). */
  #apply(writes) {
    for (const { id, key, value } of writes) {
      if (value === undefined) this.#deleteFile(id, key);
      else this.#writeFile(id, key, value);
      this.#remember(id, key, value === undefined ? null : new Uint8Array(value));
    }
  }

  #remember(id, key, value) {
    if (this.#cache.size >= READ_CACHE_ENTRIES) this.#cache.clear();
    this.#cache.set(`${id}:${Buffer.from(key).toString('latin1')}`, value);
  }

  #checkOpen() {
    if (this.#lock === undefined) throw new Error(`lua-persist: the store ${this.dir} is closed`);
  }

  #tableDir(id) {
    return join(this.dir, String(id));
  }

  #syncDir(dir) {
    const fd = openSync(dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  }

  /** The next free id in DIR/next-free-id, or 0 when there is none. */
  #readRecorded() {
    const file = join(this.dir, NEXT_FREE_ID);
    let text;
    try {
      text = readFileSync(file, 'latin1');
    } catch (e) {
      if (e.code === 'ENOENT') return 0;
      throw e;
    }
    const next = RECORDED.test(text) ? Number(text) : NaN;
    // Written whole and renamed into place, so anything else is damage. Reading on without
    // it could give a new table the id of one that stored references still name.
    if (!(next <= MAX_NEXT_FREE_ID)) {
      throw new Error(`lua-persist: ${file} is damaged: it does not hold a table id`);
    }
    return next;
  }

  /** Records `next` as the next free id, durably, unless a larger one is recorded. */
  #record(next) {
    if (next <= this.#recorded) return;
    const temporary = join(this.dir, NEXT_FREE_ID_TEMPORARY);
    const fd = openSync(temporary, 'w');
    try {
      writeFileSync(fd, `${next}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, join(this.dir, NEXT_FREE_ID));
    this.#syncDir(this.dir);
    this.#recorded = next;
  }

  /**
   * Removes the directory of table `id` if it holds no key (only temporary files, left by
   * writes a crash cut short). Every id used is recorded first, so the next free id does not
   * go down when the directory of the highest id goes. DIR's fsync is left to the next
   * checkpoint (if the removal is lost, the empty directory is found again). Returns
   * whether it was removed.
   */
  #removeIfEmpty(id) {
    const dir = this.#tableDir(id);
    const temporaries = [];
    let entries;
    try {
      entries = opendirSync(dir);
    } catch (e) {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return false;
      throw e;
    }
    try {
      // Stops at the first key: cheap also for a table with many keys.
      for (let entry; (entry = entries.readSync()) !== null;) {
        if (entry.name.endsWith('.tmp')) temporaries.push(entry.name);
        else return false; // a key, or a file the store does not know: kept
      }
    } finally {
      entries.closeSync();
    }
    this.#record(this.#maxId + 1);
    for (const name of temporaries) rmSync(join(dir, name), { force: true });
    try {
      rmdirSync(dir);
      this.#existingDirs.delete(id);
    } catch (e) {
      if (e.code === 'ENOENT' || e.code === 'ENOTEMPTY' || e.code === 'EEXIST') return false;
      throw e;
    }
    this.#dirtyDirs.delete(dir);
    this.#dirtyDirs.add(this.dir);
    return true;
  }

  set(id, key, value) {
    this.writeBatch([{ id, key, value }]);
  }

  #writeFile(id, key, value) {
    const dir = this.#tableDir(id);
    if (!this.#existingDirs.has(id)) {
      mkdirSync(dir, { recursive: true });
      this.#existingDirs.add(id);
      this.#dirtyDirs.add(this.dir);
      this.#maxId = Math.max(this.#maxId, id);
    }
    // Written in place: a file a crash cuts short is written again when the journal is
    // applied at the next open.
    const file = join(dir, fileName(key));
    if (key.length > SHORT_KEY_MAX) {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(key.length);
      writeFileSync(file, Buffer.concat([length, key, value]));
    } else {
      writeFileSync(file, value);
    }
    this.#dirtyFiles.add(file);
    this.#dirtyDirs.add(dir);
  }

  get(id, key) {
    const cached = this.#cache.get(`${id}:${Buffer.from(key).toString('latin1')}`);
    if (cached !== undefined) return cached === null ? undefined : cached.slice();
    const value = this.#read(id, key);
    if (this.#lock !== undefined) this.#remember(id, key, value === undefined ? null : value.slice());
    return value;
  }

  #read(id, key) {
    const name = fileName(key);
    const file = join(this.#tableDir(id), name);
    let data;
    try {
      data = readFileSync(file);
    } catch (e) {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    }
    if (key.length <= SHORT_KEY_MAX) return new Uint8Array(data);
    const stored = storedKey(file, name, data.length, data.subarray(0, 4), (n) => data.subarray(4, 4 + n));
    if (Buffer.compare(stored, key) !== 0) throw new Error(`lua-persist: ${file} holds another key`);
    return new Uint8Array(data.subarray(4 + key.length));
  }

  delete(id, key) {
    this.writeBatch([{ id, key, value: undefined }]);
  }

  #deleteFile(id, key) {
    const dir = this.#tableDir(id);
    const file = join(dir, fileName(key));
    rmSync(file, { force: true });
    this.#dirtyFiles.delete(file);
    // The last key: the directory goes (DIR's fsync at the checkpoint makes both removals
    // durable). Otherwise the fsync of the table's directory does.
    if (!this.#removeIfEmpty(id) && existsSync(dir)) this.#dirtyDirs.add(dir);
  }

  /** The names of the key files of table `id`. */
  #names(id) {
    let names;
    try {
      names = readdirSync(this.#tableDir(id));
    } catch (e) {
      if (e.code === 'ENOENT') return [];
      throw e;
    }
    const keys = names.filter(isKeyName);
    // A directory with no keys: left by a crash, or by an earlier version of this store.
    // Removing it is tidying up: when that fails, the read still answers.
    if (keys.length === 0 && this.#lock !== undefined) {
      try {
        this.#removeIfEmpty(id);
      } catch {
        // Kept; harmless, and found again.
      }
    }
    return keys;
  }

  size(id) {
    return this.#names(id).length;
  }

  /** The keys of table `id`, in byte order. */
  keys(id) {
    const keys = [];
    for (const name of this.#names(id)) {
      if (!name.startsWith(LONG_KEY_PREFIX)) {
        keys.push(Buffer.from(name, 'hex'));
        continue;
      }
      const file = join(this.#tableDir(id), name);
      const fd = openSync(file, 'r');
      try {
        keys.push(storedKey(file, name, fstatSync(fd).size, readAt(fd, 4, 0), (n) => readAt(fd, n, 4)));
      } finally {
        closeSync(fd);
      }
    }
    return keys.sort(Buffer.compare).map((k) => new Uint8Array(k));
  }

  /** The smallest id never used: 3 when empty. */
  nextFreeId() {
    return this.#maxId + 1;
  }

  /** The ids of the tables that have keys, ascending. */
  tableIds() {
    const ids = [];
    for (const name of readdirSync(this.dir)) {
      const id = tableId(name);
      if (id !== undefined && this.size(id) > 0) ids.push(id);
    }
    return ids.sort((a, b) => a - b);
  }

  /** Makes nextFreeId() at least `next` (an import keeps the exporter's ids used): recorded
   * in DIR/next-free-id. */
  reserveIds(next) {
    if (next - 1 > this.#maxId) {
      this.#checkOpen();
      this.#record(next);
      this.#maxId = next - 1;
    }
  }
}
