// Compiled by types.test.mjs with tsc --strict: the declarations in wasm/*.d.mts describe
// the host API as the tests and the README use it.
import { compileModule, LuaModule, MemoryStore, LuaStatus, encodeValue, decodeValue } from '../../lua-persist.mjs';
import { FileStore, FileStoreLockedError } from '../../file-store.mjs';
import { IdbStore, IdbStoreLockedError } from '../../idb-store.mjs';
import { nodeOsImports } from '../../node-os.mjs';

/** The runner's module, with the host's files. */
export async function runnerExample(runnerBytes: Uint8Array): Promise<number> {
  const lua = await LuaModule.instantiate(await compileModule(runnerBytes), { os: nodeOsImports });
  const imports = nodeOsImports(() => lua.exports.memory as WebAssembly.Memory);
  return imports.file_size(0) + lua.main(['lua-persist', 'script.lua']).code;
}

export async function example(bytes: Uint8Array): Promise<void> {
  const lua = await LuaModule.instantiate(await compileModule(bytes), { store: new FileStore('/tmp/store') });
  const L = lua.newState();
  const r = L.exec("print('hi')", '=input');
  const ok: boolean = r.status === LuaStatus.OK;
  const out: Uint8Array = lua.takeOutput(1);
  lua.io.setInput({ name: 'Alice', scores: [1, 2.5], big: 2n ** 60n, raw: new Uint8Array([0]) });
  const output = lua.io.getOutput();
  const memory = new MemoryStore();
  const bytesOf = encodeValue(memory, [1, 'two', null]);
  const back = decodeValue(memory, bytesOf);
  const code: number = lua.main(['lua-persist', '-e', 'print(1)']).code;
  L.setMemoryLimit(1 << 20);
  L.setLimits({ memory: 32 << 20, instructions: 1e8, timeMs: null });
  const used = L.usage();
  const exceeded: 'memory' | 'instructions' | 'time' | null = used.exceeded;
  const sandboxed = lua.newState({ sandbox: true });
  lua.setLimits({ timeMs: 2000 });
  console.log(used.instructions + used.memory + used.peakMemory + used.elapsedMs, exceeded,
    sandboxed.exec('print(1)').status, lua.usage().elapsedMs);
  console.log(ok, out, output, back, code, L.memoryUsed, lua.memoryBytes);
  L.close();
}

export function stores(): number {
  const m = new MemoryStore();
  m.set(1, new Uint8Array([1]), new Uint8Array([0]));
  let files: FileStore | undefined;
  try {
    files = new FileStore('/tmp/store');
    return m.size(1) + files.nextFreeId();
  } catch (e) {
    if (e instanceof FileStoreLockedError) return e.pid + e.dir.length;
    throw e;
  } finally {
    files?.close();
  }
}

export async function browser(bytes: Uint8Array): Promise<number> {
  const store = await IdbStore.open('lua-persist-demo');
  store.onerror = (error: Error) => console.error(error.message);
  const lua = await LuaModule.instantiate(await compileModule(bytes), { store });
  lua.newState().exec('_home.n = 1');
  const pending: number = store.pendingWrites;
  await store.flushed();
  const failed: Error | null = store.failure;
  console.log(pending, failed, store.name);
  await store.close();
  return store.nextFreeId() + store.size(1);
}

export async function browserLocked(): Promise<string> {
  let store: IdbStore;
  try {
    store = await IdbStore.open('lua-persist-demo', { indexedDB, locks: navigator.locks });
  } catch (e) {
    if (e instanceof IdbStoreLockedError) {
      const name: 'IdbStoreLockedError' = e.name;
      const database: string = e.database;
      return `${name}: ${database}: ${e.message}`;
    }
    throw e;
  }
  await store.close();
  return 'opened';
}

// The npm package's two entries (wasm/node.mjs, wasm/browser.mjs), as npm/README.md uses them.
import * as nodeEntry from '../../node.mjs';
import * as browserEntry from '../../browser.mjs';

export async function packageEntries(wasmUrl: string): Promise<void> {
  const inNode = await nodeEntry.LuaModule.instantiate(await nodeEntry.loadModule(), { store: new nodeEntry.FileStore('./lua-store') });
  const r = inNode.newState().exec('_home.runs = (_home.runs or 0) + 1 print("run", _home.runs)');
  const out: Uint8Array = r.stdout;
  const dump: Uint8Array = nodeEntry.encodeDump(nodeEntry.readStore(new nodeEntry.MemoryStore()));
  const store: browserEntry.IdbStore = await browserEntry.IdbStore.open('my-app');
  const inPage = await browserEntry.LuaModule.instantiate(await browserEntry.loadModule(wasmUrl), { store });
  inPage.newState().exec('_home.visits = (_home.visits or 0) + 1');
  void out; void dump;
}

// LuaState.eval and its errors.
import { LuaError, LuaOpaqueValue, type LuaResult } from '../../lua-persist.mjs';

export function evaluate(L: import('../../lua-persist.mjs').LuaState): LuaResult {
  try {
    const [sum] = L.eval('return 1 + 1', 'sum');
    const fn = L.eval('return print')[0];
    if (fn instanceof LuaOpaqueValue && fn.type === 'function') return sum;
    return null;
  } catch (e) {
    if (e instanceof LuaError) return [e.message, e.status, e.value, e.traceback];
    throw e;
  }
}
