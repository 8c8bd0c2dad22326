// FORMAT.md's `golden` and `golden-error` vector blocks, checked in the wasm module (as
// tests/format_golden.rs checks them natively): each expression serializes to exactly its
// bytes and the bytes decode to an equal value; each rejected input fails. Test-time tokens
// ({u32+bytes: EXPR}, a chunk from string.dump) are evaluated in the module's state. Left
// to the Rust test: lines with another policy than `trust`, the test-only C function
// `host.answer`, and `UnresolvedTableRef` (the module's states resolve 07 to external
// tables).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newLua, repoRoot, text } from './helpers.mjs';
import { LuaStatus } from '../lua-persist.mjs';

const spec = readFileSync(join(repoRoot, 'FORMAT.md'), 'utf8');

/** The lines of the fenced block `info`: [line number, a Lua expression for its bytes, text]. */
function vectors(info) {
  const lines = spec.split('\n');
  const start = lines.indexOf('```' + info);
  assert.ok(start >= 0, `FORMAT.md has a ${info} block`);
  const out = [];
  for (let i = start + 1; lines[i] !== '```'; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const [bytesPart, textPart, policy] = (' ' + line).split(' | ').map((p) => p?.trim() ?? '');
    if (policy && policy !== 'trust') continue; // the module's states trust (a policy: the Rust test)
    const parts = [];
    let hex = '';
    const flush = () => { if (hex) parts.push(`from_hex('${hex.toLowerCase()}')`); hex = ''; };
    for (const [, quoted, dump, token] of bytesPart.matchAll(/"([^"]*)"|\{u32\+bytes:(.*?)\}(?=\s|$)|(\S+)/g)) {
      let m;
      if (quoted !== undefined) hex += Buffer.from(quoted, 'latin1').toString('hex');
      else if (dump !== undefined) { flush(); parts.push(`u32_bytes(${dump})`); }
      else if ((m = token.match(/^([0-9A-Fa-f]{2})\*([0-9]+)$/))) hex += m[1].repeat(Number(m[2]));
      else if (/^([0-9A-Fa-f]{2})+$/.test(token)) hex += token;
      else throw new Error(`FORMAT.md line ${i + 1}: unknown token ${token}`);
    }
    flush();
    out.push([i + 1, parts.length ? parts.join(' .. ') : "''", textPart]);
  }
  return out;
}

// Lua helpers in the state: bytes from hex, and the Rust test's deep equality
// (tests/deep_equal.lua).
const HELPERS = `
function from_hex(h) return (h:gsub('..', function(b) return string.char(tonumber(b, 16)) end)) end
function to_hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end
function u32_bytes(s) return string.pack('<I4', #s) .. s end
${readFileSync(join(repoRoot, 'tests/deep_equal.lua'), 'utf8')}`;

test('golden: every vector encodes to its bytes and decodes to its value in the module', async () => {
  const lua = await newLua();
  const S = lua.newState();
  assert.equal(S.exec(HELPERS).status, LuaStatus.OK);
  let checked = 0;
  const failures = [];
  for (const [line, bytes, expr] of vectors('golden')) {
    if (/host[._]answer/.test(expr)) continue;
    // One line, as the Rust test evaluates it: functions dumped here record line 1.
    const r = S.exec(`local v = (${expr}) \
      local want = ${bytes} \
      local got = persist.serialize(v) \
      if got ~= want then error('encodes to ' .. to_hex(got) .. ', not ' .. to_hex(want), 0) end \
      local ok, why = deep_equal(persist.deserialize(want), (${expr})) \
      if not ok then error('decodes to another value: ' .. why, 0) end`);
    if (r.status !== LuaStatus.OK) failures.push(`FORMAT.md line ${line}: ${expr}: ${text(r.stderr).split('\n')[0]}`);
    checked++;
  }
  assert.deepEqual(failures, []);
  assert.ok(checked >= 50, `${checked} vectors`);
});

test('golden-error: every rejected input fails in the module', async () => {
  const lua = await newLua();
  const S = lua.newState();
  assert.equal(S.exec(HELPERS).status, LuaStatus.OK);
  let checked = 0;
  const failures = [];
  for (const [line, bytes, name] of vectors('golden-error')) {
    if (name === 'UnresolvedTableRef') continue;
    const r = S.exec(`local ok, e = pcall(persist.deserialize, ${bytes})
      if ok then error('decoded', 0) end io.write(tostring(e))`);
    if (r.status !== LuaStatus.OK) failures.push(`FORMAT.md line ${line} (${name}): ${text(r.stderr).split('\n')[0]}`);
    checked++;
  }
  assert.deepEqual(failures, []);
  assert.ok(checked >= 20, `${checked} vectors`);
});
