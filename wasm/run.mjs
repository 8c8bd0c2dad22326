#!/usr/bin/env node
// node wasm/run.mjs [--store DIR] [--export FILE] [--import FILE] [--collect]
//                   [--max-memory SIZE] [--max-instructions N] [--max-time SECONDS]
//                   [--sandbox] [-e CODE]... [-v] [SCRIPT [ARGS...]]
// Runs Lua in the wasm build as the native `lua-persist` binary does, with `_home` (and
// the other external tables) kept in DIR: $LUA_PERSIST_WASM_STORE, or `.lua-persist-wasm`
// in the current directory. --export writes the store to a dump file, --import reads one
// into an empty store (FORMAT.md, "Store dump"; the native runner reads and writes the same
// files). --collect removes the tables nothing reaches any more. The module: the runner's,
// target/wasm32-unknown-unknown/release/lua_persist_runner.wasm, whose scripts reach the
// host's files as `lua`'s do (io, os.remove/rename/tmpname/getenv, loadfile, dofile,
// require; node-os.mjs, docs/runner-module.md), or $LUA_PERSIST_WASM (cu's module reads
// only the script: its `require` and `io.open` find no files). The store is locked while the runner runs: a second runner on DIR
// fails with "the store DIR is in use by process PID" and exit code 1. The limits and
// --sandbox are the module's runner's options (lp_main), as in the native runner: a chunk
// past a limit ends with "lua-persist: ... limit exceeded" on stderr and exit code 1.
import { readFileSync, writeSync, writeFileSync, openSync, fsyncSync, closeSync, renameSync,
  readdirSync, rmSync, rmdirSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileModule, importsHostOs, LuaModule } from './lua-persist.mjs';
import { nodeOsImports } from './node-os.mjs';
import { FileStore, FileStoreLockedError } from './file-store.mjs';
import { readStore, writeStore, encodeDump, decodeDump } from './store-dump.mjs';

// Beside this file in the npm package (its bin lua-persist-node); in the repository, as built.
const packagedWasm = fileURLToPath(new URL('./lua_persist_runner.wasm', import.meta.url));
const defaultWasm = existsSync(packagedWasm) ? packagedWasm
  : fileURLToPath(new URL('../target/wasm32-unknown-unknown/release/lua_persist_runner.wasm', import.meta.url));
const wasmPath = process.env.LUA_PERSIST_WASM || defaultWasm;

/** The runner's options that take a value (src/runner.rs, LIMIT_OPTIONS). */
const VALUE_OPTIONS = ['-e', '--max-memory', '--max-instructions', '--max-time'];

/** The script operand, found as the runner's own option parser finds it. */
function scriptOperand(args) {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return args[i + 1];
    if (VALUE_OPTIONS.includes(a)) { i++; continue; }
    if (a === '--sandbox') continue;
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
function fail(message) {
  process.stderr.write(`lua-persist: ${message}\n`);
  process.exit(1);
}

/** Writes `bytes` to `file` through a temporary file, fsynced and renamed into place. */
function writeDurably(file, bytes) {
  const temporary = `${file}.tmp${process.pid}`;
  const fd = openSync(temporary, 'w');
  try {
    writeFileSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
  const dir = openSync(dirname(resolve(file)), 'r');
  try { fsyncSync(dir); } finally { closeSync(dir); }
}

/** Imports the dump `file` into the store directory `dir` (absent or empty): built in a
 * temporary directory and renamed into place, so a failed import leaves nothing behind. */
function importInto(dir, file) {
  const dump = decodeDump(new Uint8Array(readFileSync(file)));
  if (existsSync(dir)) {
    const present = new FileStore(dir); // fails while another process uses it
    present.close();
    if (readdirSync(dir).length) throw new Error(`the store ${dir} is not empty: import only into an empty store`);
    rmdirSync(dir);
  }
  const building = `${dir}.importing${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  try {
    const store = new FileStore(building);
    writeStore(store, dump);
    store.close(); // the directory moves into place without a lock
    renameSync(building, dir);
  } catch (e) {
    rmSync(building, { recursive: true, force: true });
    throw e;
  }
  return dump.entries.length;
}

let args = process.argv.slice(2);
let storeDir = process.env.LUA_PERSIST_WASM_STORE || '.lua-persist-wasm';
const moves = [];
let collect = false;
while (['--store', '--export', '--import', '--collect'].includes(args[0])) {
  if (args[0] === '--collect') {
    collect = true;
    args = args.slice(1);
    continue;
  }
  if (args.length < 2) fail(`'${args[0]}' needs argument`);
  if (args[0] === '--store') storeDir = args[1];
  else moves.push([args[0], args[1]]);
  args = args.slice(2);
}
// The store, locked until the process exits (FileStore releases its lock then).
let store;
try {
  for (const [option, file] of moves) {
    if (option === '--import') {
      store?.close();
      store = undefined;
      const n = importInto(storeDir, file);
      process.stderr.write(`imported ${n} values from ${file}\n`);
    } else {
      store ??= new FileStore(storeDir);
      const dump = readStore(store);
      writeDurably(file, encodeDump(dump));
      process.stderr.write(`exported ${dump.entries.length} values to ${file}\n`);
    }
  }
} catch (e) {
  fail(e.message);
}
if (moves.length && !collect && args.length === 0) process.exit(0);
try {
  store ??= new FileStore(storeDir);
} catch (e) {
  fail(e instanceof FileStoreLockedError ? e.message : `cannot open the store ${storeDir}: ${e.message}`);
}
const module = await compileModule(bytes);
const lua = await LuaModule.instantiate(module, { store, os: nodeOsImports });
const readsHostFiles = importsHostOs(module);
if (collect) {
  // The collection runs in Lua (ext.collect), as in the native runner's --collect.
  const report = 'local d = ext.collect() io.stderr:write(string.format(' +
    '"collected: removed %d tables (%d values); %d live; %d kept until other processes using the store let them go\\n", ' +
    'd.removed, d.entries, d.live, d.deferred))';
  const done = lua.main(['lua-persist', '-e', report]);
  if (done.stderr.length) writeSync(2, done.stderr);
  if (done.code !== 0 || args.length === 0) {
    store.close();
    process.exit(done.code);
  }
}
const script = scriptOperand(args);
// The runner's module opens the script itself; cu's is given it, and stdin.
if (script === '-' || (script !== undefined && !readsHostFiles)) {
  try {
    lua.putFile(script, script === '-' ? readFileSync(0) : readFileSync(script));
  } catch {
    // Not readable: the module reports "cannot open", as the native runner does.
  }
}
const { code, stdout, stderr } = lua.main(['lua-persist', ...args]);
if (stdout.length) writeSync(1, stdout);
if (stderr.length) writeSync(2, stderr);
store.close();
process.exit(code);
