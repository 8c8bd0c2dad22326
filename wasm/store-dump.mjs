// Store dumps for Node: every entry of an external-table store in one file, to move a
// store between hosts (`node wasm/run.mjs --export/--import`, `lua-persist --export/
// --import`). The layout is FORMAT.md's "Store dump"; values are copied byte for byte.
import { createHash } from 'node:crypto';

const MAGIC = 'LPSTDUMP';
const VERSION = 1;
const ENTRY = 0x01;
const END = 0x00;

export class DumpError extends Error {
  constructor(message) {
    super(message);
    this.name = 'DumpError';
  }
}

/** The ids of the tables of `store` that have keys, ascending. */
function tableIds(store) {
  if (typeof store.tableIds === 'function') return store.tableIds();
  const ids = [];
  for (let id = 1; id < store.nextFreeId(); id++) if (store.size(id) > 0) ids.push(id);
  return ids;
}

/** Every entry of `store`: { nextFreeId, entries: [{ tableId, key, value }] }. */
export function readStore(store) {
  const entries = [];
  for (const tableId of tableIds(store)) {
    for (const key of store.keys(tableId)) {
      const value = store.get(tableId, key);
      if (value !== undefined) entries.push({ tableId, key, value });
    }
  }
  return { nextFreeId: store.nextFreeId(), entries };
}

/** Writes a dump into `store`, which must be empty. */
export function writeStore(store, dump) {
  const used = tableIds(store);
  if (used.length) {
    throw new DumpError(`the target store is not empty (table ${used[0]} has keys): import only into an empty store`);
  }
  for (const { tableId, key, value } of dump.entries) store.set(tableId, key, value);
  if (store.nextFreeId() < dump.nextFreeId) {
    if (typeof store.reserveIds !== 'function') {
      throw new DumpError(`this store cannot reserve table ids below ${dump.nextFreeId}`);
    }
    store.reserveIds(dump.nextFreeId);
  }
}

/** The dump's bytes. */
export function encodeDump({ nextFreeId, entries }) {
  const parts = [];
  const u32 = (n) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    parts.push(b);
  };
  parts.push(Buffer.from(MAGIC, 'latin1'));
  u32(VERSION);
  u32(nextFreeId);
  for (const { tableId, key, value } of entries) {
    parts.push(Buffer.from([ENTRY]));
    u32(tableId);
    u32(key.length);
    parts.push(Buffer.from(key));
    u32(value.length);
    parts.push(Buffer.from(value));
  }
  parts.push(Buffer.from([END]));
  u32(entries.length);
  const body = Buffer.concat(parts);
  const digest = createHash('sha256').update(body).digest();
  return new Uint8Array(Buffer.concat([body, digest]));
}

/** Parses a dump; throws DumpError saying what is wrong. */
export function decodeDump(bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const corrupt = (why) => new DumpError(`the store dump is truncated or corrupt at byte ${at}: ${why}`);
  const take = (n) => {
    if (at + n > buf.length) throw corrupt('it ends early');
    const slice = buf.subarray(at, at + n);
    at += n;
    return slice;
  };
  const u32 = () => take(4).readUInt32LE(0);
  if (buf.length < 8 || buf.toString('latin1', 0, 8) !== MAGIC) {
    throw new DumpError('not a lua-persist store dump (it does not start with "LPSTDUMP")');
  }
  at = 8;
  const version = u32();
  if (version !== VERSION) {
    throw new DumpError(`store dump version ${version} is not supported (this build reads version ${VERSION})`);
  }
  const dump = { nextFreeId: u32(), entries: [] };
  for (;;) {
    const tag = take(1)[0];
    if (tag === END) break;
    if (tag !== ENTRY) throw corrupt('an unknown record tag');
    const tableId = u32();
    if (tableId === 0) throw corrupt('table id 0');
    const key = new Uint8Array(take(u32()));
    if (key.length === 0) throw corrupt('an empty key');
    const value = new Uint8Array(take(u32()));
    if (value.length === 0) throw corrupt('an empty value');
    dump.entries.push({ tableId, key, value });
  }
  const count = u32();
  const checked = at;
  const digest = take(32);
  if (at !== buf.length) throw corrupt('bytes after the checksum');
  if (!createHash('sha256').update(buf.subarray(0, checked)).digest().equals(digest)) {
    throw new DumpError("the store dump's checksum does not match: the file was altered or damaged");
  }
  if (count !== dump.entries.length) throw corrupt('the entry count does not match the entries');
  return dump;
}
