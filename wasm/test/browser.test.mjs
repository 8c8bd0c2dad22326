// The browser: the demo page (wasm/demo/) in headless Chromium through playwright-core,
// served by wasm/serve.mjs, with `_home` in IndexedDB (wasm/idb-store.mjs). Values survive
// a reload and a restart of the browser; IdbStore's own semantics and failures, and its lock
// (one tab at a time per database).
// Chromium: /usr/bin/chromium (Debian's package; scripts/test installs it) or
// $LUA_PERSIST_CHROMIUM. A missing browser fails this test: it does not skip.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import './helpers.mjs'; // fails clearly when the module is not built

const executablePath = process.env.LUA_PERSIST_CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  throw new Error(`Chromium is missing at ${executablePath}: install it with \`apt-get install -y chromium\` ` +
    '(scripts/test does) or set LUA_PERSIST_CHROMIUM to a Chromium or Chrome binary.');
}
const serveScript = fileURLToPath(new URL('../serve.mjs', import.meta.url));
const userDataDir = mkdtempSync(join(tmpdir(), 'lua-persist-chromium-'));

// Not a speed requirement: a page that never answers fails the test instead of hanging it.
const hang = { timeout: 120_000 };
let server;
let url;
let context;
let page;
const pageErrors = [];

/** Starts `node wasm/serve.mjs --port 0` and reads the URL it prints. */
function startServer() {
  const child = spawn(process.execPath, [serveScript, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      const found = output.match(/http:\/\/\S+/);
      if (found) resolve({ child, url: found[0] });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`serve.mjs exited (${code}): ${output}`)));
  });
}

/** Chromium with a persistent profile, so IndexedDB outlives the browser. */
async function launch() {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error));
  await openDemo();
}

async function openDemo() {
  await page.goto(url);
  await page.evaluate(() => window.demo.ready);
}

/** Runs Lua through window.demo (of `on`, the main page by default) and returns its output;
 * a Lua error fails the test. */
async function lua(code, on = page) {
  const r = await on.evaluate((c) => window.demo.run(c), code);
  assert.ok(r.ok, `Lua failed: ${r.error}`);
  return r.output;
}

before(async () => {
  ({ child: server, url } = await startServer());
  await launch();
}, hang);

after(async () => {
  await context?.close();
  server?.kill();
  rmSync(userDataDir, { recursive: true, force: true });
});

test('the page runs Lua typed into it, shows a Lua error as an error and keeps working', hang, async () => {
  const runCode = async (code, run) => {
    await page.fill('#code', code);
    await page.click('#run');
    await page.waitForFunction((n) => document.getElementById('output').dataset.run === n, String(run));
    return page.$eval('#output', (o) => ({ text: o.textContent, status: o.dataset.status, error: o.classList.contains('error') }));
  };
  assert.deepEqual(await runCode('print("hello from " .. _VERSION)', 1), { text: 'hello from Lua 5.4\n', status: 'ok', error: false });
  const failed = await runCode('local t = nil\nprint(t.field)', 2);
  assert.equal(failed.status, 'error');
  assert.ok(failed.error);
  assert.match(failed.text, /input:2: attempt to index a nil value \(local 't'\)/);
  assert.deepEqual(await runCode('6 * 7', 3), { text: '42\n', status: 'ok', error: false }, 'an expression shows its value');

  const syntax = await page.evaluate(() => window.demo.run('x = = 1'));
  assert.equal(syntax.ok, false);
  assert.match(syntax.error, /input:1: unexpected symbol near '='/);
  assert.equal(await lua('print(1 + 1)'), '2\n', 'the state goes on after errors');
  assert.doesNotMatch(await page.textContent('#status'), /fail/);
  assert.deepEqual(pageErrors, []);
});

test('a runaway script stops at the time limit with the message on the page, and the next run works', hang, async () => {
  assert.deepEqual(await page.evaluate(() => window.demo.limits), { timeMs: 2000, memory: 256 * 1024 * 1024 });
  assert.match(await page.textContent('#limits'), /at most 2 seconds and hold at most 256 MiB/);
  const runCode = async (code) => {
    const before = Number(await page.$eval('#output', (o) => o.dataset.run ?? 0));
    await page.fill('#code', code);
    await page.click('#run');
    await page.waitForFunction((n) => document.getElementById('output').dataset.run === n, String(before + 1));
    return page.$eval('#output', (o) => ({ text: o.textContent, status: o.dataset.status, error: o.classList.contains('error') }));
  };
  await lua('runaway_kept = "kept"');
  const runaway = await runCode('local n = 0\nwhile true do pcall(function() while true do end end) n = n + 1 end');
  assert.equal(runaway.status, 'error');
  assert.ok(runaway.error);
  assert.match(runaway.text, /input:2: time limit exceeded/);
  assert.deepEqual(await runCode('print(runaway_kept, 6 * 7)'), { text: 'kept\t42\n', status: 'ok', error: false },
    'the page answers the next run, with the globals kept');
  assert.doesNotMatch(await page.textContent('#status'), /fail/);
  assert.deepEqual(pageErrors, []);
});

// What the test stores: a counter closure with its upvalue, and a table with a cycle and a
// subtable shared by two keys and pointing back.
const STORE_VALUES = `
  local n = 10
  local function counter() n = n + 1 return n end
  print(counter(), counter())
  _home.counter = counter -- stored with n = 12
  local shared = {label = 'shared'}
  local t = {name = 'root', list = {1, 2.5, 'three'}, a = shared, b = shared}
  t.self = t
  shared.back = t
  _home.t = t`;
const CHECK_TABLE = `
  local t = _home.t
  print(t == _home.t, t.self == t, t.self.self == t, t.a == t.b, t.a.back == t, t.b.back.self == t,
    t.name, t.a.label, t.list[1], t.list[2], math.type(t.list[2]), t.list[3], #t.list)`;
const TABLE_OK = 'true\ttrue\ttrue\ttrue\ttrue\ttrue\troot\tshared\t1\t2.5\tfloat\tthree\t3\n';

test('a closure with upvalues and a cyclic table in _home survive a reload', hang, async () => {
  assert.equal(await lua(STORE_VALUES), '11\t12\n');
  assert.equal(await lua(CHECK_TABLE), TABLE_OK);
  await page.evaluate(() => window.demo.flushed());
  await page.evaluate(() => { window.beforeReload = true; });

  await page.reload();
  await page.evaluate(() => window.demo.ready);
  assert.equal(await page.evaluate(() => window.beforeReload), undefined, 'a new page');
  assert.match(await page.textContent('#status'), /restored .*: 2 keys/);
  assert.deepEqual((await page.evaluate(() => window.demo.homeKeys())).sort(), ['counter', 't']);
  // The closure continues from n = 12; each read of _home.counter is the stored snapshot.
  assert.equal(await lua('print(_home.counter(), _home.counter())'), '13\t13\n');
  assert.equal(await lua(CHECK_TABLE), TABLE_OK);
  assert.deepEqual(pageErrors, []);
});

test('a snapshot of the whole instance, saved in IndexedDB, goes on after a reload', hang, async () => {
  assert.equal(await lua(`
    greeting = 'hello'
    talk = coroutine.wrap(function(name)
      local turns = 0
      while true do turns = turns + 1 name = coroutine.yield(('%s %s (%d)'):format(greeting, name, turns)) end
    end)
    print(talk('ana'))`), 'hello ana (1)\n');
  assert.ok(await page.evaluate(() => window.demo.saveSnapshot()) > 0);
  assert.equal(await lua('print(talk("not kept"))'), 'hello not kept (2)\n');
  await page.reload();
  await page.evaluate(() => window.demo.ready);
  assert.equal(await lua('print(talk)'), 'nil\n', 'a fresh page: no globals');
  assert.equal(await page.evaluate(() => window.demo.restoreSnapshot()), true);
  assert.match(await page.textContent('#status'), /snapshot restored/);
  assert.equal(await lua('print(talk("ben"), greeting)'), 'hello ben (2)\thello\n');
  // The Restore button does the same.
  await page.click('#restore');
  await page.waitForFunction(() => /snapshot restored/.test(document.getElementById('status').textContent));
  assert.equal(await lua('print(talk("cy"))'), 'hello cy (2)\n');
  assert.deepEqual(pageErrors, []);
});

test('_home survives closing the browser and starting it again on the same profile', hang, async () => {
  assert.equal(await lua('local c = _home.counter print(c(), c()) _home.counter = c _home.note = "before restart"'), '13\t14\n');
  await page.evaluate(() => window.demo.flushed());
  await context.close();

  await launch();
  assert.equal(await lua('print(_home.counter(), _home.note)'), '15\tbefore restart\n');
  assert.equal(await lua(CHECK_TABLE), TABLE_OK);
  assert.deepEqual(pageErrors, []);
});

test('IdbStore: set, get, delete, keys, size, next free id, large values, reopen', hang, async () => {
  const r = await page.evaluate(async () => {
    const { IdbStore } = await import('/idb-store.mjs');
    const bytes = (s) => new TextEncoder().encode(s);
    const list = (v) => (v === undefined ? null : [...v]);
    const latin1 = (k) => String.fromCharCode(...k);
    const keys = (s, id) => s.keys(id).sort((a, b) => (latin1(a) < latin1(b) ? -1 : 1)).map((k) => [...k]);
    const large = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
    const binaryKey = new Uint8Array([0xff, 0x00, 0x80, 0x61]); // not UTF-8
    const state = (s) => ({
      a: list(s.get(1, bytes('a'))), b: list(s.get(1, bytes('b'))), m: list(s.get(1, bytes('m'))),
      seq: list(s.get(1, bytes('seq'))), keys1: keys(s, 1), size1: s.size(1), size5: s.size(5),
      largeSame: s.get(3, binaryKey)?.every((v, i) => v === large[i]) && s.get(3, binaryKey).length === large.length,
      keys3: keys(s, 3), next: s.nextFreeId(),
    });

    let s = await IdbStore.open('semantics');
    const fresh = { next: s.nextFreeId(), size: s.size(1), keys: s.keys(1).length, missing: list(s.get(1, bytes('a'))) };
    s.set(1, bytes('a'), new Uint8Array([1]));
    s.set(1, bytes('b'), new Uint8Array([2]));
    s.set(1, bytes('a'), new Uint8Array([3])); // overwrites
    const mine = new Uint8Array([7]);
    s.set(1, bytes('m'), mine);
    mine[0] = 9; // the store keeps its own copy
    s.set(5, bytes('x'), new Uint8Array([5]));
    s.delete(5, bytes('x')); // id 5 stays taken
    s.delete(1, bytes('b'));
    s.delete(1, bytes('never set'));
    s.set(3, binaryKey, large);
    const queued = s.pendingWrites;
    // Writes in separate turns go into separate transactions: the last one must win.
    for (let i = 0; i < 5; i++) {
      s.set(1, bytes('seq'), new Uint8Array([i]));
      await new Promise((resolve) => setTimeout(resolve));
    }
    const beforeReopen = state(s);
    await s.flushed();
    const pendingAfter = s.pendingWrites;
    await s.close();
    let afterClose;
    try {
      s.set(1, bytes('late'), new Uint8Array([1]));
      afterClose = 'accepted';
    } catch (e) {
      afterClose = e.message;
    }
    s = await IdbStore.open('semantics');
    const reopened = state(s);
    await s.close();
    return { fresh, queued, beforeReopen, pendingAfter, afterClose, reopened };
  });
  assert.deepEqual(r.fresh, { next: 3, size: 0, keys: 0, missing: null });
  assert.ok(r.queued > 0, 'writes wait in the queue until committed');
  assert.equal(r.pendingAfter, 0);
  assert.match(r.afterClose, /closed/);
  const expected = {
    a: [3], b: null, m: [7], seq: [4], keys1: [[97], [109], [115, 101, 113]], size1: 3, size5: 0,
    largeSame: true, keys3: [[0xff, 0x00, 0x80, 0x61]], next: 6,
  };
  assert.deepEqual(r.beforeReopen, expected);
  assert.deepEqual(r.reopened, expected, 'reopened from IndexedDB: the same contents and next free id');
});

test('IdbStore passes the store checks of store-checks.mjs (as MemoryStore and FileStore do)', hang, async () => {
  const failures = await page.evaluate(async () => {
    const { IdbStore } = await import('/idb-store.mjs');
    const { runStoreChecks } = await import('/test/store-checks.mjs');
    const { LuaModule, compileModule } = await import('/lua-persist.mjs');
    const wasmModule = await compileModule(await (await fetch('/lua_persist.wasm')).arrayBuffer());
    let made = 0;
    const kind = {
      fresh: async () => {
        const name = `conformance-${made++}`;
        await new Promise((resolve, reject) => {
          const request = indexedDB.deleteDatabase(name);
          request.onsuccess = resolve;
          request.onerror = () => reject(request.error);
        });
        return IdbStore.open(name);
      },
      reopen: async (store) => {
        await store.close();
        return IdbStore.open(store.name);
      },
      close: (store) => store.close(),
    };
    return runStoreChecks(kind, { LuaModule, wasmModule });
  });
  assert.deepEqual(failures, []);
});

test('IdbStore: Lua on a fresh store never makes a table with id 1 or 2', hang, async () => {
  const r = await page.evaluate(async () => {
    const { IdbStore } = await import('/idb-store.mjs');
    const { LuaModule, compileModule } = await import('/lua-persist.mjs');
    const module = await compileModule(await (await fetch('/lua_persist.wasm')).arrayBuffer());
    const store = await IdbStore.open('fresh-ids');
    const next = store.nextFreeId();
    const L = (await LuaModule.instantiate(module, { store })).newState();
    const out = L.exec('_home.users = {} _home.users.alice = 1 print(_home.users == _home, _home.alice, ext.table() == _home)');
    await store.close();
    return { next, status: out.status, stdout: new TextDecoder().decode(out.stdout) };
  });
  assert.deepEqual(r, { next: 3, status: 0, stdout: 'false\tnil\tfalse\n' });
});

test('IdbStore: a failed transaction is reported, refuses later writes, and leaves the disk as committed', hang, async () => {
  // A quota of 1 MB makes IndexedDB abort a 4 MB write. Chromium applies the quota only
  // before an origin's first write, so this runs on an origin of its own: localhost.
  const origin = `http://localhost:${new URL(url).port}`;
  const quotaPage = await context.newPage();
  quotaPage.on('pageerror', (error) => pageErrors.push(error));
  const cdp = await context.newCDPSession(quotaPage);
  try {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1_000_000 });
    await quotaPage.goto(`${origin}/demo/?db=quota-demo`);
    const r = await quotaPage.evaluate(async () => {
      const { IdbStore } = await import('/idb-store.mjs');
      const { LuaModule, compileModule } = await import('/lua-persist.mjs');
      const module = await compileModule(await (await fetch('/lua_persist.wasm')).arrayBuffer());
      const text = (b) => new TextDecoder().decode(b);
      const store = await IdbStore.open('quota');
      const reported = [];
      store.onerror = (e) => reported.push(e);
      const L = (await LuaModule.instantiate(module, { store })).newState();
      const first = L.exec('_home.small = "kept"');
      await store.flushed();
      // Random bytes: IndexedDB cannot compress them below the quota.
      const noise = new Uint8Array(4_000_000);
      for (let at = 0; at < noise.length; at += 65536) crypto.getRandomValues(noise.subarray(at, at + 65536));
      store.set(1, new TextEncoder().encode('noise'), noise);
      const flushed = await store.flushed().then(() => 'resolved', (e) => e.message);
      const later = L.exec('_home.after = 1');
      const read = L.exec('print(_home.small)');
      await store.close().catch(() => {}); // rejects with the same failure
      const reopened = await IdbStore.open('quota');
      const keys = reopened.keys(1).map((k) => text(k));
      await reopened.close();
      return {
        first: first.status, flushed, reported: reported.map((e) => [e.message, e.cause?.name]),
        later: [later.status, text(later.stderr)], read: [read.status, text(read.stdout)], keys,
      };
    });
    assert.equal(r.first, 0);
    assert.match(r.flushed, /writing to IndexedDB store quota failed \(QuotaExceededError/);
    assert.deepEqual(r.reported, [[r.flushed, 'QuotaExceededError']], 'onerror called once, with the error');
    assert.equal(r.later[0], 2, 'Lua sees the refused write as an error');
    // Held until the end of the chunk, then refused: the chunk's error, with the store's.
    assert.match(r.later[1], /external tables: writes not stored/);
    assert.match(r.later[1], /the store failed: writing to IndexedDB store quota failed \(QuotaExceededError/);
    assert.deepEqual(r.read, [0, 'kept\n'], 'reads go on');
    assert.deepEqual(r.keys, ['small'], 'on disk: what was committed before the failure, nothing after');
  } finally {
    await cdp.detach();
    await quotaPage.close();
  }
});

test('IdbStore: a database deleted by another page is reported and refuses writes', hang, async () => {
  const r = await page.evaluate(async () => {
    const { IdbStore } = await import('/idb-store.mjs');
    const store = await IdbStore.open('doomed');
    const reported = [];
    store.onerror = (e) => reported.push(e.message);
    store.set(1, new Uint8Array([97]), new Uint8Array([1]));
    await store.flushed();
    await new Promise((resolve, reject) => {
      const request = indexedDB.deleteDatabase('doomed');
      request.onsuccess = resolve;
      request.onerror = () => reject(request.error);
    });
    let write;
    try {
      store.set(1, new Uint8Array([98]), new Uint8Array([2]));
      write = 'accepted';
    } catch (e) {
      write = e.message;
    }
    const flushed = await store.flushed().then(() => 'resolved', (e) => e.message);
    return { reported, write, flushed };
  });
  assert.equal(r.reported.length, 1);
  assert.match(r.reported[0], /doomed was deleted or upgraded by another page/);
  assert.equal(r.write, r.reported[0]);
  assert.equal(r.flushed, r.reported[0]);
});

test('IdbStore: one store at a time per database; a second open in the page fails with IdbStoreLockedError', hang, async () => {
  const r = await page.evaluate(async () => {
    const { IdbStore, IdbStoreLockedError } = await import('/idb-store.mjs');
    const bytes = (s) => new TextEncoder().encode(s);
    const text = (b) => new TextDecoder().decode(b);
    const open = [];
    const releases = [];
    /** What opening gives: 'opened' (the store stays open, closed at the end) or the error. */
    const attempt = (opening) => opening.then(
      (s) => (open.push(s), 'opened'),
      (e) => ({ name: e.name, message: e.message, database: e.database, locked: e instanceof IdbStoreLockedError }));
    const deleteDatabase = (name) => new Promise((resolve, reject) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = resolve;
      request.onerror = () => reject(request.error);
    });
    try {
      await deleteDatabase('exclusive');
      const first = await IdbStore.open('exclusive');
      open.push(first);
      first.set(1, bytes('a'), new Uint8Array([1]));
      const second = await attempt(IdbStore.open('exclusive'));
      // The first store goes on as if nothing happened.
      first.set(1, bytes('b'), new Uint8Array([2]));
      await first.flushed();
      const firstAfter = { keys: first.keys(1).map(text).sort(), failure: first.failure };
      const otherName = await attempt(IdbStore.open('exclusive-other'));
      await first.close();
      const afterClose = await attempt(IdbStore.open('exclusive'));
      const reopened = open.at(-1);
      const reopenedKeys = afterClose === 'opened' ? reopened.keys(1).map(text).sort() : null;
      const whileReopened = await attempt(IdbStore.open('exclusive'));

      // Two opens at once: one wins.
      const race = await Promise.all([attempt(IdbStore.open('race')), attempt(IdbStore.open('race'))]);

      // Held elsewhere (the lock taken as another tab's IdbStore takes it): open fails without
      // opening, so without creating, the database.
      await deleteDatabase('held-elsewhere');
      await new Promise((granted) => navigator.locks.request('lua-persist:idb:held-elsewhere',
        () => new Promise((release) => { releases.push(release); granted(); })));
      const elsewhere = await attempt(IdbStore.open('held-elsewhere'));
      const created = (await indexedDB.databases()).some((d) => d.name === 'held-elsewhere');

      // No Web Locks: a clear error instead of a store without a lock.
      await deleteDatabase('no-locks');
      const noLocks = await attempt(IdbStore.open('no-locks', { locks: null }));
      const noLocksCreated = (await indexedDB.databases()).some((d) => d.name === 'no-locks');
      return { second, firstAfter, otherName, afterClose, reopenedKeys, whileReopened, race, elsewhere, created, noLocks,
        noLocksCreated };
    } finally {
      releases.forEach((release) => release());
      await Promise.allSettled(open.map((s) => s.close()));
    }
  });
  assert.deepEqual(r.second, { name: 'IdbStoreLockedError', locked: true, database: 'exclusive',
    message: 'the store exclusive is open already in this page (close the other IdbStore first)' });
  assert.deepEqual(r.firstAfter, { keys: ['a', 'b'], failure: null });
  assert.equal(r.otherName, 'opened', 'the lock is per database');
  assert.equal(r.afterClose, 'opened', 'close() releases the lock');
  assert.deepEqual(r.reopenedKeys, ['a', 'b']);
  assert.equal(r.whileReopened.name, 'IdbStoreLockedError', 'the reopened store holds the lock again');
  assert.deepEqual(r.race.filter((x) => x === 'opened').length, 1, `two opens at once: ${JSON.stringify(r.race)}`);
  assert.equal(r.race.find((x) => x !== 'opened').name, 'IdbStoreLockedError');
  assert.deepEqual(r.elsewhere, { name: 'IdbStoreLockedError', locked: true, database: 'held-elsewhere',
    message: 'the store held-elsewhere is open in another tab or window' });
  assert.equal(r.created, false, 'a locked open does not open (create) the database');
  assert.equal(r.noLocks.locked, false);
  assert.match(r.noLocks.message, /^lua-persist: IdbStore needs the Web Locks API \(navigator\.locks\)/);
  assert.equal(r.noLocksCreated, false);
});

test('IdbStore: a second tab on the database does not start and shows why; it starts once the first tab is closed', hang, async () => {
  const tabs = [];
  const newTab = async (address) => {
    const tab = await context.newPage();
    tabs.push(tab);
    tab.on('pageerror', (error) => pageErrors.push(error));
    await tab.goto(address);
    return tab;
  };
  /** 'ready', or the error that stopped the demo from starting. */
  const started = (tab) => tab.evaluate(() => window.demo.ready.then(
    () => 'ready', (e) => ({ name: e.name, message: e.message, database: e.database })));
  const status = (tab) => tab.$eval('#status', (s) => ({ text: s.textContent, failed: s.classList.contains('failed') }));
  try {
    const first = await newTab(`${url}?db=two-tabs`);
    assert.equal(await started(first), 'ready');
    await lua('_home.from = "the first tab"', first);

    const second = await newTab(`${url}?db=two-tabs`);
    assert.deepEqual(await started(second),
      { name: 'IdbStoreLockedError', message: 'the store two-tabs is open in another tab or window', database: 'two-tabs' });
    const shown = await status(second);
    assert.match(shown.text, /^not started: the store two-tabs is open in another tab or window\. .*close the other one, then reload this page/);
    assert.equal(shown.failed, true);
    assert.equal(await second.$eval('#run', (b) => b.disabled), true);
    await assert.rejects(second.evaluate(() => window.demo.run('print(1)')), /not ready yet/);

    // The first tab is not disturbed; the main page's database is a lock of its own.
    assert.equal(await lua('_home.n = 41 print(_home.from, _home.n + 1)', first), 'the first tab\t42\n');
    assert.doesNotMatch((await status(first)).text, /fail|not started/);
    await first.evaluate(() => window.demo.flushed());
    const mainDatabase = await newTab(url); // lua-persist-demo, which `page` has open
    assert.equal((await started(mainDatabase)).name, 'IdbStoreLockedError');
    assert.equal(await lua('print(1 + 1)'), '2\n', 'the main page goes on');

    await first.close(); // the browser releases the tab's lock
    await second.reload();
    assert.equal(await started(second), 'ready');
    assert.match((await status(second)).text, /restored from IndexedDB "two-tabs": 2 keys/);
    assert.equal(await lua('print(_home.from, _home.n)', second), 'the first tab\t41\n');
    assert.deepEqual(pageErrors, []);
  } finally {
    await Promise.allSettled(tabs.map((tab) => tab.close()));
  }
});
