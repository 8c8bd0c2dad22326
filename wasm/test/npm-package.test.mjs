// The npm package (npm/package.json, wasm/pack.mjs): packed with `npm pack`, installed from
// the tarball into a fresh project, and used there by its name — in Node (FileStore, the
// state kept across two processes) and in a page bundled by esbuild and run in headless
// Chromium (IdbStore, the state kept across a reload). Also: the package holds exactly its
// files, and FileStore is not there for browsers.
// Chromium: as wasm/test/browser.test.mjs ($LUA_PERSIST_CHROMIUM or /usr/bin/chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { wasmPath } from './helpers.mjs';
import { packNpm } from '../pack.mjs';

const executablePath = process.env.LUA_PERSIST_CHROMIUM || '/usr/bin/chromium';
const hang = { timeout: 180_000 };
const work = mkdtempSync(join(tmpdir(), 'lua-persist-npm-'));
const project = join(work, 'project');
let tarball;

before(() => {
  tarball = packNpm(join(work, 'pack'), { wasm: wasmPath });
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-lua-persist', private: true, type: 'module' }));
  // No network: the package has no dependencies, and the tarball is a local file.
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent', tarball], { cwd: project, stdio: 'inherit' });
}, hang);

after(() => rmSync(work, { recursive: true, force: true }));

test('the tarball holds the host, its declarations, the module and the manifest, nothing else', () => {
  const listed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').sort();
  const manifest = JSON.parse(readFileSync(new URL('../../npm/package.json', import.meta.url), 'utf8'));
  assert.deepEqual(listed, ['package.json', 'README.md', ...manifest.files].map((f) => `package/${f}`).sort());
  const installed = join(project, 'node_modules/lua-persist');
  assert.deepEqual(readFileSync(join(installed, 'lua_persist.wasm')), readFileSync(wasmPath), 'the module as built');
  assert.equal(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version,
    readFileSync(new URL('../../Cargo.toml', import.meta.url), 'utf8').match(/^version = "(.*)"/m)[1]);
});

test('Node: imported by name, it runs Lua and keeps _home in a FileStore from one process to the next', hang, () => {
  const script = join(project, 'count.mjs');
  writeFileSync(script, `
    import { loadModule, LuaModule, FileStore, LuaStatus, encodeDump } from 'lua-persist';
    import { FileStore as Direct } from 'lua-persist/file-store';
    if (FileStore !== Direct) throw new Error('two FileStore classes');
    if (typeof encodeDump !== 'function') throw new Error('no store dumps in Node');
    const lua = await LuaModule.instantiate(await loadModule(), { store: new FileStore(process.argv[2]) });
    const r = lua.newState().exec('_home.runs = (_home.runs or 0) + 1 print("run", _home.runs, _VERSION)');
    if (r.status !== LuaStatus.OK) throw new Error(new TextDecoder().decode(r.stderr));
    process.stdout.write(r.stdout);
  `);
  const store = join(work, 'node-store');
  const run = () => {
    const r = spawnSync(process.execPath, [script, store], { cwd: project, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  assert.equal(run(), 'run\t1\tLua 5.4\n');
  assert.equal(run(), 'run\t2\tLua 5.4\n');
  // A missing module file is a clear error, not a hang or a crash.
  const r = spawnSync(process.execPath, ['--input-type=module', '-e',
    "import { loadModule } from 'lua-persist'; await loadModule('/nonexistent/lua_persist.wasm')"], { cwd: project, encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /ENOENT.*nonexistent/);
});

/** esbuild's bundle of `entry` (source text) for browsers, into `outdir`. */
function bundle(entry, outdir) {
  writeFileSync(join(project, 'page.mjs'), entry);
  return build({
    absWorkingDir: project, entryPoints: ['page.mjs'], bundle: true, format: 'esm', platform: 'browser',
    outdir, loader: { '.wasm': 'file' }, logLevel: 'silent',
  });
}

test('a bundler for browsers finds no FileStore and no store dumps in the package', hang, async () => {
  const out = join(work, 'bundle-fails');
  for (const [what, entry, expected] of [
    ['the browser entry has no FileStore', "import { FileStore } from 'lua-persist'; console.log(FileStore);",
      /No matching export in "node_modules\/lua-persist\/browser\.mjs" for import "FileStore"/],
    ['lua-persist/file-store is for Node only', "import { FileStore } from 'lua-persist/file-store'; console.log(FileStore);",
      /Could not resolve "lua-persist\/file-store"/],
    ['so are the store dumps (node:crypto)', "import { encodeDump } from 'lua-persist/store-dump'; console.log(encodeDump);",
      /Could not resolve "lua-persist\/store-dump"/],
  ]) {
    await assert.rejects(bundle(entry, out), (error) => {
      assert.match(error.message, expected, what);
      return true;
    }, what);
  }
});

test('a browser: a page bundled by esbuild runs Lua and keeps _home in IndexedDB across a reload', hang, async (t) => {
  assert.ok(existsSync(executablePath), `Chromium is missing at ${executablePath}: install Debian's package 'chromium' (scripts/test does) or set LUA_PERSIST_CHROMIUM`);
  const site = join(work, 'site');
  await bundle(`
    import { loadModule, LuaModule, IdbStore, LuaStatus } from 'lua-persist';
    import wasmUrl from 'lua-persist/lua_persist.wasm';
    const store = await IdbStore.open('npm-package-test');
    const lua = await LuaModule.instantiate(await loadModule(wasmUrl), { store });
    const r = lua.newState().exec('_home.visits = (_home.visits or 0) + 1 print("visit", _home.visits)');
    await store.flushed();
    await store.close();
    document.body.dataset.status = r.status === LuaStatus.OK ? 'ok' : 'error';
    document.body.dataset.output = new TextDecoder().decode(r.status === LuaStatus.OK ? r.stdout : r.stderr);
  `, site);
  writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="page.js"></script>');
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const server = createServer((req, res) => {
    const file = join(site, req.url === '/' ? 'index.html' : decodeURIComponent(req.url.slice(1)));
    if (!file.startsWith(site) || !existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const browser = await chromium.launch({ executablePath, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const visit = async () => {
    await page.waitForFunction(() => document.body?.dataset.status, null, { timeout: 60_000 });
    return page.evaluate(() => ({ status: document.body.dataset.status, output: document.body.dataset.output }));
  };
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  assert.deepEqual(await visit(), { status: 'ok', output: 'visit\t1\n' });
  await page.reload();
  assert.deepEqual(await visit(), { status: 'ok', output: 'visit\t2\n' }, 'the state came back from IndexedDB');
  assert.deepEqual(errors, []);
});
