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

function exec(state, code) {
  const r = state.exec(code);
  assert.equal(r.status, LuaStatus.OK, `${code}\n${text(r.stderr)}`);
  return text(r.stdout);
}

const load = (program) => `co = assert(load([==[${program}]==]))()`;

// The driver of tests/coroutine_oracle.rs, from its corpus: the prelude defines `emit` and
// the trace, and the step chunk resumes `co` with STEP_NUMBER and returns the step's lines.
const step = (driver, i) => `STEP_NUMBER = ${i} io.write((function() ${driver.step} end)())`;

async function uninterrupted(driver, program, steps) {
  const lua = await LuaModule.instantiate(wasmModule, { store: new MemoryStore() });
  const S = lua.newState();
  exec(S, driver.prelude);
  exec(S, load(program));
  const trace = [];
  for (let i = 1; i <= steps; i++) trace.push(exec(S, step(driver, i)));
  return trace;
}

async function interrupted(driver, program, steps) {
  const store = new MemoryStore();
  const trace = [];
  for (let i = 1; i <= steps; i++) {
    // A fresh instance every step: the coroutine lives only in the store's bytes.
    const lua = await LuaModule.instantiate(wasmModule, { store });
    const S = lua.newState();
    exec(S, driver.prelude);
    exec(S, i === 1 ? load(program) : 'co = _home.co');
    trace.push(exec(S, step(driver, i)));
    exec(S, '_home.co = co');
  }
  return trace;
}

test('generated coroutine programs give the native trace in the module, persisted at every yield', async () => {
  assert.ok(existsSync(corpusPath),
    `${corpusPath} is missing: \`cargo test --test coroutine_oracle\` writes it (scripts/test runs it first)`);
  const driver = JSON.parse(readFileSync(corpusPath, 'utf8'));
  const corpus = driver.programs;
  assert.ok(corpus.length >= 32, `${corpus.length} programs`);
  let yields = 0;
  for (const { program, trace } of corpus) {
    assert.deepEqual(await uninterrupted(driver, program, trace.length), trace, program);
    assert.deepEqual(await interrupted(driver, program, trace.length), trace, program);
    yields += trace.length - 1;
  }
  assert.ok(yields > corpus.length, `${yields} yields`);
});
