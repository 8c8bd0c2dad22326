// TypeScript declarations for wasm/lua-persist.mjs (the JavaScript host of lua-persist's
// wasm module) and wasm/file-store.mjs.

/** The operations of an external-table store: what the module's imports reach. */
export interface ExtStore {
  set(id: number, key: Uint8Array, value: Uint8Array): void;
  get(id: number, key: Uint8Array): Uint8Array | undefined;
  delete(id: number, key: Uint8Array): void;
  size(id: number): number;
  keys(id: number): Uint8Array[];
  /** The smallest table id never used: at least 3, as ids 1 (`_home`) and 2 (`_io`) are
   * always taken (3 for an empty store). */
  nextFreeId(): number;
  /** Optional: makes nextFreeId() at least `next` (a stored reference names a table id that
   * has no keys yet; dumps keep the exporter's ids). */
  reserveIds?(next: number): void;
  /** Optional: applies writes in order (`value` undefined deletes), all or none where the
   * store can (FileStore journals the batch; IdbStore commits it in one transaction). */
  writeBatch?(writes: StoreWrite[]): void;
}

/** One write of a batch: `value` undefined deletes the key. */
export interface StoreWrite {
  id: number;
  key: Uint8Array;
  value: Uint8Array | undefined;
}

/** HostWrites stores its pending writes, outside atomic blocks, at this many... */
export const PENDING_LIMIT_WRITES: number;
/** ... or at this many bytes of keys and values. */
export const PENDING_LIMIT_BYTES: number;

/**
 * The module's writes, held by the host between its output points (docs/cu-interface.md,
 * "Atomic blocks and output points"): reads, `#` and listings see them; `commit` and the end
 * of an outermost block store them as one batch; `undo` drops a failed block's.
 */
export interface HostWrites extends ExtStore {}
export class HostWrites {
  constructor(store: ExtStore);
  /** The store underneath. */
  readonly store: ExtStore;
  /** The error of the last commit that failed (its writes are lost), or null. */
  failure: unknown;
  /** How many writes are pending. */
  readonly pending: number;
  begin(): void;
  end(): void;
  undo(): void;
  /** Stores the pending writes (nothing inside a block); throws when the store fails. */
  commit(): void;
}

/** Compiles the module from its bytes. */
export function compileModule(bytes: ArrayBuffer | Uint8Array): Promise<WebAssembly.Module>;

/** An in-memory store: table id -> (key bytes -> value bytes), keys in insertion order. */
export interface MemoryStore extends ExtStore {}
export class MemoryStore {
  tables: Map<number, Map<string, Uint8Array>>;
  writeBatch(writes: StoreWrite[]): void;
  static keyString(bytes: Uint8Array): string;
  static keyBytes(string: string): Uint8Array;
}

/** cu's `env` imports over a store (see docs/cu-interface.md, "The store protocol"). */
export function storeImports(
  store: ExtStore,
  memory: () => WebAssembly.Memory,
): {
  js_ext_table_set(id: number, keyPtr: number, keyLen: number, valPtr: number, valLen: number): number;
  js_ext_table_get(id: number, keyPtr: number, keyLen: number, outPtr: number, maxLen: number): number;
  js_ext_table_size(id: number): number;
};

/** Lua's status codes as `exec` returns them; `EXITED + code` after `os.exit(code)`;
 * `TRAPPED` (`lp_exec`, `lp_main`) once an earlier call trapped and the instance is unusable. */
export const LuaStatus: Readonly<{
  OK: 0; YIELD: 1; ERRRUN: 2; ERRSYNTAX: 3; ERRMEM: 4; ERRERR: 5; EXITED: 256; TRAPPED: -1;
}>;

export interface RunResult {
  stdout: Uint8Array;
  stderr: Uint8Array;
}

/** What makes the imports of module "lp_os" (the host's files and environment), which only
 * the runner's module `lua_persist_runner.wasm` has: `nodeOsImports` of `node-os.mjs`
 * (docs/runner-module.md). It gets a function returning the instance's memory. */
export type OsImports = (memory: () => WebAssembly.Memory) => Record<string, Function>;

/** Whether `module` is the runner's, which imports the host's files (module "lp_os"). */
export function importsHostOs(module: WebAssembly.Module): boolean;

/** One instance of the module: one memory, any number of Lua states. */
/** Why a snapshot cannot be restored: `damaged` (also: not a snapshot), `unsupported`
 * (another snapshot version), `module` (made with another build of the module). */
export class SnapshotError extends Error {
  readonly name: 'SnapshotError';
  readonly reason: 'damaged' | 'unsupported' | 'module';
}

export class LuaModule {
  /** Instantiates the module and allows its memory to grow (`lp_allow_memory_growth(1)`). */
  static instantiate(module: WebAssembly.Module, options?: { store?: ExtStore; os?: OsImports }): Promise<LuaModule>;
  /** A live instance from `snapshot()` bytes of an instance of the same module build
   * (compiled with `compileModule`): every state goes on where it was; `states` are the
   * snapshot's open states in the order they were made. Restore only your own snapshots.
   * @throws SnapshotError */
  static restore(
    module: WebAssembly.Module,
    snapshot: Uint8Array | ArrayBuffer,
    options?: { store?: ExtStore; os?: OsImports },
  ): Promise<{ lua: LuaModule; states: LuaState[] }>;
  /** The whole instance (FORMAT.md, "Instance snapshot"): its memory, gzip-compressed, the
   * module's hash and the open states. External tables stay in the store. */
  snapshot(): Promise<Uint8Array>;
  /** The module this instance was made from. */
  readonly wasmModule: WebAssembly.Module;
  /** What the call that trapped threw (a `WebAssembly.RuntimeError`), or null. After a trap
   * every method throws: the instance is unusable, instantiate the module again. */
  readonly trapped: unknown;
  /** The instance's exports (see wasm/exports.txt). */
  readonly exports: WebAssembly.Exports & { memory: WebAssembly.Memory };
  /** The store given to `instantiate`. */
  store: ExtStore;
  /** The writes held between the module's output points, over `store`. */
  writes: HostWrites;
  /** `_io` seen from the host: input in, output out. */
  io: IoTable;
  /** Bytes of wasm memory now. */
  readonly memoryBytes: number;
  /** Takes (and clears) what Lua wrote to stdout (1) or stderr (2). */
  takeOutput(stream: 1 | 2): Uint8Array;
  /** Makes bytes readable as a file for scripts; the name "-" is stdin. */
  putFile(name: string | Uint8Array, data: string | Uint8Array): void;
  /** Runs a command line as `lua-persist [-e CODE] [SCRIPT [ARGS...]]`; argv[0] is the program. */
  main(argv: string[]): RunResult & { code: number };
  /** A long-lived state with the standard libraries, `persist` and the external tables.
   * With `sandbox: true` it is in sandbox mode (`lp_state_sandbox`): no files, processes
   * or environment, `load` takes text only, `require` finds only `package.preload`,
   * `debug` keeps only `traceback`; and the sandbox's default limits (256 MiB, 1e9
   * instructions, 10 s per chunk) until `setLimits` replaces them. */
  newState(options?: { sandbox?: boolean }): LuaState;
  /** Limits for `compute` (cu's interface: the state `init` makes, `lp_compute_state()`),
   * replacing earlier ones; calls `init` first when it has not run. A chunk exceeding one
   * is `compute`'s ordinary error result `-(len+1)`. Throws a TypeError for a value that
   * is not a positive number. */
  setLimits(limits?: Limits): void;
  /** What `compute`'s current or last chunk used; all zeros before `init`. */
  usage(): Usage;
}

/** Limits on what a state's chunks may use. A limit left out, null or Infinity is none;
 * any other value must be a positive number. */
export interface Limits {
  /** Bytes the state may hold (all its values, not one chunk's). */
  memory?: number | null;
  /** Units of work per chunk: Lua VM instructions, C function calls, pattern-matching steps. */
  instructions?: number | null;
  /** Wall-clock milliseconds per chunk. */
  timeMs?: number | null;
}

/** What the current (or last) chunk of a state used. */
export interface Usage {
  /** Units of work done (as counted for `Limits.instructions`). */
  instructions: number;
  /** Bytes the state holds now. */
  memory: number;
  /** The most bytes it held since the chunk began. */
  peakMemory: number;
  /** How long the chunk has run, or ran. */
  elapsedMs: number;
  /** The limit the chunk exceeded, or null. */
  exceeded: null | 'memory' | 'instructions' | 'time';
}

/** A Lua value as LuaState.eval returns it (see decodeHostValues). */
export type LuaResult =
  | null | boolean | number | bigint | string | Uint8Array | LuaOpaqueValue
  | LuaResult[] | { [key: string]: LuaResult } | Map<LuaResult, LuaResult>;

/** A function, coroutine (`thread`) or userdata — or a table nested more than 200 deep —
 * which JavaScript cannot hold: its Lua type only. */
export class LuaOpaqueValue {
  readonly type: 'function' | 'thread' | 'userdata' | 'lightuserdata' | 'table';
}

/** A Lua error met by LuaState.eval. */
export class LuaError extends Error {
  /** The LuaStatus: ERRRUN, ERRSYNTAX, ERRMEM, ERRERR, or EXITED + code. */
  readonly status: number;
  /** The error value as raised (`error({code = 42})` gives `{code: 42}`). */
  readonly value: LuaResult;
  /** Lua's traceback from where the error was raised; null for a syntax error. */
  readonly traceback: string | null;
}

/** The values lp_eval left in stream 3, decoded (the rules: LuaState.eval). */
export function decodeHostValues(bytes: Uint8Array): LuaResult[];

export class LuaState {
  /** Runs a chunk; after `os.exit(code)` the status is `LuaStatus.EXITED + code` and the state is closed. */
  exec(chunk: string | Uint8Array, name?: string): RunResult & { status: number };
  /** Runs a chunk and returns its results; a Lua error throws a LuaError. Arrays for
   * tables with keys 1..n, objects for string/number keys, Maps otherwise; shared and cyclic
   * tables stay shared; functions and the like come back as LuaOpaqueValue. */
  eval(chunk: string | Uint8Array, name?: string): LuaResult[];
  /** Past this many bytes, Lua raises "not enough memory". */
  setMemoryLimit(bytes: number): void;
  /** Limits for the chunks the state runs next, replacing earlier ones. A chunk exceeding
   * one ends with an error naming it ("memory limit exceeded", "instruction limit
   * exceeded", "time limit exceeded") that `pcall` cannot catch: `exec` returns it with
   * status `LuaStatus.ERRRUN`, and the next chunk runs with the globals intact. Throws a
   * TypeError for a value that is not a positive number. */
  setLimits(limits?: Limits): void;
  /** What the current or last chunk used. */
  usage(): Usage;
  /** Removes the store's external tables that nothing reaches any more (`ext.collect()`). */
  collect(): Collection;
  readonly memoryUsed: number;
  close(): void;
}

/** What a collection did: tables kept, tables and values removed, tables kept for now
 * because another user of the store may hold them, and damaged values found. */
export interface Collection {
  live: number;
  removed: number;
  entries: number;
  deferred: number;
  unreadable: number;
}

/** A JSON-like value the host can pass to Lua (arrays and objects become external tables). */
export type HostValue =
  | null | undefined | boolean | number | bigint | string | Uint8Array
  | HostValue[] | { [key: string]: HostValue };

/** Encodes a value as stored bytes, writing its tables into the store. */
export function encodeValue(store: ExtStore, value: HostValue): Uint8Array;
/** Decodes stored bytes; functions and other Lua-only values become null. */
export function decodeValue(store: ExtStore, bytes: Uint8Array | undefined): HostValue;

/** `_io` (external table 2) as cu's hosts use it. */
export class IoTable {
  constructor(store: ExtStore);
  setInput(value: HostValue): void;
  setMetadata(value: HostValue): void;
  getOutput(): HostValue;
  /** Deletes `_io.input`, `_io.output` and `_io.meta`. */
  clear(): void;
}
