// A host written the way cu's own web client (web/cu-api.js) is written, quirks included:
// - it makes ONE view of memory, `new Uint8Array(memory.buffer)`, right after instantiation
//   and keeps it for good. If memory grew, that view would be detached (length 0), code
//   written through it would be lost and results read through it empty. So the module grows
//   memory only when the host allows it (lp_allow_memory_growth, which this host does not
//   know about): past its initial memory a chunk gets the error result "not enough memory".
// - it reads `-result` bytes for an error result `-(len+1)`: the message and the byte after
//   it. The module writes a 0 terminator there, so the client shows exactly the message
//   (before, it showed whatever the buffer held there: "input:1: boom=").
// Our own host (wasm/lua-persist.mjs) makes a new view after every call and allows growth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wasmModule, text } from './helpers.mjs';
import { LuaModule, LuaStatus } from '../lua-persist.mjs';

const utf8 = new TextEncoder();

/** cu's web client, reduced to what matters here. */
function cuWebClient() {
  const tables = new Map([[1, new Map()]]);
  let view; // the one view: cu's client never makes another
  const key = (ptr, len) => text(view.slice(ptr, ptr + len));
  const env = {
    js_time_now: () => Date.now(),
    js_ext_table_set(id, keyPtr, keyLen, valPtr, valLen) {
      if (!tables.has(id)) tables.set(id, new Map());
      tables.get(id).set(key(keyPtr, keyLen), view.slice(valPtr, valPtr + valLen));
      return 0;
    },
    js_ext_table_get(id, keyPtr, keyLen, outPtr, maxLen) {
      const value = tables.get(id)?.get(key(keyPtr, keyLen));
      if (!value || value.length > maxLen) return -1;
      view.set(value, outPtr);
      return value.length;
    },
    js_ext_table_size: (id) => tables.get(id)?.size ?? 0,
  };
  const instance = new WebAssembly.Instance(wasmModule, { env });
  const x = instance.exports;
  view = new Uint8Array(x.memory.buffer);
  assert.equal(x.init(), 0);
  const ptr = x.get_buffer_ptr();
  /** cu-api.js compute: code through the cached view, the result read through it too. */
  const compute = (code) => {
    const bytes = utf8.encode(code);
    view.set(bytes, ptr);
    const rc = x.compute(ptr, bytes.length);
    if (rc < 0) return { rc, error: text(view.slice(ptr, ptr + -rc)) }; // -result bytes, as cu's client
    const outLen = new DataView(view.buffer, ptr).getUint32(0, true);
    return { rc, output: text(view.slice(ptr + 4, ptr + 4 + outLen)), value: [...view.slice(ptr + 4 + outLen, ptr + rc)] };
  };
  return { x, view: () => view, ptr, compute, tables };
}

const int = (n) => { const b = new Uint8Array(9); b[0] = 0x02; new DataView(b.buffer).setBigInt64(1, BigInt(n), true); return [...b]; };

test('an error result read as cu\'s client reads it (-result bytes): the message, then one 0 byte', () => {
  const client = cuWebClient();
  const { x, ptr } = client;
  // The buffer holds something else after the message (here '='), as after earlier results.
  client.view().fill(0x3d, ptr, ptr + 65536);
  const r = client.compute(`error('boom')`);
  assert.equal(r.rc, -14);
  assert.equal(r.error, 'input:1: boom\0', 'cu\'s client showed "input:1: boom=" here');
  assert.equal(r.error.length, -r.rc, 'the message is exactly len = -result - 1 bytes, then the 0');
  assert.equal(r.error.indexOf('\0'), 13);
  // Every error result has it: a syntax error, a long message, the one cut at the limit.
  for (const [code, message] of [['return 1 +', 'input:1: unexpected symbol near <eof>'],
    [`error(string.rep('e', 1000), 0)`, 'e'.repeat(1000)]]) {
    client.view().fill(0x3d, ptr, ptr + 65536);
    assert.equal(client.compute(code).error, `${message}\0`, code);
  }
  const cut = client.compute(`error(string.rep('e', 70000), 0)`);
  assert.equal(cut.rc, -65536, 'cut at 65,535 bytes: the 0 is the buffer\'s last byte');
  assert.equal(cut.error, `${'e'.repeat(65535)}\0`);
  // The error result before init has it too.
  const fresh = new WebAssembly.Instance(wasmModule, { env: { js_time_now: () => 0,
    js_ext_table_set: () => 0, js_ext_table_get: () => -1, js_ext_table_size: () => 0 } }).exports;
  const bytes = new Uint8Array(fresh.memory.buffer);
  bytes.fill(0x3d, fresh.get_buffer_ptr(), fresh.get_buffer_ptr() + 100);
  const rc = fresh.compute(fresh.get_buffer_ptr(), 1);
  assert.equal(text(bytes.slice(fresh.get_buffer_ptr(), fresh.get_buffer_ptr() - rc)), 'Lua state not initialized\0');
  assert.equal(x.memory.buffer.byteLength, client.view().byteLength);
});

test('memory does not grow for a host written for cu: past the initial memory, "not enough memory"', () => {
  const client = cuWebClient();
  const { x } = client;
  const view = client.view();
  const bytes = view.byteLength;
  assert.ok(bytes >= 28 * 65536, `${bytes / 65536} pages: at least cu's 28`);
  // What fits runs: a 200 KB string, a 10,000-element table.
  assert.deepEqual(client.compute(`local s = string.rep('x', 200000) return #s`).value, int(200000));
  assert.deepEqual(client.compute('local t = {} for i = 1, 10000 do t[i] = i end return #t').value, int(10000));
  const heavy = [
    `local s = string.rep('x', 400000) return #s`, // ~400 KB string
    `local t = {} for i = 1, 20000 do t[i] = i end return #t`, // a 20,000-element table
    `local t = {} for i = 1, 20000 do t['k' .. i] = i end return #t`,
    `local big = {} for i = 1, 1e6 do big[i] = 'v' .. i end`,
  ];
  for (let round = 0; round < 3; round++) {
    for (const code of heavy) {
      const r = client.compute(code);
      assert.ok(r.rc < 0, `${code} succeeded`);
      assert.match(r.error, /not enough memory/, code);
      assert.equal(x.memory.buffer.byteLength, bytes, `memory grew: ${code}`);
      assert.equal(view.byteLength, bytes, 'the cached view is still attached');
    }
  }
  // Later chunks, written and read through the same cached view, run.
  assert.deepEqual(client.compute('return 6 * 7').value, int(42));
  const printed = client.compute(`print('hello', 1.5) return 'x'`);
  assert.equal(printed.output, 'hello\t1.5\n');
  assert.deepEqual(printed.value, [0x04, 1, 0, 0, 0, 0x78]);
  // _home reads and writes go through the cached view as well.
  assert.equal(client.compute(`_home.n = 7 _home.f = function(a) return a * 6 end`).rc, 5);
  assert.ok(client.tables.get(1).has('n') && client.tables.get(1).has('f'));
  assert.deepEqual(client.compute('return _home.f(_home.n)').value, int(42));
  // What fits still runs after all those failures: after a memory error, compute collects
  // until Lua's string table, stack and call records are back to size, so the heap is not
  // left in pieces.
  const fits = () => {
    assert.deepEqual(client.compute(`local s = string.rep('x', 200000) return #s`).value, int(200000));
    assert.deepEqual(client.compute('local t = {} for i = 1, 10000 do t[i] = i end return #t').value, int(10000));
  };
  fits();
  // Lua's stack too.
  assert.equal(client.compute(`local function f() return f() + 1 end return f()`).error, 'not enough memory\0');
  fits();
  assert.equal(x.memory.buffer.byteLength, bytes);
  assert.equal(view.byteLength, bytes);
});

test('one cu host instance: 3,000 chunks near the memory limit, no growth, no trap', () => {
  const client = cuWebClient();
  const bytes = client.view().byteLength;
  const chunks = [`local s = string.rep('x', 150000) return #s`, `return #string.rep('y', 300000)`,
    `local t = {} for i = 1, 8000 do t[i] = {i} end return #t`, `_home.k = (_home.k or 0) + 1 return _home.k`,
    `error('e')`, `print(string.rep('p', 70000))`, 'return 1'];
  let counted = 0;
  for (let i = 0; i < 3000; i++) {
    const code = chunks[i % chunks.length];
    const r = client.compute(code); // a trap would throw here
    if (code.startsWith('_home.k')) assert.deepEqual(r.value, int(++counted));
    if (client.view().byteLength !== bytes) assert.fail(`memory grew at chunk ${i}`);
  }
  assert.deepEqual(client.compute('return 6 * 7').value, int(42));
});

test('values too large for the memory left give "not enough memory" from the serializer and external tables, never a trap', () => {
  const client = cuWebClient();
  // Each of these made the module abort (a trap, "unreachable") where Rust's own buffers
  // could not grow: the conversion of a table into external tables, a closure's bytecode,
  // persist.serialize's output, a stored value read back.
  const heavy = [
    `local t = {} for i = 1, 3000 do t[i] = {i} end _home.t = t return 1`,
    `local s = {} for i = 1, 2500 do s[i] = string.rep('x', 100) .. i end _home.s = s return 1`,
    `return persist.serialize(string.rep('z', 300000))`,
    `local fs = {} for i = 1, 3000 do fs[i] = load('return ' .. i) end return #persist.serialize(fs)`,
  ];
  for (let round = 0; round < 3; round++) {
    for (const code of heavy) {
      const r = client.compute(code); // a trap would throw here
      assert.ok(r.rc < 0, `${code} succeeded`);
      assert.match(r.error, /not enough memory/, code);
    }
  }
  assert.equal(client.tables.get(1).has('t'), false, 'nothing half-written');
  // A stored string whose length claims 1 MB: refused, the instance goes on.
  client.tables.get(1).set('huge', new Uint8Array([0x04, 0x00, 0x00, 0x10, 0x00, ...new Uint8Array(100)]));
  assert.match(client.compute('return #_home.huge').error, /truncated/);
  assert.deepEqual(client.compute('_home.ok = {1, 2, 3} return #_home.ok').value, int(3));
});

test('with growth allowed (our host), the same chunks run and memory grows', async () => {
  const chunks = [[`local s = string.rep('x', 400000) return #s`, 400000],
    ['local t = {} for i = 1, 20000 do t[i] = i end return #t', 20000]];
  // cu's interface on an instance from LuaModule.instantiate, which allows growth and
  // makes a new view after each call.
  const lua = await LuaModule.instantiate(wasmModule);
  const x = lua.exports;
  const before = x.memory.buffer.byteLength;
  assert.equal(x.init(), 0);
  for (const [code, n] of chunks) {
    const bytes = utf8.encode(code);
    new Uint8Array(x.memory.buffer, x.get_buffer_ptr(), bytes.length).set(bytes);
    const rc = x.compute(x.get_buffer_ptr(), bytes.length);
    assert.deepEqual([...new Uint8Array(x.memory.buffer, x.get_buffer_ptr(), rc)], [0, 0, 0, 0, ...int(n)], code);
  }
  assert.ok(x.memory.buffer.byteLength > before, 'memory grew');
  // And the states of lp_state_new.
  const S = lua.newState();
  for (const [code, n] of chunks) {
    const r = S.exec(`print((function() ${code} end)())`);
    assert.equal(r.status, LuaStatus.OK, text(r.stderr));
    assert.equal(text(r.stdout), `${n}\n`);
  }
});

test('lp_allow_memory_growth: a cu host that re-reads memory.buffer can opt in, and out again', () => {
  const env = { js_time_now: () => 0, js_ext_table_set: () => 0, js_ext_table_get: () => -1, js_ext_table_size: () => 0 };
  const x = new WebAssembly.Instance(wasmModule, { env }).exports;
  assert.equal(x.init(), 0);
  const compute = (code) => {
    const bytes = utf8.encode(code);
    new Uint8Array(x.memory.buffer, x.get_buffer_ptr(), bytes.length).set(bytes);
    const rc = x.compute(x.get_buffer_ptr(), bytes.length);
    const buf = new Uint8Array(x.memory.buffer, x.get_buffer_ptr(), Math.abs(rc));
    return rc < 0 ? text(buf.subarray(0, -rc - 1)) : [...buf.subarray(4)];
  };
  const big = `big = string.rep('x', 2000000) return #big`;
  const initial = x.memory.buffer.byteLength;
  assert.equal(compute(big), 'not enough memory');
  x.lp_allow_memory_growth(1);
  assert.deepEqual(compute(big), int(2000000));
  const grown = x.memory.buffer.byteLength;
  assert.ok(grown > initial + 2000000);
  x.lp_allow_memory_growth(0);
  // Memory that has grown stays usable; it just grows no further.
  assert.deepEqual(compute(`big = nil collectgarbage() local s = string.rep('y', 1000000) return #s`), int(1000000));
  assert.equal(compute(`huge = string.rep('x', 8000000) return #huge`), 'not enough memory');
  assert.equal(x.memory.buffer.byteLength, grown);
});
