// A durable external-table store for Node: one directory per table, one file per key
// (named by the key's hex), each written to a temporary file, fsynced and renamed into
// place, so a write the store reports as done survives a crash of the process. One
// process at a time: there is no locking, and the next free id is kept in memory.
import { mkdirSync, readdirSync, readFileSync, writeFileSync, renameSync, rmSync,
  openSync, fsyncSync, closeSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const hex = (bytes) => Buffer.from(bytes).toString('hex');

export class FileStore {
  /** @param {string} dir created if missing */
  #maxId;
  constructor(dir) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    // Scanned once; then kept as tables appear (Lua asks on every new table).
    this.#maxId = Math.max(0, ...readdirSync(dir).map(Number).filter(Number.isInteger));
  }

  #tableDir(id) {
    return join(this.dir, String(id));
  }

  #syncDir(dir) {
    const fd = openSync(dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  }

  set(id, key, value) {
    const dir = this.#tableDir(id);
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true });
      this.#syncDir(this.dir);
      this.#maxId = Math.max(this.#maxId, id);
    }
    const file = join(dir, hex(key));
    const temporary = `${file}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeFileSync(fd, value);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
    this.#syncDir(dir);
  }

  get(id, key) {
    try {
      return new Uint8Array(readFileSync(join(this.#tableDir(id), hex(key))));
    } catch (e) {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    }
  }

  delete(id, key) {
    rmSync(join(this.#tableDir(id), hex(key)), { force: true });
    if (existsSync(this.#tableDir(id))) this.#syncDir(this.#tableDir(id));
  }

  #names(id) {
    try {
      return readdirSync(this.#tableDir(id)).filter((n) => !n.endsWith('.tmp')).sort();
    } catch (e) {
      if (e.code === 'ENOENT') return [];
      throw e;
    }
  }

  size(id) {
    return this.#names(id).length;
  }

  keys(id) {
    return this.#names(id).map((n) => new Uint8Array(Buffer.from(n, 'hex')));
  }

  nextFreeId() {
    return this.#maxId + 1;
  }

  /** The ids of the tables that have keys, ascending. */
  tableIds() {
    return readdirSync(this.dir).map(Number).filter((id) => Number.isInteger(id) && id > 0)
      .sort((a, b) => a - b).filter((id) => this.size(id) > 0);
  }

  /** Makes nextFreeId() at least `next` (an import keeps the exporter's ids used). */
  reserveIds(next) {
    if (next - 1 > this.#maxId) {
      mkdirSync(this.#tableDir(next - 1), { recursive: true });
      this.#syncDir(this.dir);
      this.#maxId = next - 1;
    }
  }
}
