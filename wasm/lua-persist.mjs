// The JavaScript side of the lua-persist wasm module: plain WebAssembly API, no other
// JavaScript modules, works in Node and browsers. It gives the module its four `env` imports
// (cu's store functions, see storeImports, and js_time_now); the module's exports are listed
// in exports.txt. The interface is described in docs/cu-interface.md.
//
// Limits (docs/cu-interface.md, "Limits"): LuaState.setLimits / usage for a state of its
// own, LuaModule.setLimits / usage for cu's `compute`, newState({sandbox: true}) for
// sandbox mode.
//
// Memory rule for hosts: the module grows its memory only once the host allows it
// (lp_allow_memory_growth(1), which LuaModule.instantiate calls); from then on memory can
// grow during any call, which detaches earlier views of memory.buffer, so make a new
// Uint8Array view after every call. Without it (cu's hosts) Lua gets "not enough memory"
// past the initial memory instead.
//
// A call that traps (a WebAssembly.RuntimeError) leaves the instance unusable: its Lua state
// may be mid-update. LuaModule remembers the trap and refuses every later call with an error
// saying so; the module itself answers every later call with a failure (see exports.rs).

const encoder = new TextEncoder();

/** The SHA-256 of each compiled module's bytes (compileModule), which snapshots name. */
const moduleHashes = new WeakMap();

/** Compiles the module from bytes (an ArrayBuffer or typed array), noting the SHA-256 of
 * the bytes for snapshots (where the Web Crypto API is available: Node, and browsers in a
 * secure context). */
export async function compileModule(bytes) {
  const module = await WebAssembly.compile(bytes);
  if (globalThis.crypto?.subtle) moduleHashes.set(module, await sha256(bytes));
  return module;
}

async function sha256(bytes) {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
}

/** Bytes through a gzip (de)compression stream (CompressionStream: Node >= 18, browsers). */
async function throughStream(bytes, stream) {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());
}

/**
 * A snapshot that cannot be restored: damaged, not a snapshot, or of another module build
 * (`reason`: 'damaged' | 'module' | 'unsupported').
 */
export class SnapshotError extends Error {
  constructor(reason, message) {
    super(`lua-persist: ${message}`);
    this.name = 'SnapshotError';
    this.reason = reason;
  }
}

// A snapshot (FORMAT.md, "Instance snapshot"), integers little-endian: the magic, u32
// version, the module's SHA-256, u32 pages of memory, u32 count and u32 pointers of the
// host's open states, u32 length of the compressed memory, the gzip of the memory, and the
// SHA-256 of everything before it.
const SNAPSHOT_MAGIC = new TextEncoder().encode('LPSNAPSH');
const SNAPSHOT_VERSION = 1;
const PAGE = 65536;

/** Ids 1 (`_home`) and 2 (`_io`) are taken in every store, even while they hold no keys. */
const FIRST_FREE_ID = 3;

/**
 * An external-table store in memory: table id -> (key bytes -> value bytes), keys in
 * insertion order. Any object with the same methods can stand in for it (see storeImports).
 */
export class MemoryStore {
  #maxId = FIRST_FREE_ID - 1;
  constructor() {
    this.tables = new Map();
  }
  #table(id, create) {
    let t = this.tables.get(id);
    if (!t && create) {
      this.tables.set(id, (t = new Map()));
      this.#maxId = Math.max(this.#maxId, id);
    }
    return t;
  }
  /** Keys are byte strings; a latin1 string holds them exactly. */
  static keyString(bytes) {
    // One call for the usual short key; a loop for long ones (argument count limits).
    if (bytes.length <= 1024) return String.fromCharCode.apply(null, bytes);
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return s;
  }
  static keyBytes(string) {
    return Uint8Array.from(string, (c) => c.charCodeAt(0));
  }
  set(id, key, value) {
    this.#table(id, true).set(MemoryStore.keyString(key), value.slice());
  }
  get(id, key) {
    return this.#table(id, false)?.get(MemoryStore.keyString(key));
  }
  delete(id, key) {
    this.#table(id, false)?.delete(MemoryStore.keyString(key));
  }
  size(id) {
    return this.#table(id, false)?.size ?? 0;
  }
  keys(id) {
    return [...(this.#table(id, false)?.keys() ?? [])].map(MemoryStore.keyBytes);
  }
  /** The smallest id never used: 3 when empty. */
  nextFreeId() {
    return this.#maxId + 1; // kept as tables appear: Lua asks on every new table
  }
  /** Makes nextFreeId() at least `next`. */
  reserveIds(next) {
    this.#maxId = Math.max(this.#maxId, next - 1);
  }
  /** Applies writes ({id, key, value}; value undefined deletes) in order. */
  writeBatch(writes) {
    for (const { id, key, value } of writes) {
      if (value === undefined) this.delete(id, key);
      else this.set(id, key, value);
    }
  }
}

/** Pending writes are stored, outside atomic blocks, when there are this many... */
export const PENDING_LIMIT_WRITES = 100_000;
/** ... or when their keys and values have this many bytes (as natively). */
export const PENDING_LIMIT_BYTES = 16 << 20;

/**
 * The module's external-table writes, held by the host between output points (README,
 * "What is durable when"; docs/cu-interface.md, "Atomic blocks and output points"). Reads
 * see them at once; at the module's output point (`commit`: the end of a chunk, of a
 * `compute`, `ext.commit()`) and at the end of an outermost atomic block (`end`) they go to
 * the store together, with the store's `writeBatch` when it has one (FileStore journals a
 * batch: durable all or none; IdbStore commits it in one transaction), else one by one.
 * A failed block (`undo`) drops its own writes. When they cannot be stored, they are
 * dropped (Lua sees the error) and `failure` says why.
 */
export class HostWrites {
  /** map key (`id:key bytes as latin1`) -> { id, key, value } (value undefined: deleted) */
  #pending = new Map();
  /** id -> the map keys of its pending writes */
  #byTable = new Map();
  /** One list per open atomic block: [map key, the pending write it replaced] per write. */
  #blocks = [];
  #bytes = 0;

  constructor(store) {
    /** The store underneath. */
    this.store = store;
    /** The error of the last commit that failed (its writes are lost), or null. */
    this.failure = null;
  }

  /** How many writes are pending. */
  get pending() {
    return this.#pending.size;
  }

  #put(id, key, value) {
    const mapKey = `${id}:${MemoryStore.keyString(key)}`;
    const previous = this.#pending.get(mapKey);
    this.#blocks.at(-1)?.push([mapKey, previous]);
    this.#place(mapKey, { id, key, value }, previous);
    if (this.#blocks.length === 0 &&
        (this.#pending.size >= PENDING_LIMIT_WRITES || this.#bytes >= PENDING_LIMIT_BYTES)) {
      this.commit();
    }
  }

  /** Puts `write` (or, undefined, nothing) in place of `previous` under `mapKey`. */
  #place(mapKey, write, previous) {
    if (previous) {
      this.#pending.delete(mapKey);
      this.#bytes -= previous.key.length + (previous.value?.length ?? 0);
    }
    if (!write) {
      this.#byTable.get(previous.id)?.delete(mapKey);
      return;
    }
    // Last written, last stored: a table's keys go before a later reference to it.
    this.#pending.set(mapKey, write);
    this.#bytes += write.key.length + (write.value?.length ?? 0);
    let table = this.#byTable.get(write.id);
    if (!table) this.#byTable.set(write.id, (table = new Set()));
    table.add(mapKey);
  }

  set(id, key, value) {
    this.#put(id, key, value);
  }

  delete(id, key) {
    this.#put(id, key, undefined);
  }

  get(id, key) {
    if (this.#pending.size === 0) return this.store.get(id, key); // the usual read
    const write = this.#pending.get(`${id}:${MemoryStore.keyString(key)}`);
    return write ? write.value : this.store.get(id, key);
  }

  keys(id) {
    const pending = this.#byTable.get(id);
    if (!pending?.size) return this.store.keys(id);
    const keys = new Map(this.store.keys(id).map((k) => [MemoryStore.keyString(k), k]));
    for (const mapKey of pending) {
      const { key, value } = this.#pending.get(mapKey);
      const name = MemoryStore.keyString(key);
      if (value === undefined) keys.delete(name);
      else keys.set(name, key);
    }
    // In byte order, as a store that orders its keys gives them (latin1 strings compare so).
    return [...keys.keys()].sort().map((name) => keys.get(name));
  }

  size(id) {
    return this.#byTable.get(id)?.size ? this.keys(id).length : this.store.size(id);
  }

  nextFreeId() {
    return this.store.nextFreeId();
  }

  reserveIds(next) {
    this.store.reserveIds?.(next); // ids only go up: nothing to hold back
  }

  /** An atomic block begins (blocks inside blocks join them). */
  begin() {
    this.#blocks.push([]);
  }

  /** The block succeeded: the outermost one's end stores everything pending. */
  end() {
    const block = this.#blocks.pop();
    if (this.#blocks.length > 0) this.#blocks.at(-1).push(...block);
    else this.commit();
  }

  /** The block failed: its writes are dropped. */
  undo() {
    const block = this.#blocks.pop() ?? [];
    for (let i = block.length - 1; i >= 0; i--) {
      const [mapKey, previous] = block[i];
      this.#place(mapKey, previous, this.#pending.get(mapKey));
    }
  }

  /** Stores the pending writes (not inside a block): all or none when the store batches. */
  commit() {
    if (this.#blocks.length > 0 || this.#pending.size === 0) return;
    const writes = [...this.#pending.values()];
    this.#pending.clear();
    this.#byTable.clear();
    this.#bytes = 0;
    try {
      if (this.store.writeBatch) this.store.writeBatch(writes);
      else MemoryStore.prototype.writeBatch.call(this.store, writes);
    } catch (e) {
      this.failure = e;
      throw e;
    }
  }
}

/**
 * The module's imports (`env`, cu's names) over a store, with the protocol of
 * docs/cu-interface.md ("The store protocol"; the module's side is src/wasm/host_store.rs):
 * a value longer than the window is announced by its length and read again; an empty value
 * written means delete; the empty key reads the key listing (each key as u32 LE length +
 * bytes); size(0) is the next free id, never below 3, whatever the store says (ids 1 and 2
 * are `_home` and `_io`). A store method that throws is a failed call (set: 1, get and
 * size: -2), which Lua raises as an error: an exception must not unwind through the
 * module's Lua frames, which would leave its state corrupt.
 */
export function storeImports(store, memory) {
  const bytes = (ptr, len) => new Uint8Array(memory().buffer, ptr, len);
  const answer = (value, out, max) => {
    if (value === undefined) return -1;
    if (value.length <= max) bytes(out, value.length).set(value);
    return value.length;
  };
  return {
    js_ext_table_set(id, keyPtr, keyLen, valPtr, valLen) {
      try {
        const key = bytes(keyPtr, keyLen).slice();
        if (valLen === 0) store.delete(id, key);
        else {
          const value = bytes(valPtr, valLen).slice();
          store.set(id, key, value);
          // A reference to an external table (07 + id) that has no keys yet, such as
          // `_home.t = {}`: its id must stay taken, or a later table would reuse it.
          if (value.length === 5 && value[0] === 0x07) {
            store.reserveIds?.(new DataView(value.buffer).getUint32(1, true) + 1);
          }
        }
        return 0;
      } catch {
        return 1;
      }
    },
    js_ext_table_get(id, keyPtr, keyLen, out, max) {
      try {
        if (id === 0) return signal(keyPtr, keyLen, out, max);
        return get(id, keyPtr, keyLen, out, max);
      } catch {
        return STORE_FAILED;
      }
    },
    js_ext_table_size(id) {
      try {
        return id === 0 ? Math.max(store.nextFreeId(), FIRST_FREE_ID) : store.size(id);
      } catch {
        return STORE_FAILED;
      }
    },
  };
  // The module's atomic blocks and output points, for a store that holds writes
  // (HostWrites); another store wrote through already: -1, as cu's hosts answer.
  function signal(keyPtr, keyLen, out, max) {
    const what = fromUtf8.decode(bytes(keyPtr, keyLen));
    if (!(store instanceof HostWrites) || !SIGNALS.has(what)) return -1;
    store[what]();
    return answer(SIGNALLED, out, max);
  }
  function get(id, keyPtr, keyLen, out, max) {
    if (keyLen === 0) {
      const keys = store.keys(id);
      const listing = new Uint8Array(keys.reduce((n, k) => n + 4 + k.length, 0));
      const view = new DataView(listing.buffer);
      let at = 0;
      for (const k of keys) {
        view.setUint32(at, k.length, true);
        listing.set(k, at + 4);
        at += 4 + k.length;
      }
      return keys.length === 0 ? -1 : answer(listing, out, max);
    }
    return answer(store.get(id, bytes(keyPtr, keyLen).slice()), out, max);
  }
}

/** The signals of the module (get on table 0), by the HostWrites method that answers. */
const SIGNALS = new Set(['begin', 'end', 'undo', 'commit']);
/** The answer to a signal: any value ("done, and this host holds the writes"). */
const SIGNALLED = new Uint8Array([1]);

/** What get and size return when the store threw (-1 is "missing"). */
const STORE_FAILED = -2;

/** Whether `module` is the runner's, which imports the host's files (module "lp_os"). */
export function importsHostOs(module) {
  return WebAssembly.Module.imports(module).some((i) => i.module === 'lp_os');
}

/** One instance of the module: one wasm memory, any number of Lua states. */
export class LuaModule {
  /**
   * @param {WebAssembly.Module} module
   * @param {{store?: object, os?: (memory: () => WebAssembly.Memory) => object}} options
   *   store: the external-table store (default: a new MemoryStore); os: what makes the
   *   imports of module "lp_os", which only the runner's module has (the host's files:
   *   nodeOsImports of node-os.mjs; docs/runner-module.md)
   */
  static async instantiate(module, { store = new MemoryStore(), os } = {}) {
    let memory;
    // cu's clock import: milliseconds since the epoch.
    // The module's writes are held between its output points (HostWrites).
    const writes = new HostWrites(store);
    const env = { ...storeImports(writes, () => memory), js_time_now: () => Date.now() };
    const imports = { env };
    if (importsHostOs(module)) {
      if (!os) {
        throw new TypeError("lua-persist: this is the runner's module (it imports the host's files, " +
          "module \"lp_os\"): pass { os: nodeOsImports } from node-os.mjs, or use lua_persist.wasm");
      }
      imports.lp_os = os(() => memory);
    }
    const instance = await WebAssembly.instantiate(module, imports);
    memory = instance.exports.memory;
    // This host makes a new view of memory.buffer after every call, so memory may grow.
    // (A module older than this export grows anyway.)
    instance.exports.lp_allow_memory_growth?.(1);
    const lua = new LuaModule(instance);
    lua.wasmModule = module;
    lua.store = store;
    lua.writes = writes;
    lua.io = new IoTable(store);
    return lua;
  }

  /** The exception of the call that trapped, once one has: the instance is then unusable. */
  #trapped = null;

  constructor(instance) {
    this.exports = instance.exports;
  }

  /** The states of newState that are open (a snapshot names them). */
  _states = new Set();

  /**
   * The whole instance, for LuaModule.restore: its memory (every state, global,
   * coroutine and registry entry; compute's state too), compressed with gzip, and the
   * states open here. External tables stay in the store, which is not part of it. Only
   * a module compiled with compileModule can be snapshotted (its bytes are hashed there).
   * @returns {Promise<Uint8Array>}
   */
  async snapshot() {
    if (this.#trapped) throw new Error('lua-persist: this instance trapped: its memory is no state to keep');
    const hash = moduleHashes.get(this.wasmModule);
    if (!hash) {
      throw new Error('lua-persist: snapshot needs the module compiled with compileModule ' +
        '(with the Web Crypto API), which records the hash of its bytes');
    }
    this._storeWrites(); // nothing is pending between calls; stored if anything is
    // Copied before the first await: a call made meanwhile must not change what is kept.
    const memory = new Uint8Array(this.exports.memory.buffer).slice();
    const compressed = await throughStream(memory, new CompressionStream('gzip'));
    const states = [...this._states].map((S) => S.L);
    const head = new Uint8Array(8 + 4 + 32 + 4 + 4 + 4 * states.length + 4);
    const view = new DataView(head.buffer);
    head.set(SNAPSHOT_MAGIC, 0);
    view.setUint32(8, SNAPSHOT_VERSION, true);
    head.set(hash, 12);
    view.setUint32(44, memory.length / PAGE, true);
    view.setUint32(48, states.length, true);
    states.forEach((L, i) => view.setUint32(52 + 4 * i, L, true));
    view.setUint32(52 + 4 * states.length, compressed.length, true);
    const body = concat(head, compressed);
    return concat(body, await sha256(body));
  }

  /**
   * A live instance from a snapshot of one made from the same module build: the same
   * memory, so every Lua state goes on where it was. `states` are the snapshot's open
   * states, in the order they were made. Throws a SnapshotError for damaged bytes or a
   * snapshot of another build (module: compiled with compileModule). A snapshot is the
   * whole program: restore only snapshots you made (the check is against damage, not a
   * signature).
   * @returns {Promise<{lua: LuaModule, states: LuaState[]}>}
   */
  static async restore(module, snapshot, { store = new MemoryStore(), os } = {}) {
    const bytes = snapshot instanceof Uint8Array ? snapshot : new Uint8Array(snapshot);
    const damaged = (why) => new SnapshotError('damaged', `the snapshot is damaged: ${why}`);
    if (bytes.length < 8 + 4 + 32 + 12 + 32 || !SNAPSHOT_MAGIC.every((b, i) => bytes[i] === b)) {
      throw new SnapshotError('damaged', 'not a lua-persist snapshot');
    }
    const body = bytes.subarray(0, bytes.length - 32);
    const sum = await sha256(body);
    if (!sum.every((b, i) => b === bytes[body.length + i])) throw damaged('its checksum does not match');
    const view = new DataView(body.buffer, body.byteOffset, body.length);
    const version = view.getUint32(8, true);
    if (version !== SNAPSHOT_VERSION) {
      throw new SnapshotError('unsupported', `snapshot version ${version} is not supported (this host reads ${SNAPSHOT_VERSION})`);
    }
    const hash = moduleHashes.get(module);
    if (!hash) throw new Error('lua-persist: restore needs the module compiled with compileModule');
    if (!hash.every((b, i) => b === body[12 + i])) {
      throw new SnapshotError('module', 'the snapshot is of another build of the module: restore it with the module it was made with');
    }
    const pages = view.getUint32(44, true);
    const count = view.getUint32(48, true);
    if (52 + 4 * count + 4 > body.length) throw damaged('its state list is cut short');
    const states = Array.from({ length: count }, (_, i) => view.getUint32(52 + 4 * i, true));
    const start = 52 + 4 * count + 4;
    if (view.getUint32(start - 4, true) !== body.length - start) throw damaged('its memory is cut short');
    let memoryBytes;
    try {
      memoryBytes = await throughStream(body.subarray(start), new DecompressionStream('gzip'));
    } catch (e) {
      throw damaged(`its memory does not decompress (${e.message})`);
    }
    if (memoryBytes.length !== pages * PAGE) throw damaged(`its memory is ${memoryBytes.length} bytes, not ${pages} pages`);
    const lua = await LuaModule.instantiate(module, { store, os });
    const memory = lua.exports.memory;
    const current = memory.buffer.byteLength / PAGE;
    if (pages < current) throw damaged(`its memory (${pages} pages) is smaller than the module's least (${current})`);
    if (pages > current) memory.grow(pages - current);
    new Uint8Array(memory.buffer).set(memoryBytes);
    const restored = states.map((L) => {
      const S = new LuaState(lua, L);
      lua._states.add(S);
      return S;
    });
    return { lua, states: restored };
  }

  /** The error of the call that trapped (a WebAssembly.RuntimeError), or null. */
  get trapped() {
    return this.#trapped;
  }

  /**
   * Calls an export. After a trap, every call throws instead: the module's state may be
   * mid-update (in the middle of a garbage collection or an allocation).
   */
  _call(name, ...args) {
    if (this.#trapped) {
      throw new Error('lua-persist: this instance trapped in an earlier call ' +
        `(${this.#trapped}) and cannot be used any more: instantiate the module again`,
      { cause: this.#trapped });
    }
    try {
      return this.exports[name](...args);
    } catch (e) {
      // An export does not throw otherwise: imports are called through catch_all wrappers.
      this.#trapped = e;
      throw e;
    }
  }

  /**
   * After a failure result: if the module reports that an earlier call trapped (one made
   * through `exports` directly), remember it and throw.
   */
  #checkTrapped() {
    const len = this.exports.lp_output_len(2);
    const message = len === 0 ? '' :
      fromUtf8.decode(new Uint8Array(this.exports.memory.buffer, this.exports.lp_output_ptr(2), len));
    if (message.startsWith('lua-persist: this instance trapped')) {
      this.#trapped = new Error(message);
      this._call('lp_output_len', 2); // throws
    }
  }

  /** Copies bytes (Uint8Array or string) into module memory; returns [ptr, len]. Free with #free. */
  #copyIn(data) {
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    const ptr = this._call('lp_alloc', bytes.length);
    if (ptr === 0) {
      this.#checkTrapped();
      throw new Error(`lua-persist: cannot allocate ${bytes.length} bytes in the module`);
    }
    new Uint8Array(this.exports.memory.buffer, ptr, bytes.length).set(bytes);
    return [ptr, bytes.length];
  }

  #free([ptr, len]) {
    this._call('lp_free', ptr, len);
  }

  /** Takes (and clears) what Lua wrote to stdout (1) or stderr (2). */
  takeOutput(stream) {
    const len = this._call('lp_output_len', stream);
    const ptr = this._call('lp_output_ptr', stream);
    const bytes = len === 0 ? new Uint8Array() : new Uint8Array(this.exports.memory.buffer, ptr, len).slice();
    this._call('lp_output_clear', stream);
    return bytes;
  }

  /** Makes bytes readable as a file for scripts (name "-" is stdin). */
  putFile(name, data) {
    const n = this.#copyIn(name);
    const d = this.#copyIn(data);
    const rc = this._call('lp_file_put', n[0], n[1], d[0], d[1]);
    this.#free(n);
    this.#free(d);
    if (rc !== 0) {
      this.#checkTrapped();
      throw new Error(`lua-persist: out of memory while providing file ${name}`);
    }
  }

  /**
   * Runs a command line as `lua-persist [-e CODE] [SCRIPT [ARGS...]]` does natively.
   * argv[0] is the program name. Returns { code, stdout, stderr } (bytes).
   * After os.exit the instance must be discarded.
   */
  main(argv) {
    for (const arg of argv) {
      const a = this.#copyIn(arg);
      this._call('lp_arg_push', a[0], a[1]);
      this.#free(a);
    }
    let code = this._call('lp_main');
    if (code === LuaStatus.TRAPPED) this.#checkTrapped();
    const { report, failedHere } = this._storeWrites();
    if (failedHere && code === 0) code = 1;
    return { code, stdout: this.takeOutput(1), stderr: concat(this.takeOutput(2), report) };
  }

  /**
   * A long-lived Lua state with the standard libraries.
   * @param {{sandbox?: boolean}} options with `sandbox: true`, the state is in sandbox mode
   *   (lp_state_sandbox): no files, processes or environment, `load` takes text only,
   *   `require` finds only package.preload, `debug` keeps only traceback; and the sandbox's
   *   default limits (256 MiB, 1e9 instructions, 10 s per chunk), which setLimits replaces
   */
  newState({ sandbox = false } = {}) {
    const L = this._call('lp_state_new');
    if (L === 0) {
      this.#checkTrapped();
      throw new Error('lua-persist: cannot create a Lua state (out of memory)');
    }
    if (sandbox && this._call('lp_state_sandbox', L) !== 0) {
      this._call('lp_state_close', L);
      this.#checkTrapped();
      throw new Error('lua-persist: cannot put the new state in sandbox mode (out of memory)');
    }
    const S = new LuaState(this, L);
    this._states.add(S);
    return S;
  }

  /**
   * Limits for `compute` (cu's interface: the state `init` makes, lp_compute_state()),
   * as LuaState.setLimits sets them for a state of its own. Calls `init` first when no
   * one has yet. A chunk that exceeds one is compute's ordinary error result.
   * @param {Limits} limits
   */
  setLimits(limits = {}) {
    this._setLimits(this.#computeState(), limits);
  }

  /** What compute's current or last chunk used (see LuaState.usage); zeros before `init`. */
  usage() {
    return this._usage(this._call('lp_compute_state'));
  }

  /** compute's state, made by `init` if needed. */
  #computeState() {
    let L = this._call('lp_compute_state');
    if (L === 0) {
      if (this._call('init') !== 0) {
        this.#checkTrapped();
        throw new Error('lua-persist: init failed (the store could not tell its next free id, or memory is short)');
      }
      L = this._call('lp_compute_state');
    }
    return L;
  }

  _setLimits(L, { memory, instructions, timeMs } = {}) {
    const values = [['memory', memory], ['instructions', instructions], ['timeMs', timeMs]]
      .map(([name, value]) => limitValue(name, value));
    if (this._call('lp_set_limits', L, ...values) !== 0) {
      this.#checkTrapped();
      throw new Error('lua-persist: lp_set_limits failed (no such state)');
    }
  }

  _usage(L) {
    const ptr = this._call('lp_alloc', USAGE_BYTES);
    if (ptr === 0) {
      this.#checkTrapped();
      throw new Error('lua-persist: cannot allocate the usage record in the module');
    }
    try {
      // Zeros first: lp_usage writes nothing for a null state (compute's, before init).
      new Uint8Array(this.exports.memory.buffer, ptr, USAGE_BYTES).fill(0);
      this._call('lp_usage', L, ptr);
      const view = new DataView(this.exports.memory.buffer, ptr, USAGE_BYTES);
      const [instructions, memory, peakMemory, elapsedMs, exceeded] =
        [0, 1, 2, 3, 4].map((i) => view.getFloat64(8 * i, true));
      return { instructions, memory, peakMemory, elapsedMs, exceeded: EXCEEDED[exceeded] ?? null };
    } finally {
      this._call('lp_free', ptr, USAGE_BYTES);
    }
  }

  /** Bytes of wasm memory now. */
  get memoryBytes() {
    return this.exports.memory.buffer.byteLength;
  }

  /**
   * After a call: stores what the module's last output point left pending (nothing, unless
   * the chunk ended with os.exit). Returns null, or why writes were lost, as bytes for
   * stderr, and whether the call's result must become an error: the module reported the
   * failures it saw itself (Lua's "external tables: writes not stored"), not this one.
   */
  _storeWrites() {
    let failedHere = false;
    try {
      this.writes?.commit();
    } catch {
      failedHere = true;
    }
    const failure = this.writes?.failure;
    if (!failure) return { report: null, failedHere };
    this.writes.failure = null;
    const why = String(failure.message ?? failure).replace(/^lua-persist: /, '');
    return { report: utf8.encode(`lua-persist: the store failed: ${why}\n`), failedHere };
  }

  _exec(L, chunk, name, exportName = 'lp_exec') {
    const c = this.#copyIn(chunk);
    const n = this.#copyIn(name);
    const status = this._call(exportName, L, c[0], c[1], n[0], n[1]);
    if (status === LuaStatus.TRAPPED) this.#checkTrapped();
    this.#free(c);
    this.#free(n);
    return status;
  }
}

/** `a` followed by `b` (bytes; b may be null). */
function concat(a, b) {
  if (b === null) return a;
  const both = new Uint8Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  return both;
}

/** lp_usage's record: five f64. */
const USAGE_BYTES = 40;
/** lp_usage's last field: the limit the chunk exceeded. */
const EXCEEDED = [null, 'memory', 'instructions', 'time'];

/**
 * One limit as lp_set_limits takes it: a positive number, or 0 for none (null, undefined
 * or Infinity given).
 */
function limitValue(name, value) {
  if (value === undefined || value === null || value === Infinity) return 0;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new TypeError(`lua-persist: the ${name} limit must be a positive number ` +
      `(or null, undefined or Infinity for none), not ${typeof value === 'number' ? value : typeof value}`);
  }
  return value;
}

/**
 * Limits as LuaState.setLimits and LuaModule.setLimits take them; each one left out (or
 * null, undefined, Infinity) is no limit.
 * @typedef {{memory?: number | null, instructions?: number | null, timeMs?: number | null}} Limits
 *   memory: bytes the state may hold (all its values); instructions: units of work per
 *   chunk (VM instructions, C function calls, pattern-matching steps); timeMs: wall-clock
 *   milliseconds per chunk
 */

/**
 * Lua's status codes as lp_exec returns them; EXITED + code after os.exit(code); TRAPPED
 * (lp_exec and lp_main) when an earlier call trapped and the instance is unusable.
 */
export const LuaStatus = Object.freeze({ OK: 0, YIELD: 1, ERRRUN: 2, ERRSYNTAX: 3, ERRMEM: 4, ERRERR: 5, EXITED: 256, TRAPPED: -1 });

export class LuaState {
  constructor(module, L) {
    this.module = module;
    this.L = L;
  }

  /**
   * Runs a chunk; returns { status, stdout, stderr } (stderr holds the error and traceback).
   * After os.exit(code) the status is LuaStatus.EXITED + code and the state is closed.
   */
  exec(chunk, name = '=input') {
    let status = this.#run(chunk, name, 'lp_exec');
    const { report, failedHere } = this.module._storeWrites();
    if (failedHere && status === LuaStatus.OK) status = LuaStatus.ERRRUN;
    return { status, stdout: this.module.takeOutput(1), stderr: concat(this.module.takeOutput(2), report) };
  }

  /**
   * Runs a chunk and returns its results as JavaScript values, in an array (`const [n] =
   * state.eval('return 1 + 1')`); see decodeHostValues for how each Lua value comes back.
   * A Lua error (syntax, runtime, a limit exceeded, writes that could not be stored) throws a
   * LuaError with Lua's message, the traceback and the error value as raised. What the chunk
   * prints stays in the module's output (lua.takeOutput(1)). The chunk is named as given:
   * `eval('error("x")', 'setup')` fails with "setup:1: x" (a name starting with `@` is a
   * file name, as in Lua). After os.exit(code) it throws a LuaError with status
   * LuaStatus.EXITED + code, and the state is closed.
   */
  eval(chunk, name = 'eval') {
    const status = this.#run(chunk, name, 'lp_eval');
    const values = decodeHostValues(this.module.takeOutput(RESULTS_STREAM));
    const { report, failedHere } = this.module._storeWrites();
    if (failedHere) {
      throw new LuaError(fromUtf8.decode(report).trim(), { status: LuaStatus.ERRRUN, value: null, traceback: null });
    }
    if (status === LuaStatus.OK) return values;
    if (status >= LuaStatus.EXITED) {
      throw new LuaError(`the chunk called os.exit(${status - LuaStatus.EXITED}): the state is closed`,
        { status, value: null, traceback: null });
    }
    const [value = null, message = null, traceback = null] = values;
    const text = message ?? (typeof value === 'string' ? value : status === LuaStatus.ERRMEM ? 'not enough memory' : String(value));
    throw new LuaError(text, { status, value, traceback });
  }

  #run(chunk, name, exportName) {
    this.#open();
    // Named as given: Lua would show a plain name as [string "name"].
    const chunkName = /^[=@]/.test(name) ? name : `=${name}`;
    const status = this.module._exec(this.L, chunk, chunkName, exportName);
    if (status >= LuaStatus.EXITED) {
      this.L = 0;
      this.module._states.delete(this);
    }
    return status;
  }

  setMemoryLimit(bytes) {
    this.module._call('lp_set_memory_limit', this.L, bytes);
  }

  /**
   * Limits for the chunks this state runs next, replacing all earlier ones (a limit left
   * out is none). A chunk that exceeds one ends with an error naming it ("memory limit
   * exceeded", "instruction limit exceeded", "time limit exceeded") that pcall, xpcall,
   * coroutines, __close and __gc cannot catch; exec returns it as a runtime error
   * (LuaStatus.ERRRUN) and the state runs the next chunk with its globals intact.
   * Throws a TypeError for a value that is not a positive number (0 included).
   * @param {Limits} limits
   */
  setLimits(limits = {}) {
    this.#open();
    this.module._setLimits(this.L, limits);
  }

  /**
   * What the current or last chunk used: `{instructions, memory, peakMemory, elapsedMs,
   * exceeded}`: units of work, bytes held now, the most bytes held during the chunk, its
   * running time, and the limit it exceeded (null, 'memory', 'instructions' or 'time').
   */
  usage() {
    this.#open();
    return this.module._usage(this.L);
  }

  #open() {
    if (this.L === 0) throw new Error('lua-persist: state is closed');
  }

  /**
   * Removes the store's external tables that nothing reaches any more (Lua's `ext.collect()`,
   * README "Reclaiming space"); returns what it did: { live, removed, entries, deferred,
   * unreadable }. It also runs by itself as tables are made.
   */
  collect() {
    const report = "local d = ext.collect() io.write(d.live, ' ', d.removed, ' ', d.entries, ' ', d.deferred, ' ', d.unreadable)";
    const { status, stdout, stderr } = this.exec(report, '=collect');
    if (status !== LuaStatus.OK) throw new Error(fromUtf8.decode(stderr).trim());
    const [live, removed, entries, deferred, unreadable] = fromUtf8.decode(stdout).split(' ').map(Number);
    return { live, removed, entries, deferred, unreadable };
  }

  get memoryUsed() {
    return this.module._call('lp_memory_used', this.L);
  }

  close() {
    if (this.L !== 0) this.module._call('lp_state_close', this.L);
    this.L = 0;
    this.module._states.delete(this);
  }
}

// ------------------------------------------------------------------ values in the store

const IO_TABLE_ID = 2;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * Encodes a JSON-like JavaScript value as a stored Lua value (FORMAT.md): null/undefined as
 * nil, booleans, integers (safe integers and bigints) as 02, other numbers as 03, strings as
 * UTF-8 04, Uint8Array as a byte string, and arrays and plain objects as new external tables
 * (07 + id; arrays get keys "1".."n"), written into `store`. A value met twice (or a cycle)
 * becomes one table. Unlike cu's hosts, numbers keep their fractions.
 */
export function encodeValue(store, value, session = { seen: new Map(), next: Math.max(store.nextFreeId(), FIRST_FREE_ID) }) {
  const out = (bytes) => new Uint8Array(bytes);
  if (value === null || value === undefined) return out([0x00]);
  if (typeof value === 'boolean') return out([0x01, value ? 1 : 0]);
  if (typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value))) {
    const b = new Uint8Array(9);
    b[0] = 0x02;
    new DataView(b.buffer).setBigInt64(1, BigInt(value), true);
    return b;
  }
  if (typeof value === 'number') {
    const b = new Uint8Array(9);
    b[0] = 0x03;
    new DataView(b.buffer).setFloat64(1, value, true);
    return b;
  }
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const data = typeof value === 'string' ? utf8.encode(value) : value;
    const b = new Uint8Array(5 + data.length);
    b[0] = 0x04;
    new DataView(b.buffer).setUint32(1, data.length, true);
    b.set(data, 5);
    return b;
  }
  if (typeof value === 'object') {
    let id = session.seen.get(value);
    if (id === undefined) {
      // Ids are taken from the store's next free one on, and reserved: an empty object
      // writes no key, and Lua must not make a table with its id.
      id = session.next++;
      store.reserveIds?.(id + 1);
      session.seen.set(value, id);
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i + 1), v]) : Object.entries(value);
      for (const [k, v] of entries) store.set(id, utf8.encode(k), encodeValue(store, v, session));
    }
    const b = new Uint8Array(5);
    b[0] = 0x07;
    new DataView(b.buffer).setUint32(1, id, true);
    return b;
  }
  throw new TypeError(`lua-persist: cannot store a ${typeof value} value`);
}

/**
 * Decodes a stored value into JavaScript: nil as null, integers as numbers (bigints past
 * 2^53), strings as UTF-8 text, external tables as arrays (keys exactly "1".."n") or
 * objects, functions and other Lua-only values as null. Cycles come back as cycles.
 */
export function decodeValue(store, bytes, seen = new Map()) {
  if (!bytes || bytes.length === 0) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (bytes[0]) {
    case 0x01: return bytes[1] !== 0;
    case 0x02: {
      const v = view.getBigInt64(1, true);
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case 0x03: return view.getFloat64(1, true);
    case 0x04: return fromUtf8.decode(bytes.subarray(5, 5 + view.getUint32(1, true)));
    case 0x07: {
      const id = view.getUint32(1, true);
      if (seen.has(id)) return seen.get(id);
      const keys = store.keys(id).map((k) => fromUtf8.decode(k));
      const isArray = keys.every((k, i) => k === String(i + 1));
      const result = isArray ? [] : {};
      seen.set(id, result);
      for (const k of keys) {
        const v = decodeValue(store, store.get(id, utf8.encode(k)), seen);
        if (isArray) result.push(v); else result[k] = v;
      }
      return result;
    }
    default: return null; // nil, functions, inline tables, the globals table
  }
}

/** The module's output stream that holds lp_eval's values (src/wasm/exports.rs). */
const RESULTS_STREAM = 3;

/** A Lua error that LuaState.eval met: `message` is Lua's (with the chunk's name and line),
 * `value` the error value as raised, as a JavaScript value (a string error is that string;
 * `error({code = 42})` gives `{code: 42}`), `traceback` Lua's traceback from where it was
 * raised (null for a syntax error), `status` the LuaStatus. */
export class LuaError extends Error {
  constructor(message, { status, value, traceback }) {
    super(message);
    this.name = 'LuaError';
    this.status = status;
    this.value = value;
    this.traceback = traceback;
  }
}

/** A Lua value JavaScript cannot hold — a function, a coroutine (`thread`), a userdata — or a
 * table nested more than 200 deep (`table`), as LuaState.eval returns it: its Lua type only. */
export class LuaOpaqueValue {
  constructor(type) {
    this.type = type;
    Object.freeze(this);
  }
  toString() {
    return `[Lua ${this.type}]`;
  }
}

const LUA_TYPE_NAMES = ['nil', 'boolean', 'lightuserdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The values lp_eval left (layout: src/wasm/host_values.rs) as JavaScript values:
 * nil → null; booleans; integers → numbers, or bigints past 2^53; floats → numbers; strings →
 * strings when they are UTF-8, else Uint8Array (the bytes); tables → arrays when their keys
 * are exactly 1..n (an empty table too), else plain objects when every key is a string or a
 * number (numbers as property names; a table with both 1 and "1" as keys becomes a Map),
 * else Maps (keys converted the same way). A table met twice — shared, or a cycle — is one
 * JavaScript object met twice. Functions, coroutines and userdata → LuaOpaqueValue.
 */
export function decodeHostValues(bytes) {
  if (bytes.length === 0) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables = [];
  let at = 0;
  const u32 = () => { const v = view.getUint32(at, true); at += 4; return v; };
  const value = () => {
    const tag = bytes[at++];
    switch (tag) {
      case 0: return null;
      case 1: return false;
      case 2: return true;
      case 3: {
        const v = view.getBigInt64(at, true);
        at += 8;
        return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case 4: { const v = view.getFloat64(at, true); at += 8; return v; }
      case 5: {
        const len = u32();
        const raw = bytes.subarray(at, at + len);
        at += len;
        try { return strictUtf8.decode(raw); } catch { return raw.slice(); }
      }
      case 6: return table();
      case 7: return tables[u32()];
      case 8: return new LuaOpaqueValue(LUA_TYPE_NAMES[bytes[at++]] ?? 'userdata');
      case 9: return new LuaOpaqueValue('table');
      default: throw new Error(`lua-persist: unknown value tag ${tag} from lp_eval`);
    }
  };
  // A table: its keys are looked at first (values skipped), to choose the container; the
  // container is numbered before its pairs are read, so a cycle comes back to it.
  const table = () => {
    const count = u32();
    const start = at;
    const keys = [];
    for (let i = 0; i < count; i++) {
      keys.push(peekKey());
      skipValue();
      skipValue();
    }
    at = start;
    const isArray = keys.every((k) => Number.isInteger(k) && k >= 1 && k <= count);
    const plain = !isArray && keys.every((k) => typeof k === 'string' || typeof k === 'number') &&
      new Set(keys.map(String)).size === keys.length;
    const result = isArray ? new Array(count) : plain ? {} : new Map();
    tables.push(result);
    for (let i = 0; i < count; i++) {
      const k = value();
      const v = value();
      if (isArray) result[Number(k) - 1] = v;
      else if (plain) result[String(k)] = v;
      else result.set(k, v);
    }
    return result;
  };
  // The key at `at`: a number (integer keys as numbers), a UTF-8 string, or skipMarker.
  const peekKey = () => {
    const tag = bytes[at];
    if (tag === 3) return Number(view.getBigInt64(at + 1, true));
    if (tag === 4) return view.getFloat64(at + 1, true);
    if (tag === 5) {
      const len = view.getUint32(at + 1, true);
      try { return strictUtf8.decode(bytes.subarray(at + 5, at + 5 + len)); } catch { return skipMarker; }
    }
    return skipMarker;
  };
  const skipValue = () => {
    const tag = bytes[at++];
    if (tag === 3 || tag === 4) at += 8;
    else if (tag === 5) { const len = u32(); at += len; } // (`at += u32()` would add to the old `at`)
    else if (tag === 7) at += 4;
    else if (tag === 8) at += 1;
    else if (tag === 6) {
      const pairs = u32();
      for (let i = 0; i < 2 * pairs; i++) skipValue();
    }
  };
  const skipMarker = Symbol('key that is not a string or a number');
  const count = u32();
  const out = [];
  for (let i = 0; i < count; i++) out.push(value());
  return out;
}

/**
 * `_io` (external table 2) seen from the host, as cu's hosts use it: `setInput` and
 * `setMetadata` store a JavaScript value under `_io.input` / `_io.meta`, `getOutput` reads
 * `_io.output`, and `clear` deletes the three keys. They work on the store directly.
 */
export class IoTable {
  constructor(store) {
    this.store = store;
  }
  #set(key, value) {
    this.store.set(IO_TABLE_ID, utf8.encode(key), encodeValue(this.store, value));
  }
  setInput(value) { this.#set('input', value); }
  setMetadata(value) { this.#set('meta', value); }
  getOutput() {
    return decodeValue(this.store, this.store.get(IO_TABLE_ID, utf8.encode('output')));
  }
  clear() {
    for (const key of ['input', 'output', 'meta']) this.store.delete(IO_TABLE_ID, utf8.encode(key));
  }
}
