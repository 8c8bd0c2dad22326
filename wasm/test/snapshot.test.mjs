// Whole-instance snapshots (LuaModule.snapshot / LuaModule.restore): a fresh instance goes
// on where the snapshot was taken, suspended coroutines included; snapshots of another
// module build and damaged ones are refused with a SnapshotError before anything runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { wasmModule, wasmPath, text } from './helpers.mjs';
import { LuaModule, MemoryStore, LuaStatus, SnapshotError, compileModule } from '../lua-persist.mjs';

function run(S, code) {
  const r = S.exec(code);
  assert.equal(r.status, LuaStatus.OK, text(r.stderr));
  return text(r.stdout);
}

/** An instance in the middle of things: globals, a suspended coroutine, a closure with an
 * upvalue it shares with the coroutine, a registry entry, compute's state, memory grown. */
async function busyInstance(store = new MemoryStore()) {
  const lua = await LuaModule.instantiate(wasmModule, { store });
  const A = lua.newState();
  run(A, `
    shared = 0
    local function bump() shared = shared + 1 return shared end
    conversation = coroutine.wrap(function(name)
      local count = 0
      local function say(x) count = count + 1 return ('%d:%s'):format(count, x) end
      while true do name = coroutine.yield(say('hello ' .. name)) end
    end)
    print(conversation('ana'))
    counter = (function() local n = 0 return function() n = n + 1 return n end end)()
    counter() counter()
    debug.getregistry().kept = 'in the registry'
    big = {} for i = 1, 200000 do big[i] = i end
    _home.ext = {x = 1}`);
  const B = lua.newState();
  run(B, 'other = "second state"');
  return { lua, A, B, store };
}

test('a restored instance goes on where the snapshot was: coroutines, upvalues, registry, both states', async () => {
  const { lua, A, B, store } = await busyInstance();
  const snapshot = await lua.snapshot();
  // The original goes on too; the snapshot is a copy.
  assert.equal(run(A, 'print(conversation("ben"), counter())'), '2:hello ben\t3\n');
  const { lua: again, states } = await LuaModule.restore(wasmModule, snapshot, { store });
  assert.equal(states.length, 2);
  const [A2, B2] = states;
  assert.equal(run(A2, 'print(conversation("ben"), counter(), #big, debug.getregistry().kept, _home.ext.x)'),
    '2:hello ben\t3\t200000\tin the registry\t1\n');
  assert.equal(run(B2, 'print(other)'), 'second state\n');
  assert.equal(again.memoryBytes, lua.memoryBytes);
  // A state made after the restore works beside them, and the snapshot of the restored
  // instance restores again.
  assert.equal(run(again.newState(), 'print(1 + 1)'), '2\n');
  const { states: [A3] } = await LuaModule.restore(wasmModule, await again.snapshot(), { store });
  assert.equal(run(A3, 'print(conversation("cy"))'), '3:hello cy\n');
});

test("compute's state (cu's interface) is in the snapshot", async () => {
  const lua = await LuaModule.instantiate(wasmModule);
  const x = lua.exports;
  assert.equal(x.init(), 0);
  const compute = (instance, code) => {
    const bytes = new TextEncoder().encode(code);
    new Uint8Array(instance.exports.memory.buffer, instance.exports.get_buffer_ptr(), bytes.length).set(bytes);
    return instance.exports.compute(instance.exports.get_buffer_ptr(), bytes.length);
  };
  assert.ok(compute(lua, 'co = coroutine.create(function() for i = 1, 3 do coroutine.yield(i) end end) return 1') > 0);
  const { lua: again } = await LuaModule.restore(wasmModule, await lua.snapshot());
  assert.ok(compute(again, 'local _, a = coroutine.resume(co) local _, b = coroutine.resume(co) assert(a == 1 and b == 2) return 1') > 0);
});

test('a snapshot of another module build, or damaged, is refused before anything runs', async () => {
  const { lua } = await busyInstance();
  const snapshot = await lua.snapshot();
  // The same module with a custom section appended: another build.
  const bytes = readFileSync(wasmPath);
  const section = Uint8Array.of(0x00, 0x06, 0x05, ...new TextEncoder().encode('other'));
  const other = await compileModule(new Uint8Array([...bytes, ...section]));
  await assert.rejects(LuaModule.restore(other, snapshot), (e) => e instanceof SnapshotError && e.reason === 'module');
  // Every single-byte flip at 200 places, and every cut, is damage.
  const places = Array.from({ length: 200 }, (_, i) => Math.floor((i * snapshot.length) / 200));
  for (const at of places) {
    const flipped = snapshot.slice();
    flipped[at] ^= 0x40;
    await assert.rejects(LuaModule.restore(wasmModule, flipped), SnapshotError, `flip at ${at}`);
  }
  for (const length of [0, 7, 8, 60, snapshot.length >> 1, snapshot.length - 1]) {
    await assert.rejects(LuaModule.restore(wasmModule, snapshot.subarray(0, length)), SnapshotError, `cut at ${length}`);
  }
  // A module compiled without compileModule has no recorded hash: a clear error, not a guess.
  const plain = await WebAssembly.compile(bytes);
  await assert.rejects(LuaModule.restore(plain, snapshot), /compiled with compileModule/);
  const unhashed = await LuaModule.instantiate(plain);
  await assert.rejects(unhashed.snapshot(), /compiled with compileModule/);
});

test('a trapped instance has no snapshot', async () => {
  const lua = await LuaModule.instantiate(wasmModule);
  // A call that traps (here a stand-in export that throws as a trap does) marks it.
  lua.exports = { ...lua.exports, lp_output_len: () => { throw new WebAssembly.RuntimeError('unreachable'); } };
  assert.throws(() => lua._call('lp_output_len', 1), WebAssembly.RuntimeError);
  await assert.rejects(lua.snapshot(), /trapped/);
});

test("a snapshot's bytes are laid out as FORMAT.md's table says", async () => {
  const { lua, A, B } = await busyInstance();
  const bytes = await lua.snapshot();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), 'LPSNAPSH');
  assert.equal(view.getUint32(8, true), 1);
  const moduleHash = new Uint8Array(await crypto.subtle.digest('SHA-256', readFileSync(wasmPath)));
  assert.deepEqual(bytes.subarray(12, 44), moduleHash);
  assert.equal(view.getUint32(44, true), lua.memoryBytes / 65536);
  assert.equal(view.getUint32(48, true), 2);
  assert.deepEqual([view.getUint32(52, true), view.getUint32(56, true)], [A.L, B.L]);
  const length = view.getUint32(60, true);
  assert.equal(64 + length + 32, bytes.length);
  assert.deepEqual([...bytes.subarray(64, 66)], [0x1f, 0x8b], 'a gzip member');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes.subarray(0, bytes.length - 32)));
  assert.deepEqual(bytes.subarray(bytes.length - 32), digest);
  // A closed state is not named.
  B.close();
  const after = await lua.snapshot();
  assert.equal(new DataView(after.buffer, after.byteOffset).getUint32(48, true), 1);
});
