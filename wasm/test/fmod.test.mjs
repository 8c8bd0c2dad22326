// The module's own fmod (wasm/libc/math.c: compiler-builtins' costs 2.4 KB) against
// JavaScript's `%`, which is IEEE fmod exactly: math.fmod and the float `%` of Lua (which
// is fmod plus a sign correction) go through it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newLua, text } from './helpers.mjs';
import { LuaStatus } from '../lua-persist.mjs';

const bits = new DataView(new ArrayBuffer(8));
const fromBits = (hi, lo) => {
  bits.setUint32(0, hi);
  bits.setUint32(4, lo);
  return bits.getFloat64(0);
};
const hex = (x) => {
  bits.setFloat64(0, x);
  return bits.getBigUint64(0).toString(16).padStart(16, '0');
};

// A deterministic generator (xorshift32), so that a failure repeats.
let seed = 0x9e3779b9;
const next = () => {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed;
};
/** Any bit pattern: normals of every exponent, subnormals, zeros, infinities, NaNs. */
const anyDouble = () => fromBits(next(), next());
/** Numbers near each other in size (the usual case), some negative. */
const nearby = () => (next() % 2 ? -1 : 1) * (next() / 2 ** 16) * 2 ** ((next() % 40) - 20);

const special = [0, -0, 1, -1, 0.5, 3, -3, 2 ** 1023, -(2 ** 1023), Number.MAX_VALUE, Number.MIN_VALUE,
  2 ** -1022, 2 ** -1022 - Number.MIN_VALUE, Infinity, -Infinity, NaN, 0.1, 1e300, 1e-300, 7.5, 2 ** 53, 2 ** 53 + 2];

test('fmod equals JavaScript % on special values and 30,000 random pairs', async () => {
  const pairs = [];
  for (const x of special) for (const y of special) pairs.push([x, y]);
  for (let i = 0; i < 10000; i++) pairs.push([anyDouble(), anyDouble()]);
  for (let i = 0; i < 10000; i++) pairs.push([nearby(), nearby()]);
  for (let i = 0; i < 10000; i++) pairs.push([anyDouble(), nearby()]);
  const lua = await newLua();
  const S = lua.newState();
  // The pairs travel as hex bit patterns (exact, NaN payloads aside); results come back so.
  const input = pairs.map(([x, y]) => `${hex(x)} ${hex(y)}`).join('\n');
  lua.putFile('pairs.txt', input);
  const r = S.exec(`
    local function double(h) return (string.unpack('>d', (h:gsub('..', function(b) return string.char(tonumber(b, 16)) end)))) end
    local out = {}
    for line in io.lines('pairs.txt') do
      local x, y = line:match('(%x+) (%x+)')
      local r = math.fmod(double(x), double(y))
      out[#out + 1] = (string.pack('>d', r):gsub('.', function(c) return string.format('%02x', c:byte()) end))
    end
    io.write(table.concat(out, '\\n'))`);
  assert.equal(r.status, LuaStatus.OK, text(r.stderr));
  const results = text(r.stdout).split('\n');
  assert.equal(results.length, pairs.length);
  let checked = 0;
  pairs.forEach(([x, y], i) => {
    const expected = x % y;
    if (Number.isNaN(expected)) {
      assert.ok(Number.isNaN(fromBits(parseInt(results[i].slice(0, 8), 16), parseInt(results[i].slice(8), 16))),
        `fmod(${x}, ${y}) should be NaN, got ${results[i]}`);
    } else {
      assert.equal(results[i], hex(expected), `fmod(${x}, ${y})`);
    }
    checked++;
  });
  assert.equal(checked, 30000 + special.length ** 2);
});

test("Lua's float % keeps its sign rules through fmod", async () => {
  const lua = await newLua();
  const r = lua.newState().exec("print(5.5 % 2, -5.5 % 2, 5.5 % -2, -5.5 % -2, 1e308 % 3.0, 3.0 % math.huge, -3.0 % math.huge, 0.0 % 1)");
  assert.equal(text(r.stdout), '1.5\t0.5\t-0.5\t-1.5\t2.0\t3.0\tinf\t0.0\n');
});
