// The browser demo: Lua in the wasm module, `_home` kept in IndexedDB (IdbStore).
// `window.demo` is its API for scripts and tests:
//   await demo.ready           the module is running and `_home` is restored; rejects if the
//                              page cannot start (IdbStoreLockedError: the database is open
//                              in another tab or window)
//   demo.run(code)             runs Lua as the Run button does: {status, ok, output, error}
//   await demo.flushed()       every write so far is committed (survives a reload)
//   demo.homeKeys()            the keys of `_home`, as text
//   demo.limits                what each run may use: {timeMs, memory}
//   await demo.saveSnapshot()  keeps a snapshot of the whole instance (every global and
//                              suspended coroutine) in IndexedDB, as the Save button does
//   await demo.restoreSnapshot()  goes on from the kept snapshot, as the Restore button
//                              does; false when there is none
// `?db=NAME` in the page's URL picks another database (default: lua-persist-demo).
// One tab at a time per database: a second tab shows why it did not start.
// Each run has limits (LIMITS, shown on the page): a runaway script such as
// `while true do end` ends with "time limit exceeded" instead of freezing the page for good.
import { LuaModule, LuaStatus, decodeValue, compileModule } from '../lua-persist.mjs';
import { IdbStore, IdbStoreLockedError } from '../idb-store.mjs';

const HOME = 1; // `_home`'s table id
/** What one run may use: 2 seconds (Lua runs on the page's thread, which waits for it) and
 * 256 MiB. index.html says so. */
const LIMITS = Object.freeze({ timeMs: 2000, memory: 256 * 1024 * 1024 });
const database = new URLSearchParams(location.search).get('db') || 'lua-persist-demo';
const $ = (id) => document.getElementById(id);
const fromUtf8 = new TextDecoder();
let lua;
let state;
let store;
let runs = 0;

function showStatus(message, failed = false) {
  $('status').textContent = message;
  $('status').classList.toggle('failed', failed);
}

let module;

async function loadModule() {
  const response = await fetch(new URL('../lua_persist.wasm', import.meta.url));
  if (!response.ok) throw new Error(`cannot load the module (HTTP ${response.status}): build it with scripts/build-wasm`);
  // compileModule notes the hash of the bytes, which snapshots record.
  module = await compileModule(await response.arrayBuffer());
  return module;
}

// ------------------------------------------------------------------ snapshots
// The last snapshot of the instance, in a database of its own beside the store's
// (NAME-snapshot, object store "snapshots", key "last").
function snapshotDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(`${database}-snapshot`, 1);
    request.onupgradeneeded = () => request.result.createObjectStore('snapshots');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function snapshotRequest(mode, act) {
  const db = await snapshotDatabase();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction('snapshots', mode, { durability: 'strict' });
      const request = act(tx.objectStore('snapshots'));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Keeps a snapshot of the whole instance (after the store has everything written). */
async function saveSnapshot() {
  await ready;
  await store.flushed();
  const bytes = await lua.snapshot();
  await snapshotRequest('readwrite', (s) => s.put(bytes, 'last'));
  showStatus(`snapshot saved: ${(bytes.length / 1024).toFixed(0)} KiB`);
  return bytes.length;
}

/** Goes on from the kept snapshot: a new instance with its memory; false without one. */
async function restoreSnapshot() {
  await ready;
  const bytes = await snapshotRequest('readonly', (s) => s.get('last'));
  if (!bytes) {
    showStatus('no snapshot saved yet');
    return false;
  }
  const restored = await LuaModule.restore(module, bytes, { store });
  lua = restored.lua;
  state = restored.states[0] ?? newState();
  showStatus('snapshot restored: every global and coroutine is as it was when it was saved');
  return true;
}

const ready = (async () => {
  const [loaded, opened] = await Promise.allSettled([loadModule(), IdbStore.open(database)]);
  if (opened.status === 'rejected') throw opened.reason;
  store = opened.value;
  store.onerror = (error) =>
    showStatus(`IndexedDB failed: ${error.message} — writes are refused; reload to go on from what was saved`, true);
  try {
    if (loaded.status === 'rejected') throw loaded.reason;
    lua = await LuaModule.instantiate(loaded.value, { store });
    state = newState();
  } catch (error) {
    await store.close().catch(() => {}); // frees the database for another tab
    throw error;
  }
  showHome();
  showStatus(`ready; _home restored from IndexedDB "${database}": ${keyCount()}`);
  $('run').disabled = false;
  $('save').disabled = false;
  $('restore').disabled = false;
})();
ready.catch((error) => {
  if (error instanceof IdbStoreLockedError) {
    showStatus(`not started: ${error.message}. Only one tab at a time may use it: close the other one, then reload this page.`, true);
  } else {
    showStatus(`failed to start: ${error.message}`, true);
  }
});

/** The page's Lua state, under LIMITS. */
function newState() {
  const made = lua.newState();
  made.setLimits(LIMITS);
  return made;
}

/** Lua source that prints the values of `code` if it is an expression, as Lua's REPL does. */
function asExpression(code) {
  const expression = code.replace(/^\s*return\b/, '');
  return `(function(...) if select('#', ...) > 0 then print(...) end end)(${expression}\n)`;
}

/** Runs a chunk in the page's Lua state; an expression alone prints its values. */
function run(code) {
  if (!state) throw new Error('lua-persist demo: not ready yet (await demo.ready)');
  if (state.L === 0) state = newState(); // os.exit closed the last one
  let r = state.exec(asExpression(code), '=input');
  if (r.status === LuaStatus.ERRSYNTAX) r = state.exec(code, '=input'); // not an expression
  const result = {
    status: r.status,
    ok: r.status === LuaStatus.OK,
    output: fromUtf8.decode(r.stdout),
    error: fromUtf8.decode(r.stderr),
  };
  if (r.status >= LuaStatus.EXITED) result.error += `os.exit(${r.status - LuaStatus.EXITED}): the next run starts a new state\n`;
  showHome();
  showSaving();
  return result;
}

const keyCount = () => (store.size(HOME) === 1 ? '1 key' : `${store.size(HOME)} keys`);

function showSaving() {
  if (store.failure) return; // onerror has said it
  if (store.pendingWrites > 0) showStatus('saving to IndexedDB…');
  store.flushed().then(
    () => { if (store.pendingWrites === 0) showStatus(`saved; _home: ${keyCount()}`); },
    () => {}, // onerror shows the failure
  );
}

/** `_home`'s keys and a short description of each value, read from the store. */
function showHome() {
  const rows = store.keys(HOME).map((key) => {
    const bytes = store.get(HOME, key);
    const tr = document.createElement('tr');
    const cells = [fromUtf8.decode(key), ...describe(bytes)];
    for (const text of cells) tr.appendChild(document.createElement('td')).textContent = text;
    return tr;
  });
  $('home').replaceChildren(...rows);
}

function describe(bytes) {
  switch (bytes[0]) { // the value's tag (FORMAT.md)
    case 0x01: case 0x02: case 0x03: return [typeof decodeValue(store, bytes), String(decodeValue(store, bytes))];
    case 0x04: {
      const s = decodeValue(store, bytes);
      return ['string', JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s)];
    }
    case 0x07: {
      const id = new DataView(bytes.buffer, bytes.byteOffset).getUint32(1, true);
      return ['table', `external table ${id}, ${store.size(id)} keys`];
    }
    case 0x0a: return ['function', 'closure with its upvalues'];
    case 0x05: case 0x06: case 0x0b: return ['function', ''];
    default: return ['value', `${bytes.length} bytes`];
  }
}

function runFromPage() {
  const result = run($('code').value);
  const output = $('output');
  output.textContent = result.output + result.error;
  output.classList.toggle('error', !result.ok);
  output.dataset.status = result.ok ? 'ok' : 'error';
  output.dataset.run = String(++runs); // scripts wait for this to change
}

$('run').addEventListener('click', runFromPage);
$('save').addEventListener('click', () => saveSnapshot().catch((e) => showStatus(`snapshot not saved: ${e.message}`, true)));
$('restore').addEventListener('click', () => restoreSnapshot().catch((e) => showStatus(`snapshot not restored: ${e.message}`, true)));
$('code').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !$('run').disabled) {
    event.preventDefault();
    runFromPage();
  }
});

window.demo = {
  ready,
  run,
  flushed: () => ready.then(() => store.flushed()),
  homeKeys: () => store.keys(HOME).map((key) => fromUtf8.decode(key)),
  limits: LIMITS,
  saveSnapshot,
  restoreSnapshot,
};
