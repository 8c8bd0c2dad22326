// Atomic blocks (ext.atomic) in the wasm module: the host store has no transactions, so a
// failed block's writes are put back by the module itself; nested blocks join; results come
// back. One instance runs one call at a time, so a block is never interleaved with another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newLua, text } from './helpers.mjs';
import { LuaStatus } from '../lua-persist.mjs';

function exec(state, code) {
  const r = state.exec(code);
  return { status: r.status, out: text(r.stdout), err: text(r.stderr) };
}

test('a failed atomic block stores nothing; a good one stores everything', async () => {
  const lua = await newLua();
  const S = lua.newState();
  assert.equal(exec(S, "_home.a = 1 _home.t = {k = 'v'}").status, LuaStatus.OK);
  const failed = exec(S, "ext.atomic(function() _home.a = 2 _home.t.k = nil _home.t.j = 1 _home.new = {1, 2} error('undo me') end)");
  assert.equal(failed.status, LuaStatus.ERRRUN);
  assert.match(failed.err, /undo me/);
  assert.equal(exec(S, 'print(_home.a, _home.t.k, _home.t.j, _home.new)').out, '1\tv\tnil\tnil\n');
  assert.equal(exec(S, "print(ext.atomic(function(x) _home.a = x return x + 1 end, 41), _home.a)").out, '42\t41\n');
  // Nested blocks join: the outer failure takes the inner writes with it.
  const nested = exec(S, "print(pcall(ext.atomic, function() ext.atomic(function() _home.inner = 1 end) error('outer') end)) print(_home.inner)");
  assert.equal(nested.out, 'false\tinput:1: outer\nnil\n');
  // A second state over the same store sees the committed values.
  assert.equal(exec(lua.newState(), 'print(_home.a, _home.t.k)').out, '41\tv\n');
});

test('many small atomic blocks in a row', async () => {
  const lua = await newLua();
  const S = lua.newState();
  const r = exec(S, 'for i = 1, 100 do ext.atomic(function() _home.n = (_home.n or 0) + 1 end) end print(_home.n)');
  assert.equal(r.out, '100\n');
});
