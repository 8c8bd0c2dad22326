// Differential test: every Lua script in tests/corpus/ must print byte for byte the same
// on the native runner (target/release/lua-persist) and on the wasm module
// (target/wasm32-unknown-unknown/release/lua_persist.wasm): stdout, stderr and exit code.
//
// Build both first:
//   cargo build --release --features cli --bin lua-persist
//   scripts/build-wasm
// Run: node --test wasm/test/corpus.test.mjs
//
// Arguments: a script whose first line is `-- args: a b "c d" ""` is run with those
// arguments (words split on blanks; double quotes group, "" is an empty argument).
// Environment for the native run: TZ=UTC, LC_ALL=C. Both sides get the script by the
// same path relative to the repository root, so chunk names in messages agree.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { compileModule, LuaModule } from '../lua-persist.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const nativeBin = path.join(root, 'target/release/lua-persist');
const wasmFile = path.join(root, 'target/wasm32-unknown-unknown/release/lua_persist.wasm');
const corpusDir = 'tests/corpus';

const missing = [];
if (!existsSync(nativeBin)) missing.push(`${nativeBin} (build it with: cargo build --release --features cli --bin lua-persist)`);
if (!existsSync(wasmFile)) missing.push(`${wasmFile} (build it with: scripts/build-wasm)`);

const scripts = existsSync(path.join(root, corpusDir))
  ? readdirSync(path.join(root, corpusDir)).filter((f) => f.endsWith('.lua')).sort()
  : [];

/** Arguments from a first line `-- args: ...`. */
function scriptArgs(source) {
  const first = source.split('\n', 1)[0];
  const m = /^--\s*args:(.*)$/.exec(first);
  if (!m) return [];
  const args = [];
  const re = /"([^"]*)"|(\S+)/g;
  let t;
  while ((t = re.exec(m[1])) !== null) args.push(t[1] !== undefined ? t[1] : t[2]);
  return args;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** A readable description of the first difference between two byte streams. */
function firstDifference(name, native, wasm) {
  const a = Buffer.from(native);
  const b = Buffer.from(wasm);
  if (a.equals(b)) return null;
  const la = decoder.decode(a).split('\n');
  const lb = decoder.decode(b).split('\n');
  let i = 0;
  while (i < la.length && i < lb.length && la[i] === lb[i]) i++;
  const show = (lines) => (i < lines.length ? JSON.stringify(lines[i]) : '<end of output>');
  return `${name} differs at line ${i + 1}:\n  native: ${show(la)}\n  wasm:   ${show(lb)}` +
    `\n  (${a.length} bytes native, ${b.length} bytes wasm)`;
}

let wasmModule;

before(async () => {
  if (missing.length) return;
  wasmModule = await compileModule(readFileSync(wasmFile));
});

test('corpus prerequisites', () => {
  assert.equal(missing.length, 0, `missing build output:\n  ${missing.join('\n  ')}`);
  assert.ok(scripts.length >= 170, `expected at least 170 scripts in ${corpusDir}, found ${scripts.length}`);
});

for (const name of scripts) {
  const rel = `${corpusDir}/${name}`;
  test(rel, { skip: missing.length ? 'builds missing' : false }, async () => {
    const bytes = readFileSync(path.join(root, rel));
    const args = scriptArgs(bytes.toString('utf8'));

    const nat = spawnSync(nativeBin, [rel, ...args], {
      cwd: root,
      input: '',
      // The corpus is about Lua, not the store: no store file, the wasm runner's policy.
      env: { ...process.env, TZ: 'UTC', LC_ALL: 'C', LUA_PERSIST_STORE: ':memory:' },
      timeout: 20000,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (nat.error) throw nat.error;
    const native = { code: nat.status, stdout: nat.stdout, stderr: nat.stderr };
    if (nat.signal) native.code = `signal ${nat.signal}`;

    let wasm;
    try {
      const lua = await LuaModule.instantiate(wasmModule);
      lua.putFile(rel, bytes);
      wasm = lua.main(['lua-persist', rel, ...args]);
    } catch (e) {
      // A trap (e.g. memory access out of bounds) aborts the whole module call.
      assert.fail(`${rel}\nwasm module threw: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join('\n  ') : e}` +
        `\nnative exit ${native.code}, stdout starts: ${JSON.stringify(decoder.decode(native.stdout).slice(0, 200))}`);
    }

    const problems = [
      firstDifference('stdout', native.stdout, wasm.stdout),
      firstDifference('stderr', native.stderr, wasm.stderr),
      native.code === wasm.code ? null : `exit code differs: native ${native.code}, wasm ${wasm.code}`,
    ].filter(Boolean);
    assert.ok(problems.length === 0, `${rel}\n${problems.join('\n')}`);
  });
}
