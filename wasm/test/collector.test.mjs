// The collector over FileStore, through the Node runner: overwriting a table in a loop
// leaves only the live tables on disk (the directories of removed tables go), what a stored
// closure reaches survives, and a table id is never given out twice, also after its table
// was emptied, its directory removed and the store reopened.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './helpers.mjs';

const runScript = join(repoRoot, 'wasm/run.mjs');
// In memory (tmpfs) where there is one: FileStore fsyncs every write, and the loops below
// make thousands of tables (10,000 rounds of the first test take about 7 s there, 100 s on
// this machine's disk).
function memoryDir() {
  try {
    return mkdtempSync('/dev/shm/lua-persist-collector-');
  } catch {
    return undefined;
  }
}
const inMemory = memoryDir();
const tmp = inMemory ?? mkdtempSync(join(tmpdir(), 'lua-persist-collector-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function run(dir, ...args) {
  const r = spawnSync(process.execPath, [runScript, '--store', dir, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The table directories of the store in `dir` (by id, ascending) and their key files. */
function onDisk(dir) {
  const ids = readdirSync(dir).filter((n) => /^[1-9][0-9]*$/.test(n)).map(Number).sort((a, b) => a - b);
  const files = ids.reduce((n, id) => n + readdirSync(join(dir, String(id))).length, 0);
  return { ids, files };
}

const collected = (removed, entries, live) =>
  `collected: removed ${removed} tables (${entries} values); ${live} live; 0 kept until other processes using the store let them go\n`;

test('overwriting a table in a loop: after --collect, only the live tables are on disk', () => {
  // On a disk, 2,000 rounds (4,000 new tables, four automatic collections) make the point.
  const rounds = inMemory ? 10_000 : 2_000;
  const dir = join(tmp, 'overwritten');
  const loop = run(dir, '-e', `for i = 1, ${rounds} do _home.t = {x = i, inner = {i}} end`);
  assert.deepEqual(loop, { code: 0, stdout: '', stderr: '' });
  // The automatic collections ran meanwhile (every 1,000 new tables), and each removed
  // table's directory went with its keys: at most one collection's worth of garbage is left.
  const before = onDisk(dir);
  assert.ok(before.ids.length <= 1_003, `${before.ids.length} table directories after the loop`);
  const c = run(dir, '--collect');
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stderr, /^collected: removed \d+ tables \(\d+ values\); 3 live; 0 kept until/);
  // _home, t and t.inner: three directories, with _home.t, t.x, t.inner and inner[1].
  const after = onDisk(dir);
  assert.deepEqual([after.ids.length, after.files], [3, 4], `left: ${after.ids.join(', ')}`);
  assert.equal(after.ids[0], 1);
  assert.ok(after.ids[2] >= 2 * rounds, 'the live tables are the last ones made');
  // The id after the last one made is recorded, since table directories were removed.
  assert.ok(Number(readFileSync(join(dir, 'next-free-id'), 'utf8')) >= after.ids[2] + 1);
  assert.deepEqual(run(dir, '-e', 'print(_home.t.x, _home.t.inner[1])'),
    { code: 0, stdout: `${rounds}\t${rounds}\n`, stderr: '' });
  assert.deepEqual(run(dir, '--collect'), { code: 0, stdout: '', stderr: collected(0, 0, 3) });
});

test("a table reached only through a stored closure's upvalue survives the collection", () => {
  const dir = join(tmp, 'closure');
  assert.equal(run(dir, '-e', 'local cfg = {v = 42} _home.get = function() return cfg.v end').code, 0);
  // Garbage: more than one automatic collection's worth.
  const garbage = run(dir, '-e', 'for i = 1, 1500 do _home.g = {i} end _home.g = nil');
  assert.equal(garbage.code, 0, garbage.stderr);
  const c = run(dir, '--collect');
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stderr, /^collected: removed \d+ tables \(\d+ values\); 2 live; 0 kept until/);
  assert.deepEqual(run(dir, '-e', 'print(_home.get())'), { code: 0, stdout: '42\n', stderr: '' });
  assert.equal(onDisk(dir).ids.length, 2, '_home and cfg');
});

test('an emptied or removed table keeps its id: new tables after reopening get larger ids', () => {
  const dir = join(tmp, 'ids');
  const id = (expr) => `rawget(${expr}, '__ext_table_id')`;
  // 20 tables, then `_home.last`, the newest, whose directory has the highest id.
  const made = run(dir, '-e', `for i = 1, 20 do _home['t' .. i] = {i} end _home.last = {a = 1} print(${id('_home.last')})`);
  assert.equal(made.code, 0, made.stderr);
  const last = Number(made.stdout);
  assert.ok(last >= 23, made.stdout);
  assert.ok(existsSync(join(dir, String(last))));
  // Empty `_home.last` (still referenced) and drop the others; collect.
  const emptied = run(dir, '-e', `_home.last.a = nil for i = 1, 20 do _home['t' .. i] = nil end
    local d = ext.collect() print(d.removed, d.live)`);
  assert.deepEqual(emptied, { code: 0, stdout: '20\t1\n', stderr: '' });
  assert.deepEqual(onDisk(dir), { ids: [1], files: 1 }, 'only _home.last is left, in _home');
  assert.equal(readFileSync(join(dir, 'next-free-id'), 'utf8'), `${last + 1}\n`);
  // Reopened: `_home.last` is the same, empty table; a new table gets a larger id.
  const again = run(dir, '-e', `print(${id('_home.last')}, #_home.last, _home.last.a)
    local t = ext.table() t.k = 1 _home.new = t print(${id('t')})
    _home.last.b = 2 print(_home.last.b, _home.new.k)`);
  assert.equal(again.code, 0, again.stderr);
  const [lastAgain, size, a, newId, b, k] = again.stdout.trim().split(/\s+/);
  assert.deepEqual([Number(lastAgain), size, a, b, k], [last, '0', 'nil', '2', '1'], again.stdout);
  assert.ok(Number(newId) > last, `the new table's id ${newId} is past ${last}`);
  assert.deepEqual(onDisk(dir).ids, [1, last, Number(newId)]);
});

test('the JS API: lua.newState().collect() over a MemoryStore keeps what is reachable or held', async () => {
  const { LuaModule, MemoryStore } = await import('../lua-persist.mjs');
  const { wasmModule } = await import('./helpers.mjs');
  const store = new MemoryStore();
  const lua = await LuaModule.instantiate(wasmModule, { store });
  const L = lua.newState();
  const ok = (code) => {
    const r = L.exec(code);
    assert.equal(r.status, 0, new TextDecoder().decode(r.stderr));
    return new TextDecoder().decode(r.stdout);
  };
  // 800 new tables: fewer than the 1,000 after which a collection runs by itself.
  ok('for i = 1, 400 do _home.t = {x = i, inner = {i}} end held = ext.table() held.v = 1');
  const done = L.collect();
  assert.deepEqual(done, { live: 4, removed: 798, entries: 1197, deferred: 0, unreadable: 0 });
  assert.equal(ok('print(_home.t.x, _home.t.inner[1], held.v)'), '400\t400\t1\n');
  assert.deepEqual(L.collect().removed, 0);
  ok('held = nil');
  assert.deepEqual(L.collect().removed, 1, 'a table nothing holds any more goes');
  L.close();
});
