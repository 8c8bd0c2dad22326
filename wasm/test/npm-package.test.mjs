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
import { wasmPath, runnerWasmPath } from './helpers.mjs';
import { packNpm } from '../pack.mjs';

const executablePath = process.env.LUA_PERSIST_CHROMIUM || '/usr/bin/chromium';
const hang = { timeout: 180_000 };
const work = mkdtempSync(join(tmpdir(), 'lua-persist-npm-'));
const project = join(work, 'project');
let tarball;

before(() => {
  tarball = packNpm(join(work, 'pack'), { wasm: wasmPath, runnerWasm: runnerWasmPath });
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
  assert.deepEqual(readFileSync(join(installed, 'lua_persist_runner.wasm')), readFileSync(runnerWasmPath), "the runner's module as built");
  assert.equal(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version,
    readFileSync(new URL('../../Cargo.toml', import.meta.url), 'utf8').match(/^version = "(.*)"/m)[1]);
});

test("Node: the package's runner, lua-persist-node, runs a script with files as lua does, and keeps _home", hang, () => {
  const dir = join(work, 'runner');
  mkdirSync(dir);
  writeFileSync(join(dir, 'helper.lua'), 'return { greet = function (who) return "hello, " .. who end }');
  writeFileSync(join(dir, 'main.lua'), [
    'local helper = require "helper"',
    '_home.runs = (_home.runs or 0) + 1',
    'local f = assert(io.open("log.txt", "a")) f:write(helper.greet(arg[1]), " ", _home.runs, "\\n") f:close()',
    'for line in io.lines("log.txt") do print(line) end'].join('\n'));
  const bin = join(project, 'node_modules/.bin/lua-persist-node');
  const run = (who) => {
    const r = spawnSync(bin, ['--store', join(dir, 'store'), 'main.lua', who], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  assert.equal(run('Ada'), 'hello, Ada 1\n');
  assert.equal(run('Lin'), 'hello, Ada 1\nhello, Lin 2\n');
  assert.ok(!existsSync(join(dir, '.lua-persist-wasm')), 'the store is where --store says');
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

/** Serves `site` over HTTP and opens it in headless Chromium; returns { page, errors, url }
 * (closed when the test ends). */
async function openInChromium(t, site) {
  assert.ok(existsSync(executablePath), `Chromium is missing at ${executablePath}: install Debian's package 'chromium' (scripts/test does) or set LUA_PERSIST_CHROMIUM`);
  writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="page.js"></script>');
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const server = createServer((req, res) => {
    const file = join(site, req.url === '/' ? 'index.html' : decodeURIComponent(req.url.slice(1)));
    if (req.url === '/favicon.ico') { res.writeHead(204).end(); return; }
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
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const close = async () => {
    await browser.close();
    server.close();
  };
  return { page, errors, close };
}

test('a browser: a page bundled by esbuild runs Lua and keeps _home in IndexedDB across a reload', hang, async (t) => {
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
  const { page, errors } = await openInChromium(t, site);
  const visit = async () => {
    await page.waitForFunction(() => document.body?.dataset.status, null, { timeout: 60_000 });
    return page.evaluate(() => ({ status: document.body.dataset.status, output: document.body.dataset.output }));
  };
  assert.deepEqual(await visit(), { status: 'ok', output: 'visit\t1\n' });
  await page.reload();
  assert.deepEqual(await visit(), { status: 'ok', output: 'visit\t2\n' }, 'the state came back from IndexedDB');
  assert.deepEqual(errors, []);
});

/** The ```js blocks of a Markdown file. */
function jsBlocks(file) {
  const markdown = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
  return [...markdown.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m, i) => ({ name: `${file} #${i + 1}`, code: m[1] }));
}
const readmeBlocks = [...jsBlocks('README.md'), ...jsBlocks('npm/README.md')];
// Browser examples are the ones that reach IndexedDB.
const inBrowser = (block) => block.code.includes('IdbStore');

test("the README's JavaScript examples for Node run as pasted", hang, () => {
  const blocks = readmeBlocks.filter((b) => !inBrowser(b));
  assert.ok(blocks.length >= 3, `only ${blocks.length} Node examples found`);
  for (const [i, block] of blocks.entries()) {
    // Each in a folder of its own inside the project (a FileStore example makes ./lua-store).
    const dir = join(project, `readme-${i}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'example.mjs'), block.code);
    const r = spawnSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `${block.name} failed:\n${block.code}\n${r.stderr}`);
    if (block.code.includes("'run', _home.runs") || block.code.includes('"run", _home.runs')) {
      assert.equal(r.stdout, 'run\t1\n', block.name);
    }
    if (block.code.includes('L.eval(')) {
      assert.equal(r.stdout, ' 3.14 [ 1, 2, { x: 3 } ]\n(error object is a table value) 42\n0 42\n\n{ sum: 3.5 }\n', block.name);
    }
  }
});

test("the README's JavaScript examples for browsers run as pasted, bundled by esbuild", hang, async (t) => {
  const blocks = readmeBlocks.filter(inBrowser);
  assert.ok(blocks.length >= 2, `only ${blocks.length} browser examples found`);
  // One page each, one after the other: an open IdbStore holds its database's lock (one
  // page at a time), and the examples open the same database without closing it.
  for (const [i, block] of blocks.entries()) {
    const site = join(work, `readme-site-${i}`);
    await bundle(`${block.code}\ndocument.body.dataset.done = 'yes';\n`, site);
    const { page, errors, close } = await openInChromium(t, site);
    await page.waitForFunction(() => document.body?.dataset.done, null, { timeout: 60_000 });
    assert.deepEqual(errors, [], block.name);
    await close();
  }
});
