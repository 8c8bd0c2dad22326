// The generated coroutine programs of tests/coroutine_oracle.rs (written by that test to
// target/tmp/coroutine-oracle.json, with their traces from an uninterrupted native run), run
// in the wasm module: uninterrupted in one state, and with the coroutine stored in `_home`
// and read back by a fresh module instance over the same store at every yield. Both traces
// must equal the native one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, text, wasmModule } from './helpers.mjs';
import { LuaModule, LuaStatus, MemoryStore } from '../lua-persist.mjs';

const corpusPath = join(repoRoot, 'target/tmp/coroutine-oracle.json');

// As in tests/coroutine_oracle.rs: `emit` appends to the trace; one step resumes `co`.
const PRELUDE = "trace = {} function emit(x) trace[#trace + 1] = tostring(x) end";
const step = (i) => `local ok, r = coroutine.resume(co, ${i})
  emit((ok and 'ok ' or 'error ') .. tostring(r))
  emit(coroutine.status(co))
  io.write(table.concat(trace, '\\n')) trace = {}`;

function exec(state, code) {
  const r = state.exec(code);
  assert.equal(r.status, LuaStatus.OK, `${code}\n${text(r.stderr)}`);
  return text(r.stdout);
}

const load = (program) => `co = assert(load([==[${program}]==]))()`;

async function uninterrupted(program, steps) {
  const lua = await LuaModule.instantiate(wasmModule, { store: new MemoryStore() });
  const S = lua.newState();
  exec(S, PRELUDE);
  exec(S, load(program));
  const trace = [];
  for (let i = 1; i <= steps; i++) trace.push(exec(S, step(i)));
  return trace;
}

async function interrupted(program, steps) {
  const store = new MemoryStore();
  const trace = [];
  for (let i = 1; i <= steps; i++) {
    // A fresh instance every step: the coroutine lives only in the store's bytes.
    const lua = await LuaModule.instantiate(wasmModule, { store });
    const S = lua.newState();
    exec(S, PRELUDE);
    exec(S, i === 1 ? load(program) : 'co = _home.co');
    trace.push(exec(S, step(i)));
    exec(S, '_home.co = co');
  }
  return trace;
}

test('generated coroutine programs give the native trace in the module, persisted at every yield', async () => {
  assert.ok(existsSync(corpusPath),
    `${corpusPath} is missing: \`cargo test --test coroutine_oracle\` writes it (scripts/test runs it first)`);
  const corpus = JSON.parse(readFileSync(corpusPath, 'utf8'));
  assert.ok(corpus.length >= 32, `${corpus.length} programs`);
  let yields = 0;
  for (const { program, trace } of corpus) {
    assert.deepEqual(await uninterrupted(program, trace.length), trace, program);
    assert.deepEqual(await interrupted(program, trace.length), trace, program);
    yields += trace.length - 1;
  }
  assert.ok(yields > corpus.length, `${yields} yields`);
});
