// cu's interface, contract by contract (docs/cu-interface.md: "Imports", "The store
// protocol", "Exports", "compute and the buffer", "Memory", "Differences from cu"): every
// export and import, their error results, inputs at the size limits, and what a host sees
// in memory. The host here is written the way cu's hosts are: its own `env` imports (keys
// decoded as UTF-8, values opaque bytes), code copied to get_buffer_ptr(), results read from
// a fresh view of the buffer after each call. It records every import call, so the tests
// assert the store traffic too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wasmModule, text } from './helpers.mjs';
import { LuaModule, MemoryStore, LuaStatus } from '../lua-persist.mjs';

const utf8 = new TextEncoder();
const CU_PAGES = 28;

/** An i64 / f64 / string value as compute encodes it. */
const int = (n) => { const b = new Uint8Array(9); b[0] = 0x02; new DataView(b.buffer).setBigInt64(1, BigInt(n), true); return [...b]; };
const float = (n) => { const b = new Uint8Array(9); b[0] = 0x03; new DataView(b.buffer).setFloat64(1, n, true); return [...b]; };
const str = (s) => { const d = typeof s === 'string' ? utf8.encode(s) : s; const b = new Uint8Array(5 + d.length); b[0] = 0x04; new DataView(b.buffer).setUint32(1, d.length, true); b.set(d, 5); return [...b]; };
const u32 = (n) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];

/**
 * A cu host. `tables`: Map<id, Map<key string, Uint8Array>>, with table 1 present as cu's
 * hosts have it. `hooks.get/set/size` may answer instead of the default (return a number).
 * Deletes (value_len 0) are stored as empty values unless `deletes` is set, as a host
 * written for cu does; an empty value reads as 0 bytes, which is nil. It makes a fresh view
 * of memory after each call, so with `growth` it lets memory grow (lp_allow_memory_growth),
 * which a host written for cu does not know about.
 */
function cuHost({ hooks = {}, now = () => Date.now(), deletes = false, growth = false } = {}) {
  const tables = new Map([[1, new Map()]]);
  const calls = [];
  const signals = [];
  let memory;
  const write = (outPtr) => (bytes) => new Uint8Array(memory.buffer, outPtr, bytes.length).set(bytes);
  const keyText = (ptr, len) => new TextDecoder().decode(new Uint8Array(memory.buffer, ptr, len));
  const env = {
    js_time_now: () => now(),
    js_ext_table_set(id, keyPtr, keyLen, valPtr, valLen) {
      const key = keyText(keyPtr, keyLen);
      const value = new Uint8Array(memory.buffer, valPtr, valLen).slice();
      calls.push(['set', id, key, [...value]]);
      const hooked = hooks.set?.(id, key, value);
      if (hooked !== undefined) return hooked;
      if (!tables.has(id)) tables.set(id, new Map());
      if (deletes && valLen === 0) tables.get(id).delete(key);
      else tables.get(id).set(key, value);
      return 0;
    },
    js_ext_table_get(id, keyPtr, keyLen, outPtr, maxLen) {
      const key = keyText(keyPtr, keyLen);
      // The module's signals (blocks, output points) on table 0, which holds nothing: a
      // host written for cu answers -1. Recorded apart from the store's calls.
      if (id === 0 && keyLen > 0) {
        signals.push(key);
        return hooks.signal?.(key, write(outPtr)) ?? -1;
      }
      calls.push(['get', id, key, maxLen]);
      const hooked = hooks.get?.(id, key, maxLen, write(outPtr));
      if (hooked !== undefined) return hooked;
      const value = tables.get(id)?.get(key);
      if (!value || value.length > maxLen) return -1; // cu's node host
      write(outPtr)(value);
      return value.length;
    },
    js_ext_table_size(id) {
      calls.push(['size', id]);
      const hooked = hooks.size?.(id);
      if (hooked !== undefined) return hooked;
      return tables.get(id)?.size ?? 0;
    },
  };
  const instance = new WebAssembly.Instance(wasmModule, { env });
  memory = instance.exports.memory;
  const x = instance.exports;
  if (growth) x.lp_allow_memory_growth(1);
  const buffer = () => new Uint8Array(memory.buffer, x.get_buffer_ptr(), x.get_buffer_size());
  /** Decodes a compute result as cu's hosts do. */
  const result = (rc) => {
    const buf = buffer();
    if (rc < 0) return { rc, error: text(buf.slice(0, -rc - 1)) };
    if (rc === 0) return { rc };
    const outLen = new DataView(buf.buffer, buf.byteOffset).getUint32(0, true);
    return { rc, outLen, output: buf.slice(4, 4 + outLen), value: [...buf.slice(4 + outLen, rc)] };
  };
  /** Code into the buffer, compute(get_buffer_ptr(), len). */
  const compute = (code) => {
    const bytes = typeof code === 'string' ? utf8.encode(code) : code;
    buffer().set(bytes);
    return result(x.compute(x.get_buffer_ptr(), bytes.length));
  };
  /** What a chunk returns, checked to be a success. */
  const value = (code) => {
    const r = compute(code);
    assert.ok(r.rc > 0, `${code}: ${r.error}`);
    return r.value;
  };
  const stats = () => {
    const ptr = x.lp_alloc(12);
    x.get_memory_stats(ptr);
    const view = new DataView(memory.buffer, ptr, 12);
    const s = { bufferSize: view.getUint32(0, true), luaBytes: view.getUint32(4, true), pages: view.getUint32(8, true) };
    x.lp_free(ptr, 12);
    return s;
  };
  return { x, memory: () => memory, buffer, result, compute, value, stats, tables, calls, signals };
}

function initialized(options) {
  const host = cuHost(options);
  assert.equal(host.x.init(), 0);
  host.calls.length = 0;
  return host;
}

/** The error result of `code`, checked to be -(len+1) with the message at the buffer's start. */
function errorOf(host, code) {
  const r = host.compute(code);
  assert.ok(r.rc < 0, `${code} succeeded`);
  assert.equal(-r.rc - 1, utf8.encode(r.error).length);
  return r.error;
}

// ------------------------------------------------------------------------- the exports

test("cu's exports have cu's signatures", () => {
  const x = cuHost().x;
  const arity = { init: 0, get_buffer_ptr: 0, get_buffer_size: 0, compute: 2, get_memory_stats: 1, run_gc: 0,
    attach_memory_table: 1, get_memory_table_id: 0, get_io_table_id: 0, clear_io_table: 0,
    sync_external_table_counter: 1, set_memory_alias_enabled: 1, lp_alloc: 1, lp_free: 2 };
  for (const [name, n] of Object.entries(arity)) {
    assert.equal(typeof x[name], 'function', name);
    assert.equal(x[name].length, n, name);
  }
  assert.ok(x.memory instanceof WebAssembly.Memory);
});

test('before init: compute is the "not initialized" error result, the other exports do nothing', () => {
  const host = cuHost();
  const { x } = host;
  assert.deepEqual(host.compute('return 1'), { rc: -26, error: 'Lua state not initialized' });
  assert.deepEqual(host.compute(''), { rc: -26, error: 'Lua state not initialized' }, 'cu returns 0 here');
  assert.equal(x.get_memory_table_id(), 0);
  assert.equal(x.get_io_table_id(), 0);
  x.attach_memory_table(5);
  x.sync_external_table_counter(9);
  x.clear_io_table();
  x.run_gc();
  assert.equal(x.get_memory_table_id(), 0, 'attach before init is ignored, as in cu');
  const s = host.stats();
  assert.deepEqual(s, { bufferSize: 65536, luaBytes: 0, pages: host.memory().buffer.byteLength / 65536 });
  assert.deepEqual(host.calls, [], 'no import is called before init');
});

test('init: 0, asks the store for its next free id once, installs the globals; a second init does nothing', () => {
  const host = cuHost();
  assert.equal(host.x.init(), 0);
  assert.deepEqual(host.calls, [['size', 0]]);
  assert.equal(host.x.get_memory_table_id(), 1);
  assert.equal(host.x.get_io_table_id(), 2);
  assert.deepEqual(host.value(`return table.concat({rawget(_home, '__ext_table_id'), rawget(_io, '__ext_table_id'),
    tostring(Memory == _home), type(ext.table), tostring(package.preload.bigint), tostring(os.exit)}, ',')`),
  str('1,2,true,function,nil,nil'));
  host.compute('kept = 5');
  host.calls.length = 0;
  assert.equal(host.x.init(), 0);
  assert.deepEqual(host.calls, []);
  assert.deepEqual(host.value('return kept'), int(5), 'the state is kept');
});

test('init is -1 when the store cannot tell its next id, and works once it can', () => {
  let failing = true;
  const host = cuHost({ hooks: { size: (id) => (id === 0 && failing ? -2 : undefined) } });
  assert.equal(host.x.init(), -1);
  assert.deepEqual(host.compute('return 1'), { rc: -26, error: 'Lua state not initialized' });
  failing = false;
  assert.equal(host.x.init(), 0);
  assert.deepEqual(host.value('return 1'), int(1));
});

test('set_memory_alias_enabled(0) before init: no Memory global', () => {
  const host = cuHost();
  host.x.set_memory_alias_enabled(0);
  assert.equal(host.x.init(), 0);
  assert.deepEqual(host.value('return Memory'), [0x00]);
  assert.deepEqual(host.value(`return rawget(_home, '__ext_table_id')`), int(1));
});

test('the buffer: 64 KiB, 16-byte aligned, the same on every call, inside memory', () => {
  const { x, memory } = initialized();
  const ptr = x.get_buffer_ptr();
  assert.equal(x.get_buffer_size(), 65536);
  assert.equal(ptr % 16, 0);
  assert.ok(ptr > 0 && ptr + 65536 <= memory().buffer.byteLength);
  x.compute(ptr, 8);
  assert.equal(x.get_buffer_ptr(), ptr);
});

test('compute: an empty chunk returns 0 and leaves the buffer as it was', () => {
  const host = initialized();
  const pattern = Uint8Array.from({ length: 65536 }, (_, i) => (i * 7) & 0xff);
  host.buffer().set(pattern);
  assert.equal(host.x.compute(host.x.get_buffer_ptr(), 0), 0);
  assert.deepEqual(host.buffer(), pattern);
  assert.deepEqual(host.calls, []);
});

test('compute: [u32 out_len][print output][last value] in the buffer, rc = its length', () => {
  const host = initialized();
  const r = host.compute(`print('a', 1, 2.5, nil, true) return 10, 20, 'x'`);
  const out = utf8.encode('a\t1\t2.5\tnil\ttrue\n');
  assert.equal(r.rc, 4 + out.length + 6);
  assert.deepEqual([...host.buffer().slice(0, r.rc)], [...u32(out.length), ...out, ...str('x')]);
  assert.deepEqual(host.compute('local x = 1'), { rc: 5, outLen: 0, output: new Uint8Array(), value: [0x00] }, 'nothing returned: nil');
  assert.deepEqual(host.value('return 10, 20, 30'), int(30), 'only the last value');
  assert.deepEqual(host.value('return 1, nil'), [0x00]);
});

test('compute: every kind of value, tagged as FORMAT.md says', () => {
  const host = initialized();
  const cases = [
    ['nil', [0x00]], ['true', [0x01, 1]], ['false', [0x01, 0]],
    ['42', int(42)], ['-1', int(-1)], ['math.mininteger', int(-(2n ** 63n))], ['math.maxinteger', int(2n ** 63n - 1n)],
    ['3.0', float(3)], ['-0.0', float(-0)], ['2^53', float(2 ** 53)], ['1.5', float(1.5)], ['1/0', float(Infinity)],
    ['-1/0', float(-Infinity)], [`'héllo'`, str('héllo')], [`''`, str('')], [`'a\\0b'`, str(Uint8Array.of(0x61, 0, 0x62))],
    ['{}', [0x08, ...u32(0), ...u32(0), 0x00]], ['{7}', [0x08, ...u32(1), ...u32(0), ...int(7), 0x00]],
    ['print', [0x0b, 5, 0, ...utf8.encode('print')]], ['string.rep', [0x0b, 10, 0, ...utf8.encode('string.rep')]],
    ['_G', [0x0d]],
  ];
  for (const [lua, bytes] of cases) assert.deepEqual(host.value(`return ${lua}`), bytes, lua);
  const nan = host.value('return 0/0');
  assert.equal(nan[0], 0x03);
  assert.ok(Number.isNaN(new DataView(Uint8Array.from(nan).buffer).getFloat64(1, true)));
  // Tables and closures are persist.serialize's bytes (which the tests of FORMAT.md pin).
  for (const lua of [`{1, 'two', {3}, k = {x = true}}`, `(function() local n = 7 return function() return n end end)()`,
    `setmetatable({}, {__index = {a = 1}})`]) {
    assert.deepEqual(host.value(`return ${lua}`), host.value(`return persist.serialize(${lua})`).slice(5), lua);
  }
});

test('compute: a value that cannot be encoded is an error result', () => {
  const host = initialized();
  assert.equal(errorOf(host, 'return (coroutine.running())'),
    'cannot return the result: cannot persist the coroutine: it is the main thread');
  assert.equal(errorOf(host, 'return io.stdout'), 'cannot return the result: cannot serialize a userdata value');
  assert.deepEqual(host.value('return 1'), int(1));
});

test('compute: an external table is returned as its id, tag 07 (cu: the text "table")', () => {
  const host = initialized();
  assert.deepEqual(host.value('return _home'), [0x07, 1, 0, 0, 0]);
  assert.deepEqual(host.value('return _io'), [0x07, 2, 0, 0, 0]);
});

test("print: Lua's tostring, tabs, a newline; bytes as they are", () => {
  const host = initialized();
  const r = host.compute(`print(1.5, 3.0, -0.0, 1e100, 2^63, math.mininteger, nil, true, false) print()
    print(setmetatable({}, {__tostring = function() return 'custom' end})) print('a\\0b')`);
  assert.deepEqual(r.output, utf8.encode('1.5\t3.0\t-0.0\t1e+100\t9.2233720368548e+18\t-9223372036854775808\tnil\ttrue\tfalse\n\ncustom\na\0b\n'));
  assert.equal(r.outLen, r.output.length);
  assert.match(text(host.compute(`print(setmetatable({}, {__name = 'Thing'}))`).output), /^Thing: 0x[0-9a-f]+\n$/);
  assert.equal(errorOf(host, `print('lost') print(setmetatable({}, {__tostring = function() error('in tostring') end}))`),
    'input:1: in tostring');
  assert.equal(host.compute(`print('next')`).outLen, 5, 'the capture starts again in each compute');
});

test('print: 64,512 bytes fit; more is cut there and marked "...", later prints are dropped', () => {
  const host = initialized();
  let r = host.compute(`print(string.rep('a', 64511)) return 1`);
  assert.equal(r.outLen, 64512);
  assert.deepEqual(r.output.slice(-2), utf8.encode('a\n'));
  assert.deepEqual(r.value, int(1));
  r = host.compute(`print(string.rep('a', 64512)) print('later') return 7`);
  assert.equal(r.outLen, 64515);
  assert.ok(r.output.subarray(0, 64512).every((b) => b === 0x61), 'the first 64,512 bytes');
  assert.equal(text(r.output.subarray(64512)), '...');
  assert.deepEqual(r.value, int(7));
  assert.equal(r.rc, 4 + 64515 + 9);
  r = host.compute(`print(string.rep('a', 64511)) print('') return 7`);
  assert.equal(text(r.output.subarray(64510)), 'a\n...', 'the newline that does not fit overflows too');
});

test('results at the limit: 65,536 bytes fit, one more is an error result naming the sizes', () => {
  const host = initialized();
  let r = host.compute(`return string.rep('x', 65527)`);
  assert.equal(r.rc, 65536);
  assert.deepEqual(r.value.slice(0, 5), [0x04, ...u32(65527)]);
  r = host.compute(`print('ab') return string.rep('x', 65524)`);
  assert.equal(r.rc, 65536);
  assert.equal(errorOf(host, `return string.rep('x', 65528)`),
    'the result (0 bytes of output and 65533 of value) does not fit in the 65536-byte buffer');
  assert.equal(errorOf(host, `print('ab') return string.rep('x', 65525)`),
    'the result (3 bytes of output and 65530 of value) does not fit in the 65536-byte buffer');
});

test('Lua errors are -(len+1) results with the message at the buffer, whatever the error value', () => {
  const host = initialized();
  const recursion = 'local function f() return f() + 1 end return f()';
  const cases = [
    [`error('boom')`, 'input:1: boom'],
    ['return 1 +', 'input:1: unexpected symbol near <eof>'],
    ['local t = nil; return t.x', "input:1: attempt to index a nil value (local 't')"],
    ['error(nil)', 'nil'], ['error()', 'nil'], ['error(42)', '42'], ['error(true)', 'true'],
    [`error(setmetatable({}, {__tostring = function() return 'custom' end}))`, 'custom'],
    [`error('', 0)`, 'Unknown error'],
    ['coroutine.yield(1)', 'attempt to yield from outside a coroutine'],
    // Lua's stack would reach its 1,000,000 slots only past the memory a cu host gives it
    // (memory does not grow): an ordinary memory error (with growth: "stack overflow").
    [recursion, 'not enough memory'],
    // cu cut the chunk at the NUL and ran print(1).
    ['print(1)\0print(2)', 'input:1: unexpected symbol'],
    // cu: C's exit trapped the module; there is no os.exit under compute.
    ['os.exit(3)', "input:1: attempt to call a nil value (field 'exit')"],
    ['os.exit(0, true)', "input:1: attempt to call a nil value (field 'exit')"],
  ];
  for (const [code, message] of cases) assert.equal(errorOf(host, code), message, code);
  assert.equal(errorOf(initialized({ growth: true }), recursion), 'input:1: stack overflow');
  assert.match(errorOf(host, 'error({})'), /^table: 0x[0-9a-f]+$/);
  assert.equal(errorOf(host, `require('bigint')`).split('\n')[0], "input:1: module 'bigint' not found:");
  assert.deepEqual(host.value(`return pcall(error, 'x')`), str('x'), 'pcall catches inside a chunk');
  host.compute(`side = 1 error('after the side effect')`);
  assert.deepEqual(host.value('return side'), int(1), 'globals set before an error stay, as in cu');
});

test('error messages at the limit: 65,535 bytes; longer ones are cut there', () => {
  const host = initialized();
  let r = host.compute(`error(string.rep('e', 65534), 0)`);
  assert.equal(r.rc, -65535);
  r = host.compute(`error(string.rep('e', 70000), 0)`);
  assert.equal(r.rc, -65536);
  assert.ok(host.buffer().subarray(0, 65535).every((b) => b === 0x65));
  assert.deepEqual(host.value('return 6 * 7'), int(42));
});

test('a precompiled chunk runs, as in cu', () => {
  const host = initialized();
  const dumped = host.value('return string.dump(function() return 7 end)');
  assert.deepEqual(host.value(Uint8Array.from(dumped.slice(5))), int(7));
});

test('compute reads the chunk at code_ptr: up to 64 KiB at the buffer, larger ones in lp_alloc memory', () => {
  const host = initialized();
  const { x } = host;
  const padded = utf8.encode('return 1' + ' '.repeat(65536 - 8));
  assert.deepEqual(host.value(padded), int(1), 'a 65,536-byte chunk in the buffer');
  const big = utf8.encode(`local s = 0 ${'s = s + 1 '.repeat(7000)} return s`);
  const ptr = x.lp_alloc(big.length);
  assert.notEqual(ptr, 0);
  new Uint8Array(host.memory().buffer, ptr, big.length).set(big);
  const rc = x.compute(ptr, big.length);
  x.lp_free(ptr, big.length);
  assert.deepEqual(host.result(rc).value, int(7000));
  // Not at the buffer and small: code_ptr is not ignored (cu would run the buffer).
  host.buffer().set(utf8.encode('return 1'));
  const small = utf8.encode('return 2');
  const p = x.lp_alloc(small.length);
  new Uint8Array(host.memory().buffer, p, small.length).set(small);
  assert.deepEqual(host.result(x.compute(p, small.length)).value, int(2));
  x.lp_free(p, small.length);
});

test('compute: a chunk past the buffer or outside memory is an error result, not a run of what follows, nor a trap', () => {
  const host = initialized();
  const { x } = host;
  const expected = { rc: -42, error: 'the chunk is outside memory or the buffer' };
  host.buffer().set(utf8.encode('return 1'));
  assert.deepEqual(host.result(x.compute(x.get_buffer_ptr(), 65537)), expected, 'cu: -1 past 64 KiB');
  assert.deepEqual(host.result(x.compute(x.get_buffer_ptr(), 0xffffffff)), expected);
  const end = host.memory().buffer.byteLength;
  assert.deepEqual(host.result(x.compute(end - 4, 8)), expected);
  assert.deepEqual(host.result(x.compute(0xfffffff0, 16)), expected);
  assert.deepEqual(host.value('return 6 * 7'), int(42));
});

test('what a chunk writes with io.write or to stderr is discarded, and does not pile up', () => {
  const host = initialized();
  const { x } = host;
  for (let i = 0; i < 20; i++) {
    const r = host.compute(`io.write(string.rep('x', 100000)) io.stderr:write('err') print('p') return 1`);
    assert.equal(text(r.output), 'p\n');
    assert.equal(x.lp_output_len(1), 0);
    assert.equal(x.lp_output_len(2), 0);
  }
});

test('no files under compute: io.open, dofile and require fail as Lua does, not with a trap (cu trapped)', () => {
  const host = initialized();
  assert.deepEqual(host.value(`return (select(2, io.open('data.txt')))`), str('data.txt: No such file or directory'));
  assert.equal(errorOf(host, `dofile('script.lua')`), 'cannot open script.lua: No such file or directory');
  assert.deepEqual(host.value(`return os.getenv('HOME') == nil and tostring(select(2, pcall(require, 'mod'))):match('^module')`),
    str('module'));
});

test('os.time() is the real time from js_time_now, os.clock() counts from its first call', () => {
  let now = 1700000000123;
  const host = initialized({ now: () => now });
  assert.deepEqual(host.value('return os.time()'), int(1700000000), 'cu: (wrapped ms / 1000), e.g. 338659');
  assert.deepEqual(host.value(`return os.date('!%Y-%m-%d %H:%M:%S')`), str('2023-11-14 22:13:20'));
  assert.deepEqual(host.value('c0 = os.clock() return c0'), float(0));
  now += 1500;
  assert.deepEqual(host.value('return os.clock() - c0'), float(1.5));
});

// ------------------------------------------------------------------------------ memory

test('memory: with growth allowed, a view kept across a call that grows memory is detached; a fresh view reads the result', () => {
  const host = initialized({ growth: true });
  const kept = new Uint8Array(host.memory().buffer);
  const code = utf8.encode(`big = string.rep('x', 8 * 1024 * 1024) return #big`);
  new Uint8Array(host.memory().buffer, host.x.get_buffer_ptr(), code.length).set(code);
  const rc = host.x.compute(host.x.get_buffer_ptr(), code.length);
  assert.equal(kept.byteLength, 0, 'the old view is detached: hosts make a new one after each call');
  assert.deepEqual([...new Uint8Array(host.memory().buffer, host.x.get_buffer_ptr(), rc)], [...u32(0), ...int(8 * 1024 * 1024)]);
});

test(`memory: at least cu's ${CU_PAGES} pages from instantiation; init and ordinary chunks do not grow it`, () => {
  // So a host that keeps one view of memory.buffer, as cu allowed, works for them.
  const host = cuHost();
  const before = host.memory().buffer;
  assert.ok(before.byteLength >= CU_PAGES * 65536, `${before.byteLength / 65536} pages`);
  assert.equal(host.x.init(), 0);
  const chunks = [`return 1 + 1`, `print('hello') return 'x'`, `local t = {} for i = 1, 100 do t[i] = i end return #t`,
    `_home.n = (_home.n or 0) + 1 return _home.n`, `error('e')`, `x = {a = 1, b = {2}} return x`];
  for (let i = 0; i < 3000; i++) {
    host.compute(chunks[i % chunks.length]);
    if (host.memory().buffer !== before) assert.fail(`memory grew at chunk ${i}`);
  }
});

test('get_memory_stats: 12 bytes: the buffer size, the bytes Lua holds, the pages', () => {
  const host = initialized({ growth: true });
  const { x } = host;
  const ptr = x.lp_alloc(20);
  const bytes = () => new Uint8Array(host.memory().buffer, ptr, 20);
  bytes().fill(0xee);
  x.get_memory_stats(ptr + 4);
  assert.deepEqual([...bytes().subarray(0, 4)], [0xee, 0xee, 0xee, 0xee]);
  assert.deepEqual([...bytes().subarray(16)], [0xee, 0xee, 0xee, 0xee], 'exactly 12 bytes written');
  x.lp_free(ptr, 20);
  x.run_gc();
  const base = host.stats();
  assert.equal(base.bufferSize, 65536);
  assert.equal(base.pages, host.memory().buffer.byteLength / 65536, 'cu: always 32');
  assert.ok(base.luaBytes > 10000, 'cu: always 0');
  host.compute(`big = string.rep('x', 1000000)`);
  const grown = host.stats();
  assert.ok(grown.luaBytes >= base.luaBytes + 1000000, `${base.luaBytes} -> ${grown.luaBytes}`);
  assert.equal(grown.pages, host.memory().buffer.byteLength / 65536);
  host.compute('big = nil');
  x.run_gc();
  const after = host.stats();
  assert.ok(grown.luaBytes - after.luaBytes > 990000, `${base.luaBytes} -> ${grown.luaBytes} -> ${after.luaBytes}`);
});

test('run_gc: a full collection, finalizers included (cu: a no-op)', () => {
  const host = initialized();
  // 3,000 tables: within the memory of a host written for cu (memory does not grow).
  host.compute(`collectgarbage('stop') setmetatable({}, {__gc = function() finalized = (finalized or 0) + 1 end})
    local t = {} for i = 1, 3000 do t[i] = {} end`);
  const before = host.stats().luaBytes;
  assert.deepEqual(host.value('return finalized'), [0x00]);
  host.x.run_gc();
  assert.deepEqual(host.value('return finalized'), int(1));
  assert.ok(host.stats().luaBytes < before - 100000, 'the garbage is gone');
  host.compute(`setmetatable({}, {__gc = function() error('in __gc') end})`);
  host.x.run_gc();
  assert.deepEqual(host.value(`collectgarbage('restart') return 1`), int(1), 'an error in __gc is not a trap');
});

// -------------------------------------------------------------------- external tables

test('attach_memory_table: _home (and Memory, with the alias on) become that table; ids go past it', () => {
  const host = initialized();
  const { x, calls, tables } = host;
  tables.set(7, new Map([['x', Uint8Array.from(int(42))]]));
  x.attach_memory_table(7);
  assert.deepEqual(calls, [], 'attaching asks the host nothing');
  assert.equal(x.get_memory_table_id(), 7);
  assert.deepEqual(host.value('return _home.x'), int(42));
  assert.deepEqual(calls, [['get', 7, 'x', 16384]]);
  assert.deepEqual(host.value(`return rawget(Memory, '__ext_table_id') * 100 + rawget(_home, '__ext_table_id')`), int(707));
  assert.deepEqual(host.value(`return rawget(ext.table(), '__ext_table_id')`), int(8), 'the counter is past the id');
  x.attach_memory_table(0);
  assert.equal(x.get_memory_table_id(), 7, 'id 0 is ignored');
  x.set_memory_alias_enabled(0);
  x.attach_memory_table(9);
  assert.deepEqual(host.value(`return rawget(Memory, '__ext_table_id') * 100 + rawget(_home, '__ext_table_id')`), int(709),
    'with the alias off, Memory keeps the old table');
  x.set_memory_alias_enabled(1);
  x.attach_memory_table(3);
  assert.deepEqual(host.value(`return rawget(Memory, '__ext_table_id') * 100 + rawget(_home, '__ext_table_id')`), int(303));
  assert.deepEqual(host.value(`return rawget(ext.table(), '__ext_table_id')`), int(10), 'the counter never goes down');
});

test('sync_external_table_counter raises the next id, never lowers it; exhausted ids are an error result', () => {
  const host = initialized();
  const id = () => host.value(`return rawget(ext.table(), '__ext_table_id')`);
  assert.deepEqual(id(), int(3), 'after _home (1) and _io (2)');
  host.x.sync_external_table_counter(100);
  assert.deepEqual(id(), int(100));
  host.x.sync_external_table_counter(50);
  assert.deepEqual(id(), int(101));
  host.x.sync_external_table_counter(-1); // 0xffffffff
  assert.equal(errorOf(host, 'return ext.table()'), 'external table ids are exhausted');
});

test('_io is table 2; what Lua stores there is what a cu host reads', () => {
  const host = initialized();
  host.compute(`_io.output = {z = 9}`);
  assert.deepEqual(host.calls.filter((c) => c[0] === 'set'), [['set', 3, 'z', int(9)], ['set', 2, 'output', [0x07, ...u32(3)]]],
    'the new table first, then the key that makes it reachable');
  assert.deepEqual([...host.tables.get(2).get('output')], [0x07, ...u32(3)]);
  assert.deepEqual([...host.tables.get(3).get('z')], int(9));
});

test('clear_io_table deletes input, output and meta (cu stored nil markers); no trap if _io is not a table', () => {
  const host = initialized({ deletes: true });
  host.compute(`_io.input = 1 _io.output = 2 _io.meta = 3 _io.other = 4`);
  host.calls.length = 0;
  host.x.clear_io_table();
  assert.deepEqual(host.calls, [['set', 2, 'input', []], ['set', 2, 'output', []], ['set', 2, 'meta', []]]);
  assert.deepEqual([...host.tables.get(2).keys()], ['other']);
  host.compute('_io = 5');
  host.calls.length = 0;
  host.x.clear_io_table();
  assert.deepEqual(host.calls, []);
  assert.deepEqual(host.value('return _io'), int(5));
  host.compute('_io = {input = 1, keep = 2}');
  host.x.clear_io_table();
  assert.deepEqual(host.value('return _io.input == nil and _io.keep'), int(2));
});

test('clear_io_table with a store that refuses: no trap, the instance goes on', () => {
  const host = initialized({ hooks: { set: () => 1 } });
  host.x.clear_io_table();
  assert.equal(host.calls.length, 1, 'the first refused delete raises and ends the clearing');
  assert.deepEqual(host.value('return 1'), int(1));
});

// ------------------------------------------------------------------ the store imports

test('set, delete as an empty value, get with a 16 KiB window, size', () => {
  const host = initialized();
  host.compute('_home.a = 1');
  assert.deepEqual(host.calls, [['set', 1, 'a', int(1)]]);
  host.calls.length = 0;
  assert.deepEqual(host.value('return _home.a'), int(1));
  assert.deepEqual(host.calls, [['get', 1, 'a', 16384]]);
  host.calls.length = 0;
  host.compute('_home.a = nil');
  assert.deepEqual(host.calls, [['set', 1, 'a', []]], 'a delete is a set with value_len 0');
  assert.deepEqual(host.value('return _home.a'), [0x00], 'the empty value a cu host stored reads as nil');
  host.calls.length = 0;
  assert.deepEqual(host.value('return #_home'), int(1), "a cu host's count, its empty value included");
  assert.deepEqual(host.calls, [['size', 1]]);
});

test('what Lua stores: floats stay floats, C functions by name, functions inside tables, deep nesting (cu: 02, 06 FF FF, traps)', () => {
  const host = initialized();
  host.compute(`_home.fl = 3.0 _home.p = print _home.obj = {f = function(a) return a + 1 end}
    local t = {} local cur = t for i = 1, 50 do cur[1] = {} cur = cur[1] end cur[1] = 'bottom' _home.deep = t`);
  const stored = (id, key) => [...host.tables.get(id).get(key)];
  assert.deepEqual(stored(1, 'fl'), float(3));
  assert.deepEqual(stored(1, 'p'), [0x0b, 5, 0, ...utf8.encode('print')]);
  assert.deepEqual(host.value('return _home.obj.f(1)'), int(2));
  assert.deepEqual(host.value('local c = _home.deep for i = 1, 50 do c = c[1] end return c[1]'), str('bottom'));
  assert.deepEqual(host.value('return math.type(_home.fl) .. tostring(_home.p == print)'), str('floattrue'));
});

test('get results: 0 and -1 are nil; below -1 the store failed (an error result)', () => {
  let answer;
  const host = initialized({ hooks: { get: () => answer } });
  for (const a of [0, -1]) {
    answer = a;
    assert.deepEqual(host.value('return _home.k'), [0x00], String(a));
  }
  answer = -2;
  assert.equal(errorOf(host, 'return _home.k'), 'external table 1: cannot read key "k": the host store failed');
  answer = -1000;
  assert.match(errorOf(host, 'return _home.k'), /the host store failed$/);
  assert.deepEqual(host.value('return 1'), int(1));
});

test('stored bytes are checked when read: bad data is an error result naming the key (cu: nil)', () => {
  const host = initialized();
  const put = (key, bytes) => host.tables.get(1).set(key, Uint8Array.from(bytes));
  put('unknown', [0x0f]);
  put('short', [0x02, 1, 0]);
  put('trailing', [...int(1), 0]);
  put('cu', int(3)); // cu wrote 3.0 as an integer: it reads back as one
  assert.equal(errorOf(host, 'return _home.unknown'), 'external table 1: key "unknown" holds bad data: unknown type tag 0x0f at offset 0');
  assert.match(errorOf(host, 'return _home.short'), /^external table 1: key "short" holds bad data: /);
  assert.match(errorOf(host, 'return _home.trailing'), /^external table 1: key "trailing" holds bad data: /);
  assert.deepEqual(host.value('return _home.cu'), int(3));
});

test('size results: below -1 the store failed', () => {
  let answer = -2;
  const host = initialized({ hooks: { size: (id) => (id === 0 ? undefined : answer) } });
  assert.equal(errorOf(host, 'return #_home'), 'external table 1: the host store failed');
  answer = 0;
  assert.deepEqual(host.value('return #_home'), int(0));
});

test('set results: non-zero is an error result naming the key and the code', () => {
  let answer = 7;
  const host = initialized({ hooks: { set: () => answer } });
  assert.equal(errorOf(host, '_home.a = 1'), 'external table 1: cannot store key "a": the host store refused the write (code 7)');
  assert.equal(errorOf(host, '_home.a = nil'), 'external table 1: cannot delete key "a": the host store refused the write (code 7)');
  answer = undefined;
  assert.deepEqual(host.value('_home.a = 2 return _home.a'), int(2));
});

test('a refused write while storing a nested table leaves no key behind', () => {
  const host = initialized({ deletes: true, hooks: { set: (id, key) => (id === 1 && key === 't' ? 1 : undefined) } });
  assert.match(errorOf(host, '_home.t = {1, {2}}'), /^external table 1: cannot store key "t": the host store refused the write \(code 1\)$/);
  const left = [...host.tables].filter(([, t]) => t.size > 0).map(([id]) => id);
  assert.deepEqual(left, [], 'the new tables were deleted again');
});

test('a value longer than the window is announced by its length and read again with a buffer that size', () => {
  const big = Uint8Array.from(str('x'.repeat(19995)));
  let second = big;
  const host = initialized({
    hooks: {
      get: (id, key, max, write) => {
        if (key !== 'big') return undefined;
        const v = max === 16384 ? big : second;
        if (v.length <= max) write(v);
        return v.length;
      },
    },
  });
  const r = host.compute('return _home.big');
  assert.deepEqual(host.calls, [['get', 1, 'big', 16384], ['get', 1, 'big', 20000]]);
  assert.equal(r.rc, 4 + 20000);
  assert.deepEqual(r.value, [...big]);
  second = Uint8Array.from(str('short'));
  assert.equal(errorOf(host, 'return _home.big'),
    'external table 1: cannot read key "big": the host\'s value changed size while it was read (20000 then 10 bytes)');
});

test("a cu host's -1 for a long value reads as nil", () => {
  const host = initialized();
  host.compute(`_home.big = string.rep('y', 20000)`);
  assert.equal(host.tables.get(1).get('big').length, 20005);
  assert.deepEqual(host.value('return _home.big'), [0x00]);
});

test('the key listing: get with key_len 0, each key as u32 length + bytes; integer keys come back as integers', () => {
  const keys = ['1', 'b', 'x'.repeat(17000)];
  const listing = Uint8Array.from(keys.flatMap((k) => [...u32(k.length), ...utf8.encode(k)]));
  let answer = listing;
  const host = initialized({
    hooks: {
      get: (id, key, max, write) => {
        if (key !== '') return undefined;
        if (answer.length <= max) write(answer);
        return answer.length;
      },
    },
  });
  assert.deepEqual(host.value(`local r = {} for k in pairs(_home) do r[#r + 1] = math.type(k) or #k end return table.concat(r, ',')`),
    str('integer,1,17000'));
  assert.deepEqual(host.calls.filter((c) => c[2] === ''), [['get', 1, '', 16384], ['get', 1, '', listing.length]]);
  answer = Uint8Array.of(5, 0, 0, 0, 0x61);
  assert.equal(errorOf(host, 'for k in pairs(_home) do end'), "external table 1: the host's key listing is malformed");
});

test("a cu host's -1 for the listing: pairs sees no keys", () => {
  const host = initialized();
  host.compute('_home.a = 1');
  assert.deepEqual(host.value('local n = 0 for k in pairs(_home) do n = n + 1 end return n'), int(0));
});

test("the module's signals: 'commit' ends each compute; blocks send 'begin' and 'end' or 'undo'", () => {
  // A host written for cu answers -1 to each: it wrote through, and the module undoes a
  // failed block itself, by writing back what the block replaced.
  const host = initialized();
  host.value('_home.a = 1 return 0');
  assert.deepEqual(host.signals, ['commit']);
  host.signals.length = 0;
  const failed = host.compute("ext.atomic(function() _home.a = 2 _home.b = 3 error('no') end)");
  assert.match(failed.error, /no/);
  assert.deepEqual(host.signals, ['begin', 'undo', 'commit']);
  assert.deepEqual(host.value('return (_home.a or 0) * 10 + (_home.b or 0)'), int(10), 'put back by the module');
  host.signals.length = 0;
  host.value('ext.atomic(function() _home.a = 5 end) return 0');
  assert.deepEqual(host.signals, ['begin', 'end', 'commit']);
  // A host that answers 'begin' drops a failed block's writes itself: the module then
  // writes nothing back.
  const holding = initialized({ hooks: { signal: (key, write) => (key === 'begin' ? (write([1]), 1) : undefined) } });
  holding.value('_home.a = 1 return 0');
  holding.calls.length = 0;
  holding.compute("ext.atomic(function() _home.a = 2 error('no') end)");
  assert.deepEqual(holding.calls.filter((c) => c[0] === 'set'), [['set', 1, 'a', [...int(2)]]], 'no write-back');
});

test('the next free id: size(0) before each new table; ids start past it', () => {
  const host = initialized({ hooks: { size: (id) => (id === 0 ? 40 : undefined) } });
  assert.deepEqual(host.value(`return rawget(ext.table(), '__ext_table_id')`), int(40));
  assert.deepEqual(host.calls, [['size', 0]]);
});

test('a JavaScript store that throws: an error result or status, and the state stays sound', async () => {
  for (const method of ['get', 'keys', 'size', 'nextFreeId', 'set', 'delete']) {
    const store = new MemoryStore();
    let armed = false;
    const original = store[method].bind(store);
    store[method] = (...args) => {
      if (armed) throw new Error('store down');
      return original(...args);
    };
    const lua = await LuaModule.instantiate(wasmModule, { store });
    const x = lua.exports;
    assert.equal(x.init(), 0, method);
    const compute = (code) => {
      const bytes = utf8.encode(code);
      new Uint8Array(x.memory.buffer, x.get_buffer_ptr(), bytes.length).set(bytes);
      const rc = x.compute(x.get_buffer_ptr(), bytes.length);
      return { rc, error: rc < 0 ? text(new Uint8Array(x.memory.buffer, x.get_buffer_ptr(), -rc - 1).slice()) : null };
    };
    assert.equal(compute('_home.a = 1').rc, 5);
    const use = {
      get: 'return _home.a', keys: 'for k in pairs(_home) do end', size: 'return #_home',
      nextFreeId: 'return ext.table()', set: '_home.b = 2', delete: '_home.a = nil',
    }[method];
    armed = true;
    // Many failures in a row: an exception unwinding through Lua would leave C-call depth
    // behind each time, and the state would soon fail with "C stack overflow".
    for (let i = 0; i < 300; i++) {
      const r = compute(use);
      if (!(r.rc < 0 && /host store (failed|refused)/.test(r.error))) assert.fail(`${method}: ${JSON.stringify(r)}`);
    }
    armed = false;
    assert.equal(compute('local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(180)').rc, 13, method);
    assert.equal(compute('return _home.a').rc, 13, method);
    const S = lua.newState();
    armed = true;
    // (Writes are held until an output point: ext.commit() is one.)
    const r = S.exec(`print(pcall(function() do ${use} end ext.commit() end))`);
    armed = false;
    assert.equal(r.status, LuaStatus.OK);
    assert.match(text(r.stdout), /^false\t.*host store (failed|refused)/, method);
  }
});

test('raw imports that throw: a Lua error for the store, the epoch for the clock; the state stays sound', () => {
  let armed = false;
  const host = initialized({ hooks: { get: () => { if (armed) throw new Error('store down'); } } });
  armed = true;
  for (let i = 0; i < 300; i++) {
    assert.match(errorOf(host, 'local function f(n) if n == 0 then return _home.a end return (f(n - 1)) end return f(5)'),
      /the host store failed/);
  }
  armed = false;
  assert.deepEqual(host.value('local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(180)'), int(180));

  const throwing = () => { if (armed) throw new Error('host down'); };
  const other = initialized({ hooks: { set: throwing, size: throwing }, now: () => { if (armed) throw new Error('no clock'); return Date.now(); } });
  armed = true;
  assert.match(errorOf(other, '_home.x = 1'), /cannot store key "x"/);
  assert.match(errorOf(other, 'return #_home'), /the host store failed/);
  assert.deepEqual(other.value('return os.time()'), int(0), 'a clock that throws reads as the epoch');
  armed = false;
  assert.deepEqual(other.value('_home.x = 2 return _home.x'), int(2));
});
