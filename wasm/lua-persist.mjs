// The JavaScript side of the lua-persist wasm module: plain WebAssembly API, no imports,
// works in Node and browsers. The module's exports are listed in exports.txt.
//
// Memory rule for hosts: the module's memory can grow during any call, which detaches
// earlier views of memory.buffer. Make a new Uint8Array view after every call.

const encoder = new TextEncoder();

/** Compiles the module from bytes (an ArrayBuffer or typed array). */
export async function compileModule(bytes) {
  return WebAssembly.compile(bytes);
}

/**
 * An external-table store in memory: table id -> (key bytes -> value bytes), keys in
 * insertion order. Any object with the same methods can stand in for it (see storeImports).
 */
export class MemoryStore {
  constructor() {
    this.tables = new Map();
  }
  #table(id, create) {
    let t = this.tables.get(id);
    if (!t && create) this.tables.set(id, (t = new Map()));
    return t;
  }
  /** Keys are byte strings; a latin1 string holds them exactly. */
  static keyString(bytes) {
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
  /** The smallest id never used. */
  nextFreeId() {
    return this.tables.size === 0 ? 1 : Math.max(...this.tables.keys()) + 1;
  }
}

/**
 * The module's imports (`env`, cu's names) over a store, with the protocol of
 * src/wasm/host_store.rs: a value longer than the window is announced by its length and read
 * again; an empty value written means delete; the empty key reads the key listing (each key
 * as u32 LE length + bytes); size(0) is the next free id.
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
        else store.set(id, key, bytes(valPtr, valLen).slice());
        return 0;
      } catch {
        return 1;
      }
    },
    js_ext_table_get(id, keyPtr, keyLen, out, max) {
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
    },
    js_ext_table_size(id) {
      return id === 0 ? store.nextFreeId() : store.size(id);
    },
  };
}

/** One instance of the module: one wasm memory, any number of Lua states. */
export class LuaModule {
  /**
   * @param {WebAssembly.Module} module
   * @param {{store?: object}} options the external-table store (default: a new MemoryStore)
   */
  static async instantiate(module, { store = new MemoryStore() } = {}) {
    let memory;
    // cu's clock import: milliseconds since the epoch.
    const env = { ...storeImports(store, () => memory), js_time_now: () => Date.now() };
    const instance = await WebAssembly.instantiate(module, { env });
    memory = instance.exports.memory;
    const lua = new LuaModule(instance);
    lua.store = store;
    return lua;
  }

  constructor(instance) {
    this.exports = instance.exports;
  }

  /** Copies bytes (Uint8Array or string) into module memory; returns [ptr, len]. Free with #free. */
  #copyIn(data) {
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    const ptr = this.exports.lp_alloc(bytes.length);
    if (ptr === 0) throw new Error(`lua-persist: cannot allocate ${bytes.length} bytes in the module`);
    new Uint8Array(this.exports.memory.buffer, ptr, bytes.length).set(bytes);
    return [ptr, bytes.length];
  }

  #free([ptr, len]) {
    this.exports.lp_free(ptr, len);
  }

  /** Takes (and clears) what Lua wrote to stdout (1) or stderr (2). */
  takeOutput(stream) {
    const len = this.exports.lp_output_len(stream);
    const ptr = this.exports.lp_output_ptr(stream);
    const bytes = len === 0 ? new Uint8Array() : new Uint8Array(this.exports.memory.buffer, ptr, len).slice();
    this.exports.lp_output_clear(stream);
    return bytes;
  }

  /** Makes bytes readable as a file for scripts (name "-" is stdin). */
  putFile(name, data) {
    const n = this.#copyIn(name);
    const d = this.#copyIn(data);
    const rc = this.exports.lp_file_put(n[0], n[1], d[0], d[1]);
    this.#free(n);
    this.#free(d);
    if (rc !== 0) throw new Error(`lua-persist: out of memory while providing file ${name}`);
  }

  /**
   * Runs a command line as `lua-persist [-e CODE] [SCRIPT [ARGS...]]` does natively.
   * argv[0] is the program name. Returns { code, stdout, stderr } (bytes).
   * After os.exit the instance must be discarded.
   */
  main(argv) {
    for (const arg of argv) {
      const a = this.#copyIn(arg);
      this.exports.lp_arg_push(a[0], a[1]);
      this.#free(a);
    }
    const code = this.exports.lp_main();
    return { code, stdout: this.takeOutput(1), stderr: this.takeOutput(2) };
  }

  /** A long-lived Lua state with the standard libraries. */
  newState() {
    const L = this.exports.lp_state_new();
    if (L === 0) throw new Error('lua-persist: cannot create a Lua state (out of memory)');
    return new LuaState(this, L);
  }

  /** Bytes of wasm memory now. */
  get memoryBytes() {
    return this.exports.memory.buffer.byteLength;
  }

  _exec(L, chunk, name) {
    const c = this.#copyIn(chunk);
    const n = this.#copyIn(name);
    const status = this.exports.lp_exec(L, c[0], c[1], n[0], n[1]);
    this.#free(c);
    this.#free(n);
    return status;
  }
}

/** Lua's status codes as lp_exec returns them; EXITED + code after os.exit(code). */
export const LuaStatus = Object.freeze({ OK: 0, YIELD: 1, ERRRUN: 2, ERRSYNTAX: 3, ERRMEM: 4, ERRERR: 5, EXITED: 256 });

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
    if (this.L === 0) throw new Error('lua-persist: state is closed');
    const status = this.module._exec(this.L, chunk, name);
    if (status >= LuaStatus.EXITED) this.L = 0;
    return { status, stdout: this.module.takeOutput(1), stderr: this.module.takeOutput(2) };
  }

  setMemoryLimit(bytes) {
    this.module.exports.lp_set_memory_limit(this.L, bytes);
  }

  get memoryUsed() {
    return this.module.exports.lp_memory_used(this.L);
  }

  close() {
    if (this.L !== 0) this.module.exports.lp_state_close(this.L);
    this.L = 0;
  }
}
