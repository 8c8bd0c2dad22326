// The checks every JavaScript external-table store passes (MemoryStore, FileStore,
// IdbStore). Plain ES module without imports, so the browser test runs it in a page too.
// A store kind is { fresh(): store, reopen?(store): store, close?(store) } (each may be
// async); reopen closes the store and opens the same one again (persistent stores only).

const bytes = (text) => new TextEncoder().encode(text);
const list = (value) => (value === undefined ? null : [...value]);
const show = (value) => JSON.stringify(value, (k, v) => (v instanceof Uint8Array ? [...v] : v));

function compareBytes(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function same(actual, expected, what) {
  if (show(actual) !== show(expected)) {
    throw new Error(`${what}: expected ${show(expected).slice(0, 300)}, got ${show(actual).slice(0, 300)}`);
  }
}

/** A key of `length` bytes with binary content: 0x00, '/', '.', 0xff and the rest. */
function binaryKey(length, seed) {
  const key = new Uint8Array(length);
  for (let i = 0; i < length; i++) key[i] = (i * 31 + seed) % 256;
  key[0] = seed;
  if (length > 1) key[length - 1] = 0x00;
  if (length > 2) key[1] = 0x2f; // '/'
  if (length > 3) key[2] = 0x2e; // '.'
  return key;
}

// 1, 127, 128, 255, 300 and 10,000 bytes, and keys that are prefixes of each other.
const KEY_LENGTHS = [1, 2, 63, 125, 126, 127, 128, 129, 255, 256, 300, 10_000];
const keysOfAnyLength = () => [
  ...KEY_LENGTHS.map((n) => binaryKey(n, 0x61)),
  ...KEY_LENGTHS.map((n) => binaryKey(n, 0x00)), // the first is the key 00
  Uint8Array.of(0x2f), Uint8Array.of(0x2e), Uint8Array.of(0x2e, 0x2e), Uint8Array.of(0xff),
  new Uint8Array(128).fill(0x61), new Uint8Array(127).fill(0x61), new Uint8Array(129).fill(0x61),
];
const valueFor = (key, i) => Uint8Array.of(0x04, i, key.length & 0xff, key.length >> 8, key[0]);

/** The keys of table `id`, checked to be exact copies; sorted in byte order unless `ordered`. */
function keysOf(store, id, ordered) {
  const keys = store.keys(id).map((k) => {
    if (!(k instanceof Uint8Array)) throw new Error(`keys(${id}) gave a ${typeof k}, not a Uint8Array`);
    return k;
  });
  return ordered ? keys : keys.sort(compareBytes);
}

/** A Lua state of a new instance over `store`, and a function that runs a chunk in it. */
async function luaOver(store, { LuaModule, wasmModule }) {
  const lua = await LuaModule.instantiate(wasmModule, { store });
  const S = lua.newState();
  const decode = (b) => new TextDecoder().decode(b);
  return (chunk) => {
    const r = S.exec(chunk);
    return { status: r.status, out: decode(r.stdout), err: decode(r.stderr) };
  };
}

/** Lua's stored integer (FORMAT.md: 02 + i64 LE). */
const storedInteger = (n) => Uint8Array.of(0x02, n, 0, 0, 0, 0, 0, 0, 0);

/** [name, async (kind, options) => void]: each throws an Error saying what is wrong. */
export const storeChecks = [
  ['writeBatch: writes in order, deletes included, kept across reopening', async (kind) => {
    let s = await kind.fresh();
    s.set(3, bytes('gone'), Uint8Array.of(1));
    s.writeBatch([
      { id: 3, key: bytes('a'), value: Uint8Array.of(1) },
      { id: 3, key: bytes('a'), value: Uint8Array.of(2) },
      { id: 3, key: bytes('gone'), value: undefined },
      { id: 4, key: bytes('b'), value: Uint8Array.of(3) },
    ]);
    const state = () => [list(s.get(3, bytes('a'))), list(s.get(3, bytes('gone'))), s.size(3), list(s.get(4, bytes('b')))];
    same(state(), [[2], null, 1, [3]], 'after the batch');
    if (kind.reopen) {
      s = await kind.reopen(s);
      same(state(), [[2], null, 1, [3]], 'after reopening');
    }
    await kind.close?.(s);
  }],
  ['through the module: writes reach the store at output points; atomic blocks all or nothing', async (kind, options) => {
    let s = await kind.fresh();
    const run = await luaOver(s, options);
    same(run("_home.a = 1 _home.t = {k = 'v'}").status, 0, 'a chunk');
    same(list(s.get(1, bytes('a'))), [...storedInteger(1)], 'stored at the end of the chunk');
    // Held writes are read back at once, counted and listed, before they are stored.
    same(run("_home.b = 2 _home.a = nil print(_home.b, _home.a, #_home) local n = 0 for k in pairs(_home) do n = n + 1 end print(n)").out,
      '2\tnil\t2\n2\n', 'held writes');
    // A failed block stores nothing and reads as before.
    const failed = run("ext.atomic(function() _home.a = 5 _home.t.k = nil _home.n = {1} error('undo me') end)");
    same([failed.status, /undo me/.test(failed.err)], [2, true], 'the failed block');
    same(run('print(_home.a, _home.t.k, _home.n)').out, 'nil\tv\tnil\n', 'after the failed block');
    same(list(s.get(1, bytes('n'))), null, 'nothing of the failed block in the store');
    // A good block is stored when it ends, before the chunk does (which then fails).
    const after = run("print(ext.atomic(function(x) _home.a = x return x + 1 end, 41)) error('after the block')");
    same([after.out, after.status], ['42\n', 2], 'a good block, then an error');
    same(list(s.get(1, bytes('a'))), [...storedInteger(41)], 'the good block is stored');
    // Nested blocks join: the outer failure takes the inner writes with it.
    same(run("print(pcall(ext.atomic, function() ext.atomic(function() _home.inner = 1 end) error('outer', 0) end)) print(_home.inner)").out,
      'false\touter\nnil\n', 'nested blocks');
    // A chunk that fails outside any block still stores what it wrote before the error.
    same(run("_home.d = 4 error('late')").status, 2, 'a failing chunk');
    same(list(s.get(1, bytes('d'))), [...storedInteger(4)], 'its writes');
    if (kind.reopen) {
      s = await kind.reopen(s);
      const again = await luaOver(s, options);
      same(again('print(_home.a, _home.b, _home.d, _home.t.k, _home.inner, _home.n)').out, '41\t2\t4\tv\tnil\tnil\n', 'after reopening');
    }
    await kind.close?.(s);
  }],
  ['a fresh store: ids 1 (_home) and 2 (_io) are taken, nothing is stored', async (kind) => {
    const s = await kind.fresh();
    same(s.nextFreeId(), 3, 'nextFreeId() of a fresh store');
    for (const id of [1, 2, 3]) {
      same([s.size(id), s.keys(id).length, list(s.get(id, bytes('a')))], [0, 0, null], `table ${id}`);
    }
    await kind.close?.(s);
  }],

  ['set, get, overwrite, delete, size, keys', async (kind, { ordered }) => {
    const s = await kind.fresh();
    s.set(1, bytes('b'), Uint8Array.of(2));
    s.set(1, bytes('a'), Uint8Array.of(1));
    s.set(1, bytes('a'), Uint8Array.of(3)); // overwrites
    const mine = Uint8Array.of(7);
    s.set(1, bytes('m'), mine);
    mine[0] = 9; // the store keeps its own copy
    s.set(1, bytes('gone'), Uint8Array.of(5));
    s.delete(1, bytes('gone'));
    s.delete(1, bytes('never set'));
    s.delete(4, bytes('never set')); // a table that never existed
    s.set(2, bytes('input'), Uint8Array.of(0x01, 1));
    same([list(s.get(1, bytes('a'))), list(s.get(1, bytes('b'))), list(s.get(1, bytes('m'))), list(s.get(1, bytes('gone')))],
      [[3], [2], [7], null], 'values');
    same(s.size(1), 3, 'size(1)');
    same(keysOf(s, 1, ordered), [bytes('a'), bytes('b'), bytes('m')], 'keys(1)');
    same([s.size(2), list(s.get(2, bytes('input')))], [1, [1, 1]], 'table 2');
    same(s.nextFreeId(), 3, 'nextFreeId() after writing tables 1 and 2');
    const large = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
    s.set(3, bytes('large'), large);
    same(s.get(3, bytes('large'))?.length, large.length, 'a 300 KB value');
    same(s.get(3, bytes('large')).every((v, i) => v === large[i]), true, 'a 300 KB value is read back');
    await kind.close?.(s);
  }],

  ['keys of any length and any bytes: 1 to 10,000 bytes, 0x00, "/", "."', async (kind, { ordered }) => {
    const s = await kind.fresh();
    const keys = keysOfAnyLength();
    keys.forEach((key, i) => s.set(5, key, valueFor(key, i)));
    const check = (store, when) => {
      keys.forEach((key, i) => same(list(store.get(5, key)), list(valueFor(key, i)), `${when}: the ${key.length}-byte key ${i}`));
      same(store.size(5), keys.length, `${when}: size`);
      same(keysOf(store, 5, ordered), keys.slice().sort(compareBytes), `${when}: keys() in byte order`);
    };
    check(s, 'written');
    // Overwrite and delete the long ones.
    keys.forEach((key, i) => {
      if (key.length >= 128) s.set(5, key, valueFor(key, i + 100));
    });
    keys.forEach((key, i) => same(list(s.get(5, key)), list(valueFor(key, key.length >= 128 ? i + 100 : i)), `overwritten key ${i}`));
    keys.forEach((key, i) => s.set(5, key, valueFor(key, i)));
    const reopened = kind.reopen ? await kind.reopen(s) : s;
    check(reopened, 'reopened');
    for (const key of keys) reopened.delete(5, key);
    same([reopened.size(5), reopened.keys(5).length], [0, 0], 'all deleted');
    same(keys.map((key) => reopened.get(5, key)).filter((v) => v !== undefined).length, 0, 'deleted keys read as missing');
    await kind.close?.(reopened);
  }],

  ['nextFreeId and reserveIds: past every table used, never down', async (kind) => {
    let s = await kind.fresh();
    s.reserveIds(2); // below the reserved ids: no change
    same(s.nextFreeId(), 3, 'reserveIds(2)');
    s.set(6, bytes('x'), Uint8Array.of(1));
    same(s.nextFreeId(), 7, 'after writing table 6');
    s.delete(6, bytes('x')); // id 6 stays taken
    same(s.nextFreeId(), 7, 'after deleting its only key');
    s.set(4, bytes('y'), Uint8Array.of(1));
    same(s.nextFreeId(), 7, 'after writing table 4');
    s.reserveIds(12);
    same(s.nextFreeId(), 12, 'reserveIds(12)');
    s.reserveIds(5);
    same(s.nextFreeId(), 12, 'reserveIds(5) does not lower it');
    same([s.size(12), s.size(11), s.keys(11).length], [0, 0, 0], 'reserved tables have no keys');
    if (kind.reopen) {
      s = await kind.reopen(s);
      same(s.nextFreeId(), 12, 'after reopening');
      s.reserveIds(20);
      s = await kind.reopen(s);
      same(s.nextFreeId(), 20, 'reserveIds(20), reopened');
      s.delete(4, bytes('y'));
      s = await kind.reopen(s);
      same([s.nextFreeId(), s.size(4)], [20, 0], 'no keys left, reopened');
    }
    await kind.close?.(s);
  }],

  ["an emptied table's id stays used across reopen", async (kind) => {
    // A store may drop what an emptied table leaves (FileStore removes its directory), but
    // not its id: stored references may still name the table.
    let s = await kind.fresh();
    s.set(4, bytes('a'), Uint8Array.of(1));
    s.set(9, bytes('a'), Uint8Array.of(1));
    s.set(9, bytes('b'), Uint8Array.of(2));
    s.delete(9, bytes('a'));
    s.delete(9, bytes('b')); // the highest table loses its last key
    same([s.nextFreeId(), s.size(9), s.keys(9).length], [10, 0, 0], 'table 9 emptied');
    s.delete(4, bytes('a'));
    same(s.nextFreeId(), 10, 'every table emptied');
    if (kind.reopen) {
      s = await kind.reopen(s);
      same([s.nextFreeId(), s.size(9), s.size(4), list(s.get(9, bytes('a')))], [10, 0, 0, null], 'reopened');
      s = await kind.reopen(s);
      same(s.nextFreeId(), 10, 'reopened twice');
    }
    s.set(9, bytes('c'), Uint8Array.of(3)); // an emptied table takes keys again
    s.set(10, bytes('x'), Uint8Array.of(4));
    s.delete(10, bytes('x'));
    same([s.nextFreeId(), list(s.get(9, bytes('c')))], [11, [3]], 'table 9 written again, table 10 emptied');
    if (kind.reopen) {
      s = await kind.reopen(s);
      same([s.nextFreeId(), s.size(9), s.size(10)], [11, 1, 0], 'reopened after table 10 was emptied');
    }
    await kind.close?.(s);
  }],

  ['a fresh store stays at 3 across reopening', async (kind) => {
    if (!kind.reopen) return;
    let s = await kind.fresh();
    s = await kind.reopen(s);
    same(s.nextFreeId(), 3, 'reopened empty');
    s.set(1, bytes('home'), Uint8Array.of(1));
    s = await kind.reopen(s);
    same([s.nextFreeId(), list(s.get(1, bytes('home')))], [3, [1]], 'table 1 written, reopened');
    await kind.close?.(s);
  }],
];

/** Runs every check; returns [[name, message]] for the ones that failed. */
export async function runStoreChecks(kind, options = {}) {
  const failures = [];
  for (const [name, check] of storeChecks) {
    try {
      await check(kind, options);
    } catch (e) {
      failures.push([name, e.stack ?? String(e)]);
    }
  }
  return failures;
}
