// Shared by the node tests: the built module, compiled once.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileModule, LuaModule } from '../lua-persist.mjs';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const wasmPath = process.env.LUA_PERSIST_WASM ||
  fileURLToPath(new URL('../../target/wasm32-unknown-unknown/release/lua_persist.wasm', import.meta.url));

/** The runner's module (the host's files; wasm/run.mjs uses it), built beside cu's. */
export const runnerWasmPath = process.env.LUA_PERSIST_RUNNER_WASM ||
  fileURLToPath(new URL('../../target/wasm32-unknown-unknown/release/lua_persist_runner.wasm', import.meta.url));

if (!existsSync(wasmPath)) {
  throw new Error(`${wasmPath} is missing: build it with ` +
    '`scripts/build-wasm` (the README test command does).');
}

export const wasmModule = await compileModule(readFileSync(wasmPath));

export async function newLua() {
  return LuaModule.instantiate(wasmModule);
}

export const text = (bytes) => new TextDecoder().decode(bytes);
