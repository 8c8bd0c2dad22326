// A host written purely against cu's protocol (docs/cu-interface.md, "Imports", "Exports"
// and "compute and the buffer", without the store protocol's additions): its imports object
// (the four functions cu's binary imports; keys decoded as UTF-8, values opaque), code copied
// into the buffer, results decoded from it. It works with our module unchanged, and gets
// cu's fixes: errors are results, numbers keep their subtype.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wasmModule } from './helpers.mjs';

/** cu's demo host, reduced: externalTables: Map<id, Map<string, Uint8Array>>. */
async function cuHost() {
  const externalTables = new Map([[1, new Map()]]);
  let memory;
  const text = new TextDecoder();
  const env = {
    js_time_now: () => Date.now(),
    js_ext_table_set(id, keyPtr, keyLen, valPtr, valLen) {
      if (!externalTables.has(id)) externalTables.set(id, new Map());
      const key = text.decode(new Uint8Array(memory.buffer, keyPtr, keyLen));
      externalTables.get(id).set(key, new Uint8Array(memory.buffer, valPtr, valLen).slice());
      return 0;
    },
    js_ext_table_get(id, keyPtr, keyLen, outPtr, maxLen) {
      const table = externalTables.get(id);
      const key = text.decode(new Uint8Array(memory.buffer, keyPtr, keyLen));
      const value = table && table.get(key);
      if (!value || value.length > maxLen) return -1;
      new Uint8Array(memory.buffer, outPtr, value.length).set(value);
      return value.length;
    },
    js_ext_table_size(id) {
      return externalTables.get(id)?.size ?? 0;
    },
  };
  const instance = await WebAssembly.instantiate(wasmModule, { env });
  memory = instance.exports.memory;
  const x = instance.exports;
  assert.equal(x.init(), 0);
  const compute = (code) => {
    const bytes = new TextEncoder().encode(code);
    new Uint8Array(memory.buffer, x.get_buffer_ptr(), bytes.length).set(bytes);
    const rc = x.compute(x.get_buffer_ptr(), bytes.length);
    const buf = new Uint8Array(memory.buffer, x.get_buffer_ptr(), x.get_buffer_size());
    if (rc < 0) return { error: text.decode(buf.subarray(0, -rc - 1)) };
    const view = new DataView(buf.buffer, buf.byteOffset);
    const outLen = view.getUint32(0, true);
    return { output: text.decode(buf.subarray(4, 4 + outLen)), value: buf.slice(4 + outLen, rc) };
  };
  return { x, compute, externalTables };
}

test('compute returns output and the tagged value, as cu', async () => {
  const { compute } = await cuHost();
  const r = compute(`print('hi', 1.5, 2) return 42`);
  assert.equal(r.output, 'hi\t1.5\t2\n');
  assert.deepEqual([...r.value], [0x02, 42, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...compute('return 3.0').value].slice(0, 1), [0x03], 'a float stays a float (cu: integer)');
  assert.deepEqual([...compute(`return ''`).value], [0x04, 0, 0, 0, 0], 'the empty string is a value (cu: nothing)');
  assert.deepEqual([...compute('x = 1').value], [0x00]);
});

test('Lua errors are -(len+1) results with the message, not traps', async () => {
  const { compute } = await cuHost();
  assert.deepEqual(compute(`error('boom')`), { error: 'input:1: boom' });
  assert.deepEqual(compute('return 1 +'), { error: 'input:1: unexpected symbol near <eof>' });
  for (let i = 0; i < 100; i++) compute(`error('again')`);
  assert.equal(compute('return 1 + 1').value[1], 2, 'the instance keeps working');
});

test('_home lives in the host tables; functions come back from them', async () => {
  const { compute, externalTables } = await cuHost();
  compute(`_home.n = 7 _home.f = function(a) return a * 6 end`);
  assert.ok(externalTables.get(1).has('n') && externalTables.get(1).has('f'));
  assert.equal(compute('return _home.f(_home.n)').value[1], 42);
  assert.equal(compute('return Memory == _home').value[1], 1);
});

test('the other exports', async () => {
  const { x, compute } = await cuHost();
  assert.equal(x.init(), 0, 'a second init does nothing');
  assert.equal(x.get_memory_table_id(), 1);
  assert.equal(x.get_io_table_id(), 2);
  const stats = x.lp_alloc(12);
  x.get_memory_stats(stats);
  const view = new DataView(x.memory.buffer, stats, 12);
  assert.equal(view.getUint32(0, true), 65536);
  assert.ok(view.getUint32(4, true) > 0, 'Lua memory in use (cu: always 0)');
  assert.equal(view.getUint32(8, true), x.memory.buffer.byteLength / 65536);
  x.run_gc();
  assert.equal(compute(`require('bigint')`).error.split('\n')[0], "input:1: module 'bigint' not found:");
});

test('one instance: 100,000 compute calls with no memory growth, 10,000 errors survived', async () => {
  const { x, compute } = await cuHost();
  for (let i = 0; i < 1000; i++) compute('local t = {} for i = 1, 10 do t[i] = i end return #t');
  x.run_gc();
  const pages = x.memory.buffer.byteLength;
  for (let i = 0; i < 100000; i++) {
    const r = compute('local t = {} for i = 1, 10 do t[i] = i end return #t');
    if (r.value[1] !== 10) assert.fail(JSON.stringify(r));
  }
  for (let i = 0; i < 10000; i++) {
    if (!compute(`error('e' .. ${i % 7})`).error) assert.fail('an error did not come back');
  }
  x.run_gc();
  assert.equal(x.memory.buffer.byteLength, pages, 'memory grew');
  assert.equal(compute('return 6 * 7').value[1], 42);
});

test('a chunk larger than the buffer runs from lp_alloc memory; an oversized result is an error', async () => {
  const { x, compute } = await cuHost();
  const code = new TextEncoder().encode(`local s = 0 ${'s = s + 1 '.repeat(7000)} return s`);
  const ptr = x.lp_alloc(code.length);
  new Uint8Array(x.memory.buffer, ptr, code.length).set(code);
  const rc = x.compute(ptr, code.length);
  x.lp_free(ptr, code.length);
  assert.ok(rc > 0);
  const buf = new Uint8Array(x.memory.buffer, x.get_buffer_ptr(), rc);
  assert.equal(buf[4], 0x02);
  assert.equal(new DataView(buf.buffer, buf.byteOffset).getUint32(5, true), 7000);
  assert.match(compute(`return string.rep('x', 70000)`).error, /does not fit in the 65536-byte buffer/);
  const r = compute(`print(string.rep('a', 70000)) return 7`);
  assert.equal(r.output.length, 64512 + 3);
  assert.ok(r.output.endsWith('...'));
  assert.equal(r.value[1], 7);
});
