// Store dumps move external tables between the native runner (SQLite) and the Node host
// (FileStore) with the same value bytes, closures included, and damaged dumps are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './helpers.mjs';
import { MemoryStore } from '../lua-persist.mjs';
import { FileStore } from '../file-store.mjs';
import { decodeDump, encodeDump, readStore, writeStore, DumpError } from '../store-dump.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'lua-persist-dump-'));
const nativeBin = join(repoRoot, 'target/release/lua-persist');
const keyFile = join(tmp, 'key');

function native(args) {
  assert.ok(existsSync(nativeBin), `build ${nativeBin} first (cargo build --release --features cli --bin lua-persist)`);
  const r = spawnSync(nativeBin, args, { encoding: 'utf8', env: { ...process.env, LUA_PERSIST_KEY: keyFile } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function node(args) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'wasm/run.mjs'), ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ok = (r) => {
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
};

test('native -> Node -> native: same bytes, closures and cycles work on both sides', () => {
  const db = join(tmp, 'native.db');
  ok(native(['--store', db, '-e', `
    local n = 10
    _home.counter = function() n = n + 1 return n end
    local t = {name = 'cycle'} t.self = t
    _home.t = t
    _home.pi = math.pi`]));
  const fromNative = join(tmp, 'native.dump');
  ok(native(['--store', db, '--export', fromNative]));

  const dir = join(tmp, 'node-store');
  ok(node(['--store', dir, '--import', fromNative]));
  assert.equal(
    ok(node(['--store', dir, '-e', 'local c = _home.counter print(c(), c(), _home.t.self.self.name, _home.pi == math.pi)'])),
    '11\t12\tcycle\ttrue\n');

  // Exported again by Node: byte for byte the native dump (same entries, order and ids).
  const again = join(tmp, 'again.dump');
  ok(node(['--store', dir, '--export', again]));
  assert.deepEqual(readFileSync(again), readFileSync(fromNative));

  // Node adds data and a closure of its own; the native side takes the data as is, and
  // the unsigned closure only when told to trust the dump.
  ok(node(['--store', dir, '-e', "_home.fromNode = {list = {1, 2, 3}} _home.f = function() return 'wasm' end"]));
  const fromNode = join(tmp, 'node.dump');
  ok(node(['--store', dir, '--export', fromNode]));
  const refused = native(['--store', join(tmp, 'back1.db'), '--import', fromNode]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /key "f" holds functions that this store's key did not sign/);
  const back = join(tmp, 'back2.db');
  ok(native(['--store', back, '--import-trusted', fromNode]));
  assert.equal(
    ok(native(['--store', back, '-e', 'print(#_home.fromNode.list, _home.f(), _home.counter(), _home.t.self.name)'])),
    '3\twasm\t11\tcycle\n');
});

test('examples/conversation.lua: a suspended coroutine in _home goes on run by run, native -> Node -> native', () => {
  const script = join(repoRoot, 'examples/conversation.lua');
  const db = join(tmp, 'conversation.db');
  assert.equal(ok(native(['--store', db, script])), 'What is your name?\n');
  assert.equal(ok(native(['--store', db, script, 'Ada'])), "Name a colour you like, Ada (or 'done'):\n");
  // No answer: the question again, and the coroutine stays where it is.
  assert.equal(ok(native(['--store', db, script])), "Name a colour you like, Ada (or 'done'):\n");
  const fromNative = join(tmp, 'conversation.dump');
  ok(native(['--store', db, '--export', fromNative]));

  // The same coroutine (its frames, the pcall it is inside, its pending <close>) in Node.
  const dir = join(tmp, 'conversation-store');
  ok(node(['--store', dir, '--import', fromNative]));
  assert.equal(ok(node(['--store', dir, script, 'red'])), "Name a colour you like, Ada (or 'done'):\n");
  const fromNode = join(tmp, 'conversation-back.dump');
  ok(node(['--store', dir, '--export', fromNode]));

  // And back: the native side loads code the wasm side stored only when told to trust it.
  const back = join(tmp, 'conversation-back.db');
  assert.match(native(['--store', back, '--import', fromNode]).stderr, /key "conversation" holds functions/);
  ok(native(['--store', back, '--import-trusted', fromNode]));
  assert.equal(ok(native(['--store', back, script, 'blue'])), "Name a colour you like, Ada (or 'done'):\n");
  assert.equal(ok(native(['--store', back, script, 'done'])),
    '(the conversation is over; run again to start another)\nGoodbye, Ada! You like red, blue.\n');
  // Over: the next run starts another; an error raised inside the pcall frame ends it.
  assert.equal(ok(native(['--store', back, script])), 'What is your name?\n');
  ok(native(['--store', back, script, 'Bob']));
  assert.equal(ok(native(['--store', back, script, 'none'])),
    '(the conversation is over; run again to start another)\nBob says: no colours at all?\n');

  // The Node runner alone, run by run.
  const own = join(tmp, 'conversation-node');
  const answers = [[[], 'What is your name?'], [['Eve'], "Name a colour you like, Eve (or 'done'):"],
    [['green'], "Name a colour you like, Eve (or 'done'):"],
    [['done'], '(the conversation is over; run again to start another)\nGoodbye, Eve! You like green.']];
  for (const [args, said] of answers) assert.equal(ok(node(['--store', own, script, ...args])), said + '\n');
});

test('Node refuses to import into a store that has keys, and leaves it alone', () => {
  const dir = join(tmp, 'busy-store');
  ok(node(['--store', dir, '-e', '_home.mine = 1']));
  const dump = join(tmp, 'small.dump');
  writeFileSync(dump, encodeDump({ nextFreeId: 3, entries: [] }));
  const r = node(['--store', dir, '--import', dump]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not empty/);
  assert.equal(ok(node(['--store', dir, '-e', 'print(_home.mine)'])), '1\n');
});

test('dumps round-trip and every kind of damage is a DumpError', () => {
  const store = new MemoryStore();
  store.set(1, new Uint8Array([0x6b]), new Uint8Array([0x02, 1, 0, 0, 0, 0, 0, 0, 0]));
  store.set(4, new Uint8Array([0, 255]), new Uint8Array([0x04, 0, 0, 0, 0]));
  const dump = readStore(store);
  const bytes = encodeDump(dump);
  assert.deepEqual(decodeDump(bytes), dump);
  const copy = new MemoryStore();
  writeStore(copy, decodeDump(bytes));
  assert.deepEqual(readStore(copy), dump);

  assert.throws(() => decodeDump(new TextEncoder().encode('SQLite format 3\0')), /not a lua-persist store dump/);
  const newer = bytes.slice();
  newer[8] = 2;
  assert.throws(() => decodeDump(newer), /version 2 is not supported/);
  for (let cut = 12; cut < bytes.length; cut++) {
    assert.throws(() => decodeDump(bytes.subarray(0, cut)), DumpError, `cut at ${cut}`);
  }
  const flipped = bytes.slice();
  flipped[bytes.length - 32 - 5 - 1] ^= 1;
  assert.throws(() => decodeDump(flipped), /checksum does not match/);
});

test('the dump written by Node is the one FORMAT.md describes (read by the native side)', () => {
  const dir = join(tmp, 'fresh-node');
  ok(node(['--store', dir, '-e', "_home.greeting = 'hi'"]));
  const file = join(tmp, 'fresh.dump');
  ok(node(['--store', dir, '--export', file]));
  const db = join(tmp, 'fresh.db');
  ok(native(['--store', db, '--import', file]));
  assert.equal(ok(native(['--store', db, '-e', 'print(_home.greeting)'])), 'hi\n');
});

test("FORMAT.md's golden-dump block is what encodeDump writes", () => {
  const spec = readFileSync(join(repoRoot, 'FORMAT.md'), 'utf8');
  const block = spec.split('```golden-dump\n')[1].split('```')[0];
  const golden = Buffer.from(block.replace(/\s+/g, ''), 'hex');
  const dump = {
    nextFreeId: 5,
    entries: [
      { tableId: 1, key: new TextEncoder().encode('n'), value: Uint8Array.from([2, 42, 0, 0, 0, 0, 0, 0, 0]) },
      { tableId: 3, key: new TextEncoder().encode('1'), value: Uint8Array.from([4, 2, 0, 0, 0, 0x68, 0x69]) },
    ],
  };
  assert.deepEqual(Buffer.from(encodeDump(dump)), golden);
  assert.deepEqual(decodeDump(new Uint8Array(golden)), dump);
});
