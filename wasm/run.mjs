#!/usr/bin/env node
// node wasm/run.mjs [--store DIR] [-e CODE]... [-v] [SCRIPT [ARGS...]]
// Runs Lua in the wasm build as the native `lua-persist` binary does, with `_home` (and
// the other external tables) kept in DIR: $LUA_PERSIST_STORE, or `.lua-persist-wasm` in
// the current directory. The module: target/wasm32-unknown-unknown/release/lua_persist.wasm,
// or $LUA_PERSIST_WASM.
import { readFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileModule, LuaModule } from './lua-persist.mjs';
import { FileStore } from './file-store.mjs';

const defaultWasm = fileURLToPath(new URL('../target/wasm32-unknown-unknown/release/lua_persist.wasm', import.meta.url));
const wasmPath = process.env.LUA_PERSIST_WASM || defaultWasm;

/** The script operand, found as the runner's own option parser finds it. */
function scriptOperand(args) {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return args[i + 1];
    if (a === '-e') { i++; continue; }
    if (a === '-' || !a.startsWith('-')) return a;
    if (a.startsWith('-e') || a === '-v') continue;
    return undefined; // an unknown option: the module reports it
  }
  return undefined;
}

let bytes;
try {
  bytes = readFileSync(wasmPath);
} catch (e) {
  process.stderr.write(`lua-persist: cannot read the wasm module ${wasmPath}: ${e.message}\n` +
    'Build it with: scripts/build-wasm\n');
  process.exit(1);
}
let args = process.argv.slice(2);
let storeDir = process.env.LUA_PERSIST_STORE || '.lua-persist-wasm';
if (args[0] === '--store') {
  if (args.length < 2) {
    process.stderr.write('lua-persist: \'--store\' needs a directory\n');
    process.exit(1);
  }
  storeDir = args[1];
  args = args.slice(2);
}
let store;
try {
  store = new FileStore(storeDir);
} catch (e) {
  process.stderr.write(`lua-persist: cannot open the store ${storeDir}: ${e.message}\n`);
  process.exit(1);
}
const lua = await LuaModule.instantiate(await compileModule(bytes), { store });
const script = scriptOperand(args);
if (script !== undefined) {
  try {
    lua.putFile(script, script === '-' ? readFileSync(0) : readFileSync(script));
  } catch {
    // Not readable: the module reports "cannot open", as the native runner does.
  }
}
const { code, stdout, stderr } = lua.main(['lua-persist', ...args]);
if (stdout.length) writeSync(1, stdout);
if (stderr.length) writeSync(2, stderr);
process.exit(code);
