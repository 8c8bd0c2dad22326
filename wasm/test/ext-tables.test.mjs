// External tables in the wasm module over a JavaScript store (cu's imports and the
// protocol of src/wasm/host_store.rs): persistence across instances, deletion, iteration,
// values larger than cu's 16 KiB window, and a failing store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wasmModule, text } from './helpers.mjs';
import { LuaModule, MemoryStore, LuaStatus } from '../lua-persist.mjs';

async function stateOver(store) {
  const lua = await LuaModule.instantiate(wasmModule, { store });
  return lua.newState();
}

function run(S, chunk) {
  const r = S.exec(chunk);
  assert.equal(r.status, LuaStatus.OK, text(r.stderr));
  return text(r.stdout);
}

test('_home persists across instances over one store, closures included', async () => {
  const store = new MemoryStore();
  run(await stateOver(store), `local n = 41 _home.f = function() n = n + 1 return n end
    local t = {name = 'cyclic'} t.me = t _home.t = t _home.count = 1`);
  const S = await stateOver(store); // a reload
  assert.equal(run(S, `print(_home.f(), _home.t.me == _home.t, _home.t.name, _home.count)`), '42\ttrue\tcyclic\t1\n');
  run(S, `local t = ext.table() t.x = 5 _home.made = t`);
  assert.equal(run(await stateOver(store), `print(_home.made.x)`), '5\n', 'ext.table ids do not collide across reloads');
});

test('nil deletes, pairs lists the keys, # counts them', async () => {
  const S = await stateOver(new MemoryStore());
  assert.equal(run(S, `_home.a = 1 _home.b = 2 _home[3] = 'c' _home.a = nil
    local keys = {} for k, v in pairs(_home) do keys[#keys + 1] = tostring(k) .. '=' .. tostring(v) end
    table.sort(keys) print(table.concat(keys, ' '), #_home)`), '3=c b=2\t2\n');
});

test('values larger than the 16 KiB window', async () => {
  const store = new MemoryStore();
  run(await stateOver(store), `_home.big = string.rep('x', 100000) .. 'end'`);
  assert.equal(run(await stateOver(store), `print(#_home.big, _home.big:sub(-3))`), '100003\tend\n');
});

test('a failing store raises a Lua error and stays consistent', async () => {
  const store = new MemoryStore();
  const S = await stateOver(store);
  run(S, `_home.keep = 1`);
  const set = store.set.bind(store);
  store.set = () => { throw new Error('quota exceeded'); };
  // The writes are held until the output point (here ext.commit()): there they fail
  // together, and are dropped.
  assert.match(run(S, `print(pcall(function() _home.t = {1, {2}} ext.commit() end))`),
    /^false\t.*external tables: writes not stored: the host store failed/);
  store.set = () => { throw new Error('quota exceeded'); };
  const r = S.exec('_home.u = 1');
  assert.equal(r.status, LuaStatus.ERRRUN);
  assert.match(text(r.stderr), /external tables: writes not stored: the host store failed/);
  assert.match(text(r.stderr), /lua-persist: the store failed: quota exceeded/);
  store.set = set;
  assert.equal(run(S, `print(_home.keep, _home.t)`), '1\tnil\n');
  assert.deepEqual([...store.tables.keys()], [1], 'no orphan tables');
});

test('_io: the host passes input in and reads output back', async () => {
  const store = new MemoryStore();
  const lua = await LuaModule.instantiate(wasmModule, { store });
  const S = lua.newState();
  const shared = { tag: 'x' };
  lua.io.setInput({ name: 'Alice', scores: [1, 2.5, 3], nested: { a: shared, b: shared }, big: 2n ** 60n });
  lua.io.setMetadata({ run: 1 });
  assert.equal(run(S, `local i = _io.input
    print(i.name, #i.scores, i.scores[2], math.type(i.scores[2]), i.nested.a == i.nested.b, i.big == 1 << 60, _io.meta.run)
    local t = ext.table() t.z = 9
    _io.output = {result = i.scores[1] + i.scores[3], list = {'a', 'b'}, made = t, f = print}`),
  'Alice\t3\t2.5\tfloat\ttrue\ttrue\t1\n');
  const out = lua.io.getOutput();
  assert.deepEqual(out, { result: 4, list: ['a', 'b'], made: { z: 9 }, f: null });
  lua.io.clear();
  assert.equal(run(S, `print(_io.input, _io.output, _io.meta)`), 'nil\tnil\tnil\n');
  // Ids made by the host and by Lua never collide (cu's hosts reused _io's own id).
  const ids = [...store.tables.keys()];
  assert.equal(new Set(ids).size, ids.length);
});

test('an empty external table keeps its id across reloads (nothing is written for it)', async () => {
  const { FileStore } = await import('../file-store.mjs');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  for (const store of [new MemoryStore(), new FileStore(mkdtempSync(join(tmpdir(), 'lua-persist-ids-')))]) {
    run(await stateOver(store), `_home.empty = {} _home.made = ext.table()`);
    run(await stateOver(store), `_home.other = {filled = true}`);
    assert.equal(run(await stateOver(store), `print(_home.empty.filled, _home.made.filled, _home.other.filled)`),
      'nil\tnil\ttrue\n', store.constructor.name);
  }
});

test('a fresh store: ids 1 (_home) and 2 (_io) are never given to a new table', async () => {
  const code = `_home.users = {} _home.users.alice = 1
    print(_home.users == _home, _home.alice, ext.table() == _home, _home.users == _io, _home.users.alice)`;
  // A store of the host's own that still says 1 for an empty store, as cu's hosts did.
  const memory = new MemoryStore();
  const legacy = { get: (...a) => memory.get(...a), set: (...a) => memory.set(...a), delete: (...a) => memory.delete(...a),
    size: (id) => memory.size(id), keys: (id) => memory.keys(id), nextFreeId: () => 1 };
  const { FileStore } = await import('../file-store.mjs');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const files = new FileStore(mkdtempSync(join(tmpdir(), 'lua-persist-fresh-')));
  for (const store of [new MemoryStore(), files, legacy]) {
    assert.ok(store.nextFreeId() >= 3 || store === legacy);
    assert.equal(run(await stateOver(store), code), 'false\tnil\tfalse\tfalse\t1\n');
    assert.equal(run(await stateOver(store), `print(_home.users == _home, _home.alice, _io.alice, _io.users,
      _home.users.alice, rawget(_home.users, '__ext_table_id'))`), 'false\tnil\tnil\tnil\t1\t3\n', 'reloaded');
  }
  files.close();
  rmSync(files.dir, { recursive: true });
});

test('_io: an empty object or array from the host keeps its id; new Lua tables do not take it', async () => {
  const store = new MemoryStore();
  const lua = await LuaModule.instantiate(wasmModule, { store });
  lua.io.setInput({ empty: {}, list: [] });
  assert.equal(store.nextFreeId(), 6);
  const S = lua.newState();
  assert.equal(run(S, `local t = ext.table() t.x = 1 local u = ext.table() u.y = 2
    print(_io.input.empty.x, _io.input.list.y, #_io.input.empty, #_io.input.list, t == _io.input.empty)`),
  'nil\tnil\t0\t0\tfalse\n');
});

test('a proxy\'s metatable is protected: scripts cannot make writes stop reaching the store', async () => {
  const store = new MemoryStore();
  const S = await stateOver(store);
  assert.equal(run(S, `print(getmetatable(_home), getmetatable(_io), getmetatable(ext.table()))
    print(pcall(setmetatable, _home, {}))
    _home.still = 'stored'`),
  'external table\texternal table\texternal table\nfalse\tcannot change a protected metatable\n');
  assert.equal(run(await stateOver(store), 'print(_home.still)'), 'stored\n');
});
