// FileStore: a write that returned survives the process being killed (SIGKILL) mid-loop,
// and the store opens cleanly afterwards; so does the next free id when emptied tables'
// directories are removed; its layout (old store directories, DIR/next-free-id, long keys,
// many tables) and its lock. store-conformance.test.mjs has the checks every store passes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileStore, FileStoreLockedError } from '../file-store.mjs';
import { repoRoot } from './helpers.mjs';

const storeModule = fileURLToPath(new URL('../file-store.mjs', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'lua-persist-file-store-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const bytes = (text) => new TextEncoder().encode(text);
const list = (value) => (value === undefined ? null : [...value]);

test('acknowledged writes survive SIGKILL', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'lua-persist-store-')), 'store');
  // A writer that reports each key after set() returned.
  const writer = spawn(process.execPath, ['--input-type=module', '-e', `
    import { FileStore } from ${JSON.stringify(storeModule)};
    const store = new FileStore(${JSON.stringify(dir)});
    for (let i = 0; ; i++) {
      store.set(3, new TextEncoder().encode('k' + i), new Uint8Array([4, 1, 0, 0, 0, i % 256]));
      process.stdout.write(i + '\\n');
    }`]);
  let acknowledged = -1;
  await new Promise((resolve) => {
    writer.stdout.on('data', (chunk) => {
      const lines = chunk.toString().trim().split('\n');
      acknowledged = Number(lines[lines.length - 1]);
      if (acknowledged >= 200) {
        writer.kill('SIGKILL');
        resolve();
      }
    });
  });
  await new Promise((resolve) => writer.on('exit', resolve));
  const store = new FileStore(dir);
  for (let i = 0; i <= acknowledged; i++) {
    const v = store.get(3, new TextEncoder().encode('k' + i));
    assert.deepEqual(v && [...v], [4, 1, 0, 0, 0, i % 256], `key k${i} (acknowledged up to ${acknowledged})`);
  }
  assert.ok(store.size(3) >= acknowledged + 1);
  assert.equal(store.nextFreeId(), 4);
  assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), `${process.pid}\n`, "the killed writer's lock is taken over");
  store.close();
});

test('a table emptied and its directory removed: the next free id survives SIGKILL at any step', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'lua-persist-store-')), 'store');
  // A writer that makes tables and empties them, reporting each once delete() returned.
  const writer = spawn(process.execPath, ['--input-type=module', '-e', `
    import { FileStore } from ${JSON.stringify(storeModule)};
    const store = new FileStore(${JSON.stringify(dir)});
    store.set(1, Uint8Array.of(0x61), Uint8Array.of(1, 1));
    for (let id = 3; ; id++) {
      store.set(id, Uint8Array.of(0x6b), Uint8Array.of(1, 1));
      store.delete(id, Uint8Array.of(0x6b));
      process.stdout.write(id + '\\n');
    }`]);
  let acknowledged = 0;
  await new Promise((resolve) => {
    writer.stdout.on('data', (chunk) => {
      const lines = chunk.toString().trim().split('\n');
      acknowledged = Number(lines[lines.length - 1]);
      if (acknowledged >= 150) {
        writer.kill('SIGKILL');
        resolve();
      }
    });
  });
  await new Promise((resolve) => writer.on('exit', resolve));
  const store = new FileStore(dir);
  assert.ok(store.nextFreeId() > acknowledged, `nextFreeId ${store.nextFreeId()}, tables up to ${acknowledged} made`);
  for (let id = 3; id <= acknowledged; id++) assert.equal(store.size(id), 0, `table ${id}`);
  // The table after the last one acknowledged may have been made and not yet emptied.
  assert.ok(store.tableIds().every((id) => id === 1 || id === acknowledged + 1), `tables ${store.tableIds()}`);
  // What the kill cut short is found and removed (a directory with no key, or write.tmp).
  const tables = readdirSync(dir).filter((n) => /^[0-9]+$/.test(n));
  assert.ok(tables.length <= 2, `table directories left: ${tables}`);
  const next = store.nextFreeId();
  store.close();
  const again = new FileStore(dir);
  assert.equal(again.nextFreeId(), next);
  again.close();
});

test("deleting a table's last key removes its directory; DIR/next-free-id keeps its id", () => {
  const dir = join(tmp, 'emptied');
  const entries = () => readdirSync(dir).filter((n) => n !== 'lock' && n !== 'journal').sort();
  let store = new FileStore(dir);
  store.set(1, bytes('a'), Uint8Array.of(0x01, 1));
  store.set(5, bytes('a'), Uint8Array.of(0x01, 1));
  store.set(5, bytes('b'), Uint8Array.of(0x01, 1));
  store.set(7, bytes('a'), Uint8Array.of(0x01, 1));
  assert.deepEqual(entries(), ['1', '5', '7'], 'nothing recorded while every id has its directory');
  store.delete(7, bytes('a'));
  assert.deepEqual(entries(), ['1', '5', 'next-free-id']);
  assert.equal(readFileSync(join(dir, 'next-free-id'), 'utf8'), '8\n');
  store.delete(5, bytes('a'));
  assert.deepEqual(entries(), ['1', '5', 'next-free-id'], 'a table with keys left keeps its directory');
  store.delete(5, bytes('b'));
  store.delete(5, bytes('b')); // again: nothing there
  store.delete(12, bytes('b')); // a table that never existed
  assert.deepEqual([entries(), store.nextFreeId(), store.size(5), store.tableIds()], [['1', 'next-free-id'], 8, 0, [1]]);
  store.close();
  store = new FileStore(dir);
  assert.equal(store.nextFreeId(), 8, 'reopened');
  store.set(7, bytes('c'), Uint8Array.of(0x01, 0)); // an emptied table takes keys again
  store.set(9, bytes('c'), Uint8Array.of(0x01, 0));
  assert.deepEqual([entries(), store.nextFreeId()], [['1', '7', '9', 'next-free-id'], 10]);
  assert.equal(readFileSync(join(dir, 'next-free-id'), 'utf8'), '8\n', 'recorded only when a directory goes');
  store.delete(7, bytes('c'));
  assert.equal(readFileSync(join(dir, 'next-free-id'), 'utf8'), '10\n', 'the id past table 9');
  store.close();
  store = new FileStore(dir);
  assert.deepEqual([store.nextFreeId(), list(store.get(9, bytes('c')))], [10, [0x01, 0]]);
  store.close();
});

test('reserveIds records the id in DIR/next-free-id and makes no directory', () => {
  const dir = join(tmp, 'reserved');
  let store = new FileStore(dir);
  store.reserveIds(40);
  store.reserveIds(20);
  assert.deepEqual([store.nextFreeId(), readdirSync(dir).sort()], [40, ['journal', 'lock', 'next-free-id']]);
  assert.equal(readFileSync(join(dir, 'next-free-id'), 'utf8'), '40\n');
  store.close();
  store = new FileStore(dir);
  assert.equal(store.nextFreeId(), 40);
  store.close();
});

test('left by a crash or an earlier version: an empty table directory is harmless, and removed when found', () => {
  const dir = join(tmp, 'leftovers');
  mkdirSync(join(dir, '1'), { recursive: true });
  writeFileSync(join(dir, '1', '61'), Uint8Array.of(0x01, 1));
  mkdirSync(join(dir, '5')); // emptied under the earlier layout, which kept the directory
  mkdirSync(join(dir, '7')); // a crash after making the directory, before the first key
  writeFileSync(join(dir, '7', 'write.tmp'), Uint8Array.of(0x01));
  mkdirSync(join(dir, '8')); // something the store does not know: kept
  writeFileSync(join(dir, '8', 'notes.txt'), 'mine');
  mkdirSync(join(dir, '9')); // a crash between deleting the last key and removing the directory
  writeFileSync(join(dir, 'next-free-id.tmp'), '12'); // a crash while recording
  let store = new FileStore(dir);
  assert.equal(store.nextFreeId(), 10, 'the empty directories count; next-free-id.tmp does not');
  assert.equal(store.size(9), 0);
  assert.equal(existsSync(join(dir, '9')), false, 'found empty: removed');
  assert.equal(readFileSync(join(dir, 'next-free-id'), 'utf8'), '10\n', 'after recording the id past it');
  assert.deepEqual(store.tableIds(), [1]);
  assert.deepEqual(readdirSync(dir).sort(), ['1', '8', 'journal', 'lock', 'next-free-id'], 'next-free-id.tmp was written over');
  store.close();
  store = new FileStore(dir);
  assert.equal(store.nextFreeId(), 10, 'reopened');
  store.set(3, bytes('a'), Uint8Array.of(0x01, 1));
  assert.deepEqual(store.tableIds(), [1, 3]);
  store.close();
});

test('DIR/next-free-id: the larger of it and the table directories; a damaged one is refused', () => {
  const dir = join(tmp, 'recorded');
  mkdirSync(join(dir, '5'), { recursive: true });
  writeFileSync(join(dir, 'next-free-id'), '100\n');
  let store = new FileStore(dir);
  assert.equal(store.nextFreeId(), 100);
  store.close();
  writeFileSync(join(dir, 'next-free-id'), '3\n');
  store = new FileStore(dir);
  assert.equal(store.nextFreeId(), 6);
  store.close();
  for (const damaged of ['', 'junk', '12', '0\n', '99999999999\n']) {
    writeFileSync(join(dir, 'next-free-id'), damaged);
    assert.throws(() => new FileStore(dir), /next-free-id is damaged/, JSON.stringify(damaged));
    assert.equal(existsSync(join(dir, 'lock')), false, 'a refused store is not left locked');
  }
});

test('a store directory of the earlier layout reads as before', () => {
  const dir = join(tmp, 'earlier');
  mkdirSync(join(dir, '1'), { recursive: true });
  mkdirSync(join(dir, '9'));
  writeFileSync(join(dir, '1', '6b'), Uint8Array.of(0x02, 7, 0, 0, 0, 0, 0, 0, 0)); // "k"
  writeFileSync(join(dir, '1', '00ff2f'), Uint8Array.of(0x01, 1));
  writeFileSync(join(dir, '1', '6a.tmp'), Uint8Array.of(0x01, 0)); // a write cut short
  const store = new FileStore(dir);
  assert.deepEqual(store.keys(1).map(list), [[0x00, 0xff, 0x2f], [0x6b]]);
  assert.deepEqual([list(store.get(1, bytes('k'))), store.size(1), store.nextFreeId()], [[2, 7, 0, 0, 0, 0, 0, 0, 0], 2, 10]);
  store.set(1, bytes('k'), Uint8Array.of(0x01, 0));
  assert.deepEqual(readFileSync(join(dir, '1', '6b')), Buffer.from([0x01, 0]), 'a short key keeps its hex name');
  store.close();
});

test('a key longer than 127 bytes: a file named by its SHA-256, holding the key and the value', () => {
  const dir = join(tmp, 'long-keys');
  const store = new FileStore(dir);
  const short = new Uint8Array(127).fill(0x2f); // '/' x 127: its hex name is 254 characters
  const long = new Uint8Array(128).fill(0x2f);
  store.set(3, short, Uint8Array.of(0x01, 1));
  store.set(3, long, Uint8Array.of(0x01, 0));
  const hashed = `k-${createHash('sha256').update(long).digest('hex')}`;
  assert.deepEqual(readdirSync(join(dir, '3')).sort(), [Buffer.from(short).toString('hex'), hashed].sort());
  const file = readFileSync(join(dir, '3', hashed));
  assert.deepEqual([file.readUInt32LE(0), [...file.subarray(4, 132)], [...file.subarray(132)]], [128, [...long], [0x01, 0]]);
  store.close();
  // A file whose recorded key does not match its name is damage, not another key.
  writeFileSync(join(dir, '3', hashed), Buffer.concat([file.subarray(0, 4), Buffer.alloc(128, 0x61), Uint8Array.of(1, 0)]));
  const again = new FileStore(dir);
  assert.throws(() => again.get(3, long), /damaged/);
  assert.throws(() => again.keys(3), /damaged/);
  again.close();
});

test('150,000 table directories open (the id scan is a loop, not a spread), and empty ones go', () => {
  // In memory (tmpfs) where there is one: on a disk, making and removing them takes a minute.
  let dir;
  try {
    dir = mkdtempSync('/dev/shm/lua-persist-many-');
  } catch {
    dir = join(tmp, 'many');
    mkdirSync(dir);
  }
  for (let id = 1; id <= 150_000; id++) mkdirSync(join(dir, String(id)));
  try {
    const store = new FileStore(dir);
    assert.equal(store.nextFreeId(), 150_001);
    store.set(150_001, bytes('k'), Uint8Array.of(0x01, 1));
    assert.deepEqual(store.tableIds(), [150_001]);
    // Empty, as an earlier version of the store left emptied tables: tableIds() removed them.
    assert.deepEqual(readdirSync(dir).sort(), ['150001', 'journal', 'lock', 'next-free-id']);
    store.close();
    const again = new FileStore(dir);
    assert.equal(again.nextFreeId(), 150_002);
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the lock: one FileStore at a time; close() releases it and refuses writes after', () => {
  const dir = join(tmp, 'locked-here');
  const store = new FileStore(dir);
  assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), `${process.pid}\n`);
  assert.throws(() => new FileStore(dir), (e) => e instanceof FileStoreLockedError && e.pid === process.pid &&
    e.dir === dir && e.message.startsWith(`the store ${dir} is in use by process ${process.pid}`));
  store.set(1, bytes('a'), Uint8Array.of(0x01, 1));
  store.close();
  store.close();
  assert.equal(existsSync(join(dir, 'lock')), false);
  assert.throws(() => store.set(1, bytes('b'), Uint8Array.of(0x01, 1)), /the store .* is closed/);
  const again = new FileStore(dir);
  assert.deepEqual(list(again.get(1, bytes('a'))), [0x01, 1]);
  assert.deepEqual(readdirSync(dir).sort(), ['1', 'journal', 'lock'], 'no temporary files left');
  again.close();
});

test('the lock: a lock left by a dead process, or garbled, is taken over; exit releases it', () => {
  const dir = join(tmp, 'stale');
  mkdirSync(dir);
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = Number(gone.stdout);
  assert.ok(deadPid > 0);
  for (const content of [`${deadPid}\n`, '', 'junk']) {
    writeFileSync(join(dir, 'lock'), content);
    const store = new FileStore(dir);
    assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), `${process.pid}\n`, JSON.stringify(content));
    store.close();
  }
  // A process that exits without close() releases its lock.
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { FileStore } from ${JSON.stringify(storeModule)};
    new FileStore(${JSON.stringify(dir)}).set(1, Uint8Array.of(0x61), Uint8Array.of(1, 1));`], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(existsSync(join(dir, 'lock')), false);
  // The journal stays, not checkpointed: the next open applies it again.
  assert.deepEqual(readdirSync(dir).sort(), ['1', 'journal']);
});

test('two runners on one store: the second fails with a clear message, and runs once the first is done', async () => {
  const dir = join(tmp, 'two-runners');
  const runScript = join(repoRoot, 'wasm/run.mjs');
  const runner = (...args) => spawnSync(process.execPath, [runScript, '--store', dir, ...args], { encoding: 'utf8' });
  const dump = join(tmp, 'two-runners.dump');
  assert.equal(runner('--export', dump, '-e', '_home.n = 0').status, 0);
  // The first runner opens the store, then waits for its script on stdin.
  const first = spawn(process.execPath, [runScript, '--store', dir, '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  first.stdout.on('data', (chunk) => { output += chunk; });
  first.stderr.on('data', (chunk) => { output += chunk; });
  const exited = new Promise((resolve) => first.on('exit', resolve));
  try {
    const lockFile = join(dir, 'lock');
    while (!existsSync(lockFile) || readFileSync(lockFile, 'utf8') !== `${first.pid}\n`) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const locked = [1, '', `lua-persist: the store ${dir} is in use by process ${first.pid}\n`];
    for (const args of [['-e', '_home.n = _home.n + 10'], ['--export', join(tmp, 'other.dump')], ['--import', dump]]) {
      const r = runner(...args);
      assert.deepEqual([r.status, r.stdout, r.stderr], locked, args.join(' '));
    }
    first.stdin.end('_home.n = _home.n + 1 print(_home.n)');
    assert.equal(await exited, 0, output);
    assert.equal(output, '1\n');
    assert.equal(existsSync(lockFile), false, 'the first runner released the lock');
  } finally {
    first.stdin.destroy();
    first.kill();
  }
  const later = runner('-e', '_home.n = _home.n + 10 print(_home.n)');
  assert.deepEqual([later.status, later.stdout, later.stderr], [0, '11\n', '']);
});

test('a runner exits with the lock released: after an error, os.exit, --export, --import', () => {
  const dir = join(tmp, 'runner-exits');
  const runScript = join(repoRoot, 'wasm/run.mjs');
  const run = (...args) => spawnSync(process.execPath, [runScript, ...args], { encoding: 'utf8' });
  assert.equal(run('--store', dir, '-e', '_home.x = 1 error("boom")').status, 1);
  assert.equal(existsSync(join(dir, 'lock')), false);
  assert.equal(run('--store', dir, '-e', 'os.exit(3)').status, 3);
  assert.equal(existsSync(join(dir, 'lock')), false);
  const dump = join(tmp, 'runner-exits.dump');
  assert.equal(run('--store', dir, '--export', dump).status, 0);
  assert.equal(existsSync(join(dir, 'lock')), false);
  const copy = join(tmp, 'runner-exits-copy');
  const imported = run('--store', copy, '--import', dump, '-e', 'print(_home.x)');
  assert.deepEqual([imported.status, imported.stdout], [0, '1\n'], imported.stderr);
  assert.deepEqual(readdirSync(copy).sort(), ['1'], 'imported, and the lock released');
});

// ------------------------------------------------------------------------------ the journal

/** Runs `code` (with `store`, a FileStore on `dir`) in a process that exits without close():
 * as after a crash, the journal stays. */
function leaveJournal(dir, code) {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { FileStore } from ${JSON.stringify(storeModule)};
    const store = new FileStore(${JSON.stringify(dir)});
    ${code}`], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return readFileSync(join(dir, 'journal'));
}

test('the journal: a batch whose key files never changed is applied at the next open', () => {
  const dir = join(tmp, 'journal-replay');
  leaveJournal(dir, `store.set(1, Uint8Array.of(0x61), Uint8Array.of(1));
    store.writeBatch([{ id: 1, key: Uint8Array.of(0x61), value: Uint8Array.of(2) },
      { id: 5, key: Uint8Array.of(0x62), value: Uint8Array.of(3) },
      { id: 1, key: Uint8Array.of(0x63), value: undefined }]);`);
  // As if the process died after the journal's fsync, before the key files changed.
  rmSync(join(dir, '1', '61'));
  rmSync(join(dir, '5'), { recursive: true });
  const store = new FileStore(dir);
  assert.deepEqual([list(store.get(1, bytes('a'))), list(store.get(5, bytes('b'))), store.tableIds()], [[2], [3], [1, 5]]);
  assert.equal(readFileSync(join(dir, 'journal')).length, 0, 'checkpointed after the replay');
  store.close();
  assert.equal(existsSync(join(dir, 'journal')), false, 'close() removes the empty journal');
});

test('the journal: a record cut short at the end is dropped; a damaged one before others refuses the open', () => {
  const dir = join(tmp, 'journal-torn');
  const journal = leaveJournal(dir, `store.set(1, Uint8Array.of(0x61), Uint8Array.of(1));
    store.set(1, Uint8Array.of(0x62), Uint8Array.of(2));`);
  const first = 4 + journal.readUInt32LE(0) + 32;
  assert.equal(journal.length, 2 * first, 'two records of the same size');
  // Cut inside the second record (its append was cut short by the crash): never reported
  // done, so dropped, also where the key file had changed already.
  for (const cut of [first + 2, first + 10, journal.length - 1]) {
    writeFileSync(join(dir, 'journal'), journal.subarray(0, cut));
    rmSync(join(dir, '1', '62'), { force: true });
    const store = new FileStore(dir);
    assert.deepEqual([list(store.get(1, bytes('a'))), list(store.get(1, bytes('b')))], [[1], null], `cut at ${cut}`);
    store.close();
  }
  // The last record whole but with garbage in it (the append's blocks reached the disk in
  // part): dropped too.
  const garbled = Buffer.from(journal);
  garbled[journal.length - 40] ^= 0xff;
  writeFileSync(join(dir, 'journal'), garbled);
  let store = new FileStore(dir);
  assert.equal(list(store.get(1, bytes('b'))), null);
  store.close();
  // A bad record with another after it was whole once: that is damage, not a crash.
  const damaged = Buffer.concat([journal, journal.subarray(0, first)]);
  damaged[first - 40] ^= 0xff;
  writeFileSync(join(dir, 'journal'), damaged);
  assert.throws(() => new FileStore(dir), /journal is damaged: the record at byte 0 fails its check/);
  // A record that checks but is malformed inside (written by something else): damage.
  const payload = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]); // table 1, an empty key
  const record = Buffer.alloc(4 + payload.length + 32);
  record.writeUInt32LE(payload.length, 0);
  payload.copy(record, 4);
  createHash('sha256').update(payload).digest().copy(record, 4 + payload.length);
  writeFileSync(join(dir, 'journal'), record);
  assert.throws(() => new FileStore(dir), /journal is damaged: the record at byte 0 is malformed/);
  assert.equal(existsSync(join(dir, 'lock')), false, 'a refused open releases the lock');
  rmSync(join(dir, 'journal'));
  store = new FileStore(dir);
  assert.deepEqual(list(store.get(1, bytes('a'))), [1]);
  store.close();
});

test('the journal: checkpointed past its size limit; reads are served from memory and stay right', async () => {
  const { JOURNAL_CHECKPOINT } = await import('../file-store.mjs');
  const dir = join(tmp, 'journal-limit');
  const store = new FileStore(dir);
  const value = new Uint8Array(64 * 1024).fill(7);
  let largest = 0;
  for (let i = 0; i < 200; i++) {
    store.set(3, bytes(`k${i % 50}`), Uint8Array.of(i & 0xff, ...value.subarray(0, 100 + i)));
    largest = Math.max(largest, readFileSync(join(dir, 'journal')).length);
  }
  assert.ok(largest <= JOURNAL_CHECKPOINT + 64 * 1024, `journal grew to ${largest}`);
  assert.equal(store.size(3), 50);
  for (let i = 150; i < 200; i++) assert.equal(store.get(3, bytes(`k${i % 50}`))[0], i & 0xff);
  // A value handed out is a copy: changing it changes nothing stored.
  store.get(3, bytes('k1'))[0] = 99;
  assert.equal(store.get(3, bytes('k1'))[0], 151 & 0xff);
  store.delete(3, bytes('k1'));
  assert.equal(store.get(3, bytes('k1')), undefined);
  store.close();
  const again = new FileStore(dir);
  assert.deepEqual([again.size(3), again.get(3, bytes('k1')), again.get(3, bytes('k2'))[0]], [49, undefined, 152]);
  again.close();
});
